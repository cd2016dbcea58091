import { describe, expect, it } from 'vitest';
import { FIT_MIN_ZOOM, fitFocus, fitViewport } from '../../src/ui/canvas/fit';
import { accessibleName, gradLevel, gradSign } from '../../src/ui/canvas/useNodeNumbers';

const SCREEN = { width: 1000, height: 600 };
const PADDING = { top: '50px', bottom: '50px', left: '40px', right: '160px' };

/** Where a canvas point lands on screen under a viewport. */
const onScreen = (v: { x: number; y: number; zoom: number }, p: { x: number; y: number }) => ({
  x: p.x * v.zoom + v.x,
  y: p.y * v.zoom + v.y,
});

describe('fit to view with a floor', () => {
  it('fits a small circuit whole, centred in the padded room', () => {
    const bounds = { x: 100, y: 200, width: 400, height: 250 };
    const v = fitViewport({ bounds, ...SCREEN, padding: PADDING, maxZoom: 1.6 });
    // Room: 800 × 500; 800 / 400 = 2 and 500 / 250 = 2, capped at 1.6.
    expect(v.zoom).toBeCloseTo(1.6, 12);
    const topLeft = onScreen(v, { x: 100, y: 200 });
    const bottomRight = onScreen(v, { x: 500, y: 450 });
    expect(topLeft.x - 40).toBeCloseTo(1000 - 160 - bottomRight.x, 9);
    expect(topLeft.y - 50).toBeCloseTo(600 - 50 - bottomRight.y, 9);
  });

  it('never goes below the floor; a wide circuit shows its output end', () => {
    const bounds = { x: 0, y: 0, width: 40_000, height: 300 };
    const output = { x: 39_932, y: 120, width: 68, height: 52 };
    const v = fitViewport({ bounds, ...SCREEN, padding: PADDING, focus: output });
    expect(v.zoom).toBe(FIT_MIN_ZOOM);
    // The right end sits at the right padding, the output inside the screen.
    expect(onScreen(v, { x: 40_000, y: 0 }).x).toBeCloseTo(1000 - 160, 9);
    const o = onScreen(v, output);
    expect(o.x).toBeGreaterThan(0);
    expect(o.x + output.width * v.zoom).toBeLessThanOrEqual(1000);
    // 300 tall fits at the floor: centred vertically.
    const top = onScreen(v, { x: 0, y: 0 }).y;
    expect(top - 50).toBeCloseTo(600 - 50 - (top + 300 * v.zoom), 9);
  });

  it('from the start: the left end at the left padding', () => {
    const bounds = { x: -500, y: 0, width: 40_000, height: 300 };
    const v = fitViewport({ bounds, ...SCREEN, padding: PADDING, from: 'start' });
    expect(v.zoom).toBe(FIT_MIN_ZOOM);
    expect(onScreen(v, { x: -500, y: 0 }).x).toBeCloseTo(40, 9);
  });

  it('a tall circuit is centred on the focus, without showing room past its ends', () => {
    const bounds = { x: 0, y: 0, width: 3000, height: 20_000 };
    const focus = { x: 2900, y: 10_000, width: 68, height: 52 };
    const v = fitViewport({ bounds, ...SCREEN, padding: PADDING, focus });
    expect(v.zoom).toBe(FIT_MIN_ZOOM);
    const f = onScreen(v, { x: focus.x, y: focus.y + 26 });
    expect(f.y).toBeCloseTo(300, 9);
    // Near an end, the end stays at the padding instead.
    const low = fitViewport({ bounds, ...SCREEN, padding: PADDING, focus: { ...focus, y: 10 } });
    expect(onScreen(low, { x: 0, y: 0 }).y).toBeCloseTo(50, 9);
  });

  it('keeps the output in view outside playback and the current gate during it', () => {
    const doc = { output: 'f' } as never;
    expect(fitFocus({ cursor: null, timeline: null, doc })).toEqual({
      focus: 'f',
      fromStart: false,
    });
    const timeline = {
      steps: [
        { kind: 'forward', node: 'q' },
        { kind: 'seed', node: 'f' },
        { kind: 'backward', node: 'f' },
      ],
    } as never;
    expect(fitFocus({ cursor: 0, timeline, doc })).toEqual({ focus: 'q', fromStart: true });
    expect(fitFocus({ cursor: 3, timeline, doc })).toEqual({ focus: 'f', fromStart: false });
  });
});

describe('far-out colours and accessible names', () => {
  it('sorts gradients by sign and by powers of ten', () => {
    expect([0, 0.0005, 0.001, 0.05, 0.5, 1, 250, -250].map(gradLevel)).toEqual([
      0, 0, 1, 2, 3, 4, 4, 4,
    ]);
    expect(gradLevel(Number.NaN)).toBe(0);
    expect(gradLevel(Number.NEGATIVE_INFINITY)).toBe(4);
    expect([2, -0.1, 0, undefined].map(gradSign)).toEqual(['pos', 'neg', 'zero', undefined]);
  });

  it('names the value and the gradient, and a partial sum as "so far"', () => {
    expect(accessibleName('multiply gate f', { value: -12, grad: 1, partial: false })).toBe(
      'multiply gate f, value −12, gradient 1',
    );
    expect(accessibleName('input x', { value: 3, grad: 2, partial: true })).toBe(
      'input x, value 3, gradient so far 2',
    );
    expect(
      accessibleName('add gate q', { value: undefined, grad: undefined, partial: false }),
    ).toBe('add gate q, no value yet');
  });
});

describe('short names for unnamed gates', () => {
  it('names them by op and number, never by their sub-expression', async () => {
    const { parse } = await import('../../src/engine');
    const { docFromCircuit } = await import('../../src/store/document');
    const { makeNameOf } = await import('../../src/ui/playback/names');
    const { circuit } = parse('x = 2\nf = exp(x * 0.333333 + x * 0.333333) + 1');
    const doc = docFromCircuit(circuit);
    const nameOf = makeNameOf(doc);
    const names = doc.nodes.filter((n) => n.label === undefined).map((n) => nameOf(n.id));
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const name of names) {
      expect(name.length, name).toBeLessThanOrEqual(12);
      expect(name).toMatch(/ gate( #\d+)?$/);
      expect(name).not.toContain('0.3333');
    }
    // The two ×0.333333 gates read the same: each gets its number.
    const times = names.filter((n) => n.startsWith('× gate'));
    expect(times).toHaveLength(2);
    expect(new Set(times).size).toBe(2);
  });
});
