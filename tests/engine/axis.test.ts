/**
 * Sums and means along one axis (`sum(t, 0)`, `sum(t, 1)`, `mean(t, 0)`, `mean(t, 1)`):
 * NumPy's axes with keepdims, so axis 0 gives a row [1×n] and axis 1 a column [m×1]. Values
 * against hand-worked numbers, gradients against the test's own centered differences, and the
 * language: parse, print and parse again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { CircuitError } from '../../src/engine/errors';
import { numericalGradient } from '../../src/engine/numerical';
import { parse } from '../../src/engine/parse';
import { toProgram } from '../../src/engine/print';
import {
  centeredDiff,
  circuit,
  constant,
  entries,
  gate,
  input,
  maxRelErr,
  randomMatrix,
  reshape,
  rng,
} from './helpers';

const X = [
  [1, 2, 3],
  [4, 5, 6],
];

/** op(X) for a 2×3 X, its shape and entries. */
function reduce(op: string, x: number[][] = X) {
  const ev = compile(circuit('y', input('X', x), gate('y', op, 'X'))).run();
  const y = ev.value('y');
  return { shape: typeof y === 'number' ? [] : y.shape, data: entries(y), ev };
}

describe('sums and means along an axis: values', () => {
  it('axis 0 runs down the rows (one number per column, a 1×n row)', () => {
    expect(reduce('sum0')).toMatchObject({ shape: [1, 3], data: [5, 7, 9] });
    expect(reduce('mean0')).toMatchObject({ shape: [1, 3], data: [2.5, 3.5, 4.5] });
  });

  it('axis 1 runs across the columns (one number per row, an m×1 column)', () => {
    expect(reduce('sum1')).toMatchObject({ shape: [2, 1], data: [6, 15] });
    expect(reduce('mean1')).toMatchObject({ shape: [2, 1], data: [2, 5] });
  });

  it('keeps a 1×n or m×1 matrix as it is along its axis of length 1', () => {
    expect(reduce('sum0', [[1, 2, 3]])).toMatchObject({ shape: [1, 3], data: [1, 2, 3] });
    expect(reduce('sum1', [[1, 2, 3]])).toMatchObject({ shape: [1, 1], data: [6] });
    expect(reduce('mean0', [[1], [2], [6]])).toMatchObject({ shape: [1, 1], data: [3] });
  });

  it('refuses a vector or a scalar, pointing to the sum of all entries', () => {
    const message = (value: number | number[], op: string) => {
      try {
        compile(circuit('y', input('v', value), gate('y', op, 'v')));
      } catch (error) {
        expect(error).toBeInstanceOf(CircuitError);
        return (error as Error).message;
      }
      throw new Error('compiled');
    };
    expect(message([1, 2, 3], 'sum0')).toBe(
      'y (column sums (axis 0)): sum along axis 0 needs a matrix, got a vector of 3; sum(x) adds every entry',
    );
    expect(message(2, 'mean1')).toBe(
      'y (row means (axis 1)): mean along axis 1 needs a matrix, got a scalar; mean(x) averages every entry',
    );
  });
});

