/**
 * Links: a circuit, or the program it came from, carried in the URL's hash.
 *
 * - `#c=2.<data>` — the full state: circuit, layout, values, the program text if there was one,
 *   and the view options. `<data>` is base64url (no padding) of the raw-deflated compact JSON
 *   described by the tables below; `2` is `LINK_VERSION`. Links of version 1 (`#c=1.`) keep
 *   opening: their payload is the same but for the `params` column, and it carries a version-1
 *   circuit, which the file codec migrates.
 * - `#expr=<encodeURIComponent(program)>` — a program a teacher can write by hand.
 * - View flags in the same hash, `&`-separated like a query string:
 *   `embed=1`, `present=1`, `dark=1`, `step=N`. In a `#c` link they travel inside the data;
 *   flags written in the hash beside it (added by hand) win over those.
 * - The upstream gradient at a tensor output, beside either: `seed=random:7` (standard normal
 *   entries, the same for a seed), `seed=onehot:2,1` (1 at row 2, column 1, 0-based),
 *   `seed=values:[[1,0],[0,-1]]` (JSON rows, percent-encoded) or `seed=ones` (the default, left
 *   out). One this app cannot read gives a warning and ones.
 *
 * Reading treats the hash as untrusted and never throws: sizes are checked against `LIMITS`
 * before anything is decompressed, decompression stops as soon as the output passes its cap,
 * and the circuit itself is checked by the file codec (`decodeCircuitObject`), which enforces
 * the node, wire, fan-out, value and position limits. Keys are never copied from the input and
 * nothing is keyed by an id in a plain object, so `__proto__` and `constructor` in a link are
 * ordinary text. What a link holds but the app does not use (an unknown or repeated key, a
 * flag with a bad value, a field the codec dropped) comes back as a warning, one sentence each.
 *
 * The compact JSON is the file format (`toFileObject`) made small: nodes and wires are stored
 * as columns (one list per field) instead of one object each, wires and the output name nodes
 * by their place in the node list, and positions are rounded to whole pixels:
 *
 * ```
 * {"nodes": {"id": ["x", "y", "m", "f"], "op": ["input", "input", "mul", "pow"],
 *            "x": [0, 0, 200, 400], "y": [0, 120, 60, 60], "value": [-2, 5],
 *            "label": ["x", "y", null, "f"], "params": [null, null, null, {"b": 2}]},
 *  "wires": {"from": [0, 1, 2], "to": [2, 0, 1], "port": ["a", "b", "a"]},
 *  "output": 3, "expression": "x = -2\ny = 5\nm = x * y\nf = m ** 2", "view": {"step": 3}}
 * ```
 *
 * `params` holds each gate's parameters as the file format writes them (`{"b": 2}`, keyed by
 * port), or null for a node without any.
 *
 * Numbers are written as the file format writes them (`"NaN"`, `"Infinity"`, `-0` kept). One
 * table per record (`NODE_COLUMNS`, `WIRE_COLUMNS`), one for the payload (`PAYLOAD_FIELDS`) and
 * one for the view options (`VIEW_FIELDS`) each drive both writing and reading.
 */
import { deflateSync, Inflate, inflateSync } from 'fflate';
import { formatCount, LIMITS, overLimit } from '../engine/limits';
import { ALL_OPS } from '../engine/ops';
import type { UpstreamSeed } from '../engine/seed';
import type { Circuit } from '../engine/types';
import { decodeBase64Url, encodeBase64Url } from './base64url';
import {
  type AnyCircuitFile,
  type CircuitFile,
  decodeCircuitObject,
  encodeSeed,
  FILE_FORMAT,
  FILE_VERSION,
  type FileGate,
  type FileNode,
  type FileWire,
  readSeed,
  type SeededCircuit,
  toFileObject,
  withSeed,
} from './file';
import { writeCompactJson } from './json';
import { isRecord, own } from './untrusted';

/** The version of the `#c=` payload this app writes, and the newest it reads. */
export const LINK_VERSION = 2;
/** The oldest payload version that ever existed. */
const FIRST_LINK_VERSION = 1;

/**
 * The circuit file version each link version carries: a link's columns rebuild a file of that
 * version, which the file codec checks (and migrates, if it is older). Version 1 links predate
 * parameters (a number was a `const` node); version 2 adds the `params` column.
 */
const FILE_VERSION_OF_LINK: ReadonlyMap<number, number> = new Map([
  [1, 1],
  [2, FILE_VERSION],
]);

/** The largest `step=N`: the playback step a link may open at. */
const MAX_STEP = 1_000_000;

/**
 * Decompression stops once its output passes this many bytes (about 46 MB): the most that the
 * compact JSON of a circuit within `LIMITS` can take, so any such circuit whose link fits in
 * `LIMITS.hashLength` opens. Every string is counted at 6 bytes a character (a control
 * character is written `\u0001`), every number at the longest a double prints as
 * (`-2.2250738585072014e-308`, 24 characters) plus brackets and a comma.
 */
