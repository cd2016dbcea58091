import { CircuitError, type Problem } from './errors';
import type { BinaryOp, OpDef, UnaryOp } from './ops';
import { add, div, max, min, mul, neg, square, sub } from './ops/arithmetic';
import { exp, log, relu, sigmoid, tanh } from './ops/functions';
import { formatShape, fromNested, shapeEquals, sizeOf, toValue } from './tensor';
import type { Circuit, NestedNumbers, NodeId, Shape, Tensor, Value } from './types';

/** What `compile` hands to `Program`: every computable node, in topological order. */
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
  readonly sources: readonly Int32Array[];
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

  private readonly slotOf: Map<NodeId, number>;
  private readonly initialValues: Float64Array;
  // Per-gate arrays for the hot loops, indexed by position in `gates`.
  private readonly kind: Uint8Array;
  private readonly outOff: Int32Array;
  private readonly aOff: Int32Array;
  private readonly bOff: Int32Array;
  // Position in `gates` of each backward gate.
  private readonly backwardPos: Int32Array;

  constructor(layout: ProgramLayout) {
    this.circuit = layout.circuit;
    this.problems = layout.problems;
    this.ids = layout.ids;
    this.ops = layout.ops;
    this.shapes = layout.shapes;
    this.sources = layout.sources;
    this.reachesOutput = layout.reachesOutput;
    this.output = layout.output;
    const count = layout.ids.length;
    this.slotOf = new Map(layout.ids.map((id, slot) => [id, slot]));

    this.offsets = new Int32Array(count + 1);
    for (let s = 0; s < count; s++) this.offsets[s + 1] = this.offsets[s] + sizeOf(this.shapes[s]);
    this.size = this.offsets[count];

    this.initialValues = new Float64Array(this.size);
    const inputs: number[] = [];
    const gates: number[] = [];
    for (let s = 0; s < count; s++) {
      const value = layout.initial[s];
      if (this.ops[s].kind === 'source') {
        if (value) this.initialValues.set(value.data, this.offsets[s]);
        if (this.ops[s].name === 'input') inputs.push(s);
      } else {
        gates.push(s);
      }
    }
    this.inputs = inputs;
    this.gates = Int32Array.from(gates);

    const g = gates.length;
    this.kind = new Uint8Array(g);
    this.outOff = new Int32Array(g);
    this.aOff = new Int32Array(g);
    this.bOff = new Int32Array(g);
    const backward: number[] = [];
    const backwardPos: number[] = [];
    for (let k = 0; k < g; k++) {
      const s = gates[k];
      const op = this.ops[s];
      const src = this.sources[s];
      const allScalar = sizeOf(this.shapes[s]) === 1 && this.shapes[s].length === 0;
      this.outOff[k] = this.offsets[s];
      if (op.kind === 'unary' && allScalar) {
        this.kind[k] = fastCode(op);
        this.aOff[k] = this.offsets[src[0]];
      } else if (op.kind === 'binary' && allScalar) {
        this.kind[k] = fastCode(op);
        this.aOff[k] = this.offsets[src[0]];
        this.bOff[k] = this.offsets[src[1]];
      } else {
        this.kind[k] = GENERAL;
      }
    }
    for (let k = g - 1; k >= 0; k--) {
      if (this.reachesOutput[gates[k]] && this.output >= 0) {
        backward.push(gates[k]);
        backwardPos.push(k);
      }
    }
    this.backwardGates = Int32Array.from(backward);
    this.backwardPos = Int32Array.from(backwardPos);
  }

  /** Slot of a node id, or -1 if the node is not part of this program. */
  slot(id: string): number {
    return this.slotOf.get(id as NodeId) ?? -1;
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
          const ports = this.sources[slot].length;
          for (let p = 0; p < ports; p++) {
            const src = this.sources[slot][p];
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

  private forwardGate(slot: number, v: Float64Array): void {
    const op = this.ops[slot];
    const src = this.sources[slot];
    const out = this.view(slot, v);
    if (op.kind === 'unary') {
      const x = this.view(src[0], v).data;
      for (let i = 0; i < out.data.length; i++) out.data[i] = op.f(x[i]);
    } else if (op.kind === 'binary') {
      const a = this.view(src[0], v).data;
      const b = this.view(src[1], v).data;
      const sa = a.length === 1 ? 0 : 1;
      const sb = b.length === 1 ? 0 : 1;
      for (let i = 0; i < out.data.length; i++) out.data[i] = op.f(a[i * sa], b[i * sb]);
    } else if (op.kind === 'tensor') {
      op.forward(
        Array.from(src, (s) => this.view(s, v)),
        out,
      );
    }
  }

  /**
   * Adds the contribution of gate `slot` to the gradient of its port `port` into `acc`
   * (which has that input's shape): acc += upstream · local gradient. A scalar broadcast
   * against a tensor receives the sum over the tensor's entries.
   */
  vjp(slot: number, port: number, v: Float64Array, gr: Float64Array, acc: Float64Array): void {
    const op = this.ops[slot];
    const src = this.sources[slot];
    const out = this.view(slot, v);
    const up = this.view(slot, gr).data;
    if (op.kind === 'unary') {
      const x = this.view(src[0], v).data;
      unaryVjp(op, x, out.data, up, acc);
    } else if (op.kind === 'binary') {
      binaryVjp(op, port, this.view(src[0], v).data, this.view(src[1], v).data, out.data, up, acc);
    } else if (op.kind === 'tensor') {
      op.vjp(
        Array.from(src, (s) => this.view(s, v)),
        out,
        { shape: this.shapes[slot], data: up },
        port,
        acc,
      );
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
