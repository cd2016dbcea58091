import { CircuitError, type Problem } from './errors';
import { backwardCode, forwardCode, GENERAL } from './fastpath';
import {
  type BackwardPlan,
  backwardPass,
  broadcastPlan,
  type ForwardPlan,
  forwardPass,
  type GeneralGate,
} from './hotloop';
import { IdIndex } from './idindex';
import type { OpDef, Params } from './ops/types';
import { seedValues, type UpstreamSeed } from './seed';
import { broadcastIndex, formatShape, fromNested, shapeEquals, sizeOf, toValue } from './tensor';
import type { Circuit, NestedNumbers, NodeId, PortName, Shape, Tensor, Value } from './types';

/**
 * A program laid out by hand (tests do this to try an op that is not in the registry): every
 * node in topological order.
 */
export interface ProgramLayout {
  readonly circuit: Circuit;
  readonly problems: readonly Problem[];
  readonly ids: readonly NodeId[];
  readonly ops: readonly OpDef[];
  readonly shapes: readonly Shape[];
  /** For each slot, the slot feeding each of its ports, or -1 for a port holding a literal. */
  readonly sources: readonly Int32Array[];
  /** For each slot, its literals by port name (for every port whose source is -1). */
  readonly params?: readonly (Params | undefined)[];
  /** Values of input and constant nodes. */
  readonly initial: readonly (Tensor | undefined)[];
  readonly reachesOutput: Uint8Array;
  /** Slot of the output node, -1 when there is none to differentiate. */
  readonly output: number;
}

/**
 * What `compile` makes of a circuit: the same, flat, with nothing allocated per node. The
 * ports of slot s are the cells `portStart[s]` … `portStart[s + 1] - 1`, in the op's port
 * order; `portSource[cell]` is the slot feeding the port, or -1 when it holds a literal.
 */
export interface FlatProgramLayout {
  readonly circuit: Circuit;
  readonly problems: readonly Problem[];
  readonly ids: readonly NodeId[];
  readonly ops: readonly OpDef[];
  readonly shapes: readonly Shape[];
  readonly portStart: Int32Array;
  readonly portSource: Int32Array;
  /** The literals of each slot by port name, or undefined for a slot without any. */
  readonly params: readonly (Params | undefined)[];
  /** Values of input and constant nodes, by slot. */
  readonly initial: readonly (Tensor | undefined)[];
  readonly reachesOutput: Uint8Array;
  readonly output: number;
  /** Node id → slot, when compile has one already. */
  readonly index?: IdIndex;
}

/** A hand-made layout, flattened. */
function flatten(layout: ProgramLayout): FlatProgramLayout {
  const count = layout.ids.length;
  const portStart = new Int32Array(count + 1);
  for (let s = 0; s < count; s++) portStart[s + 1] = portStart[s] + layout.sources[s].length;
  const portSource = new Int32Array(portStart[count]);
  for (let s = 0; s < count; s++) portSource.set(layout.sources[s], portStart[s]);
  const params = layout.params ?? new Array<undefined>(count).fill(undefined);
  return { ...layout, portStart, portSource, params };
}

export type InputValues = Readonly<Record<string, NestedNumbers | Tensor>>;

/** Literal values to run with instead of the compiled ones: node id → port name → value. */
export type ParamOverrides = ReadonlyMap<NodeId | string, Params>;

export interface RunOptions {
  /**
   * New values for literals, without compiling again (an edit of a number inside a gate). Each
   * must have the shape of the literal it replaces.
   */
  readonly params?: ParamOverrides;
  /**
   * The upstream gradient of the output, ∂f/∂(output), the backward pass starts from: ones by
   * default (f is the sum of the output's entries), or random, one-hot or given values (see
   * `UpstreamSeed`). One of the wrong shape, or with a non-number, is refused with a
   * `CircuitError` naming both shapes or the place.
   */
  readonly seed?: UpstreamSeed;
  /**
   * An earlier evaluation of this program whose arrays this run writes into instead of
   * allocating new ones (a run of a large tensor circuit allocates megabytes). That
   * evaluation's numbers become this run's: pass one nothing else still reads.
   */
  readonly reuse?: Evaluation;
}

