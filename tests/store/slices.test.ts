/**
 * The store's slices: each action lives in one slice, undo tracks only the document, and
 * what is computed from the document arrives in the same update as the document.
 */
import { describe, expect, it } from 'vitest';
import { parse, scalar } from '../../src/engine';
import { docFromCircuit } from '../../src/store/document';
import { createDocumentSlice } from '../../src/store/slices/document';
import { createExpandSlice } from '../../src/store/slices/expand';
import { createGatesSlice } from '../../src/store/slices/gates';
import { createUiSlice } from '../../src/store/slices/interface';
import { createPlaybackSlice } from '../../src/store/slices/playback';
import { createAppStore } from '../../src/store/store';

const PROGRAM = 'x = -2; y = 5; z = -4; q = x + y; f = q * z';

function storeWith(program = PROGRAM) {
  return createAppStore(docFromCircuit(parse(program).circuit, program));
}

/** The names of the functions a slice creator returns. */
function actionsOf(slice: object): string[] {
  return Object.entries(slice)
    .filter(([, v]) => typeof v === 'function')
    .map(([k]) => k)
    .sort();
}

describe('the slices', () => {
  it('each action is defined in exactly one slice', () => {
    const noop = () => {};
    const get = () => {
      throw new Error('not called while creating');
    };
    const doc = actionsOf(
      createDocumentSlice(
        noop,
        get,
        { commit: noop, gesture: { active: false, recorded: false }, prepare: get },
        docFromCircuit(parse(PROGRAM).circuit),
      ),
    );
    const playback = actionsOf(createPlaybackSlice(noop, get));
    const ui = actionsOf(createUiSlice(noop, get));
    const expand = actionsOf(
      createExpandSlice(noop, get, { commit: noop, gesture: { active: false, recorded: false } }),
    );
    expect(expand).toEqual(['collapseGate', 'expandGate']);
    const gates = actionsOf(
      createGatesSlice(noop, get, { commit: noop, gesture: { active: false, recorded: false } }),
    );
    expect(gates).toEqual([
      'closeComposite',
      'defineGates',
      'deleteGate',
      'groupSelection',
      'openComposite',
    ]);
    expect(doc).toEqual(
      [
        'addNode',
        'applyExpression',
        'beginGesture',
        'connect',
        'deleteNodes',
        'deleteSelection',
        'deleteWires',
        'duplicateSelection',
        'endGesture',
        'loadCircuit',
        'moveNodes',
        'paste',
        'rename',
        'setInputValue',
        'setOutput',
        'setParam',
        'setSeed',
        'tidyUp',
        'tryLoadCircuit',
      ].sort(),
    );
    expect(playback).toEqual(
      [
        'exitPlayback',
        'pause',
        'play',
        'resetPlayback',
        'seek',
        'setSpeed',
        'stepBack',
        'stepForward',
        'toEnd',
        'togglePlay',
      ].sort(),
    );
    expect(ui).toEqual(
      [
        'copySelection',
        'dismissNotice',
        'notify',
        'reportDrawingFailure',
        'select',
        'setCodeLanguage',
        'setCodeOpen',
        'setDragPositions',
        'setMode',
      ].sort(),
    );
    // The store holds them all, each once.
    const all = [...doc, ...playback, ...ui, ...expand, ...gates];
    expect(new Set(all).size).toBe(all.length);
    expect(actionsOf(storeWith().getState()).sort()).toEqual(all.sort());
  });

  it('undo tracks the document only: selection, notices, mode, speed and playback stay', () => {
    const store = storeWith();
    const past = () => store.temporal.getState().pastStates.length;
    store.getState().select(['q']);
    store.getState().notify('hello', 'info');
    store.getState().setMode({ present: true });
    store.getState().setSpeed(2);
    store.getState().seek(2);
    store.getState().copySelection();
    store.getState().setDragPositions(new Map([['q', { x: 1, y: 2 }]]));
    expect(past()).toBe(0);

    store.getState().setInputValue('z', scalar(2));
    expect(past()).toBe(1);
    store.temporal.getState().undo();
    const s = store.getState();
    expect(s.doc.values.get('z')?.data[0]).toBe(-4);
    expect(s.selectedNodes).toEqual(['q']);
    expect(s.notice?.text).toBe('hello');
    expect(s.mode.present).toBe(true);
    expect(s.speed).toBe(2);
    expect(s.cursor).toBe(2);
    expect(s.clipboard?.nodes.map((n) => n.id)).toEqual(['q']);
    // The numbers followed the document back, at the same cursor.
    store.getState().exitPlayback();
    expect(store.getState().view.values.get('f')).toBe(-12);
  });

  it('the document and its numbers arrive in one update, undo and redo included', () => {
    const store = storeWith();
    const seen: [number | undefined, number | undefined][] = [];
    store.subscribe((state) => {
      seen.push([state.doc.values.get('z')?.data[0], state.view.values.get('f') as number]);
    });
    store.getState().setInputValue('z', scalar(2));
    store.temporal.getState().undo();
    store.temporal.getState().redo();
    // Outside setState writes the document through the same path.
    store.setState({ doc: docFromCircuit(parse('x = 1; f = x * 3').circuit) });
    expect(seen).toEqual([
      [2, 6],
      [-4, -12],
      [2, 6],
      [undefined, 3],
    ]);
  });

  it('a move changes no number and compiles nothing', () => {
    const store = storeWith();
    const { program, evaluation, view } = store.getState();
    store.getState().moveNodes(new Map([['q', { x: 500, y: 20 }]]));
    const s = store.getState();
    expect(s.doc.positions.get('q')).toEqual({ x: 500, y: 20 });
    expect(s.program).toBe(program);
    expect(s.evaluation).toBe(evaluation);
    expect(s.view).toBe(view);
  });

  it('a structural edit compiles again; undo brings the numbers back', () => {
    const store = storeWith();
    const program = store.getState().program;
    store.getState().setOutput('q');
    expect(store.getState().program).not.toBe(program);
    expect(store.getState().view.grads.get('x')).toBe(1);
    store.temporal.getState().undo();
    expect(store.getState().view.grads.get('x')).toBe(-4);
  });
});
