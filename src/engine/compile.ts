import { CircuitError, type Problem } from './errors';
import { IdIndex } from './idindex';
import { type BinaryOp, getOp, type OpDef } from './ops';
import { int32Arrays, Program, type ProgramLayout } from './program';
import { formatShape, shapeEquals, sizeOf } from './tensor';
import type { Circuit, CircuitNode, NodeId, PortName, Shape, Tensor, Wire } from './types';

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
 *
 * Two paths give the same program. A circuit without problems (the common case: every
 * re-evaluation of a finished circuit, every benchmark) goes through `compileClean`, which
 * works in flat typed arrays and builds no message. At the first sign of a problem it gives
 * up, and `compileCarefully` starts over: it finds and words every problem, in order.
 */
export function compile(circuit: Circuit, options: CompileOptions = {}): Program {
  return compileClean(circuit) ?? compileCarefully(circuit, options);
}

/**
 * The fast path, for a circuit without problems: the same topological order, shapes and
 * layout as `compileCarefully` gives, or `undefined` at the first thing that is wrong (the
 * careful path then finds and words it). It works in flat typed arrays, a few allocations in
 * all: no object, closure or string per node or per wire, and ids indexed by an `IdIndex`
 * instead of a Map. The arrays a program exposes (ids, ops, shapes) are filled once, in slot
 * order.
 *
 * Each step is a function of its own: V8 optimises a small function with one hot loop
 * sooner, and code optimised for one loop never has to give up on reaching the next.
 */
function compileClean(circuit: Circuit): Program | undefined {
  if (circuit.output === null) return undefined;
  const nodes = readNodes(circuit.nodes);
  if (!nodes) return undefined;
  const output = nodes.index.get(circuit.output);
  if (output < 0) return undefined;
  const n = circuit.nodes.length;
  const portCount = nodes.portStart[n];
  // Every port takes exactly one wire: with as many wires as ports, none fills two ports
  // (readWires stops at that) and so none is left without one.
  if (circuit.wires.length !== portCount) return undefined;

  // Working arrays, cut from one allocation (see int32Arrays).
  const [src, consumerCount, consumerStart, consumers, indegree, order] = int32Arrays([
    portCount,
    n,
    n + 1,
    portCount,
    n,
    n,
  ]);
  // What the program keeps, from another (so that it does not keep the working arrays).
  const [slotOf, sourceStart, sourceSlots] = int32Arrays([n, n + 1, portCount]);

  if (!readWires(circuit.wires, nodes, src, consumerCount)) return undefined;
  const kahn = { consumerStart, consumers, indegree, order, slotOf };
  if (!topologicalOrder(nodes.portStart, src, consumerCount, kahn)) return undefined; // a cycle
  const slots = layOut(circuit.nodes, nodes, src, slotOf, sourceStart, sourceSlots);
  if (!slots) return undefined;
  const outputSlot = slotOf[output];
  // The index answers with slots from now on, for Program.slot.
  nodes.index.mapTo(slotOf);
  return new Program({
    circuit,
    problems: [],
    ids: slots.ids,
    ops: slots.ops,
    shapes: slots.shapes,
    sourceStart,
    sourceSlots,
    initial: slots.initial,
    reachesOutput: reachingOutput(outputSlot, sourceStart, sourceSlots),
    output: outputSlot,
    index: nodes.index,
  });
}

