import { CircuitError, type Problem } from './errors';
import type { OpLookup } from './gates/composite';
import { lookupIn } from './gates/scope';
import { IdIndex } from './idindex';
import type { BinaryOp, OpDef } from './ops';
import type { Params } from './ops/types';
import { int32Arrays, Program } from './program';
import { broadcastPartners, broadcastShape, SCALAR, shapeInWords, sizeOf } from './tensor';
import type { Circuit, CircuitNode, NodeId, PortName, Shape, Tensor, Wire } from './types';

export interface CompileOptions {
  /**
   * Partial mode is for a circuit being built: instead of throwing, the program computes
   * every node it can and lists the problems in `program.problems`.
   */
  readonly partial?: boolean;
  /**
   * How op names are resolved; by default the registry, then the circuit's own gates
   * (`circuit.gates`). A composite's inside is compiled with the definitions before it only.
   */
  readonly lookup?: OpLookup;
}

const nameOf = (node: CircuitNode, op: OpDef | undefined) =>
  op && op.kind !== 'source' ? `${node.id} (${op.title})` : node.id;

/**
 * Validates a circuit and lays it out for fast evaluation: a topological order (Kahn's
 * algorithm, iterative, so a 50,000-gate chain is fine), inferred shapes, and an offset for
 * every value and gradient in flat Float64Arrays.
 *
 * One path for every circuit: it works in flat typed arrays, with no object, closure or
 * string per node or per wire, and ids indexed by an `IdIndex` instead of a Map. Problems are
 * found on the way, in a fixed order (nodes, literals, wires, ports, cycles, shapes, output),
 * and worded only when there is one. Each step is a function of its own: V8 optimises a small
 * function with one hot loop sooner, and code optimised for one loop never has to give up on
 * reaching the next.
 */
export function compile(circuit: Circuit, options: CompileOptions = {}): Program {
  const problems: Problem[] = [];
  const circuitNodes = circuit.nodes;
  const n = circuitNodes.length;
  const nodes = readNodes(circuitNodes, problems, options.lookup ?? lookupIn(circuit.gates));
  const literals = readLiterals(circuitNodes, nodes, problems);
  const portCount = nodes.portStart[n];
  // Working arrays, cut from one allocation (see int32Arrays).
  const [src, consumerCount, consumerStart, consumers, indegree, order] = int32Arrays([
    portCount,
    n,
    n + 1,
    portCount,
    n,
    n,
  ]);
  readWires(circuit.wires, circuitNodes, nodes, literals, src, consumerCount, problems);
  checkPorts(circuitNodes, nodes, literals, src, problems);
  const sorted = topologicalOrder(nodes.portStart, src, consumerCount, {
    consumerStart,
    consumers,
    indegree,
    order,
  });
  if (sorted < n) {
    for (const cycle of findCycles(n, indegree, nodes.portStart, src)) {
      problems.push({
        message: `the circuit has a cycle: ${cycle.map((i) => circuitNodes[i].id).join(' → ')} → ${circuitNodes[cycle[0]].id}`,
        nodes: cycle.map((i) => circuitNodes[i].id),
      });
    }
    for (let i = 0; i < n; i++) if (indegree[i] > 0) nodes.broken[i] = 1;
  }
  const shapes = inferShapes(
    circuitNodes,
    nodes,
    literals,
    src,
    order.subarray(0, sorted),
    problems,
  );

  let output = -1;
  if (circuit.output === null) {
    problems.push({ message: 'no output is chosen: mark the node whose value is f', nodes: [] });
  } else {
    const o = nodes.index.get(circuit.output);
    if (o < 0) {
      problems.push({
        message: `the output '${circuit.output}' is not a node of the circuit`,
        nodes: [],
      });
    } else if (!nodes.broken[o]) {
      output = o;
    }
  }

  if (problems.length > 0 && !options.partial) throw new CircuitError(problems);
  return layOut(circuit, problems, nodes, src, shapes, order.subarray(0, sorted), output);
}

/** The nodes, by node index. */
interface NodeTable {
  readonly ids: NodeId[];
  readonly index: IdIndex;
  /** The ports of node i are cells portStart[i] … portStart[i + 1] - 1 of `src`. */
  readonly portStart: Int32Array;
  /** Node i has op `ops.ops[opOf[i]]`, or none (-1: unknown op, or a repeated id). */
  readonly opOf: Int32Array;
  readonly ops: OpTable;
  /** broken[i]: node i cannot be computed (its own problem or an upstream one). */
  readonly broken: Uint8Array;
  /** Nodes that bring literals, for readLiterals. */
  readonly withParams: number[];
  /** Every input and constant holds a scalar and no gate is a tensor op. */
  scalarOnly: boolean;
}

