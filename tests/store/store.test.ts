import { describe, expect, it } from 'vitest';
import { parse } from '../../src/engine/parse';
import { docFromCircuit } from '../../src/store/document';
import { createAppStore } from '../../src/store/store';

const PROGRAM = 'x = -2; y = 5; z = -4; q = x + y; f = q * z';

function storeWith(program = PROGRAM) {
  return createAppStore(docFromCircuit(parse(program).circuit, program));
}

describe('the store', () => {
  it('computes the live view on creation', () => {
    const s = storeWith().getState();
    expect(s.view.values.get('f')).toBe(-12);
    expect(s.view.grads.get('x')).toBe(-4);
    expect(s.view.grads.get('z')).toBe(3);
    // What each wire carries back: the multiply gate sends z = -4 to q and q = 3 to z.
    expect(s.view.wireGrads.get('f:a')).toBe(-4);
    expect(s.view.wireGrads.get('f:b')).toBe(3);
  });

  it('re-runs without recompiling on a value edit, and undo restores the value', () => {
    const store = storeWith();
    const program = store.getState().program;
    store.getState().setInputValue('z', { shape: [], data: Float64Array.of(2) });
    expect(store.getState().program).toBe(program);
    expect(store.getState().view.values.get('f')).toBe(6);
    store.temporal.getState().undo();
    expect(store.getState().view.values.get('f')).toBe(-12);
    store.temporal.getState().redo();
    expect(store.getState().view.values.get('f')).toBe(6);
  });

  it('refuses a wire that would close a loop, saying so', () => {
    const store = storeWith();
    store.getState().deleteWires(['q:a']);
    expect(store.getState().connect('f', 'q', 'a')).toBe(false);
    expect(store.getState().notice?.text).toMatch(/loop/);
    expect(store.getState().doc.wires.some((w) => w.to === 'q' && w.port === 'a')).toBe(false);
  });

  it('refuses a second wire into a port', () => {
    const store = storeWith();
    expect(store.getState().connect('z', 'q', 'a')).toBe(false);
    expect(store.getState().notice?.text).toMatch(/already has a wire/);
  });

  it('shows what it can of a half-built circuit, and names what is missing', () => {
    const store = storeWith();
    store.getState().deleteWires(['q:b']);
    const s = store.getState();
    expect(s.view.values.get('x')).toBe(-2);
    expect(s.view.values.get('f')).toBeUndefined();
    expect(s.view.nodeProblems.get('q')).toMatch(/port b of q \(add\) has no input/);
  });

  it('renames a node everywhere, and refuses a taken or invalid name', () => {
    const store = storeWith();
    expect(store.getState().rename('x', 'y')).toMatch(/already taken/);
    expect(store.getState().rename('x', '2x')).toMatch(/starts with a letter/);
    expect(store.getState().rename('x', 'a')).toBeUndefined();
    const s = store.getState();
    expect(s.view.grads.get('a')).toBe(-4);
    expect(s.doc.wires.some((w) => w.from === 'a' && w.to === 'q')).toBe(true);
  });

  it('deletes a gate with its wires; undo brings both back', () => {
    const store = storeWith();
    store.getState().deleteNodes(['q']);
    expect(store.getState().doc.wires).toHaveLength(1);
    store.temporal.getState().undo();
    expect(store.getState().doc.wires).toHaveLength(4);
    expect(store.getState().view.values.get('f')).toBe(-12);
  });

  it('groups a gesture (a scrub) into one undo step', () => {
    const store = storeWith();
    store.getState().beginGesture();
    for (const v of [1, 2, 3, 4]) {
      store.getState().setInputValue('x', { shape: [], data: Float64Array.of(v) });
    }
    store.getState().endGesture();
    expect(store.getState().view.values.get('f')).toBe(-36);
    store.temporal.getState().undo();
    expect(store.getState().view.values.get('x')).toBe(-2);
  });

  it('pastes copies with fresh ids', () => {
    const store = storeWith();
    store.getState().select(['q', 'f']);
    store.getState().duplicateSelection();
    const ids = store.getState().doc.nodes.map((n) => n.id);
    expect(ids).toContain('q1');
    expect(ids).toContain('f1');
    expect(store.getState().doc.wires.some((w) => w.from === 'q1' && w.to === 'f1')).toBe(true);
  });
});

describe('playback in the store', () => {
  it('reset shows only inputs; each step reveals one gate, then the seed, then gradients', () => {
    const store = storeWith();
    store.getState().resetPlayback();
    let v = store.getState().view;
    expect(v.values.get('x')).toBe(-2);
    expect(v.values.get('q')).toBeUndefined();
    expect(v.grads.get('x')).toBeUndefined();
    store.getState().stepForward(); // forward q
    expect(store.getState().view.values.get('q')).toBe(3);
    expect(store.getState().view.values.get('f')).toBeUndefined();
    store.getState().stepForward(); // forward f
    store.getState().stepForward(); // seed
    v = store.getState().view;
    expect(v.grads.get('f')).toBe(1);
    expect(v.done?.get('f')).toBe(true);
    expect(v.grads.get('q')).toBeUndefined();
    store.getState().stepForward(); // backward through f
    v = store.getState().view;
    expect(v.grads.get('q')).toBe(-4);
    expect(v.grads.get('z')).toBe(3);
    expect(v.grads.get('x')).toBeUndefined();
    store.getState().stepForward(); // backward through q
    v = store.getState().view;
    expect(v.grads.get('x')).toBe(-4);
    expect(v.done?.get('x')).toBe(true);
    expect(store.getState().cursor).toBe(5);
    store.getState().stepBack();
    expect(store.getState().view.grads.get('x')).toBeUndefined();
  });

  it('keeps the step when a value changes during playback, and leaves playback on demand', () => {
    const store = storeWith();
    store.getState().seek(4);
    store.getState().setInputValue('z', { shape: [], data: Float64Array.of(2) });
    expect(store.getState().cursor).toBe(4);
    expect(store.getState().view.grads.get('q')).toBe(2);
    store.getState().exitPlayback();
    expect(store.getState().cursor).toBeNull();
    expect(store.getState().view.grads.get('x')).toBe(2);
  });
});
