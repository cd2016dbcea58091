import {
  compile,
  type Evaluation,
  forEachContribution,
  type Problem,
  type Program,
  type Value,
} from '../engine';
import { type Doc, docToCircuit, wireKey } from './document';

/** Everything the canvas shows, by node id and by wire key; rebuilt after every run. */
export interface ComputedView {
  readonly values: Readonly<Record<string, Value>>;
  readonly grads: Readonly<Record<string, Value>>;
  /** What each wire carries back: the contribution of its target gate to its source. */
  readonly wireGrads: Readonly<Record<string, Value>>;
  /** Nodes where a NaN or ±∞ first appeared, with the reason. */
  readonly nonFinite: Readonly<Record<string, string>>;
  /** Problems attached to nodes (missing inputs, shape mismatches…). */
  readonly nodeProblems: Readonly<Record<string, string>>;
  /** Whether each node's gradient is complete; absent means complete (the live view). */
  readonly done?: Readonly<Record<string, boolean>>;
}

export interface Computed {
  readonly program: Program | null;
  readonly evaluation: Evaluation | null;
  readonly problems: readonly Problem[];
  /** Every number, as after a whole forward and backward pass. */
  readonly liveView: ComputedView;
}

/** Compiles (partially: a circuit under construction still shows what it can) and runs. */
export function computeAll(doc: Doc): Computed {
  const program = compile(docToCircuit(doc), { partial: true });
  return runProgram(program, doc);
}

/** Re-runs an already compiled program with the document's current input values. */
export function runProgram(program: Program, doc: Doc): Computed {
  const overrides: Record<string, (typeof doc.values)[string]> = {};
  for (const slot of program.inputs) {
    const id = program.ids[slot];
    const v = doc.values[id];
    if (v) overrides[id] = v;
  }
  const evaluation = program.run(overrides);
  return {
    program,
    evaluation,
    problems: program.problems,
    liveView: buildView(program, evaluation),
  };
}

function buildView(program: Program, evaluation: Evaluation): ComputedView {
  const values: Record<string, Value> = {};
  const grads: Record<string, Value> = {};
  for (const id of program.ids) {
    values[id] = evaluation.value(id);
    grads[id] = evaluation.grad(id);
  }
  const wireGrads: Record<string, Value> = {};
  forEachContribution(evaluation, (gate, port, contribution) => {
    wireGrads[wireKey({ to: gate, port })] = contribution;
  });
  const nonFinite: Record<string, string> = {};
  for (const origin of evaluation.nonFiniteOrigins()) nonFinite[origin.node] = origin.reason;
  const nodeProblems: Record<string, string> = {};
  for (const problem of program.problems) {
    for (const id of problem.nodes.slice(0, 1)) nodeProblems[id] ??= problem.message;
  }
  return { values, grads, wireGrads, nonFinite, nodeProblems };
}
