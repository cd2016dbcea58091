import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/engine/limits';
import type { Circuit, Position } from '../../src/engine/types';
import { Autosave } from '../../src/store/autosave';
import { nodeSize } from '../../src/store/layout';
import { type AppStore, createAppStore } from '../../src/store/store';
import { node, t, wire } from '../share/circuits';
import { FakeStorage } from './fakeStorage';

/** `x = 1` and f = x + x + … with `terms` terms: x is read by every one of the terms − 1 gates. */
function fanOutProgram(terms: number, extra = ''): string {
  return `x = 1\n${extra}f = ${new Array(terms).fill('x').join(' + ')}`;
}

/** Every node placed, finite, inside the position limit, and no two nodes overlapping. */
function expectSanePositions(store: AppStore): void {
  const { doc } = store.getState();
  const cell = 400;
  const grid = new Map<string, { at: Position; w: number; h: number }[]>();
  for (const n of doc.nodes) {
    const at = doc.positions.get(n.id);
    if (!at) throw new Error(`node ${n.id} has no position`);
    expect(Number.isFinite(at.x) && Number.isFinite(at.y)).toBe(true);
    expect(Math.abs(at.x)).toBeLessThanOrEqual(LIMITS.position);
    expect(Math.abs(at.y)).toBeLessThanOrEqual(LIMITS.position);
    const { width: w, height: h } = nodeSize(n.op, doc.values.get(n.id));
    // Nodes are smaller than a cell: overlapping boxes share a cell or touch neighbouring ones.
    const cx = Math.floor(at.x / cell);
    const cy = Math.floor(at.y / cell);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const b of grid.get(`${cx + dx},${cy + dy}`) ?? []) {
          const apart =
            at.x + w <= b.at.x ||
            b.at.x + b.w <= at.x ||
            at.y + h <= b.at.y ||
            b.at.y + b.h <= at.y;
          if (!apart) throw new Error(`node ${n.id} overlaps another at ${at.x}, ${at.y}`);
        }
      }
    }
    const key = `${cx},${cy}`;
    const list = grid.get(key);
    if (list) list.push({ at, w, h });
    else grid.set(key, [{ at, w, h }]);
  }
}

describe('fan-out at scale', () => {
  it('lays out, computes and plays back x read by 10,000 add gates', () => {
    const store = createAppStore();
    expect(store.getState().applyExpression(fanOutProgram(10_001))).toBe(true);
    const s = store.getState();
    expect(s.doc.nodes).toHaveLength(10_001);
    expect(s.doc.wires).toHaveLength(20_000);
    expect(s.view.values.get('f')).toBe(10_001);
    expect(s.view.grads.get('x')).toBe(10_001);
    expectSanePositions(store);
    // Every wire runs left to right: x sits left of all its readers.
    const backwards = s.doc.wires.filter(
      (w) =>
        (s.doc.positions.get(w.from) as Position).x >= (s.doc.positions.get(w.to) as Position).x,
    );
    expect(backwards).toEqual([]);
    store.getState().toEnd();
    expect(store.getState().view.grads.get('x')).toBe(10_001);
    store.getState().seek(1);
    expect(store.getState().view.grads.get('x')).toBeUndefined();
    store.getState().tidyUp();
    expectSanePositions(store);
  });

  it('refuses 250,000 terms with the limit message, never a stack overflow', () => {
    const text = fanOutProgram(250_000);
    expect(text.length).toBeLessThan(LIMITS.programLength);
    const store = createAppStore();
    expect(store.getState().applyExpression(text)).toBe(false);
    expect(store.getState().expressionError?.message).toMatch(/the limit is 12,000/);
    expect(store.getState().doc.nodes).toHaveLength(0);
  });
});