/** The nodes, by node index. */
interface NodeTable {
  readonly ids: NodeId[];
  readonly index: IdIndex;
  /** The ports of node i are cells portStart[i] … portStart[i + 1] - 1 of `src`. */
  readonly portStart: Int32Array;
  /** Node i has op `ops.ops[opOf[i]]`. */
  readonly opOf: Int32Array;
  readonly ops: OpTable;
  /**
   * The shape of every value, when there is nothing to infer: every input and constant holds
   * a scalar with the same shape object, and every gate is elementwise. (A unary gate has its
   * input's shape, a binary one its first input's when both are equal: so every node has
   * this very object.) Undefined otherwise.
   */
  readonly sharedScalar: Shape | undefined;
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

/** Every id into the index (once), every op looked up; undefined at the first problem. */
function readNodes(nodes: readonly CircuitNode[]): NodeTable | undefined {
  const n = nodes.length;
  const ids: NodeId[] = new Array(n);
  const index = new IdIndex(n, ids);
  const [portStart, opOf] = int32Arrays([n + 1, n]);
  const table: OpTable = { names: [], ops: [], kinds: [], ports: [] };
  const names = table.names;
  let shared: Shape | undefined;
  let uniform = true;
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    const id = node.id;
    if (typeof id !== 'string') return undefined;
    ids[i] = id;
    if (index.add(id, i) >= 0) return undefined; // a repeated id
    // Comparing the name with the few met so far is quicker than a Map lookup.
    const name = node.op;
    let j = 0;
    while (j < names.length && names[j] !== name) j++;
    if (j === names.length && !addOp(table, name)) return undefined; // an unknown op
    opOf[i] = j;
    const kind = table.kinds[j];
    if (kind === 'source') {
      const value = node.value;
      if (!value) return undefined; // an input without a value
      if (shared === undefined) shared = value.shape;
      if (value.shape !== shared || shared.length !== 0) uniform = false;
    } else if (kind === 'tensor') {
      uniform = false;
    }
    portStart[i + 1] = portStart[i] + table.ports[j].length;
  }
  return { ids, index, portStart, opOf, ops: table, sharedScalar: uniform ? shared : undefined };
}

/** Looks an op name up in the registry and adds it to the table; false if there is none. */
function addOp(table: OpTable, name: unknown): boolean {
  const op = typeof name === 'string' ? getOp(name) : undefined;
  if (op === undefined) return false;
  table.names.push(name);
  table.ops.push(op);
  table.kinds.push(op.kind);
  table.ports.push(op.ports);
  return true;
}

/**
 * Every wire into its port: src[portStart[i] + p] becomes the node feeding port p of node i,
 * and consumerCount[i] the number of ports node i feeds. False at the first problem.
 */
function readWires(
  wires: readonly Wire[],
  nodes: NodeTable,
  src: Int32Array,
  consumerCount: Int32Array,
): boolean {
  const { index, opOf, portStart } = nodes;
  const ports = nodes.ops.ports;
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
    if (from < 0 || to < 0) return false; // a wire to or from nowhere
    const port = ports[opOf[to]].indexOf(wire.port);
    if (port < 0) return false; // no such port
    const cell = portStart[to] + port;
    if (src[cell] >= 0) return false; // a port with two wires
    src[cell] = from;
    consumerCount[from]++;
  }
  return true;
}

/** Zeroed arrays for topologicalOrder, n (+ 1) or one per port long. */
interface KahnArrays {
  readonly consumerStart: Int32Array;
  readonly consumers: Int32Array;
  readonly indegree: Int32Array;
  readonly order: Int32Array;
  /** The inverse of `order`: the slot of each node. */
  readonly slotOf: Int32Array;
}

/**
 * Kahn's algorithm over the consumers in CSR form, exactly as in the careful path (so the
 * order is the same). Fills `order` and `slotOf`; false when there is a cycle.
 */
