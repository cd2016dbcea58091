import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { compile, type PlaybackStep, parse, playbackSteps } from '../../src/engine';
import { docFromCircuit } from '../../src/store/document';
import { stepLabel, stepSentence, stepTex } from '../../src/ui/playback/describe';
import { makeNameOf } from '../../src/ui/playback/names';
import { texText } from '../../src/ui/Tex';

const STAGED = [
  'x = 3',
  'y = 4',
  'sigy = 1.0 / (1 + exp(-y))',
  'num = x + sigy',
  'sigx = 1.0 / (1 + exp(-x))',
  'xpy = x + y',
  'xpysqr = xpy**2',
  'den = sigx + xpysqr',
  'invden = 1.0 / den',
  'f = num * invden',
].join('\n');

const NEURON =
  'w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\ndot = w0 * x0 + w1 * x1 + w2\nf = 1 / (1 + exp(dot * -1))';

function texts(program: string) {
  const { circuit } = parse(program);
  const doc = docFromCircuit(circuit);
  const steps = playbackSteps(compile(circuit).run());
  const nameOf = makeNameOf(doc);
  const describeStep = (step: PlaybackStep) => ({
    step,
    label: stepLabel(step, nameOf, 'f'),
    sentence: stepSentence(step, nameOf, 'f'),
    tex: stepTex(step, nameOf, 'f'),
  });
  return { doc, nameOf, steps: steps.map(describeStep) };
}

/** Typesets TeX with KaTeX's strict mode: any unsupported character or command throws. */
function typeset(tex: string): string {
  return katex.renderToString(tex, { strict: 'error', throwOnError: true });
}

describe('step texts with literals in gates', () => {
  it('never give a literal a gradient: no ∂f/∂(number), in labels, sentences or TeX', () => {
    for (const program of [STAGED, NEURON, 'x = -3\nf = x^2', 'x = 2\nf = max(x * -1, 0) + 1']) {
      const { steps } = texts(program);
      expect(steps.length).toBeGreaterThan(0);
      for (const { label, sentence, tex } of steps) {
        // A literal would be named by its number: ∂f/∂2, "−1 receives …", \partial \text{2}.
        expect(label).not.toMatch(/∂f\/∂\(?[−-]?\d[\d.e−]*\)? \+=/);
        expect(sentence).not.toMatch(/(^|[.;] )[−-]?\d[\d.e−]* receives/);
        for (const line of tex) {
          expect(line).not.toMatch(/\\partial (\\left\()?(-|\\text\{)*[−-]?\d/);
        }
        expect(`${label} ${sentence}`).not.toContain('NaN');
      }
    }
  });

  it('has one backward term per wired input only', () => {
    const { steps } = texts(STAGED);
    const backward = steps.filter((s) => s.step.kind === 'backward');
    // 14 gates; the literal gates (+1, 1/x, x²) have one wired input each.
    expect(backward).toHaveLength(14);
    const xpysqr = backward.find((s) => s.step.node === 'xpysqr');
    expect(xpysqr?.label).toBe('backward: ∂f/∂xpy += −0.02234');
    const sigy = backward.find((s) => s.step.node === 'sigy');
    expect(sigy?.step.kind === 'backward' && sigy.step.terms).toHaveLength(1);
  });

  it('writes the gate with its literal in place, and the folded local gradient', () => {
    const { steps } = texts(STAGED);
    const forward = steps.find((s) => s.step.kind === 'forward' && s.step.node === 'xpysqr');
    expect(forward?.label).toBe('forward: xpysqr = xpy ^ 2 = 49');
    const invden = steps.find((s) => s.step.kind === 'forward' && s.step.node === 'invden');
    expect(invden?.label).toBe('forward: invden = 1 ÷ den = 0.02002');
    const back = steps.find((s) => s.step.kind === 'backward' && s.step.node === 'xpysqr');
    expect(back?.tex[0]).toBe('\\frac{\\partial}{\\partial x}\\left(x^{2}\\right) = 2x');
    expect(back?.sentence).toMatch(/^Backward through xpysqr \(squared\): /);
    expect(back?.sentence).toContain('xpy receives');
  });

  it('calls unnamed gates short: their literal form or symbol, numbered only when two read the same', () => {
    const { doc, nameOf } = texts(STAGED);
    const unnamed = doc.nodes.filter((n) => n.id.includes('#')).map((n) => nameOf(n.id));
    expect(unnamed.sort()).toEqual(
      ['+1 gate #3', '+1 gate #6', 'exp gate #2', 'exp gate #5', '−x gate #1', '−x gate #4'].sort(),
    );
    const single = texts('x = 2\nf = (x * -1) ^ 2');
    const mul = single.doc.nodes.find((n) => n.op === 'mul');
    expect(single.nameOf(mul?.id ?? '')).toBe('×−1 gate');
  });

  it('typesets every step of these circuits without a KaTeX complaint', () => {
    for (const program of [STAGED, NEURON, 'x = 2\nf = max(x * -1, 0) ^ 0.5 - 1']) {
      for (const { tex } of texts(program).steps) for (const line of tex) typeset(line);
    }
  });
});

describe('texText', () => {
  it('writes the symbols of gate labels in math mode, the rest as text', () => {
    for (const label of ['×−1 gate', 'x² gate', 'max(·, 0) gate', '1/x gate #3', 'a_b{c}$%^~\\']) {
      const tex = texText(label);
      expect(tex).not.toMatch(/[×−²·]/);
      expect(() => typeset(tex)).not.toThrow();
    }
    expect(texText('×−1')).toBe('\\times -\\text{1}');
  });
});
