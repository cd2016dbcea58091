import { formatShape, sizeOf } from '../tensor';
import type { Shape } from '../types';
import { A, B, tensorOp, X } from './define';
import { PRECEDENCE } from './types';

// A matmul operand as a matrix: a vector is a row on the left, a column on the right. These
// read the shape without making an array, since the passes call them on every run.
const leftRows = (s: Shape) => (s.length === 2 ? s[0] : 1);
const leftCols = (s: Shape) => (s.length === 2 ? s[1] : (s[0] as number));
const rightCols = (s: Shape) => (s.length === 2 ? s[1] : 1);

/** Rows and columns of a matmul operand, or undefined for a scalar. */
function asMatrix(shape: Shape, side: 'left' | 'right'): [number, number] | undefined {
  if (shape.length === 0) return undefined;
  return side === 'left'
    ? [leftRows(shape), leftCols(shape)]
    : [shape[0] as number, rightCols(shape)];
}

/**
 * out[m×n] (+)= a[m×k] · b[k×n], each matrix at an offset into its array, either operand
 * optionally read transposed. Four accumulators per row of the output keep the inner loop in
 * registers.
 */
function gemm(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  a0: number,
  aT: boolean,
  b: Float64Array,
  b0: number,
  bT: boolean,
  out: Float64Array,
  o0: number,
  accumulate: boolean,
): void {
  // Element (i, p) of a is a[a0 + i*k + p], or a[a0 + p*m + i] when a is stored transposed.
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
        const av = a[a0 + i * aRow + p * aCol];
        const bp = b0 + p * bRow;
        s0 += av * b[bp + j * bCol];
        s1 += av * b[bp + (j + 1) * bCol];
        s2 += av * b[bp + (j + 2) * bCol];
        s3 += av * b[bp + (j + 3) * bCol];
      }
      const o = o0 + i * n + j;
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
      for (let p = 0; p < k; p++) {
        s += a[a0 + i * aRow + p * aCol] * b[b0 + p * bRow + j * bCol];
      }
      if (accumulate) out[o0 + i * n + j] += s;
      else out[o0 + i * n + j] = s;
    }
  }
}

const dD = '\\frac{\\partial f}{\\partial D}';

export const matmul = tensorOp({
  name: 'matmul',
  title: 'matrix product',
  family: 'matrix',
  symbol: '@',
  ports: [A, B],
  formula: 'A\\,B',
  grads: [
    `\\frac{\\partial f}{\\partial A} = ${dD}\\,B^{\\top}`,
    `\\frac{\\partial f}{\\partial B} = A^{\\top}\\,${dD}`,
  ],
  withLiteral: [
    {
      label: (c) => `${c} @`,
      grads: (c) => [`\\frac{\\partial f}{\\partial B} = ${c}^{\\top}\\,${dD}`],
    },
    {
      label: (c) => `@ ${c}`,
      grads: (c) => [`\\frac{\\partial f}{\\partial A} = ${dD}\\,${c}^{\\top}`],
    },
  ],
  pattern:
    'Dimension analysis: a gradient has the shape of its value, and dD·Bᵀ is the only product of dD and B with the shape of A.',
  syntax: {
    infix: { token: '@', precedence: PRECEDENCE.multiplicative, associativity: 'left' },
  },
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
  forward(v, g) {
    const [sa, sb] = g.shapes;
    const m = leftRows(sa);
    const k = leftCols(sa);
    const n = rightCols(sb);
    gemm(m, n, k, v, g.inputs[0], false, v, g.inputs[1], false, v, g.out, false);
  },
  vjp(v, gr, g, port, acc, at) {
    const [sa, sb] = g.shapes;
    const m = leftRows(sa);
    const k = leftCols(sa);
    const n = rightCols(sb);
    if (port === 0) {
      // dA (m×k) += dD (m×n) · Bᵀ (n×k)
      gemm(m, k, n, gr, g.out, false, v, g.inputs[1], true, acc, at, true);
    } else {
      // dB (k×n) += Aᵀ (k×m) · dD (m×n)
      gemm(k, n, m, v, g.inputs[0], true, gr, g.out, false, acc, at, true);
    }
  },
});

function shapeFits(a: Shape, bT: Shape): boolean {
  const left = asMatrix(a, 'left');
  const right = asMatrix(bT, 'right');
  return !!left && !!right && left[1] === right[0];
}

/** A one-port tensor op with a literal operand is a constant gate: `sum([2×3])`. */
const constantForm = (symbol: string) => [
  { label: (c: string) => `${symbol}(${c})`, grads: () => [] },
];

