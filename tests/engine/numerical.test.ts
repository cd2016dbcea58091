/**
 * numericalGradient: its numbers against the test's own centered differences, its verdicts,
 * and its kink detection.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { numericalGradient, relativeError } from '../../src/engine/numerical';
import type { UnaryOp } from '../../src/engine/ops';
import { getOp } from '../../src/engine/ops';
import { unary } from '../../src/engine/ops/define';
import { parse } from '../../src/engine/parse';
import { Program } from '../../src/engine/program';
import { randn, scalar } from '../../src/engine/tensor';
import { nodeId } from '../../src/engine/types';
import {
  centeredDiff,
  circuit,
  constant,
  entries,
  gate,
  input,
  maxAbsDiff,
  num,
  sigma,
} from './helpers';

const staged = circuit(
  'f',
  input('x', 3),
  input('y', 4),
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
const stagedF = ([x, y]: readonly number[]) => (x + sigma(y)) / (sigma(x) + (x + y) ** 2);

describe('numericalGradient on smooth circuits', () => {
  it("says 'ok' for the staged example, with the test's own numbers", () => {
    const checks = numericalGradient(compile(staged));
    expect(checks.map((c) => [c.node, c.verdict, c.nearKink])).toEqual([
      ['x', 'ok', false],
      ['y', 'ok', false],
    ]);
    const mine = centeredDiff(stagedF, [3, 4]);
    expect(
      maxAbsDiff(
        checks.map((c) => num(c.numeric)),
        mine,
      ),
    ).toBeLessThanOrEqual(1e-10);
    for (const c of checks) expect(c.relError).toBeLessThanOrEqual(1e-7);
  });

  it('uses the input values it is given', () => {
    const checks = numericalGradient(compile(staged), { x: -1, y: 0.5 });
    const mine = centeredDiff(stagedF, [-1, 0.5]);
    expect(
      maxAbsDiff(
        checks.map((c) => num(c.numeric)),
        mine,
      ),
    ).toBeLessThanOrEqual(1e-10);
    expect(checks.every((c) => c.verdict === 'ok')).toBe(true);
  });

  it("says 'ok' for every entry of a matrix product", () => {
    const W = randn(3, 4, 7);
    const X = randn(4, 2, 8);
    const program = compile(
      circuit(
        'f',
        input('W', W),
        input('X', X),
        gate('D', 'matmul', 'W', 'X'),
        gate('T', 'tanh', 'D'),
        gate('f', 'sum', 'T'),
      ),
    );
    const checks = numericalGradient(program);
    expect(checks.map((c) => [c.node, c.verdict])).toEqual([
      ['W', 'ok'],
      ['X', 'ok'],
    ]);
    expect(entries(checks[0].numeric)).toHaveLength(12);
    expect(entries(checks[1].analytic)).toHaveLength(8);
  });

  it('respects the step h it is given', () => {
    // f = x³ at x = 1: the centered difference is 3 + h² exactly (up to rounding).
    const program = compile(
      circuit('f', input('x', 1), constant('three', 3), gate('f', 'pow', 'x', 'three')),
    );
    const [check] = numericalGradient(program, undefined, { h: 1e-2 });
    expect(Math.abs(num(check.numeric) - (3 + 1e-4))).toBeLessThanOrEqual(1e-12);
    expect(check.verdict).toBe('suspicious');
  });
});

describe('numericalGradient near kinks', () => {
  it('flags relu at x = 1e-7 (h = 1e-5 straddles 0)', () => {
    const program = compile(circuit('f', input('x', 1e-7), gate('f', 'relu', 'x')));
    const [check] = numericalGradient(program);
    expect(check.nearKink).toBe(true);
    expect(check.verdict).toBe('kink');
    expect(num(check.analytic)).toBe(1);
    // (relu(x + h) − relu(x − h)) / 2h = (1e-7 + 1e-5) / 2e-5 ≈ 0.505
    expect(num(check.numeric)).toBeCloseTo(0.505, 10);
  });

  it('flags relu at x = −1e-7 and 0 too, but not at x = 1e-3', () => {
    for (const x of [-1e-7, 0]) {
      const [check] = numericalGradient(
        compile(circuit('f', input('x', x), gate('f', 'relu', 'x'))),
      );
      expect(check.nearKink).toBe(true);
    }
    const [far] = numericalGradient(
      compile(circuit('f', input('x', 1e-3), gate('f', 'relu', 'x'))),
    );
    expect(far).toMatchObject({ nearKink: false, verdict: 'ok' });
  });

  it('flags max with a near tie', () => {
    const near = compile(
      circuit('f', input('a', 1 + 1e-7), input('b', 1), gate('f', 'max', 'a', 'b')),
    );
    const checks = numericalGradient(near);
    expect(checks.map((c) => c.nearKink)).toEqual([true, true]);
    expect(checks.map((c) => c.verdict)).toEqual(['kink', 'kink']);

    const far = compile(circuit('f', input('a', 1.5), input('b', 1), gate('f', 'max', 'a', 'b')));
    expect(numericalGradient(far).map((c) => [c.nearKink, c.verdict])).toEqual([
      [false, 'ok'],
      [false, 'ok'],
    ]);
  });

  it('flags a reducemax whose winner changes within ±h', () => {
    const program = compile(
      circuit('f', input('v', [2, 2 + 1e-7, -1]), gate('f', 'reducemax', 'v')),
    );
    const [check] = numericalGradient(program);
    expect(check.nearKink).toBe(true);
  });
});

describe('numericalGradient catches a wrong gradient', () => {
  /** x → op → output, laid out by hand so an op that is not in the registry can be used. */
  function programWith(op: UnaryOp, x: number): Program {
    const inputOp = getOp('input');
    if (!inputOp) throw new Error('no input op');
    return new Program({
      circuit: { nodes: [], wires: [], output: nodeId('f') },
      problems: [],
      ids: [nodeId('x'), nodeId('f')],
      ops: [inputOp, op],
      shapes: [[], []],
      sources: [new Int32Array(0), Int32Array.of(0)],
      initial: [scalar(x), undefined],
      reachesOutput: Uint8Array.of(1, 1),
      output: 1,
    });
  }
  const cube = (df: UnaryOp['df']): UnaryOp =>
    unary({
      name: 'cube',
      title: 'cube',
      family: 'arithmetic',
      symbol: 'x³',
      formula: 'x^3',
      grad: '3x^2',
      syntax: {},
      f: (x) => x * x * x,
      df,
    });

  it("says 'ok' for the right local gradient", () => {
    const [check] = numericalGradient(
      programWith(
        cube((x) => 3 * x * x),
        1.3,
      ),
    );
    expect(check.verdict).toBe('ok');
  });

  it("says 'wrong' for a local gradient that is off by a factor", () => {
    const [check] = numericalGradient(
      programWith(
        cube((x) => 2 * x * x),
        1.3,
      ),
    );
    expect(check.verdict).toBe('wrong');
    expect(check.relError).toBeCloseTo(1 / 5, 6);
  });

  it("says 'suspicious' for one that is slightly off", () => {
    const [check] = numericalGradient(
      programWith(
        cube((x) => 3 * x * x * (1 + 1e-5)),
        1.3,
      ),
    );
    expect(check.verdict).toBe('suspicious');
    expect(check.relError).toBeGreaterThan(1e-7);
    expect(check.relError).toBeLessThan(1e-4);
  });
});

describe('relativeError', () => {
  it('is |a − n| / (|a| + |n|), 0 for equal numbers', () => {
    expect(relativeError(1, 1)).toBe(0);
    expect(relativeError(0, 0)).toBe(0);
    expect(relativeError(3, 1)).toBe(0.5);
    expect(relativeError(-1, 1)).toBe(1);
    expect(relativeError(1e-310, 0)).toBeCloseTo(1e-10, 15);
  });
});

describe('numericalGradient of an evaluation', () => {
  it('checks the evaluation at the input values it was run with', () => {
    const parsed = parse('x = 1; y = 2; f = x * y + sigmoid(x)');
    const ev = compile(parsed).run({ x: 3, y: -1 });
    const [x, y] = numericalGradient(ev);
    const s = 1 / (1 + Math.exp(-3));
    // Hand-derived: ∂f/∂x = y + σ(x)(1 − σ(x)), ∂f/∂y = x, at x = 3, y = -1.
    expect(x.numeric as number).toBeCloseTo(-1 + s * (1 - s), 8);
    expect(y.numeric as number).toBeCloseTo(3, 8);
    expect(x.verdict).toBe('ok');
  });
});
