import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compile } from '../../src/engine/compile';
import type { Circuit } from '../../src/engine/types';
import { nodeId } from '../../src/engine/types';
import { toFileObject } from '../../src/share/file';
import { writeJson } from '../../src/share/json';
import {
  AUTOSAVE_KEY,
  Autosave,
  debounce,
  type LoadResult,
  type SavedCircuit,
  type SaveOutcome,
  type Timers,
} from '../../src/store/autosave';
import { expectSameCircuit, lit, node, t, toV1FileObject, wire } from '../share/circuits';
import { FakeStorage } from './fakeStorage';

// ---------------------------------------------------------------------------------------------
// Helpers

function product(x: number, y = 5): Circuit {
  return {
    nodes: [
      node('x', 'input', { value: t([], [x]), position: { x: 0, y: 0 } }),
      node('y', 'input', { value: t([], [y]), position: { x: 0, y: 100 } }),
      node('f', 'mul', { position: { x: 200, y: 50 } }),
    ],
    wires: [wire('x', 'f', 'a'), wire('y', 'f', 'b')],
    output: nodeId('f'),
  };
}

const awkward: Circuit = {
  nodes: [
    node('nan', 'input', { label: 'not a number', value: t([], [Number.NaN]) }),
    node('negzero', 'input', { value: t([], [-0]), position: { x: -0, y: 5e-324 } }),
    node('vec', 'input', { value: t([3], [-0, Number.POSITIVE_INFINITY, 0.1 + 0.2]) }),
    node('mat', 'input', {
      value: t([2, 2], [Number.NEGATIVE_INFINITY, -0, Number.NaN, 1.7976931348623157e308]),
    }),
    node('m', 'matmul', { position: { x: 300, y: -0 } }),
    node('p', 'mul', { params: { b: t([2], [-0, 5e-324]), a: lit(Number.NaN) } }),
  ],
  wires: [wire('vec', 'm', 'a'), wire('mat', 'm', 'b')],
  output: null,
};

/** Every node, wire and number the same, numbers compared with Object.is. */
function expectLoaded(result: LoadResult): SavedCircuit {
  if (result.kind !== 'ok')
    throw new Error(`expected a saved circuit, got ${JSON.stringify(result)}`);
  return result.saved;
}

function expectKind<K extends SaveOutcome['kind']>(
  outcome: SaveOutcome,
  kind: K,
): Extract<SaveOutcome, { kind: K }> {
  expect(outcome.kind, JSON.stringify(outcome)).toBe(kind);
  return outcome as Extract<SaveOutcome, { kind: K }>;
}

/** A clock that moves on 1 ms each time it is read, so every write gets its own time. */
function clock(start = 1_000): () => number {
  let now = start;
  return () => now++;
}

function tab(storage: FakeStorage, tabId: string, now = clock()): Autosave {
  return new Autosave(storage, { tabId, now });
}

/** The value of f's first input in a loaded circuit. */
function xOf(saved: SavedCircuit): number {
  return saved.circuit.nodes[0].value?.data[0] ?? Number.NaN;
}

// ---------------------------------------------------------------------------------------------

