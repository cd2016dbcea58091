/**
 * A circuit written as staged code, as the lecture notes write backpropagation: the forward
 * pass one gate per line, each named by the circuit's names, then the backward pass in
 * reverse, one line per local gradient, `=` for a variable's first contribution and `+=` for
 * every later one (gradients add up at forks), each line commented with its pattern. In
 * scalar Python, NumPy and TypeScript the backward pass is written out; in PyTorch autograd
 * does it, and the file asserts that its gradients equal the app's.
 *
 * Every line knows the playback step it belongs to (the forward step of its gate, the seed,
 * or the backward step of its gate), so the Code panel can follow playback.
 */
import { isComposite } from '../gates/composite';
import type { Evaluation, Program } from '../program';
import type { UpstreamSeed } from '../seed';
import { statementOrder } from '../steps';
import { sizeOf } from '../tensor';
import type { NodeId, Value } from '../types';
import { functionLines, GateFunctions, nonFiniteInside, torchFunctionLines } from './functions';
import { NameTable } from './names';
import { type Language, opCode, usesEntry } from './ops';
import {
  backwardStmts,
  countContributions,
  describeGate,
  forwardStmt,
  type Scope,
  type Style,
  stmtText,
} from './staged';
import { arrayText, asData, dialect, nestedText, numberText } from './text';

export type { Language } from './ops';

export const LANGUAGES: readonly { readonly id: Language; readonly title: string }[] = [
  { id: 'python', title: 'Python' },
  { id: 'numpy', title: 'NumPy' },
  { id: 'pytorch', title: 'PyTorch' },
  { id: 'typescript', title: 'TypeScript' },
];

/** The playback step a line belongs to. */
export interface LineStep {
  readonly kind: 'forward' | 'seed' | 'backward';
  readonly node: NodeId;
}

export interface CodeLine {
  readonly text: string;
  readonly step: LineStep | null;
}

export interface GeneratedCode {
  readonly available: true;
  readonly language: Language;
  readonly lines: readonly CodeLine[];
  /** The whole file, ending with a newline. */
  readonly text: string;
  /** A file name for a download: `circuit.py`, `circuit_numpy.py`, … */
  readonly filename: string;
  /** Each input and the variable its gradient ends in (`dx`), in declaration order. */
  readonly gradients: readonly { readonly node: NodeId; readonly variable: string }[];
}

export interface UnavailableCode {
  readonly available: false;
  readonly language: Language;
  /** Why this language does not apply to the circuit, and what to use instead. */
  readonly reason: string;
}

export type Code = GeneratedCode | UnavailableCode;

export interface CodeOptions {
  /**
   * How the upstream gradient at a tensor output was chosen, for the comment on its line
   * (its numbers always come from the evaluation).
   */
  readonly seed?: UpstreamSeed;
}

const FILENAMES: Record<Language, string> = {
  python: 'circuit.py',
  numpy: 'circuit_numpy.py',
  pytorch: 'circuit_torch.py',
  typescript: 'circuit.ts',
};

// ---------------------------------------------------------------------------------------------
// The generator

/**
 * Why scalar Python or TypeScript cannot write this program, or undefined when they can.
 * `name` gives a slot's variable; `where` says which program it is (`inside sigma, `).
 */
function scalarProblem(
  p: Program,
  name: (slot: number) => string,
  lists: Uint8Array,
  where = '',
): string | undefined {
  for (let s = 0; s < p.ids.length; s++) {
    if (lists[s] || (p.ops[s].name === 'index' && lists[p.portSource[p.portStart[s]]])) continue;
    const shape = p.shapes[s];
    if (shape.length > 0) {
      return `${where}${name(s)} is ${shape.length === 1 ? `a vector of ${shape[0]}` : `a ${shape.join('×')} matrix`}; this version works on plain numbers only: see NumPy or PyTorch`;
    }
    const code = opCode(p.ops[s].name);
    if (code?.kind === 'tensor') {
      return `${where}${name(s)} is a ${p.ops[s].title}, an operation on arrays; this version works on plain numbers only: see NumPy or PyTorch`;
    }
  }
  return undefined;
}

/** The first gate of a program whose op has no code (a composite has its functions). */
function withoutCode(p: Program): number {
  for (let s = 0; s < p.ids.length; s++) {
    if (!opCode(p.ops[s].name) && !isComposite(p.ops[s])) return s;
  }
  return -1;
}

/**
 * The vectors scalar Python and TypeScript write as lists, as the notes do (`w = [2, -3, -3]`,
 * read as `w[0]`): inputs and constants of one dimension that only index gates read.
 */
