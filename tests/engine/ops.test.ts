/**
 * Every op against numbers: a registry test, a centered-difference gradcheck of each
 * elementwise op (scalar, tensor and broadcast paths) and each tensor op on random shapes,
 * and one test per row of DOMAIN.md's conventions table.
 *
 * The reference functions below are written out independently of the engine; the engine's
 * gradients are compared with centered differences of these functions.
 */
import { describe, expect, it } from 'vitest';
import { ALL_OPS, getOp, isSource } from '../../src/engine/ops';
import {
  centeredDiff,
  circuit,
  constant,
  entries,
  evaluate,
  gate,
  input,
  lit,
  maxRelErr,
  num,
  type Part,
  randomArray,
  reshape,
  rng,
  shapeOf,
  uniformIn,
} from './helpers';

// DOMAIN.md: a relative error ≤ 1e-7 with h = 1e-5 is "right". The sample domains below keep
// every point away from singularities (so the truncation error h²·f‴/6 stays far below it)
// and away from kinks and ties (where the difference quotient straddles two branches).
const RIGHT = 1e-7;
const POINTS = 50;

type Sampler = (next: () => number) => number;
const between =
  (lo: number, hi: number): Sampler =>
  (next) =>
    uniformIn(next, lo, hi);
/** |x| in [lo, hi], either sign: away from 0. */
const awayFromZero =
  (lo: number, hi: number): Sampler =>
  (next) =>
    (next() < 0.5 ? -1 : 1) * uniformIn(next, lo, hi);

interface UnaryRef {
  readonly f: (x: number) => number;
  readonly x: Sampler;
}
interface BinaryRef {
  readonly f: (a: number, b: number) => number;
  readonly a: Sampler;
  readonly b: Sampler;
  /** Points too close to a tie, resampled. */
  readonly avoid?: (a: number, b: number) => boolean;
}

const tie = (a: number, b: number) => Math.abs(a - b) < 1e-2;

const UNARY: Record<string, UnaryRef> = {
  neg: { f: (x) => -x, x: between(-5, 5) },
  square: { f: (x) => x * x, x: between(-5, 5) },
  inv: { f: (x) => 1 / x, x: awayFromZero(0.2, 5) },
  identity: { f: (x) => x, x: between(-5, 5) },
  exp: { f: (x) => Math.E ** x, x: between(-20, 20) },
  log: { f: Math.log, x: between(0.05, 20) },
  sqrt: { f: (x) => x ** 0.5, x: between(0.05, 20) },
  abs: { f: (x) => (x < 0 ? -x : x), x: awayFromZero(0.01, 5) },
  // biome-ignore lint/complexity/useMathMinMax: written out, not Math.max as the engine's is
  relu: { f: (x) => (x > 0 ? x : 0), x: awayFromZero(0.01, 5) },
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), x: between(-6, 6) },
  tanh: {
    f: (x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1),
    x: between(-3, 3),
  },
  sin: { f: Math.sin, x: between(-6, 6) },
  cos: { f: Math.cos, x: between(-6, 6) },
};

const BINARY: Record<string, BinaryRef> = {
  add: { f: (a, b) => a + b, a: between(-5, 5), b: between(-5, 5) },
  sub: { f: (a, b) => a - b, a: between(-5, 5), b: between(-5, 5) },
  mul: { f: (a, b) => a * b, a: between(-5, 5), b: between(-5, 5) },
  div: { f: (a, b) => a / b, a: between(-5, 5), b: awayFromZero(0.2, 5) },
  pow: { f: (a, b) => Math.exp(b * Math.log(a)), a: between(0.2, 5), b: between(-3, 3) },
  // biome-ignore lint/complexity/useMathMinMax: written out, not Math.max as the engine's is
  max: { f: (a, b) => (a > b ? a : b), a: between(-5, 5), b: between(-5, 5), avoid: tie },
  // biome-ignore lint/complexity/useMathMinMax: written out, not Math.min as the engine's is
  min: { f: (a, b) => (a < b ? a : b), a: between(-5, 5), b: between(-5, 5), avoid: tie },
};

function samplePair(ref: BinaryRef, next: () => number): [number, number] {
  for (;;) {
    const a = ref.a(next);
    const b = ref.b(next);
    if (!ref.avoid?.(a, b)) return [a, b];
  }
}

/**
 * ∂F/∂xᵢ for F = Σ fᵢ(xᵢ), entry by entry: each centered difference sees only its own term, so
 * a huge term elsewhere (e^20 beside e^-20) does not drown a tiny derivative in rounding.
 */
function entrywiseDiff(fi: (i: number, t: number) => number, xs: readonly number[]): number[] {
  return xs.map((x, i) => centeredDiff(([t]) => fi(i, t), [x])[0]);
}

/** Relative closeness of values computed two ways (e.g. e^x vs Math.exp). */
function expectValuesClose(actual: readonly number[], expected: readonly number[]) {
  expect(maxRelErr(actual, expected)).toBeLessThanOrEqual(1e-13);
}

// ---------------------------------------------------------------------------------------------

