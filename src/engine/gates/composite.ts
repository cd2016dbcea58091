/**
 * A composite gate as an op: one gate on the outside, a circuit of its own on the inside.
 *
 * The forward pass runs the inside's forward pass on the gate's inputs; the backward pass
 * runs the inside's backward pass from the gate's upstream gradient and hands each port what
 * its input node received. The inside is compiled once per combination of port shapes, so a
 * composite works on scalars, vectors and matrices as its gates do. A hand-written local
 * gradient replaces backprop inside for its port only after it agrees with centred
 * differences at random points; one that does not is reported and never used.
 */
import { compile } from '../compile';
import { CircuitError } from '../errors';
import type { OpDef, TensorGate, TensorOp } from '../ops';
import type { Program } from '../program';
import { mulberry32 } from '../random';
import { SCALAR, shapeEquals, sizeOf, zeros } from '../tensor';
import type { Circuit, GateDef, PortName, Shape, Tensor } from '../types';
import { type KnownFunction, recognise } from './known';

/** Looks an op up by name: the registry's, then the definitions before this one. */
export type OpLookup = (name: string) => OpDef | undefined;

/** A hand-written local gradient that disagrees with numerical differences. */
export interface DerivativeProblem {
  readonly port: PortName;
  /** The port values where they disagree, in port order. */
  readonly at: readonly number[];
  /** What the written formula gives there, and what centred differences give. */
  readonly written: number;
  readonly numerical: number;
}

export interface CompositeInfo {
  readonly def: GateDef;
  /** Every gate inside works entry by entry, so each port has a local gradient per entry. */
  readonly elementwise: boolean;
  /** The known function it computes (one port, scalars), if any. */
  readonly known: KnownFunction | undefined;
  /** For each port: its hand-written gradient passed the check and is what the gate uses. */
  readonly written: readonly boolean[];
  /** Hand-written gradients that failed the check (not used: backprop inside is). */
  readonly derivativeProblems: readonly DerivativeProblem[];
  /** The inside compiled for these port shapes, or why they do not fit. */
  bodyFor(shapes: readonly Shape[]): Body | string;
  /** The gate's value for scalar port values (NaN when the inside needs other shapes). */
  evaluate(xs: readonly number[]): number;
  /** Checks the hand-written gradients at these scalar port values (empty when they agree). */
  checkAt(xs: readonly number[]): readonly DerivativeProblem[];
}

export interface CompositeOp extends TensorOp {
  readonly composite: CompositeInfo;
}

export function isComposite(op: OpDef | undefined): op is CompositeOp {
  return op !== undefined && op.kind === 'tensor' && 'composite' in op;
}

/** The inside of a composite, compiled for one set of port shapes, with arrays to run it in. */
export interface Body {
  readonly program: Program;
  readonly values: Float64Array;
  readonly grads: Float64Array;
  readonly contributions: Float64Array;
  /** Offset of each port's input node in `values` and `grads` (-1: the inside never reads it). */
  readonly portAt: Int32Array;
  readonly portSize: Int32Array;
  readonly outAt: number;
  readonly outSize: number;
  /** The hand-written gradient of each port, compiled for the same shapes (null: none used). */
  readonly derivatives: readonly (DerivativeBody | null)[];
}

interface DerivativeBody {
  readonly program: Program;
  readonly values: Float64Array;
  readonly portAt: Int32Array;
  readonly outAt: number;
  readonly outSize: number;
}

const ELEMENTWISE_KINDS = new Set(['unary', 'binary', 'source']);

/** The inside as a circuit whose port inputs hold zeros of the given shapes. */
function withShapes(body: Circuit, ports: readonly PortName[], shapes: readonly Shape[]): Circuit {
  const shapeOf = new Map<string, Shape>();
  ports.forEach((port, i) => {
    shapeOf.set(port, shapes[i]);
  });
  return {
    nodes: body.nodes.map((node) => {
      const shape = node.op === 'input' ? shapeOf.get(node.id) : undefined;
      return shape === undefined ? node : { ...node, value: zeros(shape) };
    }),
    wires: body.wires,
    output: body.output,
  };
}

function portOffsets(program: Program, ports: readonly PortName[]): Int32Array {
  const at = new Int32Array(ports.length);
  ports.forEach((port, i) => {
    const slot = program.slot(port);
    at[i] = slot >= 0 && program.ops[slot].name === 'input' ? program.offsets[slot] : -1;
  });
  return at;
}

