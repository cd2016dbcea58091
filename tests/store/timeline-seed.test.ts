import { describe, expect, it } from 'vitest';
import { compile, parse } from '../../src/engine';
import { buildTimeline, gradientSteps } from '../../src/store/timeline';

/**
 * Playback adds gradients up in the order of the backward pass, starting from the output's
 * upstream gradient. With a chosen dD (not ones), the last running sum of every node must be
 * the gradient the run computed, and the output's first sum must be dD itself.
 */
describe('the timeline under a chosen upstream gradient', () => {
  const program = compile(parse('W = randn(3, 4)\nX = randn(4, 2)\nD = W @ X\nE = D * D').circuit);

  for (const seed of [
    { kind: 'random', seed: 7 },
    { kind: 'onehot', index: [2, 1] },
  ] as const) {
    it(`starts from dD and ends at the run's gradients (${seed.kind})`, () => {
      const ev = program.run(undefined, { seed });
      const timeline = buildTimeline(ev);
      const out = program.output;
      const first = gradientSteps(timeline, out)[0].sum as { data: Float64Array };
      expect([...first.data]).toEqual([...ev.seed]);
      expect(ev.seed.some((v) => v !== 1)).toBe(true);
      for (const id of ['W', 'X', 'D']) {
        const slot = program.slot(id);
        const sums = gradientSteps(timeline, slot);
        const last = sums[sums.length - 1].sum as { data: Float64Array };
        const start = program.offsets[slot];
        const want = ev.grads.slice(start, program.offsets[slot + 1]);
        expect([...last.data]).toEqual([...want]);
      }
    });
  }
});
