import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scalar } from '../../src/engine';
import { type Circuit, nodeId } from '../../src/engine/types';
import { GALLERY } from '../../src/examples';
import { AUTOSAVE_KEY, Autosave } from '../../src/store/autosave';
import { type Session, startSession } from '../../src/ui/session';
import { node, t, wire } from '../share/circuits';
import { FakeStorage } from './fakeStorage';
import { deliver, FakeWindow } from './fakeWindow';

const sessions: Session[] = [];

function start(win: FakeWindow): Session {
  const session = startSession(win.asWindow);
  sessions.push(session);
  return session;
}

/** Edits input x of the circuit in hand and lets the autosave debounce run. */
function edit(session: Session, value: number): void {
  session.store.getState().setInputValue('x', scalar(value));
  vi.advanceTimersByTime(5_000);
}

function product(x: number): Circuit {
  return {
    nodes: [
      node('x', 'input', { value: t([], [x]), position: { x: 0, y: 0 } }),
      node('y', 'input', { value: t([], [5]), position: { x: 0, y: 100 } }),
      node('f', 'mul', { position: { x: 200, y: 50 } }),
    ],
    wires: [wire('x', 'f', 'a'), wire('y', 'f', 'b')],
    output: nodeId('f'),
  };
}

const firstExampleIds = GALLERY[0].circuit.nodes.map((n) => n.id);
const ids = (session: Session) => session.store.getState().doc.nodes.map((n) => n.id);

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
  vi.useRealTimers();
});

describe('storage honesty', () => {
  it('a blocked storage (the localStorage getter throws) warns at once, and the work goes on', () => {
    const win = new FakeWindow(new FakeStorage());
    win.blocked = true;
    const session = start(win);
    expect(ids(session)).toEqual(firstExampleIds);
    const notice = session.store.getState().notice;
    expect(notice?.kind).toBe('warning');
    expect(notice?.sticky).toBe(true);
    expect(notice?.text).toMatch(/^Autosave failed: the browser storage is unavailable/);
    edit(session, 1);
    expect(session.store.getState().notice?.serial).toBe(notice?.serial);
    expect(session.store.getState().view.values.get('x')).toBe(1);
  });

  it.each([
    ['getItem', /unavailable/],
    ['setItem', /unavailable/],
    ['quota', /full/],
  ] as const)(
    'a storage failing in %s warns once, and the warning clears when saving works again',
    (how, text) => {
      const storage = new FakeStorage();
      const win = new FakeWindow(storage);
      const session = start(win);
      const fail = (on: boolean) => {
        if (how === 'quota') storage.quota = on ? 10 : Number.POSITIVE_INFINITY;
        else if (how === 'getItem') {
          storage.getItem = on
            ? () => {
                throw new Error('read refused');
              }
            : FakeStorage.prototype.getItem;
        } else {
          storage.setItem = on
            ? () => {
                throw new Error('write refused');
              }
            : FakeStorage.prototype.setItem;
        }
      };
      fail(true);
      edit(session, 1);
      const warning = session.store.getState().notice;
      expect(warning?.text).toMatch(/^Autosave failed: /);
      expect(warning?.text).toMatch(text);
      // Once: more failing saves do not say it again, nor bring it back over another message.
      edit(session, 2);
      expect(session.store.getState().notice?.serial).toBe(warning?.serial);
      session.store.getState().notify('Something else.', 'info');
      edit(session, 3);
      expect(session.store.getState().notice?.text).toBe('Something else.');
      session.store.getState().dismissNotice();

      // The warning is shown again after a failure, once saving had worked in between.
      fail(false);
      edit(session, 4);
      expect(storage.items.has(AUTOSAVE_KEY)).toBe(true);
      fail(true);
      edit(session, 5);
      expect(session.store.getState().notice?.text).toMatch(/^Autosave failed: /);
      // …and it clears as soon as a save goes through.
      fail(false);
      edit(session, 6);
      expect(session.store.getState().notice).toBeNull();
      const saved = new Autosave(storage, { tabId: 'check' }).load();
      expect(saved.kind === 'ok' && saved.saved.circuit.nodes[0].value?.data[0]).toBe(6);
    },
  );
});