export const UNPACKED_CAP = (() => {
  const text = (characters: number) => 6 * characters + 3;
  const number = 27;
  // A gate's params: `{"a":…,"b":…}` around numbers counted with the entries below, or null.
  let ports = 0;
  let portName = 0;
  for (const op of ALL_OPS) {
    ports = Math.max(ports, op.ports.length);
    for (const port of op.ports) portName = Math.max(portName, port.length);
  }
  const params = 3 + ports * (portName + 4);
  const perNode = text(LIMITS.idLength) + text(LIMITS.labelLength) + 32 + 3 * number + params;
  const perEntry = number + 3; // a matrix of one column has brackets round every entry
  const perWire = 3 * number;
  return (
    LIMITS.nodes * perNode +
    LIMITS.totalEntries * perEntry +
    LIMITS.wires * perWire +
    text(LIMITS.programLength) +
    4096
  );
})();

/**
 * Warnings of one kind (parts of the hash ignored, unknown fields of one object) name at most
 * this many; the rest are counted in one more sentence, so a hostile link cannot make millions.
 */
const LISTED_WARNINGS = 10;

/** Input is fed to the inflater this many bytes at a time, so no single push can blow up. */
const INFLATE_CHUNK = 1024;
/** Deflate unpacks to at most about 1,032 bytes per byte (a 258-byte match per two bits). */
const MAX_INFLATE_RATIO = 1032;

// ---------------------------------------------------------------------------------------------
// The link's shape

/** How the app shows the circuit it opens. Absent means the app's default. */
export interface ViewState {
  /** No editing chrome, playback only. */
  embed?: boolean;
  /** Large type, keyboard/clicker stepping. */
  present?: boolean;
  dark?: boolean;
  /** Open at this step of playback (a whole number, 0 … `MAX_STEP`). */
  step?: number;
}

export interface LinkState {
  circuit: Circuit;
  view: ViewState;
  /** The program text, if the circuit came from one. */
  expression?: string | null;
}

export type LinkDecoded =
  | {
      ok: true;
      kind: 'full';
      circuit: Circuit;
      expression?: string;
      view: ViewState;
      warnings: string[];
    }
  | {
      ok: true;
      kind: 'expr';
      circuit?: undefined;
      /** The raw program text: the caller parses it. */
      expression: string;
      /** The upstream gradient the link gives (`seed=`), for the parsed circuit. */
      seed?: UpstreamSeed;
      view: ViewState;
      warnings: string[];
    }
  | { ok: true; kind: 'none'; view: ViewState; warnings: string[] }
  | {
      ok: false;
      error: string;
      /** Set when reading threw instead of finding something wrong: a bug in the reader. */
      unexpected?: true;
    };

// ---------------------------------------------------------------------------------------------
// Writing

/** The hash (without `#`) for the full state: `c=1.<base64url(deflate(compact JSON))>`. */
export function encodeFullLink(state: LinkState): string {
  const bytes = new TextEncoder().encode(encodePayload(state));
  const seed = encodeSeedParam((state.circuit as SeededCircuit).seed);
  return `c=${LINK_VERSION}.${encodeBase64Url(deflateSync(bytes, { level: 9 }))}${seed === '' ? '' : `&${seed}`}`;
}

/**
 * The upstream gradient as a hash part (`seed=random:7`), or '' for ones: the same text in a
 * `#c=` and an `#expr=` link.
 */
export function encodeSeedParam(seed: UpstreamSeed | undefined): string {
  const file = encodeSeed(seed);
  if (file === undefined) return '';
  switch (file.kind) {
    case 'random':
      return `seed=random:${file.seed}`;
    case 'onehot':
      return `seed=onehot:${file.index.join(',')}`;
    case 'values':
      return `seed=values:${encodeURIComponent(writeCompactJson(file.values))}`;
  }
}

/** Reads the text of a `seed=` part: the seed, or a warning (then ones are used). */
export function readSeedParam(text: string): { seed: UpstreamSeed } | { warning: string } {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const bad = (why: string) => ({
    warning: `seed=${quote(text)} ${why}; the upstream gradient is ones`,
  });
  switch (kind) {
    case 'ones':
      return colon < 0 ? { seed: { kind: 'ones' } } : bad('takes nothing after "ones"');
    case 'random':
      if (!/^[0-9]{1,10}$/.test(rest)) return bad('should be random:N with N a whole number');
      return seedOrWarning(readSeed({ kind: 'random', seed: Number(rest) }), bad);
    case 'onehot':
      if (!/^[0-9]{1,7}(,[0-9]{1,7})?$/.test(rest)) {
        return bad('should be onehot:row,column (0-based whole numbers)');
      }
      return seedOrWarning(readSeed({ kind: 'onehot', index: rest.split(',').map(Number) }), bad);
    case 'values': {
      let values: unknown;
      try {
        values = JSON.parse(rest);
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        return bad('should be values: followed by JSON rows such as [[1,0],[0,1]]');
      }
      return seedOrWarning(readSeed({ kind: 'values', values }), bad);
    }
    default:
      return bad('is not ones, random:N, onehot:i,j or values:[…]');
  }
}

