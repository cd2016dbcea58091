import { describe, expect, it } from 'vitest';
import { parse } from '../../src/engine/parse';
import { EXAMPLE_SOURCES } from '../../src/examples/sources';
import { type Doc, docFromCircuit, EMPTY_DOC } from '../../src/store/document';
import {
  LABEL_ABOVE,
  LABEL_BELOW,
  labelExtent,
  labelWidth,
  layoutCircuit,
  nodeSize,
  READOUT_GAP,
  readoutSize,
} from '../../src/store/layout';
import { createAppStore } from '../../src/store/store';

function laidOut(program: string) {
  const doc = docFromCircuit(parse(program).circuit);
  return { doc, positions: layoutCircuit(doc.nodes, doc.wires, doc.values) };
}

/** A store holding the program as the app builds it from the expression field. */
function built(program: string) {
  const store = createAppStore();
  expect(store.getState().applyExpression(program)).toBe(true);
  return store;
}

type Box = { x: number; y: number; width: number; height: number };

const covers = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** The box of each node as the canvas draws it. */
function nodeBoxes(doc: Doc): Map<string, Box & { op: string }> {
  const out = new Map<string, Box & { op: string }>();
  for (const n of doc.nodes) {
    const at = doc.positions.get(n.id) ?? { x: Number.NaN, y: Number.NaN };
    out.set(n.id, { op: n.op, ...at, ...nodeSize(n.op, doc.values.get(n.id)) });
  }
  return out;
}

/**
 * Where the canvas draws each wire: from the right middle of its source to its port on the
 * left of its target (the wired ports spread evenly down the side, in port order).
 */
function wireEnds(doc: Doc) {
  const boxes = nodeBoxes(doc);
  return doc.wires.map((w) => {
    const from = boxes.get(w.from) as Box;
    const to = boxes.get(w.to) as Box;
    const wired = doc.wires
      .filter((v) => v.to === w.to)
      .map((v) => v.port)
      .sort();
    const i = wired.indexOf(w.port);
    return {
      wire: w,
      sx: from.x + from.width,
      sy: from.y + from.height / 2,
      tx: to.x,
      ty: to.y + (to.height * (i + 1)) / (wired.length + 1),
    };
  });
}

function centreY(doc: Doc, id: string): number {
  const box = nodeBoxes(doc).get(id) as Box;
  return box.y + box.height / 2;
}

const STAGED_TYPED = [
  'x = 3',
  'y = -4',
  'sigy = 1/(1+exp(-y))',
  'num = x + sigy',
  'sigx = 1/(1+exp(-x))',
  'xpy = x + y',
  'xpysqr = xpy^2',
  'den = sigx + xpysqr',
  'invden = 1/den',
  'f = num*invden',
].join('\n');