/**
 * The ops a circuit uses (a handful), with what compile asks of them. Every op object has a
 * hidden class of its own, so reading its properties at every node would be slow; this reads
 * them once per op.
 */
interface OpTable {
  /** The names met so far (as the nodes spell them) and their ops. */
  readonly names: unknown[];
  readonly ops: OpDef[];
  readonly kinds: OpDef['kind'][];
  readonly ports: (readonly PortName[])[];
}

/** Every id into the index (once), every op looked up; problems for ids, ops and values. */
function readNodes(
  nodes: readonly CircuitNode[],
  problems: Problem[],
  lookup: OpLookup,
): NodeTable {
  const n = nodes.length;
  const ids: NodeId[] = new Array(n);
  const index = new IdIndex(n, ids);
  const [portStart, opOf] = int32Arrays([n + 1, n]);
  const broken = new Uint8Array(n);
  const table: OpTable = { names: [], ops: [], kinds: [], ports: [] };
  const names = table.names;
  const withParams: number[] = [];
  let scalarOnly = true;
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    const id = node.id;
    ids[i] = id;
    opOf[i] = -1;
    portStart[i + 1] = portStart[i];
    if (typeof id !== 'string') {
      problems.push({ message: `node ${i + 1} has no id`, nodes: [] });
      broken[i] = 1;
      continue;
    }
    if (index.add(id, i) >= 0) {
      problems.push({ message: `two nodes have the id '${id}'`, nodes: [id] });
      broken[i] = 1;
      continue;
    }
    // Comparing the name with the few met so far is quicker than a Map lookup.
    const name = node.op;
    let j = 0;
    while (j < names.length && names[j] !== name) j++;
    if (j === names.length && !addOp(table, name, lookup)) {
      problems.push({ message: `${id} uses an unknown op '${name}'`, nodes: [id] });
      broken[i] = 1;
      continue;
    }
    opOf[i] = j;
    const kind = table.kinds[j];
    if (kind === 'source') {
      const value = node.value;
      if (!value) {
        problems.push({ message: `${id} has no value`, nodes: [id] });
        broken[i] = 1;
      } else if (value.shape.length !== 0) {
        scalarOnly = false;
      }
    } else if (kind === 'tensor') {
      scalarOnly = false;
    }
    if (node.params !== undefined) withParams.push(i);
    portStart[i + 1] = portStart[i] + table.ports[j].length;
  }
  return { ids, index, portStart, opOf, ops: table, broken, withParams, scalarOnly };
}

/** Looks an op name up in the registry and adds it to the table; false if there is none. */
function addOp(table: OpTable, name: unknown, lookup: OpLookup): boolean {
  const op = typeof name === 'string' ? lookup(name) : undefined;
  if (op === undefined) return false;
  table.names.push(name);
  table.ops.push(op);
  table.kinds.push(op.kind);
  table.ports.push(op.ports);
  return true;
}

/**
 * The literal of every port cell that holds one (undefined when no node has literals), with a
 * problem for every literal that names no port of its op or is not a tensor.
 */
function readLiterals(
  circuitNodes: readonly CircuitNode[],
  nodes: NodeTable,
  problems: Problem[],
): (Tensor | undefined)[] | undefined {
  if (nodes.withParams.length === 0) return undefined;
  const { opOf, portStart, broken, ops } = nodes;
  const literals: (Tensor | undefined)[] = new Array(portStart[circuitNodes.length]).fill(
    undefined,
  );
  for (const i of nodes.withParams) {
    const node = circuitNodes[i];
    const j = opOf[i];
    if (j < 0) continue;
    const op = ops.ops[j];
    const params = node.params as unknown;
    const name = nameOf(node, op);
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      problems.push({
        message: `${name}: its literals are not a table of ports`,
        nodes: [node.id],
      });
      broken[i] = 1;
      continue;
    }
    const keys = Object.keys(params);
    if (keys.length === 0) continue;
    if (op.kind === 'source') {
      problems.push({
        message: `${node.id} is ${op.name === 'input' ? 'an input' : 'a constant'} and takes no literals (it has no ports)`,
        nodes: [node.id],
      });
      broken[i] = 1;
      continue;
    }
    for (const key of keys) {
      const port = op.ports.indexOf(key as PortName);
      if (port < 0) {
        problems.push({
          message: `${node.id}: port '${key}' takes no parameter — ${op.name} has ports ${op.ports.join(', ')}`,
          nodes: [node.id],
          port: key as PortName,
        });
        broken[i] = 1;
        continue;
      }
      const value = (params as Params)[key];
      // A bad literal still fills its port (the gate is broken either way): one problem, not two.
      literals[portStart[i] + port] = value;
      if (!isLiteral(value)) {
        problems.push({
          message: `${name}: the literal in port ${key} is not a number or an array of numbers`,
          nodes: [node.id],
          port: key as PortName,
        });
        broken[i] = 1;
        continue;
      }
      if (value.shape.length !== 0) nodes.scalarOnly = false;
    }
  }
  return literals;
}