/**
 * A compiled circuit: compile once, run many. Every value and every gradient lives at a fixed
 * offset in flat Float64Arrays; `run` fills them with a forward pass and a backward pass.
 *
 * Reading a run without string lookups (what the store does on every edit):
 * - `slot(id)` once per node; `ids[slot]` back.
 * - values: `evaluation.values[offsets[slot] …]` (or `valueAt(slot)`); gradients the same in
 *   `evaluation.grads` (`gradAt(slot)`). A gradient exists only for nodes: literals have none.
 * - ports: the ports of slot s are the cells `portStart[s]` … `portStart[s + 1] - 1`, in the
 *   op's port order. `portSource[cell]` is the slot feeding the port (-1 for a literal), and
 *   `portValue[cell]` the offset of its value in the value array (a literal's own cells lie
 *   after every node's, at `size` and beyond).
 * - what a wire carries back: `evaluation.contributions[contributionOffset[cell] …]`, as many
 *   entries as the source's value has (or `evaluation.contribution(slot, port)`); the offset
 *   is -1 for a literal and for gates outside the backward pass.
 */
export class Program {
  readonly circuit: Circuit;
  /** Problems found by a partial compile (always empty after a strict compile). */
  readonly problems: readonly Problem[];
  /** Node ids by slot, in topological order. */
  readonly ids: readonly NodeId[];
  readonly ops: readonly OpDef[];
  readonly shapes: readonly Shape[];
  readonly portStart: Int32Array;
  readonly portSource: Int32Array;
  readonly portValue: Int32Array;
  readonly contributionOffset: Int32Array;
  /** Length of an evaluation's contributions array. */
  readonly contributionSize: number;
  /** The literals of each slot as compiled (a run may override them). */
  readonly params: readonly (Params | undefined)[];
  readonly reachesOutput: Uint8Array;
  readonly output: number;
  /** Offset of each slot's first entry in the value and gradient arrays. */
  readonly offsets: Int32Array;
  /** Entries of all nodes' values: the length of the gradient array. */
  readonly size: number;
  /** The length of the value array: every node's entries, then every literal's. */
  readonly valueSize: number;
  /** Slots of the input nodes (op `input`), in topological order. */
  readonly inputs: readonly number[];
  /** Slots of the gates (neither input nor constant), in topological order. */
  readonly gates: Int32Array;
  /**
   * Slots of the gates in the backward pass, in reverse topological order: those that reach
   * the output and have a wired port (a gate of literals only has nothing to pass back).
   */
  readonly backwardGates: Int32Array;

  private readonly slotOf: IdIndex;
  private sourceLists: readonly Int32Array[] | undefined;
  private readonly initialValues: Float64Array;
  private readonly forwardPlan: ForwardPlan;
  private readonly backwardPlan: BackwardPlan;
  /** What the plans were made from, to make others when an override changes a lowering. */
  private readonly planParts: {
    readonly flat: FlatProgramLayout;
    readonly cells: Cells;
    readonly order: GateOrder;
    readonly contributionOffset: Int32Array;
  };

  constructor(layout: ProgramLayout | FlatProgramLayout) {
    const flat = 'portStart' in layout ? layout : flatten(layout);
    this.circuit = flat.circuit;
    this.problems = flat.problems;
    this.ids = flat.ids;
    this.ops = flat.ops;
    this.shapes = flat.shapes;
    this.portStart = flat.portStart;
    this.portSource = flat.portSource;
    this.params = flat.params;
    this.reachesOutput = flat.reachesOutput;
    this.output = flat.output;
    this.slotOf = flat.index ?? indexOf(flat.ids);

    // Each step is a function of its own: V8 optimises a small function with one hot loop
    // sooner, and code optimised for one loop never has to give up on reaching the next.
    const cells = layCells(flat);
    this.offsets = cells.offsets;
    this.size = cells.size;
    this.valueSize = cells.valueSize;
    this.portValue = cells.portValue;
    this.initialValues = initialValues(flat, cells);
    const order = orderGates(flat);
    this.inputs = order.inputs;
    this.gates = order.gates;
    this.backwardGates = order.backward;
    const contributions = layContributions(flat, order.backward, cells.offsets);
    this.contributionOffset = contributions.offset;
    this.contributionSize = contributions.size;
    const plans = makePlans(flat, cells, order, contributions.offset);
    this.forwardPlan = plans.forward;
    this.backwardPlan = plans.backward;
    this.planParts = { flat, cells, order, contributionOffset: contributions.offset };
  }

