/**
 * The backward check: each line of a hand-written backward pass, evaluated at the current
 * point, beside what backpropagation gives for the same contribution.
 *
 * A statement `v = g(a, b, …)` of the forward pass sends `dv · ∂g/∂a` back to `a`; that is one
 * contribution, and `a`'s gradient is the sum of the contributions of every statement that
 * reads it (gradients add up at forks). A backward line `da = …` or `da += …` computes one
 * contribution (or several): which one is read from the gradients it uses (`dsigx` in
 * `dx += ((1 - sigx) * sigx) * dsigx` says: through `sigx`), else from its number. Each line is
 * judged on its own: the gradients it reads stand at backprop's values, so one slip is
 * reported once, not on every line after it. Assigning with `=` what already holds a
 * contribution overwrites it; a contribution no line adds is missing.
 *
 * Values are computed by the engine itself: the line's right-hand side is lowered to the
 * app's language and run as a small circuit, so it means exactly what the forward pass means.
 */
import { compile } from '../compile';
import { formatShort } from '../format';
import { parse } from '../parse';
import type { Evaluation } from '../program';
import { formatShape, scalar, shapeEquals } from '../tensor';
import type { CircuitNode, Shape, Tensor, Value } from '../types';
import type { BackwardLine, BackwardValue, LoweredPython } from './lower';

export type FindingStatus = 'correct' | 'wrong' | 'unchecked';

export interface BackwardFinding {
  readonly line: number;
  readonly status: FindingStatus;
  /** The finding in words, starting `line N: `. */
  readonly text: string;
  /** What backpropagation gives, for a line that is not correct (when there is a number). */
  readonly expected?: Tensor;
}

/** One contribution to a name's gradient: from a forward statement, or the output's seed. */
interface Contribution {
  /** The reading statement's node (or `seed` for the output's own upstream gradient). */
  readonly from: string;
  /** The Python name of the reading statement, for messages. */
  readonly name: string;
  readonly line: number;
  readonly source: string;
  readonly value: Tensor;
  /** ∂f/∂(reader): the reader's own gradient. */
  readonly upstream?: Tensor;
}

const SEED = '\u0000seed';

function asTensor(v: Value): Tensor {
  return typeof v === 'number' ? scalar(v) : v;
}

function add(a: Tensor, b: Tensor): Tensor {
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] + (b.data[i] ?? 0);
  return { shape: a.shape, data };
}

function close(a: Tensor, b: Tensor): boolean {
  if (a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (Object.is(x, y)) continue;
    if (!(Math.abs(x - y) <= 1e-9 + 1e-6 * Math.max(Math.abs(x), Math.abs(y)))) return false;
  }
  return true;
}

/** A value as a message writes it: `0.1966`, `[0.3932, -0.5898]`. */
function show(t: Tensor): string {
  if (t.data.length === 1 && t.shape.length === 0) return formatShort(t.data[0]);
  if (t.shape.length === 1 || t.data.length <= 6) {
    const entries = Array.from(t.data.slice(0, 6), (x) => formatShort(x)).join(', ');
    return `[${entries}${t.data.length > 6 ? ', …' : ''}]`;
  }
  return `a ${formatShape(t.shape)} matrix`;
}

/** Whether a finding list entry for `line` should come before one for `other`. */
function byLine(a: BackwardFinding, b: BackwardFinding): number {
  return a.line - b.line;
}

/**
 * Checks the backward lines of pasted Python against the evaluation of its forward pass
 * (the circuit built from it, at the current inputs). One finding per backward line, in
 * line order, and one for each contribution no line adds.
 */
