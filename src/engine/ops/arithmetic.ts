import { texNumber } from '../format';
import { A, B, binary, type LiteralForm, unary } from './define';
import { PRECEDENCE } from './types';

/** 1 when a wins, 0 when b wins, ½ each on a tie (PyTorch's convention). */
const routeToLarger = (a: number, b: number) => (a > b ? 1 : a < b ? 0 : 0.5);

/** A negative literal in parentheses where its sign would read as an operator: `+(−1)` (also in TeX). */
const signed = (c: string, value: number | undefined) =>
  value !== undefined && value < 0 ? `(${c})` : c;

/** A commutative op: the literal reads the same on either side. */
const eitherSide = (form: LiteralForm) => ({ withA: form, withB: form });

export const add = binary({
  name: 'add',
  title: 'add',
  family: 'arithmetic',
  symbol: '+',
  formula: 'a + b',
  grads: ['1', '1'],
  pattern: 'An add gate distributes: each input receives the upstream gradient unchanged.',
  syntax: {
    infix: { token: '+', precedence: PRECEDENCE.additive, associativity: 'left' },
  },
  ...eitherSide({
    label: (c, v) => `+${signed(c, v)}`,
    speech: (c) => `plus ${c}`,
    tex: (c, v) => [`x + ${signed(c, v)}`, '1'],
  }),
  both: (a, b) => `${a}+${b}`,
  presets: [{ b: 1 }],
  f: (a, b) => a + b,
  da: () => 1,
  db: () => 1,
});

export const sub = binary({
  name: 'sub',
  title: 'subtract',
  family: 'arithmetic',
  symbol: '−',
  formula: 'a - b',
  grads: ['1', '-1'],
  syntax: {
    infix: { token: '-', precedence: PRECEDENCE.additive, associativity: 'left' },
  },
  withA: {
    label: (c) => `${c}−x`,
    speech: (c) => `${c} minus x`,
    tex: (c) => [`${c} - x`, '-1'],
  },
  withB: {
    label: (c, v) => `−${signed(c, v)}`,
    speech: (c) => `minus ${c}`,
    tex: (c, v) => [`x - ${signed(c, v)}`, '1'],
  },
  both: (a, b) => `${a}−${b}`,
  presets: [{ a: 1 }],
  f: (a, b) => a - b,
  da: () => 1,
  db: () => -1,
});

export const mul = binary({
  name: 'mul',
  title: 'multiply',
  family: 'arithmetic',
  symbol: '×',
  formula: 'a \\cdot b',
  grads: ['b', 'a'],
  pattern:
    'A multiply gate swaps: each input receives the upstream gradient times the other input.',
  syntax: {
    infix: { token: '*', precedence: PRECEDENCE.multiplicative, associativity: 'left' },
  },
  ...eitherSide({
    label: (c) => `×${c}`,
    speech: (c) => `times ${c}`,
    tex: (c, v) => [`${signed(c, v)} \\cdot x`, c],
  }),
  both: (a, b) => `${a}×${b}`,
  presets: [{ b: -1 }, { b: 2 }],
  f: (a, b) => a * b,
  da: (_a, b) => b,
  db: (a) => a,
});

export const div = binary({
  name: 'div',
  title: 'divide',
  family: 'arithmetic',
  symbol: '÷',
  formula: '\\frac{a}{b}',
  grads: ['\\frac{1}{b}', '-\\frac{a}{b^2}'],
  syntax: {
    infix: { token: '/', precedence: PRECEDENCE.multiplicative, associativity: 'left' },
  },
  withA: {
    label: (c, v) => `${signed(c, v)}/x`,
    speech: (c) => `${c} over x`,
    tex: (c) => [`\\frac{${c}}{x}`, `-\\frac{${c}}{x^{2}}`],
  },
  withB: {
    label: (c) => `÷${c}`,
    speech: (c) => `divided by ${c}`,
    tex: (c) => [`\\frac{x}{${c}}`, `\\frac{1}{${c}}`],
  },
  both: (a, b) => `${a}/${b}`,
  presets: [{ a: 1 }, { b: 2 }],
  f: (a, b) => a / b,
  da: (_a, b) => 1 / b,
  db: (a, b) => -a / (b * b),
  domain: (a, b) =>
    b === 0 ? (a === 0 ? '0 divided by 0 is undefined' : 'division by zero') : undefined,
});

const SUPERSCRIPT: ReadonlyMap<number, string> = new Map([
  [2, '²'],
  [3, '³'],
]);

/** d/dx x^k with the number k folded in: 2x, 3x^{2}, 0.5x^{-0.5}. */
function powerRule(c: string, k: number | undefined): string {
  if (k === undefined) return `${c} \\odot x^{${c} - 1}`;
  if (k === 0) return '0';
  if (k === 1) return '1';
  if (k === 2) return '2x';
  return `${c}\\,x^{${texNumber(k - 1)}}`;
}