/** A tensor of rank ≤ 2 whose data has as many numbers as its shape says. */
function isLiteral(t: unknown): t is Tensor {
  if (typeof t !== 'object' || t === null) return false;
  const { shape, data } = t as Tensor;
  if (!(data instanceof Float64Array) || !Array.isArray(shape) || shape.length > 2) return false;
  for (const d of shape) if (!Number.isInteger(d) || d < 1) return false;
  return sizeOf(shape as Shape) === data.length;
}

/**
 * Every wire into its port: src[portStart[i] + p] becomes the node feeding port p of node i,
 * and consumerCount[i] the number of ports node i feeds.
 */
function readWires(
  wires: readonly Wire[],
  circuitNodes: readonly CircuitNode[],
  nodes: NodeTable,
  literals: (Tensor | undefined)[] | undefined,
  src: Int32Array,
  consumerCount: Int32Array,
  problems: Problem[],
): void {
  const { index, opOf, portStart, broken } = nodes;
  const { ops, ports } = nodes.ops;
  src.fill(-1);
  // The wires into one gate usually come one after the other: look its id up once.
  let lastTo: unknown;
  let to = -1;
  for (let w = 0; w < wires.length; w++) {
    const wire = wires[w];
    const from = index.get(wire.from);
    if (wire.to !== lastTo) {
      lastTo = wire.to;
      to = index.get(wire.to);
    }
    if (from < 0 || to < 0) {
      const missing = from < 0 ? wire.from : wire.to;
      problems.push({
        message: `a wire from ${wire.from} to ${wire.to} names a node '${missing}' that does not exist`,
        // Name only the ends that exist (none, when both are missing).
        nodes: [wire.from, wire.to].filter((id) => index.get(id) >= 0),
      });
      continue;
    }
    const j = opOf[to];
    if (j < 0) continue;
    const port = ports[j].indexOf(wire.port);
    if (port < 0) {
      const op = ops[j];
      problems.push({
        message:
          op.ports.length === 0
            ? `${nameOf(circuitNodes[to], op)} takes no inputs, but a wire from ${wire.from} goes into it`
            : `${nameOf(circuitNodes[to], op)} has no port '${wire.port}' (its ports are ${op.ports.join(', ')})`,
        nodes: [wire.to, wire.from],
        port: wire.port,
      });
      broken[to] = 1;
      continue;
    }
    const cell = portStart[to] + port;
    if (literals?.[cell] !== undefined) {
      problems.push({
        message: `port ${wire.port} of ${nameOf(circuitNodes[to], ops[j])} has both a wire from ${wire.from} and a literal; a port takes one`,
        nodes: [wire.to, wire.from],
        port: wire.port,
      });
      broken[to] = 1;
      continue;
    }
    if (src[cell] >= 0) {
      problems.push({
        message: `port ${wire.port} of ${nameOf(circuitNodes[to], ops[j])} has two wires (from ${circuitNodes[src[cell]].id} and ${wire.from}); a port takes one`,
        nodes: [wire.to],
        port: wire.port,
      });
      broken[to] = 1;
      continue;
    }
    src[cell] = from;
    consumerCount[from]++;
  }
}

/** A problem for every port with neither a wire nor a literal. */
function checkPorts(
  circuitNodes: readonly CircuitNode[],
  nodes: NodeTable,
  literals: (Tensor | undefined)[] | undefined,
  src: Int32Array,
  problems: Problem[],
): void {
  const { portStart, opOf, broken } = nodes;
  const n = circuitNodes.length;
  for (let i = 0; i < n; i++) {
    const end = portStart[i + 1];
    for (let cell = portStart[i]; cell < end; cell++) {
      if (src[cell] >= 0 || literals?.[cell] !== undefined) continue;
      const op = nodes.ops.ops[opOf[i]];
      const port = op.ports[cell - portStart[i]];
      problems.push({
        message: `port ${port} of ${nameOf(circuitNodes[i], op)} has no input`,
        nodes: [circuitNodes[i].id],
        port,
      });
      broken[i] = 1;
    }
  }
}