describe('save and load', () => {
  it('round-trips a circuit and its expression', () => {
    const storage = new FakeStorage();
    const circuit = product(-2);
    expectKind(tab(storage, 'A').save(circuit, 'f = x * y'), 'saved');

    const saved = expectLoaded(tab(storage, 'B').load());
    expectSameCircuit(saved.circuit, circuit);
    expect(saved.expression).toBe('f = x * y');
    expect(saved.tab).toBe('A');
    expect(saved.rev).toBe(1);
    expect(saved.savedAt).toBe(1_000);
    expect(saved.warnings).toEqual([]);
  });

  it('keeps NaN, ±Infinity, -0 and subnormals bit for bit', () => {
    const storage = new FakeStorage();
    tab(storage, 'A').save(awkward, null);
    const saved = expectLoaded(tab(storage, 'B').load());
    expectSameCircuit(saved.circuit, awkward);
    expect(saved.expression).toBeNull();
  });

  it('does not rely on JSON.stringify, which loses -0', () => {
    // Why the record is written with writeJson: the file object names non-finite numbers, but
    // JSON.stringify writes -0 as 0.
    const viaStringify = JSON.parse(JSON.stringify(toFileObject(awkward)));
    expect(Object.is(viaStringify.nodes[1].value, -0)).toBe(false);
    expect(viaStringify.nodes[0].value).toBe('NaN');
  });

  it('writes the documented record', () => {
    const storage = new FakeStorage();
    tab(storage, 'tab-1').save(product(3), 'x*y');
    const record = JSON.parse(storage.getItem(AUTOSAVE_KEY) ?? '');
    expect(record).toMatchObject({
      format: 'backprop-autosave',
      version: 1,
      rev: 1,
      tab: 'tab-1',
      savedAt: 1_000,
      expression: 'x*y',
      file: { format: 'backprop-circuit', version: 2, output: 'f' },
    });
    expect(AUTOSAVE_KEY).toBe('backprop-circuits:autosave:v1');
  });

  it('loads nothing from an empty storage', () => {
    expect(tab(new FakeStorage(), 'A').load()).toEqual({ kind: 'none' });
  });

  it('skips a write when nothing changed since the last write or load', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    expectKind(a.save(product(1), null), 'saved');
    expect(a.save(product(1), null)).toEqual({ kind: 'unchanged' });
    expectKind(a.save(product(1), 'x*y'), 'saved'); // the expression counts
    expect(storage.events).toHaveLength(2);

    const b = tab(storage, 'B');
    const loaded = expectLoaded(b.load());
    expect(b.save(loaded.circuit, loaded.expression)).toEqual({ kind: 'unchanged' });
  });

  it('uses another key when asked', () => {
    const storage = new FakeStorage();
    new Autosave(storage, { tabId: 'A', key: 'test:slot' }).save(product(1), null);
    expect([...storage.items.keys()]).toEqual(['test:slot']);
  });
});