export const transpose = tensorOp({
  name: 'transpose',
  title: 'transpose',
  family: 'matrix',
  symbol: 'ᵀ',
  ports: [X],
  formula: 'X^{\\top}',
  grads: [
    '\\frac{\\partial f}{\\partial X} = \\left(\\frac{\\partial f}{\\partial X^{\\top}}\\right)^{\\top}',
  ],
  withLiteral: [{ label: (c) => `${c}ᵀ`, grads: () => [] }],
  syntax: { call: { name: 'transpose' } },
  inferShape: ([x]) => (x.length === 2 ? [x[1], x[0]] : x),
  forward(v, g) {
    transposeInto(v, g.inputs[0], g.shapes[0], v, g.out, false);
  },
  vjp(_v, gr, g, _port, acc, at) {
    // The gradient of Xᵀ, transposed back into X's layout.
    transposeInto(gr, g.out, g.outShape, acc, at, true);
  },
});

/** out[o …] (+)= the transpose of the `shape` matrix at x[i …]; a vector is copied. */
function transposeInto(
  x: Float64Array,
  i0: number,
  shape: Shape,
  out: Float64Array,
  o0: number,
  accumulate: boolean,
): void {
  if (shape.length < 2) {
    const n = sizeOf(shape);
    for (let i = 0; i < n; i++) {
      out[o0 + i] = accumulate ? out[o0 + i] + x[i0 + i] : x[i0 + i];
    }
    return;
  }
  const r = shape[0] as number;
  const c = shape[1] as number;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const v = x[i0 + i * c + j];
      const o = o0 + j * r + i;
      out[o] = accumulate ? out[o] + v : v;
    }
  }
}

export const sum = tensorOp({
  name: 'sum',
  title: 'sum of all entries',
  family: 'matrix',
  symbol: 'Σ',
  ports: [X],
  formula: '\\sum_i x_i',
  grads: ['\\frac{\\partial}{\\partial x_i} = 1'],
  withLiteral: constantForm('Σ'),
  pattern: 'A sum distributes: every entry receives the upstream gradient unchanged.',
  syntax: { call: { name: 'sum' } },
  inferShape: () => [],
  forward(v, g) {
    const x0 = g.inputs[0];
    const n = sizeOf(g.shapes[0]);
    let s = 0;
    for (let i = 0; i < n; i++) s += v[x0 + i];
    v[g.out] = s;
  },
  vjp(_v, gr, g, _port, acc, at) {
    const up = gr[g.out];
    const n = sizeOf(g.shapes[0]);
    for (let i = 0; i < n; i++) acc[at + i] += up;
  },
});

export const mean = tensorOp({
  name: 'mean',
  title: 'mean of all entries',
  family: 'matrix',
  symbol: 'mean',
  ports: [X],
  formula: '\\frac{1}{n}\\sum_i x_i',
  grads: ['\\frac{\\partial}{\\partial x_i} = \\frac{1}{n}'],
  withLiteral: constantForm('mean'),
  syntax: { call: { name: 'mean' } },
  inferShape: () => [],
  forward(v, g) {
    const x0 = g.inputs[0];
    const n = sizeOf(g.shapes[0]);
    let s = 0;
    for (let i = 0; i < n; i++) s += v[x0 + i];
    v[g.out] = s / n;
  },
  vjp(_v, gr, g, _port, acc, at) {
    const n = sizeOf(g.shapes[0]);
    const up = gr[g.out] / n;
    for (let i = 0; i < n; i++) acc[at + i] += up;
  },
});

/**
 * A sum or mean along one axis of a matrix, NumPy's convention with `keepdims=True`: axis 0
 * runs down the rows, so an m×n matrix gives a row [1×n] (one number per column); axis 1 runs
 * across the columns and gives a column [m×1] (one number per row). The result keeps two
 * dimensions, so it broadcasts back against the matrix (`X - mean(X, 0)`). Written
 * `sum(t, 0)`, `sum(t, 1)`, `mean(t, 0)`, `mean(t, 1)`; in NumPy `np.sum(t, axis=0,
 * keepdims=True)`. Each axis is an op of its own (`sum0`, `sum1`, `mean0`, `mean1`), so a
 * gate's axis is part of what it is, never a number that could be wired.
 */
