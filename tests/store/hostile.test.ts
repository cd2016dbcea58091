/**
 * Names that are members of Object.prototype are ordinary names: renamed to, typed, played
 * back, tidied, copied and autosaved like any other, and nothing is written onto
 * Object.prototype on the way.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scalar } from '../../src/engine';
import { parse } from '../../src/engine/parse';
import { Autosave } from '../../src/store/autosave';
import { docToCircuit } from '../../src/store/document';
import { type AppStore, createAppStore } from '../../src/store/store';
import { gradientSteps } from '../../src/store/timeline';
import { HOSTILE_NAMES } from '../hostileNames';
import { FakeStorage } from './fakeStorage';

const HOSTILE = HOSTILE_NAMES;

const PROGRAM = 'x = -2; y = 5; z = -4; q = x + y; f = q * z';

/** A store holding the program's circuit, laid out. */
function storeWith(program = PROGRAM): AppStore {
  const store = createAppStore();
  expect(store.getState().tryLoadCircuit(parse(program).circuit, { expression: program })).toBe(
    undefined,
  );
  return store;
}

/** Own keys and their values, to compare before and after. */
function prototypeSnapshot(): [string, unknown][] {
  return Object.getOwnPropertyNames(Object.prototype)
    .sort()
    .map((k) => [k, Object.getOwnPropertyDescriptor(Object.prototype, k)?.value]);
}

let before: [string, unknown][];
beforeEach(() => {
  before = prototypeSnapshot();
});
afterEach(() => {
  expect(prototypeSnapshot()).toEqual(before);
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
});