describe('two tabs', () => {
  it('a tab closed during a conflict keeps its edits, which the other tab offers to open', () => {
    const items = new Map<string, string>();
    const storageA = new FakeStorage(items);
    const storageB = new FakeStorage(items);
    const a = new FakeWindow(storageA);
    const b = new FakeWindow(storageB);
    const tabA = start(a);
    edit(tabA, 10);
    const tabB = start(b);
    expect(tabB.store.getState().view.values.get('x')).toBe(10);
    edit(tabB, 20);
    deliver(b, storageB, [a]);
    expect(tabA.store.getState().notice?.text).toMatch(/Another tab saved a newer circuit/);

    edit(tabA, 30);
    a.fire('pagehide');
    tabA.dispose();
    // B's record is untouched; A's edits are beside it.
    const main = new Autosave(new FakeStorage(items), { tabId: 'check' }).load();
    expect(main.kind === 'ok' && main.saved.circuit.nodes[0].value?.data[0]).toBe(20);
    expect([...items.keys()].filter((k) => k.startsWith(`${AUTOSAVE_KEY}:closed:`))).toHaveLength(
      1,
    );

    deliver(a, storageA, [b]);
    const offer = tabB.store.getState().notice;
    expect(offer?.text).toMatch(/A tab closed during a conflict kept its edits/);
    const open = offer?.actions?.find((x) => x.label === 'Open its circuit');
    if (!open) throw new Error('no offer to open the closed tab’s circuit');
    open.run();
    expect(tabB.store.getState().view.values.get('x')).toBe(30);
    expect(tabB.store.getState().notice?.text).toBe('Opened the circuit of the closed tab.');
    // B's own circuit can be brought back.
    const restore = tabB.store.getState().notice?.actions?.[0];
    expect(restore?.label).toBe('Restore previous circuit');
    restore?.run();
    expect(tabB.store.getState().view.values.get('x')).toBe(20);
    expect([...items.keys()].some((k) => k.includes(':closed:'))).toBe(false);
  });

  it('a tab closed without a conflict leaves no second record', () => {
    const storage = new FakeStorage();
    const win = new FakeWindow(storage);
    const session = start(win);
    edit(session, 4);
    session.store.getState().setInputValue('x', scalar(5));
    win.fire('pagehide');
    expect([...storage.items.keys()]).toEqual([AUTOSAVE_KEY]);
    const saved = new Autosave(storage, { tabId: 'check' }).load();
    expect(saved.kind === 'ok' && saved.saved.circuit.nodes[0].value?.data[0]).toBe(5);
  });

  it('a new tab offers the edits of a tab closed during a conflict', () => {
    const storage = new FakeStorage();
    new Autosave(storage, { tabId: 'gone' }).keepClosed(product(7), null);
    const session = start(new FakeWindow(storage));
    expect(session.store.getState().notice?.text).toMatch(/A tab closed during a conflict/);
    session.store.getState().notice?.actions?.[0].run();
    expect(session.store.getState().view.values.get('f')).toBe(35);
  });
});

describe('names that are members of Object.prototype, in an autosave record', () => {
  it('open like any other', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const storage = new FakeStorage();
    const circuit: Circuit = {
      nodes: [
        node('__proto__', 'input', { value: t([], [3]) }),
        node('constructor', 'input', { value: t([], [4]) }),
        node('toString', 'mul'),
        node('hasOwnProperty', 'neg'),
      ],
      wires: [
        wire('__proto__', 'toString', 'a'),
        wire('constructor', 'toString', 'b'),
        wire('toString', 'hasOwnProperty', 'x'),
      ],
      output: nodeId('hasOwnProperty'),
    };
    expect(new Autosave(storage, { tabId: 'A' }).save(circuit, null).kind).toBe('saved');
    const session = start(new FakeWindow(storage));
    const s = session.store.getState();
    expect(s.notice).toBeNull();
    expect(s.doc.nodes.map((n) => n.id)).toEqual([
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
    ]);
    expect(s.view.values.get('hasOwnProperty')).toBe(-12);
    expect(s.view.grads.get('__proto__')).toBe(-4);
    s.toEnd();
    expect(session.store.getState().view.grads.get('constructor')).toBe(-3);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });
});

