/**
 * The backward check: each hand-written backward line beside backpropagation. The expected
 * numbers are worked out here from the staged function's own formulas.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import type { InputValues } from '../../src/engine/program';
import { type BackwardFinding, checkBackward, readProgram } from '../../src/engine/python';
import type { UpstreamSeed } from '../../src/engine/seed';
import { MATMUL, NEURON, STAGED } from './python-programs';

function findings(text: string, inputs?: InputValues, seed?: UpstreamSeed): BackwardFinding[] {
  const r = readProgram(text);
  if (r.kind !== 'python') throw new Error('expected Python');
  return checkBackward(r.python, compile(r.parsed.circuit).run(inputs, seed ? { seed } : {}));
}

const sigma = (v: number) => 1 / (1 + Math.exp(-v));

function staged(x: number, y: number) {
  const sigy = sigma(y);
  const num = x + sigy;
  const sigx = sigma(x);
  const xpy = x + y;
  const den = sigx + xpy ** 2;
  const dnum = 1 / den;
  const dden = -num / den ** 2;
  const fromXpy = dden * 2 * xpy;
  const fromSigy = dnum * sigy * (1 - sigy);
  return { dy: fromXpy + fromSigy, fromXpy, fromSigy, dxpy: dden * 2 * xpy };
}

const lineOf = (text: string, start: string) =>
  text.split('\n').findIndex((l) => l.startsWith(start)) + 1;

describe("the notes' staged code", () => {
  it("finds the notes' slip: the last dy = overwrites what y got from xpy; every other line is correct", () => {
    const list = findings(STAGED);
    expect(list).toHaveLength(12);
    for (const f of list) expect(f.text.startsWith(`line ${f.line}: `)).toBe(true);
    const slip = lineOf(STAGED, 'dy = ((1 - sigy)');
    const wrong = list.filter((f) => f.status !== 'correct');
    expect(wrong.map((f) => f.line)).toEqual([slip]);
    expect(wrong[0].text).toMatch(
      /dy = … overwrites the gradient y already got from xpy \(line 10\): gradients add up at forks, so write dy \+= …/,
    );
    // The expected number is y's whole gradient: both contributions.
    expect(wrong[0].expected?.data[0]).toBeCloseTo(staged(3, -4).dy, 12);
    expect(list.map((f) => f.line)).toEqual([17, 18, 20, 22, 23, 25, 27, 28, 30, 32, 33, 35]);
  });

  it('with dy += on the last line every line is correct, and the forks say when they are complete', () => {
    const fixed = STAGED.replace('dy = ((1 - sigy)', 'dy += ((1 - sigy)');
    const list = findings(fixed);
    expect(list.every((f) => f.status === 'correct')).toBe(true);
    expect(list.find((f) => f.line === 35)?.text).toMatch(/with every contribution in, dy = /);
    expect(list.find((f) => f.line === 28)?.text).toMatch(/dy is .* so far/);
  });

  it('a contribution no line adds is found: y also feeds xpy', () => {
    const text = STAGED.replace(/\ndy = \(1\) \* dxpy[^\n]*/, '\n');
    const list = findings(text);
    const missing = list.filter((f) => f.status === 'wrong');
    expect(missing).toHaveLength(1);
    expect(missing[0].text).toMatch(/y also feeds xpy \(line 10\), but nothing adds its gradient/);
    expect(missing[0].expected?.data[0]).toBeCloseTo(staged(3, -4).fromXpy, 12);
    // The dy = line itself computes the right contribution (through sigy).
    const last = list.find((f) => f.status === 'correct' && f.line === lineOf(text, 'dy = ((1'));
    expect(last?.text).toMatch(/y gets .* through sigy/);
  });

  it('a wrong local gradient gets the expected number and the local gradient', () => {
    const text = STAGED.replace('dxpy = (2 * xpy) * dxpysqr', 'dxpy = (xpy) * dxpysqr');
    const list = findings(text);
    const bad = list.filter((f) => f.status === 'wrong');
    expect(bad.map((f) => f.line)).toEqual([25, 35]);
    expect(bad[0].expected?.data[0]).toBeCloseTo(staged(3, -4).dxpy, 12);
    expect(bad[0].text).toMatch(
      /backprop sends .* to xpy through xpysqr \(line 11\) \(its local gradient −2 times dxpysqr/,
    );
    // The lines after it read dxpy at backprop's value: they are still correct.
    expect(list.find((f) => f.line === 27)?.status).toBe('correct');
  });

  it('follows the inputs: at x = 1, y = 2 the expected number is that point’s', () => {
    const list = findings(STAGED, { x: 1, y: 2 });
    const slip = list.find((f) => f.status === 'wrong');
    expect(slip?.expected?.data[0]).toBeCloseTo(staged(1, 2).dy, 12);
  });

  it('a backward line naming what the forward pass does not define is a finding, not a crash', () => {
    const text = `${STAGED}dz = (1) * dq\ndx += w * dnum\n`;
    const list = findings(text);
    const dz = list.find((f) => f.line === 36);
    const dx = list.find((f) => f.line === 37);
    expect(dz?.status).toBe('wrong');
    expect(dz?.text).toMatch(/^line 36: dq is used before any line assigns it/);
    expect(dx?.text).toMatch(/^line 37: w is not defined: the forward pass has no w/);
  });

  it('+= before any value, and = of a contribution already held, are named', () => {
    const text = STAGED.replace('dx = (1) * dxpy', 'dx += (1) * dxpy');
    const first = findings(text).find((f) => f.line === 27);
    expect(first?.status).toBe('wrong');
    expect(first?.text).toMatch(/dx \+= … adds to dx before any line gives it a value/);
  });
});

