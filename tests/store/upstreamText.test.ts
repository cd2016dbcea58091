import { describe, expect, it } from 'vitest';
import { upstreamTex, upstreamWords } from '../../src/ui/upstreamText';

describe('the upstream gradient in words', () => {
  it('names each kind, and ones when the run fell back to them', () => {
    expect(upstreamWords(undefined, 'D')).toBe('ones');
    expect(upstreamWords({ kind: 'random', seed: 7 }, 'D')).toBe('random dD (seed 7)');
    expect(upstreamWords({ kind: 'onehot', index: [2, 1] }, 'D')).toBe('one-hot at [2, 1]');
    expect(
      upstreamWords({ kind: 'values', values: { shape: [1], data: Float64Array.of(1) } }, 'D'),
    ).toBe('typed values');
    expect(upstreamWords({ kind: 'onehot', index: [9, 9] }, 'D', true)).toBe('ones');
  });

  it('escapes a name in TeX', () => {
    expect(upstreamTex({ kind: 'random', seed: 7 }, 'my_D')).toBe(
      '\\text{random dmy\\_D (seed 7)}',
    );
  });
});
