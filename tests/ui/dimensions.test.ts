/**
 * The step panel's dimension analysis, in words and in TeX, against numbers worked by hand.
 */
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import {
  compile,
  type Evaluation,
  type NestedNumbers,
  type PlaybackStep,
  parse,
  playbackSteps,
  portName,
} from '../../src/engine';
import { docFromCircuit } from '../../src/store/document';
import { entryAt, isTensorStep } from '../../src/ui/playback/Dimensions';
import {
  type NameOf,
  seedWords,
  stepLabel,
  stepSentence,
  stepTex,
} from '../../src/ui/playback/describe';
import {
  analyseStep,
  dimensionSentence,
  forwardShapes,
  type PortText,
} from '../../src/ui/playback/dimensionText';
import { makeNameOf } from '../../src/ui/playback/names';

function typeset(tex: string): string {
  return katex.renderToString(tex, { strict: 'error', throwOnError: true });
}

function evaluate(program: string, seed?: NestedNumbers) {
  const { circuit } = parse(program);
  const doc = docFromCircuit(circuit);
  const ev = compile(circuit).run(
    undefined,
    seed === undefined ? undefined : { seed: { kind: 'values', values: seed } },
  );
  return { ev, nameOf: makeNameOf(doc) };
}

/** The panel's texts of gate `id`'s backward step, with entries picked per port. */
function panel(
  ev: Evaluation,
  nameOf: NameOf,
  id: string,
  entry: Record<string, [number, number]> = {},
): { texts: PortText[]; sentence: string; step: PlaybackStep } {
  const picked = new Map(Object.entries(entry).map(([p, at]) => [portName(p), at] as const));
  const analysed = analyseStep(ev, ev.program.slot(id), nameOf, picked);
  if (!analysed) throw new Error(`no backward step for ${id}`);
  const { texts } = analysed;
  const step = playbackSteps(ev).find((s) => s.kind === 'backward' && s.node === id);
  if (!step) throw new Error(`no step for ${id}`);
  return { texts, sentence: dimensionSentence(step, texts, nameOf(id)), step };
}

// W (2×3), X (3×2) and the upstream gradient dD (2×2), chosen by hand:
//   dW = dD·Xᵀ = [[4, −2, 9], [−1.5, −0.5, 1]]
//   dX = Wᵀ·dD = [[1, 2], [−4, −0.5], [1, 4.5]]
const PRODUCT = 'W = [[1, -1, 2], [0, 3, 1]]\nX = [[2, 1], [0, -1], [1, 4]]\nD = W @ X';
const DD = [
  [1, 2],
  [-1, 0.5],
];
const DW = [
  [4, -2, 9],
  [-1.5, -0.5, 1],
];
const DX = [
  [1, 2],
  [-4, -0.5],
  [1, 4.5],
];

