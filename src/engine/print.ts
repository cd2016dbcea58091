/**
 * The other direction of `parse`: a circuit written as a program in the expression language,
 * so a circuit built by hand can be read as code, typed into slides or shared as an `#expr=`
 * link. Parsing the printed program gives a circuit that computes the same values and
 * gradients (gates with one reader are written inline, so unnamed gates get new ids).
 *
 * Ids are data: every table keyed by an id, a name or an op is a Map or a Set. Nothing here
 * recurses or spreads an array into a call, so a circuit of any size is written in one pass;
 * an expression is only written inline while the parser can read it back within
 * `LIMITS.nesting`, and deeper ones get a name of their own.
 */
import { compile } from './compile';
import { CircuitError } from './errors';
import { LIMITS } from './limits';
import { getOp } from './ops';
import { isAssignableName } from './parse';
import type { Program } from './program';
import { toNested } from './tensor';
import type { Circuit, Tensor } from './types';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Binding strength: a child weaker than its parent gets parentheses. */
const ADDITIVE = 1;
const MULTIPLICATIVE = 2;
const UNARY = 3;
const POWER = 4;
const ATOM = 5;

/**
 * An expression written out. `nesting` is how deep the parser will nest reading it back: one
 * level per parenthesis, bracket, sign, exponent and call, as `LIMITS.nesting` counts them.
 */
interface Printed {
  readonly text: string;
  readonly strength: number;
  readonly nesting: number;
}

/**
 * An unnamed gate's expression deeper than this gets a statement of its own instead of being
 * written inline. A gate adds at most two levels to its deepest input, so every statement
 * stays far within what the parser reads.
 */
const INLINE_NESTING = Math.floor(LIMITS.nesting / 4);

const INFIX: ReadonlyMap<string, { readonly symbol: string; readonly strength: number }> = new Map([
  ['add', { symbol: '+', strength: ADDITIVE }],
  ['sub', { symbol: '-', strength: ADDITIVE }],
  ['mul', { symbol: '*', strength: MULTIPLICATIVE }],
  ['div', { symbol: '/', strength: MULTIPLICATIVE }],
  ['matmul', { symbol: '@', strength: MULTIPLICATIVE }],
  ['pow', { symbol: '^', strength: POWER }],
]);

/** Ops written as a call, and the function that writes them. */
const CALL: ReadonlyMap<string, string> = new Map([
  ['sigmoid', 'sigmoid'],
  ['exp', 'exp'],
  ['log', 'log'],
  ['tanh', 'tanh'],
  ['relu', 'relu'],
  ['abs', 'abs'],
  ['sqrt', 'sqrt'],
  ['sin', 'sin'],
  ['cos', 'cos'],
  ['transpose', 'transpose'],
  ['sum', 'sum'],
  ['mean', 'mean'],
  ['reducemax', 'max'],
  ['reducemin', 'min'],
  ['max', 'max'],
  ['min', 'min'],
]);

/**
 * The circuit as a program, or `null` when it cannot be written as one: it does not compile
 * (a gate is missing an input, there is a loop, no output…), or a value is not a finite number
 * (the language has no literal for NaN or ∞).
 *
 * `compiled` may pass a program already compiled from this circuit's structure (values may
 * have changed since: they are read from `circuit`), so the order need not be worked out again.
 */