describe.each(HOSTILE)('the name %s', (name) => {
  it('renames a gate, an input and the output, and every number follows', () => {
    const store = storeWith();
    expect(store.getState().rename('q', name)).toBeUndefined();
    let s = store.getState();
    expect(s.doc.nodes.map((n) => n.id)).toEqual(['x', 'y', 'z', name, 'f']);
    expect(s.view.values.get(name)).toBe(3);
    expect(s.view.grads.get(name)).toBe(-4);
    expect(s.view.wireGrads.get(`${name}:a`)).toBe(-4);
    expect(s.doc.positions.has(name)).toBe(true);
    expect(s.doc.positions.has('q')).toBe(false);

    // Back and forth between names of Object.prototype, and onto an input and the output.
    const other = name === 'valueOf' ? 'toString' : 'valueOf';
    expect(store.getState().rename('x', other)).toBeUndefined();
    expect(store.getState().rename('f', `${name}_out`)).toBeUndefined();
    s = store.getState();
    expect(s.view.values.get(other)).toBe(-2);
    expect(s.view.grads.get(other)).toBe(-4);
    expect(s.doc.values.get(other)?.data[0]).toBe(-2);
    expect(s.view.values.get(`${name}_out`)).toBe(-12);
    expect(s.doc.output).toBe(`${name}_out`);
    store.getState().setInputValue(other, scalar(1));
    expect(store.getState().view.values.get(`${name}_out`)).toBe(-24);
    // Taken is taken.
    expect(store.getState().rename('y', name)).toMatch(/already taken/);
  });

  it('plays back step by step', () => {
    const store = storeWith();
    store.getState().rename('q', name);
    store.getState().rename('x', name === 'constructor' ? 'toString' : 'constructor');
    const input = name === 'constructor' ? 'toString' : 'constructor';
    store.getState().resetPlayback();
    expect(store.getState().view.values.get(name)).toBeUndefined();
    expect(store.getState().view.values.get(input)).toBe(-2);
    store.getState().stepForward(); // forward: the renamed gate
    expect(store.getState().view.values.get(name)).toBe(3);
    store.getState().stepForward(); // forward f
    store.getState().stepForward(); // seed
    store.getState().stepForward(); // backward through f
    expect(store.getState().view.grads.get(name)).toBe(-4);
    expect(store.getState().view.done?.get(name)).toBe(true);
    expect(store.getState().view.grads.get(input)).toBeUndefined();
    store.getState().stepForward(); // backward through the renamed gate
    expect(store.getState().view.grads.get(input)).toBe(-4);
    store.getState().stepBack();
    expect(store.getState().view.grads.get(input)).toBeUndefined();
    store.getState().toEnd();
    expect(store.getState().view.done?.get(input)).toBe(true);
    const timeline = store.getState().timeline;
    if (!timeline) throw new Error('no timeline in playback');
    expect(gradientSteps(timeline, timeline.program.slot(input))).toHaveLength(1);
  });

  it('is tidied up, copied and pasted, and deleted', () => {
    const store = storeWith();
    store.getState().rename('q', name);
    store.getState().tidyUp();
    const s = store.getState();
    for (const n of s.doc.nodes) {
      const p = s.doc.positions.get(n.id);
      expect(Number.isFinite(p?.x) && Number.isFinite(p?.y)).toBe(true);
    }
    // The gate sits right of what it reads and left of what reads it.
    const at = (id: string) => s.doc.positions.get(id)?.x ?? Number.NaN;
    expect(at('x')).toBeLessThan(at(name));
    expect(at(name)).toBeLessThan(at('f'));

    store.getState().select([name, 'f']);
    store.getState().duplicateSelection();
    const copy = `${name}1`;
    expect(store.getState().selectedNodes).toEqual([copy, 'f1']);
    expect(store.getState().doc.wires).toContainEqual({ from: copy, to: 'f1', port: 'a' });
    expect(store.getState().doc.positions.get(copy)).toEqual({
      x: (s.doc.positions.get(name)?.x ?? 0) + 40,
      y: (s.doc.positions.get(name)?.y ?? 0) + 40,
    });
    store.getState().deleteNodes([name]);
    expect(store.getState().doc.positions.has(name)).toBe(false);
    expect(store.getState().view.nodeProblems.get('f')).toMatch(/has no input/);
  });

  it('round-trips through autosave', () => {
    const store = storeWith();
    store.getState().rename('x', name);
    const storage = new FakeStorage();
    const doc = store.getState().doc;
    expect(new Autosave(storage, { tabId: 'A' }).save(docToCircuit(doc), null).kind).toBe('saved');
    const loaded = new Autosave(storage, { tabId: 'B' }).load();
    if (loaded.kind !== 'ok') throw new Error(`not loaded: ${JSON.stringify(loaded)}`);
    const restored = createAppStore();
    expect(restored.getState().tryLoadCircuit(loaded.saved.circuit)).toBeUndefined();
    expect(restored.getState().doc.nodes.map((n) => n.id)).toEqual(doc.nodes.map((n) => n.id));
    expect(restored.getState().doc.positions.get(name)).toEqual(doc.positions.get(name));
    expect(restored.getState().view.grads.get(name)).toBe(-4);
  });

  it('names a gate whose literal is edited in place', () => {
    const store = createAppStore();
    expect(store.getState().applyExpression(`x = 3\n${name} = x * 2\nf = ${name} + 1`)).toBe(true);
    expect(store.getState().doc.params.get(name)?.b.data[0]).toBe(2);
    const { program } = store.getState();
    expect(store.getState().setParam(name, 'b', scalar(5))).toBeUndefined();
    expect(store.getState().program).toBe(program);
    expect(store.getState().view.values.get('f')).toBe(16);
    expect(store.getState().view.grads.get('x')).toBe(5);
    store.getState().select([name]);
    store.getState().duplicateSelection();
    expect(store.getState().doc.params.get(`${name}1`)?.b.data[0]).toBe(5);
    store.temporal.getState().undo();
    store.temporal.getState().undo();
    expect(store.getState().view.values.get('f')).toBe(7);
  });

  it('is typed in a program', () => {
    const store = createAppStore();
    expect(store.getState().applyExpression(`${name} = 3\nf = ${name} * 2`)).toBe(true);
    expect(store.getState().expressionError).toBeNull();
    expect(store.getState().view.values.get('f')).toBe(6);
    expect(store.getState().view.grads.get(name)).toBe(2);
    // A gate of that name, and a node `f` afterwards, in the same tab.
    expect(store.getState().applyExpression(`a = 2\n${name} = a * a\nf = ${name} + 1`)).toBe(true);
    expect(store.getState().view.values.get('f')).toBe(5);
    expect({} as Record<string, unknown>).not.toHaveProperty('f');
  });
});
