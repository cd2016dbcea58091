import { mulberry32, normals } from './random';
import type { NestedNumbers, Shape, Tensor, Value } from './types';

export const SCALAR: Shape = [];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeEquals(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The shape of an elementwise op of `a` and `b`, or undefined when they do not broadcast: the
 * same shape; a scalar beside anything; or, beside a matrix [m×n], a column [m×1], a row
 * [1×n] or a 1×1 matrix, repeated along the axis where it has 1 (NumPy's rule, restricted to
 * one operand being the full shape: a column beside a row is refused, and so is a vector
 * beside a matrix, since a vector is neither a row nor a column).
 */
export function broadcastShape(a: Shape, b: Shape): Shape | undefined {
  if (shapeEquals(a, b)) return a;
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  if (a.length === 2 && b.length === 2) {
    if (fitsInto(b, a)) return a;
    if (fitsInto(a, b)) return b;
  }
  return undefined;
}

/** Whether a matrix `small` repeats into `big` along its axes of length 1. */
function fitsInto(small: Shape, big: Shape): boolean {
  return (small[0] === big[0] || small[0] === 1) && (small[1] === big[1] || small[1] === 1);
}

/**
 * What may stand beside a value of shape `shape` in an elementwise op, in words: for 5×3,
 * "5×1, 1×3, a scalar or 5×3"; for a vector of 3, "a scalar or a vector of 3".
 */
export function broadcastPartners(shape: Shape): string {
  const options: string[] = [];
  if (shape.length === 2) {
    const [m, n] = shape;
    for (const s of [`${m}×1`, `1×${n}`]) if (!options.includes(s)) options.push(s);
  }
  if (shape.length > 0) options.push('a scalar');
  const full = shapeInWords(shape);
  if (!options.includes(full)) options.push(full);
  return options.length === 1
    ? options[0]
    : `${options.slice(0, -1).join(', ')} or ${options[options.length - 1]}`;
}

/**
 * How an elementwise gate reads a port of shape `port` (which broadcasts to the gate's shape):
 * entry (r, c) of the output (rows × columns; a vector is one row, a scalar 1×1) reads entry
 * `r * rowStride + c * colStride` of the port. A stride is 0 along an axis the port repeats on.
 */
export function broadcastStrides(port: Shape): readonly [rowStride: number, colStride: number] {
  if (port.length === 0) return [0, 0];
  if (port.length === 1) return [0, 1];
  const [rows, cols] = port;
  return [rows === 1 ? 0 : cols, cols === 1 ? 0 : 1];
}

/** The rows and columns of an elementwise gate's output: a vector is one row, a scalar 1×1. */
export function rowsAndCols(shape: Shape): readonly [number, number] {
  if (shape.length === 2) return shape;
  if (shape.length === 1) return [1, shape[0]];
  return [1, 1];
}

/**
 * The entry of a port of shape `port` that entry `i` (row-major) of an elementwise gate of
 * shape `out` reads.
 */
export function broadcastIndex(port: Shape, out: Shape, i: number): number {
  const [rs, cs] = broadcastStrides(port);
  const cols = rowsAndCols(out)[1];
  return Math.floor(i / cols) * rs + (i % cols) * cs;
}

/** A shape as a message names it: "a scalar", "a vector of 3", "5×10". */
export function shapeInWords(shape: Shape): string {
  if (shape.length === 0) return 'a scalar';
  if (shape.length === 1) return `a vector of ${shape[0]}`;
  return formatShape(shape);
}

/** `[]` → "scalar", `[3]` → "3", `[5, 10]` → "5×10". */
export function formatShape(shape: Shape): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

export function scalar(x: number): Tensor {
  return { shape: SCALAR, data: Float64Array.of(x) };
}

export function tensor(shape: Shape, data: ArrayLike<number>): Tensor {
  if (data.length !== sizeOf(shape)) {
    throw new Error(
      `A ${formatShape(shape)} tensor needs ${sizeOf(shape)} numbers, got ${data.length}`,
    );
  }
  return { shape, data: Float64Array.from(data) };
}

export function zeros(shape: Shape): Tensor {
  return { shape, data: new Float64Array(sizeOf(shape)) };
}

/**
 * Reads a number or a nested array (rank ≤ 2) into a tensor. Returns an error message for
 * ragged rows, empty arrays, deeper nesting or anything that is not a number.
 */
export function fromNested(value: unknown): Tensor | string {
  if (typeof value === 'number') return scalar(value);
  if (!Array.isArray(value)) return 'a value must be a number or an array of numbers';
  if (value.length === 0) return 'an array value must not be empty';
  if (value.every((v) => typeof v === 'number')) {
    return { shape: [value.length], data: Float64Array.from(value as number[]) };
  }
  if (!value.every((row) => Array.isArray(row))) {
    return 'an array must hold either numbers or rows of numbers, not both';
  }
  const rows = value as unknown[][];
  const cols = rows[0].length;
  if (cols === 0) return 'a matrix row must not be empty';
  const data = new Float64Array(rows.length * cols);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row.length !== cols) {
      return `row ${r + 1} has ${row.length} numbers but row 1 has ${cols}: every row needs the same length`;
    }
    for (let c = 0; c < cols; c++) {
      const x = row[c];
      if (typeof x !== 'number') {
        return Array.isArray(x)
          ? 'values have at most two dimensions (a matrix)'
          : `row ${r + 1}, column ${c + 1} is not a number`;
      }
      data[r * cols + c] = x;
    }
  }
  return { shape: [rows.length, cols], data };
}

export function toNested(t: Tensor): NestedNumbers {
  const { shape, data } = t;
  if (shape.length === 0) return data[0];
  if (shape.length === 1) return Array.from(data);
  const [rows, cols] = shape;
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from(data.subarray(r * cols, (r + 1) * cols)));
  return out;
}

/** A scalar tensor becomes a plain number; anything else stays a tensor. */
export function toValue(t: Tensor): Value {
  return t.shape.length === 0 ? t.data[0] : t;
}

export function isTensor(v: Value): v is Tensor {
  return typeof v !== 'number';
}

/**
 * A deterministic normal sampler (the engine's seeded generator and Box–Muller), so
 * `randn(r, c)` in a link shows the same numbers on every machine.
 */
export function randn(rows: number, cols: number, seed = 42): Tensor {
  return { shape: [rows, cols], data: normals(mulberry32(seed), rows * cols) };
}