describe("the notes' sigmoid neuron", () => {
  it('confirms ddot, and dx and dw entry by entry', () => {
    const list = findings(NEURON);
    expect(list.map((f) => [f.line, f.status])).toEqual([
      [9, 'correct'],
      [10, 'correct'],
      [11, 'correct'],
    ]);
    expect(list[1].text).toMatch(/x gets \[0\.3932, −0\.5898\] through dot \(line 5\)/);
  });

  it('swapped entries of dx are wrong, with the expected vector', () => {
    const text = NEURON.replace(
      'dx = [w[0] * ddot, w[1] * ddot]',
      'dx = [w[1] * ddot, w[0] * ddot]',
    );
    const dx = findings(text).find((f) => f.line === 10);
    expect(dx?.status).toBe('wrong');
    const ddot = sigma(1) * (1 - sigma(1));
    expect(Array.from(dx?.expected?.data ?? [])).toEqual(
      [2 * ddot, -3 * ddot].map((v) => expect.closeTo(v, 14)),
    );
  });

  it('a list with the wrong number of entries is named', () => {
    const text = NEURON.replace('dx = [w[0] * ddot, w[1] * ddot]', 'dx = [w[0] * ddot]');
    const dx = findings(text).find((f) => f.line === 10);
    expect(dx?.text).toMatch(/dx has \[1\].*but x is \[2\]|dx has .* but x is/);
  });
});

describe("the notes' matrix product with a random dD", () => {
  it('with the random upstream gradient the paste asks for, dW = dD.dot(X.T) and dX = W.T.dot(dD) are correct', () => {
    const list = findings(MATMUL, undefined, { kind: 'random', seed: 7 });
    expect(list.map((f) => [f.line, f.status])).toEqual([
      [8, 'correct'],
      [9, 'correct'],
      [10, 'correct'],
    ]);
    expect(list[0].text).toMatch(
      /dD is the upstream gradient the backward pass starts from: random/,
    );
  });

  it('from ones, the dD line says how to compare, and the shapes that do not work out are named', () => {
    const text = MATMUL.replace('dW = dD.dot(X.T)', 'dW = X.T.dot(dD)');
    const list = findings(text);
    expect(list[0].status).toBe('unchecked');
    expect(list[0].text).toMatch(/choose random dD under Upstream gradient/);
    expect(list[1].status).toBe('wrong');
    expect(list[1].text).toMatch(
      /^line 9: cannot be computed: .*3×10.*5×3|^line 9: cannot be computed/,
    );
    expect(list[2].status).toBe('correct');
  });
});
