import { unary } from './define';

/** σ(x) computed without overflow: exp is only ever taken of a non-positive number. */
export function sigmoidStable(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** A function called by its own name: `exp(x)`. */
const called = (name: string) => ({ call: { name } });

export const exp = unary({
  name: 'exp',
  title: 'exponential',
  family: 'function',
  symbol: 'exp',
  formula: 'e^{x}',
  grad: 'e^{x}',
  syntax: called('exp'),
  f: Math.exp,
  df: (_x, y) => y,
});

export const log = unary({
  name: 'log',
  title: 'natural log',
  family: 'function',
  symbol: 'log',
  formula: '\\ln x',
  grad: '\\frac{1}{x}',
  syntax: called('log'),
  f: Math.log,
  df: (x) => 1 / x,
  domain: (x) => (x < 0 ? 'log of a negative number' : x === 0 ? 'log of 0 is −∞' : undefined),
});

export const sqrt = unary({
  name: 'sqrt',
  title: 'square root',
  family: 'function',
  symbol: '√',
  formula: '\\sqrt{x}',
  grad: '\\frac{1}{2\\sqrt{x}}',
  syntax: called('sqrt'),
  show: (c) => `√${c}`,
  f: Math.sqrt,
  df: (_x, y) => 0.5 / y,
  domain: (x) => (x < 0 ? 'square root of a negative number' : undefined),
});

export const abs = unary({
  name: 'abs',
  title: 'absolute value',
  family: 'function',
  symbol: '|x|',
  formula: '|x|',
  grad: '\\operatorname{sign}(x)',
  syntax: called('abs'),
  show: (c) => `|${c}|`,
  f: Math.abs,
  df: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  routes: true,
  branch: Math.sign,
});

export const relu = unary({
  name: 'relu',
  title: 'ReLU',
  family: 'function',
  symbol: 'relu',
  formula: '\\max(0, x)',
  grad: '[x > 0]',
  pattern: 'A ReLU gate routes: it passes the upstream gradient where x > 0 and 0 elsewhere.',
  syntax: called('relu'),
  // Math.max keeps NaN as NaN.
  f: (x) => Math.max(0, x),
  df: (x) => (x > 0 ? 1 : 0),
  routes: true,
  branch: (x) => (x > 0 ? 1 : 0),
});

export const sigmoid = unary({
  name: 'sigmoid',
  title: 'sigmoid',
  family: 'function',
  symbol: 'σ',
  formula: '\\sigma(x) = \\frac{1}{1 + e^{-x}}',
  applied: '\\sigma(x)',
  grad: '(1 - \\sigma(x))\\,\\sigma(x)',
  pattern:
    'A sigmoid gate needs only its own output for its local gradient: (1 − σ)·σ, from the cached forward value.',
  syntax: called('sigmoid'),
  f: sigmoidStable,
  df: (_x, y) => (1 - y) * y,
});

export const tanh = unary({
  name: 'tanh',
  title: 'tanh',
  family: 'function',
  symbol: 'tanh',
  formula: '\\tanh x',
  grad: '1 - \\tanh^2 x',
  syntax: called('tanh'),
  f: Math.tanh,
  df: (_x, y) => 1 - y * y,
});

export const sin = unary({
  name: 'sin',
  title: 'sine',
  family: 'function',
  symbol: 'sin',
  formula: '\\sin x',
  grad: '\\cos x',
  syntax: called('sin'),
  f: Math.sin,
  df: Math.cos,
});

export const cos = unary({
  name: 'cos',
  title: 'cosine',
  family: 'function',
  symbol: 'cos',
  formula: '\\cos x',
  grad: '-\\sin x',
  syntax: called('cos'),
  f: Math.cos,
  df: (x) => -Math.sin(x),
});

export const functionOps = [exp, log, sqrt, abs, relu, sigmoid, tanh, sin, cos] as const;
