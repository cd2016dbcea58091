/**
 * The circuit file format, version 1: a JSON object
 * `{ "format": "backprop-circuit", "version": 1, "nodes": [...], "wires": [...], "output": id }`.
 *
 * Writing is exact: every number comes back bit for bit, including NaN, ±Infinity (stored as
 * the strings "NaN", "Infinity", "-Infinity"), -0 and subnormals.
 *
 * Reading treats the input as untrusted. It checks the envelope (format and version), migrates
 * older versions forward, then checks every node and wire against the op registry and the
 * table of limits (`LIMITS`). It never throws: the result is a circuit (with warnings for
 * things it dropped or changed) or one message naming the place that is wrong. Nothing is
 * copied from the input object by key, and everything keyed by an id is a Map, so ids and
 * keys such as `__proto__` or `constructor` are ordinary text.
 *
 * Each record (node, wire) is described by one table of fields. The same table writes the
 * record and reads it back, so the two directions cannot drift apart.
 */
import { formatCount, LIMITS, overLimit } from '../engine/limits';
import { getOp, isSource } from '../engine/ops';
import { SCALAR } from '../engine/tensor';
import {
  type Circuit,
  type CircuitNode,
  type NodeId,
  nodeId,
  type Position,
  portName,
  type Tensor,
  type Wire,
} from '../engine/types';
import { writeJson } from './json';
import { decodeNumber, encodeNumber, type FileNumber } from './numbers';

export const FILE_FORMAT = 'backprop-circuit';
/** The version this app writes, and the newest it reads. */
export const FILE_VERSION = 1;
/** The oldest version that ever existed. */
const FIRST_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// The file's shape

/** A node's value in a file: a number, a vector, or a matrix given as rows. */
export type FileValue = FileNumber | FileNumber[] | FileNumber[][];

export interface FileNode {
  id: string;
  op: string;
  label?: string;
  position?: { x: number; y: number };
  /** Only on `input` and `const` nodes. */
  value?: FileValue;
}

export interface FileWire {
  from: string;
  to: string;
  port: string;
}

export interface CircuitFileV1 {
  format: typeof FILE_FORMAT;
  version: typeof FILE_VERSION;
  nodes: FileNode[];
  wires: FileWire[];
  output: string | null;
}

export type Decoded =
  | { ok: true; circuit: Circuit; warnings: string[] }
  | {
      ok: false;
      error: string;
      /**
       * Set when reading threw instead of finding something wrong: a bug in the reader, or a
       * hostile object (a getter that throws, a proxy). JSON text never gets here.
       */
      unexpected?: true;
    };

// ---------------------------------------------------------------------------------------------
// Writing

/** The circuit as a plain file object, ready for JSON (non-finite numbers already named). */
export function toFileObject(circuit: Circuit): CircuitFileV1 {
  return {
    format: FILE_FORMAT,
    version: FILE_VERSION,
    nodes: circuit.nodes.map((node) => writeFields(NODE_FIELDS, node)),
    wires: circuit.wires.map((wire) => writeFields(WIRE_FIELDS, wire)),
    output: circuit.output,
  };
}

/**
 * The circuit as indented JSON text. Unlike `JSON.stringify` it keeps -0 (written `-0`), and it
 * keeps each vector or matrix row on one line.
 */
export function serializeCircuit(circuit: Circuit): string {
  return `${writeJson(toFileObject(circuit))}\n`;
}