function firstProblem(e: unknown): string {
  if (e instanceof CircuitError) return e.problems[0]?.message ?? e.message;
  throw e;
}

/**
 * The op for one definition. `lookup` resolves the ops its inside uses (the registry's and
 * the definitions before it: a definition cannot reach itself).
 */
export function compositeOp(def: GateDef, lookup: OpLookup): CompositeOp {
  const { name, ports } = def;
  const bodies = new Map<string, Body | string>();
  const derivativeDefs = def.derivatives ?? [];

  const compileInside = (circuit: Circuit, shapes: readonly Shape[]): Program =>
    compile(withShapes(circuit, ports, shapes), { lookup });
  // A written gradient may call the gate itself (σ' = (1 − σ)·σ): it is only run forward.
  const compileDerivative = (circuit: Circuit, shapes: readonly Shape[]): Program =>
    compile(withShapes(circuit, ports, shapes), {
      lookup: (n) => (n === name ? self : lookup(n)),
    });

  const bodyFor = (shapes: readonly Shape[], useWritten = true): Body | string => {
    const key = `${useWritten ? 'w' : 'b'}${shapes.map((s) => s.join('x')).join(',')}`;
    const cached = bodies.get(key);
    if (cached !== undefined) return cached;
    let made: Body | string;
    try {
      const program = compileInside(def.body, shapes);
      const outSlot = program.output;
      const outAt = program.offsets[outSlot];
      const outShape = program.shapes[outSlot];
      const derivatives: (DerivativeBody | null)[] = ports.map((_, p) => {
        const written = derivativeDefs[p];
        if (!written || !useWritten || !info.written[p]) return null;
        // A written gradient is entrywise: it is used for a port of the output's shape or a
        // scalar port (whose gradient is the sum over the entries); a port broadcast along
        // one axis, or a formula of another shape, is left to backprop inside.
        const portSize = sizeOf(shapes[p]);
        if (portSize !== sizeOf(outShape) && portSize !== 1) return null;
        const d = compileDerivative(written.body, shapes);
        const dShape = d.shapes[d.output];
        if (!shapeEquals(dShape, outShape) && sizeOf(dShape) !== 1) return null;
        return {
          program: d,
          values: d.initialArray(),
          portAt: portOffsets(d, ports),
          outAt: d.offsets[d.output],
          outSize: sizeOf(dShape),
        };
      });
      made = {
        program,
        values: program.initialArray(),
        grads: new Float64Array(program.size),
        contributions: new Float64Array(program.contributionSize),
        portAt: portOffsets(program, ports),
        portSize: Int32Array.from(shapes, sizeOf),
        outAt,
        outSize: sizeOf(outShape),
        derivatives,
      };
    } catch (e) {
      made = `inside ${name}: ${firstProblem(e)}`;
    }
    bodies.set(key, made);
    return made;
  };

  /** Copies the gate's port values into the inside and runs its forward pass. */
  const load = (body: Body, v: Float64Array, inputs: Int32Array): void => {
    for (let p = 0; p < ports.length; p++) {
      const at = body.portAt[p];
      if (at >= 0) body.values.set(v.subarray(inputs[p], inputs[p] + body.portSize[p]), at);
    }
    body.program.forward(body.values);
  };

  const runDerivative = (
    d: DerivativeBody,
    v: Float64Array,
    inputs: Int32Array,
    sizes: Int32Array,
  ) => {
    for (let p = 0; p < ports.length; p++) {
      const at = d.portAt[p];
      if (at >= 0) d.values.set(v.subarray(inputs[p], inputs[p] + sizes[p]), at);
    }
    d.program.forward(d.values);
    return d.values.subarray(d.outAt, d.outAt + d.outSize);
  };

  // The last gate whose backward pass ran inside, so that its other ports reuse it.
  let lastGate: TensorGate | undefined;
  let lastPort = -1;

  // The forward pass needs no written gradients (so checking them, which runs the gate
  // forward, never waits on the check itself); the backward pass uses them.
  const bodyOf = (gate: TensorGate, useWritten: boolean): Body => {
    const body = bodyFor(gate.shapes, useWritten);
    if (typeof body === 'string') throw new Error(`engine: ${body}`);
    return body;
  };

  /** The scalar gate's value (no written gradients needed). */
  const evaluate = (xs: readonly number[]): number => {
    const body = bodyFor(
      ports.map(() => SCALAR),
      false,
    );
    if (typeof body === 'string') return Number.NaN;
    const v = Float64Array.from(xs);
    load(
      body,
      v,
      Int32Array.from(xs, (_, i) => i),
    );
    return body.values[body.outAt];
  };

  /** ∂gate/∂port by centred differences at scalar xs, with two steps; NaN when they disagree. */
  const numerical = (xs: readonly number[], p: number): number => {
    const at = (h: number) => {
      const plus = xs.slice();
      const minus = xs.slice();
      plus[p] += h;
      minus[p] -= h;
      return (evaluate(plus) - evaluate(minus)) / (2 * h);
    };
    const h = 1e-5 * Math.max(1, Math.abs(xs[p]));
    const coarse = at(h);
    const fine = at(h / 4);
    return Math.abs(coarse - fine) <= 1e-5 * Math.max(1, Math.abs(fine)) ? fine : Number.NaN;
  };

  const writtenAt = (p: number, xs: readonly number[]): number => {
    const written = derivativeDefs[p];
    if (!written) return Number.NaN;
    try {
      const d = compileDerivative(
        written.body,
        ports.map(() => SCALAR),
      );
      const values = d.initialArray();
      portOffsets(d, ports).forEach((at, i) => {
        if (at >= 0) values[at] = xs[i];
      });
      d.forward(values);
      return values[d.offsets[d.output]];
    } catch (e) {
      firstProblem(e);
      return Number.NaN;
    }
  };

  const disagreement = (p: number, xs: readonly number[]): DerivativeProblem | undefined => {
    const value = evaluate(xs);
    if (!Number.isFinite(value)) return undefined;
    const n = numerical(xs, p);
    if (!Number.isFinite(n)) return undefined;
    const w = writtenAt(p, xs);
    if (Number.isFinite(w) && Math.abs(w - n) <= 1e-4 * Math.max(1, Math.abs(n))) return undefined;
    return { port: ports[p], at: xs.slice(), written: w, numerical: n };
  };

  // The check at random points, once per definition: a formula must agree at every point
  // where the gate and the differences are finite (a kink or a point outside the domain is
  // skipped), at 2 points at least.
  let checked: { written: boolean[]; problems: DerivativeProblem[] } | undefined;
  const check = () => {
    if (checked) return checked;
    const written = ports.map(() => false);
    const problems: DerivativeProblem[] = [];
    const random = mulberry32(0x5eed);
    ports.forEach((_, p) => {
      if (!derivativeDefs[p]) return;
      let agreed = 0;
      let problem: DerivativeProblem | undefined;
      for (let k = 0; k < 40 && problem === undefined; k++) {
        // Half the points anywhere in [−3, 3], half positive (for log and sqrt).
        const xs = ports.map(() => (k % 2 === 0 ? 6 * random() - 3 : 0.05 + 3 * random()));
        if (!Number.isFinite(evaluate(xs)) || !Number.isFinite(numerical(xs, p))) continue;
        problem = disagreement(p, xs);
        if (problem === undefined) agreed++;
      }
      if (problem) problems.push(problem);
      else if (agreed >= 2) written[p] = true;
      else {
        problems.push({ port: ports[p], at: [], written: Number.NaN, numerical: Number.NaN });
      }
    });
    checked = { written, problems };
    return checked;
  };

  let elementwise: boolean | undefined;
  let known: KnownFunction | undefined | null;

  const info: CompositeInfo = {
    def,
    get elementwise() {
      elementwise ??= def.body.nodes.every((node) => {
        const op = lookup(node.op);
        if (op === undefined) return false;
        if (isComposite(op)) return op.composite.elementwise;
        return ELEMENTWISE_KINDS.has(op.kind);
      });
      return elementwise;
    },
    get known() {
      if (known === undefined) {
        known = (ports.length === 1 && info.elementwise && recognise((x) => evaluate([x]))) || null;
      }
      return known ?? undefined;
    },
    get written() {
      return check().written;
    },
    get derivativeProblems() {
      return check().problems;
    },
    bodyFor: (shapes) => bodyFor(shapes),
    evaluate,
    checkAt: (xs) => {
      const out: DerivativeProblem[] = [];
      ports.forEach((_, p) => {
        if (!derivativeDefs[p]) return;
        const problem = disagreement(p, xs);
        if (problem) out.push(problem);
      });
      return out;
    },
  };

  const texName = `\\operatorname{${name.replace(/_/g, '\\_')}}`;
  const portList = ports.join(', ');
  const gradTex = (p: number): string => {
    const port = ports[p];
    const partial = `\\frac{\\partial}{\\partial ${port}}`;
    const k = info.known;
    if (k) return `${partial} = ${k.localTex}`;
    if (info.written[p]) return `${partial} = \\text{${escapeText(derivativeDefs[p]?.text ?? '')}}`;
    return `${partial} = \\text{backprop inside ${escapeText(name)}}`;
  };

  const self: CompositeOp = {
    kind: 'tensor',
    name,
    title: `${name} gate`,
    family: 'custom',
    symbol: name,
    ports,
    formula: `${texName}(${portList})`,
    get localGradFormulas() {
      return ports.map((_, p) => gradTex(p));
    },
    syntax: { call: { name } },
    paramLabel: (params) =>
      Object.keys(params).length === 0
        ? name
        : `${name}(${ports.map((port) => (Object.hasOwn(params, port) ? literalText(params[port]) : port)).join(', ')})`,
    paramSpeech: () => `${name} gate`,
    paramGradTex: (params) =>
      ports.map((port, p) => (Object.hasOwn(params, port) ? null : gradTex(p))),
    presets: [],
    composite: info,
    inferShape: (shapes) => {
      const body = bodyFor(shapes, false);
      if (typeof body === 'string') return body;
      return body.program.shapes[body.program.output];
    },
    forward: (v, gate) => {
      const body = bodyOf(gate, false);
      load(body, v, gate.inputs);
      v.set(body.values.subarray(body.outAt, body.outAt + body.outSize), gate.out);
      lastGate = undefined;
    },
    vjp: (v, g, gate, port, acc, at) => {
      const body = bodyOf(gate, true);
      const size = body.portSize[port];
      const up = g.subarray(gate.out, gate.out + body.outSize);
      const d = body.derivatives[port];
      if (d) {
        const local = runDerivative(d, v, gate.inputs, body.portSize);
        if (size === body.outSize) {
          for (let i = 0; i < size; i++) acc[at + i] += up[i] * local[d.outSize === 1 ? 0 : i];
        } else {
          // A scalar port beside a tensor output: the sum over the entries it reaches.
          let sum = 0;
          for (let i = 0; i < body.outSize; i++) sum += up[i] * local[d.outSize === 1 ? 0 : i];
          acc[at] += sum;
        }
        return;
      }
      if (gate !== lastGate || port <= lastPort) {
        load(body, v, gate.inputs);
        body.grads.fill(0);
        body.program.backward(body.values, body.grads, body.contributions, up.slice());
        lastGate = gate;
      }
      lastPort = port;
      const from = body.portAt[port];
      if (from < 0) return;
      for (let i = 0; i < size; i++) acc[at + i] += body.grads[from + i];
    },
    local: (inputs, port) => {
      const shapes = inputs.map((t) => t.shape);
      const body = bodyFor(shapes);
      if (typeof body === 'string' || !info.elementwise) return null;
      if (body.portSize[port] !== body.outSize) return null;
      const v = new Float64Array(inputs.reduce((n, t) => n + t.data.length, 0));
      const offsets = new Int32Array(inputs.length);
      let o = 0;
      inputs.forEach((t, i) => {
        offsets[i] = o;
        v.set(t.data, o);
        o += t.data.length;
      });
      const d = body.derivatives[port];
      if (d) return runDerivative(d, v, offsets, body.portSize).slice();
      load(body, v, offsets);
      body.grads.fill(0);
      body.program.backward(
        body.values,
        body.grads,
        body.contributions,
        new Float64Array(body.outSize).fill(1),
      );
      lastGate = undefined;
      const from = body.portAt[port];
      if (from < 0) return new Float64Array(body.outSize);
      return body.grads.slice(from, from + body.outSize);
    },
  };
  return self;
}

function escapeText(text: string): string {
  return text.replace(/[\\{}$&#^_%~]/g, (c) => `\\${c}`);
}

function literalText(t: Tensor): string {
  return t.data.length === 1 ? String(t.data[0]) : `[${t.shape.join('×')}]`;
}
