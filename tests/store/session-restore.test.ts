/**
 * An autosave record that reads but fails later (computing, laying out) must not stop the app
 * from starting. The store's steps are wrapped so that a test can make one of them throw.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compile } from '../../src/engine/compile';
import { type Circuit, nodeId } from '../../src/engine/types';
import { GALLERY } from '../../src/examples';
import { AUTOSAVE_KEY, Autosave } from '../../src/store/autosave';
import { layoutCircuit } from '../../src/store/layout';
import { type Session, startSession } from '../../src/ui/session';
import { node, t, wire } from '../share/circuits';
import { FakeStorage } from './fakeStorage';
import { FakeWindow } from './fakeWindow';

/** The real steps, kept so that each test starts from them. */
const real = vi.hoisted(() => ({}) as { compile?: unknown; layoutCircuit?: unknown });

vi.mock('../../src/engine/compile', async (original) => {
  const actual = await original<typeof import('../../src/engine/compile')>();
  real.compile = actual.compile;
  return { ...actual, compile: vi.fn(actual.compile) };
});
vi.mock('../../src/store/layout', async (original) => {
  const actual = await original<typeof import('../../src/store/layout')>();
  real.layoutCircuit = actual.layoutCircuit;
  return { ...actual, layoutCircuit: vi.fn(actual.layoutCircuit) };
});
const realCompile = () => real.compile as typeof compile;
const realLayout = () => real.layoutCircuit as typeof layoutCircuit;

/** A circuit with a node `boom`; the mocked steps throw when they meet it. */
function withBoom(x: number, positions = true): Circuit {
  const at = (p: { x: number; y: number }) => (positions ? { position: p } : {});
  return {
    nodes: [
      node('x', 'input', { value: t([], [x]), ...at({ x: 0, y: 0 }) }),
      node('boom', 'neg', at({ x: 200, y: 0 })),
    ],
    wires: [wire('x', 'boom', 'x')],
    output: nodeId('boom'),
  };
}

const hasBoom = (nodes: readonly { id: string }[]) => nodes.some((n) => n.id === 'boom');

const sessions: Session[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  vi.mocked(compile).mockImplementation(realCompile());
  vi.mocked(layoutCircuit).mockImplementation(realLayout());
});

afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
  vi.useRealTimers();
});

function failWhen(step: 'compute' | 'layout'): void {
  if (step === 'compute') {
    vi.mocked(compile).mockImplementation((circuit, options) => {
      if (hasBoom(circuit.nodes)) throw new TypeError('o.push is not a function');
      return realCompile()(circuit, options);
    });
  } else {
    vi.mocked(layoutCircuit).mockImplementation((nodes, wires, values) => {
      if (hasBoom(nodes)) throw new RangeError('Maximum call stack size exceeded');
      return realLayout()(nodes, wires, values);
    });
  }
}

describe('an autosave that reads but cannot be opened', () => {
  it.each([
    ['computing', 'compute', true, /o\.push is not a function/],
    ['laying out', 'layout', false, /Maximum call stack size exceeded/],
  ] as const)(
    'fails while %s: set aside verbatim, reported, and the first example opens',
    (_, step, positions, error) => {
      const storage = new FakeStorage();
      new Autosave(storage, { tabId: 'before' }).save(withBoom(2, positions), 'f = -x');
      const raw = storage.getItem(AUTOSAVE_KEY);
      failWhen(step);

      const session = startSession(new FakeWindow(storage).asWindow);
      sessions.push(session);
      const s = session.store.getState();
      expect(s.doc.nodes.map((n) => n.id)).toEqual(GALLERY[0].circuit.nodes.map((n) => n.id));
      expect(s.view.values.get('f')).toBe(-12);
      expect(s.notice?.kind).toBe('warning');
      expect(s.notice?.text).toMatch(/^The circuit saved in this browser could not be opened/);
      expect(s.notice?.text).toMatch(error);
      expect(s.notice?.text).toMatch(/set aside, not deleted \(storage key .*:corrupt:\d+\)/);
      const aside = [...storage.items.keys()].filter((k) =>
        k.startsWith(`${AUTOSAVE_KEY}:corrupt:`),
      );
      expect(aside).toHaveLength(1);
      expect(storage.getItem(aside[0])).toBe(raw);
      expect(storage.getItem(AUTOSAVE_KEY)).toBeNull();
      // Nothing to undo back into.
      expect(session.store.temporal.getState().pastStates).toHaveLength(0);
    },
  );

  it('"Restore previous circuit" that fails sets the previous one aside and keeps the circuit in hand', () => {
    const storage = new FakeStorage();
    const before = new Autosave(storage, { tabId: 'before' });
    before.keepPrevious(withBoom(3), null);
    const raw = storage.getItem(`${AUTOSAVE_KEY}:previous`);
    failWhen('compute');
    const win = new FakeWindow(storage);
    win.location.hash = '#expr=x%20%3D%202%3B%20f%20%3D%20x%20*%203';
    const session = startSession(win.asWindow);
    sessions.push(session);
    // Nothing was autosaved, so the link brings no restore offer; the previous slot is older.
    expect(session.store.getState().view.values.get('f')).toBe(6);

    win.location.hash = '#expr=x%20%3D%205%3B%20f%20%3D%20x%20*%203';
    win.fire('hashchange');
    const offer = session.store.getState().notice;
    expect(offer?.text).toBe('Opened the circuit from the link.');
    // Replace what the link kept as previous with the record that cannot be opened.
    storage.setItem(`${AUTOSAVE_KEY}:previous`, raw as string);
    offer?.actions?.[0].run();

    const s = session.store.getState();
    expect(s.view.values.get('f')).toBe(15);
    expect(s.notice?.text).toMatch(/^The previous circuit could not be opened \(.*o\.push/);
    const aside = [...storage.items.keys()].filter((k) => k.startsWith(`${AUTOSAVE_KEY}:corrupt:`));
    expect(aside).toHaveLength(1);
    expect(storage.getItem(aside[0])).toBe(raw);
    expect(storage.getItem(`${AUTOSAVE_KEY}:previous`)).toBeNull();
  });

  it('a link that cannot be opened is reported, and the autosaved circuit opens instead', () => {
    const storage = new FakeStorage();
    new Autosave(storage, { tabId: 'before' }).save(
      {
        ...withBoom(1),
        nodes: withBoom(1).nodes.map((n) => ({ ...n, id: nodeId(`${n.id}2`) })),
        wires: [wire('x2', 'boom2', 'x')],
        output: nodeId('boom2'),
      },
      null,
    );
    failWhen('layout');
    const win = new FakeWindow(storage);
    // A link without positions: the layout runs, and throws.
    win.location.hash = `#expr=${encodeURIComponent('x = 4\nboom = -x')}`;
    const session = startSession(win.asWindow);
    sessions.push(session);
    const s = session.store.getState();
    expect(s.notice?.text).toMatch(/^This link could not be opened: .*Maximum call stack/);
    expect(s.view.values.get('boom2')).toBe(-1);
    expect(storage.items.has(AUTOSAVE_KEY)).toBe(true);
  });
});
