/**
 * Literals inside gates, in the store: edited in place (one undo step, re-run without
 * compiling, refused when they do not fit), carried by copy, paste, rename and delete, and
 * circuits with constant nodes still working.
 */
import { describe, expect, it } from 'vitest';
import { type Circuit, parse, scalar, type Tensor } from '../../src/engine';
import { docFromCircuit, docToCircuit } from '../../src/store/document';
import { createAppStore } from '../../src/store/store';
import { freshEvaluation, sameValue } from './randomDocs';

const vec = (...xs: number[]): Tensor => ({ shape: [xs.length], data: Float64Array.from(xs) });

/** x = 3; y = -2; q = x * 2; f = q + y ** 3 — literals in q (port b) and p (port b). */
const CIRCUIT: Circuit = {
  nodes: [
    { id: 'x' as never, op: 'input', value: scalar(3) },
    { id: 'y' as never, op: 'input', value: scalar(-2) },
    { id: 'q' as never, op: 'mul', params: { b: scalar(2) } },
    { id: 'p' as never, op: 'pow', params: { b: scalar(3) } },
    { id: 'f' as never, op: 'add' },
  ],
  wires: [
    { from: 'x' as never, to: 'q' as never, port: 'a' as never },
    { from: 'y' as never, to: 'p' as never, port: 'a' as never },
    { from: 'q' as never, to: 'f' as never, port: 'a' as never },
    { from: 'p' as never, to: 'f' as never, port: 'b' as never },
  ],
  output: 'f' as never,
};

function storeWith(circuit: Circuit = CIRCUIT) {
  return createAppStore(docFromCircuit(circuit));
}

/** The store's numbers for every node equal those of a fresh compile of its document. */
function expectAsFreshCompile(store: ReturnType<typeof storeWith>): void {
  const s = store.getState();
  const { evaluation } = freshEvaluation(docToCircuit(s.doc));
  for (const id of evaluation.program.ids) {
    expect(sameValue(s.view.values.get(id), evaluation.value(id)), `value of ${id}`).toBe(true);
    expect(sameValue(s.view.grads.get(id), evaluation.grad(id)), `grad of ${id}`).toBe(true);
  }
}

describe('the document', () => {
  it('holds the literals of a circuit and gives them back', () => {
    const doc = docFromCircuit(CIRCUIT);
    expect([...doc.params.keys()]).toEqual(['q', 'p']);
    expect(Object.getPrototypeOf(doc.params.get('q'))).toBeNull();
    const back = docToCircuit(doc);
    expect(back.nodes.find((n) => n.id === 'q')?.params?.b.data[0]).toBe(2);
    expect(back.nodes.find((n) => n.id === 'f')?.params).toBeUndefined();
  });

  it('holds the literals a typed program puts in its gates', () => {
    const doc = docFromCircuit(parse('x = 3; f = x ** 2').circuit);
    expect(doc.nodes.map((n) => n.op)).toEqual(['input', 'pow']);
    expect(doc.params.get('f')?.b.data[0]).toBe(2);
    expect(createAppStore(doc).getState().view.grads.get('x')).toBe(6);
  });
});

