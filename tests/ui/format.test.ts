import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/engine/tensor';
import { attrValue, formatNumber, formatSigned, formatValue } from '../../src/ui/format';

describe('numbers as the canvas writes them', () => {
  it('rounds to about four significant digits with a real minus sign', () => {
    expect(formatNumber(0.7310585786300049)).toBe('0.7311');
    expect(formatNumber(-12)).toBe('\u221212');
    expect(formatNumber(0.07971588771237584)).toBe('0.07972');
    expect(formatNumber(49)).toBe('49');
  });

  it('uses scientific notation only far from 1', () => {
    expect(formatNumber(1.5e-7)).toBe('1.5e\u22127');
    expect(formatNumber(-1.5e-7)).toBe('\u22121.5e\u22127');
    expect(formatNumber(-2.5e9)).toBe('\u22122.5e9');
    expect(formatNumber(0.0003536)).toBe('0.0003536');
  });

  it('spells out NaN and infinities', () => {
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe('\u2212∞');
  });

  it('always signs a gradient, so it reads without colour', () => {
    expect(formatSigned(3)).toBe('+3');
    expect(formatSigned(-4)).toBe('\u22124');
    expect(formatSigned(0)).toBe('0');
  });

  it('summarises a tensor by its shape and first entries', () => {
    expect(formatValue(tensor([2, 2], [1, 2, 3, 4]))).toBe('2×2 [1, 2, 3, …]');
  });

  it('writes full precision into the test attributes, JSON for tensors', () => {
    expect(attrValue(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(attrValue(tensor([2, 2], [1, Number.NaN, 3, Number.NEGATIVE_INFINITY]))).toBe(
      '[[1,"NaN"],[3,"-Infinity"]]',
    );
    expect(attrValue(undefined)).toBe('');
  });
});