export function checkBackward(python: LoweredPython, evaluation: Evaluation): BackwardFinding[] {
  const program = evaluation.program;
  const forwardNodes = new Map(python.forward.map((f) => [f.node, f] as const));
  const statementOrder = new Map(python.forward.map((f, i) => [f.node, i] as const));

  // The statement each gate belongs to: a named gate is its own; an unnamed one belongs to
  // the statement of the gate reading it (inside a statement, an unnamed gate has one reader).
  const count = program.ids.length;
  const reader = new Int32Array(count).fill(-1);
  for (let g = 0; g < count; g++) {
    for (let cell = program.portStart[g]; cell < program.portStart[g + 1]; cell++) {
      const src = program.portSource[cell];
      if (src >= 0 && !forwardNodes.has(program.ids[src])) reader[src] = g;
    }
  }
  const rootOf = (slot: number): number => {
    let s = slot;
    for (let guard = 0; guard < count && !forwardNodes.has(program.ids[s]); guard++) {
      if (reader[s] < 0) return -1;
      s = reader[s];
    }
    return forwardNodes.has(program.ids[s]) ? s : -1;
  };

  // Every contribution, by the node that receives it.
  const contributions = new Map<string, Map<string, Contribution>>();
  for (let g = 0; g < count; g++) {
    const root = rootOf(g);
    if (root < 0) continue;
    const stmt = forwardNodes.get(program.ids[root]);
    if (stmt === undefined) continue;
    const ports = program.portStart[g + 1] - program.portStart[g];
    for (let port = 0; port < ports; port++) {
      const src = program.portSource[program.portStart[g] + port];
      if (src < 0) continue;
      const to = program.ids[src];
      if (!forwardNodes.has(to) || to === stmt.node) continue;
      const sent = evaluation.contribution(g, port);
      const value =
        sent === undefined
          ? {
              shape: program.shapes[src],
              data: new Float64Array(asTensor(evaluation.valueAt(src)).data.length),
            }
          : asTensor(sent);
      let byReader = contributions.get(to);
      if (!byReader) {
        byReader = new Map();
        contributions.set(to, byReader);
      }
      const before = byReader.get(stmt.node);
      byReader.set(stmt.node, {
        from: stmt.node,
        name: stmt.name,
        line: stmt.line,
        source: stmt.source,
        value: before ? add(before.value, value) : value,
        upstream: asTensor(evaluation.gradAt(root)),
      });
    }
  }
  const outputId = program.output >= 0 ? program.ids[program.output] : undefined;
  if (outputId !== undefined && forwardNodes.has(outputId)) {
    const stmt = forwardNodes.get(outputId);
    const seed = evaluation.seedValue;
    if (stmt && seed !== undefined) {
      let byReader = contributions.get(outputId);
      if (!byReader) {
        byReader = new Map();
        contributions.set(outputId, byReader);
      }
      byReader.set(SEED, {
        from: SEED,
        name: 'the output',
        line: stmt.line,
        source: stmt.source,
        value: asTensor(seed),
      });
    }
  }
  const consumersOf = (node: string): Contribution[] =>
    [...(contributions.get(node)?.values() ?? [])].sort(
      (a, b) => (statementOrder.get(a.from) ?? 1e9) - (statementOrder.get(b.from) ?? 1e9),
    );

  const findings: BackwardFinding[] = [];
  /** What the user's variables hold, as the pasted code would run. */
  const env = new Map<string, Tensor>();
  /** Per forward node: the contributions its d-variable holds, those overwritten, its last line. */
  const claimed = new Map<string, Set<string>>();
  const lost = new Map<string, Set<string>>();
  const lastLine = new Map<string, BackwardLine>();

  for (const line of python.backward) {
    const at = `line ${line.line}`;
    const push = (status: FindingStatus, text: string, expected?: Tensor) => {
      findings.push({
        line: line.line,
        status,
        text: `${at}: ${text}`,
        ...(expected ? { expected } : {}),
      });
    };
    if (line.upstream !== undefined && line.of !== undefined) {
      // The line chooses where the backward pass starts: the output's upstream gradient.
      const seed = evaluation.seedValue;
      if (seed === undefined) {
        push('unchecked', `${line.target} is the upstream gradient, but the circuit has no output`);
        continue;
      }
      const value = asTensor(seed);
      env.set(line.target, value);
      claimed.set(line.of.node, new Set([SEED]));
      lastLine.set(line.of.node, line);
      const ones = value.data.every((x) => x === 1);
      if (line.upstream === 'ones' && !ones) {
        push(
          'unchecked',
          `${line.target} starts the backward pass from ones, but the app's run starts from another upstream gradient: choose ones under Upstream gradient to compare`,
        );
      } else if (line.upstream === 'random' && ones && value.data.length > 1) {
        push(
          'unchecked',
          `${line.target} is a random upstream gradient; the app's run starts from ones: choose random dD under Upstream gradient to compare`,
        );
      } else {
        push(
          'correct',
          line.upstream === 'ones'
            ? `${line.target} is the upstream gradient the backward pass starts from: ${show(value)}`
            : `${line.target} is the upstream gradient the backward pass starts from: random, from the app's fixed seed (NumPy's numbers would differ)`,
        );
      }
      continue;
    }
    // Evaluate every entry; any problem is the line's finding.
    const values: Tensor[] = [];
    const readGradients = new Set<string>();
    let problem: { status: FindingStatus; text: string } | undefined;
    for (const value of line.values) {
      const result = evaluate(value, evaluation, env, readGradients);
      if (typeof result === 'string') {
        problem = { status: value.problem !== undefined ? 'unchecked' : 'wrong', text: result };
        break;
      }
      values.push(result);
    }
    if (problem) {
      push(problem.status, problem.text);
      continue;
    }
    let computed: Tensor;
    if (line.list) {
      if (values.some((v) => v.data.length !== 1)) {
        push('unchecked', `the entries of ${line.target} must be single numbers to be checked`);
        continue;
      }
      computed = { shape: [values.length], data: Float64Array.from(values, (v) => v.data[0]) };
    } else {
      computed = values[0];
    }
    const previous = env.get(line.target);
    const next =
      line.op === '=' || previous === undefined ? computed : combine(previous, computed, line.op);
    if (next !== undefined) env.set(line.target, next);

    if (line.of === undefined) {
      const name = line.target.slice(1);
      push(
        'wrong',
        `${line.target} is not the gradient of anything in the forward pass: it defines no ${name}, so this line is not checked`,
      );
      continue;
    }
    const node = line.of.node;
    const name = line.of.name;
    lastLine.set(node, line);
    const consumers = consumersOf(node);
    const forwardShape = program.shapes[program.slot(node)] ?? [];
    if (consumers.length === 0) {
      push(
        'wrong',
        `nothing in the forward pass reads ${name}, so its gradient is 0 (${line.target} = ${show(computed)})`,
      );
      continue;
    }
    if (line.op !== '=' && line.op !== '+') {
      push(
        'wrong',
        `${line.target} ${line.op}= … is not how gradients combine: contributions add up, write ${line.target} += …`,
      );
      continue;
    }
    const target = computed.shape.length === 0 && forwardShape.length === 0;
    if (!target && !shapesFit(computed, forwardShape)) {
      push(
        'wrong',
        `${line.target} has ${computed.shape.length === 0 ? 'one number' : formatShape(computed.shape)}, but ${name} is ${forwardShape.length === 0 ? 'one number' : formatShape(forwardShape)}: a gradient has the shape of what it is the gradient of`,
      );
      continue;
    }

    // Which contributions this line computes: the ones whose gradients it reads, else one not
    // yet added that its number matches, else the next one backprop would add.
    const held = claimed.get(node) ?? new Set<string>();
    const gone = lost.get(node) ?? new Set<string>();
    let chosen = consumers.filter((c) => readGradients.has(c.from));
    if (chosen.length === 0) {
      const open = consumers.filter((c) => !held.has(c.from)).reverse();
      const pool = open.length > 0 ? open : [...consumers].reverse();
      chosen = [pool.find((c) => close(c.value, computed)) ?? pool[0]];
    }
    const expected = chosen.map((c) => c.value).reduce(add);
    const through = chosen.map((c) => describeSource(c)).join(' and ');
    const correctNumber = close(computed, expected);

    if (line.op === '=' && held.size > 0) {
      const before = consumers.filter((c) => held.has(c.from) && !chosen.includes(c));
      const total = [...before.map((c) => c.value), expected].reduce(add);
      for (const c of before) gone.add(c.from);
      lost.set(node, gone);
      claimed.set(node, new Set(chosen.map((c) => c.from)));
      push(
        'wrong',
        `${line.target} = … overwrites the gradient ${name} already got from ${before.map((c) => describeSource(c)).join(' and ')}: gradients add up at forks, so write ${line.target} += … (${line.target} should be ${show(total)} after this line, and is ${show(computed)})`,
        total,
      );
      continue;
    }
    if (line.op === '+' && previous === undefined) {
      claimed.set(node, new Set(chosen.map((c) => c.from)));
      push(
        'wrong',
        `${line.target} += … adds to ${line.target} before any line gives it a value (in Python this fails): write the first contribution as ${line.target} = …`,
        expected,
      );
      continue;
    }
    const twice = chosen.filter((c) => held.has(c.from));
    if (line.op === '+' && twice.length > 0) {
      push(
        'wrong',
        `this adds what ${name} gets from ${twice.map((c) => describeSource(c)).join(' and ')} a second time: each contribution is added once`,
        expected,
      );
      continue;
    }
    const now = new Set(line.op === '=' ? [] : held);
    for (const c of chosen) now.add(c.from);
    claimed.set(node, now);
    if (!correctNumber) {
      push(
        'wrong',
        `${line.target} gets ${show(computed)} here, but backprop sends ${show(expected)} to ${name} through ${through}${hint(chosen, computed, consumers)}`,
        expected,
      );
      continue;
    }
    const sum = consumers
      .filter((c) => now.has(c.from))
      .map((c) => c.value)
      .reduce(add);
    const complete = consumers.every((c) => now.has(c.from));
    const fork = consumers.length > 1;
    push(
      'correct',
      `correct: ${name} gets ${show(computed)} through ${through}${fork ? (complete ? `; with every contribution in, ${line.target} = ${show(sum)}` : `; ${line.target} is ${show(sum)} so far`) : ''}`,
    );
  }

  // Contributions nothing adds: anchored at the last line that writes the name's gradient.
  for (const [node, line] of lastLine) {
    const held = claimed.get(node) ?? new Set<string>();
    const gone = lost.get(node) ?? new Set<string>();
    const name = line.of?.name ?? node;
    for (const c of consumersOf(node)) {
      if (held.has(c.from) || gone.has(c.from) || c.from === SEED) continue;
      findings.push({
        line: line.line,
        status: 'wrong',
        text: `line ${line.line}: ${name} also feeds ${describeSource(c)}, but nothing adds its gradient: ${line.target} misses ${show(c.value)} (add ${line.target} += … for ${c.name})`,
        expected: c.value,
      });
    }
  }
  // An input whose gradient no line computes, when others are.
  if (findings.length > 0) {
    for (const f of python.forward) {
      const slot = program.slot(f.node);
      if (slot < 0 || program.ops[slot].kind !== 'source' || lastLine.has(f.node)) continue;
      if (python.backward.some((b) => b.of?.node === f.node)) continue;
      if ((contributions.get(f.node)?.size ?? 0) === 0) continue;
      findings.push({
        line: f.line,
        status: 'wrong',
        text: `line ${f.line}: no backward line computes d${f.name}, the gradient of the input ${f.name} (${show(asTensor(evaluation.gradAt(slot)))})`,
        expected: asTensor(evaluation.gradAt(slot)),
      });
    }
  }
  return findings.sort(byLine);
}

