/**
 * The document's own gates through the store: Group, open in place and Collapse as undo steps,
 * definitions added and deleted (a gate in use is expanded first, so no number changes), and
 * an opened composite kept by files and links, so Collapse works after a reload.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/engine';
import { EXAMPLE_SOURCES, type ExampleSource } from '../../src/examples/sources';
import { parseCircuitFile, serializeCircuit } from '../../src/share/file';
import { decodeHash, encodeFullLink } from '../../src/share/link';
import { docFromCircuit, docToCircuit } from '../../src/store/document';
import { createAppStore } from '../../src/store/store';

/** The gallery's primitive neuron: its sigmoid spelled out as ×−1, exp, +1, 1/x. */
const NEURON = (EXAMPLE_SOURCES.find((e) => e.id === 'neuron-primitive') as ExampleSource).program;
const SIGMOID = ['mul#4', 'exp#5', 'add#6', 'f'];
const sigma = (x: number) => 1 / (1 + Math.exp(-x));

function neuronStore() {
  return createAppStore(docFromCircuit(parse(NEURON).circuit));
}

const gradOf = (store: ReturnType<typeof neuronStore>, id: string) =>
  store.getState().evaluation.grad(id) as number;

describe('Group, open and Collapse in the store', () => {
  it('are one undo step each and keep the numbers', () => {
    const store = neuronStore();
    const before = store.getState().doc.nodes.length;
    store.getState().select(SIGMOID);
    expect(store.getState().groupSelection('sigma')).toBeUndefined();
    expect(store.getState().doc.nodes.length).toBe(before - 3);
    // d f/d w0 = σ'(1) · x0 = −(1 − σ)σ.
    expect(gradOf(store, 'w0')).toBeCloseTo(-(1 - sigma(1)) * sigma(1), 15);
    expect(store.getState().openComposite('f')).toBeUndefined();
    expect(store.getState().doc.nodes.length).toBe(before);
    expect(store.getState().doc.opened).toEqual([{ id: 'f', gate: 'sigma', members: SIGMOID }]);
    expect(store.getState().closeComposite('add#6')).toBeUndefined();
    expect(store.getState().doc.nodes.length).toBe(before - 3);
    expect(store.getState().doc.opened).toBeUndefined();
    // The composite is back where it was before it was opened.
    const temporal = store.temporal.getState();
    temporal.undo();
    expect(store.getState().doc.opened?.length).toBe(1);
    temporal.undo();
    temporal.undo();
    expect(store.getState().doc.nodes.length).toBe(before);
    expect(store.getState().doc.gates).toBeUndefined();
  });

  it('refuse a selection with the reason as a notice, and change nothing', () => {
    const store = neuronStore();
    const doc = store.getState().doc;
    store.getState().select(['mul#1', 'mul#2']);
    expect(store.getState().groupSelection('g')).toContain('not connected');
    expect(store.getState().doc).toBe(doc);
    expect(store.getState().notice?.text).toContain('Not grouped');
  });

  it('follow a rename of a gate inside an opened composite', () => {
    const store = neuronStore();
    store.getState().select(SIGMOID);
    store.getState().groupSelection('sigma');
    store.getState().openComposite('f');
    expect(store.getState().rename('exp#5', 'e')).toBeUndefined();
    expect(store.getState().doc.opened?.[0].members).toContain('e');
    expect(store.getState().closeComposite('e')).toBeUndefined();
    expect(store.getState().doc.nodes.find((n) => n.id === 'f')?.op).toBe('sigma');
  });
});

describe('an opened composite travels', () => {
  it('in a file and a link, and Collapse works after reading it', () => {
    const store = neuronStore();
    store.getState().select(SIGMOID);
    store.getState().groupSelection('sigma');
    store.getState().openComposite('f');
    const doc = store.getState().doc;
    const read = parseCircuitFile(serializeCircuit(docToCircuit(doc)));
    if (!read.ok) throw new Error(read.error);
    expect(read.warnings).toEqual([]);
    expect(docFromCircuit(read.circuit).opened).toEqual(doc.opened);
    const link = decodeHash(encodeFullLink({ circuit: docToCircuit(doc), view: {} }));
    if (!link.ok || link.kind !== 'full') throw new Error('link not read');
    expect(docFromCircuit(link.circuit).opened).toEqual(doc.opened);
    const reopened = createAppStore(docFromCircuit(read.circuit));
    expect(reopened.getState().closeComposite('exp#5')).toBeUndefined();
    expect(reopened.getState().doc.nodes.find((n) => n.id === 'f')?.op).toBe('sigma');
  });

  it('a frame naming a gate the file does not define is dropped with a warning', () => {
    const store = neuronStore();
    const file = JSON.parse(serializeCircuit(docToCircuit(store.getState().doc)));
    file.opened = [{ id: 'f', gate: 'nope', members: ['f'] }];
    const read = parseCircuitFile(JSON.stringify(file));
    if (!read.ok) throw new Error(read.error);
    expect(read.warnings.join(' ')).toContain("opened gate 'nope'");
    expect(docFromCircuit(read.circuit).opened).toBeUndefined();
  });
});

describe('defining and deleting gates', () => {
  it('adds definitions to the document, usable by name in a program', () => {
    const store = neuronStore();
    expect(store.getState().defineGates('softplus(x) = log(1 + exp(x))')).toBeUndefined();
    expect(store.getState().doc.gates?.map((g) => g.name)).toEqual(['softplus']);
    expect(store.getState().applyExpression('y = 2\nf = softplus(y)')).toBe(true);
    expect(store.getState().evaluation.value('f')).toBeCloseTo(Math.log(1 + Math.exp(2)), 15);
    expect(gradOf(store, 'y')).toBeCloseTo(sigma(2), 15);
  });

  it('reports a bad definition at its place and keeps the document', () => {
    const store = neuronStore();
    const doc = store.getState().doc;
    const problem = store.getState().defineGates('g(x) = x + y');
    expect(problem).toMatchObject({ line: 1, column: 12 });
    expect(problem?.message).toContain("uses 'y'");
    expect(store.getState().doc).toBe(doc);
  });

  it('deleting a gate in use expands its uses first: the same numbers, nothing lost', () => {
    const store = neuronStore();
    store.getState().select(SIGMOID);
    store.getState().groupSelection('sigma');
    const grad = gradOf(store, 'x1');
    expect(store.getState().deleteGate('sigma')).toBeUndefined();
    expect(store.getState().doc.gates ?? []).toEqual([]);
    expect(store.getState().doc.nodes.find((n) => n.id === 'f')?.op).toBe('div');
    expect(gradOf(store, 'x1')).toBe(grad);
    store.temporal.getState().undo();
    expect(store.getState().doc.nodes.find((n) => n.id === 'f')?.op).toBe('sigma');
  });

  it('a gate used inside another is not deleted', () => {
    const store = neuronStore();
    store.getState().defineGates('sp(x) = log(1 + exp(x))\ntwice(x) = sp(x) * 2');
    expect(store.getState().deleteGate('sp')).toContain('used inside twice');
    expect(store.getState().doc.gates?.length).toBe(2);
  });
});