describe('layout', () => {
  it('lays a large circuit left to right (the linear layered layout)', () => {
    const lines = ['a = 1', 'b = 2'];
    for (let i = 0; i < 200; i++)
      lines.push(`g${i} = ${i === 0 ? 'a * b' : `tanh(g${i - 1}) + ${i % 2 ? 'a' : 'b'}`}`);
    const { doc, positions } = laidOut(lines.join('\n'));
    const at = (id: string) => positions.get(id) ?? { x: Number.NaN, y: Number.NaN };
    for (const w of doc.wires) {
      const from = doc.nodes.find((n) => n.id === w.from);
      expect(at(w.from).x + nodeSize(from?.op ?? '').width).toBeLessThan(at(w.to).x);
    }
  });

  it('puts the inputs down the left in the order they are declared', () => {
    // Left alone, crossing reduction drew z first: it feeds the last gate.
    const doc = built('x = -2; y = 5; z = -4; q = x + y; f = q * z').getState().doc;
    const ys = ['x', 'y', 'z'].map((id) => centreY(doc, id));
    expect(ys[0]).toBeLessThan(ys[1]);
    expect(ys[1]).toBeLessThan(ys[2]);
    const xs = ['x', 'y', 'z'].map((id) => doc.positions.get(id)?.x);
    expect(new Set(xs).size).toBe(1);
    // The output is the rightmost node.
    const f = doc.positions.get('f')?.x ?? Number.NaN;
    for (const n of doc.nodes) if (n.id !== 'f') expect(doc.positions.get(n.id)?.x).toBeLessThan(f);
  });

  it('keeps declaration order even when another order would cross less', () => {
    const doc = built('c = 1; a = 2; b = 3; f = a * b + c').getState().doc;
    expect(centreY(doc, 'c')).toBeLessThan(centreY(doc, 'a'));
    expect(centreY(doc, 'a')).toBeLessThan(centreY(doc, 'b'));
  });

  it('puts what feeds port a above what feeds port b', () => {
    const doc = built('p = 1; q = 2; f = q - p; g = p * q; h = f + g').getState().doc;
    // h = f + g: f feeds port a, g feeds port b.
    expect(centreY(doc, 'f')).toBeLessThan(centreY(doc, 'g'));
    const staged = built(STAGED_TYPED).getState().doc;
    // f = num * invden; den = sigx + xpysqr.
    expect(centreY(staged, 'num')).toBeLessThan(centreY(staged, 'invden'));
    expect(centreY(staged, 'sigx')).toBeLessThan(centreY(staged, 'xpysqr'));
  });

  it('gives the same picture every time: tidy up twice, or from a fresh store', () => {
    const store = built(STAGED_TYPED);
    const first = new Map(store.getState().doc.positions);
    store.getState().tidyUp();
    expect(new Map(store.getState().doc.positions)).toEqual(first);
    store.getState().moveNodes(new Map([['num', { x: 999, y: -300 }]]));
    store.getState().tidyUp();
    expect(new Map(store.getState().doc.positions)).toEqual(first);
    expect(new Map(built(STAGED_TYPED).getState().doc.positions)).toEqual(first);
  });

  it('adding or deleting a gate by hand moves nothing else; a dropped gate stays put', () => {
    const store = built(STAGED_TYPED);
    const before = new Map(store.getState().doc.positions);
    const added = store.getState().addNode('add', { x: 123, y: 456 });
    expect(added).not.toBeNull();
    const after = store.getState().doc.positions;
    expect(after.get(added as string)).toEqual({ x: 123, y: 456 });
    for (const [id, p] of before) expect(after.get(id)).toEqual(p);
    // One without a place goes to a free spot, and still moves nothing else.
    const spotted = store.getState().addNode('mul') as string;
    for (const [id, p] of before) expect(store.getState().doc.positions.get(id)).toEqual(p);
    const spot = store.getState().doc.positions.get(spotted) as { x: number; y: number };
    for (const box of nodeBoxes(store.getState().doc).values()) {
      if (box.x === spot.x && box.y === spot.y) continue;
      expect(covers({ ...spot, ...nodeSize('mul') }, box)).toBe(false);
    }
    store.getState().deleteNodes(['xpysqr']);
    for (const [id, p] of before) {
      if (id !== 'xpysqr') expect(store.getState().doc.positions.get(id)).toEqual(p);
    }
  });

  it('keeps the first gate dropped on an empty canvas where it was dropped', () => {
    const store = createAppStore(EMPTY_DOC);
    const id = store.getState().addNode('mul', { x: 700, y: 320 }) as string;
    expect(store.getState().doc.positions.get(id)).toEqual({ x: 700, y: 320 });
    // Dropping a gate asks for no fit (which would move the view away from the drop).
    expect(store.getState().fitRequest).toBe(0);
  });

  // The labels of a wire sit where the canvas draws them: at the middle of the curve from its
  // source's output to its port. At the largest size they are drawn (presentation) the value
  // takes LABEL_ABOVE px above that point and the gradient LABEL_BELOW below, as wide as the
  // longer of the two numbers; a tensor's preview reaches further up (over its shape) and down
  // (under its gradient's). The layout keeps that room clear of every other label and node
  // (a tensor output's readout included), and keeps a long wire from running through a node
  // between its ends.
  const programs = [
    ...EXAMPLE_SOURCES.map((e) => [e.id, e.program] as const),
    ['typed staged', STAGED_TYPED] as const,
    [
      'typed neuron',
      'w0 = 2; x0 = -1; w1 = -3; x1 = -2; w2 = -3; f = sigmoid(w0*x0 + w1*x1 + w2)',
    ] as const,
  ];
  for (const [id, program] of programs) {
    it(`leaves room for every wire's labels and keeps wires off other nodes: ${id}`, () => {
      const state = built(program).getState();
      const doc = state.doc;
      const boxes = nodeBoxes(doc);
      const ends = wireEnds(doc);
      const labels = ends.map((e) => {
        const width = labelWidth(state.liveView, e.wire);
        const { above, below } = labelExtent(state.liveView, e.wire);
        expect(above).toBeGreaterThanOrEqual(LABEL_ABOVE);
        expect(below).toBeGreaterThanOrEqual(LABEL_BELOW);
        const mx = (e.sx + e.tx) / 2;
        const my = (e.sy + e.ty) / 2;
        return {
          what: `labels of ${e.wire.from} -> ${e.wire.to}.${e.wire.port}`,
          x: mx - width / 2,
          y: my - above,
          width,
          height: above + below,
        };
      });
      // The output's readout of a tensor, beside it.
      const out = doc.output ? boxes.get(doc.output) : undefined;
      const outValue = doc.output ? state.liveView.values.get(doc.output) : undefined;
      if (out && doc.output && typeof outValue === 'object') {
        const label = doc.nodes.find((n) => n.id === doc.output)?.label ?? 'f';
        const size = readoutSize(label, outValue.shape);
        boxes.set(`${doc.output} (readout)`, {
          op: 'readout',
          x: out.x + out.width + READOUT_GAP,
          y: out.y + out.height / 2 - size.height / 2,
          ...size,
        });
      }
      const found: string[] = [];
      labels.forEach((a, k) => {
        for (const b of labels.slice(k + 1))
          if (covers(a, b)) found.push(`${a.what} cover ${b.what}`);
        for (const [nid, b] of boxes) if (covers(a, b)) found.push(`${a.what} cover node ${nid}`);
      });
      for (const e of ends) {
        // Points along React Flow's curve (control points half the run out).
        for (let t = 0.1; t < 0.95; t += 0.05) {
          const b = 3 * t * t - 2 * t * t * t;
          const x = e.sx + (e.tx - e.sx) * (1.5 * t * (1 - t) + t * t * t);
          const y = e.sy + (e.ty - e.sy) * b;
          for (const [nid, box] of boxes) {
            if (nid === e.wire.from || nid === e.wire.to) continue;
            if (x > box.x && x < box.x + box.width && y > box.y && y < box.y + box.height) {
              found.push(`wire ${e.wire.from} -> ${e.wire.to} runs through node ${nid}`);
              break;
            }
          }
        }
      }
      expect([...new Set(found)]).toEqual([]);
    });
  }
});