function seedOrWarning(
  read: { seed: UpstreamSeed } | { warning: string },
  bad: (why: string) => { warning: string },
): { seed: UpstreamSeed } | { warning: string } {
  return 'warning' in read
    ? bad(`is not usable (${read.warning.replace(/: ones are used instead$/, '')})`)
    : read;
}

/** The compact JSON a `#c=` link carries before it is packed (its size is `UNPACKED_CAP`'s). */
export function encodePayload(state: LinkState): string {
  const file = toFileObject(state.circuit);
  const indexOf = new Map<string, number>();
  file.nodes.forEach((node, i) => {
    if (!indexOf.has(node.id)) indexOf.set(node.id, i);
  });
  const source: WriteSource = { file, state, indexOf };
  // Keyed by the payload's own field names only; ids travel as values, never as keys.
  const payload: Record<string, unknown> = {};
  for (const [key, field] of PAYLOAD_FIELDS) {
    const value = field.write(source);
    if (value !== undefined) payload[key] = value;
  }
  return writeCompactJson(payload);
}

/** The hash (without `#`) for a program: `expr=<encodeURIComponent(program)>` plus flags. */
export function encodeExprLink(program: string, view: ViewState = {}, seed?: UpstreamSeed): string {
  const flags = encodeViewFlags(view);
  const seedPart = encodeSeedParam(seed);
  return `expr=${encodeURIComponent(program)}${flags === '' ? '' : `&${flags}`}${seedPart === '' ? '' : `&${seedPart}`}`;
}

/** The view flags as hash text (`embed=1&step=3`), or '' when every option is the default. */
export function encodeViewFlags(view: ViewState): string {
  const parts: string[] = [];
  for (const [key, field] of VIEW_ENTRIES) {
    const value = field.write(view[key]);
    if (value !== undefined) parts.push(`${key}=${value}`);
  }
  return parts.join('&');
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Reads a location hash, with or without its leading `#`. Never throws: the result is a
 * circuit (`full`), a program to parse (`expr`), only view flags (`none`), or one message.
 * Every result that is not a message carries `warnings`: one sentence for each thing the link
 * holds that was ignored or changed (an unknown or repeated key, a flag with a bad value, a
 * field the file codec dropped or a position it moved). A hash that holds only unknown keys
 * is `none` with a warning for each.
 */
export function decodeHash(hash: string): LinkDecoded {
  try {
    return readHash(hash);
  } catch (e) {
    // Not reachable with string input; a last guard so a link can never break the page.
    // Tagged, so tests can tell it from a message about the link.
    const why = e instanceof Error ? e.message : String(e);
    return { ok: false, error: `could not read the link: ${why}`, unexpected: true };
  }
}

function readHash(hash: unknown): LinkDecoded {
  if (typeof hash !== 'string') return failure('a link hash must be text');
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  if (body.length > LIMITS.hashLength) {
    return failure(overLimit('the link', body.length, LIMITS.hashLength, 'characters'));
  }

  const warnings: string[] = [];
  const hashView: ViewState = {};
  const seen = new Set<string>();
  let circuitData: string | undefined;
  let rawProgram: string | undefined;
  let seedText: string | undefined;
  let ignored = 0;
  const ignore = (sentence: string) => {
    if (ignored++ < LISTED_WARNINGS) warnings.push(sentence);
  };

  for (const segment of body.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = formDecode(eq < 0 ? segment : segment.slice(0, eq));
    const rawValue = eq < 0 ? '' : segment.slice(eq + 1);
    if (!HASH_KEYS.has(name)) {
      ignore(unknownKeyWarning(name, segment));
      continue;
    }
    if (seen.has(name)) {
      ignore(
        `the link gives "${name}" more than once; the first is used and ${quote(segment)} was ignored`,
      );
      continue;
    }
    seen.add(name);
    if (name === 'c') circuitData = formDecode(rawValue);
    else if (name === 'expr') rawProgram = rawValue;
    else if (name === 'seed') seedText = formDecode(rawValue);
    else readViewFlag(name, formDecode(rawValue), hashView, warnings, '');
  }
  if (ignored > LISTED_WARNINGS) {
    const more = ignored - LISTED_WARNINGS;
    warnings.push(`and ${formatCount(more)} more parts of the link were ignored`);
  }

  let seed: UpstreamSeed | undefined;
  if (seedText !== undefined) {
    const read = readSeedParam(seedText);
    if ('warning' in read) warnings.push(read.warning);
    else if (!('kind' in read.seed && read.seed.kind === 'ones')) seed = read.seed;
  }

  if (circuitData !== undefined) {
    if (rawProgram !== undefined) {
      warnings.push(
        'the link has both a circuit (c=) and a program (expr=); the program is ignored',
      );
    }
    const read = readCircuitData(circuitData);
    if (!read.ok) return read;
    return {
      ok: true,
      kind: 'full',
      circuit: withSeed(read.circuit, seed),
      ...(read.expression === undefined ? {} : { expression: read.expression }),
      view: { ...read.view, ...hashView },
      warnings: read.warnings.concat(warnings),
    };
  }

  if (rawProgram !== undefined) {
    const program = readProgram(rawProgram);
    if (typeof program !== 'string') return program;
    return {
      ok: true,
      kind: 'expr',
      expression: program,
      ...(seed === undefined ? {} : { seed }),
      view: hashView,
      warnings,
    };
  }

  return { ok: true, kind: 'none', view: hashView, warnings };
}

/** A warning for a hash key this app does not read, with a guess at what was meant. */
function unknownKeyWarning(name: string, segment: string): string {
  if (name === '') return `the link part ${quote(segment)} has no name; it was ignored`;
  const guess = closestKey(name);
  const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`;
  return `the link part ${quote(segment)} is not one this app reads${hint}; it was ignored`;
}

/** The known key one typo away from `name` (a letter added, dropped, changed or swapped). */
function closestKey(name: string): string | undefined {
  if (name.length > 12) return undefined;
  const lower = name.toLowerCase();
  for (const key of HASH_KEYS) {
    if (key.length > 1 && (lower === key || isOneEditAway(lower, key))) return key;
  }
  return undefined;
}

function isOneEditAway(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    const swapped = a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
    return swapped || a.slice(i + 1) === b.slice(i + 1);
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/**
 * The `expr=` value, percent-decoded strictly and without the form rule that makes `+` a
 * space: a teacher who types `x+y` means `x+y`. The whole hash is already within
 * `LIMITS.hashLength`; the program it spells must be within `LIMITS.programLength`.
 */
function readProgram(raw: string): string | { ok: false; error: string } {
  let program: string;
  try {
    program = decodeURIComponent(raw);
  } catch (e) {
    if (!(e instanceof URIError)) throw e;
    const bad = raw.search(/%(?![0-9A-Fa-f]{2})/);
    return failure(
      bad >= 0
        ? `the link's program is garbled: the "%" at character ${bad + 1} is not followed by two hex digits (write a literal % as %25)`
        : "the link's program is garbled: its %-escapes do not spell UTF-8 text",
    );
  }
  if (program.length > LIMITS.programLength) {
    return failure(
      overLimit("the link's program", program.length, LIMITS.programLength, 'characters'),
    );
  }
  if (program.trim() === '') return failure("the link's program (expr=) is empty");
  return program;
}