/** `xpy (line 6: xpy = x + y)`, or `the output's own gradient`. */
function describeSource(c: Contribution): string {
  if (c.from === SEED) return 'the output’s own gradient (the seed)';
  return `${c.name} (line ${c.line})`;
}

/** A short reason a number is off, when one is plain to see. */
function hint(
  chosen: readonly Contribution[],
  computed: Tensor,
  consumers: readonly Contribution[],
): string {
  const other = consumers.find((c) => !chosen.includes(c) && close(c.value, computed));
  if (other) return `: that is what it gets through ${describeSource(other)}`;
  if (chosen.length === 1 && computed.data.length === 1 && chosen[0].upstream?.data.length === 1) {
    const up = chosen[0].upstream.data[0];
    const expected = chosen[0].value.data[0];
    if (up !== 0) {
      const local = expected / up;
      const negated = close(computed, { shape: [], data: Float64Array.of(-expected) });
      if (negated) return ': the sign is flipped';
      return ` (its local gradient ${formatShort(local)} times d${chosen[0].name} = ${formatShort(up)})`;
    }
  }
  return '';
}

/** A declaration of an input of `t`'s shape: `0`, `[0, 0]`, `randn(5, 3)`. */
function declaration(t: Tensor): string {
  if (t.shape.length === 0) return '0';
  if (t.shape.length === 1) return `[${new Array(t.shape[0]).fill('0').join(', ')}]`;
  return `randn(${t.shape[0]}, ${t.shape[1]})`;
}

