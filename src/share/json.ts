/**
 * A small JSON writer for the file format. It lays text out like `JSON.stringify(x, null, 2)`
 * with two differences:
 * - `-0` is written as `-0` (JSON.stringify writes `0`); `JSON.parse('-0')` reads it back as -0,
 *   so a saved circuit keeps the sign of its zeros.
 * - an array holding only numbers and strings (a vector, or one row of a matrix) stays on one
 *   line, so a matrix reads as a grid instead of one number per line.
 *
 * It takes plain data only: objects, arrays, strings, finite numbers, booleans and null.
 * Non-finite numbers become `null`, as JSON.stringify does; the codec encodes them before
 * they get here. Keys whose value is `undefined` are left out.
 *
 * The codecs only hand it objects whose keys are their own field names: ids and names travel
 * as values (strings in arrays), never as keys. A Map, a typed array or any other object that
 * is not plain data is refused with a TypeError rather than written as `{}` or as an object of
 * indices, which would quietly lose it.
 */
export function writeJson(value: unknown, indent = '  '): string {
  return write(value, '', indent);
}

/** The same rules on one line, for links: no spaces, no line breaks. */
export function writeCompactJson(value: unknown): string {
  const leaf = writeLeaf(value);
  if (leaf !== undefined) return leaf;
  if (Array.isArray(value)) return `[${value.map((item) => writeCompactJson(item)).join(',')}]`;
  const parts: string[] = [];
  for (const [key, item] of plainEntries(value as object)) {
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${writeCompactJson(item)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Anything but an array or an object, as JSON text (keeping -0); undefined for those two. */
function writeLeaf(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      if (Object.is(value, -0)) return '-0';
      return Number.isFinite(value) ? String(value) : 'null';
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return undefined;
    default:
      return 'null';
  }
}

function write(value: unknown, pad: string, indent: string): string {
  const leaf = writeLeaf(value);
  if (leaf !== undefined) return leaf;
  const inner = pad + indent;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => write(item, inner, indent));
    if (value.every(isLeaf)) return `[${items.join(', ')}]`;
    return `[\n${inner}${items.join(`,\n${inner}`)}\n${pad}]`;
  }
  const entries: string[] = [];
  for (const [key, item] of plainEntries(value as object)) {
    if (item === undefined) continue;
    entries.push(`${JSON.stringify(key)}: ${write(item, inner, indent)}`);
  }
  if (entries.length === 0) return '{}';
  return `{\n${inner}${entries.join(`,\n${inner}`)}\n${pad}}`;
}

/** The own entries of a plain object (or one without a prototype); anything else throws. */
function plainEntries(value: object): [string, unknown][] {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    throw new TypeError(
      `writeJson takes plain data, not ${typeof kind === 'string' ? `a ${kind}` : 'this object'}`,
    );
  }
  return Object.entries(value);
}

function isLeaf(item: unknown): boolean {
  return typeof item === 'number' || typeof item === 'string';
}