/** Reads `1.<data>`: version, base64url, capped inflate, JSON, compact form, file codec. */
function readCircuitData(
  text: string,
):
  | { ok: true; circuit: Circuit; expression?: string; view: ViewState; warnings: string[] }
  | { ok: false; error: string } {
  // The whole hash is already within LIMITS.hashLength.
  const dot = text.indexOf('.');
  if (dot < 0) {
    return failure(`the link's circuit has no version (it should start "c=${LINK_VERSION}.")`);
  }
  const versionText = text.slice(0, dot);
  if (!/^[0-9]{1,15}$/.test(versionText)) {
    return failure(`the link's version must be a whole number, got ${quote(versionText)}`);
  }
  const version = Number(versionText);
  if (version > LINK_VERSION) {
    return failure(
      `this link was made by a newer version of Backprop Circuits (link version ${version}); ` +
        `this app reads version ${LINK_VERSION}`,
    );
  }
  const fileVersion = FILE_VERSION_OF_LINK.get(version);
  if (version < FIRST_LINK_VERSION || fileVersion === undefined) {
    return failure(
      `link version ${version} does not exist; versions start at ${FIRST_LINK_VERSION}`,
    );
  }
  const data = text.slice(dot + 1);
  if (data === '') return failure("the link's circuit is empty (nothing after the version)");

  const bytes = decodeBase64Url(data);
  if (typeof bytes === 'string') return failure(`the link is damaged: ${bytes}`);
  const inflated = inflateCapped(bytes, UNPACKED_CAP);
  if (inflated === 'too large') {
    return failure(
      `the link's circuit is too large (more than ${formatCount(UNPACKED_CAP)} bytes once unpacked)`,
    );
  }
  if (inflated === 'damaged') {
    return failure('the link is damaged: its data does not unpack (was it cut short?)');
  }
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(inflated);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return failure('the link is damaged: its data is not text');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return failure('the link is damaged: its data is not valid JSON');
  }
  return readPayload(payload, fileVersion);
}

