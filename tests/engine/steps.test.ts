/**
 * The steps playback walks through, against steps written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { backwardSteps, forwardSteps, playbackSteps } from '../../src/engine/steps';
import { circuit, constant, entries, evaluate, gate, input, lit, num } from './helpers';

/** The parts of a term that are numbers, for comparing with a hand-written table. */
function plainTerms(step: { terms: readonly import('../../src/engine/steps').StepTerm[] }) {
  return step.terms.map((t) => ({
    port: t.port,
    from: t.from,
    localGrad: t.localGrad,
    contribution: t.contribution,
    before: t.before,
    after: t.after,
    complete: t.complete,
  }));
}

describe('f = (x + y) * z at x = -2, y = 5, z = -4', () => {
  const ev = evaluate(
    circuit(
      'f',
      input('x', -2),
      input('y', 5),
      input('z', -4),
      gate('q', 'add', 'x', 'y'),
      gate('f', 'mul', 'q', 'z'),
    ),
  );

  it('has forward steps q = 3, then f = -12', () => {
    const steps = forwardSteps(ev);
    expect(steps.map((s) => [s.kind, s.node, s.op.name, s.output])).toEqual([
      ['forward', 'q', 'add', 3],
      ['forward', 'f', 'mul', -12],
    ]);
    expect(steps[0].inputs).toEqual([
      { port: 'a', from: 'x', value: -2 },
      { port: 'b', from: 'y', value: 5 },
    ]);
    expect(steps[1].inputs).toEqual([
      { port: 'a', from: 'q', value: 3 },
      { port: 'b', from: 'z', value: -4 },
    ]);
  });

  it('has backward steps f, then q, with the chain rule written out', () => {
    const steps = backwardSteps(ev);
    expect(steps.map((s) => s.node)).toEqual(['f', 'q']);

    const [f, q] = steps;
    expect(f).toMatchObject({ kind: 'backward', node: 'f', output: -12, upstreamGrad: 1 });
    expect(f.op.name).toBe('mul');
    // The multiply gate swaps: q gets z = -4, z gets q = 3.
    expect(plainTerms(f)).toEqual([
      {
        port: 'a',
        from: 'q',
        localGrad: -4,
        contribution: -4,
        before: 0,
        after: -4,
        complete: true,
      },
      { port: 'b', from: 'z', localGrad: 3, contribution: 3, before: 0, after: 3, complete: true },
    ]);

    expect(q).toMatchObject({ kind: 'backward', node: 'q', output: 3, upstreamGrad: -4 });
    expect(q.op.name).toBe('add');
    // The add gate distributes: both inputs get the upstream -4.
    expect(plainTerms(q)).toEqual([
      {
        port: 'a',
        from: 'x',
        localGrad: 1,
        contribution: -4,
        before: 0,
        after: -4,
        complete: true,
      },
      {
        port: 'b',
        from: 'y',
        localGrad: 1,
        contribution: -4,
        before: 0,
        after: -4,
        complete: true,
      },
    ]);
  });

  it('plays forward steps, the seed at f, then backward steps', () => {
    const steps = playbackSteps(ev);
    expect(steps.map((s) => `${s.kind}:${s.node}`)).toEqual([
      'forward:q',
      'forward:f',
      'seed:f',
      'backward:f',
      'backward:q',
    ]);
    expect(steps[2]).toEqual({ kind: 'seed', node: 'f', grad: 1 });
  });
});

describe('patterns f = 2 * (x*y + max(z, w))', () => {
  const ev = evaluate(
    circuit(
      'f',
      input('x', 3),
      input('y', -4),
      input('z', 2),
      input('w', -1),
      gate('xy', 'mul', 'x', 'y'),
      gate('m', 'max', 'z', 'w'),
      gate('s', 'add', 'xy', 'm'),
      gate('f', 'mul', lit(2), 's'),
    ),
  );
  const steps = backwardSteps(ev);
  const step = (id: string) => {
    const s = steps.find((t) => t.node === id);
    if (!s) throw new Error(`no backward step for ${id}`);
    return s;
  };

  it('has one backward step per gate, output first', () => {
    expect(steps).toHaveLength(4);
    expect(steps[0].node).toBe('f');
    expect(steps[1].node).toBe('s');
    expect(new Set(steps.map((s) => s.node))).toEqual(new Set(['f', 's', 'm', 'xy']));
  });

  it('the ×2 step: upstream 1, s gets 2, and the 2 (part of the gate) gets nothing', () => {
    const f = step('f');
    expect(f.upstreamGrad).toBe(1);
    expect(f.output).toBe(-20);
    expect(f.params).toEqual([{ port: 'a', value: 2 }]);
    expect(plainTerms(f)).toEqual([
      { port: 'b', from: 's', localGrad: 2, contribution: 2, before: 0, after: 2, complete: true },
    ]);
  });

  it('as a circuit of the first format, the 2 is a constant node that gets s = -10', () => {
    const v1 = backwardSteps(
      evaluate(
        circuit(
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
        ),
      ),
    );
    expect(v1[0].terms.map((t) => [t.from, t.contribution])).toEqual([
      ['two', -10],
      ['s', 2],
    ]);
  });

  it('the max step routes 2 to z and 0 to w', () => {
    const m = step('m');
    expect(m.upstreamGrad).toBe(2);
    expect(m.output).toBe(2);
    expect(plainTerms(m)).toEqual([
      { port: 'a', from: 'z', localGrad: 1, contribution: 2, before: 0, after: 2, complete: true },
      { port: 'b', from: 'w', localGrad: 0, contribution: 0, before: 0, after: 0, complete: true },
    ]);
  });

  it('the x*y step swaps: x gets 2·y = -8, y gets 2·x = 6', () => {
    const xy = step('xy');
    expect(xy.upstreamGrad).toBe(2);
    expect(xy.terms.map((t) => [t.from, t.localGrad, t.contribution])).toEqual([
      ['x', -4, -8],
      ['y', 3, 6],
    ]);
  });
});

