/**
 * Matrices on the canvas: how an entry is rounded for a cell, how large a grid or heat map is
 * drawn (the layout and the canvas share these sizes), the heat map's colour steps, and the
 * exported picture drawing every entry of a tensor with its exact number.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/engine/parse';
import type { Tensor } from '../../src/engine/types';
import {
  labelWidth,
  MATRIX,
  matrixGrid,
  matrixInputSize,
  matrixPair,
  nodeSize,
  previewSize,
  readoutSize,
} from '../../src/store/layout';
import { createAppStore } from '../../src/store/store';
import { fitCircuit } from '../../src/ui/canvas/fit';
import { heatClass, heatGlyph } from '../../src/ui/canvas/MatrixView';
import { circuitSvg, LIGHT_PALETTE } from '../../src/ui/exportSvg';
import { exactNumber, formatCell } from '../../src/ui/format';

const M = '\u2212';

describe('formatCell', () => {
  it('rounds an entry to five characters at most, sign included, with a real minus', () => {
    const cases: [number, boolean, string][] = [
      [0, false, '0'],
      [0.43, false, '0.43'],
      [0.43, true, '+0.43'],
      [-1.96, false, `${M}1.96`],
      [2.9712, false, '2.97'],
      [-0.013, false, `${M}0.01`],
      [123.456, false, '123'],
      [1.2e-5, true, '+1e−5'],
      [-0.0004, false, `${M}4e${M}4`],
      [Number.NaN, false, 'NaN'],
      [Number.POSITIVE_INFINITY, false, '∞'],
    ];
    for (const [x, signed, text] of cases) {
      expect(formatCell(x, signed), String(x)).toBe(text);
      expect([...formatCell(x, signed)].length).toBeLessThanOrEqual(5);
    }
  });

  it('keeps every digit for the exact number', () => {
    expect(exactNumber(-0.512345678901)).toBe(`${M}0.512345678901`);
    expect(exactNumber(0.25, true)).toBe('+0.25');
  });
});

describe('matrix geometry', () => {
  it('draws up to 6×6 as numbers and beyond as a heat map, a 1-D vector as a row', () => {
    const small = matrixGrid([5, 3]);
    expect(small.kind).toBe('numbers');
    expect(small.width).toBe(MATRIX.gutter + 2 * MATRIX.bracket + 3 * MATRIX.cellWidth);
    expect(small.height).toBe(5 * MATRIX.cellHeight);
    expect(matrixGrid([6, 6]).kind).toBe('numbers');
    const wide = matrixGrid([5, 10]);
    expect(wide.kind).toBe('heat');
    expect([wide.shownRows, wide.shownCols]).toEqual([5, 10]);
    expect(wide.height).toBe(5 * MATRIX.heatCell + MATRIX.keyHeight);
    const row = matrixGrid([4]);
    expect([row.rows, row.cols]).toEqual([1, 4]);
    const column = matrixGrid([4, 1]);
    expect([column.rows, column.cols]).toEqual([4, 1]);
  });

  it('draws a large tensor in blocks, at most 24 squares a side', () => {
    const big = matrixGrid([256, 64]);
    expect(big.shownRows).toBeLessThanOrEqual(MATRIX.heatMax);
    expect(big.shownCols).toBeLessThanOrEqual(MATRIX.heatMax);
    expect(big.shownRows * big.blockRows).toBeGreaterThanOrEqual(256);
    expect(big.shownCols * big.blockCols).toBeGreaterThanOrEqual(64);
  });

  it('puts value and gradient side by side when narrow, else one above the other', () => {
    const column = matrixPair([3, 1]);
    expect(column.arrangement).toBe('side');
    expect(column.width).toBe(2 * column.grid.width + MATRIX.gap);
    const wide = matrixPair([5, 3]);
    expect(wide.arrangement).toBe('stacked');
    expect(wide.height).toBe(2 * wide.grid.height + MATRIX.gap);
  });

  it('sizes an input to hold both grids, and a scalar input as before', () => {
    for (const shape of [[2, 3], [3, 2], [5, 10], [10, 3], [1, 6], [7]]) {
      const size = nodeSize('input', { shape });
      const pair = matrixPair(shape);
      expect(size).toEqual(matrixInputSize(shape));
      expect(size.width).toBeGreaterThanOrEqual(pair.width + 20);
      expect(size.height).toBeGreaterThanOrEqual(pair.height + 46);
    }
    expect(nodeSize('input')).toEqual({ width: 176, height: 68 });
    const readout = readoutSize('D', [5, 3]);
    expect(readout.height).toBe(matrixPair([5, 3]).height + 30);
  });

  it('previews small tensors on their wires and keeps room for the preview', () => {
    expect(previewSize([5, 10])).toEqual({ rows: 5, cols: 10, cell: 4.4, width: 44, height: 22 });
    expect(previewSize([2, 3])?.cell).toBe(6);
    expect(previewSize([100, 3])).toBeNull();
    // A 1×8 row: its preview (8 cells of 6 px) is wider than its shape "1×8" (3 characters of
    // 14.4 px), and widens the label's room to it (plus 12 px of padding).
    const W: Tensor = { shape: [1, 8], data: new Float64Array(8) };
    const numbers = { values: new Map([['W', W]]), wireGrads: new Map<string, Tensor>() };
    expect(previewSize([1, 8])?.width).toBe(48);
    expect(labelWidth(numbers, { from: 'W', to: 'g', port: 'a' })).toBe(60);
  });
});

describe('heat map colours', () => {
  it('colours by sign (blue +, orange −) in five steps of size against the largest', () => {
    expect(heatClass(2, 2)).toBe('heat-pos-5');
    expect(heatClass(-2, 2)).toBe('heat-neg-5');
    expect(heatClass(0.3, 2)).toBe('heat-pos-1');
    expect(heatClass(-1, 2)).toBe('heat-neg-3');
    expect(heatClass(0, 2)).toBe('heat-zero');
    expect(heatClass(Number.NaN, 2)).toBe('heat-nan');
    expect([heatGlyph(1), heatGlyph(-1), heatGlyph(0)]).toEqual(['+', M, '0']);
  });
});

describe('exported picture of a matrix circuit', () => {
  const program = 'W = [[1, -2.5, 0], [0.25, 3, -1]]\nX = randn(3, 8)\nD = W @ X';

  it('writes every entry of a small matrix, and a titled square for every entry of a larger one', () => {
    const store = createAppStore();
    expect(store.getState().tryLoadCircuit(parse(program).circuit, { expression: program })).toBe(
      undefined,
    );
    const { svg } = circuitSvg(store.getState(), { palette: LIGHT_PALETTE });
    expect(svg).not.toContain('foreignObject');
    // W is 2×3: its six values as numbers, each with its exact number as title.
    for (const [title, shown] of [
      ['W[0][1] = −2.5', `${M}2.5`],
      ['W[1][0] = 0.25', '0.25'],
      ['W[1][2] = −1', `${M}1`],
    ]) {
      expect(svg).toContain(`<title>${title}</title>${shown}</text>`);
    }
    // X is 3×8: a heat map, one square per entry, titled with its exact value.
    const x = store.getState().view.values.get('X');
    if (typeof x !== 'object' || x === undefined) throw new Error('X is not a matrix');
    for (let i = 0; i < 24; i++) {
      const r = Math.floor(i / 8);
      const c = i % 8;
      expect(svg).toContain(`<title>X[${r}][${c}] = ${exactNumber(x.data[i])}</title>`);
    }
    // The gradient of W, signed, as its own grid; the wire's shapes and previews.
    const dW = store.getState().view.grads.get('W');
    if (typeof dW !== 'object' || dW === undefined) throw new Error('dW is not a matrix');
    expect(svg).toContain(`<title>dW[0][0] = ${exactNumber(dW.data[0], true)}</title>`);
    expect(svg).toContain('class="wire-preview wire-preview--value"');
    expect(svg).toContain('∂ 2×3');
  });

  it('draws the wires into entry gates without their tensor, as the canvas does', () => {
    const entries = 'W = [[1, -2.5, 0], [0.25, 3, -1]]\nf = W[0, 1] * W[1, 2]';
    const store = createAppStore();
    expect(store.getState().tryLoadCircuit(parse(entries).circuit, { expression: entries })).toBe(
      undefined,
    );
    const { svg } = circuitSvg(store.getState(), { palette: LIGHT_PALETTE });
    const wires = svg.slice(svg.indexOf('<g id="wires">'), svg.indexOf('<g id="nodes">'));
    expect(wires.length).toBeGreaterThan(100);
    // The two wires out of W go into entry gates: no `2×3` and no preview on them (W's own
    // node still names its shape).
    expect(wires).not.toContain('2×3');
    expect(wires).not.toContain('wire-preview');
    expect(svg).toContain('>2×3<');
    // The wires out of the entry gates carry their numbers, −2.5 and −1, and below them the
    // gradients f sends back (the other factor: −1 and −2.5).
    expect(wires.match(new RegExp(`>${M}2\\.5<`, 'g'))?.length).toBe(2);
    expect(wires.match(new RegExp(`>${M}1<`, 'g'))?.length).toBe(2);
  });
});

describe('fit takes in a tensor readout', () => {
  it('grows the fitted box to the readout’s height as well as its reach', async () => {
    // One node (the output, 68×52 at 0,0) with a readout 300 tall centred on it, 200 wide.
    const output = { x: 0, y: 0, width: 68, height: 52 };
    let viewport = { x: 0, y: 0, zoom: 0 };
    const flow = {
      getNodes: () => [{ id: 'D' }],
      getNodesBounds: () => output,
      getInternalNode: () => ({
        internals: { positionAbsolute: { x: output.x, y: output.y } },
        measured: { width: output.width, height: output.height },
      }),
      setViewport: (v: typeof viewport) => {
        viewport = v;
        return Promise.resolve(true);
      },
    };
    await fitCircuit(flow, {
      width: 1000,
      height: 400,
      output: 'D',
      readout: 214,
      readoutHeight: 300,
      maxZoom: 3,
    });
    // The box is 282 wide and 300 tall (from y = −124 to 176): the height decides, 400 / 300.
    expect(viewport.zoom).toBeCloseTo(400 / 300, 9);
    const top = -124 * viewport.zoom + viewport.y;
    const bottom = 176 * viewport.zoom + viewport.y;
    expect(top).toBeCloseTo(0, 6);
    expect(bottom).toBeCloseTo(400, 6);
  });
});