/** Reads the compact JSON into a file of `fileVersion`, then through the file codec. */
function readPayload(
  payload: unknown,
  fileVersion: number,
):
  | { ok: true; circuit: Circuit; expression?: string; view: ViewState; warnings: string[] }
  | { ok: false; error: string } {
  if (!isRecord(payload)) {
    return failure(`the link's data must be an object, got ${kindOf(payload)}`);
  }
  const draft: PayloadDraft = { nodes: [], ids: [], wires: [], output: null, view: {} };
  const warnings: string[] = [];
  warnUnknownKeys(
    payload,
    (key) => PAYLOAD_FIELDS.has(key),
    warnings,
    (key) => `the link's data has a field ${key} this app does not read; ignored`,
    (count) => `and ${count} more fields of the link's data were ignored`,
  );
  for (const [key, field] of PAYLOAD_FIELDS) {
    const error = field.read(own(payload, key), draft, warnings);
    if (error !== undefined) return failure(`the link's circuit is not valid: ${error}`);
  }
  const file: AnyCircuitFile = {
    format: FILE_FORMAT,
    // The file version whose fields this link version carries; the codec migrates older ones.
    version: fileVersion,
    // Rebuilt from untrusted columns: the file codec checks every field.
    nodes: draft.nodes as unknown as FileNode[],
    wires: draft.wires as unknown as FileWire[],
    output: draft.output as string | null,
    ...(draft.gates === undefined ? {} : { gates: draft.gates as FileGate[] }),
    ...(draft.opened === undefined ? {} : { opened: draft.opened as CircuitFile['opened'] }),
  };
  const decoded = decodeCircuitObject(file);
  if (!decoded.ok) return failure(`the link's circuit is not valid: ${decoded.error}`);
  return {
    ok: true,
    circuit: decoded.circuit,
    ...(draft.expression === undefined ? {} : { expression: draft.expression }),
    view: draft.view,
    warnings: decoded.warnings.concat(warnings),
  };
}

/**
 * Raw inflate that gives up as soon as the output passes `cap` bytes. The input goes in small
 * chunks, so even a deflate bomb (about 1,000 bytes out per byte in) overshoots the cap by at
 * most about a megabyte before it is stopped.
 *
 * A typical link is a few hundred bytes, and the streaming inflater sets aside well over 100 kB
 * for each; so an input too small to unpack past the cap is first tried in one call with a
 * modest buffer. fflate drops (or, for a stored block, refuses) output past the end of a buffer
 * it is given, so a buffer that comes back full may be cut short: then the streaming inflater
 * decides. Either way the work is bounded by the cap.
 */
function inflateCapped(bytes: Uint8Array, cap: number): Uint8Array | 'too large' | 'damaged' {
  if (bytes.length > 0 && bytes.length * MAX_INFLATE_RATIO <= cap) {
    const out = new Uint8Array(Math.max(4096, bytes.length * 8));
    try {
      const result = inflateSync(bytes, { out });
      if (result.length < out.length) return result;
    } catch (e) {
      // fflate's own errors carry a numeric code and do not depend on the buffer: the data is
      // damaged. Anything else (a stored block that did not fit) goes to the streaming path.
      if (isFlateError(e)) return 'damaged';
    }
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  let over = false;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    if (total > cap) over = true;
    else if (chunk.length > 0) chunks.push(chunk);
  });
  try {
    let start = 0;
    do {
      const end = Math.min(start + INFLATE_CHUNK, bytes.length);
      inflater.push(bytes.subarray(start, end), end === bytes.length);
      start = end;
    } while (start < bytes.length && !over);
  } catch (e) {
    if (!isFlateError(e)) throw e;
    return over ? 'too large' : 'damaged';
  }
  if (over) return 'too large';
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** An error fflate raised about the data (it sets a numeric `code`). */
function isFlateError(e: unknown): boolean {
  return e instanceof Error && typeof (e as Error & { code?: unknown }).code === 'number';
}

// ---------------------------------------------------------------------------------------------
// The view flags: one table for the hash and for the `view` object inside a #c payload

interface ViewField<V> {
  /** The option as a number (`1`, `3`); `undefined` leaves it out (it is the default). */
  write(value: V | undefined): number | undefined;
  /** Reads the option from its text (`"1"`, `"3"`); a `warning` means it is ignored. */
  read(text: string): { value: V } | { warning: string };
}

type ViewTable = { [K in keyof ViewState]-?: ViewField<NonNullable<ViewState[K]>> };

function flag(name: string): ViewField<boolean> {
  return {
    write: (value) => (value === true ? 1 : undefined),
    read(text) {
      if (text === '1' || text === 'true' || text === '') return { value: true };
      if (text === '0' || text === 'false') return { value: false };
      return { warning: `${name}=${quote(text)} should be 1 or 0; it was ignored` };
    },
  };
}

