import { memo, useEffect, useRef } from 'react';

type KatexModule = typeof import('katex');
let katexLoad: Promise<KatexModule> | null = null;

/** KaTeX and its stylesheet are loaded on first use, not with the app. */
function loadKatex(): Promise<KatexModule> {
  katexLoad ??= Promise.all([import('katex'), import('katex/dist/katex.min.css')]).then(
    ([m]) => (m as unknown as { default: KatexModule }).default ?? m,
  );
  return katexLoad;
}

/**
 * TeX typeset by KaTeX. KaTeX builds DOM nodes itself (no HTML strings), and anything that
 * came from a user, such as a node name, must go through `texText` first.
 */
export const Tex = memo(function Tex({ tex, display = false }: { tex: string; display?: boolean }) {
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    el.textContent = tex;
    let cancelled = false;
    loadKatex().then(
      (katex) => {
        if (!cancelled) {
          katex.render(katexSafe(tex), el, {
            throwOnError: false,
            displayMode: display,
            // A character KaTeX has no metrics for is still drawn (in the page's font); it is
            // not worth a console warning on every step.
            strict: (code: string) => (code === 'unknownSymbol' ? 'ignore' : 'warn'),
          });
        }
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [tex, display]);
  return <span ref={ref} className={display ? 'tex tex-display' : 'tex'} />;
});

/**
 * Characters the app's own labels use (`×−1`, `x²`, `max(·, 0)`) that KaTeX does not take
 * inside \text{}: written in math mode instead.
 */
const MATH_CHARACTERS: ReadonlyMap<string, string> = new Map([
  ['\u2212', '-'],
  ['×', '\\times '],
  ['÷', '\\div '],
  ['·', '\\cdot '],
  ['²', '{}^{2}'],
  ['³', '{}^{3}'],
  ['∂', '\\partial '],
  ['∞', '\\infty '],
  ['…', '\\ldots '],
  ['√', '\\surd '],
  ['σ', '\\sigma '],
  ['Σ', '\\Sigma '],
  ['ᵀ', '{}^{\\top}'],
  ['ʸ', '{}^{y}'],
]);

/** The commands whose argument KaTeX typesets in text mode. */
const TEXT_COMMAND = /^\\text(?:bf|it|rm|sf|tt|normal|up)?$/;

/**
 * TeX with the symbols of MATH_CHARACTERS written the way KaTeX takes them wherever they come
 * from (a step's name, a formula): in math mode as the command (`×` as `\times`), inside
 * `\text{…}` as a bit of inline math (`$\times$`). KaTeX has no text-mode glyph for `×`
 * and warns "Unrecognized Unicode character" on every render otherwise.
 */
export function katexSafe(tex: string): string {
  let out = '';
  // For each open brace: whether it opened the argument of a text command.
  const braces: boolean[] = [];
  let textDepth = 0;
  for (let i = 0; i < tex.length; i++) {
    const c = tex[i];
    if (c === '\\') {
      const word = /^\\(?:[A-Za-z]+|[^A-Za-z])?/.exec(tex.slice(i))?.[0] ?? c;
      out += word;
      i += word.length - 1;
      if (TEXT_COMMAND.test(word) && tex[i + 1] === '{') {
        out += '{';
        i += 1;
        braces.push(true);
        textDepth += 1;
      }
      continue;
    }
    if (c === '{') {
      braces.push(false);
      out += c;
      continue;
    }
    if (c === '}') {
      if (braces.pop()) textDepth -= 1;
      out += c;
      continue;
    }
    const math = MATH_CHARACTERS.get(c);
    if (math === undefined) out += c;
    else out += textDepth > 0 ? `$${math.trim()}$` : math;
  }
  return out;
}

function escapeText(s: string): string {
  return s.replace(/[\\{}$&#^_%~]/g, (c) =>
    c === '\\'
      ? '\\textbackslash{}'
      : c === '~'
        ? '\\textasciitilde{}'
        : c === '^'
          ? '\\textasciicircum{}'
          : `\\${c}`,
  );
}

/**
 * A text (a node name, a gate's label) as TeX that shows it literally: specials escaped, plain
 * runs inside \text{}, and the symbols above in math mode.
 */
export function texText(s: string): string {
  let out = '';
  let run = '';
  const flush = () => {
    if (run !== '') out += `\\text{${escapeText(run)}}`;
    run = '';
  };
  for (const c of s) {
    const math = MATH_CHARACTERS.get(c);
    if (math === undefined) {
      run += c;
    } else {
      flush();
      out += math;
    }
  }
  flush();
  return out === '' ? '\\text{}' : out;
}

/** A number in TeX: a real minus, ∞, NaN. */
export function texNumber(x: number, digits = 4): string {
  if (Number.isNaN(x)) return '\\text{NaN}';
  if (!Number.isFinite(x)) return x > 0 ? '\\infty' : '-\\infty';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-4) {
    const [m, e] = x.toExponential(digits - 1).split('e');
    return `${Number(m)} \\times 10^{${Number(e)}}`;
  }
  return String(Number(x.toPrecision(digits)));
}
