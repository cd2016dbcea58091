import { X } from './define';
import type { UnaryOp } from './types';

/** σ(x) computed without overflow: exp is only ever taken of a non-positive number. */
export function sigmoidStable(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export const exp: UnaryOp = {
  kind: 'unary',
  name: 'exp',
  title: 'exponential',
  family: 'function',
  symbol: 'exp',
  ports: [X],
  formula: 'e^{x}',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = e^{x}'],
  f: Math.exp,
  df: (_x, y) => y,
};

export const log: UnaryOp = {
  kind: 'unary',
  name: 'log',
  title: 'natural log',
  family: 'function',
  symbol: 'log',
  ports: [X],
  formula: '\\ln x',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = \\frac{1}{x}'],
  f: Math.log,
  df: (x) => 1 / x,
  domain: (x) => (x < 0 ? 'log of a negative number' : x === 0 ? 'log of 0 is −∞' : undefined),
};

export const sqrt: UnaryOp = {
  kind: 'unary',
  name: 'sqrt',
  title: 'square root',
  family: 'function',
  symbol: '√',
  ports: [X],
  formula: '\\sqrt{x}',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = \\frac{1}{2\\sqrt{x}}'],
  f: Math.sqrt,
  df: (_x, y) => 0.5 / y,
  domain: (x) => (x < 0 ? 'square root of a negative number' : undefined),
};

export const abs: UnaryOp = {
  kind: 'unary',
  name: 'abs',
  title: 'absolute value',
  family: 'function',
  symbol: '|x|',
  ports: [X],
  formula: '|x|',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = \\operatorname{sign}(x)'],
  f: Math.abs,
  df: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  routes: true,
  branch: Math.sign,
};

export const relu: UnaryOp = {
  kind: 'unary',
  name: 'relu',
  title: 'ReLU',
  family: 'function',
  symbol: 'relu',
  ports: [X],
  formula: '\\max(0, x)',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = [x > 0]'],
  pattern: 'A ReLU gate routes: it passes the upstream gradient where x > 0 and 0 elsewhere.',
  // Math.max keeps NaN as NaN.
  f: (x) => Math.max(0, x),
  df: (x) => (x > 0 ? 1 : 0),
  routes: true,
  branch: (x) => (x > 0 ? 1 : 0),
};

export const sigmoid: UnaryOp = {
  kind: 'unary',
  name: 'sigmoid',
  title: 'sigmoid',
  family: 'function',
  symbol: 'σ',
  ports: [X],
  formula: '\\sigma(x) = \\frac{1}{1 + e^{-x}}',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = (1 - \\sigma(x))\\,\\sigma(x)'],
  pattern:
    'A sigmoid gate needs only its own output for its local gradient: (1 − σ)·σ, from the cached forward value.',
  f: sigmoidStable,
  df: (_x, y) => (1 - y) * y,
};

export const tanh: UnaryOp = {
  kind: 'unary',
  name: 'tanh',
  title: 'tanh',
  family: 'function',
  symbol: 'tanh',
  ports: [X],
  formula: '\\tanh x',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = 1 - \\tanh^2 x'],
  f: Math.tanh,
  df: (_x, y) => 1 - y * y,
};

export const sin: UnaryOp = {
  kind: 'unary',
  name: 'sin',
  title: 'sine',
  family: 'function',
  symbol: 'sin',
  ports: [X],
  formula: '\\sin x',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = \\cos x'],
  f: Math.sin,
  df: Math.cos,
};

export const cos: UnaryOp = {
  kind: 'unary',
  name: 'cos',
  title: 'cosine',
  family: 'function',
  symbol: 'cos',
  ports: [X],
  formula: '\\cos x',
  localGradFormulas: ['\\frac{\\partial}{\\partial x} = -\\sin x'],
  f: Math.cos,
  df: (x) => -Math.sin(x),
};

export const functionOps = [exp, log, sqrt, abs, relu, sigmoid, tanh, sin, cos] as const;
