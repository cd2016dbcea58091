import {
  compile,
  type Evaluation,
  forEachContribution,
  type Problem,
  type Program,
  type Tensor,
  type Value,
} from '../engine';
import { type Doc, docToCircuit, wireKey } from './document';

/** Everything the canvas shows, by node id and by wire key; rebuilt after every run. */
export interface ComputedView {
  readonly values: ReadonlyMap<string, Value>;
  readonly grads: ReadonlyMap<string, Value>;
  /** What each wire carries back (by wire key): the contribution of its target gate to its source. */
  readonly wireGrads: ReadonlyMap<string, Value>;
  /** Nodes where a NaN or ±∞ first appeared, with the reason. */
  readonly nonFinite: ReadonlyMap<string, string>;
  /** Problems attached to nodes (missing inputs, shape mismatches…). */
  readonly nodeProblems: ReadonlyMap<string, string>;
  /** Whether each node's gradient is complete; absent means complete (the live view). */
  readonly done?: ReadonlyMap<string, boolean>;
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
  // The engine takes the inputs as an object keyed by id: a null-prototype one, so that an
  // input named `__proto__` or `constructor` is an ordinary key.
  const overrides: Record<string, Tensor> = Object.create(null);
  for (const slot of program.inputs) {
    const id = program.ids[slot];
    const v = doc.values.get(id);
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
  const values = new Map<string, Value>();
  const grads = new Map<string, Value>();
  for (const id of program.ids) {
    values.set(id, evaluation.value(id));
    grads.set(id, evaluation.grad(id));
  }
  const wireGrads = new Map<string, Value>();
  forEachContribution(evaluation, (gate, port, contribution) => {
    wireGrads.set(wireKey({ to: gate, port }), contribution);
  });
  const nonFinite = new Map<string, string>();
  for (const origin of evaluation.nonFiniteOrigins()) nonFinite.set(origin.node, origin.reason);
  const nodeProblems = new Map<string, string>();
  for (const problem of program.problems) {
    const id = problem.nodes[0];
    if (id !== undefined && !nodeProblems.has(id)) nodeProblems.set(id, problem.message);
  }
  return { values, grads, wireGrads, nonFinite, nodeProblems };
}