function listSources(p: Program): Uint8Array {
  const lists = new Uint8Array(p.ids.length);
  for (let s = 0; s < p.ids.length; s++) {
    if (p.ops[s].kind === 'source' && p.shapes[s].length === 1) lists[s] = 1;
  }
  for (let s = 0; s < p.ids.length; s++) {
    for (let cell = p.portStart[s]; cell < p.portStart[s + 1]; cell++) {
      const src = p.portSource[cell];
      if (src >= 0 && lists[src] && !(p.ops[s].name === 'index' && cell === p.portStart[s])) {
        lists[src] = 0;
      }
    }
  }
  return lists;
}

/** The first node whose value, gradient or contribution is NaN or ±∞, if any. */
function nonFinite(evaluation: Evaluation): number {
  const p = evaluation.program;
  const { values, grads, contributions } = evaluation;
  for (let s = 0; s < p.ids.length; s++) {
    for (let i = p.offsets[s]; i < p.offsets[s + 1]; i++) {
      if (!Number.isFinite(values[i]) || !Number.isFinite(grads[i])) return s;
    }
  }
  for (let s = 0; s < p.ids.length; s++) {
    for (let cell = p.portStart[s]; cell < p.portStart[s + 1]; cell++) {
      const at = p.contributionOffset[cell];
      const src = p.portSource[cell];
      if (at < 0 || src < 0) continue;
      const size = p.offsets[src + 1] - p.offsets[src];
      for (let i = at; i < at + size; i++) if (!Number.isFinite(contributions[i])) return s;
    }
  }
  return -1;
}

function seedComment(seed: UpstreamSeed | undefined, data: Float64Array, out: string): string {
  if (seed && 'kind' in seed) {
    if (seed.kind === 'random') {
      return `upstream gradient: random d${out} (seed ${seed.seed}), the app's numbers`;
    }
    if (seed.kind === 'onehot') return `upstream gradient: one entry, [${seed.index.join(', ')}]`;
    if (seed.kind === 'values') return 'upstream gradient: the values typed in';
  }
  return data.every((x) => x === 1)
    ? `upstream gradient: ones (the gradient of sum(${out}))`
    : 'upstream gradient, as the app chose it';
}

