import { A, B, X } from './define';
import type { BinaryOp, UnaryOp } from './types';

/** 1 when a wins, 0 when b wins, ½ each on a tie (PyTorch's convention). */
const routeToLarger = (a: number, b: number) => (a > b ? 1 : a < b ? 0 : 0.5);

export const add: BinaryOp = {
  kind: 'binary',
  name: 'add',
  title: 'add',
  family: 'arithmetic',
  symbol: '+',
  ports: [A, B],
  formula: 'a + b',
  localGradFormulas: ['\\frac{\\partial}{\\partial a} = 1', '\\frac{\\partial}{\\partial b} = 1'],
  pattern: 'An add gate distributes: each input receives the upstream gradient unchanged.',
  f: (a, b) => a + b,
  da: () => 1,
  db: () => 1,
};

export const sub: BinaryOp = {
  kind: 'binary',
  name: 'sub',
  title: 'subtract',
  family: 'arithmetic',
  symbol: '−',
  ports: [A, B],
  formula: 'a - b',
  localGradFormulas: ['\\frac{\\partial}{\\partial a} = 1', '\\frac{\\partial}{\\partial b} = -1'],
  f: (a, b) => a - b,
  da: () => 1,
  db: () => -1,
};

export const mul: BinaryOp = {
  kind: 'binary',
  name: 'mul',
  title: 'multiply',
  family: 'arithmetic',
  symbol: '×',
  ports: [A, B],
  formula: 'a \\cdot b',
  localGradFormulas: ['\\frac{\\partial}{\\partial a} = b', '\\frac{\\partial}{\\partial b} = a'],
  pattern:
    'A multiply gate swaps: each input receives the upstream gradient times the other input.',
  f: (a, b) => a * b,
  da: (_a, b) => b,
  db: (a) => a,
};

export const div: BinaryOp = {
  kind: 'binary',
  name: 'div',
  title: 'divide',
  family: 'arithmetic',
  symbol: '÷',
  ports: [A, B],
  formula: '\\frac{a}{b}',
  localGradFormulas: [
    '\\frac{\\partial}{\\partial a} = \\frac{1}{b}',
    '\\frac{\\partial}{\\partial b} = -\\frac{a}{b^2}',
  ],
  f: (a, b) => a / b,
  da: (_a, b) => 1 / b,
  db: (a, b) => -a / (b * b),
  domain: (a, b) =>
    b === 0 ? (a === 0 ? '0 divided by 0 is undefined' : 'division by zero') : undefined,
};

export const pow: BinaryOp = {
  kind: 'binary',
  name: 'pow',
  title: 'power',
  family: 'arithmetic',
  symbol: 'xʸ',
  ports: [A, B],
  formula: 'a^{b}',
  localGradFormulas: [
    '\\frac{\\partial}{\\partial a} = b\\,a^{b-1}',
    '\\frac{\\partial}{\\partial b} = a^{b} \\ln a',
  ],
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
};

export const max: BinaryOp = {
  kind: 'binary',
  name: 'max',
  title: 'maximum',
  family: 'arithmetic',
  symbol: 'max',
  ports: [A, B],
  formula: '\\max(a, b)',
  localGradFormulas: [
    '\\frac{\\partial}{\\partial a} = [a > b]',
    '\\frac{\\partial}{\\partial b} = [b > a]',
  ],
  pattern: 'A max gate routes: the larger input receives the whole upstream gradient, the other 0.',
  f: (a, b) => Math.max(a, b),
  da: (a, b) => routeToLarger(a, b),
  db: (a, b) => routeToLarger(b, a),
  routes: true,
  branch: (a, b) => Math.sign(a - b),
};

export const min: BinaryOp = {
  kind: 'binary',
  name: 'min',
  title: 'minimum',
  family: 'arithmetic',
  symbol: 'min',
  ports: [A, B],
  formula: '\\min(a, b)',
  localGradFormulas: [
    '\\frac{\\partial}{\\partial a} = [a < b]',
    '\\frac{\\partial}{\\partial b} = [b < a]',
  ],
  pattern:
    'A min gate routes: the smaller input receives the whole upstream gradient, the other 0.',
  f: (a, b) => Math.min(a, b),
  da: (a, b) => routeToLarger(b, a),
  db: (a, b) => routeToLarger(a, b),
  routes: true,
  branch: (a, b) => Math.sign(a - b),
};

export const neg: UnaryOp = {
  kind: 'unary',
  name: 'neg',
  title: 'negate',
  family: 'arithmetic',
  symbol: '−x',
  ports: [X],
  formula: '-x',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = -1'],
  f: (x) => -x,
  df: () => -1,
};

export const square: UnaryOp = {
  kind: 'unary',
  name: 'square',
  title: 'square',
  family: 'arithmetic',
  symbol: 'x²',
  ports: [X],
  formula: 'x^2',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = 2x'],
  f: (x) => x * x,
  df: (x) => 2 * x,
};

export const inv: UnaryOp = {
  kind: 'unary',
  name: 'inv',
  title: 'reciprocal',
  family: 'arithmetic',
  symbol: '1/x',
  ports: [X],
  formula: '\\frac{1}{x}',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = -\\frac{1}{x^2}'],
  f: (x) => 1 / x,
  df: (_x, y) => -(y * y),
  domain: (x) => (x === 0 ? '1/x of 0 divides by zero' : undefined),
};

export const identity: UnaryOp = {
  kind: 'unary',
  name: 'identity',
  title: 'copy',
  family: 'arithmetic',
  symbol: '=',
  ports: [X],
  formula: 'x',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = 1'],
  f: (x) => x,
  df: () => 1,
};

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
