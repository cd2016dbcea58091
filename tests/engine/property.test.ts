/**
 * Property tests with fixed seeds: random scalar circuits checked against the test's own
 * evaluator and centered differences, and random-shape tensor circuits checked against
 * closed-form gradients written with a naive matrix product.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import {
  centeredDiff,
  circuit,
  constant,
  entries,
  gate,
  input,
  matmulNaive,
  num,
  type Part,
  randomMatrix,
  rng,
  transposeNaive,
} from './helpers';

// ---------------------------------------------------------------------------------------------
// Random scalar circuits
// ---------------------------------------------------------------------------------------------

const H = 1e-5;

/** The test's own forward functions (textbook formulas, not the engine's). */
const UNARY: Record<string, (x: number) => number> = {
  neg: (x) => -x,
  square: (x) => x * x,
  inv: (x) => 1 / x,
  identity: (x) => x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: Math.tanh,
  sin: Math.sin,
  cos: Math.cos,
};
const BINARY: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  max: Math.max,
  min: Math.min,
};
const OPS = [...Object.keys(UNARY), ...Object.keys(BINARY)];

/**
 * Margins that keep a random circuit where centered differences are trustworthy: arguments of
 * log, sqrt, 1/x, ÷ and the base of pow at least 0.1 from 0 (the truncation error of a centered
 * difference grows like h²/x² near those singularities: ≤ 1e-8 here), kinks and ties at least
 * 1e-3 away, and every value below 1e4 in size (the rounding error of f(x ± h) is about
 * ε·|f|/h, so large values would drown the difference quotient).
 */
const SINGULAR_MARGIN = 0.1;
const KINK_MARGIN = 1e-3;
const MAX_MAGNITUDE = 1e4;

interface GateSpec {
  readonly op: string;
  /** The sources, as indices into the nodes defined before this gate. */
  readonly a: number;
  readonly b: number;
}
interface ScalarCase {
  readonly inputs: readonly number[];
  readonly gates: readonly GateSpec[];
}

/** Random circuits of `minGates`…`maxGates` gates drawn from `ops`, on 1–4 inputs in [−2, 2]. */
function scalarCases(ops: readonly string[], minGates: number, maxGates: number) {
  return fc
    .record({
      inputs: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), {
        minLength: 1,
        maxLength: 4,
      }),
      gates: fc.array(
        fc.record({ op: fc.constantFrom(...ops), back: fc.nat({ max: 2 }), other: fc.nat() }),
        { minLength: minGates, maxLength: maxGates },
      ),
    })
    .map(
      ({ inputs, gates }): ScalarCase => ({
        inputs,
        gates: gates.map((g, k) => {
          const count = inputs.length + k;
          // The first source is one of the last three nodes (so circuits grow deep); the
          // second is any earlier node (so values fork and join).
          return { op: g.op, a: Math.max(0, count - 1 - g.back), b: g.other % count };
        }),
      }),
    );
}

const nameOf = (c: ScalarCase, i: number) =>
  i < c.inputs.length ? `x${i}` : `g${i - c.inputs.length}`;

function buildCircuit(c: ScalarCase) {
  const parts: Part[] = c.inputs.map((v, i) => input(nameOf(c, i), v));
  c.gates.forEach((g, k) => {
    const id = nameOf(c, c.inputs.length + k);
    parts.push(
      g.op in UNARY
        ? gate(id, g.op, nameOf(c, g.a))
        : gate(id, g.op, nameOf(c, g.a), nameOf(c, g.b)),
    );
  });
  return circuit(nameOf(c, c.inputs.length + c.gates.length - 1), ...parts);
}

interface Trace {
  readonly values: number[];
  /** True when every value is finite, not too large, and clear of singularities and kinks. */
  readonly safe: boolean;
  /** Which side of each kink every routing gate is on. */
  readonly branches: string;
}

