/**
 * Small helpers for reading untrusted data (a file, a link's payload, a stored record) and
 * for naming what was found in a message. Nothing here copies a key from the input or reads
 * an inherited property, so `__proto__` and `constructor` are ordinary text.
 */

/** A plain object (not null, not an array). */
export function isRecord(x: unknown): x is object {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** An object's own property: inherited ones (from a prototype) are never read. */
export function own(obj: object, key: string): unknown {
  return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Quotes untrusted text for a message, cut short if it is long. */
export function quote(text: string): string {
  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}

/** What an unexpected value is, for a message: "null", "an array", "the text 'abc'". */
export function kindOf(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string') return `the text ${quote(x)}`;
  if (typeof x === 'number') return `the number ${x}`;
  if (typeof x === 'boolean') return String(x);
  return `${typeof x === 'object' ? 'an object' : typeof x}`;
}

/** "an input", "a mul": an op name with its article. */
export function withArticle(op: string): string {
  return /^[aeiou]/.test(op) ? `an ${op}` : `a ${op}`;
}

/** "node 3 (id 'f')", or "node 3" before the id is known: a node by its place in the file. */
export function nodePlace(index: number, id?: string): string {
  return id === undefined ? `node ${index}` : `node ${index} (id ${quote(id)})`;
}
