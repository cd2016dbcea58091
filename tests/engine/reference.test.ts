/**
 * The reference cases of DOMAIN.md as golden tests: every value and gradient is either given
 * by DOMAIN.md or derived by hand in this file.
 */
import { describe, expect, it } from 'vitest';
import { backwardSteps } from '../../src/engine/steps';
import { randn } from '../../src/engine/tensor';
import {
  circuit,
  constant,
  entries,
  evaluate,
  gate,
  input,
  matmulNaive,
  maxAbsDiff,
  num,
  reshape,
  shapeOf,
  sigma,
  transposeNaive,
} from './helpers';

describe('f = (x + y) * z', () => {
  const c = circuit(
    'f',
    input('x', -2),
    input('y', 5),
    input('z', -4),
    gate('q', 'add', 'x', 'y'),
    gate('f', 'mul', 'q', 'z'),
  );

  it('computes q = 3 and f = -12', () => {
    const ev = evaluate(c);
    expect(num(ev.value('q'))).toBe(3);
    expect(num(ev.value('f'))).toBe(-12);
    expect(num(ev.outputValue)).toBe(-12);
  });

  it('gives ∂x = -4, ∂y = -4, ∂z = 3 (and ∂q = z = -4, ∂f = 1)', () => {
    const ev = evaluate(c);
    expect(num(ev.grad('x'))).toBe(-4);
    expect(num(ev.grad('y'))).toBe(-4);
    expect(num(ev.grad('z'))).toBe(3);
    expect(num(ev.grad('q'))).toBe(-4);
    expect(num(ev.grad('f'))).toBe(1);
  });
});

// The 2-D neuron of DOMAIN.md: w = [2, -3, -3], x = [-1, -2].
const NEURON = {
  f: 0.7310585786300049,
  dx: [0.3932238664829637, -0.5898357997244456],
  dw: [-0.19661193324148185, -0.3932238664829637, 0.19661193324148185],
};

const neuronInputs = [
  input('w0', 2),
  input('x0', -1),
  input('w1', -3),
  input('x1', -2),
  input('w2', -3),
  gate('m0', 'mul', 'w0', 'x0'),
  gate('m1', 'mul', 'w1', 'x1'),
  gate('s', 'add', 'm0', 'm1'),
  gate('dot', 'add', 's', 'w2'),
];