/** Evaluates a case with the test's own functions, noting whether it is safe to difference. */
function trace(c: ScalarCase, inputs: readonly number[]): Trace {
  const values = inputs.slice();
  let safe = true;
  const branches: number[] = [];
  for (const g of c.gates) {
    const a = values[g.a];
    const b = values[g.b];
    let v: number;
    if (g.op in UNARY) {
      v = UNARY[g.op](a);
      if ((g.op === 'log' || g.op === 'sqrt') && a < SINGULAR_MARGIN) safe = false;
      if (g.op === 'inv' && Math.abs(a) < SINGULAR_MARGIN) safe = false;
      if (g.op === 'relu' || g.op === 'abs') {
        if (Math.abs(a) < KINK_MARGIN) safe = false;
        branches.push(Math.sign(a));
      }
    } else {
      v = BINARY[g.op](a, b);
      if (g.op === 'div' && Math.abs(b) < SINGULAR_MARGIN) safe = false;
      if (g.op === 'pow' && a < SINGULAR_MARGIN) safe = false;
      if (g.op === 'max' || g.op === 'min') {
        if (Math.abs(a - b) < KINK_MARGIN) safe = false;
        branches.push(Math.sign(a - b));
      }
    }
    if (!Number.isFinite(v) || Math.abs(v) > MAX_MAGNITUDE) safe = false;
    values.push(v);
  }
  return { values, safe, branches: branches.join(',') };
}

/**
 * The tolerance. DOMAIN.md calls a relative error ≤ 1e-7 right for one gate; a random
 * composition of up to 12 gates multiplies the truncation error h²·f‴/6 by the chain's
 * curvature and the rounding error ε·|f|/h by its values (up to 1e4 here), and gradients that
 * nearly cancel (x·y − x·y′) have a tiny |a| + |n|. So the check is
 *   |a − n| ≤ RTOL·(|a| + |n|) + ATOL·scale,
 * with RTOL = 1e-5 (two orders above DOMAIN's "right", one below its "wrong" above 1e-4, and
 * far below the 0.5 or more that a wrong local gradient, a missing += or a dropped branch
 * gives), and an absolute floor ATOL = 1e-8 per unit of `scale`, the largest |value| in the
 * circuit (≥ 1): ε·scale/h ≈ 2e-11·scale is the rounding floor of one difference quotient, and
 * 1e-8 leaves room for it to be amplified a few hundred times along the chain. With these seeds
 * the worst case uses 7% (10,000 circuits) and 16% (2,000 deep ones) of this budget.
 */
const RTOL = 1e-5;
const ATOL = 1e-8;

/**
 * Checks one case (a fast-check property body): skips it unless it is safe to difference,
 * then compares every value with the test's own evaluation and every input's gradient with
 * centered differences of it.
 */
function checkScalarCase(c: ScalarCase): void {
  const base = trace(c, c.inputs);
  fc.pre(base.safe);
  const plusMinus = c.inputs.flatMap((_, i) =>
    [H, -H].map((d) =>
      trace(
        c,
        c.inputs.map((v, j) => (j === i ? v + d : v)),
      ),
    ),
  );
  // The difference quotient must not straddle a kink, nor leave the safe region.
  fc.pre(plusMinus.every((t) => t.safe && t.branches === base.branches));

  const ev = compile(buildCircuit(c)).run();
  // Values: the engine's forward pass equals the test's own evaluation.
  for (let i = 0; i < base.values.length; i++) {
    const engine = num(ev.value(nameOf(c, i)));
    const mine = base.values[i];
    if (!(Math.abs(engine - mine) <= 1e-12 * Math.max(1, Math.abs(mine)))) {
      throw new Error(`value of ${nameOf(c, i)}: engine ${engine}, test ${mine}`);
    }
  }

  const numeric = centeredDiff(
    (x) => {
      const t = trace(c, x);
      return t.values[t.values.length - 1];
    },
    c.inputs,
    H,
  );
  const scale = Math.max(1, ...base.values.map(Math.abs));
  c.inputs.forEach((_, i) => {
    const a = num(ev.grad(nameOf(c, i)));
    const n = numeric[i];
    const err = Math.abs(a - n) / (RTOL * (Math.abs(a) + Math.abs(n)) + ATOL * scale);
    if (!(err <= 1)) {
      throw new Error(`∂f/∂x${i}: analytic ${a}, numeric ${n} in ${JSON.stringify(c)}`);
    }
  });
}