  /**
   * Plans for a run whose literal overrides change how a gate is lowered (`x ** 2` runs as a
   * square; with the 2 replaced by 3 it must run as a power again), or undefined when the
   * compiled plans still fit. The overrides have been checked by `initialArray` already.
   */
  private plansFor(overrides: ParamOverrides): ReturnType<typeof makePlans> | undefined {
    let changed: (Params | undefined)[] | undefined;
    for (const [id, literals] of overrides) {
      const slot = this.slot(id);
      const op = this.ops[slot];
      if (op.kind !== 'binary' || !op.lower) continue;
      const was = this.params[slot] as Params;
      const merged: Params = Object.assign(Object.create(null), was, literals);
      if (op.lower(merged) === op.lower(was)) continue;
      changed ??= this.params.slice();
      changed[slot] = merged;
    }
    if (!changed) return undefined;
    const { flat, cells, order, contributionOffset } = this.planParts;
    return makePlans({ ...flat, params: changed }, cells, order, contributionOffset);
  }

  /** For each slot, the slot feeding each of its ports, -1 for a literal (views into `portSource`). */
  get sources(): readonly Int32Array[] {
    if (!this.sourceLists) {
      const lists: Int32Array[] = new Array(this.ids.length);
      for (let s = 0; s < lists.length; s++) {
        lists[s] = this.portSource.subarray(this.portStart[s], this.portStart[s + 1]);
      }
      this.sourceLists = lists;
    }
    return this.sourceLists;
  }

  /** Slot of a node id, or -1 if the node is not part of this program. */
  slot(id: string): number {
    return this.slotOf.get(id);
  }

  /** Names (ids) of the input nodes. */
  get inputNames(): NodeId[] {
    return this.inputs.map((s) => this.ids[s]);
  }

  /** Whether port `port` (an index into the op's ports) of slot `slot` holds a literal. */
  isLiteral(slot: number, port: number): boolean {
    return this.portSource[this.portStart[slot] + port] < 0;
  }

  /**
   * The value array with inputs, constants and literals filled in, overrides applied and
   * checked.
   */
  initialArray(overrides?: InputValues, params?: ParamOverrides): Float64Array {
    return this.fillInitial(this.initialValues.slice(), overrides, params);
  }

  /** `values` (of `valueSize` entries) filled as `initialArray` fills a new one. */
  private fillInitial(
    values: Float64Array,
    overrides?: InputValues,
    params?: ParamOverrides,
  ): Float64Array {
    if (values !== this.initialValues && values.length === this.initialValues.length) {
      values.set(this.initialValues);
    }
    if (overrides) {
      for (const name of Object.keys(overrides)) this.setInput(values, name, overrides[name]);
    }
    if (params) for (const [id, literals] of params) this.setParams(values, id, literals);
    return values;
  }

  private setInput(values: Float64Array, name: string, given: NestedNumbers | Tensor): void {
    const slot = this.slot(name);
    if (slot < 0 || this.ops[slot].name !== 'input') {
      const known = this.inputNames.join(', ') || 'none';
      throw new CircuitError([
        { message: `unknown input '${name}' (the inputs are: ${known})`, nodes: [] },
      ]);
    }
    const t = isTensorLike(given) ? given : fromNested(given);
    if (typeof t === 'string') {
      throw new CircuitError([{ message: `input ${name}: ${t}`, nodes: [this.ids[slot]] }]);
    }
    if (!shapeEquals(t.shape, this.shapes[slot])) {
      throw new CircuitError([
        {
          message: `input ${name} has shape ${formatShape(this.shapes[slot])}, got ${formatShape(t.shape)}`,
          nodes: [this.ids[slot]],
        },
      ]);
    }
    values.set(t.data, this.offsets[slot]);
  }

  private setParams(values: Float64Array, id: string, literals: Params): void {
    const slot = this.slot(id);
    if (slot < 0) {
      throw new CircuitError([
        {
          message: `a literal is given for '${id}', which is not a gate of this program`,
          nodes: [],
        },
      ]);
    }
    const op = this.ops[slot];
    const node = this.ids[slot];
    for (const port of Object.keys(literals)) {
      const p = op.ports.indexOf(port as PortName);
      const problem = (message: string): never => {
        throw new CircuitError([{ message, nodes: [node], port: port as PortName }]);
      };
      if (p < 0) {
        problem(
          op.ports.length === 0
            ? `${node}: a ${op.title} has no ports, so it takes no literal`
            : `${node}: port '${port}' takes no parameter — ${op.name} has ports ${op.ports.join(', ')}`,
        );
      }
      const cell = this.portStart[slot] + p;
      if (this.portSource[cell] >= 0) {
        problem(
          `${node}: port ${port} is wired (from ${this.ids[this.portSource[cell]]}), so it has no literal to change`,
        );
      }
      const given = literals[port];
      const was = (this.params[slot] as Params)[port];
      if (!isTensorLike(given)) problem(`${node}: the literal for port ${port} is not a tensor`);
      if (!shapeEquals(given.shape, was.shape)) {
        problem(
          `${node}: the literal in port ${port} has shape ${formatShape(was.shape)}, got ${formatShape(given.shape)}`,
        );
      }
      values.set(given.data, this.portValue[cell]);
    }
  }