describe('the op registry', () => {
  it('has unique names, each found by getOp', () => {
    const names = ALL_OPS.map((op) => op.name);
    expect(new Set(names).size).toBe(names.length);
    for (const op of ALL_OPS) expect(getOp(op.name)).toBe(op);
    expect(getOp('no-such-op')).toBeUndefined();
  });

  it.each(ALL_OPS.map((op) => [op.name, op] as const))('%s is fully declared', (_, op) => {
    expect(op.title.trim()).not.toBe('');
    expect(op.symbol.trim()).not.toBe('');
    expect(op.formula.trim()).not.toBe('');
    expect(['source', 'arithmetic', 'function', 'matrix']).toContain(op.family);
    expect(op.localGradFormulas).toHaveLength(op.ports.length);
    for (const g of op.localGradFormulas) expect(g.trim()).not.toBe('');
    expect(new Set(op.ports).size).toBe(op.ports.length);
    const arity = { source: 0, unary: 1, binary: 2 } as Record<string, number>;
    if (op.kind === 'tensor') expect(op.ports.length).toBeGreaterThanOrEqual(1);
    else expect(op.ports).toHaveLength(arity[op.kind]);
    expect(isSource(op.name)).toBe(op.kind === 'source');
  });

  it('has the sources input and const and nothing else without ports', () => {
    const sources = ALL_OPS.filter((op) => op.ports.length === 0).map((op) => op.name);
    expect(sources.sort()).toEqual(['const', 'input']);
  });

  it('has a reference function in this file for every elementwise op', () => {
    const unary = ALL_OPS.filter((op) => op.kind === 'unary').map((op) => op.name);
    const binary = ALL_OPS.filter((op) => op.kind === 'binary').map((op) => op.name);
    expect(unary.sort()).toEqual(Object.keys(UNARY).sort());
    expect(binary.sort()).toEqual(Object.keys(BINARY).sort());
  });
});

// ---------------------------------------------------------------------------------------------

describe('unary ops: gradcheck at 50 seeded points', () => {
  it.each(Object.entries(UNARY))('%s, one scalar gate per point', (name, ref) => {
    const next = rng(name.length * 7919 + 1);
    const xs = Array.from({ length: POINTS }, () => ref.x(next));
    const program = (() => {
      const c = circuit('f', input('x', 0), gate('f', name, 'x'));
      return evaluate(c).program;
    })();
    for (const x of xs) {
      const ev = program.run({ x });
      expectValuesClose([num(ev.outputValue)], [ref.f(x)]);
      const [numeric] = centeredDiff(([t]) => ref.f(t), [x]);
      const analytic = num(ev.grad('x'));
      expect(maxRelErr([analytic], [numeric]), `${name}'(${x})`).toBeLessThanOrEqual(RIGHT);
    }
  });

  it.each(Object.entries(UNARY))('%s, elementwise on a 50-vector', (name, ref) => {
    const next = rng(name.length * 104729 + 3);
    const xs = Array.from({ length: POINTS }, () => ref.x(next));
    const g = randomArray(next, POINTS, 0.5, 1.5);
    // f = Σ gᵢ · op(xᵢ): the weights make every upstream gradient different.
    const c = circuit(
      'f',
      input('x', xs),
      constant('g', g),
      gate('y', name, 'x'),
      gate('p', 'mul', 'y', 'g'),
      gate('f', 'sum', 'p'),
    );
    const ev = evaluate(c);
    expectValuesClose(entries(ev.value('y')), xs.map(ref.f));
    const numeric = entrywiseDiff((i, t) => g[i] * ref.f(t), xs);
    expect(maxRelErr(entries(ev.grad('x')), numeric)).toBeLessThanOrEqual(RIGHT);
  });
});

describe('binary ops: gradcheck at 50 seeded points', () => {
  it.each(Object.entries(BINARY))('%s, one scalar gate per point', (name, ref) => {
    const next = rng(name.length * 15485863 + 5);
    const program = evaluate(
      circuit('f', input('a', 1), input('b', 2), gate('f', name, 'a', 'b')),
    ).program;
    for (let k = 0; k < POINTS; k++) {
      const [a, b] = samplePair(ref, next);
      const ev = program.run({ a, b });
      expectValuesClose([num(ev.outputValue)], [ref.f(a, b)]);
      const numeric = centeredDiff(([s, t]) => ref.f(s, t), [a, b]);
      const analytic = [num(ev.grad('a')), num(ev.grad('b'))];
      expect(maxRelErr(analytic, numeric), `${name} at (${a}, ${b})`).toBeLessThanOrEqual(RIGHT);
    }
  });

  it.each(Object.entries(BINARY))('%s, elementwise on two 50-vectors', (name, ref) => {
    const next = rng(name.length * 32452843 + 7);
    const pairs = Array.from({ length: POINTS }, () => samplePair(ref, next));
    const as = pairs.map((p) => p[0]);
    const bs = pairs.map((p) => p[1]);
    const g = randomArray(next, POINTS, 0.5, 1.5);
    const c = circuit(
      'f',
      input('a', as),
      input('b', bs),
      constant('g', g),
      gate('y', name, 'a', 'b'),
      gate('p', 'mul', 'y', 'g'),
      gate('f', 'sum', 'p'),
    );
    const ev = evaluate(c);
    expectValuesClose(
      entries(ev.value('y')),
      pairs.map(([a, b]) => ref.f(a, b)),
    );
    const da = entrywiseDiff((i, t) => g[i] * ref.f(t, bs[i]), as);
    const db = entrywiseDiff((i, t) => g[i] * ref.f(as[i], t), bs);
    expect(maxRelErr(entries(ev.grad('a')), da)).toBeLessThanOrEqual(RIGHT);
    expect(maxRelErr(entries(ev.grad('b')), db)).toBeLessThanOrEqual(RIGHT);
  });

  it.each(Object.entries(BINARY))('%s, a scalar broadcast against a 3×4 matrix', (name, ref) => {
    const next = rng(name.length * 49979687 + 11);
    const g = randomArray(next, 12, 0.5, 1.5);
    for (const scalarSide of ['a', 'b'] as const) {
      // Sample the scalar first, then entries that keep away from ties with it.
      let s = 0;
      const t: number[] = [];
      while (t.length < 12) {
        const [a, b] = samplePair(ref, next);
        if (t.length === 0) s = scalarSide === 'a' ? a : b;
        const [pa, pb] = scalarSide === 'a' ? [s, b] : [a, s];
        if (!ref.avoid?.(pa, pb)) t.push(scalarSide === 'a' ? b : a);
      }
      const pair = (si: number, ti: number) => (scalarSide === 'a' ? ref.f(si, ti) : ref.f(ti, si));
      const c = circuit(
        'f',
        input('s', s),
        input('t', reshape(t, 3, 4)),
        constant('g', reshape(g, 3, 4)),
        scalarSide === 'a' ? gate('y', name, 's', 't') : gate('y', name, 't', 's'),
        gate('p', 'mul', 'y', 'g'),
        gate('f', 'sum', 'p'),
      );
      const ev = evaluate(c);
      expect(shapeOf(ev.value('y'))).toEqual([3, 4]);
      expectValuesClose(
        entries(ev.value('y')),
        t.map((ti) => pair(s, ti)),
      );
      // The scalar's gradient is the sum over every entry it was broadcast to.
      const fOfS = ([v]: readonly number[]) =>
        t.reduce((acc, ti, i) => acc + g[i] * pair(v, ti), 0);
      expect(shapeOf(ev.grad('s'))).toEqual([]);
      expect(maxRelErr([num(ev.grad('s'))], centeredDiff(fOfS, [s]))).toBeLessThanOrEqual(RIGHT);
      const dt = entrywiseDiff((i, ti) => g[i] * pair(s, ti), t);
      expect(maxRelErr(entries(ev.grad('t')), dt)).toBeLessThanOrEqual(RIGHT);
    }
  });
});

