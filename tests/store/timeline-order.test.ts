/**
 * Playback follows a program's statements: the forward steps in the order the program
 * assigns its names, the backward steps in exactly the reverse order (the notes' #(1)–#(8),
 * then #(8)–#(1)). A circuit whose node list does not read in an order the wires allow keeps
 * the topological order. Either way the running sums end at the run's gradients.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { parse } from '../../src/engine/parse';
import { statementOrder } from '../../src/engine/steps';
import type { Circuit } from '../../src/engine/types';
import { EXAMPLE_SOURCES } from '../../src/examples/sources';
import { buildTimeline, gradientSteps } from '../../src/store/timeline';

/** The gallery's staged example, as its program. */
const STAGED = (() => {
  const staged = EXAMPLE_SOURCES.find((e) => e.id === 'staged');
  if (!staged) throw new Error('the gallery has no staged example');
  return staged.program;
})();
const STATEMENTS = ['sigy', 'num', 'sigx', 'xpy', 'xpysqr', 'den', 'invden', 'f'];

describe('playback order', () => {
  it('plays the staged program forward in statement order and backward in reverse', () => {
    const ev = compile(parse(STAGED).circuit).run();
    const t = buildTimeline(ev);
    const kinds = t.steps.map((s) => `${s.kind} ${s.node}`);
    expect(kinds).toEqual([
      ...STATEMENTS.map((n) => `forward ${n}`),
      'seed f',
      ...[...STATEMENTS].reverse().map((n) => `backward ${n}`),
    ]);
    // The compiled topological order is not the statements' (it goes by layers).
    const topo = Array.from(ev.program.gates, (s) => ev.program.ids[s]);
    expect(topo).not.toEqual(STATEMENTS);
  });

  it("x's running sum grows at xpy (#4), then sigx (#3), then num (#2), ending at the run's gradient", () => {
    const ev = compile(parse(STAGED).circuit).run();
    const t = buildTimeline(ev);
    const x = ev.program.slot('x');
    const steps = gradientSteps(t, x);
    const at = steps.map((s) => t.steps[s.step].node);
    expect(at).toEqual(['xpy', 'sigx', 'num']);
    expect(steps[2].sum as number).toBeCloseTo(ev.grad('x') as number, 15);
    // -0.0023947459685 from the notes' numbers (x = 3, y = 4).
    expect(steps[2].sum as number).toBeCloseTo(-0.002394745968523744, 15);
  });

  it('keeps the topological order for a node list the wires do not allow', () => {
    const parsed = parse('x = 2\ny = 3\na = x * y\nf = a + x').circuit;
    // The output first, then its input gate: not an order that can be computed.
    const reversed: Circuit = { ...parsed, nodes: [...parsed.nodes].reverse() };
    const program = compile(reversed);
    const order = statementOrder(program);
    expect(Array.from(order.forward)).toEqual(Array.from(program.gates));
    expect(Array.from(order.backward)).toEqual(Array.from(program.backwardGates));
  });
});