export function toProgram(circuit: Circuit, compiled?: Program): string | null {
  let program: Program;
  if (compiled) {
    if (compiled.problems.length > 0) return null;
    program = compiled;
  } else {
    try {
      program = compile(circuit);
    } catch (error) {
      if (error instanceof CircuitError) return null;
      throw error;
    }
  }
  const byId = new Map(circuit.nodes.map((n) => [n.id as string, n]));
  const readers = new Map<string, number>();
  for (const w of circuit.wires) readers.set(w.from, (readers.get(w.from) ?? 0) + 1);

  // Every statement needs a name the language accepts; ids that are not get fresh ones.
  const taken = new Set<string>();
  for (const n of circuit.nodes) if (IDENTIFIER.test(n.id)) taken.add(n.id);
  const names = new Map<string, string>();
  let fresh = 0;
  const nameOf = (id: string): string => {
    const known = names.get(id);
    if (known !== undefined) return known;
    let name = id;
    if (!isAssignableName(id)) {
      do name = `t${++fresh}`;
      while (taken.has(name));
      taken.add(name);
    }
    names.set(id, name);
    return name;
  };

  const output = circuit.output as string;
  // The output must be the last assignment: a circuit whose output feeds other gates cannot
  // be written that way.
  if ((readers.get(output) ?? 0) > 0) return null;
  const lines: string[] = [];
  let outputLine = '';
  const inline = new Map<string, Printed>();
  for (const slot of program.ids.keys()) {
    const id = program.ids[slot];
    const node = byId.get(id);
    const op = getOp(node?.op ?? '');
    if (!node || !op) return null;
    if (op.kind === 'source') {
      const literal = node.value ? literalOf(node.value) : null;
      if (literal === null) return null;
      if (node.op === 'const') inline.set(id, constantOf(node.value as Tensor, literal));
      else if (id === output) outputLine = `${nameOf(id)} = ${literal}`;
      else lines.push(`${nameOf(id)} = ${literal}`);
      continue;
    }
    const args: Printed[] = [];
    for (let k = program.sourceStart[slot]; k < program.sourceStart[slot + 1]; k++) {
      const srcId = program.ids[program.sourceSlots[k]];
      args.push(inline.get(srcId) ?? { text: nameOf(srcId), strength: ATOM, nesting: 0 });
    }
    const expression = printGate(node.op, args);
    // A gate read once, unnamed and not the output, is written where it is read.
    const unnamed = node.label === undefined && !IDENTIFIER.test(id);
    const onceRead = (readers.get(id) ?? 0) === 1 && unnamed && id !== output;
    if (onceRead && expression.nesting <= INLINE_NESTING) inline.set(id, expression);
    else if (id === output) outputLine = `${nameOf(id)} = ${expression.text}`;
    else lines.push(`${nameOf(id)} = ${expression.text}`);
  }
  lines.push(outputLine);
  return lines.join('\n');
}

function printGate(op: string, args: readonly Printed[]): Printed {
  const infix = INFIX.get(op);
  if (infix) {
    // Left-associative, except power, which groups to the right (and whose exponent the
    // parser reads one level deeper).
    const rightAssoc = op === 'pow';
    const left = wrap(args[0], rightAssoc ? infix.strength + 1 : infix.strength);
    const right = wrap(args[1], rightAssoc ? infix.strength : infix.strength + 1);
    return {
      text: `${left.text} ${infix.symbol} ${right.text}`,
      strength: infix.strength,
      nesting: Math.max(left.nesting, right.nesting + (rightAssoc ? 1 : 0)),
    };
  }
  if (op === 'neg') {
    const operand = wrap(args[0], POWER);
    return { text: `-${operand.text}`, strength: UNARY, nesting: operand.nesting + 1 };
  }
  if (op === 'square') {
    const base = wrap(args[0], ATOM);
    return { text: `${base.text}^2`, strength: POWER, nesting: Math.max(base.nesting, 1) };
  }
  if (op === 'inv') {
    const operand = wrap(args[0], MULTIPLICATIVE + 1);
    return { text: `1 / ${operand.text}`, strength: MULTIPLICATIVE, nesting: operand.nesting };
  }
  if (op === 'identity') return args[0];
  const call = CALL.get(op) ?? op;
  let text = '';
  let nesting = 0;
  for (const a of args) {
    text = text === '' ? a.text : `${text}, ${a.text}`;
    nesting = Math.max(nesting, a.nesting);
  }
  return { text: `${call}(${text})`, strength: ATOM, nesting: nesting + 1 };
}

/** `p` as an operand that must bind at least `atLeast`: in parentheses if it binds less. */
function wrap(p: Printed, atLeast: number): { readonly text: string; readonly nesting: number } {
  return p.strength >= atLeast ? p : { text: `(${p.text})`, nesting: p.nesting + 1 };
}

/** A value as the language writes it; null if an entry is NaN or ±∞. */
function literalOf(value: Tensor): string | null {
  if (!value.data.every(Number.isFinite)) return null;
  return JSON.stringify(toNested(value), (_key, x) => (Object.is(x, -0) ? 0 : x));
}

/**
 * A constant inside an expression. A negative number goes in parentheses (`x * (-1)`,
 * `x ^ (-2)`), which the parser reads two levels deep; an array one level per bracket.
 */
function constantOf(value: Tensor, literal: string): Printed {
  if (literal.startsWith('-')) return { text: `(${literal})`, strength: ATOM, nesting: 2 };
  return { text: literal, strength: ATOM, nesting: value.shape.length };
}
