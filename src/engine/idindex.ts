/**
 * Node id → small integer, for `compile` and `Program.slot`.
 *
 * It does what a `Map<string, number>` does, for less: indexing every id and looking up both
 * ends of every wire took a Map 1.1–1.5× as long at 10⁴–10⁶ nodes (right after a full GC, as
 * the benchmark compiles), and its entries are more for the GC to trace. This is an
 * open-addressing table (linear probing) in one Int32Array, sized once up front: nothing is
 * allocated per id. A cell holds an entry number + 1 (0 = empty); the ids themselves stay in
 * the caller's `keys` array (`keys[entry]` is the id of `entry`), so a probe compares strings
 * that are usually the very same object.
 *
 * `compile` numbers entries by node index; the program it makes maps them to slots with
 * `mapTo`, so the same table serves `Program.slot` without being rebuilt.
 */
export class IdIndex {
  private readonly cells: Int32Array;
  private readonly mask: number;
  private readonly keys: readonly string[];
  /** entry → the number `get` answers (identity when absent). */
  private values: Int32Array | undefined;

  /** An empty index with room for `capacity` ids; `keys[entry]` must be the id of `entry`. */
  constructor(capacity: number, keys: readonly string[]) {
    let size = 16;
    while (size < 2 * capacity) size *= 2; // at most half full: short probe runs
    this.cells = new Int32Array(size);
    this.mask = size - 1;
    this.keys = keys;
    this.values = undefined;
  }

  /**
   * Adds `key` (which is `keys[entry]`) unless an equal id is there already. Returns -1 when
   * added, or the entry that already has this id (which then stays).
   */
  add(key: string, entry: number): number {
    const cells = this.cells;
    const mask = this.mask;
    for (let c = hashOf(key) & mask; ; c = (c + 1) & mask) {
      const stored = cells[c];
      if (stored === 0) {
        cells[c] = entry + 1;
        return -1;
      }
      if (this.keys[stored - 1] === key) return stored - 1;
    }
  }

  /** Like `Map.set`: a later entry with the same id replaces the earlier one. */
  set(key: string, entry: number): void {
    const cells = this.cells;
    const mask = this.mask;
    for (let c = hashOf(key) & mask; ; c = (c + 1) & mask) {
      const stored = cells[c];
      if (stored === 0 || this.keys[stored - 1] === key) {
        cells[c] = entry + 1;
        return;
      }
    }
  }

  /** The entry of an id (or what `mapTo` maps it to), or -1. */
  get(key: string): number {
    // A Map answers "absent" for a key of another type; so does this.
    if (typeof key !== 'string') return -1;
    const cells = this.cells;
    const mask = this.mask;
    for (let c = hashOf(key) & mask; ; c = (c + 1) & mask) {
      const stored = cells[c];
      if (stored === 0) return -1;
      if (this.keys[stored - 1] === key) {
        return this.values === undefined ? stored - 1 : this.values[stored - 1];
      }
    }
  }

  /** From now on `get` answers `values[entry]` instead of the entry. */
  mapTo(values: Int32Array): void {
    this.values = values;
  }
}

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser to spread the low bits. */
export function hashOf(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