  /**
   * Forward, then backward from the output seeded with `options.seed` (1, or ones for a
   * tensor output, by default).
   */
  run(inputs?: InputValues, options?: RunOptions): Evaluation {
    const reuse = options?.reuse;
    if (reuse !== undefined && reuse.program !== this) {
      throw new Error('run: `reuse` must be an evaluation of this program');
    }
    const values = reuse
      ? this.fillInitial(reuse.values, inputs, options?.params)
      : this.initialArray(inputs, options?.params);
    const seed = options?.seed === undefined ? undefined : this.seedArray(options.seed);
    const plans = options?.params ? this.plansFor(options.params) : undefined;
    const grads = reuse ? reuse.grads.fill(0) : new Float64Array(this.size);
    // Every contribution cell of the backward pass is written: no need to clear them.
    const contributions = reuse ? reuse.contributions : new Float64Array(this.contributionSize);
    if (plans) {
      forwardPass(plans.forward, values);
      if (this.output >= 0) {
        this.placeSeed(grads, seed);
        backwardPass(plans.backward, values, grads, contributions);
      }
    } else {
      this.forward(values);
      this.backward(values, grads, contributions, seed);
    }
    return new Evaluation(this, values, grads, contributions, seed);
  }

  /**
   * The entries of an upstream gradient for this program's output (see `UpstreamSeed`), to
   * pass to `backward` run after run without working it out again. Throws a `CircuitError`
   * naming the output for a seed of the wrong shape, a non-number, an index outside the
   * output; an empty array when there is no output.
   */
  seedArray(seed: UpstreamSeed): Float64Array {
    if (this.output < 0) return new Float64Array(0);
    const out = seedValues(this.shapes[this.output], seed);
    if (typeof out === 'string') {
      const id = this.ids[this.output];
      throw new CircuitError([{ message: `${id}: ${out}`, nodes: [id] }]);
    }
    return out;
  }

  /** The forward pass alone, in place. */
  forward(v: Float64Array): void {
    forwardPass(this.forwardPlan, v);
  }

  /**
   * The backward pass into a zeroed gradient array: the seed (ones, or the entries `seed`
   * gives, from `seedArray`), then += at every fork. Every contribution cell is written (its
   * contents before do not matter).
   */
  backward(v: Float64Array, g: Float64Array, c: Float64Array, seed?: Float64Array): void {
    if (this.output < 0) return;
    this.placeSeed(g, seed);
    backwardPass(this.backwardPlan, v, g, c);
  }

  private placeSeed(g: Float64Array, seed: Float64Array | undefined): void {
    const start = this.offsets[this.output];
    const end = this.offsets[this.output + 1];
    if (seed === undefined) {
      g.fill(1, start, end);
      return;
    }
    if (seed.length !== end - start) {
      throw new Error(
        `engine: a seed of ${seed.length} entries for an output of ${end - start}; make it with seedArray`,
      );
    }
    g.set(seed, start);
  }

  /** A view of one slot's entries in a flat array, as a tensor. */
  view(slot: number, array: Float64Array): Tensor {
    return {
      shape: this.shapes[slot],
      data: array.subarray(this.offsets[slot], this.offsets[slot + 1]),
    };
  }

  /** The shape of what port `port` of slot `slot` holds (its wire's source, or its literal). */
  portShape(slot: number, port: number): Shape {
    const cell = this.portStart[slot] + port;
    const src = this.portSource[cell];
    if (src >= 0) return this.shapes[src];
    return (this.params[slot] as Params)[this.ops[slot].ports[port]].shape;
  }

  /** What port `port` of slot `slot` holds in a value array, as a view. */
  portView(slot: number, port: number, values: Float64Array): Tensor {
    const shape = this.portShape(slot, port);
    const at = this.portValue[this.portStart[slot] + port];
    return { shape, data: values.subarray(at, at + sizeOf(shape)) };
  }

