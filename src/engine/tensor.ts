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
