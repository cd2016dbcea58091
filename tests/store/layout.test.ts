import { describe, expect, it } from 'vitest';
import { getOp } from '../../src/engine';
import { parse } from '../../src/engine/parse';
import { EXAMPLE_SOURCES } from '../../src/examples/sources';
import { docFromCircuit } from '../../src/store/document';
import { layoutCircuit, nodeSize, WIRE_LABEL_BOX } from '../../src/store/layout';
import { labelBox, placeLabels, wirePoint } from '../../src/ui/canvas/labels';

function laidOut(program: string) {
  const doc = docFromCircuit(parse(program).circuit);
  return { doc, positions: layoutCircuit(doc.nodes, doc.wires, doc.values) };
}

function checkLeftToRight(program: string) {
  const { doc, positions } = laidOut(program);
  expect([...positions.keys()].sort()).toEqual(doc.nodes.map((n) => n.id).sort());
  const at = (id: string) => positions.get(id) ?? { x: Number.NaN, y: Number.NaN };
  // Every wire runs left to right: the source ends before the target starts.
  for (const w of doc.wires) {
    const from = doc.nodes.find((n) => n.id === w.from);
    expect(at(w.from).x + nodeSize(from?.op ?? '').width).toBeLessThan(at(w.to).x);
  }
  // No two nodes overlap.
  const boxes = doc.nodes.map((n) => ({ ...at(n.id), ...nodeSize(n.op, doc.values.get(n.id)) }));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const apart =
        a.x + a.width <= b.x ||
        b.x + b.width <= a.x ||
        a.y + a.height <= b.y ||
        b.y + b.height <= a.y;
      expect(apart).toBe(true);
    }
  }
}

describe('layout', () => {
  it('lays a small circuit left to right without overlaps (dagre)', () => {
    checkLeftToRight('x = 3; y = 4; sigy = sigmoid(y); f = (x + sigy) / (sigmoid(x) + (x + y)^2)');
  });

  it('lays a large circuit left to right without overlaps (the linear layered layout)', () => {
    const lines = ['a = 1', 'b = 2'];
    for (let i = 0; i < 200; i++)
      lines.push(`g${i} = ${i === 0 ? 'a * b' : `tanh(g${i - 1}) + ${i % 2 ? 'a' : 'b'}`}`);
    checkLeftToRight(lines.join('\n'));
  });

  it('puts input a above input b when they feed ports a and b of one gate', () => {
    const { positions } = laidOut('p = 1; q = 2; f = q - p; g = p * q; h = f + g');
    // h = f + g: f feeds port a, g feeds port b.
    expect(positions.get('f')?.y).toBeLessThan(positions.get('g')?.y ?? Number.NaN);
  });

  // The labels of a wire sit where the canvas draws them (see src/ui/canvas/labels.ts): at
  // the middle of the wire from the output handle on the right of its source to its port on
  // the left of its target (ports spread evenly down the side), unless that spot is taken. The
  // layout reserves the room: no label box covers another, or a node.
  for (const source of EXAMPLE_SOURCES) {
    it(`leaves room for every wire's labels: ${source.id}`, () => {
      const { doc, positions } = laidOut(source.program);
      const box = (id: string) => {
        const n = doc.nodes.find((m) => m.id === id);
        const at = positions.get(id) ?? { x: Number.NaN, y: Number.NaN };
        return { op: n?.op ?? '', ...at, ...nodeSize(n?.op ?? '', doc.values.get(id)) };
      };
      const ends = doc.wires.map((w) => {
        const from = box(w.from);
        const to = box(w.to);
        const ports: readonly string[] = getOp(to.op)?.ports ?? [];
        const i = ports.indexOf(w.port);
        return {
          id: `labels of ${w.from} -> ${w.to}.${w.port}`,
          sx: from.x + from.width,
          sy: from.y + from.height / 2,
          tx: to.x,
          ty: to.y + (to.height * (i + 1)) / (ports.length + 1),
        };
      });
      const nodes = doc.nodes.map((n) => ({ what: `node ${n.id}`, ...box(n.id) }));
      const at = placeLabels(ends, nodes);
      const labels = ends.map((w) => ({
        what: w.id,
        ...labelBox(wirePoint(w, at.get(w.id) ?? 0.5)),
      }));
      const covers = (
        a: { x: number; y: number; width: number; height: number },
        b: { x: number; y: number; width: number; height: number },
      ) =>
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
      const found: string[] = [];
      labels.forEach((a, k) => {
        for (const b of [...labels.slice(k + 1), ...nodes])
          if (covers(a, b)) found.push(`${a.what} cover ${b.what}`);
      });
      expect(found).toEqual([]);
      // Labels sized by the layout, not smaller.
      expect(labels.every((l) => l.width === WIRE_LABEL_BOX.width)).toBe(true);
    });
  }
});