describe('a matrix product', () => {
  const { ev, nameOf } = evaluate(PRODUCT, DD);

  it('writes dW = dD · Xᵀ and dX = Wᵀ · dD with the shapes lined up', () => {
    const { texts, sentence } = panel(ev, nameOf, 'D');
    const [w, x] = texts;
    expect(w.shapes).toBe('[2×3] = [2×2] · [2×3]');
    expect(x.shapes).toBe('[3×2] = [3×2] · [2×2]');
    expect(w.explanation).toBe(
      'The gradient of W is dD times X transposed: a 2 by 2 times a 2 by 3 gives 2 by 3, the shape of W.',
    );
    expect(x.explanation).toBe(
      'The gradient of X is W transposed times dD: a 3 by 2 times a 2 by 2 gives 3 by 2, the shape of X.',
    );
    expect(w.formula).toBe('\\text{dW} = \\text{dD} \\cdot \\text{X}{}^{\\top}');
    expect(sentence).toMatch(/^Backward through D \(/);
    expect(sentence).toContain('dD times X transposed: a 2 by 2 times a 2 by 3 gives 2 by 3');
    for (const t of texts) for (const tex of [t.formula, t.rule, t.worked]) typeset(tex);
  });

  it('works out every entry of dW and dX to the hand-worked numbers', () => {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const [w] = panel(ev, nameOf, 'D', { a: [i, j] }).texts;
        expect(w.port.entry.index).toEqual([i, j]);
        expect(w.port.entry.value).toBeCloseTo(DW[i][j], 12);
        expect(w.port.entry.sum).toBeCloseTo(DW[i][j], 12);
      }
    }
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const [, x] = panel(ev, nameOf, 'D', { b: [i, j] }).texts;
        expect(x.port.entry.value).toBeCloseTo(DX[i][j], 12);
      }
    }
  });

  it('writes the picked entry term by term: dW[1][0] = (−1)·2 + 0.5·1 = −1.5', () => {
    const [w, x] = panel(ev, nameOf, 'D', { a: [1, 0], b: [1, 1] }).texts;
    expect(w.rule).toBe('\\text{dW[i][j] = } \\sum_{k} \\text{ dD[i][k]}\\cdot \\text{X[j][k]}');
    expect(w.worked).toBe(
      '\\text{dW[1][0]} = \\left(-1\\right) \\cdot 2 + 0.5 \\cdot 1 = -1.5\\quad\\text{(2 terms)}',
    );
    expect(w.speech).toContain(
      'Its entry at row 1, column 0 adds 2 products, −1 times 2, 0.5 times 1, which gives −1.5.',
    );
    // dX[1][1] = W[0][1]·dD[0][1] + W[1][1]·dD[1][1] = (−1)·2 + 3·0.5.
    expect(x.worked).toBe(
      '\\text{dX[1][1]} = \\left(-1\\right) \\cdot 2 + 3 \\cdot 0.5 = -0.5\\quad\\text{(2 terms)}',
    );
  });

  it('falls back to the first entry for an entry outside the gradient', () => {
    const [w] = panel(ev, nameOf, 'D', { a: [5, 0] }).texts;
    expect(w.port.entry.index).toEqual([0, 0]);
    expect(w.worked).toContain('\\text{dW[0][0]} = 1 \\cdot 2 + 2 \\cdot 1 = 4');
  });

  it('shows the forward shapes: [2×2] = [2×3] · [3×2]', () => {
    const forward = playbackSteps(ev).find((s) => s.kind === 'forward' && s.node === 'D');
    expect(forward && forwardShapes(forward)).toEqual({
      text: '[2×2] = [2×3] · [3×2]',
      words:
        'A 2 by 3 times a 3 by 2 gives 2 by 2: the inner sizes, 3 and 3, match and are summed over.',
    });
  });

  it('says what the chosen upstream gradient is at the seed', () => {
    const seed = playbackSteps(ev).find((s) => s.kind === 'seed');
    if (!seed) throw new Error('no seed step');
    expect(stepSentence(seed, nameOf, 'D')).toBe(
      'The backward pass starts at the output D with its upstream gradient dD, the 2 by 2 matrix chosen as the upstream gradient.',
    );
    expect(stepLabel(seed, nameOf, 'D')).toBe('seed: dD = 2×2 upstream gradient');
    for (const tex of stepTex(seed, nameOf, 'D')) typeset(tex);
    const ones = playbackSteps(evaluate(PRODUCT).ev).find((s) => s.kind === 'seed');
    expect(ones && seedWords(ones, 'D')).toContain('a 2 by 2 matrix of ones');
    // The choice named, where the document gives it.
    expect(stepSentence(seed, nameOf, 'D', 'typed values')).toBe(
      'The backward pass starts at the output D with its upstream gradient dD, the 2 by 2 matrix chosen as the upstream gradient: typed values.',
    );
    expect(stepLabel(seed, nameOf, 'D', 'typed values')).toBe('seed: dD = 2×2 typed values');
    for (const tex of stepTex(seed, nameOf, 'D', 'random d_D (seed 7)')) {
      expect(tex).toContain('\\text{random d\\_D (seed 7)}');
      typeset(tex);
    }
    // A run that fell back to ones says ones, whatever was chosen.
    expect(ones && seedWords(ones, 'D', 'random dD (seed 7)')).toContain('matrix of ones');
  });
});

describe('a long worked entry', () => {
  it('writes the first terms, then …, the number of terms and the total', () => {
    const { ev, nameOf } = evaluate('W = randn(2, 12)\nX = randn(12, 3)\nD = W @ X');
    const [, x] = panel(ev, nameOf, 'D').texts;
    // dX[0][0] sums over the 2 rows of D: short. dW[0][0] sums over the 3 columns: short too.
    expect(x.worked).toContain('(2 terms)');
    const wide = evaluate('W = randn(9, 2)\nX = randn(2, 3)\nD = W @ X');
    const [, dx] = panel(wide.ev, wide.nameOf, 'D').texts;
    // dX[0][0] = Σ over the 9 rows of W: 3 terms shown, then ⋯.
    expect(dx.worked).toContain('\\cdots');
    expect(dx.worked).toContain('(9 terms)');
    expect(dx.worked.split(' + ')).toHaveLength(4);
    let sum = 0;
    const Wv = wide.ev.value('W');
    const dD = wide.ev.grad('D');
    if (typeof Wv === 'number' || typeof dD === 'number') throw new Error('tensors expected');
    for (let k = 0; k < 9; k++) sum += Wv.data[k * 2] * dD.data[k * 3];
    expect(dx.port.entry.value).toBeCloseTo(sum, 12);
    expect(dx.speech).toContain('adds 9 products');
    expect(dx.speech).toContain('and 6 more');
    typeset(dx.worked);
  });
});

