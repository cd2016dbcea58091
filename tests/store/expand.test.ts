/**
 * Expand and Collapse in the store: a small matrix product taken apart into scalar gates in
 * place, with every number the same entry by entry, and put back together, also after saving
 * and opening again; one undo step each; clear refusals.
 */
import { describe, expect, it } from 'vitest';
import { nodeId, parse, scalar, type Tensor, toProgram } from '../../src/engine';
import { LIMITS } from '../../src/engine/limits';
import { GALLERY } from '../../src/examples';
import { parseCircuitFile, serializeCircuit } from '../../src/share/file';
import { docFromCircuit, docToCircuit } from '../../src/store/document';
import { findExpanded } from '../../src/store/expand';
import { LEAD } from '../../src/store/expandPlacement';
import { nodeSize } from '../../src/store/layout';
import { shapesOf } from '../../src/store/slices/expand';
import { createAppStore } from '../../src/store/store';

/** A store holding the program, laid out as typing it would. */
function store(program: string) {
  const s = createAppStore(docFromCircuit(parse(program).circuit, program));
  s.getState().tidyUp();
  s.temporal.getState().clear();
  return s;
}

type Store = ReturnType<typeof store>;

const data = (v: unknown): number[] =>
  typeof v === 'number' ? [v] : Array.from((v as Tensor).data);

/** Values and gradients of these nodes in the store's current run. */
function numbers(s: Store, ids: readonly string[]) {
  const { evaluation } = s.getState();
  return ids.map((id) => ({
    id,
    value: data(evaluation.value(id)),
    grad: data(evaluation.grad(id)),
  }));
}

function expectClose(a: ReturnType<typeof numbers>, b: ReturnType<typeof numbers>) {
  expect(a.map((n) => n.id)).toEqual(b.map((n) => n.id));
  a.forEach((n, k) => {
    expect(n.value).toHaveLength(b[k].value.length);
    expect(n.grad).toHaveLength(b[k].grad.length);
    for (let i = 0; i < n.value.length; i++) {
      expect(Math.abs(n.value[i] - b[k].value[i]), `${n.id} value`).toBeLessThan(1e-12);
    }
    for (let i = 0; i < n.grad.length; i++) {
      expect(Math.abs(n.grad[i] - b[k].grad[i]), `${n.id} grad`).toBeLessThan(1e-12);
    }
  });
}

/** A · B for row-major matrices, naively. */
function product(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
}

const W = [
  [1.5, -2, 0.25],
  [3, 0.5, -1],
];
const X = [
  [2, -1],
  [0.75, 4],
  [-3, 1.25],
];
const PROGRAM = `W = ${JSON.stringify(W)}\nX = ${JSON.stringify(X)}\nD = W @ X\nb = [[1], [-2]]\nf = sum(tanh(D + b) * D)`;
const WATCHED = ['W', 'X', 'D', 'b', 'f'];

/** The document as a comparable value: nodes, wires, output, literals, seed. */
function structure(s: Store) {
  const { doc } = s.getState();
  return {
    nodes: doc.nodes,
    wires: [...doc.wires].sort((a, b) => `${a.to}:${a.port}`.localeCompare(`${b.to}:${b.port}`)),
    output: doc.output,
    params: [...doc.params.entries()],
    seed: doc.seed,
  };
}