function shapesFit(t: Tensor, shape: Shape): boolean {
  if (shapeEquals(t.shape, shape)) return true;
  // A list of numbers for a vector or a single row or column.
  const size = (shape as readonly number[]).reduce((a, b) => a * b, 1);
  return t.shape.length === 1 && t.data.length === size;
}

function combine(previous: Tensor, value: Tensor, op: BackwardLine['op']): Tensor | undefined {
  if (previous.data.length !== value.data.length && value.data.length !== 1) return undefined;
  const data = new Float64Array(previous.data.length);
  for (let i = 0; i < data.length; i++) {
    const a = previous.data[i];
    const b = value.data.length === 1 ? value.data[0] : value.data[i];
    data[i] =
      op === '+'
        ? a + b
        : op === '-'
          ? a - b
          : op === '*'
            ? a * b
            : op === '/'
              ? a / b
              : Number.NaN;
  }
  return { shape: previous.shape, data };
}

/**
 * The value of one backward expression: the forward names at their values, a gradient `dN`
 * of a forward name at backprop's value once an earlier line assigned it, other backward
 * variables as the code computed them. A message when it cannot be worked out.
 */
function evaluate(
  value: BackwardValue,
  evaluation: Evaluation,
  env: ReadonlyMap<string, Tensor>,
  readGradients: Set<string>,
): Tensor | string {
  if (value.text === undefined)
    return `cannot be checked: ${value.problem ?? 'it could not be read'}`;
  const bound = new Map<string, Tensor>();
  for (const [placeholder, what] of value.names) {
    if (what.kind === 'unknown') {
      return `${what.name} is not defined: the forward pass has no ${what.name}, and no earlier line assigns it`;
    }
    if (what.kind === 'forward') {
      if (!evaluation.has(what.node)) return `${what.name} is not in the circuit on the canvas`;
      bound.set(placeholder, asTensor(evaluation.value(what.node)));
      continue;
    }
    const assigned = env.get(what.name);
    if (assigned === undefined) {
      return `${what.name} is used before any line assigns it`;
    }
    const node = what.of !== undefined && evaluation.has(what.of) ? what.of : undefined;
    if (node !== undefined) {
      readGradients.add(node);
      bound.set(placeholder, asTensor(evaluation.grad(node)));
    } else {
      bound.set(placeholder, assigned);
    }
  }
  const result = 'result_';
  // A message about the small circuit names what the line wrote, not the placeholders.
  const readable = (message: string): string =>
    message
      .replace(/\bresult_ \([^)]*\): /g, '')
      .replace(/\bresult_\b/g, 'the right-hand side')
      .replace(/\bv\d+_\b/g, (p) => {
        const what = value.names.get(p);
        return what === undefined ? p : what.name;
      });
  // Each placeholder is declared with its shape (the parser checks indexing against it); the
  // numbers are put in afterwards.
  const declarations = [...bound].map(([p, t]) => `${p} = ${declaration(t)}`);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse([...declarations, `${result} = ${value.text}`].join('\n'));
  } catch (error) {
    return `cannot be computed: ${readable((error as Error).message.replace(/^line \d+, column \d+: /, ''))}`;
  }
  const nodes: CircuitNode[] = parsed.circuit.nodes.map((n) => {
    const given = bound.get(n.id);
    return given === undefined ? n : { ...n, value: given };
  });
  try {
    const run = compile({ ...parsed.circuit, nodes }).run();
    return asTensor(run.value(result));
  } catch (error) {
    return `cannot be computed: ${readable((error as Error).message)}`;
  }
}