describe('setParam', () => {
  it('re-runs the same program with the new literal, as a fresh compile would', () => {
    const store = storeWith();
    expect(store.getState().view.values.get('f')).toBe(-2);
    const { program } = store.getState();
    expect(store.getState().setParam('q', 'b', scalar(-5))).toBeUndefined();
    const s = store.getState();
    expect(s.program).toBe(program);
    expect(s.view.values.get('q')).toBe(-15);
    expect(s.view.grads.get('x')).toBe(-5);
    expect(s.view.values.get('f')).toBe(-23);
    expect(s.doc.params.get('q')?.b.data[0]).toBe(-5);
    // The wire the literal sits beside carries the new local gradient.
    expect(s.view.wireGrads.get('q:a')).toBe(-5);
    expect(s.view.wireGrads.get('q:b')).toBeUndefined();
    expectAsFreshCompile(store);
  });

  it('is one undo step, and undo and redo bring the numbers back', () => {
    const store = storeWith();
    const { program } = store.getState();
    store.getState().setParam('p', 'b', scalar(2.5));
    store.getState().setParam('p', 'b', scalar(1));
    expect(store.getState().view.values.get('p')).toBe(-2);
    store.temporal.getState().undo();
    expect(store.getState().doc.params.get('p')?.b.data[0]).toBe(2.5);
    expectAsFreshCompile(store);
    store.temporal.getState().undo();
    expect(store.getState().view.values.get('p')).toBe(-8);
    expect(store.getState().view.grads.get('y')).toBe(12);
    store.temporal.getState().redo();
    expect(store.getState().doc.params.get('p')?.b.data[0]).toBe(2.5);
    expectAsFreshCompile(store);
    expect(store.getState().program).toBe(program);
  });

  it('groups a gesture on a literal into one undo step', () => {
    const store = storeWith();
    store.getState().beginGesture();
    for (const v of [2.1, 2.2, 2.3, 2.4]) store.getState().setParam('q', 'b', scalar(v));
    store.getState().endGesture();
    expect(store.getState().view.values.get('q')).toBeCloseTo(7.2, 12);
    expect(store.temporal.getState().pastStates).toHaveLength(1);
    store.temporal.getState().undo();
    expect(store.getState().view.values.get('q')).toBe(6);
  });

  it.each([
    [
      'a different shape',
      'q',
      'b',
      vec(1, 2),
      /port b of q is a single number; the new value is 2/,
    ],
    ['NaN', 'q', 'b', scalar(Number.NaN), /port b of q must be a finite number \(got NaN\)/],
    ['Infinity', 'p', 'b', scalar(Number.POSITIVE_INFINITY), /port b of p must be a finite/],
    ['a wired port', 'q', 'a', scalar(1), /port a of q holds no literal/],
    ['a gate without literals', 'f', 'a', scalar(1), /port a of f holds no literal/],
    ['a missing gate', 'nope', 'b', scalar(1), /there is no node 'nope'/],
    ['a port named __proto__', 'q', '__proto__', scalar(1), /port __proto__ of q holds no literal/],
  ])(
    'refuses %s, naming the gate and the port, and keeps the old value',
    (_, id, port, value, message) => {
      const store = storeWith();
      const before = store.getState().doc;
      const problem = store.getState().setParam(id, port, value);
      expect(problem).toMatch(message);
      expect(store.getState().notice?.text).toBe(`Literal not set: ${problem}.`);
      expect(store.getState().doc).toBe(before);
      expect(store.getState().view.values.get('f')).toBe(-2);
      expect(store.temporal.getState().pastStates).toHaveLength(0);
      expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    },
  );

  it('edits a tensor literal of the same shape', () => {
    const store = storeWith({
      nodes: [
        { id: 'v' as never, op: 'input', value: vec(1, 2, 3) },
        { id: 'w' as never, op: 'mul', params: { b: vec(1, 1, 1) } },
        { id: 'f' as never, op: 'sum' },
      ],
      wires: [
        { from: 'v' as never, to: 'w' as never, port: 'a' as never },
        { from: 'w' as never, to: 'f' as never, port: 'x' as never },
      ],
      output: 'f' as never,
    });
    const { program } = store.getState();
    expect(store.getState().setParam('w', 'b', vec(2, 0, -1))).toBeUndefined();
    expect(store.getState().program).toBe(program);
    expect(store.getState().view.values.get('f')).toBe(-1);
    expect(store.getState().view.grads.get('v')).toEqual(vec(2, 0, -1));
    expect(store.getState().setParam('w', 'b', vec(1, 2))).toMatch(/is 3; the new value is 2/);
    expectAsFreshCompile(store);
  });

  it('an edit that changes how the gate runs (x ** 2 runs as a square) gives the right numbers', () => {
    const store = createAppStore(docFromCircuit(parse('x = 3; f = x ** 2').circuit));
    expect(store.getState().setParam('f', 'b', scalar(3))).toBeUndefined();
    expect(store.getState().view.values.get('f')).toBe(27);
    expect(store.getState().view.grads.get('x')).toBe(27);
    store.getState().setParam('f', 'b', scalar(2));
    expect(store.getState().view.values.get('f')).toBe(9);
    expect(store.getState().view.grads.get('x')).toBe(6);
    expectAsFreshCompile(store);
  });
});

