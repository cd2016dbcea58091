import { CircuitError, type Problem } from './errors';
import { IdIndex } from './idindex';
import type { BinaryOp, OpDef, UnaryOp } from './ops';
import { add, div, max, min, mul, neg, square, sub } from './ops/arithmetic';
import { exp, log, relu, sigmoid, tanh } from './ops/functions';
import { formatShape, fromNested, shapeEquals, sizeOf, toValue } from './tensor';
import type { Circuit, NestedNumbers, NodeId, Shape, Tensor, Value } from './types';

/**
 * A program laid out by hand (tests do this to try an op that is not in the registry), and
 * what `compile` makes of a circuit with problems: every computable node, in topological order.
 */
export interface ProgramLayout {
  readonly circuit: Circuit;
  readonly problems: readonly Problem[];
  readonly ids: readonly NodeId[];
  readonly ops: readonly OpDef[];
  readonly shapes: readonly Shape[];
  /** For each node, the slot feeding each of its ports. */
  readonly sources: readonly Int32Array[];
  /** Values of input and constant nodes. */
  readonly initial: readonly (Tensor | undefined)[];
  readonly reachesOutput: Uint8Array;
  /** Slot of the output node, -1 when there is none to differentiate. */
  readonly output: number;
}

/**
 * The same, flat: what `compile` makes of a circuit without problems, with nothing allocated
 * per node. The sources are in CSR form: the ports of slot s are fed by
 * `sourceSlots[sourceStart[s]]` … `sourceSlots[sourceStart[s + 1] - 1]`.
 */
export interface FlatProgramLayout {
  readonly circuit: Circuit;
  readonly problems: readonly Problem[];
  readonly ids: readonly NodeId[];
  readonly ops: readonly OpDef[];
  readonly shapes: readonly Shape[];
  readonly sourceStart: Int32Array;
  readonly sourceSlots: Int32Array;
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
  const sourceStart = new Int32Array(count + 1);
  for (let s = 0; s < count; s++) sourceStart[s + 1] = sourceStart[s] + layout.sources[s].length;
  const sourceSlots = new Int32Array(sourceStart[count]);
  for (let s = 0; s < count; s++) sourceSlots.set(layout.sources[s], sourceStart[s]);
  return { ...layout, sourceStart, sourceSlots };
}

export type InputValues = Readonly<Record<string, NestedNumbers | Tensor>>;

// How the hot loops treat a gate. Scalar elementwise gates take the fast path.
const UNARY = 0;
const UNARY_ROUTING = 1;
const BINARY = 2;
const BINARY_ROUTING = 3;
const GENERAL = 4;
// The common scalar ops get a case of their own in the hot loops, so that each call site there
// always calls the same function and V8 inlines it (one shared call site for every op cannot be
// inlined, and passes every number boxed). The formulas stay in the op declarations: each case
// calls the op's own f, df, da, db, exactly as the generic cases do.
const ADD = 5;
const SUB = 6;
const MUL = 7;
const DIV = 8;
const MAX = 9;
const MIN = 10;
const NEG = 11;
const SQUARE = 12;
const EXP = 13;
const LOG = 14;
const TANH = 15;
const SIGMOID = 16;
const RELU = 17;
const FAST_CODES = new Map<OpDef, number>([
  [add, ADD],
  [sub, SUB],
  [mul, MUL],
  [div, DIV],
  [max, MAX],
  [min, MIN],
  [neg, NEG],
  [square, SQUARE],
  [exp, EXP],
  [log, LOG],
  [tanh, TANH],
  [sigmoid, SIGMOID],
  [relu, RELU],
]);
/** The cases written for routing gates (an exact 0 is not multiplied by the upstream gradient). */
const FAST_ROUTING = new Set([MAX, MIN, RELU]);

/** The fast-path code of a scalar unary or binary gate. */
function fastCode(op: UnaryOp | BinaryOp): number {
  const code = FAST_CODES.get(op);
  // A fast case is only taken if it treats gradients as the op declares (routing or not).
  if (code !== undefined && FAST_ROUTING.has(code) === !!op.routes) return code;
  if (op.kind === 'unary') return op.routes ? UNARY_ROUTING : UNARY;
  return op.routes ? BINARY_ROUTING : BINARY;
}