describe('Expand', () => {
  it('takes W @ X apart into entry gates, products, adds and an assembled D', () => {
    const s = store(PROGRAM);
    expect(s.getState().expandGate('D')).toBeUndefined();
    const { doc, program } = s.getState();
    const ops = new Map<string, number>();
    for (const n of doc.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
    // 6 + 6 entries, 2·2·3 products, 2·2·2 adds, one 2×2 assembled D.
    expect(ops.get('index2')).toBe(12);
    // (and the one multiply of f's).
    expect(ops.get('mul')).toBe(12 + 1);
    expect(ops.get('add')).toBe(8 + 1);
    expect(ops.get('matrix2x2')).toBe(1);
    expect(ops.has('matmul')).toBe(false);
    expect(program.problems).toEqual([]);
    // D keeps its id and name; its readers are unchanged.
    expect(doc.nodes.find((n) => n.id === 'D')).toEqual({ id: 'D', op: 'matrix2x2', label: 'D' });
    expect(doc.wires.filter((w) => w.from === 'D').map((w) => w.to)).toHaveLength(2);
    // The program reads as the notes write it.
    const text = toProgram(docToCircuit(doc)) as string;
    expect(text).toContain('W_1_2 = W[1, 2]');
    expect(text).toContain('D_0_1 = W_0_0 * X_0_1 + W_0_1 * X_1_1 + W_0_2 * X_2_1');
    expect(text).toContain('D = [[D_0_0, D_0_1], [D_1_0, D_1_1]]');
  });

  it('keeps every number, entry by entry: D, and the gradients of W, X and downstream', () => {
    const s = store(PROGRAM);
    const before = numbers(s, WATCHED);
    s.getState().expandGate('D');
    expectClose(numbers(s, WATCHED), before);
    // And D's entries are the ones a naive product gives, each on its own sum gate.
    const D = product(W, X);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        expect(data(s.getState().evaluation.value(`D_${i}_${j}`))[0]).toBeCloseTo(D[i][j], 12);
      }
    }
  });

  it('keeps the output, its name and its upstream gradient', () => {
    const s = store(`W = ${JSON.stringify(W)}\nX = ${JSON.stringify(X)}\nD = W @ X`);
    expect(s.getState().setSeed({ kind: 'random', seed: 7 })).toBeUndefined();
    const before = numbers(s, ['W', 'X', 'D']);
    s.getState().expandGate('D');
    const { doc } = s.getState();
    expect(doc.output).toBe('D');
    expect(doc.seed).toEqual({ kind: 'random', seed: 7 });
    expectClose(numbers(s, ['W', 'X', 'D']), before);
  });

  it('works for vectors and a dot product', () => {
    for (const [program, watched] of [
      ['w = [1, -2, 3]\nX = [[1, 2], [3, 4], [5, 6]]\nD = w @ X\nf = sum(D * D)', ['w', 'X', 'f']],
      ['W = [[1, 2, 3], [4, 5, 6]]\nv = [0.5, -1, 2]\nD = W @ v\nf = sum(D * D)', ['W', 'v', 'f']],
      ['u = [1, 2, 3]\nv = [4, -5, 6]\nD = u @ v\nf = D * D', ['u', 'v', 'D', 'f']],
      ['u = [[2]]\nv = [[3, 4]]\nD = u @ v\nf = sum(D * D)', ['u', 'v', 'f']],
    ] as const) {
      const s = store(program);
      const before = numbers(s, watched);
      expect(s.getState().expandGate('D'), program).toBeUndefined();
      expect(s.getState().program.problems, program).toEqual([]);
      expectClose(numbers(s, watched), before);
      expect(s.getState().collapseGate('D'), program).toBeUndefined();
      expect(s.getState().doc.nodes.find((n) => n.id === 'D')?.op).toBe('matmul');
      expectClose(numbers(s, watched), before);
    }
  });

  it('lays the gates out in place: nodes right of the product move right, none overlap', () => {
    const s = store(PROGRAM);
    const before = s.getState().doc.positions;
    const d = before.get('D') as { x: number; y: number };
    s.getState().expandGate('D');
    const { positions, nodes } = s.getState().doc;
    for (const n of nodes) expect(positions.has(n.id), n.id).toBe(true);
    // The inputs left of the product stay where they were.
    expect(positions.get('W')).toEqual(before.get('W'));
    expect(positions.get('X')).toEqual(before.get('X'));
    // The result is at the product's height; the entry gates start LEAD right of its left edge.
    expect(positions.get('D')?.y).toBe(d.y);
    expect(
      Math.min(...nodes.filter((n) => n.op === 'index2').map((n) => positions.get(n.id)?.x ?? 0)),
    ).toBe(d.x + LEAD);
    // Every reader of D is right of D again, as far from its right edge as before (the
    // assembled D, a port per entry, is wider than the product gate).
    const dx =
      (positions.get('D')?.x ?? 0) + nodeSize('matrix2x2').width - (d.x + nodeSize('matmul').width);
    for (const id of ['f']) {
      const was = before.get(id) as { x: number; y: number };
      expect(positions.get(id)).toEqual({ x: was.x + dx, y: was.y });
    }
    // No two gates on top of each other.
    const gates = nodes.map((n) => ({
      ...(positions.get(n.id) as { x: number; y: number }),
      ...nodeSize(n.op, s.getState().view.values.get(n.id) as Tensor | undefined),
    }));
    for (let a = 0; a < gates.length; a++) {
      for (let b = a + 1; b < gates.length; b++) {
        const [p, q] = gates[a].x <= gates[b].x ? [gates[a], gates[b]] : [gates[b], gates[a]];
        const [u, v] = gates[a].y <= gates[b].y ? [gates[a], gates[b]] : [gates[b], gates[a]];
        const apart = q.x >= p.x + p.width || v.y >= u.y + u.height;
        expect(apart, `${nodes[a].id} and ${nodes[b].id}`).toBe(true);
      }
    }
  });

  it('puts each entry gate beside the products it feeds, and the assembled D centred on its entries with a port every 16 px', () => {
    const s = store(PROGRAM);
    s.getState().expandGate('D');
    const { positions, nodes, wires } = s.getState().doc;
    const y = (id: string) =>
      (positions.get(id)?.y ?? 0) +
      nodeSize(nodes.find((n) => n.id === id)?.op ?? 'add').height / 2;
    // W[i][k] feeds the products of row i; X[k][j] those of column j: both kinds interleave,
    // each entry gate no further than two rows (86 px each) from the mean of its products.
    const entries = nodes.filter((n) => n.op === 'index2').map((n) => n.id);
    expect(entries).toHaveLength(12);
    for (const e of entries) {
      const readers = wires.filter((w) => w.from === e).map((w) => y(w.to));
      const mean = readers.reduce((a, b) => a + b, 0) / readers.length;
      expect(Math.abs(y(e) - mean), e).toBeLessThanOrEqual(2 * 86);
    }
    const byHeight = [...entries].sort((a, b) => y(a) - y(b));
    expect(byHeight.slice(0, 6).some((e) => e.startsWith('X'))).toBe(true);
    // The assembled D: tall enough for its four ports, its middle at the mean of its entries.
    expect(nodeSize('matrix2x2').height).toBe(16 * 5);
    expect(nodeSize('matrix3x3').height).toBe(16 * 10);
    expect(nodeSize('vector3').height).toBe(16 * 4);
    // An entry gate's indices are literals, never wired: it keeps a gate's size.
    expect(nodeSize('index2')).toEqual(nodeSize('mul'));
    const sums = wires.filter((w) => w.to === 'D').map((w) => y(w.from));
    expect(sums).toHaveLength(4);
    expect(Math.abs(y('D') - sums.reduce((a, b) => a + b, 0) / 4)).toBeLessThan(1);
  });

  it('refuses a larger product, naming both shapes', () => {
    const s = store('W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X');
    const doc = s.getState().doc;
    expect(s.getState().expandGate('D')).toBe(
      'Expand works on products up to 3×3 · 3×3; this one is 5×10 · 10×3',
    );
    expect(s.getState().doc).toBe(doc);
    expect(s.getState().notice?.text).toBe(
      'Not expanded: Expand works on products up to 3×3 · 3×3; this one is 5×10 · 10×3.',
    );
  });

  it('refuses an expansion that would take the circuit over the node limit', () => {
    const base = parse(PROGRAM).circuit;
    // Enough unread inputs beside the product that its 33 new gates do not fit.
    const filler = Array.from({ length: LIMITS.nodes - base.nodes.length - 10 }, (_, k) => ({
      id: nodeId(`u${k}`),
      op: 'input',
      value: scalar(k),
    }));
    const s = createAppStore(docFromCircuit({ ...base, nodes: [...base.nodes, ...filler] }));
    const doc = s.getState().doc;
    expect(s.getState().expandGate('D')).toMatch(
      /^the circuit has 12,0\d\d nodes; the limit is 12,000$/,
    );
    expect(s.getState().doc).toBe(doc);
  });

  it('refuses what is not a product, and a product with a literal operand', () => {
    const s = store('W = [[1, 2]]\nD = W @ [[3], [4]]\nf = sum(D)');
    expect(s.getState().expandGate('f')).toBe(
      'Expand works on a matrix product (an @ gate): select one',
    );
    expect(s.getState().expandGate('D')).toBe(
      'Expand needs both operands of D wired; this one has a matrix written in place',
    );
  });
});