describe('literals through the other edits', () => {
  it('a wire into a port with a literal takes its place; undo brings the literal back', () => {
    const store = storeWith();
    expect(store.getState().connect('y', 'q', 'b')).toBe(true);
    expect(store.getState().doc.params.has('q')).toBe(false);
    expect(store.getState().view.values.get('q')).toBe(-6);
    expectAsFreshCompile(store);
    store.temporal.getState().undo();
    expect(store.getState().doc.params.get('q')?.b.data[0]).toBe(2);
    expect(store.getState().view.values.get('q')).toBe(6);
  });

  it('copies and pastes gates with their literals', () => {
    const store = storeWith();
    store.getState().select(['x', 'q']);
    store.getState().duplicateSelection();
    const s = store.getState();
    expect(s.selectedNodes).toEqual(['x1', 'q1']);
    expect(s.doc.params.get('q1')?.b.data[0]).toBe(2);
    expect(s.view.values.get('q1')).toBe(6);
    // The copy's literal is its own.
    store.getState().setParam('q1', 'b', scalar(10));
    expect(store.getState().view.values.get('q1')).toBe(30);
    expect(store.getState().view.values.get('q')).toBe(6);
  });

  it('renames a gate with its literals, and deleting it drops them', () => {
    const store = storeWith();
    expect(store.getState().rename('q', 'twice')).toBeUndefined();
    expect(store.getState().doc.params.has('q')).toBe(false);
    expect(store.getState().setParam('twice', 'b', scalar(4))).toBeUndefined();
    expect(store.getState().view.values.get('twice')).toBe(12);
    store.getState().deleteNodes(['twice']);
    expect(store.getState().doc.params.has('twice')).toBe(false);
    expect(store.getState().view.nodeProblems.get('f')).toMatch(/has no input/);
  });

  it('adds a gate with a literal, and refuses one for a port the op does not have', () => {
    const store = storeWith();
    const id = store.getState().addNode('mul', { x: 0, y: 0 }, { b: scalar(-1) });
    expect(id).toBe('mul1');
    store.getState().connect('x', id as string, 'a');
    expect(store.getState().view.values.get('mul1')).toBe(-3);
    expect(store.getState().addNode('mul', undefined, { c: scalar(1) })).toBeNull();
    expect(store.getState().notice?.text).toMatch(/port 'c' takes no literal — mul has ports a, b/);
    expect(store.getState().addNode('exp', undefined, { x: scalar(Number.NaN) })).toBeNull();
    expect(store.getState().notice?.text).toMatch(/must be a finite number/);
  });
});

describe('constant nodes (circuits of the first file format)', () => {
  const WITH_CONST: Circuit = {
    nodes: [
      { id: 'x' as never, op: 'input', value: scalar(3) },
      { id: 'two' as never, op: 'const', value: scalar(2) },
      { id: 'f' as never, op: 'pow' },
    ],
    wires: [
      { from: 'x' as never, to: 'f' as never, port: 'a' as never },
      { from: 'two' as never, to: 'f' as never, port: 'b' as never },
    ],
    output: 'f' as never,
  };

  it('run, and a constant edited re-runs without compiling', () => {
    const store = storeWith(WITH_CONST);
    expect(store.getState().view.values.get('f')).toBe(9);
    const { program } = store.getState();
    store.getState().setInputValue('two', scalar(3));
    expect(store.getState().program).toBe(program);
    expect(store.getState().view.values.get('f')).toBe(27);
    expect(store.getState().view.grads.get('x')).toBe(27);
    expectAsFreshCompile(store);
    store.temporal.getState().undo();
    expect(store.getState().view.values.get('f')).toBe(9);
  });

  it('an input given a value of a new shape compiles again', () => {
    const store = storeWith(WITH_CONST);
    store.getState().setInputValue('x', vec(1, 2));
    expect(store.getState().view.values.get('f')).toEqual(vec(1, 4));
    expectAsFreshCompile(store);
  });

  it('an input without a value is mended by one', () => {
    const store = storeWith({
      ...WITH_CONST,
      nodes: [{ id: 'x' as never, op: 'input' }, ...WITH_CONST.nodes.slice(1)],
    });
    expect(store.getState().view.values.get('f')).toBeUndefined();
    store.getState().setInputValue('x', scalar(4));
    expect(store.getState().view.values.get('f')).toBe(16);
  });
});