describe('a link says what it ignored', () => {
  it('a misspelt key on opening is named in the notice, with the key it resembles', () => {
    const win = new FakeWindow(new FakeStorage());
    win.location.hash = '#exp=x%3D1%3Bf%3Dx*2';
    const session = start(win);
    expect(ids(session)).toEqual(firstExampleIds);
    const notice = session.store.getState().notice;
    expect(notice?.kind).toBe('warning');
    expect(notice?.text).toContain('The link holds no circuit.');
    expect(notice?.text).toContain('"exp=x%3D1%3Bf%3Dx*2"');
    expect(notice?.text).toContain('did you mean "expr"');
  });

  it('a flag with a bad value beside a working program opens the program and names the flag', () => {
    const win = new FakeWindow(new FakeStorage());
    win.location.hash = '#expr=x%3D3%3By%3D2%3Bf%3Dx*y&step=often';
    const session = start(win);
    expect(ids(session)).toEqual(['x', 'y', 'f']);
    const notice = session.store.getState().notice;
    expect(notice?.kind).toBe('warning');
    expect(notice?.text).toContain('Opened the circuit from the link.');
    expect(notice?.text).toContain('step="often"');
  });

  it('a link pasted into an open tab with a repeated key opens and says which part it ignored', () => {
    const win = new FakeWindow(new FakeStorage());
    const session = start(win);
    win.location.hash = '#expr=x%3D3%3By%3D2%3Bf%3Dx*y&step=1&step=5';
    win.fire('hashchange');
    expect(ids(session)).toEqual(['x', 'y', 'f']);
    const notice = session.store.getState().notice;
    expect(notice?.kind).toBe('warning');
    expect(notice?.text).toContain('"step=5" was ignored');
  });
});

describe('a record from a newer version of the app', () => {
  it('is kept untouched, the user is told to update, and the work of this tab stays in memory', () => {
    const storage = new FakeStorage();
    const newer = JSON.stringify({
      format: 'backprop-autosave',
      version: 99,
      rev: 3,
      tab: 'other',
      savedAt: 0,
      circuit: { something: 'from the future' },
    });
    storage.setItem(AUTOSAVE_KEY, newer);
    const win = new FakeWindow(storage);
    const session = start(win);
    expect(ids(session)).toEqual(firstExampleIds);
    const notice = session.store.getState().notice;
    expect(notice?.kind).toBe('warning');
    expect(notice?.sticky).toBe(true);
    expect(notice?.text).toContain('newer version');
    expect(notice?.text).toContain('update Backprop Circuits');
    edit(session, 7);
    session.dispose();
    expect(storage.getItem(AUTOSAVE_KEY)).toBe(newer);
    expect(session.store.getState().doc.values.get('x')?.data[0]).toBe(7);
  });
});

describe('a circuit that cannot be drawn', () => {
  it('is not saved over the last saved one until it draws again', () => {
    const storage = new FakeStorage();
    const win = new FakeWindow(storage);
    const session = start(win);
    edit(session, 2);
    const good = storage.getItem(AUTOSAVE_KEY);
    expect(good).not.toBeNull();
    session.store.getState().setInputValue('x', scalar(3));
    // The canvas fails to draw before the autosave's debounce has run.
    session.store.getState().reportDrawingFailure('the canvas');
    vi.advanceTimersByTime(5_000);
    edit(session, 4);
    win.fire('pagehide');
    expect(storage.getItem(AUTOSAVE_KEY)).toBe(good);
    // Drawn again: the circuit in hand is saved.
    session.store.getState().reportDrawingFailure(null);
    vi.advanceTimersByTime(5_000);
    const saved = new Autosave(storage, { tabId: 'reader' }).load();
    expect(saved.kind).toBe('ok');
    if (saved.kind !== 'ok') return;
    const x = saved.saved.circuit.nodes.find((n) => n.id === 'x');
    expect(x?.value?.data[0]).toBe(4);
  });
});