describe('the limits table, in the editor', () => {
  // x, y and 11,998 add gates: exactly the node limit.
  const full = fanOutProgram(11_999, 'y = 2\n');

  it('a circuit of 12,000 nodes is autosaved and restored; one more node is refused, naming the limit', () => {
    const store = createAppStore();
    expect(store.getState().applyExpression(full)).toBe(true);
    expect(store.getState().doc.nodes).toHaveLength(LIMITS.nodes);

    const storage = new FakeStorage();
    const circuit: Circuit = {
      nodes: store.getState().doc.nodes.map((n) => ({
        ...n,
        position: store.getState().doc.positions.get(n.id),
        ...(store.getState().doc.values.has(n.id)
          ? { value: store.getState().doc.values.get(n.id) }
          : {}),
      })),
      wires: store.getState().doc.wires,
      output: store.getState().doc.output,
    };
    expect(new Autosave(storage, { tabId: 'A' }).save(circuit, full).kind).toBe('saved');
    const loaded = new Autosave(storage, { tabId: 'B' }).load();
    if (loaded.kind !== 'ok') throw new Error(`not restored: ${JSON.stringify(loaded)}`);
    const restored = createAppStore();
    expect(restored.getState().tryLoadCircuit(loaded.saved.circuit)).toBeUndefined();
    expect(restored.getState().doc.nodes).toHaveLength(LIMITS.nodes);
    expect(restored.getState().view.values.get('f')).toBe(11_999);
    expect(restored.getState().doc.positions.get('f')).toEqual(
      store.getState().doc.positions.get('f'),
    );

    expect(store.getState().addNode('input')).toBeNull();
    expect(store.getState().notice?.text).toMatch(/12,001 nodes; the limit is 12,000/);
    expect(store.getState().doc.nodes).toHaveLength(LIMITS.nodes);

    store.getState().select(['y']);
    store.getState().duplicateSelection();
    expect(store.getState().notice?.text).toMatch(
      /Not pasted: .*12,001 nodes; the limit is 12,000/,
    );
    expect(store.getState().doc.nodes).toHaveLength(LIMITS.nodes);
  });

  it('loadCircuit, applyExpression and autosave refuse 12,001 nodes, naming the limit', () => {
    const over = fanOutProgram(11_999, 'y = 2\nz = 3\n');
    const store = createAppStore();
    expect(store.getState().applyExpression(over)).toBe(false);
    expect(store.getState().expressionError?.message).toMatch(/12,001 nodes; the limit is 12,000/);

    const nodes = [node('x', 'input', { value: t([], [1]) })];
    for (let i = 0; i < LIMITS.nodes; i++) nodes.push(node(`n${i}`, 'neg'));
    const circuit: Circuit = { nodes, wires: [], output: null };
    expect(store.getState().loadCircuit(circuit)).toBe(false);
    expect(store.getState().notice?.text).toMatch(/12,001 nodes; the limit is 12,000/);
    expect(store.getState().doc.nodes).toHaveLength(0);

    const outcome = new Autosave(new FakeStorage(), { tabId: 'A' }).save(circuit, null);
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.error).toMatch(
      /12,001 nodes; the limit is 12,000/,
    );
  });

  it('refuses a value, a fan-out, a name or a position past the limits', () => {
    const store = createAppStore();
    expect(store.getState().applyExpression('x = 1; y = 2; f = x * y')).toBe(true);
    const big = {
      shape: [LIMITS.valueEntries + 1] as const,
      data: new Float64Array(LIMITS.valueEntries + 1),
    };
    store.getState().setInputValue('x', big);
    expect(store.getState().notice?.text).toMatch(/100,001 numbers; the limit is 100,000/);
    expect(store.getState().view.values.get('x')).toBe(1);

    expect(store.getState().rename('x', `a${'b'.repeat(LIMITS.idLength)}`)).toMatch(
      /201 characters; the limit is 200/,
    );

    // A node dragged or placed past the position limit stays inside it.
    store.getState().moveNodes(new Map([['x', { x: 1e308, y: -5e6 }]]));
    const at = store.getState().doc.positions.get('x') as Position;
    expect(Math.abs(at.x)).toBeLessThanOrEqual(LIMITS.position);
    expect(Math.abs(at.y)).toBeLessThanOrEqual(LIMITS.position);

    // A wire past the fan-out limit: x feeds both ports of 6,000 add gates, then one more.
    const nodes = [node('x', 'input', { value: t([], [1]) })];
    const wires = [];
    for (let i = 0; i < LIMITS.fanOut / 2; i++) {
      nodes.push(node(`n${i}`, 'add'));
      wires.push(wire('x', `n${i}`, 'a'), wire('x', `n${i}`, 'b'));
    }
    nodes.push(node('last', 'neg'));
    expect(store.getState().loadCircuit({ nodes, wires, output: null })).toBe(true);
    expect(store.getState().connect('x', 'last', 'x')).toBe(false);
    expect(store.getState().notice?.text).toMatch(/12,001 wires going out .*the limit is 12,000/);
  });
});
