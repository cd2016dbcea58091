/**
 * Dimension analysis of a backward step: formulas, shapes that line up, and one entry worked
 * out with its numbers, against numbers worked by hand.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { stepDimensions } from '../../src/engine/dimensions';
import type { Evaluation } from '../../src/engine/program';
import type { UpstreamSeed } from '../../src/engine/seed';
import { randn } from '../../src/engine/tensor';
import { nodeId, portName } from '../../src/engine/types';
import { circuit, gate, input, lit, type Part } from './helpers';

const W = [
  [1, 2, 3],
  [4, 5, 6],
];
const X = [
  [1, 0],
  [2, 1],
  [0, -1],
];

function run(output: string, seed: UpstreamSeed, ...parts: Part[]): Evaluation {
  return compile(circuit(output, ...parts)).run(undefined, { seed });
}

const analyse = (ev: Evaluation, id: string, entry?: Record<string, [number, number]>) =>
  stepDimensions(ev, ev.program.slot(id), {
    entry: entry && new Map(Object.entries(entry).map(([p, v]) => [portName(p), v])),
  });

/** A term as [factor names, factor values, value]. */
const terms = (entry: {
  terms: readonly { factors: readonly { name: string; value: number }[]; value: number }[];
}) =>
  entry.terms.map((t) => [t.factors.map((f) => f.name), t.factors.map((f) => f.value), t.value]);

describe('a matrix product: dW = dD · Xᵀ and dX = Wᵀ · dD', () => {
  // D = W·X = [[5, −1], [14, −1]]; dD = [[1, −1], [2, 0.5]].
  // dW = dD·Xᵀ = [[1, 1, 1], [2, 4.5, −0.5]]; dX = Wᵀ·dD = [[9, 1], [12, 0.5], [15, 0]].
  const ev = run(
    'D',
    {
      kind: 'values',
      values: [
        [1, -1],
        [2, 0.5],
      ],
    },
    input('W', W),
    input('X', X),
    gate('D', 'matmul', 'W', 'X'),
  );

  it('writes the formulas and lines the shapes up', () => {
    const d = analyse(ev, 'D');
    expect(d?.upstream).toBe('dD');
    const [dW, dX] = d?.ports ?? [];
    expect([dW.grad, dW.formula, dW.shapes.text]).toEqual([
      'dW',
      ['dD', '·', 'Xᵀ'],
      '[2×3] = [2×2] · [2×3]',
    ]);
    expect([dX.grad, dX.formula, dX.shapes.text]).toEqual([
      'dX',
      ['Wᵀ', '·', 'dD'],
      '[3×2] = [3×2] · [2×2]',
    ]);
    expect(dW.kind).toBe('matmul');
  });

  it('works out the entry asked for, term by term', () => {
    const [dW, dX] = analyse(ev, 'D', { a: [1, 1], b: [2, 0] })?.ports ?? [];
    // dW[1][1] = dD[1][0]·X[1][0] + dD[1][1]·X[1][1] = 2·2 + 0.5·1.
    expect(dW.entry.formula).toBe('dW[i][j] = Σₖ dD[i][k]·X[j][k]');
    expect(dW.entry.index).toEqual([1, 1]);
    expect(terms(dW.entry)).toEqual([
      [['dD[1][0]', 'X[1][0]'], [2, 2], 4],
      [['dD[1][1]', 'X[1][1]'], [0.5, 1], 0.5],
    ]);
    expect([dW.entry.sum, dW.entry.value]).toEqual([4.5, 4.5]);
    // dX[2][0] = W[0][2]·dD[0][0] + W[1][2]·dD[1][0] = 3·1 + 6·2.
    expect(dX.entry.formula).toBe('dX[i][j] = Σₖ W[k][i]·dD[k][j]');
    expect(terms(dX.entry)).toEqual([
      [['W[0][2]', 'dD[0][0]'], [3, 1], 3],
      [['W[1][2]', 'dD[1][0]'], [6, 2], 12],
    ]);
    expect([dX.entry.sum, dX.entry.value]).toEqual([15, 15]);
  });

  it('takes the first entry by default and for an index outside the value', () => {
    const [dW] = analyse(ev, 'D', { a: [5, 0] })?.ports ?? [];
    expect(dW.entry.index).toEqual([0, 0]);
    expect(dW.entry.value).toBe(1);
  });

  it("names the notes' shapes: W 5×10, X 10×3", () => {
    const big = run(
      'D',
      { kind: 'random', seed: 3 },
      input('W', randn(5, 10, 1)),
      input('X', randn(10, 3, 2)),
      gate('D', 'matmul', 'W', 'X'),
    );
    const [dW, dX] = analyse(big, 'D')?.ports ?? [];
    expect(dW.shapes.text).toBe('[5×10] = [5×3] · [3×10]');
    expect(dX.shapes.text).toBe('[10×3] = [10×5] · [5×3]');
    expect(dW.entry.terms).toHaveLength(3);
    expect(dX.entry.terms).toHaveLength(5);
    expect(dW.entry.sum).toBeCloseTo(dW.entry.value, 12);
  });

  it('uses the names it is given, and leaves out a literal port', () => {
    const withLiteral = run('D', { kind: 'ones' }, input('w', W), gate('D', 'matmul', 'w', lit(X)));
    const d = stepDimensions(withLiteral, withLiteral.program.slot('D'), {
      nameOf: (id) => (id === nodeId('w') ? 'Weights' : String(id)),
    });
    expect(d?.ports).toHaveLength(1);
    expect(d?.ports[0].grad).toBe('dWeights');
    expect(d?.ports[0].formula).toEqual(['dD', '·', 'Bᵀ']);
  });
});