describe('debounce', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('coalesces a burst of calls into one, with the latest arguments', () => {
    const fn = vi.fn<(n: number) => void>();
    const save = debounce(fn, 500);
    save(1);
    vi.advanceTimersByTime(300);
    save(2);
    vi.advanceTimersByTime(300);
    save(3);
    expect(fn).not.toHaveBeenCalled();
    expect(save.pending).toBe(true);
    vi.advanceTimersByTime(500);
    expect(fn.mock.calls).toEqual([[3]]);
    expect(save.pending).toBe(false);
  });

  it('flush runs a pending call at once, and only once', () => {
    const fn = vi.fn<(n: number) => void>();
    const save = debounce(fn, 500);
    save.flush(); // nothing pending
    expect(fn).not.toHaveBeenCalled();
    save(7);
    save.flush();
    expect(fn.mock.calls).toEqual([[7]]);
    vi.advanceTimersByTime(1_000);
    save.flush();
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('cancel drops a pending call', () => {
    const fn = vi.fn();
    const save = debounce(fn, 500);
    save();
    save.cancel();
    vi.advanceTimersByTime(1_000);
    save.flush();
    expect(fn).not.toHaveBeenCalled();
  });

  it('maxWait runs a stream of calls that never pauses', () => {
    const fn = vi.fn<(n: number) => void>();
    const save = debounce(fn, 500, { maxWait: 2_000 });
    for (let i = 1; i <= 25; i++) {
      save(i);
      vi.advanceTimersByTime(100);
    }
    expect(fn.mock.calls).toEqual([[20]]); // at 2,000 ms
    vi.advanceTimersByTime(500);
    expect(fn.mock.calls).toEqual([[20], [25]]);
  });

  it('drives autosave: a burst of edits writes once, flush writes now', () => {
    const storage = new FakeStorage();
    const autosave = tab(storage, 'A');
    const save = debounce((c: Circuit) => autosave.save(c, null), 500);
    for (let x = 0; x < 10; x++) save(product(x));
    expect(storage.getItem(AUTOSAVE_KEY)).toBeNull();
    vi.advanceTimersByTime(500);
    expect(xOf(expectLoaded(tab(storage, 'B').load()))).toBe(9);
    expect(storage.events).toHaveLength(1);

    save(product(42));
    save.flush(); // pagehide
    expect(xOf(expectLoaded(tab(storage, 'B').load()))).toBe(42);
  });

  it('accepts injected timers', () => {
    const queue = new Map<number, () => void>();
    let next = 0;
    const timers: Timers = {
      set: (callback) => {
        queue.set(++next, callback);
        return next;
      },
      clear: (handle) => {
        queue.delete(handle as number);
      },
    };
    const fn = vi.fn();
    const save = debounce(fn, 500, { timers });
    save();
    save();
    expect(queue.size).toBe(1);
    for (const callback of queue.values()) callback();
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('two tabs', () => {
  it('a save over another tab’s newer work is a conflict and writes nothing', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    const b = tab(storage, 'B');
    a.save(product(1), null);
    b.load();
    expectKind(b.save(product(2), null), 'saved');
    const theirsText = storage.getItem(AUTOSAVE_KEY);

    const conflict = expectKind(a.save(product(3), null), 'conflict');
    expect(xOf(conflict.theirs)).toBe(2);
    expect(conflict.theirs.tab).toBe('B');
    expect(storage.getItem(AUTOSAVE_KEY)).toBe(theirsText);
    // It stays a conflict until the user chooses.
    expectKind(a.save(product(4), null), 'conflict');
    expect(storage.getItem(AUTOSAVE_KEY)).toBe(theirsText);
  });

  it('a tab that never loaded does not write over another tab’s record', () => {
    const storage = new FakeStorage();
    tab(storage, 'B').save(product(2), null);
    expectKind(tab(storage, 'A').save(product(1), null), 'conflict');
    expect(xOf(expectLoaded(tab(storage, 'C').load()))).toBe(2);
  });

  it('"load theirs": adopt gives the other tab’s circuit, and saving goes on from there', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    const b = tab(storage, 'B');
    a.save(product(1), null);
    b.load();
    b.save(product(2), 'x*5');
    expectKind(a.save(product(3), null), 'conflict');

    const theirs = expectLoaded(a.adopt());
    expect(xOf(theirs)).toBe(2);
    expect(theirs.expression).toBe('x*5');
    expect(a.save(theirs.circuit, theirs.expression)).toEqual({ kind: 'unchanged' });
    expectKind(a.save(product(4), null), 'saved');
    // Now B is the one behind.
    expectKind(b.save(product(5), null), 'conflict');
  });

  it('"keep mine": forceSave writes over, with a newer revision', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    const b = tab(storage, 'B');
    a.save(product(1), null);
    b.load();
    b.save(product(2), null);
    b.save(product(22), null);
    expectKind(a.save(product(3), null), 'conflict');

    const forced = expectKind(a.forceSave(product(3), null), 'saved');
    expect(forced.rev).toBeGreaterThan(3);
    expect(xOf(expectLoaded(tab(storage, 'C').load()))).toBe(3);
    expectKind(a.save(product(4), null), 'saved');
    const conflict = expectKind(b.save(product(5), null), 'conflict');
    expect(xOf(conflict.theirs)).toBe(4);
  });

  it('forceSave writes even when the circuit has not changed', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    const b = tab(storage, 'B');
    a.save(product(1), null);
    b.load();
    b.save(product(2), null);
    expect(a.save(product(1), null)).toEqual({ kind: 'unchanged' });
    expectKind(a.forceSave(product(1), null), 'saved');
    expect(xOf(expectLoaded(tab(storage, 'C').load()))).toBe(1);
  });

  it('a tab re-saving its own latest record never conflicts', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    for (let x = 0; x < 20; x++) expectKind(a.save(product(x), null), 'saved');
    // A record of its own also counts when this instance did not write it (same tab id).
    expectKind(tab(storage, 'A').save(product(99), null), 'saved');
    expectKind(a.save(product(100), null), 'saved');
  });

  it('writes into an emptied slot', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    a.save(product(1), null);
    storage.removeItem(AUTOSAVE_KEY);
    expectKind(a.save(product(2), null), 'saved');
  });

  it('revisions only grow', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    const b = tab(storage, 'B');
    const revs: number[] = [];
    a.save(product(1), null);
    revs.push(expectLoaded(b.load()).rev);
    b.save(product(2), null);
    revs.push(expectLoaded(tab(storage, 'C').load()).rev);
    a.forceSave(product(3), null);
    revs.push(expectLoaded(tab(storage, 'C').load()).rev);
    expect(revs).toEqual([1, 2, 3]);
  });

  describe('onExternalChange (the storage event)', () => {
    it('recognises a newer record from another tab', () => {
      const storage = new FakeStorage();
      const a = tab(storage, 'A');
      const b = tab(storage, 'B');
      a.save(product(1), null);
      b.load();
      b.save(product(2), null);
      const event = storage.events.at(-1);
      if (!event) throw new Error('no event');
      expect(a.onExternalChange(event)).toBe('theirs-newer');
      // Once adopted, the same record is this tab's base.
      a.adopt();
      expect(a.onExternalChange(event)).toBe('ignore');
    });

    it('ignores this tab’s own writes, other keys, removals and unreadable text', () => {
      const storage = new FakeStorage();
      const a = tab(storage, 'A');
      a.save(product(1), null);
      const own = storage.events.at(-1);
      if (!own) throw new Error('no event');
      expect(a.onExternalChange(own)).toBe('ignore');
      // Our record, even as seen by a fresh instance of this tab.
      expect(tab(storage, 'A').onExternalChange(own)).toBe('ignore');
      expect(a.onExternalChange({ key: 'theme', newValue: 'dark' })).toBe('ignore');
      expect(a.onExternalChange({ key: `${AUTOSAVE_KEY}:previous`, newValue: own.newValue })).toBe(
        'ignore',
      );
      expect(a.onExternalChange({ key: AUTOSAVE_KEY, newValue: null })).toBe('ignore');
      expect(a.onExternalChange({ key: null, newValue: null })).toBe('ignore');
      expect(a.onExternalChange({ key: AUTOSAVE_KEY, newValue: '{oops' })).toBe('ignore');
    });
  });
});

