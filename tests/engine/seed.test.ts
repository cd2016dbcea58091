/**
 * The upstream gradient of a tensor output is the user's to choose: ones, a random dD with a
 * fixed seed, one entry, or given values. With a random dD, the matrix product's gradients are
 * checked against dW = dD·Xᵀ and dX = Wᵀ·dD computed here with naive loops.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { CircuitError } from '../../src/engine/errors';
import { numericalGradient } from '../../src/engine/numerical';
import { playbackSteps } from '../../src/engine/steps';
import { randn, tensor } from '../../src/engine/tensor';
import { circuit, entries, gate, input, randomMatrix, reshape, rng } from './helpers';

/** D = W @ X, the output. */
function product(W: number[][], X: number[][]) {
  return compile(circuit('D', input('W', W), input('X', X), gate('D', 'matmul', 'W', 'X')));
}

/** out = a · b, or with either read transposed, written as three plain loops. */
function naiveProduct(a: number[][], b: number[][], { aT = false, bT = false } = {}): number[][] {
  const A = (i: number, p: number) => (aT ? a[p][i] : a[i][p]);
  const B = (p: number, j: number) => (bT ? b[j][p] : b[p][j]);
  const m = aT ? a[0].length : a.length;
  const k = aT ? a.length : a[0].length;
  const n = bT ? b.length : b[0].length;
  const out: number[][] = [];
  for (let i = 0; i < m; i++) {
    out.push([]);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
      out[i].push(s);
    }
  }
  return out;
}

