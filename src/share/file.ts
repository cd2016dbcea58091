/**
 * The circuit file format, version 2: a JSON object
 * `{ "format": "backprop-circuit", "version": 2, "nodes": [...], "wires": [...], "output": id }`.
 *
 * A node is `{ "id", "op", "label"?, "position"?: { "x", "y" }, "value"?, "params"? }`: an
 * `input` has a `value`; a gate may hold numbers in some of its ports instead of wires, as
 * `"params": { "b": 2 }` (for `x ** 2`), keyed by the op's port names. A value or a parameter
 * is a number, a vector, or a matrix given as rows. A wire is `{ "from", "to", "port" }`.
 *
 * The file may also say which upstream gradient the backward pass starts from at a tensor
 * output, as `"seed"`: `{ "kind": "random", "seed": 7 }`, `{ "kind": "onehot", "index": [2, 1] }`
 * (0-based row, column) or `{ "kind": "values", "values": [[…], …] }`. Without it, ones (the
 * gradient of `sum`); one this app cannot read gives a warning and ones.
 *
 * Version 1 had no `params`: every number was a `const` node wired into its gate. Such files
 * are read by version 1's rules and migrated (src/share/migrations.ts); a file that mixes the
 * two (version 2 with a `const` node, version 1 with `params`) is refused with a message.
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
import { ParseError } from '../engine/errors';
import { libraryProblems } from '../engine/gates/scope';
import { formatCount, LIMITS, overLimit } from '../engine/limits';
import { getOp, isSource } from '../engine/ops';
import type { Params } from '../engine/ops/types';
import { parseGates } from '../engine/parse';
import type { UpstreamSeed } from '../engine/seed';
import { SCALAR } from '../engine/tensor';
import {
  type Circuit,
  type CircuitNode,
  type GateDef,
  type GateDerivative,
  type NodeId,
  nodeId,
  type PortName,
  type Position,
  portName,
  type Tensor,
  type Wire,
} from '../engine/types';
import { writeJson } from './json';
import { constantsToParams, MIGRATIONS } from './migrations';
import { decodeNumber, encodeNumber, type FileNumber } from './numbers';
import { isRecord, kindOf, nodePlace, own, quote, withArticle } from './untrusted';

export const FILE_FORMAT = 'backprop-circuit';
/** The version this app writes, and the newest it reads. */
export const FILE_VERSION = 2;
/** The oldest version that ever existed. */
const FIRST_VERSION = 1;
/** The version that moved numbers from `const` nodes into their gates' `params`. */
const PARAMS_VERSION = 2;

// ---------------------------------------------------------------------------------------------
// The file's shape

/** A node's value in a file: a number, a vector, or a matrix given as rows. */
export type FileValue = FileNumber | FileNumber[] | FileNumber[][];

export interface FileNode {
  id: string;
  op: string;
  label?: string;
  position?: { x: number; y: number };
  /** Only on `input` nodes (and, in version 1, `const` nodes). */
  value?: FileValue;
  /** Only on gates: the numbers some of its ports hold instead of a wire, by port name. */
  params?: Record<string, FileValue>;
}

export interface FileWire {
  from: string;
  to: string;
  port: string;
}

/** A file as this app writes it (the current version). */
export interface CircuitFile {
  format: typeof FILE_FORMAT;
  version: typeof FILE_VERSION;
  nodes: FileNode[];
  wires: FileWire[];
  output: string | null;
  /** The upstream gradient at the output; absent for ones. */
  seed?: FileSeed;
  /** The circuit's own gates (composites and custom gates), in definition order; absent for none. */
  gates?: FileGate[];
  /** Composites opened in place: `{ id, gate, members }`; absent for none. */
  opened?: { id: string; gate: string; members: string[] }[];
}

/**
 * A gate definition in a file: its name, its ports, and its inside as a small circuit (its
 * `input` nodes are the ports, by id), with each hand-written local gradient as the text
 * typed (`sigmoid(x)`), read again with the expression language.
 */