describe('a bias add that broadcasts', () => {
  // D = W·X + b with b a column [2×1]: db = Σ over columns of dD = [1 + 2, −1 + 0.5] = [3, −0.5].
  const { ev, nameOf } = evaluate(`${PRODUCT}\nb = [[1], [2]]\nZ = D + b`, DD);

  it('sums the upstream gradient over the broadcast axis', () => {
    const { texts } = panel(ev, nameOf, 'Z', { b: [1, 0] });
    const db = texts.find((t) => t.port.port === 'b');
    expect(db?.port.kind).toBe('broadcast');
    expect(db?.explanation).toBe(
      'db = Σ over columns of dZ, [2×1]: b was repeated along the columns (broadcast), so its gradient sums what comes back along them.',
    );
    expect(db?.shapes).toBe('[2×1] = Σⱼ [2×2]');
    expect(db?.port.entry.value).toBeCloseTo(-0.5, 12);
    expect(db?.worked).toBe(
      '\\text{db[1][0]} = \\left(-1\\right) \\cdot 1 + 0.5 \\cdot 1 = -0.5\\quad\\text{(2 terms)}',
    );
    const dd = texts.find((t) => t.port.port === 'a');
    expect(dd?.port.kind).toBe('elementwise');
    expect(dd?.port.grad).toBe('dD');
    // An unnamed product is named in parentheses: its gradient is d(@ gate).
    const inline = evaluate('W = [[1, 2]]\nX = [[3], [4]]\nb = 1\nZ = W @ X + b');
    const [product] = panel(inline.ev, inline.nameOf, 'Z').texts;
    expect(product.port.grad).toBe('d(@ gate)');
    expect(product.formula).toBe(
      '\\text{d(@ gate)} = \\text{dZ} \\odot \\partial \\text{Z/}\\partial \\text{(@ gate)}',
    );
    expect(dd?.explanation).toMatch(/^An elementwise gate multiplies entry by entry/);
    for (const t of texts) for (const tex of [t.formula, t.rule, t.worked]) typeset(tex);
  });
});