describe('binary ops with a literal in either port: gradcheck of the wired port', () => {
  it.each(Object.entries(BINARY))('%s, one scalar gate per point, each side', (name, ref) => {
    const next = rng(name.length * 86028121 + 13);
    for (let k = 0; k < POINTS; k++) {
      const [a, b] = samplePair(ref, next);
      // a wired, b a literal: f(x) = op(x, b).
      const withB = evaluate(circuit('f', input('x', a), gate('f', name, 'x', lit(b))));
      expectValuesClose([num(withB.outputValue)], [ref.f(a, b)]);
      const dA = centeredDiff(([t]) => ref.f(t, b), [a]);
      expect(maxRelErr([num(withB.grad('x'))], dA), `${name}(x, ${b}) at ${a}`).toBeLessThanOrEqual(
        RIGHT,
      );
      // b wired, a a literal: f(x) = op(a, x).
      const withA = evaluate(circuit('f', input('x', b), gate('f', name, lit(a), 'x')));
      expectValuesClose([num(withA.outputValue)], [ref.f(a, b)]);
      const dB = centeredDiff(([t]) => ref.f(a, t), [b]);
      expect(maxRelErr([num(withA.grad('x'))], dB), `${name}(${a}, x) at ${b}`).toBeLessThanOrEqual(
        RIGHT,
      );
      // The literal has no gradient and no node: the program has the input and the gate.
      expect(withA.program.ids).toEqual(['x', 'f']);
      expect(withA.grads).toHaveLength(2);
    }
  });

  it.each(Object.entries(BINARY))('%s, a literal 50-vector against a wired one', (name, ref) => {
    const next = rng(name.length * 15487469 + 17);
    const pairs = Array.from({ length: POINTS }, () => samplePair(ref, next));
    const as = pairs.map((p) => p[0]);
    const bs = pairs.map((p) => p[1]);
    const g = randomArray(next, POINTS, 0.5, 1.5);
    for (const side of ['a', 'b'] as const) {
      const c = circuit(
        'f',
        input('x', side === 'a' ? bs : as),
        side === 'a' ? gate('y', name, lit(as), 'x') : gate('y', name, 'x', lit(bs)),
        gate('p', 'mul', 'y', lit(g)),
        gate('f', 'sum', 'p'),
      );
      const ev = evaluate(c);
      expectValuesClose(
        entries(ev.value('y')),
        pairs.map(([a, b]) => ref.f(a, b)),
      );
      const numeric =
        side === 'a'
          ? entrywiseDiff((i, t) => g[i] * ref.f(as[i], t), bs)
          : entrywiseDiff((i, t) => g[i] * ref.f(t, bs[i]), as);
      expect(maxRelErr(entries(ev.grad('x')), numeric)).toBeLessThanOrEqual(RIGHT);
    }
  });

  it.each(Object.entries(BINARY))(
    '%s, a scalar literal broadcast against a 3×4 input',
    (name, ref) => {
      const next = rng(name.length * 32452867 + 19);
      for (const side of ['a', 'b'] as const) {
        let s = 0;
        const t: number[] = [];
        while (t.length < 12) {
          const [a, b] = samplePair(ref, next);
          if (t.length === 0) s = side === 'a' ? a : b;
          const [pa, pb] = side === 'a' ? [s, b] : [a, s];
          if (!ref.avoid?.(pa, pb)) t.push(side === 'a' ? b : a);
        }
        const pair = (ti: number) => (side === 'a' ? ref.f(s, ti) : ref.f(ti, s));
        const c = circuit(
          'f',
          input('t', reshape(t, 3, 4)),
          side === 'a' ? gate('y', name, lit(s), 't') : gate('y', name, 't', lit(s)),
          gate('f', 'sum', 'y'),
        );
        const ev = evaluate(c);
        expect(shapeOf(ev.value('y'))).toEqual([3, 4]);
        expectValuesClose(entries(ev.value('y')), t.map(pair));
        const dt = entrywiseDiff((_i, ti) => pair(ti), t);
        expect(maxRelErr(entries(ev.grad('t')), dt)).toBeLessThanOrEqual(RIGHT);
      }
    },
  );

  it.each(Object.entries(BINARY))(
    '%s with literals in both ports is a constant gate',
    (name, ref) => {
      const next = rng(name.length * 7 + 23);
      const [a, b] = samplePair(ref, next);
      const ev = evaluate(
        circuit('f', input('x', 2), gate('c', name, lit(a), lit(b)), gate('f', 'mul', 'x', 'c')),
      );
      expectValuesClose([num(ev.value('c'))], [ref.f(a, b)]);
      expect(num(ev.grad('x'))).toBe(num(ev.value('c')));
      // Its gradient is a node's (∂f/∂c = x); it has no wired port, so no backward step.
      expect(num(ev.grad('c'))).toBe(2);
      expect(ev.program.backwardGates).toHaveLength(1);
    },
  );
});