describe('sums and means along an axis: gradients', () => {
  it('sends each entry its column’s (axis 0) or row’s (axis 1) upstream gradient', () => {
    // f = Σ G ⊙ op(X): the upstream gradient of op(X) is G.
    const cases: [string, number[][], number[][]][] = [
      [
        'sum0',
        [[1, -2, 0.5]],
        [
          [1, -2, 0.5],
          [1, -2, 0.5],
        ],
      ],
      [
        'mean0',
        [[1, -2, 0.5]],
        [
          [0.5, -1, 0.25],
          [0.5, -1, 0.25],
        ],
      ],
      [
        'sum1',
        [[3], [-1]],
        [
          [3, 3, 3],
          [-1, -1, -1],
        ],
      ],
      [
        'mean1',
        [[3], [-1]],
        [
          [1, 1, 1],
          [-1 / 3, -1 / 3, -1 / 3],
        ],
      ],
    ];
    for (const [op, G, dX] of cases) {
      const ev = compile(
        circuit(
          'f',
          input('X', X),
          constant('G', G),
          gate('y', op, 'X'),
          gate('p', 'mul', 'y', 'G'),
          gate('f', 'sum', 'p'),
        ),
      ).run();
      expect(entries(ev.grad('X')), op).toEqual(dX.flat());
    }
  });

  it.each(['sum0', 'sum1', 'mean0', 'mean1'])(
    '%s: against centered differences on random shapes',
    (op) => {
      const next = rng(op.charCodeAt(0) + Number(op.at(-1)));
      for (let trial = 0; trial < 5; trial++) {
        const m = 1 + Math.floor(next() * 5);
        const n = 1 + Math.floor(next() * 5);
        const A = randomMatrix(next, m, n).map((row) => row.map((x) => x / 3));
        const [gr, gc] = op.endsWith('0') ? [1, n] : [m, 1];
        const G = randomMatrix(next, gr, gc);
        // f = Σ G ⊙ tanh(op(A ⊙ A)): nonlinear on both sides of the reduction.
        const ev = compile(
          circuit(
            'f',
            input('A', A),
            constant('G', G),
            gate('AA', 'mul', 'A', 'A'),
            gate('y', op, 'AA'),
            gate('t', 'tanh', 'y'),
            gate('p', 'mul', 't', 'G'),
            gate('f', 'sum', 'p'),
          ),
        ).run();
        const f = (flat: readonly number[]) => {
          const a = reshape([...flat], m, n);
          let total = 0;
          for (let i = 0; i < gr; i++) {
            for (let j = 0; j < gc; j++) {
              let s = 0;
              if (op.endsWith('0')) for (let r = 0; r < m; r++) s += a[r][j] ** 2;
              else for (let c = 0; c < n; c++) s += a[i][c] ** 2;
              if (op.startsWith('mean')) s /= op.endsWith('0') ? m : n;
              total += G[i][j] * Math.tanh(s);
            }
          }
          return total;
        };
        const numeric = centeredDiff(f, A.flat());
        expect(maxRelErr(entries(ev.grad('A')), numeric, 1e-8)).toBeLessThanOrEqual(1e-6);
        for (const check of numericalGradient(ev)) expect(check.verdict).toBe('ok');
      }
    },
  );

  it('broadcasts back: X − mean(X, 0) centres every column', () => {
    const circuit = parse('X = [[1, 2, 3], [4, 5, 9]]\nC = X - mean(X, 0)\nf = sum(C * C)');
    const ev = compile(circuit).run();
    expect(entries(ev.value('C'))).toEqual([-1.5, -1.5, -3, 1.5, 1.5, 3]);
    // d/dX Σ (X − mean₀ X)² = 2 (X − mean₀ X): the mean's own part sums to 0 down each column.
    const dX = entries(ev.grad('X'));
    const expected = [-3, -3, -6, 3, 3, 6];
    for (let i = 0; i < 6; i++) expect(dX[i]).toBeCloseTo(expected[i], 12);
  });
});

