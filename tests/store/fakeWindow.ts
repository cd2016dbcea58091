import type { StorageLike } from '../../src/store/autosave';
import type { FakeStorage } from './fakeStorage';

type Listener = (event: unknown) => void;

let tabs = 0;

/**
 * The part of a browser window a session uses: localStorage (whose getter throws while
 * `blocked`, like a browser that blocks site data), the location hash, a tab id, and events
 * (pagehide, storage, hashchange, visibilitychange) fired by hand.
 */
export class FakeWindow {
  readonly location = { hash: '' };
  readonly crypto = { randomUUID: () => `tab-${++tabs}` };
  blocked = false;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly documentListeners = new Map<string, Set<Listener>>();
  readonly document = {
    visibilityState: 'visible' as 'visible' | 'hidden',
    addEventListener: (type: string, f: Listener) => add(this.documentListeners, type, f),
    removeEventListener: (type: string, f: Listener) => this.documentListeners.get(type)?.delete(f),
  };
  /** How many of the storage's events have been handed to the other tabs (see `deliver`). */
  delivered = 0;

  constructor(readonly storage: FakeStorage | StorageLike) {}

  get localStorage(): StorageLike {
    if (this.blocked) throw new DOMException('The operation is insecure.', 'SecurityError');
    return this.storage;
  }

  addEventListener(type: string, f: Listener): void {
    add(this.listeners, type, f);
  }

  removeEventListener(type: string, f: Listener): void {
    this.listeners.get(type)?.delete(f);
  }

  fire(type: string, event: unknown = {}): void {
    for (const f of this.listeners.get(type) ?? []) f(event);
  }

  /** What `startSession` takes. */
  get asWindow(): Window {
    return this as unknown as Window;
  }
}

function add(map: Map<string, Set<Listener>>, type: string, f: Listener): void {
  const set = map.get(type) ?? new Set();
  set.add(f);
  map.set(type, set);
}

/**
 * Hands the writes `from` made since the last call to the other tabs as 'storage' events, as
 * a browser does (the writing tab gets none).
 */
export function deliver(from: FakeWindow, storage: FakeStorage, to: readonly FakeWindow[]): void {
  const events = storage.events.slice(from.delivered);
  from.delivered = storage.events.length;
  for (const event of events) for (const w of to) w.fire('storage', event);
}