describe('Collapse', () => {
  it('gives the original circuit back, from any gate of the expansion', () => {
    for (const pick of ['D', 'D_1_0', 'W_0_2', 'X_2_1']) {
      const s = store(PROGRAM);
      const original = structure(s);
      const positions = s.getState().doc.positions;
      const before = numbers(s, WATCHED);
      s.getState().expandGate('D');
      expect(s.getState().doc.nodes.some((n) => n.id === pick)).toBe(true);
      expect(s.getState().collapseGate(pick), pick).toBeUndefined();
      expect(structure(s)).toEqual(original);
      expectClose(numbers(s, WATCHED), before);
      // The product and everything moved right are back where they were.
      expect(s.getState().doc.positions.get('D')).toEqual(positions.get('D'));
      expect(s.getState().doc.positions.get('f')).toEqual(positions.get('f'));
      expect(s.getState().doc.positions.get('W')).toEqual(positions.get('W'));
    }
  });

  it('recognises an expansion after saving and opening the file again', () => {
    const s = store(PROGRAM);
    const original = structure(s);
    s.getState().expandGate('D');
    const read = parseCircuitFile(serializeCircuit(docToCircuit(s.getState().doc)));
    if (!read.ok) throw new Error(read.error);
    const again = createAppStore(docFromCircuit(read.circuit));
    expect(again.getState().collapseGate('D_0_0')).toBeUndefined();
    expect(structure(again)).toEqual(original);
  });

  it('recognises an expansion typed as a program', () => {
    const s = store(PROGRAM);
    s.getState().expandGate('D');
    const text = toProgram(docToCircuit(s.getState().doc)) as string;
    const typed = store(text);
    expect(typed.getState().collapseGate('D')).toBeUndefined();
    expect(typed.getState().doc.nodes.find((n) => n.id === 'D')?.op).toBe('matmul');
    expect(typed.getState().program.problems).toEqual([]);
  });

  it('refuses a gate of no expansion, and an expansion another gate reads inside', () => {
    const s = store(PROGRAM);
    expect(s.getState().collapseGate('f')).toMatch(
      /^Collapse works on a product that Expand took apart/,
    );
    s.getState().expandGate('D');
    // A gate outside now reads one of the products: collapsing would cut that wire.
    const { doc } = s.getState();
    const inner = doc.nodes.find((n) => n.op === 'mul') as { id: string };
    const shapeOf = shapesOf(s.getState);
    expect(findExpanded(doc, 'D', shapeOf)).toBeDefined();
    const cut = {
      ...doc,
      nodes: [...doc.nodes, { id: 'g' as never, op: 'neg' }],
      wires: [...doc.wires, { from: inner.id as never, to: 'g' as never, port: 'x' as never }],
    };
    expect(findExpanded(cut, 'D', shapeOf)).toBeUndefined();
  });
});