describe('sums and means along an axis in the language', () => {
  it('parses sum(t, 0) and friends into their ops and prints them back as written', () => {
    const text =
      'X = [[1, 2], [3, 4]]\na = sum(X, 0)\nb = sum(X, 1)\nc = mean(X, 0)\nd = mean(X, 1)\nf = sum(a) + sum(b) + sum(c) + sum(d)';
    const parsed = parse(text);
    const ops = new Map(parsed.nodes.map((n) => [n.id as string, n.op]));
    expect([ops.get('a'), ops.get('b'), ops.get('c'), ops.get('d')]).toEqual([
      'sum0',
      'sum1',
      'mean0',
      'mean1',
    ]);
    // No literal is left in the gate: the axis is the op.
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(parsed.nodes.find((n) => n.id === id)?.params).toBeUndefined();
    }
    expect(toProgram(parsed)).toBe(text);
  });

  it('writes an unnamed axis sum inline, and reads a literal matrix', () => {
    expect(toProgram(parse('X = [[1, 2], [3, 4]]\nf = sum(exp(sum(X, 1)) * 2)'))).toBe(
      'X = [[1, 2], [3, 4]]\nf = sum(exp(sum(X, 1)) * 2)',
    );
    const ev = compile(parse('f = sum(mean([[1, 2], [3, 5]], 1), 0)')).run();
    expect(entries(ev.outputValue)).toEqual([5.5]);
  });

  it('refuses an axis that is not 0 or 1, or not a number, at the axis', () => {
    const error = (text: string) => {
      try {
        parse(text);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error(`parsed: ${text}`);
    };
    expect(error('X = [[1]]\nf = sum(X, 2)')).toBe(
      'line 2, column 12: sum has axis 0 or 1, got 2: sum(t, 0) gives one per column, sum(t, 1) gives one per row',
    );
    expect(error('X = [[1]]\nk = 0\nf = mean(X, k)')).toBe(
      'line 3, column 13: the axis of mean is written as a number, 0 or 1: mean(t, 0) gives one per column, mean(t, 1) gives one per row',
    );
    expect(error('f = sum(x, 0, 1)')).toBe(
      'line 1, column 5: sum takes 1 argument or 2 (a matrix and an axis: 0 for one sum per column, 1 per row), got 3',
    );
    expect(error('f = sum(x, 0.5)')).toContain('sum has axis 0 or 1, got 0.5');
  });

  it('round-trips random matrix programs with axis sums and broadcasting', () => {
    const program = fc
      .record({
        m: fc.integer({ min: 1, max: 3 }),
        n: fc.integer({ min: 1, max: 3 }),
        seed: fc.nat(),
        steps: fc.array(
          fc.record({
            kind: fc.integer({ min: 0, max: 7 }),
            a: fc.nat(),
            b: fc.nat(),
            named: fc.boolean(),
          }),
          { minLength: 1, maxLength: 8 },
        ),
      })
      .map(({ m, n, seed, steps }) => {
        const next = rng(seed);
        const value = () =>
          `[${Array.from({ length: m }, () => `[${Array.from({ length: n }, () => Math.round((next() - 0.5) * 40) / 10).join(', ')}]`).join(', ')}]`;
        const lines = [`X = ${value()}`, `Y = ${value()}`];
        // Every expression is m×n: an axis reduction always broadcasts back into one.
        const exprs = ['X', 'Y'];
        steps.forEach((s, i) => {
          const a = exprs[s.a % exprs.length];
          const b = exprs[s.b % exprs.length];
          const e = [
            `(${a}) + sum(${b}, 0)`,
            `(${a}) - mean(${b}, 1)`,
            `(${a}) * sum(${b}, 1)`,
            `mean(${a}, 0) * (${b})`,
            `tanh(${a}) + (${b})`,
            `(${a}) * (${b})`,
            `sum(${a}, 1) * 0.5 + (${b})`,
            `-(${a}) + mean(sum(${b}, 0), 1)`,
          ][s.kind];
          if (s.named || i === steps.length - 1) {
            lines.push(`g${i} = ${e}`);
            exprs.push(`g${i}`);
          } else {
            exprs.push(`(${e})`);
          }
        });
        lines.push(`f = sum(${exprs[exprs.length - 1]})`);
        return lines.join('\n');
      });
    fc.assert(
      fc.property(program, (text) => {
        const circuit = parse(text);
        const printed = toProgram(circuit);
        expect(printed).not.toBeNull();
        const again = parse(printed as string);
        // Printing what was read back gives the same text, and the same numbers.
        expect(toProgram(again)).toBe(printed);
        const ev = compile(circuit).run();
        const ev2 = compile(again).run();
        expect(ev2.outputValue).toEqual(ev.outputValue);
        expect(ev2.grad('X')).toEqual(ev.grad('X'));
        expect(ev2.grad('Y')).toEqual(ev.grad('Y'));
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});
