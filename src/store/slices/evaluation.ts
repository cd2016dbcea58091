/**
 * The evaluation slice: what is computed from the document (the compiled program, its last
 * run and the view of it). It has no actions of its own: it follows the document, in the one
 * place every change of the document passes (see `followDocument` in ../store.ts).
 *
 * A change of structure compiles again; a change of values or literals re-runs the program
 * it has; a change of positions computes nothing. An edit of one input or one literal writes
 * that one entry into the program's input array and runs: no string is looked up beyond the
 * one edited, and nothing is copied out of the run (the view reads the run's arrays).
 */
import {
  compile,
  Evaluation,
  type Params,
  type PortName,
  type Problem,
  type Program,
  seedValues,
  shapeEquals,
  type Tensor,
} from '../../engine';
import { type Doc, docToCircuit, sameStructure } from '../document';
import { LiveView, problemsByNode, type View } from '../view';

export interface EvaluationSlice {
  /** The document compiled (partially: a circuit under construction shows what it can). */
  readonly program: Program;
  /** Its last run. */
  readonly evaluation: Evaluation;
  readonly problems: readonly Problem[];
  /** Every number, as after a whole forward and backward pass. */
  readonly liveView: LiveView;
  /** What the canvas shows: the live view, or the view at the playback cursor. */
  readonly view: View;
  /**
   * Why the document's upstream gradient could not be used (the output changed shape, say, so
   * a one-hot entry or typed values no longer fit): the run then started from ones. Null when
   * it was used.
   */
  readonly seedProblem: string | null;
}

/** What a run (or a compile and a run) produced. */
export type Evaluated = Omit<EvaluationSlice, 'view'>;

/**
 * What an edit changed, when the edit knows: lets the run write one entry instead of reading
 * the whole document. Without one, the change is worked out by comparing references.
 */
export type DocChange =
  /** The value of one input or constant (same shape: otherwise it compiles again). */
  | { readonly kind: 'value'; readonly id: string }
  /** One literal inside a gate. */
  | { readonly kind: 'param'; readonly id: string; readonly port: string }
  /** A document computed before it was committed (`prepare`). */
  | { readonly kind: 'prepared'; readonly prepared: Prepared };

/** A compiled and run document, not yet in the store. */
export interface Prepared {
  readonly doc: Doc;
  readonly evaluated: Evaluated;
  /** @internal */
  readonly inputs: RunInputs | null;
}

/** The input array of a program for one document: inputs, constants and literals in place. */
interface RunInputs {
  readonly program: Program;
  readonly nodeProblems: ReadonlyMap<string, string>;
  /** How many ports hold a literal in the program. */
  readonly literalPorts: number;
  doc: Doc;
  /** The upstream gradient's entries for `doc.seed` (undefined: ones), and why not, if not. */
  seed: SeedFor;
  readonly values: Float64Array;
}

export interface Evaluator {
  /** Compiles and runs the first document. */
  start(doc: Doc): Evaluated;
  /** Compiles and runs a document without touching the store (to check it before a load). */
  prepare(doc: Doc): Prepared;
  /**
   * What follows from replacing `state.doc` by `doc`: a new program and run, a new run, or
   * null when nothing computed changes (positions, the expression text).
   */
  after(
    state: EvaluationSlice & { readonly doc: Doc },
    doc: Doc,
    change?: DocChange,
  ): Evaluated | null;
}

/**
 * The evaluator of one store. It keeps the input array of the last run, tied to the document
 * it was filled from, so that the next edit of that document changes one entry of it.
 */
export function createEvaluator(): Evaluator {
  let current: RunInputs | null = null;

  const adopt = (prepared: Prepared): Evaluated => {
    current = prepared.inputs;
    return prepared.evaluated;
  };

  return {
    start: (doc) => adopt(prepare(doc)),
    prepare,
    after(state, doc, change) {
      if (change?.kind === 'prepared' && change.prepared.doc === doc) return adopt(change.prepared);
      const before = state.doc;
      const program = state.program;
      if (!program || !sameStructure(doc, before)) return adopt(prepare(doc));
      const seedChanged = doc.seed !== before.seed;
      if (doc.values === before.values && doc.params === before.params) {
        if (!seedChanged) return null;
        if (current === null || current.program !== program) return adopt(prepare(doc));
        current.doc = doc;
        if (current.seed.from !== doc.seed) current.seed = seedFor(program, doc);
        return evaluated(current, run(program, current.values, current.seed));
      }
      let inputs: RunInputs | null = null;
      if (
        change !== undefined &&
        current !== null &&
        current.program === program &&
        current.doc === before &&
        writeChange(current, doc, change)
      ) {
        inputs = current;
        inputs.doc = doc;
      } else if (current !== null && current.program === program) {
        inputs = refill(current, doc);
      }
      // Something the program cannot take without compiling (a new shape, say).
      if (inputs === null) return adopt(prepare(doc));
      if (inputs.seed.from !== doc.seed) inputs.seed = seedFor(program, doc);
      current = inputs;
      return evaluated(inputs, run(program, inputs.values, inputs.seed));
    },
  };
}