describe('Tidy up', () => {
  it('lays an expanded product out as Expand places it, keeping every id, wherever its gates were dragged', () => {
    const s = store(PROGRAM);
    s.getState().expandGate('D');
    const expanded = s.getState().doc;
    const placedByExpand = new Map(expanded.positions);
    s.getState().tidyUp();
    const tidied = new Map(s.getState().doc.positions);
    // Drag one entry gate far away and tidy again: the same picture.
    s.getState().moveNodes(new Map([['W_0_0', { x: -900, y: 2000 }]]));
    s.getState().tidyUp();
    const { doc } = s.getState();
    expect(doc.nodes).toEqual(expanded.nodes);
    expect(doc.wires).toEqual(expanded.wires);
    for (const n of doc.nodes) expect(doc.positions.get(n.id), n.id).toEqual(tidied.get(n.id));
    // Inside the expansion, every gate sits where Expand put it relative to the assembled D
    const offset = (positions: ReadonlyMap<string, { x: number; y: number }>, id: string) => {
      const p = positions.get(id) as { x: number; y: number };
      const d = positions.get('D') as { x: number; y: number };
      return { x: p.x - d.x, y: p.y - d.y };
    };
    const found = findExpanded(doc, 'D', shapesOf(s.getState));
    const inside = doc.nodes.filter((n) => found?.members.has(n.id));
    expect(inside.length).toBeGreaterThan(10);
    for (const n of inside) {
      // (to a pixel: positions are rounded where they land)
      const now = offset(doc.positions, n.id);
      const then = offset(placedByExpand, n.id);
      expect(Math.abs(now.x - then.x), n.id).toBeLessThanOrEqual(1);
      expect(Math.abs(now.y - then.y), n.id).toBeLessThanOrEqual(1);
    }
    // And it collapses back into one product.
    expect(s.getState().collapseGate('D')).toBeUndefined();
    expect(s.getState().doc.nodes.find((n) => n.id === 'D')?.op).toBe('matmul');
  });

  it('falls back to the general layout for an expansion typed in another order than Expand writes', () => {
    // D[0,0] written as the second term plus the first: still recognised, not Expand's shape.
    const s = store(
      'a = [[1, 2]]\nb = [[3], [4]]\nD = [[a[0, 1] * b[1, 0] + a[0, 0] * b[0, 0]]]\nf = sum(D)',
    );
    s.getState().tidyUp();
    const { doc } = s.getState();
    for (const n of doc.nodes) expect(doc.positions.has(n.id), n.id).toBe(true);
    const xs = new Set(
      doc.nodes.map((n) => `${doc.positions.get(n.id)?.x},${doc.positions.get(n.id)?.y}`),
    );
    expect(xs.size).toBe(doc.nodes.length);
  });
});

