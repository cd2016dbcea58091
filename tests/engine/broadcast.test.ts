/**
 * Broadcasting as networks use it: an elementwise gate of a matrix [m×n] and a column [m×1], a
 * row [1×n] or a 1×1 matrix repeats the smaller operand along the other axis, and the gradient
 * it receives is the sum over that axis. Checked against centered differences (the engine's
 * `numericalGradient` and the test's own), and the reduction against row and column sums
 * computed here.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { CircuitError } from '../../src/engine/errors';
import { numericalGradient } from '../../src/engine/numerical';
import { backwardSteps } from '../../src/engine/steps';
import { broadcastIndex, broadcastShape } from '../../src/engine/tensor';
import {
  centeredDiff,
  circuit,
  constant,
  entries,
  gate,
  input,
  lit,
  maxRelErr,
  type Part,
  randomMatrix,
  reshape,
  rng,
  uniformIn,
} from './helpers';

type Orientation = 'column' | 'row' | 'one';

/** The shape of the small operand beside an m×n matrix. */
const smallShape = (o: Orientation, m: number, n: number): [number, number] =>
  o === 'column' ? [m, 1] : o === 'row' ? [1, n] : [1, 1];

/** What entry (i, j) of the matrix meets in the small operand, written out here. */
const at = (small: number[][], o: Orientation, i: number, j: number) =>
  o === 'column' ? small[i][0] : o === 'row' ? small[0][j] : small[0][0];

const F: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
};

/**
 * f = Σ G ⊙ op(A, s) (or op(s, A) when the small operand is on the left), with G a random
 * constant so that every entry's gradient differs.
 */
function broadcastCircuit(op: string, smallLeft: boolean, A: number[][], s: number[][]) {
  const G = randomMatrix(rng(99), A.length, A[0].length);
  const parts: Part[] = [
    input('A', A),
    input('s', s),
    constant('G', G),
    smallLeft ? gate('P', op, 's', 'A') : gate('P', op, 'A', 's'),
    gate('Q', 'mul', 'P', 'G'),
    gate('f', 'sum', 'Q'),
  ];
  return { circuit: circuit('f', ...parts), G };
}

/** The same f written out with loops, for the test's own differences. */
function fByHand(op: string, smallLeft: boolean, o: Orientation, G: number[][]) {
  return (A: number[][], s: number[][]) => {
    let total = 0;
    for (let i = 0; i < A.length; i++) {
      for (let j = 0; j < A[0].length; j++) {
        const x = A[i][j];
        const y = at(s, o, i, j);
        total += G[i][j] * (smallLeft ? F[op](y, x) : F[op](x, y));
      }
    }
    return total;
  };
}