const close = (got: number[], want: number[], what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${what}[${i}]`).toBeLessThanOrEqual(
      1e-12 * Math.max(1, Math.abs(want[i])),
    );
  }
};

describe('a random upstream gradient dD for D = W·X', () => {
  it('gives dW = dD·Xᵀ and dX = Wᵀ·dD, for random shapes and seeds', () => {
    const next = rng(2024);
    for (let trial = 0; trial < 12; trial++) {
      const m = 1 + Math.floor(next() * 7);
      const k = 1 + Math.floor(next() * 12);
      const n = 1 + Math.floor(next() * 6);
      const W = randomMatrix(next, m, k);
      const X = randomMatrix(next, k, n);
      const seed = Math.floor(next() * 1e6);
      const program = product(W, X);
      const ev = program.run(undefined, { seed: { kind: 'random', seed } });
      // The seed is the engine generator's standard normals, as randn(m, n, seed) draws them.
      const dD = reshape(Array.from(randn(m, n, seed).data), m, n);
      expect(Array.from(ev.seed)).toEqual(dD.flat());
      expect(entries(ev.grad('D'))).toEqual(dD.flat());
      close(entries(ev.value('D')), naiveProduct(W, X).flat(), 'D');
      close(entries(ev.grad('W')), naiveProduct(dD, X, { bT: true }).flat(), 'dW');
      close(entries(ev.grad('X')), naiveProduct(W, dD, { aT: true }).flat(), 'dX');
      // The engine's numerical check differentiates f = Σ dD ⊙ D, the function this seed is
      // the gradient of.
      for (const check of numericalGradient(ev)) expect(check.verdict, check.node).toBe('ok');
    }
  });

  it('adds each entry in the order a naive triple loop does: the same floats, exactly', () => {
    const next = rng(77);
    // Odd sizes and sizes that are not multiples of 4 take every remainder path.
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 5, 7],
      [6, 9, 5],
      [2, 4, 8],
      [7, 13, 3],
    ]) {
      const W = randomMatrix(next, m, k);
      const X = randomMatrix(next, k, n);
      const ev = product(W, X).run(undefined, { seed: { kind: 'random', seed: m + k + n } });
      const dD = reshape(Array.from(ev.seed), m, n);
      expect(entries(ev.value('D'))).toEqual(naiveProduct(W, X).flat());
      expect(entries(ev.grad('W'))).toEqual(naiveProduct(dD, X, { bT: true }).flat());
      expect(entries(ev.grad('X'))).toEqual(naiveProduct(W, dD, { aT: true }).flat());
    }
  });

  it('writes into an earlier evaluation’s arrays when asked to reuse them', () => {
    const program = product(randomMatrix(rng(3), 4, 6), randomMatrix(rng(4), 6, 5));
    const first = program.run(undefined, { seed: { kind: 'random', seed: 1 } });
    const fresh = program.run({ W: randomMatrix(rng(5), 4, 6) });
    const reused = program.run({ W: randomMatrix(rng(5), 4, 6) }, { reuse: first });
    expect(reused.values).toBe(first.values);
    expect(reused.grads).toBe(first.grads);
    expect(Array.from(reused.values)).toEqual(Array.from(fresh.values));
    expect(Array.from(reused.grads)).toEqual(Array.from(fresh.grads));
    expect(Array.from(reused.contributions)).toEqual(Array.from(fresh.contributions));
    expect(() => product([[1]], [[2]]).run(undefined, { reuse: first })).toThrow(
      'run: `reuse` must be an evaluation of this program',
    );
  });

  it('is the same dD for the same seed and another for another seed', () => {
    const program = product(randomMatrix(rng(1), 5, 10), randomMatrix(rng(2), 10, 3));
    const a = program.run(undefined, { seed: { kind: 'random', seed: 7 } }).seed;
    const b = program.run(undefined, { seed: { kind: 'random', seed: 7 } }).seed;
    const c = program.run(undefined, { seed: { kind: 'random', seed: 8 } }).seed;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(a).toHaveLength(15);
  });
});

describe('the other upstream gradients', () => {
  const W = [
    [1, 2],
    [3, 4],
    [5, 6],
  ];
  const X = [
    [1, -1, 2],
    [0, 3, 1],
  ];

  it('ones by default, and when asked for', () => {
    const program = product(W, X);
    const plain = program.run();
    const ones = program.run(undefined, { seed: { kind: 'ones' } });
    expect(Array.from(plain.seed)).toEqual(new Array(9).fill(1));
    expect(entries(ones.grad('W'))).toEqual(entries(plain.grad('W')));
    // dW = 1·Xᵀ: every row of dW holds the row sums of X.
    expect(entries(plain.grad('W'))).toEqual([2, 4, 2, 4, 2, 4]);
  });

  it('one-hot: follows entry (i, j) of D back to row i of W and column j of X', () => {
    const ev = product(W, X).run(undefined, { seed: { kind: 'onehot', index: [2, 1] } });
    expect(entries(ev.grad('D'))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0]);
    // D[2][1] = Σₖ W[2][k]·X[k][1]: dW[2] = X[:, 1], dX[:, 1] = W[2].
    expect(entries(ev.grad('W'))).toEqual([0, 0, 0, 0, -1, 3]);
    expect(entries(ev.grad('X'))).toEqual([0, 5, 0, 0, 6, 0]);
  });

  it('given values, as a tensor or nested arrays', () => {
    const dD = [
      [1, 0, -1],
      [2, 0.5, 0],
      [0, 0, 3],
    ];
    const program = product(W, X);
    const nested = program.run(undefined, { seed: { kind: 'values', values: dD } });
    const asTensor = program.run(undefined, { seed: tensor([3, 3], dD.flat()) });
    const dW = naiveProduct(dD, X, { bT: true }).flat();
    expect(entries(nested.grad('W'))).toEqual(dW);
    expect(entries(asTensor.grad('W'))).toEqual(dW);
    expect(entries(nested.grad('X'))).toEqual(naiveProduct(W, dD, { aT: true }).flat());
  });

  it('shows the seed in the step list: the seed step and the running sums start from it', () => {
    const ev = product(W, X).run(undefined, { seed: { kind: 'onehot', index: [0, 2] } });
    const steps = playbackSteps(ev);
    const seedStep = steps.find((s) => s.kind === 'seed');
    expect(seedStep && entries(seedStep.grad)).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const back = steps.find((s) => s.kind === 'backward');
    expect(back && back.kind === 'backward' && entries(back.terms[0].after)).toEqual(
      entries(ev.grad('W')),
    );
  });

  it('a scalar output takes a seed too', () => {
    const program = compile(circuit('f', input('x', 3), gate('f', 'mul', 'x', 'x')));
    expect(program.run(undefined, { seed: { kind: 'values', values: 2 } }).grad('x')).toBe(12);
    expect(program.run(undefined, { seed: { kind: 'onehot', index: [] } }).grad('x')).toBe(6);
  });
});

describe('a bad upstream gradient is refused, naming both shapes or the place', () => {
  const program = product(
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
    [[1], [2]],
  );
  const refuse = (seed: Parameters<typeof program.run>[1]) => {
    try {
      program.run(undefined, seed);
    } catch (error) {
      expect(error).toBeInstanceOf(CircuitError);
      expect((error as CircuitError).problems[0].nodes).toEqual(['D']);
      return (error as Error).message;
    }
    throw new Error('the seed was accepted');
  };

  it('of the wrong shape', () => {
    expect(refuse({ seed: { kind: 'values', values: [[1, 2, 3]] } })).toBe(
      "D: the upstream gradient is 1×3 but the output is 3×1: it needs the output's shape",
    );
    expect(refuse({ seed: tensor([3], [1, 2, 3]) })).toBe(
      "D: the upstream gradient is 3 but the output is 3×1: it needs the output's shape",
    );
  });

  it('holding something that is not a finite number', () => {
    expect(
      refuse({ seed: { kind: 'values', values: [[1], ['x' as unknown as number], [3]] } }),
    ).toBe('D: the upstream gradient: row 2, column 1 is not a number');
    expect(refuse({ seed: { kind: 'values', values: [[1], [2], [Number.NaN]] } })).toBe(
      'D: the upstream gradient at row 3, column 1 is NaN, not a finite number',
    );
  });

  it('a one-hot index outside the output or of the wrong length, a bad random seed', () => {
    expect(refuse({ seed: { kind: 'onehot', index: [3, 0] } })).toBe(
      'D: the one-hot index [3, 0] is outside the 3×1 output: the row must be a whole number from 0 to 2',
    );
    expect(refuse({ seed: { kind: 'onehot', index: [1] } })).toBe(
      'D: a one-hot upstream gradient of a 3×1 output needs an index [row, column], got [1]',
    );
    expect(refuse({ seed: { kind: 'random', seed: 1.5 } })).toBe(
      'D: the seed of a random upstream gradient must be a whole number from 0 to 4294967295, got 1.5',
    );
  });
});
