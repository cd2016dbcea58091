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