  /**
   * The entrywise local gradient ∂(gate)/∂(port) of an elementwise gate, in the gate's shape,
   * with its literals folded in; null for matrix ops (their Jacobian is not one number per
   * entry) and for a port that holds a literal.
   */
  localGradient(slot: number, port: number, values: Float64Array): Float64Array | null {
    const op = this.ops[slot];
    if (this.isLiteral(slot, port)) return null;
    const y = this.view(slot, values).data;
    const out = new Float64Array(y.length);
    if (op.kind === 'unary') {
      const x = this.portView(slot, 0, values).data;
      for (let i = 0; i < y.length; i++) out[i] = op.df(x[i], y[i]);
    } else if (op.kind === 'binary') {
      const a = this.portView(slot, 0, values).data;
      const b = this.portView(slot, 1, values).data;
      const local = port === 0 ? op.da : op.db;
      const out0 = this.shapes[slot];
      const sa = this.portShape(slot, 0);
      const sb = this.portShape(slot, 1);
      for (let i = 0; i < y.length; i++) {
        out[i] = local(a[broadcastIndex(sa, out0, i)], b[broadcastIndex(sb, out0, i)], y[i]);
      }
    } else if (op.kind === 'tensor' && op.local) {
      const inputs: Tensor[] = [];
      for (let q = 0; q < op.ports.length; q++) inputs.push(this.portView(slot, q, values));
      return op.local(inputs, port);
    } else {
      return null;
    }
    return out;
  }
}

/** Node id → slot, for a layout that does not bring one. A repeated id maps to its last slot. */
function indexOf(ids: readonly NodeId[]): IdIndex {
  const index = new IdIndex(ids.length, ids);
  for (let s = 0; s < ids.length; s++) index.set(ids[s], s);
  return index;
}

/**
 * Consecutive views into one new Int32Array, one per length: one allocation (and one zeroed
 * block) instead of one per array, which is most of what a small compile costs otherwise.
 */
export function int32Arrays(lengths: readonly number[]): Int32Array[] {
  let total = 0;
  for (const length of lengths) total += length;
  const buffer = new Int32Array(total);
  const views: Int32Array[] = [];
  let at = 0;
  for (const length of lengths) {
    views.push(buffer.subarray(at, at + length));
    at += length;
  }
  return views;
}

/** Where every value lives in the flat arrays. */
interface Cells {
  /** Offset of each slot's entries; the last one is `size`. */
  readonly offsets: Int32Array;
  readonly size: number;
  readonly valueSize: number;
  /** Offset in the value array of what feeds each port (its source's entries, or its literal's). */
  readonly portValue: Int32Array;
}

function layCells(layout: FlatProgramLayout): Cells {
  const { shapes, portStart, portSource, params, ops } = layout;
  const count = shapes.length;
  const offsets = new Int32Array(count + 1);
  let size = 0;
  for (let s = 0; s < count; s++) {
    const shape = shapes[s];
    size += shape.length === 0 ? 1 : sizeOf(shape);
    offsets[s + 1] = size;
  }
  const portValue = new Int32Array(portSource.length);
  let at = size;
  for (let s = 0; s < count; s++) {
    const end = portStart[s + 1];
    for (let cell = portStart[s]; cell < end; cell++) {
      const src = portSource[cell];
      if (src >= 0) {
        portValue[cell] = offsets[src];
      } else {
        portValue[cell] = at;
        const literal = (params[s] as Params)[ops[s].ports[cell - portStart[s]]];
        at += literal.data.length;
      }
    }
  }
  return { offsets, size, valueSize: at, portValue };
}

/** The value array with every input, constant and literal in place, zeros elsewhere. */
function initialValues(layout: FlatProgramLayout, cells: Cells): Float64Array {
  const { ops, initial, portStart, portSource, params } = layout;
  const { offsets, portValue } = cells;
  const values = new Float64Array(cells.valueSize);
  for (let s = 0; s < ops.length; s++) {
    const value = initial[s];
    if (value !== undefined) {
      const data = value.data;
      // One number is stored directly; anything else (a NaN too, so that its bits stay as
      // given) by copying the whole tensor.
      const x = data.length === 1 ? data[0] : Number.NaN;
      if (!Number.isNaN(x)) values[offsets[s]] = x;
      else values.set(data, offsets[s]);
    }
    const literals = params[s];
    if (literals === undefined) continue;
    const ports = ops[s].ports;
    for (let cell = portStart[s]; cell < portStart[s + 1]; cell++) {
      if (portSource[cell] < 0)
        values.set(literals[ports[cell - portStart[s]]].data, portValue[cell]);
    }
  }
  return values;
}

interface GateOrder {
  readonly inputs: number[];
  /** Gate slots in topological order. */
  readonly gates: Int32Array;
  /** The backward pass: gate slots in reverse topological order. */
  readonly backward: Int32Array;
}