export interface FileGate {
  name: string;
  ports: string[];
  nodes: FileNode[];
  wires: FileWire[];
  output: string | null;
  /** One per port: the written ∂gate/∂port, or null. */
  derivatives?: (string | null)[];
  anchor?: { x: number; y: number };
}

/** An upstream gradient as a file writes it (ones is no field at all). */
export type FileSeed =
  | { kind: 'random'; seed: number }
  | { kind: 'onehot'; index: number[] }
  | { kind: 'values'; values: FileValue };

/** A circuit with the upstream gradient beside it, as files and links carry it. */
export type SeededCircuit = Circuit & {
  readonly seed?: UpstreamSeed;
  /** Composites opened in place (the editor's frames), kept so Collapse still works after a reload. */
  readonly opened?: readonly OpenedFrame[];
};

/** A composite opened in place: its id, its gate, and the gates standing for it. */
export interface OpenedFrame {
  readonly id: NodeId;
  readonly gate: string;
  readonly members: readonly NodeId[];
}

/** A file of any version this app reads: older ones have the same fields, fewer of them. */
export interface AnyCircuitFile extends Omit<CircuitFile, 'version'> {
  version: number;
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
      /**
       * Set when the file was made by a newer version of the app (its format version is
       * above `FILE_VERSION`): nothing is wrong with it, this app is too old to read it.
       */
      newer?: true;
    };

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * The circuit as a plain file object, ready for JSON (non-finite numbers already named). A
 * circuit that still holds `const` nodes is written as version 1 migrates it: each constant
 * goes into the gates it feeds (see `constantsToParams`).
 */
export function toFileObject(circuit: Circuit): CircuitFile {
  const current = constantsToParams(circuit);
  const seed = encodeSeed((circuit as SeededCircuit).seed);
  const opened = (circuit as SeededCircuit).opened;
  return {
    format: FILE_FORMAT,
    version: FILE_VERSION,
    nodes: current.nodes.map((node) => writeFields(NODE_FIELDS, node)),
    wires: current.wires.map((wire) => writeFields(WIRE_FIELDS, wire)),
    output: current.output,
    ...(seed === undefined ? {} : { seed }),
    ...(circuit.gates && circuit.gates.length > 0 ? { gates: circuit.gates.map(encodeGate) } : {}),
    ...(opened && opened.length > 0
      ? { opened: opened.map((o) => ({ id: o.id, gate: o.gate, members: [...o.members] })) }
      : {}),
  };
}

function encodeGate(def: GateDef): FileGate {
  const gate: FileGate = {
    name: def.name,
    ports: [...def.ports],
    nodes: def.body.nodes.map((node) => writeFields(NODE_FIELDS, node)),
    wires: def.body.wires.map((wire) => writeFields(WIRE_FIELDS, wire)),
    output: def.body.output,
  };
  if (def.derivatives?.some((d) => d !== null)) {
    gate.derivatives = def.derivatives.map((d) => (d ? d.text : null));
  }
  if (def.anchor && Number.isFinite(def.anchor.x) && Number.isFinite(def.anchor.y)) {
    gate.anchor = { x: def.anchor.x, y: def.anchor.y };
  }
  return gate;
}

/** An upstream gradient in file form; undefined for ones (and for anything that is not one). */
export function encodeSeed(seed: UpstreamSeed | undefined): FileSeed | undefined {
  if (typeof seed !== 'object' || seed === null) return undefined;
  if ('data' in seed) return { kind: 'values', values: encodeTensor(seed) };
  switch (seed.kind) {
    case 'random':
      return { kind: 'random', seed: seed.seed };
    case 'onehot':
      return { kind: 'onehot', index: [...seed.index] };
    case 'values': {
      const v = seed.values;
      if (typeof v === 'object' && v !== null && 'data' in v) {
        return { kind: 'values', values: encodeTensor(v) };
      }
      return { kind: 'values', values: v as FileValue };
    }
    default:
      return undefined;
  }
}

/** The circuit with `seed` beside it (none for undefined). */
export function withSeed(circuit: Circuit, seed: UpstreamSeed | undefined): SeededCircuit {
  if (seed === undefined) return circuit;
  return { ...circuit, seed };
}