function alongAxis(kind: 'sum' | 'mean', axis: 0 | 1) {
  const isMean = kind === 'mean';
  const what = axis === 0 ? 'column' : 'row';
  const symbol = `${isMean ? 'mean' : 'Σ'}${axis === 0 ? '₀' : '₁'}`;
  // The index summed over, and the one kept, in TeX.
  const [over, kept] = axis === 0 ? ['i', 'j'] : ['j', 'i'];
  const count = axis === 0 ? 'm' : 'n';
  const scale = isMean ? `\frac{1}{${count}}` : '';
  const yEntry = axis === 0 ? `Y_{1${kept}}` : `Y_{${kept}1}`;
  return tensorOp({
    name: `${kind}${axis}`,
    title: `${what} ${isMean ? 'means' : 'sums'} (axis ${axis})`,
    family: 'matrix',
    symbol,
    ports: [X],
    formula: `${yEntry} = ${scale}sum_${over} X_{ij}`,
    grads: [`\frac{partial f}{partial X_{ij}} = ${scale}\frac{partial f}{partial ${yEntry}}`],
    withLiteral: constantForm(symbol),
    pattern: `A ${kind} along an axis distributes: every entry of a ${what} receives that ${what}'s upstream gradient${isMean ? `, divided by the ${what}'s length` : ''}.`,
    syntax: {
      call: {
        name: kind,
        axis,
        hint: `a matrix and an axis: 0 for one ${isMean ? 'mean' : 'sum'} per column, 1 per row`,
      },
    },
    inferShape([x]) {
      if (x.length !== 2) {
        return `${kind} along axis ${axis} needs a matrix, got ${x.length === 0 ? 'a scalar' : `a vector of ${x[0]}`}; ${kind}(x) ${isMean ? 'averages' : 'adds'} every entry`;
      }
      return axis === 0 ? [1, x[1]] : [x[0], 1];
    },
    forward(v, g) {
      const [m, n] = g.shapes[0] as readonly [number, number];
      const x0 = g.inputs[0];
      const o = g.out;
      if (axis === 0) {
        // Row by row, so both arrays are read in order.
        for (let j = 0; j < n; j++) v[o + j] = v[x0 + j];
        for (let i = 1; i < m; i++) {
          const r = x0 + i * n;
          for (let j = 0; j < n; j++) v[o + j] += v[r + j];
        }
        if (isMean) for (let j = 0; j < n; j++) v[o + j] /= m;
      } else {
        for (let i = 0; i < m; i++) {
          const r = x0 + i * n;
          let s = 0;
          for (let j = 0; j < n; j++) s += v[r + j];
          v[o + i] = isMean ? s / n : s;
        }
      }
    },
    vjp(_v, gr, g, _port, acc, at) {
      const [m, n] = g.shapes[0] as readonly [number, number];
      const o = g.out;
      for (let i = 0; i < m; i++) {
        const r = at + i * n;
        for (let j = 0; j < n; j++) {
          const up = gr[o + (axis === 0 ? j : i)];
          acc[r + j] += isMean ? up / (axis === 0 ? m : n) : up;
        }
      }
    },
  });
}

export const sum0 = alongAxis('sum', 0);
export const sum1 = alongAxis('sum', 1);
export const mean0 = alongAxis('mean', 0);
export const mean1 = alongAxis('mean', 1);

function extremum(name: 'reducemax' | 'reducemin') {
  const isMax = name === 'reducemax';
  const word = isMax ? 'max' : 'min';
  const better = (x: number, best: number) => (isMax ? x > best : x < best);
  return tensorOp({
    name,
    title: `${isMax ? 'largest' : 'smallest'} entry`,
    family: 'matrix',
    symbol: word,
    ports: [X],
    formula: `\\${word}_i x_i`,
    grads: [`\\frac{\\partial}{\\partial x_i} = \\frac{[x_i = \\${word}]}{\\#\\text{ties}}`],
    withLiteral: constantForm(word),
    pattern: `A ${word} routes: the winning entry receives the upstream gradient (split evenly between ties), the others exactly 0.`,
    syntax: {
      call: {
        name: word,
        hint: `the ${isMax ? 'largest' : 'smallest'} entry of a tensor`,
      },
    },
    inferShape: () => [],
    forward(v, g) {
      const x0 = g.inputs[0];
      const n = sizeOf(g.shapes[0]);
      let best = v[x0];
      for (let i = 1; i < n; i++) {
        const x = v[x0 + i];
        if (Number.isNaN(x) || better(x, best)) best = x;
        if (Number.isNaN(best)) break;
      }
      v[g.out] = best;
    },
    vjp(v, gr, g, _port, acc, at) {
      const x0 = g.inputs[0];
      const n = sizeOf(g.shapes[0]);
      const best = v[g.out];
      let ties = 0;
      for (let i = 0; i < n; i++) if (v[x0 + i] === best) ties++;
      if (ties === 0) return;
      const up = gr[g.out] / ties;
      for (let i = 0; i < n; i++) if (v[x0 + i] === best) acc[at + i] += up;
    },
    branch(v, g) {
      const x0 = g.inputs[0];
      const n = sizeOf(g.shapes[0]);
      let best = 0;
      for (let i = 1; i < n; i++) if (better(v[x0 + i], v[x0 + best])) best = i;
      return best;
    },
  });
}

export const reducemax = extremum('reducemax');
export const reducemin = extremum('reducemin');

export const matrixOps = [
  matmul,
  transpose,
  sum,
  mean,
  sum0,
  sum1,
  mean0,
  mean1,
  reducemax,
  reducemin,
] as const;