function topologicalOrder(
  portStart: Int32Array,
  src: Int32Array,
  consumerCount: Int32Array,
  { consumerStart, consumers, indegree, order, slotOf }: KahnArrays,
): boolean {
  const n = order.length;
  // From here on consumerCount[i] is where the next consumer of node i goes.
  const fill = consumerCount;
  for (let i = 0; i < n; i++) {
    consumerStart[i + 1] = consumerStart[i] + consumerCount[i];
    fill[i] = consumerStart[i];
  }
  for (let i = 0; i < n; i++) {
    const end = portStart[i + 1];
    for (let p = portStart[i]; p < end; p++) consumers[fill[src[p]]++] = i;
    indegree[i] = end - portStart[i];
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
  if (tail < n) return false;
  for (let k = 0; k < n; k++) slotOf[order[k]] = k;
  return true;
}

/** The nodes by slot, as a program takes them. */
interface SlotTable {
  readonly ids: NodeId[];
  readonly ops: OpDef[];
  readonly shapes: Shape[];
  readonly initial: (Tensor | undefined)[];
}

/**
 * Every node moves to its slot, with its sources in slot numbers (into `sourceStart` and
 * `sourceSlots`); then shapes are inferred in slot (topological) order. Undefined when shapes
 * do not fit.
 *
 * The nodes are read in node order and written to their slots, rather than read in slot
 * order: at 10⁶ nodes a read from a random place waits for memory, a write does not.
 */
function layOut(
  circuitNodes: readonly CircuitNode[],
  nodes: NodeTable,
  src: Int32Array,
  slotOf: Int32Array,
  sourceStart: Int32Array,
  sourceSlots: Int32Array,
): SlotTable | undefined {
  const portStart = nodes.portStart;
  const n = slotOf.length;
  const ids: NodeId[] = new Array(n);
  const ops: OpDef[] = new Array(n);
  const initial: (Tensor | undefined)[] = new Array(n);
  const { opOf } = nodes;
  const table = nodes.ops;
  for (let i = 0; i < n; i++) {
    const k = slotOf[i];
    const j = opOf[i];
    ids[k] = nodes.ids[i];
    ops[k] = table.ops[j];
    if (table.kinds[j] === 'source') initial[k] = circuitNodes[i].value;
    // The number of ports for now; the running sum below makes it where they start.
    sourceStart[k + 1] = portStart[i + 1] - portStart[i];
  }
  for (let k = 0; k < n; k++) sourceStart[k + 1] += sourceStart[k];
  for (let i = 0; i < n; i++) {
    let e = sourceStart[slotOf[i]];
    const end = portStart[i + 1];
    for (let p = portStart[i]; p < end; p++) sourceSlots[e++] = slotOf[src[p]];
  }
  const shapes = nodes.sharedScalar
    ? new Array<Shape>(n).fill(nodes.sharedScalar)
    : inferShapes(ops, initial, sourceStart, sourceSlots);
  return shapes && { ids, ops, shapes, initial };
}

/** Every slot's shape, each from the slots before; undefined when shapes do not fit. */
function inferShapes(
  ops: readonly OpDef[],
  initial: readonly (Tensor | undefined)[],
  sourceStart: Int32Array,
  sourceSlots: Int32Array,
): Shape[] | undefined {
  const n = ops.length;
  const shapes: Shape[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const op = ops[k];
    const first = sourceStart[k];
    let shape: Shape | string;
    if (op.kind === 'unary') {
      shape = shapes[sourceSlots[first]];
    } else if (op.kind === 'binary') {
      shape = binaryShape(op, shapes[sourceSlots[first]], shapes[sourceSlots[first + 1]]);
    } else if (op.kind === 'source') {
      shape = (initial[k] as Tensor).shape;
    } else {
      const inShapes: Shape[] = [];
      for (let p = first; p < sourceStart[k + 1]; p++) inShapes.push(shapes[sourceSlots[p]]);
      shape = op.inferShape(inShapes);
    }
    if (typeof shape === 'string') return undefined; // shapes that do not fit
    shapes[k] = shape;
  }
  return shapes;
}

/** Which slots reach the output: only those take part in the backward pass. */
function reachingOutput(output: number, sourceStart: Int32Array, sourceSlots: Int32Array) {
  const reaches = new Uint8Array(sourceStart.length - 1);
  reaches[output] = 1;
  // Sources come before their gates, so nothing after the output reaches it.
  for (let k = output; k >= 0; k--) {
    if (!reaches[k]) continue;
    const end = sourceStart[k + 1];
    for (let p = sourceStart[k]; p < end; p++) reaches[sourceSlots[p]] = 1;
  }
  return reaches;
}

/** The careful path: every problem, in a fixed order (nodes, wires, ports, cycles, shapes, output). */
function compileCarefully(circuit: Circuit, options: CompileOptions): Program {
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
    case 'binary':
      return binaryShape(op, inputs[0], inputs[1]);
    case 'tensor':
      return op.inferShape(inputs);
  }
}

/** Elementwise: the same shape, or a scalar broadcast against the other input. */
function binaryShape(op: BinaryOp, a: Shape, b: Shape): Shape | string {
  if (shapeEquals(a, b)) return a;
  if (sizeOf(a) === 1 && a.length === 0) return b;
  if (sizeOf(b) === 1 && b.length === 0) return a;
  return `${op.title} needs inputs of the same shape (or one scalar), got a: ${formatShape(a)} and b: ${formatShape(b)}`;
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