/**
 * Reads an upstream gradient in file form (a file's `"seed"`, a link's `seed=` once split):
 * the seed, or a warning saying what is wrong with it (ones are used then). Checks only what
 * can be checked without the circuit: a whole-number seed, a one-hot index of at most two
 * whole numbers, values that are numbers. Whether it fits the output is the app's to check.
 */
export function readSeed(raw: unknown): { seed: UpstreamSeed } | { warning: string } {
  const ones = ': ones are used instead';
  if (!isRecord(raw))
    return { warning: `the upstream gradient is ${kindOf(raw)}, not an object${ones}` };
  const kind = own(raw, 'kind');
  switch (kind) {
    case 'ones':
      return { seed: { kind: 'ones' } };
    case 'random': {
      const seed = own(raw, 'seed');
      if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        return {
          warning: `the random upstream gradient's seed must be a whole number from 0 to 4294967295, got ${kindOf(seed)}${ones}`,
        };
      }
      return { seed: { kind: 'random', seed } };
    }
    case 'onehot': {
      const index = own(raw, 'index');
      if (
        !Array.isArray(index) ||
        index.length > 2 ||
        !index.every((i) => typeof i === 'number' && Number.isInteger(i) && i >= 0)
      ) {
        return {
          warning: `the one-hot upstream gradient's index must be [row, column] (or [entry]) of whole numbers from 0, got ${kindOf(index)}${ones}`,
        };
      }
      return { seed: { kind: 'onehot', index: [...(index as number[])] } };
    }
    case 'values': {
      const t = readTensor(own(raw, 'values'), "the upstream gradient's values");
      if (typeof t === 'string') return { warning: `${t}${ones}` };
      const bad = t.data.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) {
        return {
          warning: `the upstream gradient's values hold ${String(t.data[bad])} (entry ${bad + 1}), not a finite number${ones}`,
        };
      }
      return { seed: { kind: 'values', values: t } };
    }
    default:
      return {
        warning: `the upstream gradient has kind ${typeof kind === 'string' ? quote(kind) : kindOf(kind)}; this app reads ones, random, onehot or values${ones}`,
      };
  }
}

/**
 * The circuit as indented JSON text. Unlike `JSON.stringify` it keeps -0 (written `-0`), and it
 * keeps each vector or matrix row on one line.
 */
export function serializeCircuit(circuit: Circuit): string {
  return `${writeJson(toFileObject(circuit))}\n`;
}

/** A value or a parameter as a file writes it: a number, a vector, or a matrix as rows. */
export function encodeTensor(t: Tensor): FileValue {
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
    return {
      ok: false,
      error:
        `this file was made by a newer version of Backprop Circuits (format version ${version}); ` +
        `this app reads versions up to ${FILE_VERSION}: update the app to open it`,
      newer: true,
    };
  }
  if (version < FIRST_VERSION) {
    return failure(`format version ${version} does not exist; versions start at ${FIRST_VERSION}`);
  }
  const read = readVersion(data, version);
  if (!read.ok) return read;
  // Then lifted one version at a time, each step with its own rules (src/share/migrations.ts).
  let circuit = read.circuit;
  for (let step = version; step < FILE_VERSION; step++) {
    const migration = MIGRATIONS.get(step);
    if (!migration) return failure(`files of format version ${step} can no longer be read`);
    circuit = migration(circuit, read.warnings);
  }
  const rawSeed = own(data, 'seed');
  if (rawSeed !== undefined) {
    const seed = readSeed(rawSeed);
    if ('warning' in seed) read.warnings.push(seed.warning);
    else if (!('kind' in seed.seed && seed.seed.kind === 'ones'))
      circuit = withSeed(circuit, seed.seed);
  }
  const rawOpened = own(data, 'opened');
  if (rawOpened !== undefined) {
    const opened = readOpened(rawOpened, circuit, read.warnings);
    if (opened.length > 0) circuit = { ...circuit, opened } as SeededCircuit;
  }
  return { ok: true, circuit, warnings: read.warnings };
}