function encodeTensor(t: Tensor): FileValue {
  const { shape, data } = t;
  if (shape.length === 0) return encodeNumber(data[0]);
  if (shape.length === 1) return Array.from(data, (x) => encodeNumber(x));
  const [rows, cols] = shape;
  const out: FileNumber[][] = [];
  for (let r = 0; r < rows; r++) {
    out.push(Array.from(data.subarray(r * cols, (r + 1) * cols), (x) => encodeNumber(x)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Reads a file that is already parsed (from JSON, a link, or a gallery module) into a circuit.
 * Never throws.
 */
export function decodeCircuitObject(data: unknown): Decoded {
  return guarded(() => decode(data));
}

/** Parses the text of a circuit file and reads it. Never throws. */
export function parseCircuitFile(text: string): Decoded {
  return guarded(() => parseText(text));
}

/**
 * Runs a reader, turning an exception into a message. Only reachable with hostile objects
 * (throwing getters, proxies) or through a bug: JSON cannot do this. The result is tagged
 * `unexpected`, so tests can tell it from a message about the input.
 */
function guarded(read: () => Decoded): Decoded {
  try {
    return read();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { ok: false, error: `could not read the circuit: ${why}`, unexpected: true };
  }
}

function parseText(text: unknown): Decoded {
  if (typeof text !== 'string') return failure('a circuit file must be text');
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return failure('the file is empty');
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return failure(`the file is not valid JSON (${e.message})`);
  }
  return decode(data);
}

/** Turns a file of version `n` into one of version `n + 1`. */
type Migration = (file: object) => object;

/**
 * One step per old version: `MIGRATIONS.get(n)` lifts a version-n file to version n + 1.
 * Version 1 is the only version so far, so the table is empty; a version 2 adds the entry
 * for 1 here, and nothing else in the reader changes.
 */
const MIGRATIONS: ReadonlyMap<number, Migration> = new Map<number, Migration>();

function migrate(file: object, from: number): object | string {
  let current = file;
  for (let version = from; version < FILE_VERSION; version++) {
    const step = MIGRATIONS.get(version);
    if (!step) return `files of format version ${version} can no longer be read`;
    current = step(current);
  }
  return current;
}

function decode(data: unknown): Decoded {
  if (!isRecord(data)) {
    return failure(`a circuit file must be a JSON object, got ${kindOf(data)}`);
  }
  if (own(data, 'format') !== FILE_FORMAT) {
    return failure(`this is not a Backprop Circuits file ("format" must be "${FILE_FORMAT}")`);
  }
  const version = own(data, 'version');
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    return failure(`"version" must be a whole number, got ${kindOf(version)}`);
  }
  if (version > FILE_VERSION) {
    return failure(
      `this file was made by a newer version of Backprop Circuits (format version ${version}); ` +
        `this app reads version ${FILE_VERSION}`,
    );
  }
  if (version < FIRST_VERSION) {
    return failure(`format version ${version} does not exist; versions start at ${FIRST_VERSION}`);
  }
  const migrated = migrate(data, version);
  if (typeof migrated === 'string') return failure(migrated);
  return readCurrent(migrated);
}

/** Reads a file already in the current version's shape. */
function readCurrent(file: object): Decoded {
  const warnings: string[] = [];

  const rawNodes = own(file, 'nodes');
  if (!Array.isArray(rawNodes)) {
    return failure(`"nodes" must be an array, got ${kindOf(rawNodes)}`);
  }
  if (rawNodes.length > LIMITS.nodes) {
    return failure(overLimit('the circuit', rawNodes.length, LIMITS.nodes, 'nodes'));
  }
  const rawWires = own(file, 'wires') ?? [];
  if (!Array.isArray(rawWires)) {
    return failure(`"wires" must be an array, got ${kindOf(rawWires)}`);
  }
  if (rawWires.length > LIMITS.wires) {
    return failure(overLimit('the circuit', rawWires.length, LIMITS.wires, 'wires'));
  }
  // Counted before any value is read, so an oversized circuit is refused before its numbers
  // are copied.
  const entries = countValueEntries(rawNodes);
  if (entries > LIMITS.totalEntries) {
    return failure(
      overLimit('the circuit', entries, LIMITS.totalEntries, 'numbers in its values together'),
    );
  }

  const nodes: CircuitNode[] = [];
  // Keyed by untrusted ids, so a Map: an id such as "__proto__" is just another key.
  const byId = new Map<string, { node: CircuitNode; index: number }>();
  for (let i = 0; i < rawNodes.length; i++) {
    const read = readRecord(NODE_FIELDS, rawNodes[i], { byId }, warnings, (draft) =>
      draft.id === undefined ? `node ${i + 1}` : `node ${i + 1} (id ${quote(draft.id)})`,
    );
    if (typeof read === 'string') return failure(read);
    nodes.push(read);
    byId.set(read.id, { node: read, index: i + 1 });
  }

  const wires: Wire[] = [];
  // Wires leaving each node, by id (a Map, like `byId`).
  const fanOut = new Map<string, number>();
  for (let i = 0; i < rawWires.length; i++) {
    const read = readRecord(WIRE_FIELDS, rawWires[i], { byId }, warnings, () => `wire ${i + 1}`);
    if (typeof read === 'string') return failure(read);
    wires.push(read);
    fanOut.set(read.from, (fanOut.get(read.from) ?? 0) + 1);
  }
  for (const [from, count] of fanOut) {
    if (count > LIMITS.fanOut) {
      return failure(overLimit(`node ${quote(from)}`, count, LIMITS.fanOut, 'wires leaving it'));
    }
  }

  const rawOutput = own(file, 'output') ?? null;
  let output: NodeId | null = null;
  if (rawOutput !== null) {
    if (typeof rawOutput !== 'string') {
      return failure(`"output" must be a node id or null, got ${kindOf(rawOutput)}`);
    }
    if (!byId.has(rawOutput)) return failure(`"output" names no node: ${quote(rawOutput)}`);
    output = nodeId(rawOutput);
  }

  return { ok: true, circuit: { nodes, wires, output }, warnings };
}

/**
 * How many numbers the values of the source nodes hold together, read from the raw arrays
 * without copying them: a vector counts its entries, a matrix its rows times the length of its
 * first row (a ragged matrix is refused later, by `readTensor`). Anything else counts 1.
 */
function countValueEntries(rawNodes: readonly unknown[]): number {
  let total = 0;
  for (const raw of rawNodes) {
    if (!isRecord(raw)) continue;
    const op = own(raw, 'op');
    if (typeof op !== 'string' || !isSource(op)) continue;
    const value = own(raw, 'value');
    if (!Array.isArray(value)) total += 1;
    else if (Array.isArray(value[0])) total += value.length * (value[0] as unknown[]).length;
    else total += value.length;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// The field tables

/** What reading one field gives: a value (or nothing), perhaps with a warning; or an error. */
type Outcome<T> = { ok: true; value?: T; warning?: string } | { ok: false; error: string };

/** A record being read: the fields read so far. */
type Draft<M> = { -readonly [K in keyof M]?: M[K] };

/** What every field reader may look at besides its own raw value. */
interface ReadContext {
  /** The nodes read so far, by id, with their 1-based place in the file. */
  readonly byId: ReadonlyMap<string, { readonly node: CircuitNode; readonly index: number }>;
}

interface Field<M, F, K extends keyof M & keyof F> {
  /** The field as it goes into the file; `undefined` leaves it out. */
  write(record: M): F[K] | undefined;
  /** Reads the raw field (undefined when absent). `draft` holds the fields listed before it. */
  read(raw: unknown, context: ReadContext, draft: Draft<M>): Outcome<M[K]>;
}

/** One entry per field, in file order; fields are read in this order too. */
type FieldTable<M, F> = { [K in keyof M & keyof F]-?: Field<M, F, K> };

const NODE_FIELDS: FieldTable<CircuitNode, FileNode> = {
  id: {
    write: (node) => node.id,
    read(raw, { byId }) {
      if (typeof raw !== 'string' || raw === '') {
        return fail(`id must be a non-empty string, got ${kindOf(raw)}`);
      }
      if (raw.length > LIMITS.idLength) {
        return fail(overLimit('id', raw.length, LIMITS.idLength, 'characters'));
      }
      const earlier = byId.get(raw);
      if (earlier) return fail(`id ${quote(raw)} is already used by node ${earlier.index}`);
      return keep(nodeId(raw));
    },
  },
  op: {
    write: (node) => node.op,
    read(raw) {
      if (typeof raw !== 'string') return fail(`op must be a string, got ${kindOf(raw)}`);
      if (!getOp(raw)) return fail(`unknown op ${quote(raw)}`);
      return keep(raw);
    },
  },
  label: {
    write: (node) => node.label,
    read(raw) {
      if (raw === undefined) return keep(undefined);
      if (typeof raw !== 'string') return fail(`label must be a string, got ${kindOf(raw)}`);
      if (raw.length > LIMITS.labelLength) {
        return fail(overLimit('label', raw.length, LIMITS.labelLength, 'characters'));
      }
      return keep(raw);
    },
  },
  position: {
    write: (node) => {
      const p = node.position;
      return p && Number.isFinite(p.x) && Number.isFinite(p.y) ? { x: p.x, y: p.y } : undefined;
    },
    read(raw) {
      if (raw === undefined) return keep(undefined);
      return readPosition(raw);
    },
  },
  value: {
    write: (node) => (node.value && isSource(node.op) ? encodeTensor(node.value) : undefined),
    read(raw, _context, draft) {
      const op = draft.op ?? '';
      if (!isSource(op)) {
        if (raw === undefined) return keep(undefined);
        return drop(`${withArticle(op)} node takes no value; its value was ignored`);
      }
      if (raw === undefined) return fail(`${withArticle(op)} node needs a value`);
      const value = readTensor(raw);
      return typeof value === 'string' ? fail(value) : keep(value);
    },
  },
};

const WIRE_FIELDS: FieldTable<Wire, FileWire> = {
  from: {
    write: (wire) => wire.from,
    read: (raw, context) => readEnd('from', raw, context),
  },
  to: {
    write: (wire) => wire.to,
    read: (raw, context) => readEnd('to', raw, context),
  },
  port: {
    write: (wire) => wire.port,
    read(raw, { byId }, draft) {
      const target = draft.to === undefined ? undefined : byId.get(draft.to)?.node;
      const op = target && getOp(target.op);
      if (!target || !op) return fail('port needs a target node'); // `to` is read first
      if (typeof raw !== 'string') return fail(`port must be a string, got ${kindOf(raw)}`);
      if (op.ports.some((port) => port === raw)) return keep(portName(raw));
      const ports = op.ports.map((port) => quote(port)).join(', ');
      const where = `node ${quote(target.id)} (${op.name})`;
      return fail(
        op.ports.length === 0
          ? `${where} takes no wires, so it has no port ${quote(raw)}`
          : `${where} has no port ${quote(raw)}; its ports are ${ports}`,
      );
    },
  },
};

function readEnd(end: 'from' | 'to', raw: unknown, { byId }: ReadContext): Outcome<NodeId> {
  if (typeof raw !== 'string') return fail(`${end} must be a node id, got ${kindOf(raw)}`);
  if (!byId.has(raw)) return fail(`${end} names no node: ${quote(raw)}`);
  return keep(nodeId(raw));
}

function writeFields<M, F>(table: FieldTable<M, F>, record: M): F {
  const out: Partial<F> = {};
  for (const key of fieldKeys(table)) {
    const value = table[key].write(record);
    if (value !== undefined) out[key] = value;
  }
  // Every required field's writer returns a value, so the record is complete.
  return out as F;
}

/**
 * Reads one record field by field. Returns the record, or an error prefixed with its place
 * (which may name the id once it has been read). Warnings get the same prefix.
 */
function readRecord<M, F>(
  table: FieldTable<M, F>,
  raw: unknown,
  context: ReadContext,
  warnings: string[],
  place: (draft: Draft<M>) => string,
): M | string {
  if (!isRecord(raw)) return `${place({})}: expected an object, got ${kindOf(raw)}`;
  const draft: Draft<M> = {};
  for (const key of fieldKeys(table)) {
    const outcome = table[key].read(own(raw, key as string), context, draft);
    if (!outcome.ok) return `${place(draft)}: ${outcome.error}`;
    if (outcome.warning !== undefined) warnings.push(`${place(draft)}: ${outcome.warning}`);
    if (outcome.value !== undefined) draft[key] = outcome.value;
  }
  // Each required field fails its read when missing, so a draft that got here is complete.
  return draft as M;
}

function fieldKeys<M, F>(table: FieldTable<M, F>): (keyof M & keyof F)[] {
  return Object.keys(table) as (keyof M & keyof F)[];
}

function keep<T>(value: T | undefined): Outcome<T> {
  return value === undefined ? { ok: true } : { ok: true, value };
}

function drop(warning: string): Outcome<never> {
  return { ok: true, warning };
}

function fail(error: string): Outcome<never> {
  return { ok: false, error };
}

function failure(error: string): Decoded {
  return { ok: false, error };
}

// ---------------------------------------------------------------------------------------------
// Values

/**
 * Reads a position: finite numbers x and y. One that is not is dropped (the node is then
 * placed by the layout); one farther than `LIMITS.position` from the origin on an axis is
 * moved to that bound, so its wires can still be drawn. Both with a warning.
 */
function readPosition(raw: unknown): Outcome<Position> {
  const x = isRecord(raw) ? own(raw, 'x') : undefined;
  const y = isRecord(raw) ? own(raw, 'y') : undefined;
  if (
    typeof x !== 'number' ||
    typeof y !== 'number' ||
    !Number.isFinite(x) ||
    !Number.isFinite(y)
  ) {
    return drop('position dropped (it needs finite numbers x and y); the node will be placed');
  }
  const bound = LIMITS.position;
  const clamped = { x: clamp(x, bound), y: clamp(y, bound) };
  if (clamped.x === x && clamped.y === y) return keep({ x, y });
  return {
    ok: true,
    value: clamped,
    warning:
      `position (${x}, ${y}) is more than ${formatCount(bound)} from the origin; ` +
      `it was moved to (${clamped.x}, ${clamped.y})`,
  };
}

/** `x` limited to -bound … bound (Math.min and Math.max keep -0). */
function clamp(x: number, bound: number): number {
  return Math.min(bound, Math.max(-bound, x));
}

/**
 * Reads a value: a number, a vector of numbers, or a matrix as rows of equal length. Each
 * number may also be "NaN", "Infinity" or "-Infinity". Sizes are checked before anything is
 * allocated. Returns a message starting with "value" when the value is wrong.
 */
function readTensor(raw: unknown): Tensor | string {
  const single = decodeNumber(raw);
  if (single !== undefined) return { shape: SCALAR, data: Float64Array.of(single) };
  if (!Array.isArray(raw)) {
    return `value must be a number or an array of numbers, got ${kindOf(raw)}`;
  }
  if (raw.length === 0) return 'value must not be an empty array';
  if (raw.length > LIMITS.valueEntries) return tooLarge(raw.length);

  if (!Array.isArray(raw[0])) {
    const data = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const x = decodeNumber(raw[i]);
      if (x === undefined) {
        return Array.isArray(raw[i])
          ? 'value mixes numbers and rows; a matrix must be rows only'
          : `value entry ${i + 1} is not a number (got ${kindOf(raw[i])})`;
      }
      data[i] = x;
    }
    return { shape: [raw.length], data };
  }

  const rows = raw.length;
  const cols = (raw[0] as unknown[]).length;
  if (cols === 0) return 'value row 1 is empty';
  if (rows * cols > LIMITS.valueEntries) return tooLarge(rows * cols);
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row: unknown = raw[r];
    if (!Array.isArray(row)) return 'value mixes rows and numbers; a matrix must be rows only';
    if (row.length !== cols) {
      return `value row ${r + 1} has ${row.length} numbers but row 1 has ${cols}`;
    }
    for (let c = 0; c < cols; c++) {
      const x = decodeNumber(row[c]);
      if (x === undefined) {
        return Array.isArray(row[c])
          ? 'value has more than 2 dimensions; the most is a matrix'
          : `value row ${r + 1}, column ${c + 1} is not a number (got ${kindOf(row[c])})`;
      }
      data[r * cols + c] = x;
    }
  }
  return { shape: [rows, cols], data };
}

function tooLarge(entries: number): string {
  return overLimit('value', entries, LIMITS.valueEntries, 'numbers');
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** A plain object (not null, not an array). */
function isRecord(x: unknown): x is object {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** An object's own property: inherited ones (from a prototype) are never read. */
function own(obj: object, key: string): unknown {
  return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Quotes untrusted text for a message, cut short if it is long. */
function quote(text: string): string {
  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}

/** What an unexpected value is, for a message: "null", "an array", "the text 'abc'". */
function kindOf(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string') return `the text ${quote(x)}`;
  if (typeof x === 'number') return `the number ${x}`;
  if (typeof x === 'boolean') return String(x);
  return `${typeof x === 'object' ? 'an object' : typeof x}`;
}

function withArticle(op: string): string {
  return /^[aeiou]/.test(op) ? `an ${op}` : `a ${op}`;
}

/** The circuit as file text (an alias of `serializeCircuit`, the name the engine API uses). */
export const toFile = serializeCircuit;
/** File text back to a circuit, or a clear error (an alias of `parseCircuitFile`). */
export const fromFile = parseCircuitFile;