/**
 * A compiled circuit: compile once, run many. Every value and every gradient lives at a fixed
 * offset in two flat Float64Arrays; `run` fills them with a forward pass and a backward pass.
 */
export class Program {
  readonly circuit: Circuit;
  /** Problems found by a partial compile (always empty after a strict compile). */
  readonly problems: readonly Problem[];
  /** Node ids by slot, in topological order. */
  readonly ids: readonly NodeId[];
  readonly ops: readonly OpDef[];
  readonly shapes: readonly Shape[];
  /**
   * The slots feeding the ports of each slot, flat (CSR): the ports of slot s are fed by
   * `sourceSlots[sourceStart[s]]` … `sourceSlots[sourceStart[s + 1] - 1]`.
   */
  readonly sourceStart: Int32Array;
  readonly sourceSlots: Int32Array;
  readonly reachesOutput: Uint8Array;
  readonly output: number;
  /** Offset of each slot's first entry in the value and gradient arrays. */
  readonly offsets: Int32Array;
  readonly size: number;
  /** Slots of the input nodes (op `input`), in topological order. */
  readonly inputs: readonly number[];
  /** Slots of the gates (neither input nor constant), in topological order. */
  readonly gates: Int32Array;
  /** Slots of the gates that reach the output, in reverse topological order. */
  readonly backwardGates: Int32Array;

  private readonly slotOf: IdIndex;
  /** `sources`, made on first use (from the CSR arrays), or as a hand-made layout gave them. */
  private sourceLists: readonly Int32Array[] | undefined;
  private readonly initialValues: Float64Array;
  // Per-gate arrays for the hot loops, indexed by position in `gates`.
  private readonly kind: Uint8Array;
  private readonly outOff: Int32Array;
  private readonly aOff: Int32Array;
  private readonly bOff: Int32Array;
  // Position in `gates` of each backward gate.
  private readonly backwardPos: Int32Array;

  constructor(layout: ProgramLayout | FlatProgramLayout) {
    const flat = 'sourceStart' in layout ? layout : flatten(layout);
    const { ops, reachesOutput, output } = flat;
    this.circuit = flat.circuit;
    this.problems = flat.problems;
    this.ids = flat.ids;
    this.ops = ops;
    this.shapes = flat.shapes;
    this.sourceStart = flat.sourceStart;
    this.sourceSlots = flat.sourceSlots;
    this.sourceLists = 'sourceStart' in layout ? undefined : layout.sources;
    this.reachesOutput = reachesOutput;
    this.output = output;
    this.slotOf = flat.index ?? indexOf(flat.ids);

    // Three passes over the slots, each a function of its own (V8 optimises a small function
    // with one loop sooner): sizes, then everything per slot, then the backward order.
    const { offsets, gates: g, backward: nb } = measure(flat);
    const size = offsets[ops.length];
    const [gates, outOff, aOff, bOff, backwardGates, backwardPos] = int32Arrays([
      g,
      g,
      g,
      g,
      nb,
      nb,
    ]);
    const hot: HotArrays = {
      offsets,
      initialValues: new Float64Array(size),
      gates,
      kind: new Uint8Array(g),
      outOff,
      aOff,
      bOff,
    };
    this.inputs = fillSlots(flat, hot);
    this.offsets = offsets;
    this.size = size;
    this.initialValues = hot.initialValues;
    this.gates = gates;
    this.kind = hot.kind;
    this.outOff = outOff;
    this.aOff = aOff;
    this.bOff = bOff;
    fillBackward(gates, reachesOutput, backwardGates, backwardPos);
    this.backwardGates = backwardGates;
    this.backwardPos = backwardPos;
  }