/** Zeroed arrays for topologicalOrder, n (+ 1) or one per port long. */
interface KahnArrays {
  readonly consumerStart: Int32Array;
  readonly consumers: Int32Array;
  readonly indegree: Int32Array;
  readonly order: Int32Array;
}

/**
 * Kahn's algorithm over the consumers in CSR form, first in first out, consumers in node
 * order. Fills `order` and returns how many nodes it holds: fewer than all when there is a
 * cycle (those left keep an indegree above 0).
 */
function topologicalOrder(
  portStart: Int32Array,
  src: Int32Array,
  consumerCount: Int32Array,
  { consumerStart, consumers, indegree, order }: KahnArrays,
): number {
  const n = order.length;
  // From here on consumerCount[i] is where the next consumer of node i goes.
  const fill = consumerCount;
  for (let i = 0; i < n; i++) {
    consumerStart[i + 1] = consumerStart[i] + consumerCount[i];
    fill[i] = consumerStart[i];
  }
  for (let i = 0; i < n; i++) {
    const end = portStart[i + 1];
    let wired = 0;
    for (let p = portStart[i]; p < end; p++) {
      const s = src[p];
      if (s < 0) continue;
      consumers[fill[s]++] = i;
      wired++;
    }
    indegree[i] = wired;
  }
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order[tail++] = i;
  while (head < tail) {
    const v = order[head++];
    const end = consumerStart[v + 1];
    for (let c = consumerStart[v]; c < end; c++) {
      const w = consumers[c];
      if (--indegree[w] === 0) order[tail++] = w;
    }
  }
  return tail;
}

/**
 * Every node's shape, in topological order, by node index; a broken node breaks everything
 * downstream, and shapes that do not fit are problems. A circuit of scalars only (the common
 * case) has nothing to infer.
 */
function inferShapes(
  circuitNodes: readonly CircuitNode[],
  nodes: NodeTable,
  literals: (Tensor | undefined)[] | undefined,
  src: Int32Array,
  sorted: Int32Array,
  problems: Problem[],
): readonly Shape[] {
  const n = circuitNodes.length;
  const { opOf, portStart, broken } = nodes;
  const ops = nodes.ops.ops;
  const shapes: Shape[] = new Array(n);
  if (nodes.scalarOnly && problems.length === 0) return shapes.fill(SCALAR);
  const portShape = (cell: number): Shape =>
    src[cell] >= 0 ? shapes[src[cell]] : ((literals as Tensor[])[cell] as Tensor).shape;
  for (let k = 0; k < sorted.length; k++) {
    const i = sorted[k];
    const j = opOf[i];
    if (j < 0) continue;
    const first = portStart[i];
    const end = portStart[i + 1];
    for (let cell = first; cell < end; cell++) {
      if (src[cell] >= 0 && broken[src[cell]]) broken[i] = 1;
    }
    if (broken[i]) continue;
    const op = ops[j];
    let shape: Shape | string;
    if (op.kind === 'source') {
      shape = (circuitNodes[i].value as Tensor).shape;
    } else if (op.kind === 'unary') {
      shape = portShape(first);
    } else if (op.kind === 'binary') {
      shape = binaryShape(op, portShape(first), portShape(first + 1));
    } else {
      const inShapes: Shape[] = [];
      const inLiterals: (Tensor | undefined)[] = [];
      for (let cell = first; cell < end; cell++) {
        inShapes.push(portShape(cell));
        inLiterals.push(src[cell] >= 0 ? undefined : literals?.[cell]);
      }
      shape = op.inferShape(inShapes, inLiterals);
    }
    if (typeof shape === 'string') {
      const node = circuitNodes[i];
      problems.push({ message: `${nameOf(node, op)}: ${shape}`, nodes: [node.id] });
      broken[i] = 1;
    } else {
      shapes[i] = shape;
    }
  }
  return shapes;
}

/**
 * Elementwise: the same shape, a scalar beside anything, or a row, a column (or 1×1) beside a
 * matrix, broadcast along the other axis (`broadcastShape`). A refusal names both shapes and
 * what would fit beside the larger operand.
 */