export const pow = binary({
  name: 'pow',
  title: 'power',
  family: 'arithmetic',
  symbol: 'xʸ',
  formula: 'a^{b}',
  grads: ['b\\,a^{b-1}', 'a^{b} \\ln a'],
  syntax: {
    infix: {
      token: '^',
      aliases: ['**'],
      precedence: PRECEDENCE.power,
      associativity: 'right',
    },
    call: { name: 'pow' },
  },
  withA: {
    label: (c, v) => `${signed(c, v)}^x`,
    speech: (c) => `${c} to the power x`,
    tex: (c, v) => [`${signed(c, v)}^{x}`, `${signed(c, v)}^{x} \\ln ${signed(c, v)}`],
  },
  withB: {
    label: (c, v) => (v !== undefined && SUPERSCRIPT.has(v) ? `x${SUPERSCRIPT.get(v)}` : `^${c}`),
    speech: (c, v) => (v === 2 ? 'squared' : v === 3 ? 'cubed' : `to the power ${c}`),
    tex: (c, v) => [`x^{${c}}`, powerRule(c, v)],
  },
  both: (a, b) => `${a}^${b}`,
  presets: [{ b: 2 }, { b: 0.5 }],
  f: (a, b) => a ** b,
  // pow(x, 0) has gradient 0 on x, also at x = 0 (where b·a^(b−1) would be 0·∞).
  da: (a, b) => (b === 0 ? 0 : b * a ** (b - 1)),
  // At a = 0 with b ≥ 0 the limit is 0 (PyTorch masks the NaN of 0·ln 0 the same way).
  db: (a, b, y) => (a === 0 && b >= 0 ? 0 : y * Math.log(a)),
  domain: (a, b) => {
    if (a < 0 && !Number.isInteger(b)) return 'a negative number to a fractional power';
    if (a === 0 && b < 0) return '0 to a negative power divides by zero';
    return undefined;
  },
  // x ** 2 and x * x are the same float, and 2 · x ** 1 is 2x: a square gate, bit for bit.
  lower: (params) =>
    !Object.hasOwn(params, A) &&
    Object.hasOwn(params, B) &&
    params[B].shape.length === 0 &&
    params[B].data[0] === 2
      ? square
      : undefined,
});

function extremumForms(word: 'max' | 'min', compare: '>' | '<') {
  return {
    withA: {
      label: (c: string) => `${word}(${c}, ·)`,
      speech: (c: string) => `${word} of ${c} and x`,
      tex: (c: string) => [`\\${word}(${c}, x)`, `[x ${compare} ${c}]`] as const,
    },
    withB: {
      label: (c: string) => `${word}(·, ${c})`,
      speech: (c: string) => `${word} of x and ${c}`,
      tex: (c: string) => [`\\${word}(x, ${c})`, `[x ${compare} ${c}]`] as const,
    },
    both: (a: string, b: string) => `${word}(${a}, ${b})`,
  };
}

export const max = binary({
  name: 'max',
  title: 'maximum',
  family: 'arithmetic',
  symbol: 'max',
  formula: '\\max(a, b)',
  grads: ['[a > b]', '[b > a]'],
  pattern: 'A max gate routes: the larger input receives the whole upstream gradient, the other 0.',
  syntax: { call: { name: 'max', hint: 'the larger of two values' } },
  ...extremumForms('max', '>'),
  presets: [{ b: 0 }],
  f: (a, b) => Math.max(a, b),
  da: (a, b) => routeToLarger(a, b),
  db: (a, b) => routeToLarger(b, a),
  routes: true,
  branch: (a, b) => Math.sign(a - b),
});

export const min = binary({
  name: 'min',
  title: 'minimum',
  family: 'arithmetic',
  symbol: 'min',
  formula: '\\min(a, b)',
  grads: ['[a < b]', '[b < a]'],
  pattern:
    'A min gate routes: the smaller input receives the whole upstream gradient, the other 0.',
  syntax: { call: { name: 'min', hint: 'the smaller of two values' } },
  ...extremumForms('min', '<'),
  f: (a, b) => Math.min(a, b),
  da: (a, b) => routeToLarger(b, a),
  db: (a, b) => routeToLarger(a, b),
  routes: true,
  branch: (a, b) => Math.sign(a - b),
});

export const neg = unary({
  name: 'neg',
  title: 'negate',
  family: 'arithmetic',
  symbol: '−x',
  formula: '-x',
  grad: '-1',
  syntax: { prefix: { token: '-', precedence: PRECEDENCE.prefix } },
  show: (c) => `−(${c})`,
  f: (x) => -x,
  df: () => -1,
});

export const square = unary({
  name: 'square',
  title: 'square',
  family: 'arithmetic',
  symbol: 'x²',
  formula: 'x^2',
  grad: '2x',
  syntax: { rewrite: { op: 'pow', ports: [A], params: { b: 2 } } },
  show: (c) => `(${c})²`,
  f: (x) => x * x,
  df: (x) => 2 * x,
});

export const inv = unary({
  name: 'inv',
  title: 'reciprocal',
  family: 'arithmetic',
  symbol: '1/x',
  formula: '\\frac{1}{x}',
  grad: '-\\frac{1}{x^2}',
  syntax: { rewrite: { op: 'div', ports: [B], params: { a: 1 } } },
  show: (c) => `1/${c}`,
  f: (x) => 1 / x,
  df: (_x, y) => -(y * y),
  domain: (x) => (x === 0 ? '1/x of 0 divides by zero' : undefined),
});

export const identity = unary({
  name: 'identity',
  title: 'copy',
  family: 'arithmetic',
  symbol: '=',
  formula: 'x',
  grad: '1',
  syntax: { rewrite: 'operand' },
  show: (c) => c,
  f: (x) => x,
  df: () => 1,
});

export const arithmeticOps = [
  add,
  sub,
  mul,
  div,
  pow,
  max,
  min,
  neg,
  square,
  inv,
  identity,
] as const;