/**
 * The composites a file says are opened in place. One that names a node or a gate the
 * circuit does not have is left out with a warning: its gates stay on the canvas as they are.
 */
function readOpened(raw: unknown, circuit: Circuit, warnings: string[]): OpenedFrame[] {
  if (!Array.isArray(raw) || raw.length > LIMITS.gates) {
    warnings.push('"opened" is not a list of opened gates; the gates stay as they are');
    return [];
  }
  const nodes = new Set<string>(circuit.nodes.map((n) => n.id));
  const gates = new Set((circuit.gates ?? []).map((g) => g.name));
  const out: OpenedFrame[] = [];
  for (const record of raw) {
    const id = isRecord(record) ? own(record, 'id') : undefined;
    const gate = isRecord(record) ? own(record, 'gate') : undefined;
    const members = isRecord(record) ? own(record, 'members') : undefined;
    const fits =
      typeof id === 'string' &&
      nodes.has(id) &&
      typeof gate === 'string' &&
      gates.has(gate) &&
      Array.isArray(members) &&
      members.length <= LIMITS.nodes &&
      members.every((m) => typeof m === 'string' && nodes.has(m));
    if (!fits) {
      warnings.push(
        `an opened gate${typeof gate === 'string' ? ` ${quote(gate)}` : ''} names a node or gate this circuit does not have; its gates stay as they are`,
      );
      continue;
    }
    out.push({ id: nodeId(id), gate, members: (members as string[]).map(nodeId) });
  }
  return out;
}

/**
 * Reads a file by the rules of its own format version, without migrating it: a version-1
 * file gives its `const` nodes as they are. For tests that compare a file with its migration.
 */
export function decodeAsWritten(
  data: unknown,
): { ok: true; version: number; circuit: Circuit; warnings: string[] } | Decoded {
  return guarded(() => {
    if (!isRecord(data)) return failure('a circuit file must be a JSON object');
    const version = own(data, 'version');
    if (typeof version !== 'number' || version < FIRST_VERSION || version > FILE_VERSION) {
      return failure(`"version" must be ${FIRST_VERSION} to ${FILE_VERSION}`);
    }
    const read = readVersion(data, version);
    return read.ok ? { ...read, version } : read;
  });
}

/** Reads a file by the rules of `version` (what its nodes may hold). */
function readVersion(file: object, version: number): Decoded {
  const warnings: string[] = [];
  const gates = readGates(own(file, 'gates'), version, warnings);
  if (typeof gates === 'string') return failure(gates);
  const read = readCircuitPart(file, version, gates.names, warnings);
  if (!read.ok) return read;
  if (gates.defs.length === 0) return read;
  return { ok: true, circuit: { ...read.circuit, gates: gates.defs }, warnings };
}

/**
 * The `gates` of a file: each gate's inside is read as a circuit is (it may use the gates
 * before it), then its written gradients are parsed, then the whole list is checked.
 */
