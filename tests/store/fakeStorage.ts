import type { StorageLike } from '../../src/store/autosave';

/** The event a browser would fire in the other tabs after a write. */
export interface StorageEventLike {
  key: string | null;
  newValue: string | null;
}

/**
 * An in-memory Web Storage. `quota` (in characters of keys and values) makes `setItem` throw
 * a QuotaExceededError like a browser does, leaving the old value in place. Several fakes
 * (tabs) may share one `items` map.
 */
export class FakeStorage implements StorageLike {
  readonly items: Map<string, string>;
  quota = Number.POSITIVE_INFINITY;
  /** Every write or removal, as the 'storage' event other tabs would get. */
  readonly events: StorageEventLike[] = [];

  constructor(items: Map<string, string> = new Map()) {
    this.items = items;
  }

  get length(): number {
    return this.items.size;
  }

  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    const old = this.items.get(key);
    const used = this.used() - (old === undefined ? 0 : key.length + old.length);
    if (used + key.length + value.length > this.quota) {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
    this.items.set(key, value);
    this.events.push({ key, newValue: value });
  }

  removeItem(key: string): void {
    this.items.delete(key);
    this.events.push({ key, newValue: null });
  }

  used(): number {
    let n = 0;
    for (const [k, v] of this.items) n += k.length + v.length;
    return n;
  }
}
