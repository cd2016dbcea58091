import { Evaluation, type InputValues, type ParamOverrides, type Program } from './program';
import type { UpstreamSeed } from './seed';
import { broadcastIndex, sizeOf, toValue } from './tensor';
import type { NodeId, Value } from './types';

/** Analytic against numerical gradient for one input. */
export interface GradientCheck {
  readonly node: NodeId;
  readonly analytic: Value;
  /** Centered difference (f(x+h) − f(x−h)) / 2h, entry by entry. */
  readonly numeric: Value;
  /** The largest relative error |a − n| / max(|a| + |n|, tiny) over the entries. */
  readonly relError: number;
  /** A routing gate (max, relu, abs…) changed its winner between x − h and x + h. */
  readonly nearKink: boolean;
  /**
   * `ok` ≤ 1e-7; `suspicious` up to 1e-4; `wrong` above; `kink` when the error is above
   * 1e-7 but a kink lies within ±h, so the difference quotient is not to be trusted.
   */
  readonly verdict: 'ok' | 'suspicious' | 'wrong' | 'kink';
}

const TINY = 1e-300;

export function relativeError(a: number, n: number): number {
  if (a === n) return 0;
  return Math.abs(a - n) / Math.max(Math.abs(a) + Math.abs(n), TINY);
}

/**
 * Checks every input's analytic gradient against centered differences, for a program (run at
 * `inputs`, with literals `options.params`) or for an evaluation (at the values it was run
 * with). f is Σ seed ⊙ output, the seed being the run's upstream gradient (ones unless
 * chosen otherwise, so f is the sum of the output's entries). `h`
 * defaults to 1e-5. Only inputs are varied: a literal is part of its gate, never a variable.
 */
export function numericalGradient(
  programOrEvaluation: Program | Evaluation,
  inputs?: InputValues,
  options: {
    readonly h?: number;
    readonly evaluation?: Evaluation;
    readonly params?: ParamOverrides;
    /** The upstream gradient to run with (when not given an evaluation); ones by default. */
    readonly seed?: UpstreamSeed;
  } = {},
): GradientCheck[] {
  const h = options.h ?? 1e-5;
  // Given an evaluation, check it at the input values it was run with.
  const given = programOrEvaluation instanceof Evaluation ? programOrEvaluation : undefined;
  const program = given ? given.program : (programOrEvaluation as Program);
  const evaluation =
    given ??
    options.evaluation ??
    program.run(inputs, { params: options.params, seed: options.seed });
  if (program.output < 0) return [];
  const base = given ? given.values.slice() : program.initialArray(inputs, options.params);
  const o0 = program.offsets[program.output];
  const o1 = program.offsets[program.output + 1];
  // f = Σ seed ⊙ output: the function whose gradient a run seeded with `seed` computes.
  const seed = evaluation.seed;
  const f = (values: Float64Array) => {
    program.forward(values);
    let s = 0;
    for (let i = o0; i < o1; i++) s += seed[i - o0] * values[i];
    return s;
  };
  const routing = program.gates.filter((slot) => {
    const op = program.ops[slot];
    return op.kind !== 'source' && op.branch !== undefined;
  });
  const branches = (values: Float64Array) =>
    Array.from(routing, (slot) => branchOf(program, slot, values)).join(',');

  return program.inputs.map((slot) => {
    const start = program.offsets[slot];
    const end = program.offsets[slot + 1];
    const numeric = new Float64Array(end - start);
    let relError = 0;
    let nearKink = false;
    for (let i = start; i < end; i++) {
      const plus = base.slice();
      plus[i] += h;
      const fPlus = f(plus);
      const minus = base.slice();
      minus[i] -= h;
      const fMinus = f(minus);
      numeric[i - start] = (fPlus - fMinus) / (2 * h);
      if (routing.length > 0 && branches(plus) !== branches(minus)) nearKink = true;
      relError = Math.max(relError, relativeError(evaluation.grads[i], numeric[i - start]));
    }
    const verdict =
      relError <= 1e-7 ? 'ok' : nearKink ? 'kink' : relError <= 1e-4 ? 'suspicious' : 'wrong';
    return {
      node: program.ids[slot],
      analytic: toValue({ shape: program.shapes[slot], data: evaluation.grads.slice(start, end) }),
      numeric: toValue({ shape: program.shapes[slot], data: numeric }),
      relError,
      nearKink,
      verdict,
    };
  });
}

function branchOf(program: Program, slot: number, values: Float64Array): string {
  const op = program.ops[slot];
  if (op.kind === 'unary' && op.branch) {
    return Array.from(program.portView(slot, 0, values).data, op.branch).join(' ');
  }
  if (op.kind === 'binary' && op.branch) {
    const a = program.portView(slot, 0, values).data;
    const b = program.portView(slot, 1, values).data;
    const shape = program.shapes[slot];
    const sa = program.portShape(slot, 0);
    const sb = program.portShape(slot, 1);
    const out: number[] = [];
    for (let i = 0, n = sizeOf(shape); i < n; i++) {
      out.push(op.branch(a[broadcastIndex(sa, shape, i)], b[broadcastIndex(sb, shape, i)]));
    }
    return out.join(' ');
  }
  if (op.kind === 'tensor' && op.branch) {
    const first = program.portStart[slot];
    const count = program.portStart[slot + 1] - first;
    const shapes = Array.from({ length: count }, (_, port) => program.portShape(slot, port));
    return String(
      op.branch(values, {
        inputs: program.portValue.slice(first, first + count),
        shapes,
        out: program.offsets[slot],
        outShape: program.shapes[slot],
      }),
    );
  }
  return '';
}
