import { CircuitError, type Problem } from './errors';
import { getOp, type OpDef } from './ops';
import { Program, type ProgramLayout } from './program';
import { formatShape, shapeEquals, sizeOf } from './tensor';
import type { Circuit, CircuitNode, NodeId, Shape } from './types';

export interface CompileOptions {
  /**
   * Partial mode is for a circuit being built: instead of throwing, the program computes
   * every node it can and lists the problems in `program.problems`.
   */
  readonly partial?: boolean;
}

const nameOf = (node: CircuitNode, op: OpDef | undefined) =>
  op && op.kind !== 'source' ? `${node.id} (${op.title})` : node.id;

/**
 * Validates a circuit and lays it out for fast evaluation: a topological order (iterative,
 * so a 50,000-gate chain is fine), inferred shapes, and an offset for every value and
 * gradient in two flat Float64Arrays.
 */
export function compile(circuit: Circuit, options: CompileOptions = {}): Program {
  const problems: Problem[] = [];
  const nodes = circuit.nodes;
  const n = nodes.length;
  const index = new Map<NodeId, number>();
  const ops: (OpDef | undefined)[] = new Array(n);
  // broken[i]: node i cannot be computed (its own problem or an upstream one).
  const broken = new Uint8Array(n);

  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (index.has(node.id)) {
      problems.push({ message: `two nodes have the id '${node.id}'`, nodes: [node.id] });
      broken[i] = 1;
      continue;
    }
    index.set(node.id, i);
    const op = getOp(node.op);
    ops[i] = op;
    if (!op) {
      problems.push({ message: `${node.id} uses an unknown op '${node.op}'`, nodes: [node.id] });
      broken[i] = 1;
    } else if (op.kind === 'source' && !node.value) {
      problems.push({ message: `${node.id} has no value`, nodes: [node.id] });
      broken[i] = 1;
    }
  }

  // Wires → for each node, the source of each port. -1 = not connected.
  const portSources: Int32Array[] = new Array(n);
  for (let i = 0; i < n; i++) portSources[i] = new Int32Array(ops[i]?.ports.length ?? 0).fill(-1);
  const consumerCount = new Int32Array(n);
  for (const wire of circuit.wires) {
    const from = index.get(wire.from);
    const to = index.get(wire.to);
    if (from === undefined || to === undefined) {
      const missing = from === undefined ? wire.from : wire.to;
      problems.push({
        message: `a wire from ${wire.from} to ${wire.to} names a node '${missing}' that does not exist`,
        // Name only the ends that exist (none, when both are missing).
        nodes: [wire.from, wire.to].filter((id) => index.has(id)),
      });
      continue;
    }
    const op = ops[to];
    if (!op) continue;
    const port = op.ports.indexOf(wire.port);
    if (port < 0) {
      problems.push({
        message:
          op.ports.length === 0
            ? `${nameOf(nodes[to], op)} takes no inputs, but a wire from ${wire.from} goes into it`
            : `${nameOf(nodes[to], op)} has no port '${wire.port}' (its ports are ${op.ports.join(', ')})`,
        nodes: [wire.to, wire.from],
        port: wire.port,
      });
      broken[to] = 1;
      continue;
    }
    if (portSources[to][port] >= 0) {
      problems.push({
        message: `port ${wire.port} of ${nameOf(nodes[to], op)} has two wires (from ${nodes[portSources[to][port]].id} and ${wire.from}); a port takes one`,
        nodes: [wire.to],
        port: wire.port,
      });
      broken[to] = 1;
      continue;
    }
    portSources[to][port] = from;
    consumerCount[from]++;
  }

  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (!op) continue;
    const sources = portSources[i];
    for (let p = 0; p < sources.length; p++) {
      if (sources[p] < 0) {
        problems.push({
          message: `port ${op.ports[p]} of ${nameOf(nodes[i], op)} has no input`,
          nodes: [nodes[i].id],
          port: op.ports[p],
        });
        broken[i] = 1;
      }
    }
  }

  // Consumers in CSR form, then Kahn's algorithm (no recursion).
  const consumerStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) consumerStart[i + 1] = consumerStart[i] + consumerCount[i];
  const consumers = new Int32Array(consumerStart[n]);
  const fill = consumerStart.slice(0, n);
  const indegree = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const sources = portSources[i];
    for (let p = 0; p < sources.length; p++) {
      const s = sources[p];
      if (s < 0) continue;
      consumers[fill[s]++] = i;
      indegree[i]++;
    }
  }
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order[tail++] = i;
  while (head < tail) {
    const v = order[head++];
    for (let c = consumerStart[v]; c < consumerStart[v + 1]; c++) {
      const w = consumers[c];
      if (--indegree[w] === 0) order[tail++] = w;
    }
  }
  if (tail < n) {
    for (const cycle of findCycles(n, indegree, portSources)) {
      problems.push({
        message: `the circuit has a cycle: ${cycle.map((i) => nodes[i].id).join(' → ')} → ${nodes[cycle[0]].id}`,
        nodes: cycle.map((i) => nodes[i].id),
      });
    }
    for (let i = 0; i < n; i++) if (indegree[i] > 0) broken[i] = 1;
  }
  const sorted = order.subarray(0, tail);

  // Shape inference in topological order; a broken node breaks everything downstream.
  const shapes: (Shape | undefined)[] = new Array(n);
  for (const i of sorted) {
    const op = ops[i];
    const node = nodes[i];
    if (!op) continue;
    const sources = portSources[i];
    for (let p = 0; p < sources.length; p++)
      if (sources[p] >= 0 && broken[sources[p]]) broken[i] = 1;
    if (broken[i]) continue;
    const inShapes = Array.from(sources, (s) => shapes[s] as Shape);
    const shape = inferShape(op, inShapes, node);
    if (typeof shape === 'string') {
      problems.push({ message: `${nameOf(node, op)}: ${shape}`, nodes: [node.id] });
      broken[i] = 1;
    } else {
      shapes[i] = shape;
    }
  }

  let output = -1;
  if (circuit.output === null) {
    problems.push({ message: 'no output is chosen: mark the node whose value is f', nodes: [] });
  } else {
    const o = index.get(circuit.output);
    if (o === undefined) {
      problems.push({
        message: `the output '${circuit.output}' is not a node of the circuit`,
        nodes: [],
      });
    } else if (!broken[o]) {
      output = o;
    }
  }

  if (problems.length > 0 && !options.partial) throw new CircuitError(problems);

  // Lay out the computable nodes in topological order.
  const slotOf = new Int32Array(n).fill(-1);
  const layoutNodes: number[] = [];
  for (const i of sorted) {
    if (broken[i] || !ops[i]) continue;
    slotOf[i] = layoutNodes.length;
    layoutNodes.push(i);
  }
  // Which nodes reach the output: only those take part in the backward pass.
  const reaches = new Uint8Array(n);
  if (output >= 0) {
    reaches[output] = 1;
    for (let k = sorted.length - 1; k >= 0; k--) {
      const i = sorted[k];
      if (!reaches[i]) continue;
      for (const s of portSources[i]) if (s >= 0) reaches[s] = 1;
    }
  }

  const layout: ProgramLayout = {
    circuit,
    problems,
    ids: layoutNodes.map((i) => nodes[i].id),
    ops: layoutNodes.map((i) => ops[i] as OpDef),
    shapes: layoutNodes.map((i) => shapes[i] as Shape),
    sources: layoutNodes.map((i) => Int32Array.from(portSources[i], (s) => slotOf[s])),
    initial: layoutNodes.map((i) => nodes[i].value),
    reachesOutput: Uint8Array.from(layoutNodes, (i) => reaches[i]),
    output: output >= 0 ? slotOf[output] : -1,
  };
  return new Program(layout);
}

