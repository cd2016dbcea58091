/**
 * The step panel's sentences for an entry gate (`W[1, 2]`) and for a matrix assembled from
 * scalar gates (`[[a, b]]`), with numbers worked by hand; every TeX string typesets.
 */
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { compile, parse, playbackSteps, portName } from '../../src/engine';
import { docFromCircuit } from '../../src/store/document';
import { stepLabel, stepTex } from '../../src/ui/playback/describe';
import { analyseStep } from '../../src/ui/playback/dimensionText';
import { makeNameOf } from '../../src/ui/playback/names';

function typeset(tex: string): string {
  return katex.renderToString(tex, { strict: 'error', throwOnError: true });
}

function texts(program: string, id: string, entry?: [number, number]) {
  const { circuit } = parse(program);
  const ev = compile(circuit).run();
  const picked = new Map(entry ? [[portName('x'), entry] as const] : []);
  const analysed = analyseStep(
    ev,
    ev.program.slot(id),
    makeNameOf(docFromCircuit(circuit)),
    picked,
  );
  if (!analysed) throw new Error(`no backward step for ${id}`);
  for (const t of analysed.texts) for (const tex of [t.formula, t.rule, t.worked]) typeset(tex);
  return analysed.texts;
}

describe('an entry gate', () => {
  const program = 'W = [[1, 2, 3], [4, 5, 6]]\na = W[1, 2]\nf = a * 7';

  it('routes the upstream gradient to the entry it took', () => {
    const [t] = texts(program, 'a');
    expect(t.shapes).toBe('[2×3] = [1×1] at [1][2], 0 elsewhere');
    expect(t.explanation).toBe(
      'An entry gate routes: da goes back to entry [1][2] of W, the one it took, and every other entry of W gets 0; dW is 2 by 3, the shape of W.',
    );
    expect(t.worked).toBe('\\text{dW[1][2]} = \\text{da} = 7');
    // The formula keeps a space before its words: dW = da at [1][2].
    expect(t.formula).toBe('\\text{dW} = \\text{da} \\ \\text{at [1][2]}');
  });

  it('works out another entry as 0', () => {
    const [t] = texts(program, 'a', [0, 1]);
    expect(t.port.entry.value).toBe(0);
    expect(t.port.entry.sum).toBe(0);
  });
});

describe('a matrix assembled from entries', () => {
  it('hands each entry its own entry of the upstream gradient', () => {
    const all = texts('a = 2\nb = 3\nD = [[a, b]]\nf = sum(D * [[5, 7]])', 'D');
    expect(all.map((t) => t.shapes)).toEqual([
      '[1×1] = entry [0][0] of [1×2]',
      '[1×1] = entry [0][1] of [1×2]',
    ]);
    expect(all[1].explanation).toBe(
      'A matrix assembled from entries routes: b is entry [0][1] of [1×2], so it gets back that entry of dD, dD[0][1].',
    );
    expect(all[1].port.entry.value).toBe(7);
  });
});

describe('forward steps write the gate as the language does', () => {
  it('W[1, 2] and [[a, b]]', () => {
    const { circuit } = parse(
      'W = [[1, 2, 3], [4, 5, 6]]\na = W[1, 2]\nb = W[0][1]\nD = [[a, b]]\nf = sum(D)',
    );
    const ev = compile(circuit).run();
    const nameOf = makeNameOf(docFromCircuit(circuit));
    const forward = (id: string) => {
      const step = playbackSteps(ev).find((s) => s.kind === 'forward' && s.node === id);
      if (!step) throw new Error(`no forward step for ${id}`);
      return step;
    };
    expect(stepLabel(forward('a'), nameOf, 'f')).toBe('forward: a = W[1, 2] = 6');
    expect(stepLabel(forward('D'), nameOf, 'f')).toBe('forward: D = [[a, b]] = 1×2 [6, 2]');
    for (const id of ['a', 'b', 'D'])
      for (const tex of stepTex(forward(id), nameOf, 'f')) typeset(tex);
    expect(stepTex(forward('D'), nameOf, 'f')[0]).toContain('\\begin{bmatrix}');
  });
});
