/**
 * The upstream gradient in the store: chosen per document, undoable, used by every run, refused
 * in place when it does not fit the output, and replaced by ones (with a reason) when the
 * output changes so that it no longer fits.
 */
import { describe, expect, it } from 'vitest';
import { parse, type Tensor } from '../../src/engine';
import { parseCircuitFile, serializeCircuit } from '../../src/share/file';
import { docFromCircuit, docToCircuit } from '../../src/store/document';
import { createAppStore } from '../../src/store/store';

const PROGRAM = 'W = [[1, 2, 3], [4, 5, 6]]\nX = [[1, -1], [2, 0.5], [0, 3]]\nD = W @ X';

function store(program = PROGRAM) {
  return createAppStore(docFromCircuit(parse(program).circuit, program));
}

const mat = (rows: number[][]): Tensor => ({
  shape: [rows.length, rows[0].length],
  data: Float64Array.from(rows.flat()),
});

/** A · B for row-major matrices, naively. */
function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
}
const transpose = (a: number[][]) => a[0].map((_, j) => a.map((row) => row[j]));
const rows = (data: ArrayLike<number>, cols: number): number[][] => {
  const out: number[][] = [];
  for (let i = 0; i < data.length; i += cols) out.push(Array.from(data).slice(i, i + cols));
  return out;
};
const W = [
  [1, 2, 3],
  [4, 5, 6],
];
const X = [
  [1, -1],
  [2, 0.5],
  [0, 3],
];

function grads(s: ReturnType<typeof store>) {
  const { evaluation } = s.getState();
  return {
    dW: rows((evaluation.grad('W') as Tensor).data, 3),
    dX: rows((evaluation.grad('X') as Tensor).data, 2),
    dD: rows(evaluation.seed, 2),
  };
}