describe('broadcasting, sums along an axis, transposes, elementwise gates', () => {
  it('a bias column receives the row sums: db[i][0] = Σⱼ dH[i][j]·∂H/∂b[i][j]', () => {
    const ev = run(
      'H',
      {
        kind: 'values',
        values: [
          [1, 2],
          [3, 4],
        ],
      },
      input('D', [
        [5, -1],
        [14, -1],
      ]),
      input('b', [[10], [20]]),
      gate('H', 'add', 'D', 'b'),
    );
    const [dD, db] = analyse(ev, 'H', { b: [1, 0] })?.ports ?? [];
    expect([dD.kind, dD.formula, dD.shapes.text]).toEqual([
      'elementwise',
      ['dH', '⊙', '∂H/∂D'],
      '[2×2] = [2×2] ⊙ [2×2]',
    ]);
    expect([db.kind, db.formula, db.shapes.text]).toEqual([
      'broadcast',
      ['Σⱼ', '(', 'dH', '⊙', '∂H/∂b', ')'],
      '[2×1] = Σⱼ [2×2]',
    ]);
    expect(db.entry.formula).toBe('db[i][0] = Σⱼ dH[i][j]·∂H/∂b[i][j]');
    expect(terms(db.entry)).toEqual([
      [['dH[1][0]', '∂H/∂b[1][0]'], [3, 1], 3],
      [['dH[1][1]', '∂H/∂b[1][1]'], [4, 1], 4],
    ]);
    expect(db.entry.value).toBe(7);
  });

  it('a bias row receives the column sums: db[0][j] = Σᵢ …', () => {
    const ev = run(
      'H',
      {
        kind: 'values',
        values: [
          [1, 2],
          [3, 4],
        ],
      },
      input('D', [
        [5, -1],
        [14, -1],
      ]),
      input('b', [[1, 2]]),
      gate('H', 'mul', 'b', 'D'),
    );
    const [db] = analyse(ev, 'H', { a: [0, 1] })?.ports ?? [];
    // ∂H/∂b = D: db[0][1] = dH[0][1]·D[0][1] + dH[1][1]·D[1][1] = 2·(−1) + 4·(−1).
    expect(db.entry.formula).toBe('db[0][j] = Σᵢ dH[i][j]·∂H/∂b[i][j]');
    expect(terms(db.entry)).toEqual([
      [['dH[0][1]', '∂H/∂b[0][1]'], [2, -1], -2],
      [['dH[1][1]', '∂H/∂b[1][1]'], [4, -1], -4],
    ]);
    expect(db.entry.value).toBe(-6);
    expect(db.shapes.text).toBe('[1×2] = Σᵢ [2×2]');
  });

  it('sum and mean along an axis send each entry its column’s or row’s gradient', () => {
    const sum0 = run(
      'Y',
      { kind: 'values', values: [[2, -1]] },
      input('X', X),
      gate('Y', 'sum0', 'X'),
    );
    const [p0] = analyse(sum0, 'Y', { x: [2, 1] })?.ports ?? [];
    expect([p0.formula, p0.shapes.text, p0.entry.formula]).toEqual([
      ['1', '·', 'dY'],
      '[3×2] = [3×1] · [1×2]',
      'dX[i][j] = dY[0][j]',
    ]);
    expect(terms(p0.entry)).toEqual([[['dY[0][1]'], [-1], -1]]);
    expect(p0.entry.value).toBe(-1);
    const mean1 = run(
      'Y',
      { kind: 'values', values: [[3], [6], [9]] },
      input('X', X),
      gate('Y', 'mean1', 'X'),
    );
    const [p1] = analyse(mean1, 'Y', { x: [1, 0] })?.ports ?? [];
    expect([p1.formula, p1.entry.formula]).toEqual([
      ['dY', '·', '1ᵀ', '/', '2'],
      'dX[i][j] = dY[i][0] / 2',
    ]);
    expect(p1.entry.terms[0].scale).toBe(0.5);
    expect([p1.entry.sum, p1.entry.value]).toEqual([3, 3]);
  });

  it('a transpose sends dX[i][j] = dY[j][i]; a sum sends dS to every entry; a max only to the winner', () => {
    const t = run(
      'T',
      {
        kind: 'values',
        values: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
      input('X', X),
      gate('T', 'transpose', 'X'),
    );
    const [pt] = analyse(t, 'T', { x: [2, 1] })?.ports ?? [];
    expect([pt.formula, pt.shapes.text, pt.entry.formula]).toEqual([
      ['dTᵀ'],
      '[3×2] = [2×3]ᵀ',
      'dX[i][j] = dT[j][i]',
    ]);
    expect(terms(pt.entry)).toEqual([[['dT[1][2]'], [6], 6]]);
    expect(pt.entry.value).toBe(6);

    const m = run('S', { kind: 'values', values: 4 }, input('X', X), gate('S', 'mean', 'X'));
    const [pm] = analyse(m, 'S', { x: [1, 1] })?.ports ?? [];
    expect([pm.entry.formula, pm.entry.value]).toEqual(['dX[i][j] = dS / 6', 4 / 6]);

    const mx = run('M', { kind: 'values', values: 3 }, input('X', X), gate('M', 'reducemax', 'X'));
    const [win, lose] = [
      [1, 0],
      [0, 0],
    ].map((e) => analyse(mx, 'M', { x: e as [number, number] })?.ports[0]);
    expect(win && terms(win.entry)).toEqual([[['dM', '[X[1][0] = max]'], [3, 1], 3]]);
    expect(lose?.entry.value).toBe(0);
  });

  it('an elementwise product sends dA = dP ⊙ B, entry by entry', () => {
    const ev = run(
      'P',
      {
        kind: 'values',
        values: [
          [1, 2],
          [3, 4],
        ],
      },
      input('A', [
        [1, 2],
        [3, 4],
      ]),
      input('B', [
        [5, 6],
        [7, 8],
      ]),
      gate('P', 'mul', 'A', 'B'),
    );
    const [dA] = analyse(ev, 'P', { a: [1, 0] })?.ports ?? [];
    expect(dA.entry.formula).toBe('dA[i][j] = dP[i][j]·∂P/∂A[i][j]');
    expect(terms(dA.entry)).toEqual([[['dP[1][0]', '∂P/∂A[1][0]'], [3, 7], 21]]);
  });
});