const VIEW_FIELDS: ViewTable = {
  embed: flag('embed'),
  present: flag('present'),
  dark: flag('dark'),
  step: {
    write: (step) => (isStep(step) ? step : undefined),
    read(text) {
      const step = /^[0-9]{1,7}$/.test(text) ? Number(text) : Number.NaN;
      if (isStep(step)) return { value: step };
      return {
        warning: `step=${quote(text)} should be a whole number from 0 to ${formatCount(MAX_STEP)}; it was ignored`,
      };
    },
  },
};

type ViewOption = NonNullable<ViewState[keyof ViewState]>;
const VIEW_ENTRIES = Object.entries(VIEW_FIELDS) as [keyof ViewState, ViewField<ViewOption>][];
/** Looked up by untrusted names, so a Map: `__proto__` is just an unknown flag. */
const VIEW_FIELDS_BY_NAME = new Map<string, ViewField<ViewOption>>(VIEW_ENTRIES);
/** The keys a hash may hold: the circuit, the program and the view flags. */
const HASH_KEYS: ReadonlySet<string> = new Set([
  'c',
  'expr',
  'seed',
  ...VIEW_FIELDS_BY_NAME.keys(),
]);

function isStep(step: unknown): step is number {
  return typeof step === 'number' && Number.isInteger(step) && step >= 0 && step <= MAX_STEP;
}

/** Reads one flag into `view`, or adds a warning. `where` prefixes the warning. */
function readViewFlag(
  name: string,
  text: string,
  view: ViewState,
  warnings: string[],
  where: string,
): void {
  const field = VIEW_FIELDS_BY_NAME.get(name);
  if (!field) return;
  const read = field.read(text);
  if ('warning' in read) warnings.push(`${where}${read.warning}`);
  else (view as Record<string, unknown>)[name] = read.value;
}

// ---------------------------------------------------------------------------------------------
// The compact payload: one table of columns per record

/** What the writers look at. */
interface WriteSource {
  readonly file: CircuitFile;
  readonly state: LinkState;
  /** A node id → its place in `file.nodes` (the first, if an id repeats). */
  readonly indexOf: ReadonlyMap<string, number>;
}

/** What the readers fill in. Node and wire records are rebuilt for the file codec to check. */
interface PayloadDraft {
  nodes: Record<string, unknown>[];
  /** The raw id of each node, so wires and the output can name nodes by place. */
  ids: unknown[];
  wires: Record<string, unknown>[];
  output: unknown;
  expression?: string;
  view: ViewState;
  /** The gates as the file format writes them (checked by the file codec). */
  gates?: unknown;
  /** Composites opened in place, as the file format writes them. */
  opened?: unknown;
}

/**
 * One column: a file-format field of every record, in record order. Columns compress far
 * better than one tuple per record (like values sit together), and a column whose last entries
 * are empty is cut short.
 */
interface Column<R> {
  /** The entry for one record; `undefined` leaves it empty (`null`). */
  write(record: R, source: WriteSource): unknown;
  /**
   * Puts the raw entry (`undefined` when empty) into the file record being rebuilt. A string
   * is an error. Types are left to the file codec, except where a column must interpret.
   */
  read(raw: unknown, record: Record<string, unknown>, draft: PayloadDraft): string | undefined;
  /** Turns the written column into what is stored, and back (both keep the length). */
  pack?(entries: unknown[]): unknown[];
  unpack?(entries: readonly unknown[]): unknown[];
}

type ColumnTable<R> = Readonly<Record<string, Column<R>>>;

/** A field copied as is. */
function same<R>(key: keyof R & string): Column<R> {
  return {
    write: (record) => record[key],
    read(raw, record) {
      if (raw !== undefined) record[key] = raw;
      return undefined;
    },
  };
}

/** One coordinate of the position, rounded to a whole pixel. */
function coordinate(axis: 'x' | 'y'): Column<FileNode> {
  return {
    // `+ 0` turns a rounded -0 into 0, which is one character shorter.
    write: (node) => (node.position ? Math.round(node.position[axis]) + 0 : undefined),
    read(raw, record) {
      if (raw === undefined) return undefined;
      const position = (record.position ?? {}) as Record<string, unknown>;
      position[axis] = raw;
      record.position = position; // a lone coordinate is dropped (with a warning) by the codec
      return undefined;
    },
  };
}

/**
 * A node named by its place in the node list (0-based), or by its id when the id is not in
 * the list (the file codec then reports it).
 */
function nodeRef(end: 'from' | 'to'): Column<FileWire> {
  return {
    write: (wire, { indexOf }) => indexOf.get(wire[end]) ?? wire[end],
    read(raw, record, { ids }) {
      const ref = resolveNode(raw, ids);
      if (!ref.ok) return `${end} ${ref.error}`;
      if (ref.id !== undefined) record[end] = ref.id;
      return undefined;
    },
  };
}

/**
 * Stores each number as the difference from the number before it. Wires are listed gate by
 * gate, so their `to` column becomes mostly 0s and 1s. Other entries pass through untouched.
 */