function orderGates(layout: FlatProgramLayout): GateOrder {
  const { ops, portStart, portSource, reachesOutput, output } = layout;
  const inputs: number[] = [];
  let gateCount = 0;
  let backwardCount = 0;
  for (let s = 0; s < ops.length; s++) {
    if (ops[s].kind === 'source') {
      if (ops[s].name === 'input') inputs.push(s);
      continue;
    }
    gateCount++;
    if (output >= 0 && reachesOutput[s] && hasWire(portStart, portSource, s)) backwardCount++;
  }
  const [gates, backward] = int32Arrays([gateCount, backwardCount]);
  let k = 0;
  let j = backwardCount;
  for (let s = 0; s < ops.length; s++) {
    if (ops[s].kind === 'source') continue;
    gates[k++] = s;
    if (output >= 0 && reachesOutput[s] && hasWire(portStart, portSource, s)) backward[--j] = s;
  }
  return { inputs, gates, backward };
}

function hasWire(portStart: Int32Array, portSource: Int32Array, slot: number): boolean {
  for (let cell = portStart[slot]; cell < portStart[slot + 1]; cell++) {
    if (portSource[cell] >= 0) return true;
  }
  return false;
}

/**
 * A contribution cell range for every wired port of every gate in the backward pass, in the
 * order the pass writes them; -1 elsewhere.
 */
function layContributions(layout: FlatProgramLayout, backward: Int32Array, offsets: Int32Array) {
  const { portStart, portSource } = layout;
  const offset = new Int32Array(portSource.length).fill(-1);
  let size = 0;
  for (let j = 0; j < backward.length; j++) {
    const s = backward[j];
    for (let cell = portStart[s]; cell < portStart[s + 1]; cell++) {
      const src = portSource[cell];
      if (src < 0) continue;
      offset[cell] = size;
      size += offsets[src + 1] - offsets[src];
    }
  }
  return { offset, size };
}

/**
 * The arrays the passes read: per gate its case and offsets, and for gates without a fast
 * case, a descriptor made here once.
 */
function makePlans(
  layout: FlatProgramLayout,
  cells: Cells,
  order: GateOrder,
  contributionOffset: Int32Array,
): { forward: ForwardPlan; backward: BackwardPlan } {
  const { ops, shapes, portStart, portSource, params } = layout;
  const { offsets, portValue } = cells;
  const { gates, backward } = order;
  const g = gates.length;
  const nb = backward.length;
  const [fOut, fA, fB, bOut, bA, bB, bP] = int32Arrays([g, g, g, nb, nb, nb, nb]);
  const fCode = new Uint8Array(g);
  const bCode = new Uint8Array(nb);
  const fGeneral: (GeneralGate | undefined)[] = new Array(g).fill(undefined);
  const bGeneral: (GeneralGate | undefined)[] = new Array(nb).fill(undefined);
  // The fast cases of a slot, or GENERAL in both.
  const forwardOf = new Uint8Array(ops.length);
  const backwardOf = new Uint8Array(ops.length);
  // The port a fast case reads as its x, and (binary) b.
  const aOf = new Int32Array(ops.length);
  const bOf = new Int32Array(ops.length);
  const generalOf: (GeneralGate | undefined)[] = new Array(ops.length).fill(undefined);
  // fastCases depends on the op and which ports are wired: work it out once per distinct
  // pair (a circuit uses a handful; looking through them is quicker than a Map).
  const seen: OpDef[] = [];
  const seenForm: number[] = [];
  const seenCodes: number[] = [];
  for (let k = 0; k < g; k++) {
    const s = gates[k];
    const op = ops[s];
    const first = portStart[s];
    const ports = portStart[s + 1] - first;
    let fast = shapes[s].length === 0 && (op.kind === 'unary' || op.kind === 'binary');
    let f = GENERAL;
    let b = GENERAL;
    if (fast) {
      const wiredA = portSource[first] >= 0;
      const wiredB = ports > 1 && portSource[first + 1] >= 0;
      const literals = params[s];
      const lowered =
        op.kind === 'binary' && literals !== undefined && op.lower ? op.lower(literals) : undefined;
      if (lowered) {
        // The lowered op reads the one wired port.
        f = forwardCode(lowered);
        b = backwardCode(lowered, true, false);
        aOf[s] = portValue[wiredA ? first : first + 1];
      } else {
        const form = (wiredA ? 1 : 0) + (wiredB ? 2 : 0);
        let j = 0;
        while (j < seen.length && (seen[j] !== op || seenForm[j] !== form)) j++;
        if (j === seen.length) {
          seen.push(op);
          seenForm.push(form);
          // A gate of literals only is not in the backward pass: it needs no backward case.
          seenCodes.push(
            forwardCode(op),
            form === 0 ? NO_BACKWARD : backwardCode(op, wiredA, wiredB),
          );
        }
        f = seenCodes[2 * j];
        b = seenCodes[2 * j + 1];
        aOf[s] = portValue[first];
        if (ports > 1) bOf[s] = portValue[first + 1];
      }
      fast = f !== GENERAL && b !== GENERAL;
    }
    if (!fast) {
      f = GENERAL;
      b = GENERAL;
      generalOf[s] = generalGate(layout, cells, s, contributionOffset);
    }
    forwardOf[s] = f;
    backwardOf[s] = b;
    fCode[k] = f;
    fOut[k] = offsets[s];
    fA[k] = aOf[s];
    fB[k] = bOf[s];
    fGeneral[k] = generalOf[s];
  }
  for (let j = 0; j < nb; j++) {
    const s = backward[j];
    bCode[j] = backwardOf[s];
    bOut[j] = offsets[s];
    bA[j] = aOf[s];
    bB[j] = bOf[s];
    bGeneral[j] = generalOf[s];
    // The first wired port's contribution cell (a fast gate has scalar ports: the second
    // wired port's cell, if any, is the next one).
    let p = -1;
    for (let cell = portStart[s]; cell < portStart[s + 1] && p < 0; cell++) {
      p = contributionOffset[cell];
    }
    bP[j] = p;
  }
  return {
    forward: { code: fCode, out: fOut, a: fA, b: fB, general: fGeneral },
    backward: { code: bCode, out: bOut, a: bA, b: bB, p: bP, general: bGeneral },
  };
}