function binaryShape(op: BinaryOp, a: Shape, b: Shape): Shape | string {
  const shape = broadcastShape(a, b);
  if (shape !== undefined) return shape;
  // The larger operand sets the shape; the other is the one to change.
  const [big, small] = sizeOf(b) > sizeOf(a) ? (['b', 'a'] as const) : (['a', 'b'] as const);
  const bigShape = big === 'a' ? a : b;
  return `${op.title} needs inputs of the same shape, or a row, a column or a scalar beside a matrix: a is ${shapeInWords(a)} and b is ${shapeInWords(b)}; ${small} must be ${broadcastPartners(bigShape)}`;
}

/**
 * Every node left with indegree > 0 after Kahn's algorithm is on a cycle or downstream of
 * one. Walking backwards along unprocessed inputs from such a node must revisit a node: that
 * closes a cycle. Returns each cycle found, in wire direction.
 */
function findCycles(
  n: number,
  indegree: Int32Array,
  portStart: Int32Array,
  src: Int32Array,
): number[][] {
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
      for (let cell = portStart[v]; cell < portStart[v + 1]; cell++) {
        const s = src[cell];
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

/**
 * The computable nodes (all of them, without problems) in topological order as slots, with
 * their sources in slot numbers. The nodes are read in node order and written to their
 * slots, rather than read in slot order: at 10⁶ nodes a read from a random place waits for
 * memory, a write does not.
 */
function layOut(
  circuit: Circuit,
  problems: readonly Problem[],
  nodes: NodeTable,
  src: Int32Array,
  shapesByNode: readonly Shape[],
  sorted: Int32Array,
  output: number,
): Program {
  const circuitNodes = circuit.nodes;
  const n = circuitNodes.length;
  const { opOf, portStart, broken } = nodes;
  const table = nodes.ops;
  const slotOf = new Int32Array(n).fill(-1);
  let count = 0;
  for (let k = 0; k < sorted.length; k++) {
    const i = sorted[k];
    if (!broken[i] && opOf[i] >= 0) slotOf[i] = count++;
  }
  const ids: NodeId[] = new Array(count);
  const ops: OpDef[] = new Array(count);
  const shapes: Shape[] = new Array(count);
  const initial: (Tensor | undefined)[] = new Array(count).fill(undefined);
  const params: (Params | undefined)[] = new Array(count).fill(undefined);
  const slotPortStart = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) {
    const k = slotOf[i];
    if (k < 0) continue;
    const j = opOf[i];
    const node = circuitNodes[i];
    ids[k] = nodes.ids[i];
    ops[k] = table.ops[j];
    shapes[k] = shapesByNode[i];
    if (table.kinds[j] === 'source') initial[k] = node.value;
    else if (node.params !== undefined && Object.keys(node.params).length > 0) {
      params[k] = node.params;
    }
    // The number of ports for now; the running sum below makes it where they start.
    slotPortStart[k + 1] = portStart[i + 1] - portStart[i];
  }
  for (let k = 0; k < count; k++) slotPortStart[k + 1] += slotPortStart[k];
  const portSource = new Int32Array(slotPortStart[count]);
  for (let i = 0; i < n; i++) {
    const k = slotOf[i];
    if (k < 0) continue;
    let e = slotPortStart[k];
    const end = portStart[i + 1];
    for (let p = portStart[i]; p < end; p++) {
      portSource[e++] = src[p] >= 0 ? slotOf[src[p]] : -1;
    }
  }
  const outputSlot = output >= 0 ? slotOf[output] : -1;
  // The index answers with slots from now on, for Program.slot.
  nodes.index.mapTo(slotOf);
  return new Program({
    circuit,
    problems,
    ids,
    ops,
    shapes,
    portStart: slotPortStart,
    portSource,
    params,
    initial,
    reachesOutput: reachingOutput(outputSlot, slotPortStart, portSource),
    output: outputSlot,
    index: nodes.index,
  });
}

/** Which slots reach the output along wires: only those take part in the backward pass. */
function reachingOutput(output: number, portStart: Int32Array, portSource: Int32Array) {
  const reaches = new Uint8Array(portStart.length - 1);
  if (output < 0) return reaches;
  reaches[output] = 1;
  // Sources come before their gates, so nothing after the output reaches it.
  for (let k = output; k >= 0; k--) {
    if (!reaches[k]) continue;
    const end = portStart[k + 1];
    for (let p = portStart[k]; p < end; p++) if (portSource[p] >= 0) reaches[portSource[p]] = 1;
  }
  return reaches;
}
