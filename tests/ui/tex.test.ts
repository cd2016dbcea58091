import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { katexSafe, texText } from '../../src/ui/Tex';

const strict = (tex: string) => katex.renderToString(tex, { strict: 'error', throwOnError: true });

describe('katexSafe', () => {
  it('writes × inside \\text{} as inline math, which KaTeX takes in strict mode', () => {
    const tex = '\\text{W×X gate \\#2} = 3';
    expect(() => strict(tex)).toThrow(/Unicode|×/);
    expect(katexSafe(tex)).toBe('\\text{W$\\times$X gate \\#2} = 3');
    expect(() => strict(katexSafe(tex))).not.toThrow();
  });

  it('writes × in math mode as \\times', () => {
    expect(katexSafe('2 × 3')).toBe('2 \\times  3');
    expect(() => strict(katexSafe('a_{×} = 2 × 3'))).not.toThrow();
  });

  it('leaves commands, escapes and text without such symbols as they are', () => {
    for (const tex of [
      '\\frac{\\partial f}{\\partial x} = -4',
      '\\text{upstream} \\times \\underbrace{1}_{\\text{local}}',
      '\\text{a \\{b\\} c}',
      texText('x²·y'),
    ]) {
      expect(katexSafe(tex)).toBe(tex);
    }
  });

  it('is back in math mode after a text group closes, and nested groups count', () => {
    expect(katexSafe('\\text{{a}×}×')).toBe('\\text{{a}$\\times$}\\times ');
    expect(() => strict(katexSafe('\\text{{a}×}×'))).not.toThrow();
  });
});