function inferShape(op: OpDef, inputs: Shape[], node: CircuitNode): Shape | string {
  switch (op.kind) {
    case 'source':
      return (node.value as { shape: Shape }).shape;
    case 'unary':
      return inputs[0];
    case 'binary': {
      const [a, b] = inputs;
      if (shapeEquals(a, b)) return a;
      if (sizeOf(a) === 1 && a.length === 0) return b;
      if (sizeOf(b) === 1 && b.length === 0) return a;
      return `${op.title} needs inputs of the same shape (or one scalar), got a: ${formatShape(a)} and b: ${formatShape(b)}`;
    }
    case 'tensor':
      return op.inferShape(inputs);
  }
}

/**
 * Every node left with indegree > 0 after Kahn's algorithm is on a cycle or downstream of
 * one. Walking backwards along unprocessed inputs from such a node must revisit a node: that
 * closes a cycle. Returns each cycle found, in wire direction.
 */
function findCycles(n: number, indegree: Int32Array, portSources: Int32Array[]): number[][] {
  const cycles: number[][] = [];
  const done = new Uint8Array(n);
  for (let start = 0; start < n; start++) {
    if (indegree[start] === 0 || done[start]) continue;
    const seenAt = new Map<number, number>();
    const path: number[] = [];
    let v = start;
    while (!seenAt.has(v) && !done[v]) {
      seenAt.set(v, path.length);
      path.push(v);
      let next = -1;
      for (const s of portSources[v]) {
        if (s >= 0 && indegree[s] > 0) {
          next = s;
          break;
        }
      }
      if (next < 0) break;
      v = next;
    }
    const at = seenAt.get(v);
    if (at !== undefined && !done[v]) cycles.push(path.slice(at).reverse());
    for (const p of path) done[p] = 1;
  }
  return cycles;
}