describe('quota', () => {
  const big: Circuit = {
    nodes: [node('w', 'input', { value: t([100, 100], new Array(10_000).fill(0.123456789)) })],
    wires: [],
    output: null,
  };

  it('a full storage gives a warning and keeps the old record', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    expectKind(a.save(product(1), null), 'saved');
    const before = storage.getItem(AUTOSAVE_KEY);
    storage.quota = 5_000;

    const outcome = expectKind(a.save(big, null), 'quota');
    expect(outcome.error).toMatch(/full/);
    expect(storage.getItem(AUTOSAVE_KEY)).toBe(before);

    // Not counted as written: the same circuit is tried again, and goes through once there is room.
    expectKind(a.save(big, null), 'quota');
    storage.quota = Number.POSITIVE_INFINITY;
    expectKind(a.save(big, null), 'saved');
    expectSameCircuit(expectLoaded(tab(storage, 'B').load()).circuit, big);
  });

  it('any storage failure is reported, never thrown', () => {
    const broken = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => {
        throw new Error('disk on fire');
      },
      removeItem: () => {
        throw new Error('disk on fire');
      },
    };
    const a = new Autosave(broken, { tabId: 'A' });
    const loaded = a.load();
    expect(loaded.kind).toBe('unavailable');
    expect(loaded.kind === 'unavailable' && loaded.error).toMatch(/unavailable \(denied\)/);
    expect(expectKind(a.save(product(1), null), 'quota').error).toMatch(/unavailable/);
    expect(a.keepPrevious(product(1), null).kind).toBe('quota');
    expect(a.keepClosed(product(1), null).kind).toBe('quota');
    expect(a.previous().kind).toBe('unavailable');
    expect(a.closed()).toEqual([]);
    expect(() => a.clearPrevious()).not.toThrow();
    expect(a.corruptKeys()).toEqual([]);
  });

  it('a write that only fails in setItem is a quota warning too', () => {
    const storage = new FakeStorage();
    storage.quota = 10;
    expectKind(tab(storage, 'A').save(product(1), null), 'quota');
    expect(storage.items.size).toBe(0);
  });
});

