/**
 * The step panel's sentences for an entry gate (`W[1, 2]`) and for a matrix assembled from
 * scalar gates (`[[a, b]]`), with numbers worked by hand; every TeX string typesets.
 */
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { compile, parse, portName } from '../../src/engine';
import { docFromCircuit } from '../../src/store/document';
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
