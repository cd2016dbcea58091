import { formatShape } from '../tensor';
import type { Shape, Tensor } from '../types';
import { A, B, X } from './define';
import type { TensorOp } from './types';

/** Rows and columns of a matmul operand; a vector is a row on the left, a column on the right. */
function asMatrix(shape: Shape, side: 'left' | 'right'): [number, number] | undefined {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length === 1) return side === 'left' ? [1, shape[0]] : [shape[0], 1];
  return undefined;
}

/**
 * out[m×n] (+)= a[m×k] · b[k×n], with either operand optionally read transposed. Four
 * accumulators per row of the output keep the inner loop in registers.
 */
function gemm(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aT: boolean,
  b: Float64Array,
  bT: boolean,
  out: Float64Array,
  accumulate: boolean,
): void {
  // Element (i, p) of a is a[i*k + p], or a[p*m + i] when a is stored transposed (k×m).
  const aRow = aT ? 1 : k;
  const aCol = aT ? m : 1;
  const bRow = bT ? 1 : n;
  const bCol = bT ? k : 1;
  for (let i = 0; i < m; i++) {
    let j = 0;
    for (; j + 3 < n; j += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let p = 0; p < k; p++) {
        const av = a[i * aRow + p * aCol];
        const bp = p * bRow;
        s0 += av * b[bp + j * bCol];
        s1 += av * b[bp + (j + 1) * bCol];
        s2 += av * b[bp + (j + 2) * bCol];
        s3 += av * b[bp + (j + 3) * bCol];
      }
      const o = i * n + j;
      if (accumulate) {
        out[o] += s0;
        out[o + 1] += s1;
        out[o + 2] += s2;
        out[o + 3] += s3;
      } else {
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
      }
    }
    for (; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
      if (accumulate) out[i * n + j] += s;
      else out[i * n + j] = s;
    }
  }
}

export const matmul: TensorOp = {
  kind: 'tensor',
  name: 'matmul',
  title: 'matrix product',
  family: 'matrix',
  symbol: '@',
  ports: [A, B],
  formula: 'A\\,B',
  localGradFormulas: [
    '\\frac{\\partial f}{\\partial A} = \\frac{\\partial f}{\\partial D}\\,B^{\\top}',
    '\\frac{\\partial f}{\\partial B} = A^{\\top}\\,\\frac{\\partial f}{\\partial D}',
  ],
  pattern:
    'Dimension analysis: a gradient has the shape of its value, and dD·Bᵀ is the only product of dD and B with the shape of A.',
  inferShape([a, b]) {
    const left = asMatrix(a, 'left');
    const right = asMatrix(b, 'right');
    if (!left || !right) {
      return `matrix product needs vectors or matrices, got ${formatShape(a)} @ ${formatShape(b)}`;
    }
    if (left[1] !== right[0]) {
      const hint = shapeFits(a, [...b].reverse() as unknown as Shape)
        ? ` (the transpose of b, ${[...b].reverse().join('×')}, would fit)`
        : '';
      return `matrix product needs the columns of a to equal the rows of b: ${formatShape(a)} @ ${formatShape(b)} has ${left[1]} ≠ ${right[0]}${hint}`;
    }
    if (a.length === 1 && b.length === 1) return [];
    if (a.length === 1) return [right[1]];
    if (b.length === 1) return [left[0]];
    return [left[0], right[1]];
  },
  forward([a, b], out) {
    const [m, k] = asMatrix(a.shape, 'left') as [number, number];
    const n = (asMatrix(b.shape, 'right') as [number, number])[1];
    gemm(m, n, k, a.data, false, b.data, false, out.data, false);
  },
  vjp([a, b], _out, upstream, port, acc) {
    const [m, k] = asMatrix(a.shape, 'left') as [number, number];
    const n = (asMatrix(b.shape, 'right') as [number, number])[1];
    if (port === 0) {
      // dA (m×k) += dD (m×n) · Bᵀ (n×k)
      gemm(m, k, n, upstream.data, false, b.data, true, acc, true);
    } else {
      // dB (k×n) += Aᵀ (k×m) · dD (m×n)
      gemm(k, n, m, a.data, true, upstream.data, false, acc, true);
    }
  },
};

function shapeFits(a: Shape, bT: Shape): boolean {
  const left = asMatrix(a, 'left');
  const right = asMatrix(bT, 'right');
  return !!left && !!right && left[1] === right[0];
}

