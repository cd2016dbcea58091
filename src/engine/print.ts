/**
 * The other direction of `parse`: a circuit written as a program in the expression language,
 * so a circuit built by hand can be read as code, typed into slides or shared as an `#expr=`
 * link. Parsing the printed program gives a circuit that computes the same values and
 * gradients (gates with one reader are written inline, so unnamed gates get new ids).
 */
import { compile } from './compile';
import { CircuitError } from './errors';
import { getOp } from './ops';
import type { Program } from './program';
import { toNested } from './tensor';
import type { Circuit, Tensor } from './types';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names the language reserves for its functions. */
const RESERVED = new Set([
  'sigmoid',
  'exp',
  'log',
  'tanh',
  'relu',
  'abs',
  'sqrt',
  'sin',
  'cos',
  'max',
  'min',
  'pow',
  'sum',
  'mean',
  'transpose',
  'randn',
]);

/** Binding strength: a child weaker than its parent gets parentheses. */
const ADDITIVE = 1;
const MULTIPLICATIVE = 2;
const UNARY = 3;
const POWER = 4;
const ATOM = 5;

interface Printed {
  readonly text: string;
  readonly strength: number;
}

const INFIX: Record<string, { symbol: string; strength: number }> = {
  add: { symbol: '+', strength: ADDITIVE },
  sub: { symbol: '-', strength: ADDITIVE },
  mul: { symbol: '*', strength: MULTIPLICATIVE },
  div: { symbol: '/', strength: MULTIPLICATIVE },
  matmul: { symbol: '@', strength: MULTIPLICATIVE },
  pow: { symbol: '^', strength: POWER },
};

const CALL: Record<string, string> = {
  sigmoid: 'sigmoid',
  exp: 'exp',
  log: 'log',
  tanh: 'tanh',
  relu: 'relu',
  abs: 'abs',
  sqrt: 'sqrt',
  sin: 'sin',
  cos: 'cos',
  transpose: 'transpose',
  sum: 'sum',
  mean: 'mean',
  reducemax: 'max',
  reducemin: 'min',
  max: 'max',
  min: 'min',
};

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
  const taken = new Set(
    circuit.nodes.map((n) => n.id as string).filter((id) => IDENTIFIER.test(id)),
  );
  const names = new Map<string, string>();
  let fresh = 0;
  const nameOf = (id: string): string => {
    const known = names.get(id);
    if (known) return known;
    let name = id;
    if (!IDENTIFIER.test(id) || RESERVED.has(id)) {
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
      if (node.op === 'const') inline.set(id, { text: wrapNegative(literal), strength: ATOM });
      else if (id === output) outputLine = `${nameOf(id)} = ${literal}`;
      else lines.push(`${nameOf(id)} = ${literal}`);
      continue;
    }
    const args = Array.from(program.sources[slot], (src) => {
      const srcId = program.ids[src];
      return inline.get(srcId) ?? { text: nameOf(srcId), strength: ATOM };
    });
    const expression = printGate(node.op, args);
    // A gate read once, unnamed and not the output, is written where it is read.
    const unnamed = node.label === undefined && !IDENTIFIER.test(id);
    const onceRead = (readers.get(id) ?? 0) === 1 && unnamed && id !== output;
    if (onceRead) inline.set(id, expression);
    else if (id === output) outputLine = `${nameOf(id)} = ${expression.text}`;
    else lines.push(`${nameOf(id)} = ${expression.text}`);
  }
  lines.push(outputLine);
  return lines.join('\n');
}

function printGate(op: string, args: readonly Printed[]): Printed {
  const infix = INFIX[op];
  if (infix) {
    const [a, b] = args;
    // Left-associative, except power, which groups to the right.
    const rightAssoc = op === 'pow';
    const left = wrap(a, rightAssoc ? infix.strength + 1 : infix.strength);
    const right = wrap(b, rightAssoc ? infix.strength : infix.strength + 1);
    return { text: `${left} ${infix.symbol} ${right}`, strength: infix.strength };
  }
  if (op === 'neg') return { text: `-${wrap(args[0], POWER)}`, strength: UNARY };
  if (op === 'square') return { text: `${wrap(args[0], ATOM)}^2`, strength: POWER };
  if (op === 'inv')
    return { text: `1 / ${wrap(args[0], MULTIPLICATIVE + 1)}`, strength: MULTIPLICATIVE };
  if (op === 'identity') return args[0];
  const call = CALL[op] ?? op;
  return { text: `${call}(${args.map((a) => a.text).join(', ')})`, strength: ATOM };
}

function wrap(p: Printed, atLeast: number): string {
  return p.strength >= atLeast ? p.text : `(${p.text})`;
}

/** A value as the language writes it; null if an entry is NaN or ±∞. */
function literalOf(value: Tensor): string | null {
  if (!value.data.every(Number.isFinite)) return null;
  return JSON.stringify(toNested(value), (_key, x) => (Object.is(x, -0) ? 0 : x));
}

/** Inside an expression a negative number goes in parentheses: `x * (-1)`, `x ^ (-2)`. */
function wrapNegative(literal: string): string {
  return literal.startsWith('-') ? `(${literal})` : literal;
}