describe('elementwise gates broadcast a row, a column or a 1×1 beside a matrix', () => {
  const orientations: Orientation[] = ['column', 'row', 'one'];
  const cases: [string, Orientation, boolean][] = [];
  for (const op of Object.keys(F)) {
    for (const o of orientations) for (const left of [false, true]) cases.push([op, o, left]);
  }

  it.each(cases)('%s with a %s (small operand on the left: %s)', (op, o, smallLeft) => {
    const next = rng(op.length * 31 + o.length * 7 + (smallLeft ? 1 : 0));
    for (let trial = 0; trial < 4; trial++) {
      const m = 1 + Math.floor(next() * 5);
      const n = 1 + Math.floor(next() * 5);
      const [sr, sc] = smallShape(o, m, n);
      // Positive values keep div and pow smooth.
      const positive = op === 'div' || op === 'pow';
      const mat = (r: number, c: number) =>
        Array.from({ length: r }, () =>
          Array.from({ length: c }, () =>
            positive ? uniformIn(next, 0.5, 2) : uniformIn(next, -2, 2),
          ),
        );
      const A = mat(m, n);
      const s = mat(sr, sc);
      const { circuit: c, G } = broadcastCircuit(op, smallLeft, A, s);
      const program = compile(c);
      expect(program.shapes[program.slot('P')]).toEqual([m, n]);
      const ev = program.run();

      // Forward: entry (i, j) meets the small operand's entry in row i or column j.
      const P = reshape(entries(ev.value('P')), m, n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const y = at(s, o, i, j);
          expect(P[i][j]).toBe(smallLeft ? F[op](y, A[i][j]) : F[op](A[i][j], y));
        }
      }

      // The engine's numerical check.
      for (const check of numericalGradient(ev)) expect(check.verdict, check.node).toBe('ok');

      // The test's own differences, for both operands.
      const f = fByHand(op, smallLeft, o, G);
      const dA = centeredDiff((x) => f(reshape([...x], m, n), s), A.flat());
      const ds = centeredDiff((x) => f(A, reshape([...x], sr, sc)), s.flat());
      expect(entries(ev.grad('s'))).toHaveLength(sr * sc);
      expect(maxRelErr(entries(ev.grad('A')), dA, 1e-8)).toBeLessThanOrEqual(1e-6);
      expect(maxRelErr(entries(ev.grad('s')), ds, 1e-8)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('sends the small operand the row sums (column) or column sums (row) of the upstream gradient', () => {
    const next = rng(5);
    for (const o of orientations) {
      for (const smallLeft of [false, true]) {
        const m = 2 + Math.floor(next() * 4);
        const n = 2 + Math.floor(next() * 4);
        const [sr, sc] = smallShape(o, m, n);
        const A = randomMatrix(next, m, n);
        const b = randomMatrix(next, sr, sc);
        const { circuit: c, G } = broadcastCircuit('add', smallLeft, A, b);
        const program = compile(c);
        const ev = program.run();
        // The upstream gradient of P is G; sum it by hand along the repeated axis.
        const expected: number[] = [];
        if (o === 'column') {
          for (let i = 0; i < m; i++) expected.push(G[i].reduce((t, x) => t + x, 0));
        } else if (o === 'row') {
          for (let j = 0; j < n; j++) expected.push(G.reduce((t, row) => t + row[j], 0));
        } else {
          expected.push(G.flat().reduce((t, x) => t + x, 0));
        }
        expect(entries(ev.grad('P'))).toEqual(G.flat());
        const got = entries(ev.grad('s'));
        expect(got).toHaveLength(expected.length);
        for (let k = 0; k < expected.length; k++) expect(got[k]).toBeCloseTo(expected[k], 12);
        // What the wire into the small operand's port carries is that same reduction, in its
        // shape; the matrix receives G unchanged.
        const slot = program.slot('P');
        const port = smallLeft ? 0 : 1;
        const contribution = ev.contribution(slot, port);
        expect(contribution && typeof contribution !== 'number' && contribution.shape).toEqual([
          sr,
          sc,
        ]);
        expect(entries(contribution)).toEqual(got);
        expect(entries(ev.contribution(slot, 1 - port))).toEqual(G.flat());
      }
    }
  });

  it('broadcasts a literal bias too: W @ x + b with b a 5×1 literal', () => {
    const next = rng(17);
    const W = randomMatrix(next, 5, 4);
    const X = randomMatrix(next, 4, 3);
    const b = randomMatrix(next, 5, 1);
    const program = compile(
      circuit(
        'f',
        input('W', W),
        input('X', X),
        gate('D', 'matmul', 'W', 'X'),
        gate('H', 'add', 'D', lit(b)),
        gate('f', 'sum', 'H'),
      ),
    );
    const ev = program.run();
    const H = reshape(entries(ev.value('H')), 5, 3);
    const D = reshape(entries(ev.value('D')), 5, 3);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) expect(H[i][j]).toBe(D[i][j] + b[i][0]);
    for (const check of numericalGradient(ev)) expect(check.verdict, check.node).toBe('ok');
  });

  it('steps a broadcast gate with its local gradients in the gate’s shape, and explains a NaN', () => {
    const ev = compile(
      circuit(
        'f',
        input('A', [
          [1, 2, 3],
          [4, 5, 6],
        ]),
        input('b', [[10], [0]]),
        gate('P', 'mul', 'A', 'b'),
        gate('Q', 'div', 'A', 'b'),
        gate('f', 'sum', 'P'),
      ),
    ).run();
    const step = backwardSteps(ev).find((s) => s.node === 'P');
    // ∂P/∂A = b repeated along each row; ∂P/∂b = A; b receives the row sums of A.
    expect(entries(step?.terms[0].localGrad ?? undefined)).toEqual([10, 10, 10, 0, 0, 0]);
    expect(entries(step?.terms[1].localGrad ?? undefined)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(entries(step?.terms[1].contribution)).toEqual([6, 15]);
    // Q's second row divides by b's 0: the reason names it.
    expect(ev.nonFiniteOrigins()).toEqual([{ node: 'Q', reason: 'division by zero' }]);
  });

  it('reads the entry each output entry meets (broadcastIndex)', () => {
    // A 2×3 output: a column is read by row, a row by column, a scalar and a 1×1 always at 0.
    expect([0, 1, 2, 3, 4, 5].map((i) => broadcastIndex([2, 1], [2, 3], i))).toEqual([
      0, 0, 0, 1, 1, 1,
    ]);
    expect([0, 1, 2, 3, 4, 5].map((i) => broadcastIndex([1, 3], [2, 3], i))).toEqual([
      0, 1, 2, 0, 1, 2,
    ]);
    expect([0, 1, 2, 3, 4, 5].map((i) => broadcastIndex([], [2, 3], i))).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
    expect([0, 1, 2, 3, 4, 5].map((i) => broadcastIndex([1, 1], [2, 3], i))).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
    expect([0, 1, 2, 3, 4, 5].map((i) => broadcastIndex([2, 3], [2, 3], i))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
  });
});

describe('shapes that do not broadcast are refused with both shapes and what would fit', () => {
  const refuse = (a: number[][] | number[], b: number[][] | number[], op = 'add') => {
    const c = circuit('p', input('a', a), input('b', b), gate('p', op, 'a', 'b'));
    try {
      compile(c);
    } catch (error) {
      expect(error).toBeInstanceOf(CircuitError);
      return (error as CircuitError).message;
    }
    throw new Error('compile accepted shapes that do not broadcast');
  };
  const zeros = (r: number, c: number) => Array.from({ length: r }, () => new Array(c).fill(0));

  it('names both shapes and the shapes the smaller one could have', () => {
    expect(refuse(zeros(5, 3), zeros(3, 1))).toBe(
      'p (add): add needs inputs of the same shape, or a row, a column or a scalar beside a matrix: a is 5×3 and b is 3×1; b must be 5×1, 1×3, a scalar or 5×3',
    );
    // The larger operand sets the shape, whichever port it is in.
    expect(refuse(zeros(1, 5), zeros(3, 4), 'mul')).toBe(
      'p (multiply): multiply needs inputs of the same shape, or a row, a column or a scalar beside a matrix: a is 1×5 and b is 3×4; a must be 3×1, 1×4, a scalar or 3×4',
    );
  });

  it('refuses a column beside a row, and a vector beside a matrix', () => {
    expect(refuse(zeros(3, 1), zeros(1, 4))).toContain(
      'a is 3×1 and b is 1×4; a must be 1×1, 1×4 or a scalar',
    );
    expect(refuse([1, 2, 3], zeros(2, 3))).toContain(
      'a is a vector of 3 and b is 2×3; a must be 2×1, 1×3, a scalar or 2×3',
    );
    expect(broadcastShape([3, 1], [1, 4])).toBeUndefined();
    expect(broadcastShape([3], [2, 3])).toBeUndefined();
    expect(broadcastShape([2, 3], [1, 3])).toEqual([2, 3]);
    expect(broadcastShape([2, 1], [2, 3])).toEqual([2, 3]);
  });
});