export function generateCode(
  evaluation: Evaluation,
  language: Language,
  options: CodeOptions = {},
): Code {
  const p = evaluation.program;
  const unavailable = (reason: string): UnavailableCode => ({
    available: false,
    language,
    reason,
  });
  if (p.output < 0) return unavailable('the circuit has no output f yet: choose one');
  if (p.problems.length > 0) {
    return unavailable(`the circuit does not compute yet: ${p.problems[0].message}`);
  }
  const missing = withoutCode(p);
  if (missing >= 0) {
    return unavailable(`the ${p.ops[missing].title} gate has no code in ${language} yet`);
  }

  // The composite gates, each written as functions, those it uses first.
  const fns = new GateFunctions();
  fns.collect(p);
  if (fns.problem) return unavailable(fns.problem);
  for (const { program, where } of fns.programs()) {
    const bad = withoutCode(program);
    if (bad >= 0) {
      return unavailable(
        `the ${program.ops[bad].title} gate (${where}) has no code in ${language} yet`,
      );
    }
  }

  // Names: the inputs and constants first (in the circuit's order), then the gates in order,
  // then the composites' functions.
  const order = statementOrder(p);
  const labels = new Map<string, string>();
  for (const node of p.circuit.nodes) labels.set(node.id, node.label ?? node.id);
  const names = new NameTable();
  const sources: number[] = [];
  for (const node of p.circuit.nodes) {
    const s = p.slot(node.id);
    if (s >= 0 && p.ops[s].kind === 'source') sources.push(s);
  }
  for (const s of sources) names.add(p.ids[s], labels.get(p.ids[s]) ?? p.ids[s]);
  for (const s of order.forward) names.add(p.ids[s], labels.get(p.ids[s]) ?? p.ids[s]);
  fns.name(names, language === 'pytorch');

  const lists =
    language === 'python' || language === 'typescript'
      ? listSources(p)
      : new Uint8Array(p.ids.length);
  if (language === 'python' || language === 'typescript') {
    const problem = scalarProblem(p, (s) => names.value(p.ids[s]), lists);
    if (problem) return unavailable(problem);
    for (const { program, where } of fns.programs()) {
      const inner = scalarProblem(
        program,
        (s) => program.ids[s],
        new Uint8Array(program.ids.length),
        `${where}, `,
      );
      if (inner) return unavailable(inner);
    }
  }
  if (language === 'python') {
    const bad = nonFinite(evaluation);
    const inside = bad >= 0 ? undefined : nonFiniteInside(evaluation);
    if (bad >= 0 || inside) {
      return unavailable(
        `some numbers of this circuit are NaN or infinite (at ${bad >= 0 ? names.value(p.ids[bad]) : inside}), where Python's math module raises an error instead: see NumPy`,
      );
    }
  }

  const d = dialect(language);
  const py = language !== 'typescript';
  const comment = (text: string) => (py ? `# ${text}` : `// ${text}`);
  const end = py ? '' : ';';
  const st: Style = { language, d, py, end, comment };
  const lines: CodeLine[] = [];
  const line = (text: string, step: LineStep | null = null) => lines.push({ text, step });
  const inputs = p.inputs;
  const gradients = inputs.map((s) => ({ node: p.ids[s], variable: names.grad(p.ids[s]) }));
  const stage = new Map<number, number>();
  order.forward.forEach((s, k) => {
    stage.set(s, k + 1);
  });
  const sc: Scope = {
    p,
    value: p.ids.map((id) => names.value(id)),
    literal: (slot, port) => evaluation.literal(slot, port) as Value,
    lists,
    fresh: (wanted) => names.fresh(wanted),
    cache: new Map(),
    valuesOnly: false,
    stage: (slot) => `  (${stage.get(slot)})`,
  };

  // Header
  const title = {
    python: 'The circuit as staged Python: the forward pass, then backpropagation by hand.',
    numpy: 'The circuit in NumPy: the forward pass, then backpropagation by hand.',
    pytorch: "The circuit in PyTorch: autograd's gradients, checked against the app's.",
    typescript: 'The circuit as staged TypeScript: the forward pass, then backpropagation by hand.',
  }[language];
  line(comment(title));
  if (language === 'python') line('import math');
  if (language === 'numpy') {
    line('import numpy as np');
    const programs = [p, ...fns.programs().map((x) => x.program)];
    if (programs.some((q) => q.ops.some((op) => usesEntry(op.name)))) {
      line('');
      line('');
      line('def entry(like, index, grad):');
      line('    # the gradient of like[index]: grad at that entry, 0 everywhere else');
      line('    out = np.zeros_like(like)');
      line('    out[index] = grad');
      line('    return out');
    }
  }
  if (language === 'pytorch') {
    line('import math');
    line('import torch');
    line('');
    line('');
    line('def T(v):');
    line('    return torch.tensor(v, dtype=torch.float64)');
    line('');
    line('');
    line('def check(name, leaf, app):');
    line('    app = T(app)');
    line('    grad = torch.zeros_like(app) if leaf.grad is None else leaf.grad');
    line('    ok = torch.allclose(grad, app, rtol=1e-9, atol=1e-9, equal_nan=True)');
    line("    assert ok, f'{name}: PyTorch gives {grad.tolist()}, the app {app.tolist()}'");
    line("    print(f'{name} = {grad.tolist()} (the same as the app)')");
  }
  line('');

  // The composite gates' functions
  if (fns.list.length > 0) {
    if (py) line('');
    line(
      comment(
        language === 'pytorch'
          ? 'the gates made of gates, as functions'
          : 'gates made of gates: a forward function (the value, and what the backward needs) and a backward function (the gradient of each input)',
      ),
    );
    for (const text of language === 'pytorch'
      ? torchFunctionLines(st, fns)
      : functionLines(st, fns)) {
      line(text);
    }
  }

  // Inputs and constants
  line(comment(language === 'pytorch' ? 'inputs (leaves that collect gradients)' : 'inputs'));
  for (const s of sources) {
    const name = names.value(p.ids[s]);
    const value = asData(evaluation.valueAt(s), p.shapes[s]);
    const isInput = p.ops[s].name === 'input';
    let rhs = arrayText(language, value);
    if (language === 'pytorch') {
      rhs = isInput
        ? `torch.tensor(${nestedText(language, value)}, dtype=torch.float64, requires_grad=True)`
        : `T(${nestedText(language, value)})`;
    } else if (value.shape.length === 0) {
      rhs = numberText(language, value.data[0]);
    }
    const note = isInput ? '' : `  ${comment('a constant: no gradient')}`;
    line(py ? `${name} = ${rhs}${note}` : `const ${name} = ${rhs};${note}`);
  }
  line('');

  // Forward pass
  line(comment('forward pass'));
  for (const s of order.forward) {
    const stmt = forwardStmt(st, sc, fns, s);
    line(stmtText(st, { code: stmt.code, note: `(${stage.get(s)})` }), {
      kind: 'forward',
      node: p.ids[s],
    });
  }
  line('');

  const out = p.output;
  const outName = names.value(p.ids[out]);
  const seedData = evaluation.seed;
  const outShape = p.shapes[out];

  if (language === 'pytorch') {
    line(comment('backward pass: autograd, from the upstream gradient'), {
      kind: 'seed',
      node: p.ids[out],
    });
    line(
      `${outName}.backward(T(${nestedText(language, { shape: outShape, data: seedData })}))  ${comment(seedComment(options.seed, seedData, outName))}`,
      { kind: 'seed', node: p.ids[out] },
    );
    line('');
    line(comment("the app's gradients, to 1e-9"));
    for (const s of inputs) {
      const id = p.ids[s];
      const grad = asData(evaluation.gradAt(s), p.shapes[s]);
      line(`check('${names.grad(id)}', ${names.value(id)}, ${nestedText(language, grad)})`);
    }
    const text = `${lines.map((l) => l.text).join('\n')}\n`;
    return { available: true, language, lines, text, filename: FILENAMES[language], gradients };
  }

  // Backward pass, written out
  line(comment('backward pass, in reverse'));
  const grad = (s: number) => names.grad(p.ids[s]);
  const seedStep: LineStep = { kind: 'seed', node: p.ids[out] };
  if (outShape.length === 0) {
    line(
      `${py ? '' : 'let '}${grad(out)} = ${numberText(language, seedData[0])}${end}  ${comment(`start: d${outName}/d${outName} = 1`)}`,
      seedStep,
    );
  } else {
    const cmt = comment(seedComment(options.seed, seedData, outName));
    const isOnes = seedData.every((x) => x === 1);
    const hot = options.seed && 'kind' in options.seed && options.seed.kind === 'onehot';
    if (isOnes) line(`${grad(out)} = np.ones_like(${outName})  ${cmt}`, seedStep);
    else if (hot && seedData.filter((x) => x !== 0).length === 1) {
      const at = seedData.indexOf(1);
      const index =
        outShape.length === 2 ? `${Math.floor(at / outShape[1])}, ${at % outShape[1]}` : `${at}`;
      line(`${grad(out)} = np.zeros_like(${outName})  ${cmt}`, seedStep);
      line(`${grad(out)}[${index}] = 1.0`, seedStep);
    } else {
      line(
        `${grad(out)} = ${arrayText(language, { shape: outShape, data: seedData })}  ${cmt}`,
        seedStep,
      );
    }
  }

  const counts = countContributions(p, order.backward);
  for (let s = 0; s < p.ids.length; s++) {
    if (!lists[s] || p.ops[s].name !== 'input') continue;
    const zeros = Array.from({ length: p.shapes[s][0] ?? 0 }, () => numberText(language, 0));
    line(
      `${py ? '' : 'const '}${grad(s)} = [${zeros.join(', ')}]${end}  ${comment(`${names.value(p.ids[s])} is a list: its gradient adds up entry by entry`)}`,
    );
    counts.received[s] = 1;
  }
  for (const s of order.backward) {
    const step: LineStep = { kind: 'backward', node: p.ids[s] };
    line(comment(`backprop ${names.value(p.ids[s])} = ${describeGate(st, sc, fns, s)}`), step);
    for (const stmt of backwardStmts(st, sc, fns, s, counts)) line(stmtText(st, stmt), step);
  }

  // Inputs the output does not depend on still get a gradient: 0.
  const unreached = inputs.filter((s) => counts.received[s] === 0 && s !== out);
  if (unreached.length > 0) {
    line('');
    for (const s of unreached) {
      const zero =
        language === 'numpy' ? `np.zeros_like(${names.value(p.ids[s])})` : numberText(language, 0);
      line(
        `${py ? '' : 'const '}${grad(s)} = ${zero}${end}  ${comment(`${names.value(p.ids[s])} does not reach the output`)}`,
      );
    }
  }

  line('');
  line(comment('the gradient of every input'));
  for (const { variable } of gradients) {
    line(py ? `print('${variable} =', ${variable})` : `console.log('${variable} =', ${variable});`);
  }
  const text = `${lines.map((l) => l.text).join('\n')}\n`;
  return { available: true, language, lines, text, filename: FILENAMES[language], gradients };
}

/** How many numbers a circuit's code writes out, to keep a huge one from being generated. */
export function codeSize(program: Program): number {
  let n = 0;
  for (const shape of program.shapes) n += sizeOf(shape);
  return n + program.ids.length;
}