  /** For each slot, the slot feeding each of its ports (views into `sourceSlots`). */
  get sources(): readonly Int32Array[] {
    if (!this.sourceLists) {
      const lists: Int32Array[] = new Array(this.ids.length);
      for (let s = 0; s < lists.length; s++) {
        lists[s] = this.sourceSlots.subarray(this.sourceStart[s], this.sourceStart[s + 1]);
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

  /** The value array with inputs and constants filled in, overrides applied and checked. */
  initialArray(overrides?: InputValues): Float64Array {
    const values = this.initialValues.slice();
    if (!overrides) return values;
    for (const name of Object.keys(overrides)) {
      const slot = this.slot(name);
      if (slot < 0 || this.ops[slot].name !== 'input') {
        const known = this.inputNames.join(', ') || 'none';
        throw new CircuitError([
          { message: `unknown input '${name}' (the inputs are: ${known})`, nodes: [] },
        ]);
      }
      const given = overrides[name];
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
    return values;
  }

  /** Forward, then backward from the output seeded with 1 (ones for a tensor output). */
  run(inputs?: InputValues): Evaluation {
    const values = this.initialArray(inputs);
    this.forward(values);
    const grads = new Float64Array(this.size);
    this.backward(values, grads);
    return new Evaluation(this, values, grads);
  }

  /** The forward pass alone, in place. */
  forward(v: Float64Array): void {
    const { kind, outOff, aOff, bOff, ops, gates } = this;
    const g = kind.length;
    for (let k = 0; k < g; k++) {
      switch (kind[k]) {
        case ADD:
          v[outOff[k]] = add.f(v[aOff[k]], v[bOff[k]]);
          break;
        case SUB:
          v[outOff[k]] = sub.f(v[aOff[k]], v[bOff[k]]);
          break;
        case MUL:
          v[outOff[k]] = mul.f(v[aOff[k]], v[bOff[k]]);
          break;
        case DIV:
          v[outOff[k]] = div.f(v[aOff[k]], v[bOff[k]]);
          break;
        case MAX:
          v[outOff[k]] = max.f(v[aOff[k]], v[bOff[k]]);
          break;
        case MIN:
          v[outOff[k]] = min.f(v[aOff[k]], v[bOff[k]]);
          break;
        case NEG:
          v[outOff[k]] = neg.f(v[aOff[k]]);
          break;
        case SQUARE:
          v[outOff[k]] = square.f(v[aOff[k]]);
          break;
        case EXP:
          v[outOff[k]] = exp.f(v[aOff[k]]);
          break;
        case LOG:
          v[outOff[k]] = log.f(v[aOff[k]]);
          break;
        case TANH:
          v[outOff[k]] = tanh.f(v[aOff[k]]);
          break;
        case SIGMOID:
          v[outOff[k]] = sigmoid.f(v[aOff[k]]);
          break;
        case RELU:
          v[outOff[k]] = relu.f(v[aOff[k]]);
          break;
        case UNARY:
        case UNARY_ROUTING:
          v[outOff[k]] = (ops[gates[k]] as UnaryOp).f(v[aOff[k]]);
          break;
        case BINARY:
        case BINARY_ROUTING:
          v[outOff[k]] = (ops[gates[k]] as BinaryOp).f(v[aOff[k]], v[bOff[k]]);
          break;
        default:
          this.forwardGate(gates[k], v);
      }
    }
  }

  /** The backward pass into a zeroed gradient array: seed, then += at every fork. */
  backward(v: Float64Array, gr: Float64Array): void {
    if (this.output < 0) return;
    gr.fill(1, this.offsets[this.output], this.offsets[this.output + 1]);
    const { kind, outOff, aOff, bOff, ops, backwardGates, backwardPos } = this;
    const nb = backwardPos.length;
    for (let j = 0; j < nb; j++) {
      const k = backwardPos[j];
      const o = outOff[k];
      const up = gr[o];
      const a = aOff[k];
      switch (kind[k]) {
        // Binary gates: gr[a] += up · ∂y/∂a, gr[b] += up · ∂y/∂b.
        case ADD: {
          const b = bOff[k];
          const x = v[a];
          const y = v[b];
          gr[a] += up * add.da(x, y, v[o]);
          gr[b] += up * add.db(x, y, v[o]);
          break;
        }
        case SUB: {
          const b = bOff[k];
          const x = v[a];
          const y = v[b];
          gr[a] += up * sub.da(x, y, v[o]);
          gr[b] += up * sub.db(x, y, v[o]);
          break;
        }
        case MUL: {
          const b = bOff[k];
          const x = v[a];
          const y = v[b];
          gr[a] += up * mul.da(x, y, v[o]);
          gr[b] += up * mul.db(x, y, v[o]);
          break;
        }
        case DIV: {
          const b = bOff[k];
          const x = v[a];
          const y = v[b];
          gr[a] += up * div.da(x, y, v[o]);
          gr[b] += up * div.db(x, y, v[o]);
          break;
        }
        case MAX: {
          const b = bOff[k];
          const x = v[a];
          const y = v[b];
          const la = max.da(x, y, v[o]);
          const lb = max.db(x, y, v[o]);
          if (la !== 0) gr[a] += up * la;
          if (lb !== 0) gr[b] += up * lb;
          break;
        }
        case MIN: {
          const b = bOff[k];
          const x = v[a];
          const y = v[b];
          const la = min.da(x, y, v[o]);
          const lb = min.db(x, y, v[o]);
          if (la !== 0) gr[a] += up * la;
          if (lb !== 0) gr[b] += up * lb;
          break;
        }
        // Unary gates: gr[a] += up · ∂y/∂x.
        case NEG:
          gr[a] += up * neg.df(v[a], v[o]);
          break;
        case SQUARE:
          gr[a] += up * square.df(v[a], v[o]);
          break;
        case EXP:
          gr[a] += up * exp.df(v[a], v[o]);
          break;
        case LOG:
          gr[a] += up * log.df(v[a], v[o]);
          break;
        case TANH:
          gr[a] += up * tanh.df(v[a], v[o]);
          break;
        case SIGMOID:
          gr[a] += up * sigmoid.df(v[a], v[o]);
          break;
        case RELU: {
          const local = relu.df(v[a], v[o]);
          if (local !== 0) gr[a] += up * local;
          break;
        }
        case UNARY:
          gr[a] += up * (ops[backwardGates[j]] as UnaryOp).df(v[a], v[o]);
          break;
        case UNARY_ROUTING: {
          const local = (ops[backwardGates[j]] as UnaryOp).df(v[a], v[o]);
          if (local !== 0) gr[a] += up * local;
          break;
        }
        case BINARY: {
          const op = ops[backwardGates[j]] as BinaryOp;
          const b = bOff[k];
          const x = v[a];
          const y = v[b];
          gr[a] += up * op.da(x, y, v[o]);
          gr[b] += up * op.db(x, y, v[o]);
          break;
        }
        case BINARY_ROUTING: {
          const op = ops[backwardGates[j]] as BinaryOp;
          const b = bOff[k];
          const x = v[a];
          const y = v[b];
          const la = op.da(x, y, v[o]);
          const lb = op.db(x, y, v[o]);
          if (la !== 0) gr[a] += up * la;
          if (lb !== 0) gr[b] += up * lb;
          break;
        }
        default: {
          const slot = backwardGates[j];
          const first = this.sourceStart[slot];
          const ports = this.sourceStart[slot + 1] - first;
          for (let p = 0; p < ports; p++) {
            const src = this.sourceSlots[first + p];
            this.vjp(slot, p, v, gr, gr.subarray(this.offsets[src], this.offsets[src + 1]));
          }
        }
      }
    }
  }

  /** A view of one slot's entries in a flat array, as a tensor. */
  view(slot: number, array: Float64Array): Tensor {
    return {
      shape: this.shapes[slot],
      data: array.subarray(this.offsets[slot], this.offsets[slot + 1]),
    };
  }

  /** Views of the inputs of gate `slot` in a flat array, in port order. */
  private inputViews(slot: number, array: Float64Array): Tensor[] {
    const views: Tensor[] = [];
    for (let i = this.sourceStart[slot]; i < this.sourceStart[slot + 1]; i++) {
      views.push(this.view(this.sourceSlots[i], array));
    }
    return views;
  }

  private forwardGate(slot: number, v: Float64Array): void {
    const op = this.ops[slot];
    // Slots feeding port 0 and port 1 (ports a program does not have are not read).
    const first = this.sourceStart[slot];
    const src0 = this.sourceSlots[first];
    const src1 = this.sourceSlots[first + 1];
    const out = this.view(slot, v);
    if (op.kind === 'unary') {
      const x = this.view(src0, v).data;
      for (let i = 0; i < out.data.length; i++) out.data[i] = op.f(x[i]);
    } else if (op.kind === 'binary') {
      const a = this.view(src0, v).data;
      const b = this.view(src1, v).data;
      const sa = a.length === 1 ? 0 : 1;
      const sb = b.length === 1 ? 0 : 1;
      for (let i = 0; i < out.data.length; i++) out.data[i] = op.f(a[i * sa], b[i * sb]);
    } else if (op.kind === 'tensor') {
      op.forward(this.inputViews(slot, v), out);
    }
  }

  /**
   * Adds the contribution of gate `slot` to the gradient of its port `port` into `acc`
   * (which has that input's shape): acc += upstream · local gradient. A scalar broadcast
   * against a tensor receives the sum over the tensor's entries.
   */
  vjp(slot: number, port: number, v: Float64Array, gr: Float64Array, acc: Float64Array): void {
    const op = this.ops[slot];
    // Slots feeding port 0 and port 1 (ports a program does not have are not read).
    const first = this.sourceStart[slot];
    const src0 = this.sourceSlots[first];
    const src1 = this.sourceSlots[first + 1];
    const out = this.view(slot, v);
    const up = this.view(slot, gr).data;
    if (op.kind === 'unary') {
      const x = this.view(src0, v).data;
      unaryVjp(op, x, out.data, up, acc);
    } else if (op.kind === 'binary') {
      binaryVjp(op, port, this.view(src0, v).data, this.view(src1, v).data, out.data, up, acc);
    } else if (op.kind === 'tensor') {
      op.vjp(this.inputViews(slot, v), out, { shape: this.shapes[slot], data: up }, port, acc);
    }
  }
}

function unaryVjp(
  op: UnaryOp,
  x: Float64Array,
  y: Float64Array,
  up: Float64Array,
  acc: Float64Array,
): void {
  for (let i = 0; i < y.length; i++) {
    const local = op.df(x[i], y[i]);
    if (!op.routes || local !== 0) acc[i] += up[i] * local;
  }
}

function binaryVjp(
  op: BinaryOp,
  port: number,
  a: Float64Array,
  b: Float64Array,
  y: Float64Array,
  up: Float64Array,
  acc: Float64Array,
): void {
  const sa = a.length === 1 ? 0 : 1;
  const sb = b.length === 1 ? 0 : 1;
  const local = port === 0 ? op.da : op.db;
  const target = port === 0 ? sa : sb;
  for (let i = 0; i < y.length; i++) {
    const l = local(a[i * sa], b[i * sb], y[i]);
    if (!op.routes || l !== 0) acc[i * target] += up[i] * l;
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

/** Where every slot's entries are, and how many gates there are. */
interface Sizes {
  /**
   * Offset of each slot's first entry in the value and gradient arrays; the last one is
   * their length.
   */
  readonly offsets: Int32Array;
  readonly gates: number;
  /** Gates in the backward pass. */
  readonly backward: number;
}

function measure(layout: FlatProgramLayout): Sizes {
  const { ops, shapes, reachesOutput } = layout;
  const offsets = new Int32Array(ops.length + 1);
  let size = 0;
  let gates = 0;
  let backward = 0;
  for (let s = 0; s < ops.length; s++) {
    const shape = shapes[s];
    size += shape.length === 0 ? 1 : sizeOf(shape);
    offsets[s + 1] = size;
    if (ops[s].kind === 'source') continue;
    gates++;
    if (reachesOutput[s]) backward++;
  }
  return { offsets, gates, backward: layout.output < 0 ? 0 : backward };
}

/** What `fillSlots` fills (from the offsets): the initial values and the arrays the hot loops read. */
interface HotArrays {
  readonly offsets: Int32Array;
  /** The value array with every input and constant in place, zeros elsewhere. */
  readonly initialValues: Float64Array;
  /** The slots of the gates, in topological order. */
  readonly gates: Int32Array;
  // For gate k (its position in `gates`): its kind code, and the offsets of its value
  // (outOff) and, for the scalar fast cases, of its inputs a and b.
  readonly kind: Uint8Array;
  readonly outOff: Int32Array;
  readonly aOff: Int32Array;
  readonly bOff: Int32Array;
}

/** One pass over the slots fills the HotArrays; returns the slots of the inputs. */
function fillSlots(layout: FlatProgramLayout, hot: HotArrays): number[] {
  const { ops, shapes, initial, sourceStart, sourceSlots } = layout;
  const { offsets, initialValues, gates, kind, outOff, aOff, bOff } = hot;
  const inputs: number[] = [];
  // fastCode depends on the op alone: work it out once per distinct op (a circuit uses a
  // handful; looking through them is quicker than a Map).
  const seen: OpDef[] = [];
  const seenCodes: number[] = [];
  let k = 0;
  for (let s = 0; s < ops.length; s++) {
    const op = ops[s];
    const shape = shapes[s];
    const offset = offsets[s];
    if (op.kind === 'source') {
      if (op.name === 'input') inputs.push(s);
      const value = initial[s];
      if (!value) continue;
      const data = value.data;
      const x = data.length === 1 ? data[0] : Number.NaN;
      // One number is stored directly; anything else (a NaN too, so that its bits stay as
      // given) by copying the whole tensor.
      if (!Number.isNaN(x)) initialValues[offset] = x;
      else initialValues.set(data, offset);
      continue;
    }
    gates[k] = s;
    outOff[k] = offset;
    // Scalar (shape []) unary and binary gates take the fast cases.
    if (shape.length !== 0 || (op.kind !== 'unary' && op.kind !== 'binary')) {
      kind[k++] = GENERAL;
      continue;
    }
    let code = -1;
    for (let j = 0; j < seen.length; j++) {
      if (seen[j] === op) {
        code = seenCodes[j];
        break;
      }
    }
    if (code < 0) {
      code = fastCode(op);
      seen.push(op);
      seenCodes.push(code);
    }
    kind[k] = code;
    const first = sourceStart[s];
    aOff[k] = offsets[sourceSlots[first]];
    if (op.kind === 'binary') bOff[k] = offsets[sourceSlots[first + 1]];
    k++;
  }
  return inputs;
}

/** The gates that reach the output, in reverse topological order, and their positions in `gates`. */
function fillBackward(
  gates: Int32Array,
  reachesOutput: Uint8Array,
  backwardGates: Int32Array,
  positions: Int32Array,
): void {
  let j = 0;
  for (let k = gates.length - 1; j < backwardGates.length; k--) {
    if (!reachesOutput[gates[k]]) continue;
    backwardGates[j] = gates[k];
    positions[j++] = k;
  }
}

function isTensorLike(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'data' in x && x.data instanceof Float64Array;
}

/** A gate that turned finite inputs into a non-finite value, and why. */
export interface NonFiniteOrigin {
  readonly node: NodeId;
  readonly reason: string;
}

/** The result of one run: every value and every gradient, read by node id. */
export class Evaluation {
  readonly program: Program;
  readonly values: Float64Array;
  readonly grads: Float64Array;
  private origins: NonFiniteOrigin[] | undefined;

  constructor(program: Program, values: Float64Array, grads: Float64Array) {
    this.program = program;
    this.values = values;
    this.grads = grads;
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
    const slot = this.slotOrThrow(id);
    return copyValue(this.program.view(slot, this.values));
  }

  /** ∂f/∂(node): 0 for nodes that do not reach the output. */
  grad(id: string): Value {
    const slot = this.slotOrThrow(id);
    return copyValue(this.program.view(slot, this.grads));
  }

  /** The output's value f, or undefined when there is no output. */
  get outputValue(): Value | undefined {
    const o = this.program.output;
    return o < 0 ? undefined : copyValue(this.program.view(o, this.values));
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
      const src = p.sources[s];
      if (!Array.from(src).every((i) => p.view(i, this.values).data.every(Number.isFinite))) {
        continue;
      }
      origins.push({
        node: p.ids[s],
        reason: explain(
          p.ops[s],
          Array.from(src, (i) => p.view(i, this.values).data),
        ),
      });
    }
    this.origins = origins;
    return origins;
  }
}

function copyValue(t: Tensor): Value {
  return toValue({ shape: t.shape, data: t.data.slice() });
}

function explain(op: OpDef, inputs: Float64Array[]): string {
  if (op.kind === 'source') return 'the value given is not a finite number';
  if (op.kind === 'unary' && op.domain) {
    for (const x of inputs[0]) {
      const why = op.domain(x);
      if (why) return why;
    }
  }
  if (op.kind === 'binary' && op.domain) {
    const [a, b] = inputs;
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const why = op.domain(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]);
      if (why) return why;
    }
  }
  return `${op.title} overflowed: the result is too large for a 64-bit float`;
}