describe('a sum along an axis and a max', () => {
  it('sum(X, 0) hands each column its upstream gradient', () => {
    // s = Σ over the rows of X, [1×2]; ds = [2, −3], so every row of dX is [2, −3].
    const { ev, nameOf } = evaluate('X = [[1, 2], [3, 4], [5, 6]]\ns = sum(X, 0)', [[2, -3]]);
    const [x] = panel(ev, nameOf, 's', { x: [2, 1] }).texts;
    expect(x.port.kind).toBe('sum along an axis');
    expect(x.shapes).toBe('[3×2] = [3×1] · [1×2]');
    expect(x.explanation).toBe(
      "Every entry of a column receives that column's upstream gradient: a 3 by 1 column of ones times the 1 by 2 row ds gives 3 by 2.",
    );
    expect(x.port.entry.value).toBe(-3);
    expect(x.worked).toBe('\\text{dX[2][1]} = \\text{ds[0][1]} = -3');
    typeset(x.rule);
  });

  it('mean(X, 1) hands each row its upstream gradient divided by the row length', () => {
    // m = the row means of X [2×1]; dm = [3, 6], so dX = [[1, 1, 1], [2, 2, 2]].
    const { ev, nameOf } = evaluate('X = [[1, 2, 3], [4, 5, 6]]\nm = mean(X, 1)', [[3], [6]]);
    const [x] = panel(ev, nameOf, 'm', { x: [1, 2] }).texts;
    expect(x.shapes).toBe('[2×3] = [2×1] · [1×3]');
    expect(x.explanation).toBe(
      "Every entry of a row receives that row's upstream gradient, divided by 3: the 2 by 1 column dm times a 1 by 3 row of ones gives 2 by 3.",
    );
    expect(x.worked).toBe(
      '\\text{dX[1][2]} = \\text{dm[1][0]} \\cdot \\tfrac{1}{3} = 6 \\cdot \\tfrac{1}{3} = 2',
    );
    typeset(x.formula);
  });

  it('transpose(X) sends the gradient back transposed', () => {
    // dT = [[1, 2], [3, 4], [5, 6]] (3×2), so dX = dTᵀ = [[1, 3, 5], [2, 4, 6]] and dX[0][2] = 5.
    const { ev, nameOf } = evaluate('X = [[1, 2, 3], [4, 5, 6]]\nT = transpose(X)', [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const [x] = panel(ev, nameOf, 'T', { x: [0, 2] }).texts;
    expect(x.shapes).toBe('[2×3] = [3×2]ᵀ');
    expect(x.explanation).toBe(
      'A transpose sends its gradient back transposed: dT is 3 by 2, so dX is 2 by 3.',
    );
    expect(x.worked).toBe('\\text{dX[0][2]} = \\text{dT[2][0]} = 5');
    expect(x.speech).toContain('Its entry at row 0, column 2 is dT[2][0], which gives 5.');
    typeset(x.worked);
    typeset(x.formula);
  });

  it('max(X) routes the upstream gradient to the arg-max entry, and splits it between ties', () => {
    // f = 3·max(X): dm = 3 reaches X[0][1] = 7 only.
    const one = evaluate('X = [[1, 7], [3, 2]]\nm = max(X)\nf = m * 3');
    const [x] = panel(one.ev, one.nameOf, 'm', { x: [0, 1] }).texts;
    expect(x.port.kind).toBe('extremum');
    expect(x.explanation).toBe(
      'A max routes: dm goes to the arg-max entry of X ([0][1]); every other entry gets 0.',
    );
    expect(x.port.entry.value).toBe(3);
    // With no entry picked, the winner is worked out rather than the first entry.
    expect(panel(one.ev, one.nameOf, 'm').texts[0].port.entry.index).toEqual([0, 1]);
    const other = panel(one.ev, one.nameOf, 'm', { x: [1, 0] }).texts[0];
    expect(other.port.entry.value).toBe(0);
    const tie = evaluate('X = [[7, 1], [3, 7]]\nm = max(X)\nf = m * 3');
    const [t] = panel(tie.ev, tie.nameOf, 'm', { x: [1, 1] }).texts;
    expect(t.explanation).toContain('entries of X ([0][0], [1][1]), split evenly between 2 ties');
    expect(t.port.entry.value).toBe(1.5);
    expect(t.worked).toBe(
      '\\text{dX[1][1]} = \\text{dm} \\cdot \\text{[X[1][1] = max]} \\cdot \\tfrac{1}{2} = 3 \\cdot 1 \\cdot \\tfrac{1}{2} = 1.5',
    );
    typeset(t.worked);
  });

  it('sum(X) distributes ones, and scalar steps keep the scalar chain rule', () => {
    const { ev, nameOf } = evaluate('X = [[1, 2], [3, 4]]\nf = sum(X) * 2');
    const { texts, step } = panel(ev, nameOf, sumId(ev));
    expect(isTensorStep(step)).toBe(true);
    expect(texts[0].explanation).toMatch(/^A sum distributes ones: every entry of X receives d/);
    expect(texts[0].port.entry.value).toBe(2);
    const scalar = playbackSteps(evaluate('x = 2\nf = x * 3').ev).filter(
      (s) => s.kind === 'backward',
    );
    expect(scalar.length).toBeGreaterThan(0);
    for (const s of scalar) expect(isTensorStep(s)).toBe(false);
  });
});

function sumId(ev: Evaluation): string {
  const p = ev.program;
  const slot = p.ops.findIndex((op) => op.name === 'sum');
  return p.ids[slot];
}

describe('names from users', () => {
  it('are shown as text in every formula', () => {
    const { ev } = evaluate(PRODUCT, DD);
    const hostile = (id: string) => (id === 'W' ? '\\href{javascript:alert(1)}{W}' : `${id}$^_`);
    const { texts } = panel(ev, hostile, 'D');
    for (const t of texts) {
      for (const tex of [t.formula, t.rule, t.worked]) {
        const html = typeset(tex);
        // No link: the name is text, backslash and braces included.
        expect(html).not.toContain('<a ');
        expect(html).not.toContain('href="');
      }
    }
    expect(typeset(texts[0].formula)).toContain('href{javascript:alert(1)}{W}</span>');
    expect(texts[0].explanation).toContain('The gradient of \\href{javascript:alert(1)}{W} is');
  });
});

describe('an entry under the cursor', () => {
  it('reads data-entry as row and column, a vector as a row or a column', () => {
    expect(entryAt('2,4', [5, 10])).toEqual([2, 4]);
    expect(entryAt('3', [1, 10])).toEqual([0, 3]);
    expect(entryAt('3', [10, 1])).toEqual([3, 0]);
    for (const bad of ['', '-1,2', '1,x', '1.5', '__proto__']) {
      expect(entryAt(bad, [5, 10])).toBeUndefined();
    }
  });
});