export const transpose: TensorOp = {
  kind: 'tensor',
  name: 'transpose',
  title: 'transpose',
  family: 'matrix',
  symbol: 'ᵀ',
  ports: [X],
  formula: 'X^{\\top}',
  localGradFormulas: [
    '\\frac{\\partial f}{\\partial X} = \\left(\\frac{\\partial f}{\\partial X^{\\top}}\\right)^{\\top}',
  ],
  inferShape: ([x]) => (x.length === 2 ? [x[1], x[0]] : x),
  forward([x], out) {
    transposeInto(x, out.data, false);
  },
  vjp(_inputs, out, upstream, _port, acc) {
    // The gradient of Xᵀ, transposed back into X's layout.
    transposeInto({ shape: out.shape, data: upstream.data }, acc, true);
  },
};

function transposeInto(x: Tensor, out: Float64Array, accumulate: boolean): void {
  if (x.shape.length < 2) {
    for (let i = 0; i < x.data.length; i++) out[i] = accumulate ? out[i] + x.data[i] : x.data[i];
    return;
  }
  const [r, c] = x.shape as [number, number];
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const v = x.data[i * c + j];
      out[j * r + i] = accumulate ? out[j * r + i] + v : v;
    }
  }
}

export const sum: TensorOp = {
  kind: 'tensor',
  name: 'sum',
  title: 'sum of all entries',
  family: 'matrix',
  symbol: 'Σ',
  ports: [X],
  formula: '\\sum_i x_i',
  localGradFormulas: ['\\frac{\\partial}{\\partial x_i} = 1'],
  pattern: 'A sum distributes: every entry receives the upstream gradient unchanged.',
  inferShape: () => [],
  forward([x], out) {
    let s = 0;
    for (let i = 0; i < x.data.length; i++) s += x.data[i];
    out.data[0] = s;
  },
  vjp(_inputs, _out, upstream, _port, acc) {
    const g = upstream.data[0];
    for (let i = 0; i < acc.length; i++) acc[i] += g;
  },
};

export const mean: TensorOp = {
  kind: 'tensor',
  name: 'mean',
  title: 'mean of all entries',
  family: 'matrix',
  symbol: 'mean',
  ports: [X],
  formula: '\\frac{1}{n}\\sum_i x_i',
  localGradFormulas: ['\\frac{\\partial}{\\partial x_i} = \\frac{1}{n}'],
  inferShape: () => [],
  forward([x], out) {
    let s = 0;
    for (let i = 0; i < x.data.length; i++) s += x.data[i];
    out.data[0] = s / x.data.length;
  },
  vjp([x], _out, upstream, _port, acc) {
    const g = upstream.data[0] / x.data.length;
    for (let i = 0; i < acc.length; i++) acc[i] += g;
  },
};

function extremum(name: 'reducemax' | 'reducemin'): TensorOp {
  const isMax = name === 'reducemax';
  const word = isMax ? 'max' : 'min';
  return {
    kind: 'tensor',
    name,
    title: `${isMax ? 'largest' : 'smallest'} entry`,
    family: 'matrix',
    symbol: word,
    ports: [X],
    formula: `\\${word}_i x_i`,
    localGradFormulas: [
      `\\frac{\\partial}{\\partial x_i} = \\frac{[x_i = \\${word}]}{\\#\\text{ties}}`,
    ],
    pattern: `A ${word} routes: the winning entry receives the upstream gradient (split evenly between ties), the others exactly 0.`,
    inferShape: () => [],
    forward([x], out) {
      let best = x.data[0];
      for (let i = 1; i < x.data.length; i++) {
        const v = x.data[i];
        if (Number.isNaN(v) || (isMax ? v > best : v < best)) best = v;
        if (Number.isNaN(best)) break;
      }
      out.data[0] = best;
    },
    vjp([x], out, upstream, _port, acc) {
      const best = out.data[0];
      let ties = 0;
      for (let i = 0; i < x.data.length; i++) if (x.data[i] === best) ties++;
      if (ties === 0) return;
      const g = upstream.data[0] / ties;
      for (let i = 0; i < x.data.length; i++) if (x.data[i] === best) acc[i] += g;
    },
    branch([x]) {
      let best = 0;
      for (let i = 1; i < x.data.length; i++) {
        if (isMax ? x.data[i] > x.data[best] : x.data[i] < x.data[best]) best = i;
      }
      return best;
    },
  };
}

export const reducemax = extremum('reducemax');
export const reducemin = extremum('reducemin');

export const matrixOps = [matmul, transpose, sum, mean, reducemax, reducemin] as const;