/** Compiles (partially: a circuit under construction still shows what it can) and runs. */
function prepare(doc: Doc): Prepared {
  const program = compile(docToCircuit(doc), { partial: true });
  let literalPorts = 0;
  for (let cell = 0; cell < program.portSource.length; cell++) {
    if (program.portSource[cell] < 0) literalPorts++;
  }
  const inputs: RunInputs = {
    program,
    nodeProblems: problemsByNode(program),
    literalPorts,
    doc,
    // The program was compiled from this document: its own initial values are the document's.
    values: program.initialArray(),
    seed: seedFor(program, doc),
  };
  return { doc, evaluated: evaluated(inputs, run(program, inputs.values, inputs.seed)), inputs };
}

function evaluated(inputs: RunInputs, evaluation: Evaluation): Evaluated {
  return {
    program: inputs.program,
    evaluation,
    problems: inputs.program.problems,
    liveView: new LiveView(evaluation, inputs.nodeProblems),
    seedProblem: inputs.seed.problem,
  };
}

/** The upstream gradient of a document for a program, worked out once per choice. */
interface SeedFor {
  /** The document's choice these entries are for. */
  readonly from: Doc['seed'];
  readonly entries: Float64Array | undefined;
  readonly problem: string | null;
}

/**
 * The entries of the document's upstream gradient for the program's output; ones, with the
 * reason, when it does not fit the output (a one-hot entry outside it, values of another
 * shape); ones without a reason when there is no output or it is a scalar.
 */
function seedFor(program: Program, doc: Doc): SeedFor {
  const from = doc.seed;
  // A scalar output always starts from 1: the choice is for tensor outputs only.
  if (from === undefined || program.output < 0 || program.shapes[program.output].length === 0) {
    return { from, entries: undefined, problem: null };
  }
  const entries = seedValues(program.shapes[program.output], from);
  if (typeof entries === 'string') return { from, entries: undefined, problem: entries };
  return { from, entries, problem: null };
}

/**
 * A forward and a backward pass from the input array (left as it is): what `Program.run`
 * does once it has filled its input array.
 */
function run(program: Program, inputs: Float64Array, seed: SeedFor): Evaluation {
  const values = inputs.slice();
  program.forward(values);
  const grads = new Float64Array(program.size);
  const contributions = new Float64Array(program.contributionSize);
  program.backward(values, grads, contributions, seed.entries);
  return new Evaluation(program, values, grads, contributions, seed.entries);
}

/**
 * Writes the one value or literal that changed into the input array. False when the program
 * cannot take it as it is (a new shape, a node it left out as broken, a literal that makes
 * the gate a different fast case): then it compiles again.
 */
function writeChange(inputs: RunInputs, doc: Doc, change: DocChange): boolean {
  const { program, values } = inputs;
  if (change.kind === 'value') {
    const slot = program.slot(change.id);
    const value = doc.values.get(change.id);
    return slot >= 0 && value !== undefined && writeValue(program, values, slot, value);
  }
  if (change.kind === 'param') {
    const slot = program.slot(change.id);
    const literals = doc.params.get(change.id);
    if (slot < 0 || literals === undefined || !Object.hasOwn(literals, change.port)) return false;
    return writeLiteral(program, values, slot, change.port, literals);
  }
  return false;
}

/**
 * The input array for a document of the same structure, filled from the document (after an
 * undo, say). Null when the program cannot take it without compiling.
 */
function refill(from: RunInputs, doc: Doc): RunInputs | null {
  const { program } = from;
  const values = program.initialArray();
  // A node the program left out (broken: an input without a value, a gate with a free port)
  // may be mended by its new value or literal: that needs a compile.
  for (const [id, value] of doc.values) {
    const slot = program.slot(id);
    if (slot < 0 ? value !== from.doc.values.get(id) : !writeValue(program, values, slot, value)) {
      return null;
    }
  }
  let literalPorts = 0;
  for (const [id, literals] of doc.params) {
    const slot = program.slot(id);
    if (slot < 0) {
      if (literals !== from.doc.params.get(id)) return null;
      continue;
    }
    for (const port of Object.keys(literals)) {
      if (!writeLiteral(program, values, slot, port, literals)) return null;
      literalPorts++;
    }
  }
  // A literal gone from a port the program reads one from.
  if (literalPorts !== from.literalPorts) return null;
  return { ...from, doc, values };
}

function writeValue(program: Program, values: Float64Array, slot: number, value: Tensor): boolean {
  if (program.ops[slot].kind !== 'source' || !shapeEquals(value.shape, program.shapes[slot])) {
    return false;
  }
  values.set(value.data, program.offsets[slot]);
  return true;
}

function writeLiteral(
  program: Program,
  values: Float64Array,
  slot: number,
  port: string,
  literals: Params,
): boolean {
  const op = program.ops[slot];
  const compiled = program.params[slot];
  const p = op.ports.indexOf(port as PortName);
  if (compiled === undefined || p < 0 || !program.isLiteral(slot, p)) return false;
  const value = literals[port];
  if (!shapeEquals(value.shape, compiled[port].shape)) return false;
  // Compile may have made the gate a cheaper op for its literals (`x ** 2` runs as a square):
  // a literal that would not make it the same op needs a new compile.
  if (op.kind === 'binary' && op.lower && op.lower(compiled) !== op.lower(literals)) return false;
  // An index (`W[1, 2]`) is checked against the shape it reads when compiling.
  if (op.kind === 'tensor' && op.syntax.subscript) return false;
  values.set(value.data, program.portValue[program.portStart[slot] + p]);
  return true;
}

/** The evaluation slice of a new store, for its first document. */
export function evaluationSlice(first: Evaluated): EvaluationSlice {
  return { ...first, view: first.liveView };
}