function readGates(
  raw: unknown,
  version: number,
  warnings: string[],
): { defs: GateDef[]; names: ReadonlyMap<string, readonly PortName[]> } | string {
  const names = new Map<string, readonly PortName[]>();
  const defs: GateDef[] = [];
  if (raw === undefined) return { defs, names };
  if (!Array.isArray(raw)) return `"gates" must be an array, got ${kindOf(raw)}`;
  if (raw.length > LIMITS.gates)
    return overLimit('the circuit', raw.length, LIMITS.gates, 'gates of its own');
  for (let i = 0; i < raw.length; i++) {
    const record = raw[i];
    const where = `gate ${i + 1}`;
    if (!isRecord(record)) return `${where}: expected an object, got ${kindOf(record)}`;
    const name = own(record, 'name');
    if (typeof name !== 'string' || name.length === 0 || name.length > LIMITS.idLength) {
      return `${where}: "name" must be a gate name, got ${kindOf(name)}`;
    }
    const place = `gate ${quote(name)}`;
    const rawPorts = own(record, 'ports');
    if (!Array.isArray(rawPorts) || rawPorts.length === 0 || rawPorts.length > LIMITS.gatePorts) {
      return `${place}: "ports" must be a list of 1 to ${LIMITS.gatePorts} port names`;
    }
    const ports: PortName[] = [];
    for (const p of rawPorts) {
      if (typeof p !== 'string' || p.length === 0 || p.length > LIMITS.idLength) {
        return `${place}: a port name must be text, got ${kindOf(p)}`;
      }
      ports.push(portName(p));
    }
    const inside = readCircuitPart(record, version, names, warnings, `${place}: `);
    if (!inside.ok) return inside.error;
    let anchor: Position | undefined;
    const rawAnchor = own(record, 'anchor');
    if (rawAnchor !== undefined) {
      const read = readPosition(rawAnchor);
      if (!read.ok) return `${place}: anchor: ${read.error}`;
      anchor = read.value;
    }
    let def: GateDef = { name, ports, body: inside.circuit, ...(anchor ? { anchor } : {}) };
    const rawDerivatives = own(record, 'derivatives');
    if (rawDerivatives !== undefined) {
      if (!Array.isArray(rawDerivatives) || rawDerivatives.length !== ports.length) {
        return `${place}: "derivatives" must have one entry per port (text or null)`;
      }
      const derivatives: (GateDerivative | null)[] = [];
      for (let p = 0; p < ports.length; p++) {
        const text = rawDerivatives[p];
        if (text === null) {
          derivatives.push(null);
          continue;
        }
        if (typeof text !== 'string' || text.length > LIMITS.programLength) {
          return `${place}: the local gradient of ${ports[p]} must be text, got ${kindOf(text)}`;
        }
        const body = readDerivative(def, defs, text);
        if (typeof body === 'string') return `${place}: d/d${ports[p]} = ${text}: ${body}`;
        derivatives.push({ text, body });
      }
      def = { ...def, derivatives };
    }
    defs.push(def);
    names.set(name, ports);
  }
  const problems = libraryProblems(defs);
  if (problems.length > 0) return problems[0];
  return { defs, names };
}

/** A written gradient's circuit: the text read as the inside of a gate with the same ports. */
function readDerivative(def: GateDef, before: readonly GateDef[], text: string): Circuit | string {
  let name = 'd_';
  while (before.some((g) => g.name === name) || name === def.name) name += '_';
  try {
    const [read] = parseGates(`${name}(${def.ports.join(', ')}) = ${text}`, {
      gates: [...before, def],
    });
    return read.body;
  } catch (e) {
    if (e instanceof ParseError) return e.message.replace(/^line \d+, column \d+: /, '');
    throw e;
  }
}

