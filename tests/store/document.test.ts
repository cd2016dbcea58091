import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/engine/random';
import { withEntry } from '../../src/store/document';
import { HOSTILE_NAMES } from '../share/circuits';

describe('withEntry', () => {
  it('reads like a copy of the map with the entry set, through any number of edits', () => {
    const rnd = mulberry32(7);
    const keys = [...HOSTILE_NAMES, ...Array.from({ length: 60 }, (_, i) => `k${i}`)];
    let patched: ReadonlyMap<string, number> = new Map(keys.slice(0, 30).map((k, i) => [k, i]));
    let copy = new Map(patched);
    for (let edit = 0; edit < 400; edit++) {
      const key = keys[Math.floor(rnd() * keys.length)];
      const value = Math.floor(rnd() * 1000);
      const before = [...patched];
      const next = withEntry(patched, key, value);
      // The map it was made from is unchanged.
      expect([...patched]).toEqual(before);
      patched = next;
      copy = new Map(copy).set(key, value);
      expect([...patched]).toEqual([...copy]);
      expect(patched.size).toBe(copy.size);
      expect(patched.get(key)).toBe(value);
      expect(patched.has('absent')).toBe(false);
      expect(patched.get('absent')).toBeUndefined();
    }
    expect([...patched.keys()]).toEqual([...copy.keys()]);
    expect([...patched.values()]).toEqual([...copy.values()]);
    const seen: string[] = [];
    patched.forEach((_, k) => {
      seen.push(k);
    });
    expect(seen).toEqual([...copy.keys()]);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});