/** The backward case of a gate that is never in the backward pass (any number but GENERAL). */
const NO_BACKWARD = 0;

function generalGate(
  layout: FlatProgramLayout,
  cells: Cells,
  s: number,
  contributionOffset: Int32Array,
): GeneralGate {
  const { ops, shapes, portStart, portSource, params } = layout;
  const first = portStart[s];
  const count = portStart[s + 1] - first;
  const op = ops[s];
  const portShapes: Shape[] = [];
  const sizes = new Int32Array(count);
  for (let p = 0; p < count; p++) {
    const src = portSource[first + p];
    const shape = src >= 0 ? shapes[src] : (params[s] as Params)[op.ports[p]].shape;
    portShapes.push(shape);
    sizes[p] = sizeOf(shape);
  }
  return {
    op,
    inputs: cells.portValue.slice(first, first + count),
    shapes: portShapes,
    out: cells.offsets[s],
    outShape: shapes[s],
    sizes,
    outSize: sizeOf(shapes[s]),
    contributions: contributionOffset.slice(first, first + count),
    broadcast: broadcastPlan(shapes[s], portShapes),
  };
}

function isTensorLike(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'data' in x && x.data instanceof Float64Array;
}

/** A gate that turned finite inputs into a non-finite value, and why. */
export interface NonFiniteOrigin {
  readonly node: NodeId;
  readonly reason: string;
}

/**
 * The result of one run: every value, every gradient (nodes only) and every contribution,
 * readable by node id or, without a string lookup, by slot (see `Program`).
 */
export class Evaluation {
  readonly program: Program;
  /** Every node's value at `program.offsets[slot]`, then every literal's (see `portValue`). */
  readonly values: Float64Array;
  /** Every node's gradient at `program.offsets[slot]`. */
  readonly grads: Float64Array;
  /** What each wired port sends back, at `program.contributionOffset[cell]`. */
  readonly contributions: Float64Array;
  /**
   * The upstream gradient the backward pass started from, ∂f/∂(output), row-major in the
   * output's shape (empty without an output): ones unless the run was given a seed.
   */
  readonly seed: Float64Array;
  private origins: NonFiniteOrigin[] | undefined;

  /** `seed` is what the backward pass started from (ones when left out). */
  constructor(
    program: Program,
    values: Float64Array,
    grads: Float64Array,
    contributions: Float64Array,
    seed?: Float64Array,
  ) {
    this.program = program;
    this.values = values;
    this.grads = grads;
    this.contributions = contributions;
    const o = program.output;
    this.seed =
      seed ?? new Float64Array(o < 0 ? 0 : program.offsets[o + 1] - program.offsets[o]).fill(1);
  }

  /** The upstream gradient the backward pass started from, in the output's shape. */
  get seedValue(): Value | undefined {
    const o = this.program.output;
    if (o < 0) return undefined;
    return toValue({ shape: this.program.shapes[o], data: this.seed.slice() });
  }