describe('unary ops with a literal operand are constant gates', () => {
  it.each(Object.entries(UNARY))('%s', (name, ref) => {
    const x = ref.x(rng(name.length * 3 + 29));
    const ev = evaluate(
      circuit('f', input('w', 3), gate('c', name, lit(x)), gate('f', 'mul', 'w', 'c')),
    );
    expectValuesClose([num(ev.value('c'))], [ref.f(x)]);
    expect(num(ev.grad('w'))).toBe(num(ev.value('c')));
    expect(ev.program.ids).toEqual(['w', 'c', 'f']);
  });
});

// ---------------------------------------------------------------------------------------------
// Tensor ops on random shapes, against the test's own forward functions.

type Mat = number[][];
const dims = (next: () => number) => 1 + Math.floor(next() * 6);

function naiveProduct(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, p) => s + v * b[p][j], 0)));
}

/** Σ gᵢ yᵢ over the flattened entries. */
const weighted = (y: readonly number[], g: readonly number[]) =>
  y.reduce((s, v, i) => s + g[i] * v, 0);

interface TensorCase {
  readonly parts: Part[];
  /** Flat entries of each input, in the order of `names`. */
  readonly names: readonly string[];
  readonly values: readonly number[][];
  /** f of every input's flat entries, written independently of the engine. */
  readonly f: (inputs: readonly (readonly number[])[]) => number;
  /** Names in `names` written as literals: they have no node and are not gradchecked. */
  readonly literals?: readonly string[];
}

/** Gradchecks every input of a circuit whose output is the scalar `f`. */
function gradcheck(tc: TensorCase) {
  const ev = evaluate(circuit('f', ...tc.parts));
  const f0 = tc.f(tc.values);
  expect(maxRelErr([num(ev.outputValue)], [f0])).toBeLessThanOrEqual(1e-13);
  tc.names.forEach((name, k) => {
    if (tc.literals?.includes(name)) {
      expect(ev.has(name)).toBe(false);
      return;
    }
    const numeric = centeredDiff((v) => {
      const args: (readonly number[])[] = tc.values.slice();
      args[k] = v;
      return tc.f(args);
    }, tc.values[k]);
    expect(entries(ev.grad(name))).toHaveLength(numeric.length);
    expect(maxRelErr(entries(ev.grad(name)), numeric), name).toBeLessThanOrEqual(RIGHT);
  });
}

/** A product's inputs and the constant that weights its output: f = Σ G ⊙ (A @ B). */
function matmulCase(
  next: () => number,
  aShape: readonly number[],
  bShape: readonly number[],
  literal?: 'A' | 'B',
): TensorCase {
  const asMatrix = (flat: readonly number[], shape: readonly number[], side: 'left' | 'right') =>
    shape.length === 2
      ? reshape(flat, shape[0], shape[1])
      : side === 'left'
        ? [flat.slice()]
        : flat.map((v) => [v]);
  const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
  const a = randomArray(next, size(aShape));
  const b = randomArray(next, size(bShape));
  const rows = aShape.length === 2 ? aShape[0] : 1;
  const cols = bShape.length === 2 ? bShape[1] : 1;
  const g = randomArray(next, rows * cols);
  const outShape = [
    ...(aShape.length === 2 ? [aShape[0]] : []),
    ...(bShape.length === 2 ? [bShape[1]] : []),
  ];
  const gValue = outShape.length === 0 ? g[0] : outShape.length === 1 ? g : reshape(g, rows, cols);
  const nested = (flat: number[], shape: readonly number[]) =>
    shape.length === 2 ? reshape(flat, shape[0], shape[1]) : flat;
  return {
    parts: [
      ...(literal === 'A' ? [] : [input('A', nested(a, aShape))]),
      ...(literal === 'B' ? [] : [input('B', nested(b, bShape))]),
      constant('G', gValue),
      gate(
        'D',
        'matmul',
        literal === 'A' ? lit(nested(a, aShape)) : 'A',
        literal === 'B' ? lit(nested(b, bShape)) : 'B',
      ),
      gate('P', 'mul', 'D', 'G'),
      outShape.length === 0 ? gate('f', 'identity', 'P') : gate('f', 'sum', 'P'),
    ],
    names: ['A', 'B'],
    values: [a, b],
    literals: literal ? [literal] : [],
    f: ([av, bv]) =>
      weighted(naiveProduct(asMatrix(av, aShape, 'left'), asMatrix(bv, bShape, 'right')).flat(), g),
  };
}

