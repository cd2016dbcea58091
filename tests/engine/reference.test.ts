/**
 * The reference cases of DOMAIN.md as golden tests: every value and gradient is either given
 * by DOMAIN.md or derived by hand in this file.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/engine/parse';
import { backwardSteps } from '../../src/engine/steps';
import { randn } from '../../src/engine/tensor';
import {
  circuit,
  constant,
  entries,
  evaluate,
  gate,
  input,
  lit,
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
  // σ(t) = 1 / (1 + exp(−1 · t)) as the gates ×−1, exp, +1, 1/x: each number is part of its gate.
  const c = circuit(
    'f',
    ...neuronInputs,
    gate('negdot', 'mul', 'dot', lit(-1)),
    gate('e', 'exp', 'negdot'),
    gate('denom', 'add', 'e', lit(1)),
    gate('f', 'div', lit(1), 'denom'),
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
    expectClose(num(ev.grad('e')), -1 / denom ** 2, 1e-15);
    expectClose(num(ev.grad('negdot')), (Math.exp(-1) * -1) / denom ** 2, 1e-15);
    expectClose(num(ev.grad('dot')), Math.exp(-1) / denom ** 2, 1e-15);
  });

  it('has no node for any of its numbers: 5 inputs and 8 gates', () => {
    expect(c.nodes).toHaveLength(13);
    const program = evaluate(c).program;
    expect(program.ids.filter((id) => !c.nodes.some((n) => n.id === id))).toEqual([]);
  });

  it('gives the same numbers written with constant nodes, as circuits of the first format are', () => {
    const v1 = circuit(
      'f',
      ...neuronInputs,
      constant('minus1', -1),
      constant('one', 1),
      gate('negdot', 'mul', 'dot', 'minus1'),
      gate('e', 'exp', 'negdot'),
      gate('denom', 'add', 'e', 'one'),
      gate('f', 'inv', 'denom'),
    );
    const ev = evaluate(v1);
    const ref = evaluate(c);
    for (const id of ['f', 'x0', 'x1', 'w0', 'w1', 'w2']) {
      expect(num(ev.value(id))).toBe(num(ref.value(id)));
      expect(num(ev.grad(id))).toBe(num(ref.grad(id)));
    }
  });
});

describe('patterns f = 2 * (x*y + max(z, w))', () => {
  const c = circuit(
    'f',
    input('x', 3),
    input('y', -4),
    input('z', 2),
    input('w', -1),
    gate('xy', 'mul', 'x', 'y'),
    gate('m', 'max', 'z', 'w'),
    gate('s', 'add', 'xy', 'm'),
    gate('f', 'mul', lit(2), 's'),
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
    // The 2 is part of the ×2 gate: its step has one term, for s, and no gradient for the 2.
    const [first] = backwardSteps(ev);
    expect(first.node).toBe('f');
    expect(first.terms.map((t) => t.from)).toEqual(['s']);
    expect(num(first.terms[0].localGrad ?? undefined)).toBe(2);
  });
});

describe('staged f = (x + σ(y)) / (σ(x) + (x + y)²)', () => {
  const x = 3;
  const y = 4;
  // As the notes stage it: sigy = 1.0 / (1 + exp(-y)); num = x + sigy;
  // sigx = 1.0 / (1 + exp(-x)); xpy = x + y; xpysqr = xpy**2; den = sigx + xpysqr;
  // invden = 1.0 / den; f = num * invden. Every number is part of its gate.
  const c = circuit(
    'f',
    input('x', x),
    input('y', y),
    gate('ny', 'neg', 'y'),
    gate('ey', 'exp', 'ny'),
    gate('dy', 'add', lit(1), 'ey'),
    gate('sigy', 'div', lit(1), 'dy'),
    gate('num', 'add', 'x', 'sigy'),
    gate('nx', 'neg', 'x'),
    gate('ex', 'exp', 'nx'),
    gate('dx', 'add', lit(1), 'ex'),
    gate('sigx', 'div', lit(1), 'dx'),
    gate('xpy', 'add', 'x', 'y'),
    gate('xpysqr', 'pow', 'xpy', lit(2)),
    gate('den', 'add', 'sigx', 'xpysqr'),
    gate('invden', 'div', lit(1), 'den'),
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

  it('gives ∂x and ∂y exactly as the chain rule through its gates, summed over the forks', () => {
    // The backward pass by hand, gate by gate: each local gradient as the gate's formula,
    // with its number folded in, times the upstream gradient.
    const ey = Math.exp(-y);
    const ex = Math.exp(-x);
    const sigy = 1 / (1 + ey);
    const sigx = 1 / (1 + ex);
    const num_ = x + sigy;
    const den = sigx + (x + y) ** 2;
    const invden = 1 / den;
    const dnum = invden; // f = num · invden
    const dinvden = num_;
    const dden = dinvden * (-1 / (den * den)); // invden = 1 / den
    const dsigx = dden; // den = sigx + xpysqr
    const dxpysqr = dden;
    const dxpy = dxpysqr * (2 * (x + y)); // xpysqr = xpy²
    const ddx = dsigx * (-1 / ((1 + ex) * (1 + ex))); // sigx = 1 / dx
    const dex = ddx; // dx = 1 + ex
    const dnx = dex * ex; // ex = exp(nx)
    const dsigy = dnum; // num = x + sigy
    const ddy = dsigy * (-1 / ((1 + ey) * (1 + ey)));
    const dey = ddy;
    const dny = dey * ey;
    // x feeds num, nx and xpy; y feeds ny and xpy: each gradient is the sum of its branches,
    // in the order the backward pass reaches them.
    const ev = evaluate(c);
    const steps = backwardSteps(ev);
    const order = (id: string) =>
      steps.filter((s) => s.terms.some((t) => t.from === id)).map((s) => s.node);
    expect(order('x').sort()).toEqual(['num', 'nx', 'xpy']);
    expect(order('y').sort()).toEqual(['ny', 'xpy']);
    const branch: Record<string, Record<string, number>> = {
      x: { num: dnum, nx: -dnx, xpy: dxpy },
      y: { ny: -dny, xpy: dxpy },
    };
    for (const id of ['x', 'y']) {
      const sum = order(id).reduce((acc, gate) => acc + branch[id][gate], 0);
      expect(num(ev.grad(id))).toBe(sum);
    }
    expectClose(num(ev.grad('x')), dfdx, 1e-12);
    expectClose(num(ev.grad('y')), dfdy, 1e-12);
  });

  it('is what the program as the notes write it parses into, with the same numbers', () => {
    const parsed = parse(
      'x = 3; y = 4; sigy = 1.0 / (1 + exp(-y)); num = x + sigy; sigx = 1.0 / (1 + exp(-x)); xpy = x + y; xpysqr = xpy**2; den = sigx + xpysqr; invden = 1.0 / den; f = num * invden',
    );
    const ev = evaluate(parsed);
    const ref = evaluate(c);
    expect(parsed.nodes).toHaveLength(c.nodes.length);
    for (const id of ['x', 'y', 'sigy', 'num', 'sigx', 'xpy', 'xpysqr', 'den', 'invden', 'f']) {
      expect(num(ev.value(id))).toBe(num(ref.value(id)));
      expect(num(ev.grad(id))).toBe(num(ref.grad(id)));
    }
    const literalFree = backwardSteps(ev).flatMap((s) => s.terms.map((t) => t.from));
    expect(literalFree.every((id) => parsed.nodes.some((n) => n.id === id))).toBe(true);
  });

  it('names no literal in its steps, and has a node for no literal', () => {
    const ev = evaluate(c);
    const ids = new Set(c.nodes.map((n) => n.id as string));
    expect(ev.program.ids).toHaveLength(16);
    for (const step of backwardSteps(ev)) {
      expect(ids.has(step.node)).toBe(true);
      for (const t of step.terms) expect(ids.has(t.from)).toBe(true);
    }
    // The gates that hold a literal take one term each, for their wired port.
    const byNode = new Map(backwardSteps(ev).map((s) => [s.node as string, s]));
    for (const id of ['dy', 'sigy', 'dx', 'sigx', 'xpysqr', 'invden']) {
      expect(byNode.get(id)?.terms).toHaveLength(1);
    }
  });

  it('treats x and y as forks whose gradients are sums over their branches', () => {
    const fanOut = (id: string) => c.wires.filter((w) => w.from === id).length;
    expect(fanOut('x')).toBe(3); // num, nx, xpy
    expect(fanOut('y')).toBe(2); // ny, xpy
    const ev = evaluate(c);
    const steps = backwardSteps(ev);
    for (const [id, branches] of [
      ['x', 3],
      ['y', 2],
    ] as const) {
      const terms = steps.flatMap((s) => s.terms).filter((t) => t.from === id);
      expect(terms).toHaveLength(branches);
      const total = terms.reduce((acc, t) => acc + num(t.contribution), 0);
      expect(total).toBe(num(ev.grad(id)));
      // No single branch carries the whole gradient.
      for (const t of terms) expect(num(t.contribution)).not.toBe(num(ev.grad(id)));
    }
  });

  it('gives the same numbers with sigmoid and square gates', () => {
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