const DELTAS = {
  pack(entries: unknown[]): unknown[] {
    let previous = 0;
    return entries.map((entry) => {
      if (typeof entry !== 'number') return entry;
      const delta = entry - previous;
      previous = entry;
      return delta;
    });
  },
  unpack(entries: readonly unknown[]): unknown[] {
    let previous = 0;
    return entries.map((entry) => {
      if (typeof entry !== 'number') return entry;
      previous += entry;
      return previous;
    });
  },
};

/**
 * `nodes`: `{"id": [...], "op": [...], "x": [...], "y": [...], "value": [...], "label": [...],
 * "params": [...]}`. The same table reads links of every version: a version-1 link has no
 * `params`, and one that has them is refused by the file codec, as a version-1 file would be.
 */
const NODE_COLUMNS: ColumnTable<FileNode> = {
  id: same('id'),
  op: same('op'),
  x: coordinate('x'),
  y: coordinate('y'),
  value: same('value'),
  label: same('label'),
  params: same('params'),
};

/** `wires`: `{"from": [...], "to": [...], "port": [...]}`, nodes by place, `to` as deltas. */
const WIRE_COLUMNS: ColumnTable<FileWire> = {
  from: nodeRef('from'),
  to: { ...nodeRef('to'), ...DELTAS },
  port: same('port'),
};

interface PayloadField {
  /** The field's content; `undefined` leaves it out. */
  write(source: WriteSource): unknown;
  /** Reads the raw field (undefined when absent) into the draft; a string is an error. */
  read(raw: unknown, draft: PayloadDraft, warnings: string[]): string | undefined;
}

/** The payload object, in reading order: nodes before the wires and output that name them. */
const PAYLOAD_TABLE: Readonly<Record<string, PayloadField>> = {
  /** The circuit's own gates, in the file format's form (few, and small: no columns). */
  gates: {
    write: (source) => source.file.gates,
    read(raw, draft) {
      if (raw !== undefined) draft.gates = raw;
      return undefined;
    },
  },
  /** Composites opened in place (checked by the file codec, which names what it drops). */
  opened: {
    write: (source) => source.file.opened,
    read(raw, draft) {
      if (raw !== undefined) draft.opened = raw;
      return undefined;
    },
  },
  nodes: {
    write: (source) => writeColumns(NODE_COLUMNS, source.file.nodes, source),
    read(raw, draft, warnings) {
      const records = readColumns(NODE_COLUMNS, raw, draft, warnings, 'node', 'nodes');
      if (typeof records === 'string') return records;
      draft.nodes = records;
      draft.ids = records.map((record) => record.id);
      return undefined;
    },
  },
  wires: {
    write: (source) => writeColumns(WIRE_COLUMNS, source.file.wires, source),
    read(raw, draft, warnings) {
      const records = readColumns(WIRE_COLUMNS, raw, draft, warnings, 'wire', 'wires');
      if (typeof records === 'string') return records;
      draft.wires = records;
      return undefined;
    },
  },
  /** The output node, by place; absent when there is none. */
  output: {
    write: ({ file, indexOf }) =>
      file.output === null ? undefined : (indexOf.get(file.output) ?? file.output),
    read(raw, draft) {
      const ref = resolveNode(raw, draft.ids);
      if (!ref.ok) return `the output ${ref.error}`;
      draft.output = ref.id ?? null;
      return undefined;
    },
  },
  /** The program text the circuit came from. */
  expression: {
    write: ({ state }) =>
      typeof state.expression === 'string' && state.expression !== ''
        ? state.expression
        : undefined,
    read(raw, draft, warnings) {
      if (raw === undefined) return undefined;
      if (typeof raw !== 'string') {
        warnings.push(`the link's program text is ${kindOf(raw)}, not text; it was ignored`);
      } else if (raw.length > LIMITS.programLength) {
        const over = overLimit(
          "the link's program text",
          raw.length,
          LIMITS.programLength,
          'characters',
        );
        warnings.push(`${over}; it was ignored`);
      } else {
        draft.expression = raw;
      }
      return undefined;
    },
  },
  /** View options, as numbers: `{"embed": 1, "step": 3}`. */
  view: {
    write: ({ state }) => {
      const view: Record<string, number> = {};
      for (const [key, field] of VIEW_ENTRIES) {
        const value = field.write(state.view?.[key]);
        if (value !== undefined) view[key] = value;
      }
      return Object.keys(view).length === 0 ? undefined : view;
    },
    read(raw, draft, warnings) {
      if (raw === undefined) return undefined;
      if (!isRecord(raw)) {
        warnings.push(`the link's view options are ${kindOf(raw)}, not an object; ignored`);
        return undefined;
      }
      warnUnknownKeys(
        raw,
        (key) => VIEW_FIELDS_BY_NAME.has(key),
        warnings,
        (key) => `the link's view option ${key} is unknown; it was ignored`,
        (count) => `and ${count} more unknown view options were ignored`,
      );
      for (const [key] of VIEW_ENTRIES) {
        const value = own(raw, key);
        if (value === undefined) continue;
        const text =
          typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string'
            ? String(value)
            : kindOf(value);
        readViewFlag(key, text, draft.view, warnings, "the link's view option ");
      }
      return undefined;
    },
  },
};