describe('tensor ops: gradcheck on random shapes', () => {
  it('matmul: matrix · matrix', () => {
    const next = rng(101);
    for (let k = 0; k < 20; k++) {
      const [m, p, n] = [dims(next), dims(next), dims(next)];
      gradcheck(matmulCase(next, [m, p], [p, n]));
    }
  });

  it('matmul with a literal matrix or vector on either side', () => {
    const next = rng(303);
    for (let k = 0; k < 10; k++) {
      const [m, p, n] = [dims(next), dims(next), dims(next)];
      for (const side of ['A', 'B'] as const) {
        gradcheck(matmulCase(next, [m, p], [p, n], side));
        gradcheck(matmulCase(next, [m, p], [p], side));
        gradcheck(matmulCase(next, [p], [p, n], side));
      }
    }
  });

  it.each([
    ['transpose', (x: number[][]) => x[0].flatMap((_, j) => x.map((r) => r[j]))],
    ['sum', (x: number[][]) => [x.flat().reduce((s, v) => s + v, 0)]],
    ['mean', (x: number[][]) => [x.flat().reduce((s, v) => s + v, 0) / x.flat().length]],
    ['reducemax', (x: number[][]) => [Math.max(...x.flat())]],
    ['reducemin', (x: number[][]) => [Math.min(...x.flat())]],
  ] as const)('%s of a literal matrix is a constant gate', (op, ref) => {
    const next = rng(op.length * 11 + 5);
    const x = reshape(randomArray(next, 6), 2, 3);
    const ev = evaluate(
      circuit('f', input('w', 2), gate('c', op, lit(x)), gate('f', 'mul', 'w', 'c')),
    );
    expectValuesClose(entries(ev.value('c')), ref(x));
    expect(ev.program.ids).toEqual(['w', 'c', 'f']);
  });

  it('matmul: matrix · vector, vector · matrix, vector · vector (dot)', () => {
    const next = rng(202);
    for (let k = 0; k < 20; k++) {
      const [m, p] = [dims(next), dims(next)];
      gradcheck(matmulCase(next, [m, p], [p]));
      gradcheck(matmulCase(next, [p], [p, m]));
      gradcheck(matmulCase(next, [p], [p]));
    }
  });

  it('matmul gives the documented output shapes', () => {
    const next = rng(303);
    const shape = (a: number[], b: number[]) => {
      const tc = matmulCase(next, a, b);
      return shapeOf(evaluate(circuit('f', ...tc.parts)).value('D'));
    };
    expect(shape([2, 3], [3, 4])).toEqual([2, 4]);
    expect(shape([2, 3], [3])).toEqual([2]);
    expect(shape([3], [3, 4])).toEqual([4]);
    expect(shape([3], [3])).toEqual([]);
  });

  it('transpose of matrices and vectors', () => {
    const next = rng(404);
    for (let k = 0; k < 20; k++) {
      const [r, c] = [dims(next), dims(next)];
      const x = randomArray(next, r * c);
      const g = randomArray(next, r * c);
      gradcheck({
        parts: [
          input('X', reshape(x, r, c)),
          constant('G', reshape(g, c, r)),
          gate('T', 'transpose', 'X'),
          gate('P', 'mul', 'T', 'G'),
          gate('f', 'sum', 'P'),
        ],
        names: ['X'],
        values: [x],
        f: ([xv]) => {
          const xm = reshape(xv as number[], r, c);
          return weighted(
            xm[0].flatMap((_, j) => xm.map((row) => row[j])),
            g,
          );
        },
      });
      const v = randomArray(next, r);
      const gv = randomArray(next, r);
      gradcheck({
        parts: [
          input('X', v),
          constant('G', gv),
          gate('T', 'transpose', 'X'),
          gate('P', 'mul', 'T', 'G'),
          gate('f', 'sum', 'P'),
        ],
        names: ['X'],
        values: [v],
        f: ([xv]) => weighted(xv, gv),
      });
    }
  });

  it('tensor ops add into a gradient that other branches also feed', () => {
    // X feeds a transpose, a matrix product, a sum and an elementwise product, and v feeds the
    // product and a sum: f = Σ G ⊙ Xᵀ + Σ (X·v) + Σ X + Σ X ⊙ X + Σ v, so
    // ∂f/∂X = Gᵀ + 1·vᵀ + 1 + 2X and ∂f/∂v = Xᵀ·1 + 1.
    const X = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const G = [
      [0.5, -1],
      [2, 0.25],
      [-3, 1],
    ];
    const v = [1, -2, 3];
    for (const order of [0, 1]) {
      const branches = [
        [gate('T', 'transpose', 'X'), gate('TG', 'mul', 'T', 'G'), gate('s1', 'sum', 'TG')],
        [gate('Xv', 'matmul', 'X', 'v'), gate('s2', 'sum', 'Xv')],
        [gate('s3', 'sum', 'X')],
        [gate('XX', 'mul', 'X', 'X'), gate('s4', 'sum', 'XX')],
        [gate('s5', 'sum', 'v')],
      ];
      if (order === 1) branches.reverse();
      const ev = evaluate(
        circuit(
          'f',
          input('X', X),
          constant('G', G),
          input('v', v),
          ...branches.flat(),
          gate('a', 'add', 's1', 's2'),
          gate('b', 'add', 's3', 's4'),
          gate('ab', 'add', 'a', 'b'),
          gate('f', 'add', 'ab', 's5'),
        ),
      );
      const expected = X.map((row, i) => row.map((x, j) => G[j][i] + v[j] + 1 + 2 * x));
      expect(entries(ev.grad('X'))).toEqual(expected.flat());
      expect(entries(ev.grad('v'))).toEqual([1 + 4 + 1, 2 + 5 + 1, 3 + 6 + 1]);
    }
  });

  it('a matrix product adds into gradients that later branches already fed', () => {
    // s = Σ (X·v); f = Σ X ⊙ s + Σ v ⊙ s. The two products with s come later in topological
    // order, so their contributions reach X and v before the matrix product's:
    // ∂f/∂Xᵢⱼ = s + (ΣX + Σv)·vⱼ and ∂f/∂vⱼ = s + (ΣX + Σv)·Σᵢ Xᵢⱼ, with s = 18, ΣX + Σv = 23.
    const ev = evaluate(
      circuit(
        'f',
        input('X', [
          [1, 2, 3],
          [4, 5, 6],
        ]),
        input('v', [1, -2, 3]),
        gate('Xv', 'matmul', 'X', 'v'),
        gate('s', 'sum', 'Xv'),
        gate('Xs', 'mul', 'X', 's'),
        gate('vs', 'mul', 'v', 's'),
        gate('a', 'sum', 'Xs'),
        gate('b', 'sum', 'vs'),
        gate('f', 'add', 'a', 'b'),
      ),
    );
    expect(num(ev.value('s'))).toBe(18);
    expect(entries(ev.grad('X'))).toEqual([41, -28, 87, 41, -28, 87]);
    expect(entries(ev.grad('v'))).toEqual([133, 179, 225]);
  });

  it.each([
    ['sum', [22, 22, 22, 22]],
    ['mean', [5.5, 5.5, 5.5, 5.5]],
    ['reducemax', [5, 16, 5, 5]],
    ['reducemin', [12, 1, 1, 1]],
  ])('%s adds into a gradient that a later branch already fed', (op, expected) => {
    // r = R(X); f = Σ X ⊙ r: ∂f/∂X = r + (ΣX)·∂r/∂X, with ΣX = 11. The product comes later in
    // topological order, so its contribution r reaches X before the reduction's.
    const ev = evaluate(
      circuit(
        'f',
        input('X', [
          [1, 5],
          [3, 2],
        ]),
        gate('r', op, 'X'),
        gate('Xr', 'mul', 'X', 'r'),
        gate('f', 'sum', 'Xr'),
      ),
    );
    expect(entries(ev.grad('X'))).toEqual(expected);
  });

  it('an elementwise gate on a tensor adds into a gradient that a later branch already fed', () => {
    // r = Σ X²; f = Σ X ⊙ r: ∂f/∂X = r + (ΣX)·2X = 39 + 22X.
    const ev = evaluate(
      circuit(
        'f',
        input('X', [
          [1, 5],
          [3, 2],
        ]),
        gate('q', 'square', 'X'),
        gate('r', 'sum', 'q'),
        gate('Xr', 'mul', 'X', 'r'),
        gate('f', 'sum', 'Xr'),
      ),
    );
    expect(entries(ev.grad('X'))).toEqual([61, 149, 105, 83]);
  });

  it('transposes a 2×3 matrix into the 3×2 one, row-major', () => {
    const ev = evaluate(
      circuit(
        'T',
        input('X', [
          [1, 2, 3],
          [4, 5, 6],
        ]),
        gate('T', 'transpose', 'X'),
      ),
    );
    expect(shapeOf(ev.value('T'))).toEqual([3, 2]);
    expect(entries(ev.value('T'))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  const reductions: Record<string, (x: readonly number[]) => number> = {
    sum: (x) => x.reduce((s, v) => s + v, 0),
    mean: (x) => x.reduce((s, v) => s + v, 0) / x.length,
    reducemax: (x) => Math.max(...x),
    reducemin: (x) => Math.min(...x),
  };

  it.each(Object.entries(reductions))('%s of random matrices and vectors', (name, reduce) => {
    const next = rng(name.length * 505);
    for (let k = 0; k < 20; k++) {
      const [r, c] = [dims(next), dims(next)];
      // Entries spaced at least 0.05 apart, so max/min have no near tie within ±h.
      const x = Array.from({ length: r * c }, (_, i) => i * 0.1 + uniformIn(next, 0, 0.05));
      for (let i = x.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [x[i], x[j]] = [x[j], x[i]];
      }
      const scale = uniformIn(next, 0.5, 2);
      for (const value of [reshape(x, r, c), x]) {
        gradcheck({
          parts: [
            input('X', value),
            constant('s', scale),
            gate('R', name, 'X'),
            gate('f', 'mul', 'R', 's'),
          ],
          names: ['X'],
          values: [x],
          f: ([xv]) => scale * reduce(xv),
        });
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// DOMAIN.md: conventions where a derivative does not exist (PyTorch's).

/** Value and gradient of the scalar gate `op` at x. */
function atPoint(op: string, x: number) {
  const ev = evaluate(circuit('f', input('x', x), gate('f', op, 'x')));
  return { value: num(ev.outputValue), grad: num(ev.grad('x')), ev };
}

describe('conventions where the derivative does not exist', () => {
  it("relu'(0) = 0, on the scalar and the tensor path", () => {
    expect(atPoint('relu', 0)).toMatchObject({ value: 0, grad: 0 });
    const ev = evaluate(
      circuit('f', input('x', [0, 0]), gate('r', 'relu', 'x'), gate('f', 'sum', 'r')),
    );
    expect(entries(ev.grad('x'))).toEqual([0, 0]);
  });

  it("abs'(0) = 0, on the scalar and the tensor path", () => {
    expect(atPoint('abs', 0)).toMatchObject({ value: 0, grad: 0 });
    const ev = evaluate(
      circuit('f', input('x', [0, -2]), gate('r', 'abs', 'x'), gate('f', 'sum', 'r')),
    );
    expect(entries(ev.grad('x'))).toEqual([0, -1]);
  });

  it.each(['max', 'min'])('%s(a, b) with a = b gives ½ of the upstream gradient to each', (op) => {
    const ev = evaluate(
      circuit(
        'f',
        input('a', 1.5),
        input('b', 1.5),
        constant('k', 6),
        gate('m', op, 'a', 'b'),
        gate('f', 'mul', 'm', 'k'),
      ),
    );
    expect(num(ev.value('m'))).toBe(1.5);
    expect(num(ev.grad('a'))).toBe(3);
    expect(num(ev.grad('b'))).toBe(3);
    // And entrywise, with one tie and one clear winner.
    const tv = evaluate(
      circuit(
        'f',
        input('a', [2, 5]),
        input('b', [2, 1]),
        gate('m', op, 'a', 'b'),
        gate('f', 'sum', 'm'),
      ),
    );
    expect(entries(tv.grad('a'))).toEqual([0.5, op === 'max' ? 1 : 0]);
    expect(entries(tv.grad('b'))).toEqual([0.5, op === 'max' ? 0 : 1]);
  });

  it.each([
    ['reducemax', [1, 3, 3, 2, 3, -1], [0, 1 / 3, 1 / 3, 0, 1 / 3, 0]],
    ['reducemin', [4, -2, 7, -2, 0, 9], [0, 0.5, 0, 0.5, 0, 0]],
  ] as const)('%s with n tied extremes gives 1/n to each', (op, x, expected) => {
    const ev = evaluate(circuit('f', input('x', reshape([...x], 2, 3)), gate('f', op, 'x')));
    expect(entries(ev.grad('x'))).toEqual(expected);
  });

  it("sqrt'(0) = +∞", () => {
    expect(atPoint('sqrt', 0)).toMatchObject({ value: 0, grad: Infinity });
  });

  it('log(0) = −∞ with gradient +∞; log(−1) is NaN', () => {
    expect(atPoint('log', 0)).toMatchObject({ value: -Infinity, grad: Infinity });
    expect(atPoint('log', -1).value).toBeNaN();
  });

  it('pow(x, 0) has gradient 0 on x, also at x = 0', () => {
    for (const x of [0, 2.5, -3]) {
      const ev = evaluate(
        circuit('f', input('x', x), constant('zero', 0), gate('f', 'pow', 'x', 'zero')),
      );
      expect(num(ev.outputValue)).toBe(1);
      expect(num(ev.grad('x'))).toBe(0);
    }
  });

  it.each(['sigmoid', 'tanh'])('%s at ±800 is finite with gradient 0, never NaN', (op) => {
    for (const x of [800, -800]) {
      const { value, grad } = atPoint(op, x);
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBe(op === 'sigmoid' ? (x > 0 ? 1 : 0) : Math.sign(x));
      expect(grad).toBe(0);
    }
    // And on the tensor path.
    const ev = evaluate(
      circuit('f', input('x', [800, -800]), gate('s', op, 'x'), gate('f', 'sum', 's')),
    );
    expect(entries(ev.grad('x'))).toEqual([0, 0]);
  });
});

describe('non-finite values: propagated, and the gate that produced them is named', () => {
  function origins(parts: Part[], output: string) {
    const ev = evaluate(circuit(output, ...parts));
    return { ev, origins: ev.nonFiniteOrigins() };
  }

  it('1/x at 0 is +∞, propagated downstream, and the inv gate is marked', () => {
    const { ev, origins: o } = origins(
      [input('x', 0), constant('one', 1), gate('r', 'inv', 'x'), gate('f', 'add', 'r', 'one')],
      'f',
    );
    expect(num(ev.value('r'))).toBe(Infinity);
    expect(num(ev.outputValue)).toBe(Infinity);
    expect(num(ev.grad('x'))).toBe(-Infinity);
    expect(o).toEqual([{ node: 'r', reason: '1/x of 0 divides by zero' }]);
  });

  it.each([
    [1, 0, Infinity, 'division by zero'],
    [-1, 0, -Infinity, 'division by zero'],
    [0, 0, Number.NaN, '0 divided by 0 is undefined'],
  ])('%d / %d = %d, marked with “%s”', (a, b, value, reason) => {
    const { ev, origins: o } = origins(
      [
        input('a', a),
        input('b', b),
        constant('two', 2),
        gate('q', 'div', 'a', 'b'),
        gate('f', 'mul', 'q', 'two'),
      ],
      'f',
    );
    expect(num(ev.value('q'))).toBe(value);
    expect(num(ev.outputValue)).toBe(value * 2);
    expect(o).toEqual([{ node: 'q', reason }]);
  });

  it('log of a negative number and log of 0 give their reasons', () => {
    expect(origins([input('x', -1), gate('f', 'log', 'x')], 'f').origins).toEqual([
      { node: 'f', reason: 'log of a negative number' },
    ]);
    expect(origins([input('x', 0), gate('f', 'log', 'x')], 'f').origins).toEqual([
      { node: 'f', reason: 'log of 0 is −∞' },
    ]);
  });

  it('the square root of a negative number is NaN and marked', () => {
    const { ev, origins: o } = origins([input('x', -4), gate('f', 'sqrt', 'x')], 'f');
    expect(num(ev.outputValue)).toBeNaN();
    expect(o).toEqual([{ node: 'f', reason: 'square root of a negative number' }]);
  });

  it('pow outside its domain gives NaN or ∞ and says why', () => {
    const powAt = (a: number, b: number) =>
      origins([input('a', a), constant('b', b), gate('f', 'pow', 'a', 'b')], 'f');
    const fractional = powAt(-8, 1 / 3);
    expect(num(fractional.ev.outputValue)).toBeNaN();
    expect(fractional.origins).toEqual([
      { node: 'f', reason: 'a negative number to a fractional power' },
    ]);
    const negative = powAt(0, -1);
    expect(num(negative.ev.outputValue)).toBe(Infinity);
    expect(negative.origins).toEqual([
      { node: 'f', reason: '0 to a negative power divides by zero' },
    ]);
    // A negative base to an integer power is fine.
    expect(num(powAt(-2, 3).ev.outputValue)).toBe(-8);
    expect(powAt(-2, 3).origins).toEqual([]);
  });

  it('division by a zero entry of a tensor marks the gate', () => {
    const { ev, origins: o } = origins(
      [input('a', [1, 2]), input('b', [4, 0]), gate('q', 'div', 'a', 'b'), gate('f', 'sum', 'q')],
      'f',
    );
    expect(entries(ev.value('q'))).toEqual([0.25, Infinity]);
    expect(o).toEqual([{ node: 'q', reason: 'division by zero' }]);
  });

  it('an overflow is marked as one', () => {
    const { ev, origins: o } = origins([input('x', 1000), gate('f', 'exp', 'x')], 'f');
    expect(num(ev.outputValue)).toBe(Infinity);
    expect(o).toEqual([
      { node: 'f', reason: 'exponential overflowed: the result is too large for a 64-bit float' },
    ]);
  });

  it('a non-finite input is its own origin; finite circuits have none', () => {
    const { origins: o } = origins([input('x', Number.NaN), gate('f', 'exp', 'x')], 'f');
    expect(o).toEqual([{ node: 'x', reason: 'the value given is not a finite number' }]);
    expect(origins([input('x', 1), gate('f', 'exp', 'x')], 'f').origins).toEqual([]);
  });

  it.each(['reducemax', 'reducemin', 'sum', 'mean'])(
    '%s of a tensor with a NaN entry is NaN',
    (op) => {
      const ev = evaluate(circuit('f', input('x', [1, Number.NaN, 3]), gate('f', op, 'x')));
      expect(num(ev.outputValue)).toBeNaN();
      expect(ev.nonFiniteOrigins()).toEqual([
        { node: 'x', reason: 'the value given is not a finite number' },
      ]);
    },
  );

  it('a non-finite entry of a tensor names the gate with the entry’s reason', () => {
    const { ev, origins: o } = origins(
      [input('x', [4, -1, 9]), gate('r', 'sqrt', 'x'), gate('f', 'sum', 'r')],
      'f',
    );
    expect(entries(ev.value('r'))[1]).toBeNaN();
    expect(o).toEqual([{ node: 'r', reason: 'square root of a negative number' }]);
  });
});

describe('routing gates pass exactly 0 to the side they do not route to', () => {
  it('relu at −1 under an upstream +∞ (log(relu(x))) gives ∂x = 0, not NaN', () => {
    const ev = evaluate(
      circuit('f', input('x', -1), gate('r', 'relu', 'x'), gate('f', 'log', 'r')),
    );
    expect(num(ev.outputValue)).toBe(-Infinity);
    expect(num(ev.grad('r'))).toBe(Infinity);
    expect(num(ev.grad('x'))).toBe(0);
  });

  it('abs at 0 under an upstream +∞ gives ∂x = 0', () => {
    const ev = evaluate(circuit('f', input('x', 0), gate('r', 'abs', 'x'), gate('f', 'log', 'r')));
    expect(num(ev.grad('r'))).toBe(Infinity);
    expect(num(ev.grad('x'))).toBe(0);
  });

  it.each([
    ['max', 0, -1],
    ['min', 0, 1],
  ])('%s routes +∞ to the winner and exactly 0 to the loser', (op, winner, loser) => {
    const ev = evaluate(
      circuit(
        'f',
        input('a', winner),
        input('b', loser),
        gate('m', op, 'a', 'b'),
        gate('f', 'log', 'm'),
      ),
    );
    expect(num(ev.grad('a'))).toBe(Infinity);
    expect(num(ev.grad('b'))).toBe(0);
  });

  it('relu, max and min pass 0 (not NaN) under an upstream NaN', () => {
    const nanUpstream = (op: string, ...sources: string[]) =>
      evaluate(
        circuit(
          'f',
          input('a', -1),
          input('b', -3),
          input('n', Number.NaN),
          gate('r', op, ...sources),
          gate('f', 'mul', 'r', 'n'),
        ),
      );
    const relu = nanUpstream('relu', 'a');
    expect(num(relu.grad('r'))).toBeNaN();
    expect(num(relu.grad('a'))).toBe(0);
    const max = nanUpstream('max', 'a', 'b');
    expect(num(max.grad('a'))).toBeNaN();
    expect(num(max.grad('b'))).toBe(0);
    const min = nanUpstream('min', 'a', 'b');
    expect(num(min.grad('a'))).toBe(0);
    expect(num(min.grad('b'))).toBeNaN();
  });

  it('the tensor path routes the same way (relu, max, reducemax)', () => {
    const relu = evaluate(
      circuit(
        'f',
        input('x', [-1, 2]),
        gate('r', 'relu', 'x'),
        gate('l', 'log', 'r'),
        gate('f', 'sum', 'l'),
      ),
    );
    expect(entries(relu.grad('r'))).toEqual([Infinity, 0.5]);
    expect(entries(relu.grad('x'))).toEqual([0, 0.5]);

    const max = evaluate(
      circuit(
        'f',
        input('a', [0, 3]),
        input('b', [-1, 4]),
        gate('m', 'max', 'a', 'b'),
        gate('l', 'log', 'm'),
        gate('f', 'sum', 'l'),
      ),
    );
    expect(entries(max.grad('a'))).toEqual([Infinity, 0]);
    expect(entries(max.grad('b'))).toEqual([0, 0.25]);

    const rmax = evaluate(
      circuit('f', input('x', [0, -1, -2]), gate('m', 'reducemax', 'x'), gate('f', 'log', 'm')),
    );
    expect(entries(rmax.grad('x'))).toEqual([Infinity, 0, 0]);
  });
});