describe('corrupt records', () => {
  const valid = (() => {
    const storage = new FakeStorage();
    tab(storage, 'A').save(product(1), null);
    return JSON.parse(storage.getItem(AUTOSAVE_KEY) ?? '');
  })();

  const unknownOp = JSON.stringify({
    ...valid,
    file: { ...valid.file, nodes: [{ id: 'x', op: 'frobnicate' }], wires: [], output: null },
  });

  const cases: [string, string, RegExp][] = [
    ['garbage', '{"format": "backprop-autosave", oops', /not valid JSON/],
    ['an unknown op', unknownOp, /unknown op 'frobnicate'/],
    ['another format', JSON.stringify({ ...valid, format: 'something-else' }), /not an autosave/],
    ['a bare circuit file', JSON.stringify(valid.file), /not an autosave/],
    ['a bad revision', JSON.stringify({ ...valid, rev: -1 }), /rev/],
    ['a bad expression', JSON.stringify({ ...valid, expression: 3 }), /expression/],
    ['an array', '[]', /not a JSON object/],
  ];

  it.each(cases)('%s is set aside verbatim, the slot cleared, and reported', (_, raw, error) => {
    const storage = new FakeStorage();
    storage.setItem(AUTOSAVE_KEY, raw);
    const a = tab(storage, 'A', () => 1234);

    const result = a.load();
    if (result.kind !== 'corrupt') throw new Error(`expected corrupt, got ${result.kind}`);
    expect(result.error).toMatch(error);
    expect(result.setAsideKey).toBe(`${AUTOSAVE_KEY}:corrupt:1234`);
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:1234`)).toBe(raw);
    expect(storage.getItem(AUTOSAVE_KEY)).toBeNull();
    expect(a.corruptKeys()).toEqual([`${AUTOSAVE_KEY}:corrupt:1234`]);

    // Saving afterwards leaves the set-aside copy alone.
    expectKind(a.save(product(2), null), 'saved');
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:1234`)).toBe(raw);
  });

  it('never overwrites an earlier set-aside record', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A', () => 1234);
    storage.setItem(AUTOSAVE_KEY, 'first');
    a.load();
    storage.setItem(AUTOSAVE_KEY, 'second');
    a.load();
    expect(a.corruptKeys()).toEqual([
      `${AUTOSAVE_KEY}:corrupt:1234`,
      `${AUTOSAVE_KEY}:corrupt:1234-2`,
    ]);
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:1234`)).toBe('first');
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:1234-2`)).toBe('second');
  });

  it('a save that finds an unreadable record sets it aside before writing', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A', () => 77);
    a.save(product(1), null);
    storage.setItem(AUTOSAVE_KEY, 'garbage from somewhere');

    const saved = expectKind(a.save(product(2), null), 'saved');
    expect(saved.setAside?.key).toBe(`${AUTOSAVE_KEY}:corrupt:77`);
    expect(saved.setAside?.error).toMatch(/not valid JSON/);
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:77`)).toBe('garbage from somewhere');
    expect(xOf(expectLoaded(tab(storage, 'B').load()))).toBe(2);

    // forceSave sets it aside too.
    storage.setItem(AUTOSAVE_KEY, 'more garbage');
    expect(expectKind(a.forceSave(product(3), null), 'saved').setAside?.key).toBe(
      `${AUTOSAVE_KEY}:corrupt:77-2`,
    );
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:77-2`)).toBe('more garbage');
  });

  it('with no room for a copy, it is moved; with no room at all, it stays where it was', () => {
    const raw = 'x'.repeat(1_000);
    const storage = new FakeStorage();
    storage.setItem(AUTOSAVE_KEY, raw);
    storage.quota = storage.used() + 100; // no room for a second copy
    const result = tab(storage, 'A', () => 5).load();
    expect(result).toMatchObject({ kind: 'corrupt', setAsideKey: `${AUTOSAVE_KEY}:corrupt:5` });
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:5`)).toBe(raw);
    expect(storage.getItem(AUTOSAVE_KEY)).toBeNull();

    const tight = new FakeStorage();
    tight.setItem(AUTOSAVE_KEY, raw);
    tight.quota = tight.used(); // the longer set-aside key does not fit
    const a = tab(tight, 'A', () => 5);
    expect(a.load()).toMatchObject({ kind: 'corrupt', setAsideKey: null });
    expect(tight.getItem(AUTOSAVE_KEY)).toBe(raw);
    // And a save does not write over it.
    expectKind(a.save(product(1), null), 'quota');
    expect(tight.getItem(AUTOSAVE_KEY)).toBe(raw);
  });

  it('an unreadable record from another tab does not raise a conflict warning', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    a.save(product(1), null);
    expect(a.onExternalChange({ key: AUTOSAVE_KEY, newValue: 'garbage' })).toBe('ignore');
  });
});

describe('previous circuit', () => {
  it('keeps the circuit a link replaces, across a reload, until cleared', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    a.save(product(1), 'x*5');
    expect(a.previous()).toEqual({ kind: 'none' });

    expect(a.keepPrevious(product(1), 'x*5', { circuit: awkward, expression: null })).toEqual({
      kind: 'saved',
    });
    a.save(awkward, null);

    const reloaded = tab(storage, 'A2');
    const previous = expectLoaded(reloaded.previous());
    expectSameCircuit(previous.circuit, product(1));
    expect(previous.expression).toBe('x*5');
    expectSameCircuit(expectLoaded(reloaded.load()).circuit, awkward);

    reloaded.clearPrevious();
    expect(reloaded.previous()).toEqual({ kind: 'none' });
  });

  it('does not push out the previous circuit with one it can get back from a link', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    const work = product(1);
    const linkA = { circuit: product(10), expression: 'a' };
    const linkB = { circuit: product(20), expression: 'b' };

    expect(a.keepPrevious(work, null, linkA).kind).toBe('saved');
    // Link B replaces link A's circuit, unedited: the work stays the previous circuit.
    expect(a.keepPrevious(linkA.circuit, linkA.expression, linkB).kind).toBe('unchanged');
    // The same link again.
    expect(a.keepPrevious(linkB.circuit, linkB.expression, linkB).kind).toBe('unchanged');
    expect(xOf(expectLoaded(a.previous()))).toBe(1);

    // An edited link circuit is work: it is kept.
    expect(a.keepPrevious(product(21), 'b', linkA).kind).toBe('saved');
    expect(xOf(expectLoaded(a.previous()))).toBe(21);
    // Keeping the same circuit twice writes once.
    const writes = storage.events.length;
    expect(a.keepPrevious(product(21), 'b').kind).toBe('unchanged');
    expect(storage.events).toHaveLength(writes);
  });

  it('an empty circuit is not worth keeping', () => {
    const a = tab(new FakeStorage(), 'A');
    expect(a.keepPrevious({ nodes: [], wires: [], output: null }, null).kind).toBe('unchanged');
    expect(a.previous()).toEqual({ kind: 'none' });
  });

  it('is separate from the main slot: saving and conflicts leave it alone', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A');
    const b = tab(storage, 'B');
    a.keepPrevious(product(1), null);
    a.save(product(2), null);
    b.save(product(3), null); // conflict, nothing written
    expect(xOf(expectLoaded(b.previous()))).toBe(1);
  });

  it('an unreadable previous circuit is set aside, not overwritten', () => {
    const storage = new FakeStorage();
    storage.setItem(`${AUTOSAVE_KEY}:previous`, 'garbage');
    const a = tab(storage, 'A', () => 9);
    expect(a.keepPrevious(product(1), null).kind).toBe('saved');
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:9`)).toBe('garbage');
    expect(xOf(expectLoaded(a.previous()))).toBe(1);

    storage.setItem(`${AUTOSAVE_KEY}:previous`, 'more garbage');
    expect(a.previous()).toMatchObject({
      kind: 'corrupt',
      setAsideKey: `${AUTOSAVE_KEY}:corrupt:9-2`,
    });
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:9-2`)).toBe('more garbage');
  });
});

describe('a tab closed during a conflict', () => {
  it('keeps its edits as a record of their own, which the other tab is told of and can take', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A', clock(1_000));
    const b = tab(storage, 'B', clock(2_000));
    a.save(product(1), null);
    b.load();
    b.save(product(2), null);
    expectKind(a.save(product(3), null), 'conflict');

    // A closes: its edits go beside the main slot, which keeps B's record.
    const mainBefore = storage.getItem(AUTOSAVE_KEY);
    expect(a.keepClosed(product(3), 'x*5')).toEqual({ kind: 'saved' });
    expect(storage.getItem(AUTOSAVE_KEY)).toBe(mainBefore);
    const event = storage.events[storage.events.length - 1];
    expect(event.key).toBe(`${AUTOSAVE_KEY}:closed:A`);
    expect(b.onExternalChange(event)).toBe('closed-tab');

    // A tab does not offer its own record; another one does, and taking it removes it.
    expect(a.closed()).toEqual([]);
    const records = b.closed();
    expect(records.map((r) => r.key)).toEqual([`${AUTOSAVE_KEY}:closed:A`]);
    expect(xOf(records[0].saved)).toBe(3);
    const taken = expectLoaded(b.takeClosed(records[0].key));
    expectSameCircuit(taken.circuit, product(3));
    expect(taken.expression).toBe('x*5');
    expect(storage.getItem(`${AUTOSAVE_KEY}:closed:A`)).toBeNull();
    expect(b.closed()).toEqual([]);
    // Only closed-tab keys can be taken.
    expect(b.takeClosed(AUTOSAVE_KEY)).toEqual({ kind: 'none' });
    expect(xOf(expectLoaded(tab(storage, 'C').load()))).toBe(2);
  });

  it('lists the newest first and skips unreadable ones', () => {
    const storage = new FakeStorage();
    tab(storage, 'A', clock(5)).keepClosed(product(1), null);
    tab(storage, 'B', clock(9)).keepClosed(product(2), null);
    storage.setItem(`${AUTOSAVE_KEY}:closed:C`, 'garbage');
    const c = tab(storage, 'C');
    expect(c.onExternalChange({ key: `${AUTOSAVE_KEY}:closed:C`, newValue: 'garbage' })).toBe(
      'ignore',
    );
    expect(c.closed().map((r) => xOf(r.saved))).toEqual([2, 1]);
  });
});

describe('records of other versions', () => {
  /** `f = x * 2 + 1` as the first version saved it: its numbers are const nodes. */
  const v1Circuit: Circuit = {
    nodes: [
      node('x', 'input', { value: t([], [3]), position: { x: 0, y: 0 } }),
      node('two', 'const', { value: t([], [2]), position: { x: 0, y: 100 } }),
      node('one', 'const', { value: t([], [1]), position: { x: 0, y: 200 } }),
      node('m', 'mul', { position: { x: 200, y: 50 } }),
      node('f', 'add', { position: { x: 400, y: 100 } }),
    ],
    wires: [wire('x', 'm', 'a'), wire('two', 'm', 'b'), wire('m', 'f', 'a'), wire('one', 'f', 'b')],
    output: nodeId('f'),
  };
  /** A record as the first version wrote it (its file of format version 1). */
  const v1Record = (tabId = 'old', rev = 4) =>
    `{"format":"backprop-autosave","version":1,"rev":${rev},"tab":"${tabId}","savedAt":77,` +
    `"expression":"x = 3\\nf = x * 2 + 1","file":${writeJson(toV1FileObject(v1Circuit), '')}}`;
  const migrated: Circuit = {
    nodes: [
      v1Circuit.nodes[0],
      node('m', 'mul', { position: { x: 200, y: 50 }, params: { b: lit(2) } }),
      node('f', 'add', { position: { x: 400, y: 100 }, params: { b: lit(1) } }),
    ],
    wires: [wire('x', 'm', 'a'), wire('m', 'f', 'a')],
    output: nodeId('f'),
  };

  it('an older record is migrated as it loads, never set aside, and the same numbers come out', () => {
    const storage = new FakeStorage();
    const raw = v1Record();
    storage.setItem(AUTOSAVE_KEY, raw);
    const a = tab(storage, 'A');
    const saved = expectLoaded(a.load());
    expectSameCircuit(saved.circuit, migrated);
    expect(saved.expression).toBe('x = 3\nf = x * 2 + 1');
    expect(saved.warnings).toEqual([]);
    expect(a.corruptKeys()).toEqual([]);
    // f = 7 and ∂f/∂x = 2, as in version 1.
    const was = compile(v1Circuit).run();
    const is = compile(saved.circuit).run();
    for (const id of ['x', 'm', 'f']) {
      expect(is.value(id)).toBe(was.value(id));
      expect(is.grad(id)).toBe(was.grad(id));
    }
    expect(is.value('f')).toBe(7);
    // The slot keeps it as written until something changes; the next change writes version 2
    // on from its revision, as its own tab would (the record was loaded, so no conflict).
    expect(a.save(saved.circuit, saved.expression)).toEqual({ kind: 'unchanged' });
    expect(storage.getItem(AUTOSAVE_KEY)).toBe(raw);
    expectKind(a.save(migrated, null), 'saved');
    const record = JSON.parse(storage.getItem(AUTOSAVE_KEY) ?? '');
    expect(record.rev).toBe(5);
    expect(record.file.version).toBe(2);
  });

  it('an older previous circuit and closed-tab record are migrated too', () => {
    const storage = new FakeStorage();
    storage.setItem(`${AUTOSAVE_KEY}:previous`, v1Record('old', 0));
    storage.setItem(`${AUTOSAVE_KEY}:closed:old`, v1Record('old', 0));
    const a = tab(storage, 'A');
    expectSameCircuit(expectLoaded(a.previous()).circuit, migrated);
    expect(a.closed().map((r) => r.key)).toEqual([`${AUTOSAVE_KEY}:closed:old`]);
    expectSameCircuit(expectLoaded(a.takeClosed(`${AUTOSAVE_KEY}:closed:old`)).circuit, migrated);
  });

  const valid = (() => {
    const storage = new FakeStorage();
    tab(storage, 'new').save(product(1), null);
    return JSON.parse(storage.getItem(AUTOSAVE_KEY) ?? '');
  })();
  const newer: [string, string][] = [
    ['a newer autosave version', JSON.stringify({ ...valid, version: 2, more: [1] })],
    ['a newer circuit format', JSON.stringify({ ...valid, file: { ...valid.file, version: 3 } })],
  ];

  it.each(newer)(
    '%s is kept where it is, never written over, and the user told to update',
    (_, raw) => {
      const storage = new FakeStorage();
      storage.setItem(AUTOSAVE_KEY, raw);
      const a = tab(storage, 'A', () => 1234);

      const result = a.load();
      if (result.kind !== 'newer') throw new Error(`expected newer, got ${JSON.stringify(result)}`);
      expect(result.error).toMatch(
        /^The circuit saved in this browser cannot be opened here: it was made by a newer version of Backprop Circuits \(.+\)\. It is kept as it is, and this tab does not save over it; update Backprop Circuits \(reload the page\) to open it$/,
      );
      expect(a.corruptKeys()).toEqual([]);

      // Neither saving nor "keep mine" writes over it, however often.
      expect(a.save(product(2), null)).toEqual({ kind: 'newer', error: result.error });
      expect(a.forceSave(product(2), null)).toEqual({ kind: 'newer', error: result.error });
      expect(tab(storage, 'B').save(product(3), null).kind).toBe('newer');
      expect(storage.getItem(AUTOSAVE_KEY)).toBe(raw);
      expect([...storage.items.keys()]).toEqual([AUTOSAVE_KEY]);
      // Another tab writing it is no conflict to offer: the next save says what it is.
      expect(a.onExternalChange({ key: AUTOSAVE_KEY, newValue: raw })).toBe('ignore');
    },
  );

  it.each(newer)('%s in the previous slot or a closed tab is kept too', (_, raw) => {
    const storage = new FakeStorage();
    storage.setItem(`${AUTOSAVE_KEY}:previous`, raw);
    storage.setItem(`${AUTOSAVE_KEY}:closed:Z`, raw);
    const a = tab(storage, 'A');
    expect(a.previous().kind).toBe('newer');
    expect(a.keepPrevious(product(4), null).kind).toBe('newer');
    expect(storage.getItem(`${AUTOSAVE_KEY}:previous`)).toBe(raw);
    expect(a.closed()).toEqual([]);
    expect(a.takeClosed(`${AUTOSAVE_KEY}:closed:Z`).kind).toBe('newer');
    expect(storage.getItem(`${AUTOSAVE_KEY}:closed:Z`)).toBe(raw);
    expect(a.corruptKeys()).toEqual([]);
  });
});

describe('a record that reads but cannot be opened', () => {
  it('is set aside verbatim from the main slot, which is then free', () => {
    const storage = new FakeStorage();
    tab(storage, 'A').save(product(1), null);
    const raw = storage.getItem(AUTOSAVE_KEY);
    const b = tab(storage, 'B', () => 77);
    expectLoaded(b.load());
    expect(b.setAsideUnopenable('main')).toBe(`${AUTOSAVE_KEY}:corrupt:77`);
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:77`)).toBe(raw);
    expect(storage.getItem(AUTOSAVE_KEY)).toBeNull();
    expect(b.corruptKeys()).toEqual([`${AUTOSAVE_KEY}:corrupt:77`]);
    // B writes its own circuit next, without a conflict.
    expectKind(b.save(product(5), null), 'saved');
  });

  it('is left alone when another tab has written since', () => {
    const storage = new FakeStorage();
    tab(storage, 'A').save(product(1), null);
    const b = tab(storage, 'B');
    expectLoaded(b.load());
    storage.setItem(
      AUTOSAVE_KEY,
      storage.getItem(AUTOSAVE_KEY)?.replace('"rev":1', '"rev":2') ?? '',
    );
    expect(b.setAsideUnopenable('main')).toBeNull();
    expect(b.corruptKeys()).toEqual([]);
  });

  it('is set aside from the previous slot', () => {
    const storage = new FakeStorage();
    const a = tab(storage, 'A', () => 5);
    a.keepPrevious(product(1), null);
    const raw = storage.getItem(`${AUTOSAVE_KEY}:previous`);
    expectLoaded(a.previous());
    expect(a.setAsideUnopenable('previous')).toBe(`${AUTOSAVE_KEY}:corrupt:5`);
    expect(storage.getItem(`${AUTOSAVE_KEY}:corrupt:5`)).toBe(raw);
    expect(a.previous()).toEqual({ kind: 'none' });
  });
});