function expectClose(actual: number, expected: number, tol: number) {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

describe('2-D neuron with a sigmoid gate', () => {
  const c = circuit('f', ...neuronInputs, gate('f', 'sigmoid', 'dot'));

  it('gives the reference output and gradients exactly', () => {
    const ev = evaluate(c);
    expect(num(ev.value('dot'))).toBe(1);
    expect(num(ev.outputValue)).toBe(NEURON.f);
    expect(num(ev.grad('x0'))).toBe(NEURON.dx[0]);
    expect(num(ev.grad('x1'))).toBe(NEURON.dx[1]);
    expect(num(ev.grad('w0'))).toBe(NEURON.dw[0]);
    expect(num(ev.grad('w1'))).toBe(NEURON.dw[1]);
    expect(num(ev.grad('w2'))).toBe(NEURON.dw[2]);
  });

  it('uses (1 − σ)σ at the sigmoid gate', () => {
    const ev = evaluate(c);
    // σ(1) = 0.7310585786300049, so (1 − σ)σ = 0.19661193324148185 = ∂f/∂dot.
    expectClose(num(ev.grad('dot')), 0.19661193324148185, 1e-15);
  });
});

describe('the same neuron built from primitive gates', () => {
  // σ(t) = 1 / (1 + exp(−1 · t)) as *-1, exp, +1, 1/x.
  const c = circuit(
    'f',
    ...neuronInputs,
    constant('minus1', -1),
    constant('one', 1),
    gate('negdot', 'mul', 'dot', 'minus1'),
    gate('e', 'exp', 'negdot'),
    gate('denom', 'add', 'e', 'one'),
    gate('f', 'inv', 'denom'),
  );

  it('matches the sigmoid-gate neuron within 1e-12', () => {
    const ev = evaluate(c);
    expectClose(num(ev.outputValue), NEURON.f, 1e-12);
    expectClose(num(ev.grad('x0')), NEURON.dx[0], 1e-12);
    expectClose(num(ev.grad('x1')), NEURON.dx[1], 1e-12);
    expectClose(num(ev.grad('w0')), NEURON.dw[0], 1e-12);
    expectClose(num(ev.grad('w1')), NEURON.dw[1], 1e-12);
    expectClose(num(ev.grad('w2')), NEURON.dw[2], 1e-12);
  });

  it('gives the intermediate gradients of the notes', () => {
    const ev = evaluate(c);
    const denom = 1 + Math.exp(-1);
    // ∂f/∂denom = −1/denom², ∂f/∂e = the same, ∂f/∂negdot = e · that.
    expectClose(num(ev.grad('denom')), -1 / denom ** 2, 1e-15);
    expectClose(num(ev.grad('negdot')), (Math.exp(-1) * -1) / denom ** 2, 1e-15);
    expectClose(num(ev.grad('dot')), Math.exp(-1) / denom ** 2, 1e-15);
  });
});

describe('patterns f = 2 * (x*y + max(z, w))', () => {
  const c = circuit(
    'f',
    input('x', 3),
    input('y', -4),
    input('z', 2),
    input('w', -1),
    constant('two', 2),
    gate('xy', 'mul', 'x', 'y'),
    gate('m', 'max', 'z', 'w'),
    gate('s', 'add', 'xy', 'm'),
    gate('f', 'mul', 'two', 's'),
  );

  it('gives f = -20, ∂x = -8, ∂y = 6, ∂z = 2, ∂w = 0', () => {
    const ev = evaluate(c);
    expect(num(ev.outputValue)).toBe(-20);
    expect(num(ev.grad('x'))).toBe(-8);
    expect(num(ev.grad('y'))).toBe(6);
    expect(num(ev.grad('z'))).toBe(2);
    expect(num(ev.grad('w'))).toBe(0);
  });

  it('shows the add gate distributing and the multiply gate swapping', () => {
    const ev = evaluate(c);
    // add distributes: both inputs of s get ∂s = 2.
    expect(num(ev.grad('s'))).toBe(2);
    expect(num(ev.grad('xy'))).toBe(2);
    expect(num(ev.grad('m'))).toBe(2);
    // multiply swaps: the constant's gradient is the other input's value, s = -10.
    expect(num(ev.grad('two'))).toBe(-10);
  });
});

describe('staged f = (x + σ(y)) / (σ(x) + (x + y)²)', () => {
  const x = 3;
  const y = 4;
  const c = circuit(
    'f',
    input('x', x),
    input('y', y),
    constant('two', 2),
    gate('sigy', 'sigmoid', 'y'),
    gate('num', 'add', 'x', 'sigy'),
    gate('sigx', 'sigmoid', 'x'),
    gate('xpy', 'add', 'x', 'y'),
    gate('xpysqr', 'pow', 'xpy', 'two'),
    gate('den', 'add', 'sigx', 'xpysqr'),
    gate('invden', 'inv', 'den'),
    gate('f', 'mul', 'num', 'invden'),
  );

  // Written out by hand with the quotient rule, N = x + σ(y), D = σ(x) + (x + y)²:
  //   ∂f/∂x = (1·D − N·(σ'(x) + 2(x + y))) / D²
  //   ∂f/∂y = (σ'(y)·D − N·2(x + y)) / D²
  // with σ'(t) = σ(t)(1 − σ(t)).
  const sx = sigma(x);
  const sy = sigma(y);
  const N = x + sy;
  const D = sx + (x + y) ** 2;
  const dfdx = (D - N * (sx * (1 - sx) + 2 * (x + y))) / D ** 2;
  const dfdy = (sy * (1 - sy) * D - N * 2 * (x + y)) / D ** 2;

  it('gives f = 0.07971588771237584', () => {
    const ev = evaluate(c);
    expect(num(ev.outputValue)).toBe(0.07971588771237584);
    // The closed form agrees with the reference value too.
    expectClose(N / D, 0.07971588771237584, 1e-15);
  });

  it('gives every named intermediate value', () => {
    const ev = evaluate(c);
    expectClose(num(ev.value('sigy')), sy, 1e-15);
    expectClose(num(ev.value('num')), N, 1e-15);
    expectClose(num(ev.value('sigx')), sx, 1e-15);
    expect(num(ev.value('xpy'))).toBe(7);
    expect(num(ev.value('xpysqr'))).toBe(49);
    expectClose(num(ev.value('den')), D, 1e-13);
    expectClose(num(ev.value('invden')), 1 / D, 1e-15);
  });

  it('gives ∂x and ∂y equal to the hand-derived closed form within 1e-12', () => {
    const ev = evaluate(c);
    expectClose(num(ev.grad('x')), dfdx, 1e-12);
    expectClose(num(ev.grad('y')), dfdy, 1e-12);
    // Sanity of the hand derivation itself: the signs and rough sizes.
    expect(dfdx).toBeLessThan(0);
    expect(dfdy).toBeLessThan(0);
  });

  it('treats x and y as forks whose gradients are sums over their branches', () => {
    const fanOut = (id: string) => c.wires.filter((w) => w.from === id).length;
    expect(fanOut('x')).toBe(3); // num, sigx, xpy
    expect(fanOut('y')).toBe(2); // sigy, xpy
    const ev = evaluate(c);
    const steps = backwardSteps(ev);
    for (const [id, branches] of [
      ['x', 3],
      ['y', 2],
    ] as const) {
      const terms = steps.flatMap((s) => s.terms).filter((t) => t.from === id);
      expect(terms).toHaveLength(branches);
      const total = terms.reduce((acc, t) => acc + num(t.contribution), 0);
      expectClose(total, num(ev.grad(id)), 1e-15);
      // No single branch carries the whole gradient.
      for (const t of terms) expect(num(t.contribution)).not.toBe(num(ev.grad(id)));
    }
  });

  it('gives the same numbers with a square gate in place of pow(·, 2)', () => {
    const sq = circuit(
      'f',
      input('x', x),
      input('y', y),
      gate('sigy', 'sigmoid', 'y'),
      gate('num', 'add', 'x', 'sigy'),
      gate('sigx', 'sigmoid', 'x'),
      gate('xpy', 'add', 'x', 'y'),
      gate('xpysqr', 'square', 'xpy'),
      gate('den', 'add', 'sigx', 'xpysqr'),
      gate('invden', 'inv', 'den'),
      gate('f', 'mul', 'num', 'invden'),
    );
    const ev = evaluate(sq);
    expectClose(num(ev.outputValue), 0.07971588771237584, 1e-15);
    expectClose(num(ev.grad('x')), dfdx, 1e-12);
    expectClose(num(ev.grad('y')), dfdy, 1e-12);
  });
});

describe('D = W·X (W 5×10, X 10×3)', () => {
  const W = randn(5, 10, 1);
  const X = randn(10, 3, 2);
  const dD = randn(5, 3, 3);
  const Wm = reshape(Array.from(W.data), 5, 10);
  const Xm = reshape(Array.from(X.data), 10, 3);
  const dDm = reshape(Array.from(dD.data), 5, 3);
  // f = sum(D ⊙ G) with the constant G = dD, so ∂f/∂D = dD.
  const c = circuit(
    'f',
    input('W', W),
    input('X', X),
    constant('G', dD),
    gate('D', 'matmul', 'W', 'X'),
    gate('P', 'mul', 'D', 'G'),
    gate('f', 'sum', 'P'),
  );

  it('computes D (5×3) as the naive product', () => {
    const ev = evaluate(c);
    const D = ev.value('D');
    expect(shapeOf(D)).toEqual([5, 3]);
    expect(maxAbsDiff(entries(D), matmulNaive(Wm, Xm).flat())).toBeLessThanOrEqual(1e-12);
  });

  it('passes ∂f/∂D = dD into the matrix product', () => {
    const ev = evaluate(c);
    expect(entries(ev.grad('D'))).toEqual(Array.from(dD.data));
  });

  it('gives dW = dD·Xᵀ (5×10) and dX = Wᵀ·dD (10×3) within 1e-12', () => {
    const ev = evaluate(c);
    const dW = ev.grad('W');
    const dX = ev.grad('X');
    expect(shapeOf(dW)).toEqual([5, 10]);
    expect(shapeOf(dX)).toEqual([10, 3]);
    const expectedDW = matmulNaive(dDm, transposeNaive(Xm)).flat();
    const expectedDX = matmulNaive(transposeNaive(Wm), dDm).flat();
    expect(maxAbsDiff(entries(dW), expectedDW)).toBeLessThanOrEqual(1e-12);
    expect(maxAbsDiff(entries(dX), expectedDX)).toBeLessThanOrEqual(1e-12);
  });
});