/** The nodes, wires and output of a file or of a gate's inside. */
function readCircuitPart(
  file: object,
  version: number,
  gates: ReadonlyMap<string, readonly PortName[]>,
  warnings: string[],
  prefix = '',
): Decoded {
  const failure = (message: string): Decoded => ({ ok: false, error: `${prefix}${message}` });

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
      overLimit(
        'the circuit',
        entries,
        LIMITS.totalEntries,
        'numbers in its values and parameters together',
      ),
    );
  }

  const nodes: CircuitNode[] = [];
  // Keyed by untrusted ids, so a Map: an id such as "__proto__" is just another key.
  const byId = new Map<string, { node: CircuitNode; index: number }>();
  for (let i = 0; i < rawNodes.length; i++) {
    const read = readRecord(NODE_FIELDS, rawNodes[i], { byId, version, gates }, warnings, (draft) =>
      nodePlace(i + 1, draft.id),
    );
    if (typeof read === 'string') return failure(read);
    nodes.push(read);
    byId.set(read.id, { node: read, index: i + 1 });
  }

  const wires: Wire[] = [];
  // Wires leaving each node, by id (a Map, like `byId`).
  const fanOut = new Map<string, number>();
  for (let i = 0; i < rawWires.length; i++) {
    const read = readRecord(
      WIRE_FIELDS,
      rawWires[i],
      { byId, version, gates },
      warnings,
      () => `wire ${i + 1}`,
    );
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
 * How many numbers the values of the source nodes and the parameters of the gates hold
 * together, read from the raw arrays without copying them: a vector counts its entries, a
 * matrix its rows times the length of its first row (a ragged matrix is refused later, by
 * `readTensor`). Anything else counts 1.
 */
function countValueEntries(rawNodes: readonly unknown[]): number {
  let total = 0;
  for (const raw of rawNodes) {
    if (!isRecord(raw)) continue;
    const op = own(raw, 'op');
    if (typeof op !== 'string') continue;
    if (isSource(op)) total += countEntries(own(raw, 'value'));
    const params = own(raw, 'params');
    if (isRecord(params)) {
      for (const key of Object.keys(params)) total += countEntries(own(params, key));
    }
  }
  return total;
}

function countEntries(value: unknown): number {
  if (!Array.isArray(value)) return 1;
  if (Array.isArray(value[0])) return value.length * (value[0] as unknown[]).length;
  return value.length;
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
  /** The file's format version: what its records may hold. */
  readonly version: number;
  /** The gates defined so far, with their ports (a node's op may be one). */
  readonly gates: ReadonlyMap<string, readonly PortName[]>;
}

/** The op a node names, as far as reading needs it: the registry's, or a gate of the file. */
function opIn(
  name: string,
  { gates }: ReadContext,
):
  | { readonly name: string; readonly kind: string; readonly ports: readonly PortName[] }
  | undefined {
  const op = getOp(name);
  if (op) return op;
  const ports = gates.get(name);
  return ports === undefined ? undefined : { name, kind: 'tensor', ports };
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
    read(raw, { version, gates }) {
      if (typeof raw !== 'string') return fail(`op must be a string, got ${kindOf(raw)}`);
      if (!getOp(raw) && !gates.has(raw)) return fail(`unknown op ${quote(raw)}`);
      if (raw === 'const' && version >= PARAMS_VERSION) {
        return fail(
          `op 'const' belongs to format version 1, but this file is version ${version}, ` +
            'where a number a gate reads is one of its params (for example "params": { "b": 2 })',
        );
      }
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
      const value = readTensor(raw, 'value');
      return typeof value === 'string' ? fail(value) : keep(value);
    },
  },
  params: {
    write: (node) => (node.params ? encodeParams(node.op, node.params) : undefined),
    read: readParams,
  },
};

/** A gate's parameters for the file, in the order of the op's ports; none gives undefined. */
function encodeParams(opName: string, params: Params): Record<string, FileValue> | undefined {
  const keys = Object.keys(params);
  if (keys.length === 0) return undefined;
  const ports: readonly string[] = getOp(opName)?.ports ?? [];
  const order = (key: string) => {
    const at = ports.indexOf(key);
    return at < 0 ? ports.length : at;
  };
  const out: Record<string, FileValue> = Object.create(null);
  for (const key of keys.sort((a, b) => order(a) - order(b))) out[key] = encodeTensor(params[key]);
  return out;
}

/**
 * Reads a gate's `params`: an object whose keys are ports of its op, each holding a number or
 * an array of numbers. Only version 2 on has them, and only gates.
 */
