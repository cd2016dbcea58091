import type { Tensor, Value } from '../engine';

const MINUS = '\u2212';

/**
 * A number rounded for reading: about four significant digits, a real minus sign, ∞ and NaN
 * spelled out, and scientific notation only for very large or very small magnitudes.
 */
export function formatNumber(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '∞';
  if (x === Number.NEGATIVE_INFINITY) return `${MINUS}∞`;
  if (x === 0) return '0';
  const abs = Math.abs(x);
  let text: string;
  if (abs >= 1e6 || abs < 1e-4) {
    text = x
      .toExponential(digits - 1)
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  } else {
    text = String(Number(x.toPrecision(digits)));
  }
  return text.replaceAll('-', MINUS);
}

/** A gradient always shows its sign, so it reads the same without colour. */
export function formatSigned(x: number, digits = 4): string {
  const text = formatNumber(x, digits);
  return x > 0 ? `+${text}` : text;
}

/** Short text for a value: the number, or the tensor's shape and a few entries. */
export function formatValue(v: Value | undefined, signed = false): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return signed ? formatSigned(v) : formatNumber(v);
  return formatTensorShort(v, signed);
}

function formatTensorShort(t: Tensor, signed: boolean): string {
  const f = signed ? formatSigned : formatNumber;
  const shape = t.shape.join('×');
  const head = Array.from(t.data.subarray(0, 3), (x) => f(x, 3)).join(', ');
  return `${shape} [${head}${t.data.length > 3 ? ', …' : ''}]`;
}

/** Full precision, as the `data-value`/`data-grad` attributes carry it. */
export function attrValue(v: Value | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return String(v);
  const cell = (x: number) => (Number.isFinite(x) ? x : String(x));
  if (v.shape.length === 1) return JSON.stringify(Array.from(v.data, cell));
  if (v.shape.length === 2) {
    const [rows, cols] = v.shape;
    const out: unknown[][] = [];
    for (let r = 0; r < rows; r++)
      out.push(Array.from(v.data.subarray(r * cols, (r + 1) * cols), cell));
    return JSON.stringify(out);
  }
  return String(v.data[0]);
}

/** The full-precision text shown on hover or focus. */
export function fullText(v: Value | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return String(v);
  return attrValue(v);
}

/**
 * A matrix entry rounded to fit a cell of five characters (sign included): three or two
 * significant digits where they fit, else fewer decimals, else one digit in scientific notation. The
 * exact number is on hover and focus.
 */
export function formatCell(x: number, signed = false): string {
  const fits = (t: string) => [...t].length <= 5;
  const sign = (t: string) => (signed && x > 0 ? `+${t}` : t);
  if (!Number.isFinite(x) || x === 0) return formatNumber(x);
  const abs = Math.abs(x);
  for (const digits of [3, 2]) {
    const t = sign(formatNumber(x, digits));
    if (fits(t)) return t;
  }
  if (abs >= 0.01 && abs < 1e4) {
    for (let d = 2; d >= 0; d--) {
      const t = sign(Number(x.toFixed(d)).toString().replaceAll('-', MINUS));
      if (fits(t) && Number(x.toFixed(d)) !== 0) return t;
    }
  }
  return sign(x.toExponential(0).replace('e+', 'e').replaceAll('-', MINUS));
}

/** Every digit of a number (as `data-value` carries it), with a real minus sign. */
export function exactNumber(x: number, signed = false): string {
  const t = Number.isNaN(x) ? 'NaN' : Number.isFinite(x) ? String(x) : x > 0 ? '∞' : '−∞';
  return (signed && x > 0 ? `+${t}` : t).replaceAll('-', MINUS);
}