describe('random scalar circuits: analytic gradients against centered differences', () => {
  it('agree on 10,000 circuits (1–4 inputs, 1–12 gates of every elementwise op)', () => {
    let checked = 0;
    fc.assert(
      fc.property(scalarCases(OPS, 1, 12), (c) => {
        checkScalarCase(c);
        checked++;
      }),
      { seed: 20240601, numRuns: 10_000, maxSkipsPerRun: 100 },
    );
    expect(checked).toBe(10_000);
  });

  it('agree on 2,000 deep circuits (8–12 gates of ops defined on every real)', () => {
    // Small circuits dominate the run above (deep ones more often leave the safe region), so
    // deep compositions get a run of their own, from the ops without a singularity.
    const total = OPS.filter((op) => !['log', 'sqrt', 'inv', 'div', 'pow'].includes(op));
    let checked = 0;
    fc.assert(
      fc.property(scalarCases(total, 8, 12), (c) => {
        checkScalarCase(c);
        checked++;
      }),
      { seed: 1618, numRuns: 2_000, maxSkipsPerRun: 100 },
    );
    expect(checked).toBe(2_000);
  });
});

// ---------------------------------------------------------------------------------------------
// Random-shape tensor circuits
// ---------------------------------------------------------------------------------------------

type Mat = number[][];
const size = fc.integer({ min: 1, max: 5 });

function expectMatClose(actual: readonly number[], expected: Mat | number[], what: string) {
  const flat = (expected as (number | number[])[]).flat();
  expect(actual, what).toHaveLength(flat.length);
  for (let i = 0; i < flat.length; i++) {
    if (Math.abs(actual[i] - flat[i]) > 1e-12 * Math.max(1, Math.abs(flat[i]))) {
      throw new Error(`${what}[${i}]: engine ${actual[i]}, expected ${flat[i]}`);
    }
  }
}

const sumAll = (m: Mat) => m.flat().reduce((s, v) => s + v, 0);
const hadamard = (a: Mat, b: Mat) => a.map((row, i) => row.map((v, j) => v * b[i][j]));