describe('a fork: x feeds two gates', () => {
  // f = x·y + x at x = 3, y = 4: ∂f/∂x = y + 1 = 5, reached in two contributions.
  const ev = evaluate(
    circuit(
      'f',
      input('x', 3),
      input('y', 4),
      gate('xy', 'mul', 'x', 'y'),
      gate('f', 'add', 'xy', 'x'),
    ),
  );
  const steps = backwardSteps(ev);

  it('shows the running sum: the first contribution is partial, the last completes it', () => {
    expect(steps.map((s) => s.node)).toEqual(['f', 'xy']);
    const terms = steps.flatMap((s) => s.terms).filter((t) => t.from === 'x');
    expect(terms).toHaveLength(2);
    const [first, last] = terms;
    expect(first).toMatchObject({
      port: 'b',
      contribution: 1,
      before: 0,
      after: 1,
      complete: false,
    });
    expect(last).toMatchObject({
      port: 'a',
      localGrad: 4,
      contribution: 4,
      before: 1,
      after: 5,
      complete: true,
    });
    expect(last.after).toBe(num(ev.grad('x')));
    expect(num(ev.grad('x'))).toBe(5);
  });

  it('x*x: two terms from one gate, the second completes', () => {
    const sq = evaluate(circuit('f', input('x', 3), gate('f', 'mul', 'x', 'x')));
    const [f] = backwardSteps(sq);
    expect(plainTerms(f)).toEqual([
      { port: 'a', from: 'x', localGrad: 3, contribution: 3, before: 0, after: 3, complete: false },
      { port: 'b', from: 'x', localGrad: 3, contribution: 3, before: 3, after: 6, complete: true },
    ]);
  });

  it('every completed term ends at the evaluation’s gradient', () => {
    for (const t of steps.flatMap((s) => s.terms)) {
      if (t.complete) expect(t.after).toEqual(ev.grad(t.from));
    }
  });
});

describe('steps of tensor gates', () => {
  const ev = evaluate(
    circuit(
      'f',
      input('W', [
        [1, 2],
        [3, 4],
      ]),
      input('v', [1, -1]),
      gate('Wv', 'matmul', 'W', 'v'),
      gate('r', 'relu', 'Wv'),
      gate('f', 'sum', 'r'),
    ),
  );

  it('gives entrywise local gradients for elementwise gates and none for matrix ops', () => {
    // Wv = [-1, -1], relu → [0, 0]: relu' = [0, 0], so nothing flows to W or v.
    const steps = backwardSteps(ev);
    expect(steps.map((s) => s.node)).toEqual(['f', 'r', 'Wv']);
    const [f, r, wv] = steps;
    expect(entries(f.terms[0].contribution)).toEqual([1, 1]);
    expect(f.terms[0].localGrad).toBeNull();
    expect(entries(r.terms[0].localGrad ?? undefined)).toEqual([0, 0]);
    expect(wv.terms.map((t) => t.localGrad)).toEqual([null, null]);
    expect(entries(wv.terms[0].after)).toEqual([0, 0, 0, 0]);
  });

  it('seeds a tensor output with ones of its shape', () => {
    const out = evaluate(
      circuit(
        'D',
        input('W', [
          [1, 2],
          [3, 4],
        ]),
        input('v', [1, 1]),
        gate('D', 'matmul', 'W', 'v'),
      ),
    );
    const seed = playbackSteps(out).find((s) => s.kind === 'seed');
    expect(seed).toMatchObject({ kind: 'seed', node: 'D', grad: { shape: [2] } });
    expect(seed?.kind === 'seed' && entries(seed.grad)).toEqual([1, 1]);
  });

  it('a forward step for every gate, also those that do not reach the output', () => {
    const withDead = evaluate(
      circuit('f', input('x', 1), gate('f', 'exp', 'x'), gate('dead', 'neg', 'x')),
    );
    expect(
      forwardSteps(withDead)
        .map((s) => s.node)
        .sort(),
    ).toEqual(['dead', 'f']);
    expect(backwardSteps(withDead).map((s) => s.node)).toEqual(['f']);
  });
});
