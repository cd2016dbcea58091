/**
 * How generated code spells numbers, arrays and the few functions elementwise formulas need,
 * in each language, and small helpers for putting expressions together.
 */
import type { Shape, Value } from '../types';
import type { Dialect, Language, MathFunction } from './ops';

function pyNumber(x: number, nan: string, inf: string): string {
  if (Number.isNaN(x)) return nan;
  if (x === Number.POSITIVE_INFINITY) return inf;
  if (x === Number.NEGATIVE_INFINITY) return `-${inf}`;
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function tsNumber(x: number): string {
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

/** A number as the language writes it, bare (inside an array) or as an atom. */
export function numberText(language: Language, x: number): string {
  switch (language) {
    case 'python':
      return pyNumber(x, 'math.nan', 'math.inf');
    case 'numpy':
      return pyNumber(x, 'np.nan', 'np.inf');
    case 'pytorch':
      return pyNumber(x, 'math.nan', 'math.inf');
    case 'typescript':
      return tsNumber(x);
  }
}

export const atomNumber = (language: Language, x: number) => {
  const s = numberText(language, x);
  return s.startsWith('-') ? `(${s})` : s;
};

/** Nested lists of a tensor's entries: `[[1.0, 2.0], [3.0, 4.0]]`. */
export function nestedText(
  language: Language,
  t: { shape: Shape; data: ArrayLike<number> },
): string {
  const n = (i: number) => numberText(language, t.data[i]);
  if (t.shape.length === 0) return n(0);
  if (t.shape.length === 1)
    return `[${Array.from({ length: t.shape[0] }, (_, i) => n(i)).join(', ')}]`;
  const [rows, cols] = t.shape;
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    out.push(`[${Array.from({ length: cols }, (_, j) => n(i * cols + j)).join(', ')}]`);
  }
  return `[${out.join(', ')}]`;
}

export function arrayText(
  language: Language,
  t: { shape: Shape; data: ArrayLike<number> },
): string {
  if (t.shape.length === 0) {
    // PyTorch's maximum and minimum take tensors only.
    return language === 'pytorch'
      ? `T(${numberText(language, t.data[0])})`
      : atomNumber(language, t.data[0]);
  }
  if (language === 'numpy') return `np.array(${nestedText(language, t)})`;
  if (language === 'pytorch') return `T(${nestedText(language, t)})`;
  return nestedText(language, t);
}

export const asData = (v: Value, shape: Shape) =>
  typeof v === 'number' ? { shape, data: [v] } : { shape: v.shape, data: v.data };

// ---------------------------------------------------------------------------------------------
// Dialects

const PY_FUNCTIONS: Record<MathFunction, string> = {
  exp: 'math.exp',
  log: 'math.log',
  sqrt: 'math.sqrt',
  tanh: 'math.tanh',
  sin: 'math.sin',
  cos: 'math.cos',
  abs: 'abs',
  maximum: 'max',
  minimum: 'min',
};

export function dialect(language: Language): Dialect {
  const num = (x: number) => atomNumber(language, x);
  switch (language) {
    case 'python':
      return {
        language,
        num,
        fn: (name, ...args) => `${PY_FUNCTIONS[name]}(${args.join(', ')})`,
        where: (c, a, b) => `(${a} if ${c} else ${b})`,
        and: (a, b) => `${a} and ${b}`,
      };
    case 'numpy':
      return {
        language,
        num,
        fn: (name, ...args) => `np.${name}(${args.join(', ')})`,
        where: (c, a, b) => `np.where(${c}, ${a}, ${b})`,
        and: (a, b) => `(${a}) & (${b})`,
      };
    case 'pytorch':
      return {
        language,
        num: (x) => `T(${numberText(language, x)})`,
        fn: (name, ...args) => `torch.${name}(${args.join(', ')})`,
        where: (c, a, b) => `torch.where(${c}, ${a}, ${b})`,
        and: (a, b) => `(${a}) & (${b})`,
      };
    case 'typescript':
      return {
        language,
        num,
        fn: (name, ...args) =>
          `Math.${name === 'maximum' ? 'max' : name === 'minimum' ? 'min' : name}(${args.join(', ')})`,
        where: (c, a, b) => `(${c} ? ${a} : ${b})`,
        and: (a, b) => `${a} && ${b}`,
      };
  }
}

const isAtom = (s: string) => /^[A-Za-z_][A-Za-z0-9_]*$|^[0-9.]+$|^\(.*\)$/.test(s) && balanced(s);

/** Whether a text in parentheses is one parenthesized group (not `(a) * (b)`). */
function balanced(s: string): boolean {
  if (!s.startsWith('(')) return true;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') {
      depth--;
      if (depth === 0 && i < s.length - 1) return false;
    }
  }
  return true;
}

export const paren = (s: string) => (isAtom(s) ? s : `(${s})`);

/** Sums an elementwise contribution of the gate's shape down to its port's (broadcasting). */
export function reduceTo(expr: string, port: Shape, out: Shape): string {
  if (port.length === out.length && port.every((d, i) => d === out[i])) return expr;
  if (port.length === 0) return `np.sum(${expr})`;
  if (port.length === 2 && out.length === 2) {
    const axes: number[] = [];
    for (let i = 0; i < 2; i++) if (port[i] === 1 && out[i] !== 1) axes.push(i);
    if (axes.length === 1) return `np.sum(${expr}, axis=${axes[0]}, keepdims=True)`;
    return `np.sum(${expr}, keepdims=True)`;
  }
  return `np.sum(${expr})`;
}

/** The same sum in PyTorch (`.sum()`, `.sum(1, keepdim=True)`), for a custom backward. */
export function torchReduceTo(expr: string, port: Shape, out: Shape): string {
  if (port.length === out.length && port.every((d, i) => d === out[i])) return expr;
  const atom = paren(expr);
  if (port.length === 0) return `${atom}.sum()`;
  if (port.length === 2 && out.length === 2) {
    const axes: number[] = [];
    for (let i = 0; i < 2; i++) if (port[i] === 1 && out[i] !== 1) axes.push(i);
    if (axes.length === 1) return `${atom}.sum(${axes[0]}, keepdim=True)`;
    return `${atom}.sum((0, 1), keepdim=True)`;
  }
  return `${atom}.sum()`;
}

/**
 * A user's text made safe for a one-line comment: line breaks, other control characters and
 * the Unicode line and paragraph separators become spaces, so it can never end the comment.
 */
export function commentText(text: string, max = 120): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
