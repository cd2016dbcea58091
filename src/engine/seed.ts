/**
 * The upstream gradient the backward pass starts from: ∂f/∂(output). A scalar output starts
 * from 1. A tensor output D starts from a dD of its own shape, which is the user's to choose:
 * ones (the gradient of `sum(D)`, the default), a random dD with a fixed seed (as the notes
 * write `dD = np.random.randn(*D.shape)`), one entry set to 1 (to follow a single number back
 * through the circuit), or values typed in.
 */
import { mulberry32, normals } from './random';
import { formatShape, fromNested, shapeEquals, sizeOf } from './tensor';
import type { NestedNumbers, Shape, Tensor } from './types';

export type UpstreamSeed =
  /** Every entry 1: the backward pass of f = Σ D. */
  | { readonly kind: 'ones' }
  /** Standard normal entries from the engine's generator (`randn`'s), the same for a seed. */
  | { readonly kind: 'random'; readonly seed: number }
  /**
   * 1 at one entry, 0 elsewhere: `[i, j]` for a matrix, `[i]` for a vector, `[]` for a scalar
   * (0-based, as in NumPy).
   */
  | { readonly kind: 'onehot'; readonly index: readonly number[] }
  /** Values of the output's shape: a tensor, or a number or nested arrays of numbers. */
  | { readonly kind: 'values'; readonly values: Tensor | NestedNumbers }
  /** A tensor of the output's shape, as is. */
  | Tensor;

const isTensor = (x: unknown): x is Tensor =>
  typeof x === 'object' && x !== null && 'data' in x && x.data instanceof Float64Array;

/** Where entry `i` of a value of shape `shape` is, in words: "row 2, column 3" (1-based). */
function placeOf(shape: Shape, i: number): string {
  if (shape.length === 2) {
    const cols = shape[1];
    return `row ${Math.floor(i / cols) + 1}, column ${(i % cols) + 1}`;
  }
  return shape.length === 1 ? `entry ${i + 1}` : 'the value';
}

/**
 * The entries (row-major) of the upstream gradient for an output of shape `shape`, or a message
 * saying what is wrong with `seed`: a shape other than the output's (naming both), a
 * non-number or a non-finite number (naming its place), a one-hot index outside the output, a
 * random seed that is not a whole number in 0 … 2³² − 1.
 */
export function seedValues(shape: Shape, seed: UpstreamSeed): Float64Array | string {
  const n = sizeOf(shape);
  if (isTensor(seed)) return checkValues(shape, seed);
  if (typeof seed !== 'object' || seed === null) {
    return 'the upstream gradient must be ones, random, one-hot or values';
  }
  switch (seed.kind) {
    case 'ones':
      return new Float64Array(n).fill(1);
    case 'random': {
      const s = seed.seed;
      if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) {
        return `the seed of a random upstream gradient must be a whole number from 0 to 4294967295, got ${String(s)}`;
      }
      return normals(mulberry32(s), n);
    }
    case 'onehot':
      return oneHot(shape, seed.index);
    case 'values': {
      const given = seed.values;
      const t = isTensor(given) ? given : fromNested(given);
      if (typeof t === 'string') return `the upstream gradient: ${t}`;
      return checkValues(shape, t);
    }
    default:
      return `unknown kind of upstream gradient '${String((seed as { kind: unknown }).kind)}' (ones, random, onehot or values)`;
  }
}

function checkValues(shape: Shape, t: Tensor): Float64Array | string {
  if (!shapeEquals(t.shape, shape)) {
    return `the upstream gradient is ${formatShape(t.shape)} but the output is ${formatShape(shape)}: it needs the output's shape`;
  }
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      return `the upstream gradient at ${placeOf(shape, i)} is ${String(data[i])}, not a finite number`;
    }
  }
  return Float64Array.from(data);
}

function oneHot(shape: Shape, index: readonly number[]): Float64Array | string {
  const where = Array.isArray(index) ? `[${index.join(', ')}]` : String(index);
  if (!Array.isArray(index) || index.length !== shape.length) {
    const wanted =
      shape.length === 2 ? '[row, column]' : shape.length === 1 ? '[entry]' : '[] (a scalar)';
    return `a one-hot upstream gradient of a ${formatShape(shape)} output needs an index ${wanted}, got ${where}`;
  }
  let at = 0;
  for (let d = 0; d < shape.length; d++) {
    const i = index[d];
    const size = shape[d] as number;
    if (!Number.isInteger(i) || i < 0 || i >= size) {
      const axis = shape.length === 2 ? (d === 0 ? 'row' : 'column') : 'entry';
      return `the one-hot index ${where} is outside the ${formatShape(shape)} output: the ${axis} must be a whole number from 0 to ${size - 1}`;
    }
    at = at * size + i;
  }
  const out = new Float64Array(sizeOf(shape));
  out[at] = 1;
  return out;
}