describe('random-shape tensor circuits: gradients against closed forms', () => {
  it('matmul (matrix·matrix, matrix·vector, vector·matrix, dot): dA = G·Bᵀ, dB = Aᵀ·G', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        size,
        size,
        size,
        fc.constantFrom('mm', 'mv', 'vm', 'vv'),
        fc.integer(),
        (m, k, n, kind, seed) => {
          const next = rng(seed);
          // As matrices: a vector is a row on the left, a column on the right.
          const rows = kind === 'mm' || kind === 'mv' ? m : 1;
          const cols = kind === 'mm' || kind === 'vm' ? n : 1;
          const A = randomMatrix(next, rows, k);
          const B = randomMatrix(next, k, cols);
          const G = randomMatrix(next, rows, cols);
          const aValue = kind === 'vm' || kind === 'vv' ? A[0] : A;
          const bValue = kind === 'mv' || kind === 'vv' ? B.map((r) => r[0]) : B;
          const gValue =
            kind === 'vv' ? G[0][0] : kind === 'mv' ? G.map((r) => r[0]) : kind === 'vm' ? G[0] : G;
          const program = compile(
            circuit(
              'f',
              input('A', aValue),
              input('B', bValue),
              constant('G', gValue),
              gate('D', 'matmul', 'A', 'B'),
              gate('P', 'mul', 'D', 'G'),
              gate('f', 'sum', 'P'),
            ),
          );
          const ev = program.run();
          expectMatClose(entries(ev.value('D')), matmulNaive(A, B), 'D');
          expectMatClose(entries(ev.grad('A')), matmulNaive(G, transposeNaive(B)), 'dA');
          expectMatClose(entries(ev.grad('B')), matmulNaive(transposeNaive(A), G), 'dB');
          checked++;
        },
      ),
      { seed: 7, numRuns: 200 },
    );
    expect(checked).toBe(200);
  });

  it('transpose inside a product: f = Σ G ⊙ (Aᵀ·B) gives dA = B·Gᵀ, dB = A·G', () => {
    fc.assert(
      fc.property(size, size, size, fc.integer(), (m, k, n, seed) => {
        const next = rng(seed);
        const A = randomMatrix(next, m, k);
        const B = randomMatrix(next, m, n);
        const G = randomMatrix(next, k, n);
        const ev = compile(
          circuit(
            'f',
            input('A', A),
            input('B', B),
            constant('G', G),
            gate('T', 'transpose', 'A'),
            gate('D', 'matmul', 'T', 'B'),
            gate('P', 'mul', 'D', 'G'),
            gate('f', 'sum', 'P'),
          ),
        ).run();
        expectMatClose(entries(ev.value('T')), transposeNaive(A), 'T');
        expectMatClose(entries(ev.grad('A')), matmulNaive(B, transposeNaive(G)), 'dA');
        expectMatClose(entries(ev.grad('B')), matmulNaive(A, G), 'dB');
      }),
      { seed: 8, numRuns: 200 },
    );
  });

  it('scalar broadcast and sums: f = Σ G ⊙ (s·A + c) + mean(A ⊙ A)', () => {
    fc.assert(
      fc.property(size, size, fc.integer(), (r, cols, seed) => {
        const next = rng(seed);
        const A = randomMatrix(next, r, cols);
        const G = randomMatrix(next, r, cols);
        const [s, c] = randomMatrix(next, 1, 2)[0];
        const program = compile(
          circuit(
            'f',
            input('A', A),
            input('s', s),
            input('c', c),
            constant('G', G),
            gate('sA', 'mul', 's', 'A'),
            gate('Y', 'add', 'sA', 'c'),
            gate('P', 'mul', 'Y', 'G'),
            gate('S', 'sum', 'P'),
            gate('AA', 'mul', 'A', 'A'),
            gate('M', 'mean', 'AA'),
            gate('f', 'add', 'S', 'M'),
          ),
        );
        const ev = program.run();
        const count = r * cols;
        // ∂f/∂A = s·G + 2A/n, ∂f/∂s = Σ G ⊙ A, ∂f/∂c = Σ G.
        const dA = A.map((row, i) => row.map((v, j) => s * G[i][j] + (2 * v) / count));
        expectMatClose(entries(ev.grad('A')), dA, 'dA');
        expectMatClose([num(ev.grad('s'))], [sumAll(hadamard(G, A))], 'ds');
        expectMatClose([num(ev.grad('c'))], [sumAll(G)], 'dc');
        // And the value, from the same formula.
        const f =
          sumAll(
            hadamard(
              A.map((row) => row.map((v) => s * v + c)),
              G,
            ),
          ) +
          sumAll(hadamard(A, A)) / count;
        expectMatClose([num(ev.outputValue)], [f], 'f');
        // Centered differences agree too (f is quadratic: exact up to rounding).
        const flat = (x: readonly number[]) => {
          const Am = Array.from({ length: r }, (_, i) => x.slice(i * cols, (i + 1) * cols));
          return (
            sumAll(
              hadamard(
                Am.map((row) => row.map((v) => s * v + c)),
                G,
              ),
            ) +
            sumAll(hadamard(Am, Am)) / count
          );
        };
        const numeric = centeredDiff(flat, A.flat());
        const analytic = entries(ev.grad('A'));
        for (let i = 0; i < numeric.length; i++) {
          expect(Math.abs(analytic[i] - numeric[i])).toBeLessThanOrEqual(1e-8);
        }
      }),
      { seed: 9, numRuns: 200 },
    );
  });
});