  private slotOrThrow(id: string): number {
    const slot = this.program.slot(id);
    if (slot < 0) throw new Error(`no node '${id}' in this program`);
    return slot;
  }

  has(id: string): boolean {
    return this.program.slot(id) >= 0;
  }

  /** The value of a node: a number for a scalar, a tensor (a copy) otherwise. */
  value(id: string): Value {
    return this.valueAt(this.slotOrThrow(id));
  }

  /** ∂f/∂(node): 0 for nodes that do not reach the output. */
  grad(id: string): Value {
    return this.gradAt(this.slotOrThrow(id));
  }

  /** The value at a slot: a number for a scalar, a tensor (a copy) otherwise. */
  valueAt(slot: number): Value {
    return read(this.program, slot, this.values);
  }

  /** The gradient at a slot, like `valueAt`. */
  gradAt(slot: number): Value {
    return read(this.program, slot, this.grads);
  }

  /**
   * What port `port` (an index into the op's ports) of gate `slot` sends back to the node
   * feeding it (upstream × local gradient, in that node's shape), or undefined for a port that
   * holds a literal and for a gate outside the backward pass.
   */
  contribution(slot: number, port: number): Value | undefined {
    const p = this.program;
    const cell = p.portStart[slot] + port;
    const at = p.contributionOffset[cell];
    if (at < 0) return undefined;
    const src = p.portSource[cell];
    const shape = p.shapes[src];
    if (shape.length === 0) return this.contributions[at];
    return { shape, data: this.contributions.slice(at, at + sizeOf(shape)) };
  }

  /** The literal in port `port` of gate `slot` in this run, or undefined for a wired port. */
  literal(slot: number, port: number): Value | undefined {
    const p = this.program;
    if (!p.isLiteral(slot, port)) return undefined;
    const view = p.portView(slot, port, this.values);
    return toValue({ shape: view.shape, data: view.data.slice() });
  }

  /** The output's value f, or undefined when there is no output. */
  get outputValue(): Value | undefined {
    const o = this.program.output;
    return o < 0 ? undefined : this.valueAt(o);
  }

  /**
   * The gates (or inputs) where a NaN or ±∞ first appeared: their own inputs were all finite.
   * Computed on first use; the hot loop does not look.
   */
  nonFiniteOrigins(): readonly NonFiniteOrigin[] {
    if (this.origins) return this.origins;
    const p = this.program;
    const origins: NonFiniteOrigin[] = [];
    for (let s = 0; s < p.ids.length; s++) {
      const out = p.view(s, this.values).data;
      if (out.every(Number.isFinite)) continue;
      const ports = p.portStart[s + 1] - p.portStart[s];
      const inputs: Float64Array[] = [];
      let wiredFinite = true;
      let literalNotFinite: PortName | undefined;
      for (let port = 0; port < ports; port++) {
        const data = p.portView(s, port, this.values).data;
        inputs.push(data);
        if (data.every(Number.isFinite)) continue;
        if (p.isLiteral(s, port)) literalNotFinite ??= p.ops[s].ports[port];
        else wiredFinite = false;
      }
      if (!wiredFinite) continue;
      origins.push({
        node: p.ids[s],
        reason:
          literalNotFinite !== undefined
            ? `the literal in port ${literalNotFinite} is not a finite number`
            : explain(
                p.ops[s],
                inputs,
                inputs.map((_, port) => p.portShape(s, port)),
                p.shapes[s],
              ),
      });
    }
    this.origins = origins;
    return origins;
  }
}

function read(program: Program, slot: number, array: Float64Array): Value {
  const at = program.offsets[slot];
  const shape = program.shapes[slot];
  if (shape.length === 0) return array[at];
  return { shape, data: array.slice(at, program.offsets[slot + 1]) };
}

function explain(
  op: OpDef,
  inputs: Float64Array[],
  shapes: readonly Shape[],
  outShape: Shape,
): string {
  if (op.kind === 'source') return 'the value given is not a finite number';
  if (op.kind === 'unary' && op.domain) {
    for (const x of inputs[0]) {
      const why = op.domain(x);
      if (why) return why;
    }
  }
  if (op.kind === 'binary' && op.domain) {
    const [a, b] = inputs;
    const [sa, sb] = shapes;
    for (let i = 0, n = sizeOf(outShape); i < n; i++) {
      const why = op.domain(a[broadcastIndex(sa, outShape, i)], b[broadcastIndex(sb, outShape, i)]);
      if (why) return why;
    }
  }
  return `${op.title} overflowed: the result is too large for a 64-bit float`;
}