describe('the upstream gradient in the store', () => {
  it('starts from ones: dW = ones · Xᵀ', () => {
    const s = store();
    const { dW, dD } = grads(s);
    expect(dD).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(dW).toEqual(matmul(dD, transpose(X)));
    expect(s.getState().seedProblem).toBeNull();
  });

  it('uses typed values: dW = dD · Xᵀ and dX = Wᵀ · dD', () => {
    const s = store();
    const dD = [
      [2, -1],
      [0.5, 3],
    ];
    expect(s.getState().setSeed({ kind: 'values', values: dD })).toBeUndefined();
    const got = grads(s);
    expect(got.dD).toEqual(dD);
    expect(got.dW).toEqual(matmul(dD, transpose(X)));
    expect(got.dX).toEqual(matmul(transpose(W), dD));
    expect(docToCircuit(s.getState().doc).seed).toEqual({ kind: 'values', values: mat(dD) });
  });

  it('a one-hot entry (i, j) gives dW row i = X[:, j]ᵀ and zeros elsewhere', () => {
    const s = store();
    s.getState().setSeed({ kind: 'onehot', index: [1, 0] });
    const { dW } = grads(s);
    expect(dW[1]).toEqual(X.map((r) => r[0]));
    expect(dW[0]).toEqual([0, 0, 0]);
  });

  it('random with a seed is the same for the same seed and differs for another', () => {
    const s = store();
    s.getState().setSeed({ kind: 'random', seed: 7 });
    const first = grads(s);
    s.getState().setSeed({ kind: 'random', seed: 8 });
    const other = grads(s);
    s.getState().setSeed({ kind: 'random', seed: 7 });
    expect(grads(s)).toEqual(first);
    expect(other.dD).not.toEqual(first.dD);
    expect(first.dW).toEqual(matmul(first.dD, transpose(X)));
  });

  it('refuses values of the wrong shape or a non-number, naming both shapes, keeping the previous', () => {
    const s = store();
    s.getState().setSeed({ kind: 'random', seed: 3 });
    const before = grads(s);
    const doc = s.getState().doc;
    const wrong = s.getState().setSeed({ kind: 'values', values: [[1, 2, 3]] });
    expect(wrong).toMatch(/1×3.*2×2/);
    const nan = s.getState().setSeed({
      kind: 'values',
      values: mat([
        [1, Number.NaN],
        [0, 0],
      ]),
    });
    expect(nan).toMatch(/row 1, column 2/);
    const outside = s.getState().setSeed({ kind: 'onehot', index: [2, 0] });
    expect(outside).toMatch(/outside the 2×2 output/);
    expect(s.getState().doc).toBe(doc);
    expect(grads(s)).toEqual(before);
  });

  it('is one undo step', () => {
    const s = store();
    s.getState().setSeed({ kind: 'onehot', index: [0, 1] });
    expect(grads(s).dD).toEqual([
      [0, 1],
      [0, 0],
    ]);
    s.temporal.getState().undo();
    expect(s.getState().doc.seed).toBeUndefined();
    expect(grads(s).dD).toEqual([
      [1, 1],
      [1, 1],
    ]);
    s.temporal.getState().redo();
    expect(grads(s).dD).toEqual([
      [0, 1],
      [0, 0],
    ]);
  });

  it('falls back to ones with a reason when the output changes shape, and never throws', () => {
    const s = store();
    s.getState().setSeed({ kind: 'onehot', index: [1, 1] });
    // X becomes 3×1, so D is 2×1 and the entry [1, 1] is outside it.
    s.getState().setInputValue('X', mat([[1], [2], [3]]));
    expect(s.getState().seedProblem).toMatch(/outside the 2×1 output/);
    expect(Array.from(s.getState().evaluation.seed)).toEqual([1, 1]);
    expect(Array.from((s.getState().evaluation.grad('W') as Tensor).data)).toEqual([
      1, 2, 3, 1, 2, 3,
    ]);
    // Back to 3×2: the choice, kept in the document, fits again.
    s.getState().setInputValue('X', mat(X));
    expect(s.getState().seedProblem).toBeNull();
    expect(grads(s).dD).toEqual([
      [0, 0],
      [0, 1],
    ]);
  });

  it('is kept by a rename of an input and by setting another value', () => {
    const s = store();
    s.getState().setSeed({ kind: 'random', seed: 11 });
    s.getState().rename('W', 'V');
    expect(s.getState().doc.seed).toEqual({ kind: 'random', seed: 11 });
    s.getState().setInputValue(
      'V',
      mat([
        [0, 0, 1],
        [1, 0, 0],
      ]),
    );
    expect(s.getState().doc.seed).toEqual({ kind: 'random', seed: 11 });
    expect(s.getState().seedProblem).toBeNull();
  });

  it('refuses what is not an upstream gradient at all, keeping the document', () => {
    const s = store();
    const doc = s.getState().doc;
    for (const bad of [
      null,
      7,
      'random',
      { kind: '__proto__' },
      { kind: 'values', values: 'abc' },
      { kind: 'values', values: [[1, 2], [3]] },
      { kind: 'random', seed: -1 },
      { kind: 'onehot', index: 'x' },
    ]) {
      const why = s.getState().setSeed(bad as never);
      expect(typeof why, JSON.stringify(bad)).toBe('string');
      expect(s.getState().doc).toBe(doc);
    }
  });

  it('ones clears the choice', () => {
    const s = store();
    s.getState().setSeed({ kind: 'random', seed: 1 });
    s.getState().setSeed({ kind: 'ones' });
    expect(s.getState().doc.seed).toBeUndefined();
    expect(docToCircuit(s.getState().doc).seed).toBeUndefined();
  });
});

describe('the upstream gradient through a file', () => {
  it('comes back into a document as it was chosen', () => {
    const s = store();
    s.getState().setSeed({
      kind: 'values',
      values: [
        [1, 2],
        [3, 4],
      ],
    });
    const read = parseCircuitFile(serializeCircuit(docToCircuit(s.getState().doc)));
    if (!read.ok) throw new Error(read.error);
    const again = createAppStore(docFromCircuit(read.circuit));
    expect(again.getState().doc.seed).toEqual({
      kind: 'values',
      values: mat([
        [1, 2],
        [3, 4],
      ]),
    });
    expect(grads(again).dW).toEqual(grads(s).dW);
  });
});

describe('the upstream gradient and a changed program', () => {
  it('a scalar output starts from 1 whatever was chosen', () => {
    const s = store();
    s.getState().setSeed({ kind: 'random', seed: 5 });
    s.getState().applyExpression('x = 3\nf = x * x');
    expect(Array.from(s.getState().evaluation.seed)).toEqual([1]);
    expect(s.getState().evaluation.grad('x')).toBe(6);
    expect(s.getState().seedProblem).toBeNull();
  });

  it('a program typed again keeps the choice', () => {
    const s = store();
    s.getState().setSeed({ kind: 'onehot', index: [0, 1] });
    s.getState().applyExpression(`${PROGRAM}\nE = D * 2`);
    expect(s.getState().doc.seed).toEqual({ kind: 'onehot', index: [0, 1] });
    expect(Array.from(s.getState().evaluation.seed)).toEqual([0, 1, 0, 0]);
    // dW row 0 = 2 · X[:, 1]ᵀ.
    expect(grads(s).dW[0]).toEqual(X.map((r) => 2 * r[1]));
  });
});
