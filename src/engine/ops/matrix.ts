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
 * optionally read transposed (by index arithmetic: nothing is copied, nothing allocated).
 *
 * Each case walks memory in order: a plain product runs i-k-j (a row of b, scaled by one
 * entry of a, added into a row of out); a product with b transposed takes dot products of
 * rows of a and rows of b as stored; with a transposed, each row of out gathers rows of b,
 * scaled by a column of a. Every entry of out is summed over k in ascending order, one term
 * at a time, so the result is the same float a naive triple loop gives. Four terms are added
 * per pass over a row of out (four rows of b at a time), so out is loaded and stored a
 * quarter as often.
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
  if (!accumulate) out.fill(0, o0, o0 + m * n);
  if (bT && !aT) gemmNT(m, n, k, a, a0, b, b0, out, o0);
  else if (aT && !bT) gemmRows(m, n, k, a, a0, m, 1, b, b0, out, o0);
  else if (!aT && !bT) gemmRows(m, n, k, a, a0, 1, k, b, b0, out, o0);
  else gemmTT(m, n, k, a, a0, b, b0, out, o0);
}

/**
 * out[i, :] += Σₚ a(i, p) · b[p, :], b stored k×n; entry (i, p) of a at a0 + p·aP + i·aI (so
 * a plain a has aP = 1, aI = k, and a transposed one aP = m, aI = 1).
 */
function gemmRows(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  a0: number,
  aP: number,
  aI: number,
  b: Float64Array,
  b0: number,
  out: Float64Array,
  o0: number,
): void {
  let i = 0;
  // Two rows of out at a time: each entry of b read is used twice.
  for (; i + 1 < m; i += 2) {
    const o = o0 + i * n;
    const q = o + n;
    const ai = a0 + i * aI;
    const ci = ai + aI;
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const x0 = a[ai + p * aP];
      const x1 = a[ai + (p + 1) * aP];
      const x2 = a[ai + (p + 2) * aP];
      const x3 = a[ai + (p + 3) * aP];
      const y0 = a[ci + p * aP];
      const y1 = a[ci + (p + 1) * aP];
      const y2 = a[ci + (p + 2) * aP];
      const y3 = a[ci + (p + 3) * aP];
      const r0 = b0 + p * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      for (let j = 0; j < n; j++) {
        const b0j = b[r0 + j];
        const b1j = b[r1 + j];
        const b2j = b[r2 + j];
        const b3j = b[r3 + j];
        out[o + j] = out[o + j] + x0 * b0j + x1 * b1j + x2 * b2j + x3 * b3j;
        out[q + j] = out[q + j] + y0 * b0j + y1 * b1j + y2 * b2j + y3 * b3j;
      }
    }
    for (; p < k; p++) {
      const x = a[ai + p * aP];
      const y = a[ci + p * aP];
      const r = b0 + p * n;
      for (let j = 0; j < n; j++) {
        const bj = b[r + j];
        out[o + j] += x * bj;
        out[q + j] += y * bj;
      }
    }
  }
  for (; i < m; i++) {
    const o = o0 + i * n;
    const ai = a0 + i * aI;
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const x0 = a[ai + p * aP];
      const x1 = a[ai + (p + 1) * aP];
      const x2 = a[ai + (p + 2) * aP];
      const x3 = a[ai + (p + 3) * aP];
      const r0 = b0 + p * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      for (let j = 0; j < n; j++) {
        out[o + j] = out[o + j] + x0 * b[r0 + j] + x1 * b[r1 + j] + x2 * b[r2 + j] + x3 * b[r3 + j];
      }
    }
    for (; p < k; p++) {
      const x = a[ai + p * aP];
      const r = b0 + p * n;
      for (let j = 0; j < n; j++) out[o + j] += x * b[r + j];
    }
  }
}

/** out[i, j] += a[i, :] · bStored[j, :]: b is stored n×k and read transposed. */
function gemmNT(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  a0: number,
  b: Float64Array,
  b0: number,
  out: Float64Array,
  o0: number,
): void {
  let i = 0;
  // Two rows of a against four rows of b: eight sums, each entry read used two or four times.
  for (; i + 1 < m; i += 2) {
    const ai = a0 + i * k;
    const ci = ai + k;
    const o = o0 + i * n;
    const q = o + n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const r0 = b0 + j * k;
      const r1 = r0 + k;
      const r2 = r1 + k;
      const r3 = r2 + k;
      let s0 = out[o + j];
      let s1 = out[o + j + 1];
      let s2 = out[o + j + 2];
      let s3 = out[o + j + 3];
      let t0 = out[q + j];
      let t1 = out[q + j + 1];
      let t2 = out[q + j + 2];
      let t3 = out[q + j + 3];
      for (let p = 0; p < k; p++) {
        const x = a[ai + p];
        const y = a[ci + p];
        const w0 = b[r0 + p];
        const w1 = b[r1 + p];
        const w2 = b[r2 + p];
        const w3 = b[r3 + p];
        s0 += x * w0;
        s1 += x * w1;
        s2 += x * w2;
        s3 += x * w3;
        t0 += y * w0;
        t1 += y * w1;
        t2 += y * w2;
        t3 += y * w3;
      }
      out[o + j] = s0;
      out[o + j + 1] = s1;
      out[o + j + 2] = s2;
      out[o + j + 3] = s3;
      out[q + j] = t0;
      out[q + j + 1] = t1;
      out[q + j + 2] = t2;
      out[q + j + 3] = t3;
    }
    for (; j < n; j++) {
      const r = b0 + j * k;
      let s = out[o + j];
      let t = out[q + j];
      for (let p = 0; p < k; p++) {
        const w = b[r + p];
        s += a[ai + p] * w;
        t += a[ci + p] * w;
      }
      out[o + j] = s;
      out[q + j] = t;
    }
  }
  for (; i < m; i++) {
    const ai = a0 + i * k;
    const o = o0 + i * n;
    for (let j = 0; j < n; j++) {
      const r = b0 + j * k;
      let s = out[o + j];
      for (let p = 0; p < k; p++) s += a[ai + p] * b[r + p];
      out[o + j] = s;
    }
  }
}

/** Both operands read transposed (no op asks for it; kept for completeness). */
function gemmTT(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  a0: number,
  b: Float64Array,
  b0: number,
  out: Float64Array,
  o0: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = out[o0 + i * n + j];
      for (let p = 0; p < k; p++) s += a[a0 + p * m + i] * b[b0 + j * k + p];
      out[o0 + i * n + j] = s;
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
