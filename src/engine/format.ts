/**
 * The engine's one number formatter, in three registers: code (what `toProgram` writes and
 * `parse` reads back exactly), short (what a gate or a sentence shows), and TeX.
 */
import type { Tensor } from './types';

/**
 * A number as the expression language writes it: the shortest decimal that reads back as the
 * same float (`0.1`, `1e-7`, `-0`). NaN and ±∞ have no literal: callers check first.
 */
export function formatNumber(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/**
 * A number as a gate or a sentence shows it: at most 4 significant digits, and a true minus
 * sign (−). Whole numbers up to 4 digits stay exact: `−1`, `2`, `0.5`, `3.142`, `1.5e−7`.
 */
export function formatShort(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const text = Object.is(x, -0) ? '0' : String(Number(x.toPrecision(4)));
  return text.replace(/-/g, '−').replace('e+', 'e');
}

/** A number in TeX: `-1`, `0.5`, `1.5 \times 10^{-7}`. */
export function texNumber(x: number): string {
  if (Number.isNaN(x)) return '\\text{NaN}';
  if (!Number.isFinite(x)) return x > 0 ? '\\infty' : '-\\infty';
  const short = Object.is(x, -0) ? '0' : String(Number(x.toPrecision(4)));
  const [mantissa, exponent] = short.split('e');
  if (exponent === undefined) return mantissa;
  return `${mantissa} \\times 10^{${Number(exponent)}}`;
}

/** The only number in a scalar tensor, or undefined for anything larger. */
export function scalarOf(t: Tensor | undefined): number | undefined {
  return t !== undefined && t.shape.length === 0 ? t.data[0] : undefined;
}

/**
 * A literal as a gate shows it: a scalar in short form, a short vector written out
 * (`[1, 2, 3]`), anything larger by its shape (`[2×3]`).
 */
export function formatLiteral(t: Tensor): string {
  if (t.shape.length === 0) return formatShort(t.data[0]);
  if (t.shape.length === 1 && t.data.length <= 3) {
    return `[${Array.from(t.data, formatShort).join(', ')}]`;
  }
  return `[${t.shape.join('×')}]`;
}

/** A literal in TeX: a scalar as its number, a tensor as a named constant C. */
export function texLiteral(t: Tensor): string {
  return t.shape.length === 0 ? texNumber(t.data[0]) : 'C';
}

/**
 * A literal as the expression language writes it (`2`, `[1, 2]`, `[[1, 2], [3, 4]]`), or null
 * when an entry is NaN or ±∞ (the language has no literal for them).
 */
export function literalCode(t: Tensor): string | null {
  const data = t.data;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return null;
  if (t.shape.length === 0) return formatNumber(data[0]);
  if (t.shape.length === 1) return `[${Array.from(data, formatNumber).join(', ')}]`;
  const [rows, cols] = t.shape;
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    out.push(`[${Array.from(data.subarray(r * cols, (r + 1) * cols), formatNumber).join(', ')}]`);
  }
  return `[${out.join(', ')}]`;
}
