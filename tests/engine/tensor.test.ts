/**
 * Tensors: reading values that users write, writing them back, shapes, and the seeded randn
 * behind `randn(r, c)` in links.
 */
import { describe, expect, it } from 'vitest';
import {
  formatShape,
  fromNested,
  randn,
  scalar,
  shapeEquals,
  sizeOf,
  tensor,
  toNested,
  toValue,
} from '../../src/engine/tensor';

describe('fromNested / toNested', () => {
  it('reads a number, a vector and a matrix (row-major) and writes them back', () => {
    expect(fromNested(2.5)).toEqual({ shape: [], data: Float64Array.of(2.5) });
    expect(fromNested([1, 2, 3])).toEqual({ shape: [3], data: Float64Array.of(1, 2, 3) });
    const m = fromNested([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(m).toEqual({ shape: [2, 3], data: Float64Array.of(1, 2, 3, 4, 5, 6) });
    for (const v of [
      2.5,
      [1, 2, 3],
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [[7]],
    ]) {
      const t = fromNested(v);
      if (typeof t === 'string') throw new Error(t);
      expect(toNested(t)).toEqual(v);
    }
  });

  it('keeps NaN and ±∞', () => {
    const t = fromNested([Number.NaN, Infinity, -Infinity]);
    if (typeof t === 'string') throw new Error(t);
    expect(Array.from(t.data)).toEqual([Number.NaN, Infinity, -Infinity]);
  });

  it('says what is wrong with a value it cannot read', () => {
    expect(fromNested('3')).toBe('a value must be a number or an array of numbers');
    expect(fromNested(null)).toBe('a value must be a number or an array of numbers');
    expect(fromNested([])).toBe('an array value must not be empty');
    expect(fromNested([1, [2]])).toBe(
      'an array must hold either numbers or rows of numbers, not both',
    );
    expect(fromNested([[], []])).toBe('a matrix row must not be empty');
    expect(fromNested([[1, 2], [3]])).toBe(
      'row 2 has 1 numbers but row 1 has 2: every row needs the same length',
    );
    expect(fromNested([[1, [2]]])).toBe('values have at most two dimensions (a matrix)');
    expect(fromNested([[1, 'x']])).toBe('row 1, column 2 is not a number');
  });
});

describe('shapes', () => {
  it('formats, sizes and compares shapes', () => {
    expect(formatShape([])).toBe('scalar');
    expect(formatShape([3])).toBe('3');
    expect(formatShape([5, 10])).toBe('5×10');
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([5, 10])).toBe(50);
    expect(shapeEquals([2, 3], [2, 3])).toBe(true);
    expect(shapeEquals([2, 3], [3, 2])).toBe(false);
    expect(shapeEquals([6], [6, 1])).toBe(false);
    expect(shapeEquals([], [])).toBe(true);
  });

  it('builds tensors and refuses the wrong number of entries', () => {
    expect(tensor([2, 2], [1, 2, 3, 4]).data).toEqual(Float64Array.of(1, 2, 3, 4));
    expect(() => tensor([2, 3], [1, 2])).toThrow('A 2×3 tensor needs 6 numbers, got 2');
    expect(toValue(scalar(4))).toBe(4);
    expect(toValue(tensor([1], [4]))).toEqual({ shape: [1], data: Float64Array.of(4) });
  });
});

describe('randn', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = randn(5, 10, 3);
    expect(a.shape).toEqual([5, 10]);
    expect(a.data).toEqual(randn(5, 10, 3).data);
    expect(a.data).not.toEqual(randn(5, 10, 4).data);
    expect(randn(2, 2).data).toEqual(randn(2, 2, 42).data);
  });

  it('fills an odd number of entries with finite numbers', () => {
    const t = randn(3, 3, 1);
    expect(t.data).toHaveLength(9);
    expect(Array.from(t.data).every(Number.isFinite)).toBe(true);
    // The first entries do not depend on how many are drawn.
    expect(Array.from(t.data.subarray(0, 8))).toEqual(Array.from(randn(2, 4, 1).data));
  });

  it('draws from a standard normal (mean 0, variance 1, 68% within ±1)', () => {
    const { data } = randn(400, 500, 2024);
    const n = data.length;
    let sum = 0;
    let within = 0;
    for (const v of data) {
      sum += v;
      if (Math.abs(v) < 1) within++;
    }
    const mean = sum / n;
    let sq = 0;
    for (const v of data) sq += (v - mean) ** 2;
    // With n = 200,000 the standard errors are ~0.002 (mean), ~0.003 (variance), ~0.001
    // (fraction): the bounds are five or more of them.
    expect(Math.abs(mean)).toBeLessThan(0.012);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.02);
    expect(Math.abs(within / n - 0.6827)).toBeLessThan(0.006);
  });
});