function readParams(
  raw: unknown,
  context: ReadContext,
  draft: Draft<CircuitNode>,
): Outcome<Params> {
  const { version } = context;
  if (raw === undefined) return keep(undefined);
  if (version < PARAMS_VERSION) {
    return fail(
      `params belong to format version ${PARAMS_VERSION}, but this file is version ${version}, ` +
        "where a number a gate reads is a 'const' node wired into it",
    );
  }
  const op = draft.op === undefined ? undefined : opIn(draft.op, context);
  if (!op) return fail('params need an op'); // `op` is read first
  if (op.kind === 'source') {
    return fail(
      `${withArticle(op.name)} node takes no params: only a gate has ports to hold numbers`,
    );
  }
  if (!isRecord(raw)) {
    return fail(`params must be an object of port names and numbers, got ${kindOf(raw)}`);
  }
  const params: Record<string, Tensor> = Object.create(null);
  let count = 0;
  for (const key of Object.keys(raw)) {
    if (!op.ports.some((port) => port === key)) {
      const ports = op.ports.map((port) => quote(port)).join(', ');
      return fail(
        `params has the key ${quote(key)}, which is not a port of ${op.name}; its ports are ${ports}`,
      );
    }
    const value = readTensor(own(raw, key), `parameter ${quote(key)}`);
    if (typeof value === 'string') return fail(value);
    params[key] = value;
    count++;
  }
  return keep(count === 0 ? undefined : params);
}

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
    read(raw, context, draft) {
      const target = draft.to === undefined ? undefined : context.byId.get(draft.to)?.node;
      const op = target && opIn(target.op, context);
      if (!target || !op) return fail('port needs a target node'); // `to` is read first
      if (typeof raw !== 'string') return fail(`port must be a string, got ${kindOf(raw)}`);
      const where = `node ${quote(target.id)} (${op.name})`;
      if (op.ports.some((port) => port === raw)) {
        if (target.params && Object.hasOwn(target.params, raw)) {
          return fail(
            `port ${quote(raw)} of ${where} holds a parameter; a port takes a wire or a parameter, not both`,
          );
        }
        return keep(portName(raw));
      }
      const ports = op.ports.map((port) => quote(port)).join(', ');
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
 * Reads a value or a parameter: a number, a vector of numbers, or a matrix as rows of equal
 * length. Each number may also be "NaN", "Infinity" or "-Infinity". Sizes are checked before
 * anything is allocated. Returns a message starting with `what` ("value", "parameter 'b'")
 * when it is wrong.
 */
function readTensor(raw: unknown, what: string): Tensor | string {
  const single = decodeNumber(raw);
  if (single !== undefined) return { shape: SCALAR, data: Float64Array.of(single) };
  if (typeof raw === 'string') {
    if (raw.trim() === '') return `${what} is empty; it must be a number or an array of numbers`;
    if (Number.isFinite(Number(raw))) {
      return `${what} must be a number, not the text ${quote(raw)} (write it without quotes)`;
    }
  }
  if (!Array.isArray(raw)) {
    return `${what} must be a number or an array of numbers, got ${kindOf(raw)}`;
  }
  if (raw.length === 0) return `${what} must not be an empty array`;
  if (raw.length > LIMITS.valueEntries) return tooLarge(what, raw.length);

  if (!Array.isArray(raw[0])) {
    const data = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const x = decodeNumber(raw[i]);
      if (x === undefined) {
        return Array.isArray(raw[i])
          ? `${what} mixes numbers and rows; a matrix must be rows only`
          : `${what} entry ${i + 1} is not a number (got ${kindOf(raw[i])})`;
      }
      data[i] = x;
    }
    return { shape: [raw.length], data };
  }

  const rows = raw.length;
  const cols = (raw[0] as unknown[]).length;
  if (cols === 0) return `${what} row 1 is empty`;
  if (rows * cols > LIMITS.valueEntries) return tooLarge(what, rows * cols);
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row: unknown = raw[r];
    if (!Array.isArray(row)) return `${what} mixes rows and numbers; a matrix must be rows only`;
    if (row.length !== cols) {
      return `${what} row ${r + 1} has ${row.length} numbers but row 1 has ${cols}`;
    }
    for (let c = 0; c < cols; c++) {
      const x = decodeNumber(row[c]);
      if (x === undefined) {
        return Array.isArray(row[c])
          ? `${what} has more than 2 dimensions; the most is a matrix`
          : `${what} row ${r + 1}, column ${c + 1} is not a number (got ${kindOf(row[c])})`;
      }
      data[r * cols + c] = x;
    }
  }
  return { shape: [rows, cols], data };
}

function tooLarge(what: string, entries: number): string {
  return overLimit(what, entries, LIMITS.valueEntries, 'numbers');
}

/** The circuit as file text (an alias of `serializeCircuit`, the name the engine API uses). */
export const toFile = serializeCircuit;
/** File text back to a circuit, or a clear error (an alias of `parseCircuitFile`). */
export const fromFile = parseCircuitFile;