describe('names are data', () => {
  it('expands and collapses operands called __proto__ and constructor', () => {
    const program =
      '__proto__ = [[1, 2], [3, 4]]\nconstructor = [[1], [2]]\ntoString = __proto__ @ constructor\nf = sum(toString)';
    const s = store(program);
    const original = structure(s);
    const before = numbers(s, ['__proto__', 'constructor', 'f']);
    expect(s.getState().expandGate('toString')).toBeUndefined();
    expect(toProgram(docToCircuit(s.getState().doc))).toContain(
      'toString_1_0 = __proto___1_0 * constructor_0_0 + __proto___1_1 * constructor_1_0',
    );
    expectClose(numbers(s, ['__proto__', 'constructor', 'f']), before);
    expect(s.getState().collapseGate('__proto___0_1')).toBeUndefined();
    expect(structure(s)).toEqual(original);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});

describe('undo', () => {
  it('undoes an expand and a collapse in one step each', () => {
    const s = store(PROGRAM);
    const original = s.getState().doc;
    s.getState().expandGate('D');
    const expanded = s.getState().doc;
    s.getState().collapseGate('D');
    s.temporal.getState().undo();
    expect(s.getState().doc).toBe(expanded);
    s.temporal.getState().undo();
    expect(s.getState().doc).toBe(original);
    expect(s.getState().doc.nodes.find((n) => n.id === 'D')?.op).toBe('matmul');
    s.temporal.getState().redo();
    expect(s.getState().doc).toBe(expanded);
  });
});

describe('the gallery example', () => {
  it('matmul (2×3 · 3×2) expands with the same numbers and collapses back', () => {
    const example = GALLERY.find((e) => e.id === 'matmul');
    if (!example) throw new Error('no matmul example');
    const s = createAppStore(docFromCircuit(example.circuit));
    const ids = s.getState().doc.nodes.map((n) => n.id);
    const before = numbers(s, ids);
    expect(s.getState().expandGate('D')).toBeUndefined();
    expectClose(numbers(s, ids), before);
    expect(s.getState().collapseGate('D')).toBeUndefined();
    expectClose(numbers(s, ids), before);
  });
});
