import { describe, expect, it } from 'vitest';
import { parse } from '../../src/engine/parse';
import { docFromCircuit } from '../../src/store/document';
import { layoutCircuit, nodeSize } from '../../src/store/layout';

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
});