/** The payload fields by name (a Map: the names it is asked about come from the link). */
const PAYLOAD_FIELDS: ReadonlyMap<string, PayloadField> = new Map(Object.entries(PAYLOAD_TABLE));

/** Records as columns, each cut after its last non-empty entry; empty columns left out. */
function writeColumns<R>(
  table: ColumnTable<R>,
  records: readonly R[],
  source: WriteSource,
): Record<string, unknown[]> | undefined {
  const out: Record<string, unknown[]> = {};
  for (const key of Object.keys(table)) {
    const column = table[key];
    const written = records.map((record) => column.write(record, source) ?? null);
    const entries = column.pack ? column.pack(written) : written;
    let length = entries.length;
    while (length > 0 && entries[length - 1] === null) length--;
    if (length > 0) out[key] = entries.slice(0, length);
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Rebuilds records from columns. There are as many records as the longest column has entries;
 * a shorter column is empty for the rest.
 */
function readColumns<R>(
  table: ColumnTable<R>,
  raw: unknown,
  draft: PayloadDraft,
  warnings: string[],
  thing: string,
  things: 'nodes' | 'wires',
): Record<string, unknown>[] | string {
  if (raw === undefined) return [];
  if (!isRecord(raw)) return `the ${things} must be an object of columns, got ${kindOf(raw)}`;
  const limit = LIMITS[things];
  warnUnknownKeys(
    raw,
    (key) => Object.hasOwn(table, key),
    warnings,
    (key) => `the link's ${thing} column ${key} is unknown; it was ignored`,
    (count) => `and ${count} more unknown ${thing} columns were ignored`,
  );
  const columns = new Map<string, readonly unknown[]>();
  let count = 0;
  for (const key of Object.keys(table)) {
    const entries = own(raw, key);
    if (entries === undefined) continue;
    if (!Array.isArray(entries)) {
      return `the ${thing} column "${key}" must be a list, got ${kindOf(entries)}`;
    }
    if (entries.length > limit) return overLimit('the circuit', entries.length, limit, things);
    const unpack = table[key].unpack;
    columns.set(key, unpack ? unpack(entries) : entries);
    count = Math.max(count, entries.length);
  }
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    // Filled only with the table's field names; without a prototype all the same, so no
    // name can reach Object.prototype. The file codec reads it with Object.hasOwn.
    const record: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(table)) {
      const entry = columns.get(key)?.[i] ?? undefined; // null and missing are both empty
      const error = table[key].read(entry, record, draft);
      if (error !== undefined) return `${thing} ${i + 1}: ${error}`;
    }
    records.push(record);
  }
  return records;
}

/**
 * A warning for each own key of `raw` that is not `known`: the first `LISTED_WARNINGS` by
 * name (`named` gets the key quoted), the rest counted in one sentence (`counted`).
 */
function warnUnknownKeys(
  raw: object,
  known: (key: string) => boolean,
  warnings: string[],
  named: (key: string) => string,
  counted: (count: string) => string,
): void {
  let unknown = 0;
  for (const key of Object.keys(raw)) {
    if (known(key)) continue;
    if (unknown++ < LISTED_WARNINGS) warnings.push(named(quote(key)));
  }
  if (unknown > LISTED_WARNINGS) warnings.push(counted(formatCount(unknown - LISTED_WARNINGS)));
}

/**
 * A node reference: a place in the node list gives that node's id; text is an id as is;
 * null (or nothing) is no node.
 */
function resolveNode(
  raw: unknown,
  ids: readonly unknown[],
): { ok: true; id: unknown } | { ok: false; error: string } {
  if (raw === null || raw === undefined) return { ok: true, id: undefined };
  if (typeof raw === 'string') return { ok: true, id: raw };
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < ids.length) {
    return { ok: true, id: ids[raw] };
  }
  if (typeof raw === 'number') {
    const range =
      ids.length === 0 ? 'there are no nodes' : `the nodes are numbered 0 to ${ids.length - 1}`;
    return { ok: false, error: `names node number ${raw}, but ${range}` };
  }
  return { ok: false, error: `must be a node number, got ${kindOf(raw)}` };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Query-string decoding for names and flags: `+` is a space; a bad escape stays as written. */
function formDecode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch (e) {
    if (!(e instanceof URIError)) throw e;
    return spaced;
  }
}

function failure(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

function quote(text: string): string {
  return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
}

function kindOf(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'string') return `the text ${quote(x)}`;
  if (typeof x === 'number') return `the number ${x}`;
  if (typeof x === 'boolean') return String(x);
  return typeof x === 'object' ? 'an object' : typeof x;
}
