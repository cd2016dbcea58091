/**
 * Autosave: the circuit in hand kept in Web Storage (localStorage), framework-free.
 *
 * The app hands in a storage object (`window.localStorage`, or a fake in tests) and a tab id
 * made fresh on every page load (`crypto.randomUUID()`; not kept in sessionStorage, which a
 * duplicated tab would copy). Nothing here reads `window`, React or the store.
 *
 * Slots, all under one key prefix (default `backprop-circuits:autosave:v1`):
 * - `KEY`: the circuit in hand, rewritten as you work (the app debounces `save` and calls
 *   `flush()` on pagehide / visibilitychange).
 * - `KEY:previous`: the circuit a link replaced, for "Restore previous circuit".
 * - `KEY:corrupt:<ms>`: a record that could not be read (or opened), moved aside verbatim.
 *   Never overwritten and never deleted here.
 * - `KEY:closed:<tab id>`: the edits of a tab that was closed while another tab's newer work
 *   held the main slot (a two-tab conflict). The other tab offers to open them (`closed`,
 *   `takeClosed`).
 *
 * A record is JSON:
 * `{ "format": "backprop-autosave", "version": 1, "rev": n, "tab": id, "savedAt": ms,
 *    "expression": string | null, "file": <circuit file, see src/share/file.ts> }`.
 * The circuit travels in the circuit file format, so validation and migration are the file
 * codec's. It is written with `writeJson` rather than `JSON.stringify`, which would turn -0
 * into 0 (NaN and ±Infinity are already names in the file object).
 *
 * Versions: a record written by an older version of the app (its file of an older format
 * version) is migrated as it is read, and rewritten in the current format by the next save
 * that changes something. A record written by a newer version (a newer record or file format
 * version) is never set aside and never written over: reading it gives 'newer', and `save`,
 * `forceSave` and `keepPrevious` answer 'newer' and write nothing, so the user can update the
 * app and find it where it was.
 *
 * Two tabs: every write carries a revision and the writing tab's id. A tab remembers the
 * record it last loaded or wrote (its base) and only writes over that record, a record of its
 * own, or an empty slot; anything else is another tab's work it has not seen, and `save`
 * answers 'conflict' instead of writing. The user then keeps theirs (`forceSave`) or loads
 * the other (`adopt`). localStorage has no atomic compare-and-swap across tabs; the
 * read-then-write happens in one synchronous step, which is as close as it gets.
 *
 * Only what the codecs can read is written: a circuit over the limits table is refused
 * ('refused'), so a record always reads back. Storage that fails in any way (the storage
 * itself unavailable, a read or a write throwing, a full quota) is reported, never thrown.
 */
import type { Circuit, Tensor } from '../engine';
import { decodeCircuitObject, FILE_VERSION, toFileObject } from '../share/file';
import { writeJson } from '../share/json';
import { own } from '../share/untrusted';
import { positionFits } from './layout';
import { limitProblem } from './limits';

export const AUTOSAVE_KEY = 'backprop-circuits:autosave:v1';
export const AUTOSAVE_FORMAT = 'backprop-autosave';
export const AUTOSAVE_VERSION = 1;

/** The part of the Web Storage interface autosave uses; `window.localStorage` fits. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key?(index: number): string | null;
  readonly length?: number;
}

/** A circuit and the program text it was made from (null once edited by hand). */
export interface Snapshot {
  readonly circuit: Circuit;
  readonly expression: string | null;
}

export interface SavedCircuit extends Snapshot {
  /** When it was written (ms, from the writer's clock). */
  readonly savedAt: number;
  readonly rev: number;
  /** The id of the tab that wrote it. */
  readonly tab: string;
  /** What the file codec quietly dropped while reading it. */
  readonly warnings: readonly string[];
}

export type LoadResult =
  | { kind: 'none' }
  | { kind: 'ok'; saved: SavedCircuit }
  /** `setAsideKey` is where the raw text now is; null if it could not be moved (left in place). */
  | { kind: 'corrupt'; setAsideKey: string | null; error: string }
  /** The storage could not be read at all (site data blocked, for instance). */
  | { kind: 'unavailable'; error: string }
  /**
   * The record was written by a newer version of the app. It stays where it is, untouched;
   * `error` says so and asks the user to update ("… made by a newer version …; update …").
   */
  | { kind: 'newer'; error: string };

export type SaveOutcome =
  /** `setAside`: an unreadable record was in the slot; it was moved there before writing. */
  | { kind: 'saved'; rev: number; setAside?: { key: string; error: string } }
  /** The same circuit and expression as the last write or load: nothing written. */
  | { kind: 'unchanged' }
  /** Another tab saved work this tab has not seen; nothing written. */
  | { kind: 'conflict'; theirs: SavedCircuit }
  /** The storage refused (quota exceeded, or storage unavailable); nothing written. */
  | { kind: 'quota'; error: string }
  /** The circuit is over a limit, so it could not be read back; nothing written. */
  | { kind: 'refused'; error: string }
  /** The slot holds a record of a newer version of the app, which is kept; nothing written. */
  | { kind: 'newer'; error: string };

export type KeepOutcome =
  | { kind: 'saved' }
  | { kind: 'unchanged' }
  | { kind: 'quota'; error: string }
  | { kind: 'refused'; error: string }
  | { kind: 'newer'; error: string };

/** A record kept by a tab closed during a conflict (see `keepClosed`). */
export interface ClosedRecord {
  readonly key: string;
  readonly saved: SavedCircuit;
}

export interface AutosaveOptions {
  /** Unique per page load. */
  tabId: string;
  /** The clock for `savedAt` and set-aside keys; `Date.now` by default. */
  now?: () => number;
  /** The main slot's key; the other slots are named after it. */
  key?: string;
}

export class Autosave {
  readonly key: string;
  readonly previousKey: string;
  readonly corruptPrefix: string;
  readonly closedPrefix: string;
  private readonly storage: StorageLike;
  private readonly tabId: string;
  private readonly now: () => number;

  /** The record this tab last loaded or wrote: it may write over it. */
  private base: { rev: number; tab: string } | null = null;
  /** The main slot's text as this tab last read or wrote it. */
  private lastRaw: string | null = null;
  /** The content (expression + circuit) of that record, to skip identical writes. */
  private lastContent: string | null = null;
  /** The content of the last circuit a link brought in (see `keepPrevious`). */
  private lastIncoming: string | null = null;
  /** The previous slot's text as `previous()` last read it. */
  private lastPreviousRaw: string | null = null;

  constructor(storage: StorageLike, options: AutosaveOptions) {
    this.storage = storage;
    this.tabId = options.tabId;
    this.now = options.now ?? Date.now;
    this.key = options.key ?? AUTOSAVE_KEY;
    this.previousKey = `${this.key}:previous`;
    this.corruptPrefix = `${this.key}:corrupt:`;
    this.closedPrefix = `${this.key}:closed:`;
  }

  /**
   * Reads the main slot and makes it this tab's base. An unreadable record is moved to
   * `KEY:corrupt:<ms>` (text kept verbatim), the main slot is emptied, and 'corrupt' returned.
   */
  load(): LoadResult {
    let raw: string | null;
    try {
      raw = this.storage.getItem(this.key);
    } catch (e) {
      this.base = null;
      this.lastRaw = null;
      this.lastContent = null;
      return { kind: 'unavailable', error: storageError(e) };
    }
    const result = this.readSlot(this.key, raw);
    if (result.kind === 'ok') {
      this.base = { rev: result.saved.rev, tab: result.saved.tab };
      this.lastRaw = raw;
      this.lastContent = contentOf(result.saved.circuit, result.saved.expression);
    } else {
      this.base = null;
      this.lastRaw = null;
      this.lastContent = null;
    }
    return result;
  }

  /** "Load theirs" after a conflict: the same as `load()`, named for the dialog. */
  adopt(): LoadResult {
    return this.load();
  }

  /**
   * Writes the circuit if it differs from the last write, and if the slot still holds this
   * tab's base (or a record of this tab's own, or nothing). Never throws.
   */
  save(circuit: Circuit, expression: string | null): SaveOutcome {
    const refused = unreadable(circuit);
    if (refused) return refused;
    const encoded = encode(circuit, expression);
    if (encoded.content === this.lastContent) return { kind: 'unchanged' };
    return this.write(encoded, false);
  }

  /** "Keep mine" after a conflict: writes over whatever the slot holds (an unreadable record is still set aside). */
  forceSave(circuit: Circuit, expression: string | null): SaveOutcome {
    const refused = unreadable(circuit);
    if (refused) return refused;
    return this.write(encode(circuit, expression), true);
  }

  /**
   * Call before a link replaces the circuit in hand (also at startup with a hash, passing the
   * autosaved circuit from `load()`): keeps it in `KEY:previous`, which outlives a reload.
   * `incoming` is the circuit the link brings. Nothing is written when the circuit in hand is
   * empty, is what the link brings, or is what an earlier link brought unedited (it can be
   * opened again from that link, and writing it would push out older work); or when the
   * previous slot already holds it.
   */
  keepPrevious(circuit: Circuit, expression: string | null, incoming?: Snapshot): KeepOutcome {
    const refused = unreadable(circuit);
    if (refused) return refused;
    const encoded = encode(circuit, expression);
    const incomingContent = incoming ? contentOf(incoming.circuit, incoming.expression) : null;
    const reproducible =
      encoded.content === this.lastIncoming || encoded.content === incomingContent;
    if (incomingContent !== null) this.lastIncoming = incomingContent;
    if (reproducible || circuit.nodes.length === 0) return { kind: 'unchanged' };

    let raw: string | null;
    try {
      raw = this.storage.getItem(this.previousKey);
    } catch (e) {
      return { kind: 'quota', error: storageError(e) };
    }
    if (raw !== null) {
      const read = readRecord(raw);
      if (read.ok && read.content === encoded.content) return { kind: 'unchanged' };
      if (!read.ok && read.newer) return { kind: 'newer', error: newerError(read.error) };
      if (!read.ok && this.setAside(this.previousKey, raw) === null) {
        return { kind: 'quota', error: `${read.error}; it could not be set aside` };
      }
    }
    const text = recordText(0, this.tabId, this.now(), encoded);
    try {
      this.storage.setItem(this.previousKey, text);
    } catch (e) {
      return { kind: 'quota', error: storageError(e) };
    }
    return { kind: 'saved' };
  }

  /** The circuit a link replaced, if any (an unreadable one is set aside like in `load`). */
  previous(): LoadResult {
    let raw: string | null;
    try {
      raw = this.storage.getItem(this.previousKey);
    } catch (e) {
      return { kind: 'unavailable', error: storageError(e) };
    }
    this.lastPreviousRaw = raw;
    return this.readSlot(this.previousKey, raw);
  }

  /**
   * For a record that reads but could not be opened: moves the text of the main slot as
   * `load()` read it (or of the previous slot as `previous()` read it) to
   * `KEY:corrupt:<ms>`, verbatim, and returns that key. Null if the slot no longer holds that
   * text (another tab wrote since) or it could not be moved.
   */
  setAsideUnopenable(slot: 'main' | 'previous'): string | null {
    const key = slot === 'main' ? this.key : this.previousKey;
    const raw = slot === 'main' ? this.lastRaw : this.lastPreviousRaw;
    if (raw === null || this.read(key) !== raw) return null;
    const target = this.setAside(key, raw);
    if (slot === 'main' && target !== null) {
      this.base = null;
      this.lastRaw = null;
      this.lastContent = null;
    }
    if (slot === 'previous') this.lastPreviousRaw = null;
    return target;
  }

  /**
   * Keeps this tab's circuit in `KEY:closed:<tab id>`: for a tab being closed while it is in a
   * conflict, so that its edits are not lost. Rewrites the same key on every call.
   */
  keepClosed(circuit: Circuit, expression: string | null): KeepOutcome {
    const refused = unreadable(circuit);
    if (refused) return refused;
    const text = recordText(0, this.tabId, this.now(), encode(circuit, expression));
    try {
      this.storage.setItem(`${this.closedPrefix}${this.tabId}`, text);
    } catch (e) {
      return { kind: 'quota', error: storageError(e) };
    }
    return { kind: 'saved' };
  }

  /** The records kept by closed tabs (other than this one), newest first; unreadable ones skipped. */
  closed(): ClosedRecord[] {
    const records: ClosedRecord[] = [];
    for (const key of this.keysWith(this.closedPrefix)) {
      if (key === `${this.closedPrefix}${this.tabId}`) continue;
      const raw = this.read(key);
      if (raw === null) continue;
      const read = readRecord(raw);
      if (read.ok) records.push({ key, saved: read.saved });
    }
    return records.sort((a, b) => b.saved.savedAt - a.saved.savedAt);
  }

  /** Reads a closed tab's record and removes it (it is about to be opened). */
  takeClosed(key: string): LoadResult {
    if (!key.startsWith(this.closedPrefix)) return { kind: 'none' };
    let raw: string | null;
    try {
      raw = this.storage.getItem(key);
    } catch (e) {
      return { kind: 'unavailable', error: storageError(e) };
    }
    const result = this.readSlot(key, raw);
    if (result.kind === 'ok') {
      try {
        this.storage.removeItem(key);
      } catch {
        // It stays; opening it again later does no harm.
      }
    }
    return result;
  }

  clearPrevious(): void {
    try {
      this.storage.removeItem(this.previousKey);
    } catch {
      // Storage unavailable: nothing to clear.
    }
  }

  /**
   * For the window's 'storage' event (it fires in the other tabs only): 'theirs-newer' when
   * another tab wrote a record this tab has not seen. The app then offers "Load theirs"
   * (`adopt`) or "Keep mine" (`forceSave`); until then `save` answers 'conflict'.
   */
  onExternalChange(event: {
    key: string | null;
    newValue: string | null;
  }): 'theirs-newer' | 'closed-tab' | 'ignore' {
    if (event.newValue === null) return 'ignore';
    if (event.key?.startsWith(this.closedPrefix)) {
      return readHeader(event.newValue).ok ? 'closed-tab' : 'ignore';
    }
    if (event.key !== this.key) return 'ignore';
    if (event.newValue === this.lastRaw) return 'ignore';
    const header = readHeader(event.newValue);
    // An unreadable record is dealt with (set aside) by the next save or load.
    if (!header.ok) return 'ignore';
    return this.isOurs(header) ? 'ignore' : 'theirs-newer';
  }

  /** The keys of records set aside as unreadable (empty if the storage cannot list keys). */
  corruptKeys(): string[] {
    return this.keysWith(this.corruptPrefix);
  }

  private keysWith(prefix: string): string[] {
    const { storage } = this;
    const keys: string[] = [];
    try {
      const count = storage.length ?? 0;
      for (let i = 0; i < count; i++) {
        const key = storage.key?.(i);
        if (key?.startsWith(prefix)) keys.push(key);
      }
    } catch {
      // Storage unavailable.
    }
    return keys.sort();
  }

  // -------------------------------------------------------------------------------------------

  private write(encoded: Encoded, force: boolean): SaveOutcome {
    let raw: string | null;
    try {
      raw = this.storage.getItem(this.key);
    } catch (e) {
      return { kind: 'quota', error: storageError(e) };
    }
    let rev = this.base?.rev ?? 0;
    let setAside: { key: string; error: string } | undefined;
    if (raw !== null && raw !== this.lastRaw) {
      const read = readRecord(raw);
      // Not even "keep mine" writes over a newer version's record.
      if (!read.ok && read.newer) return { kind: 'newer', error: newerError(read.error) };
      if (!read.ok) {
        const key = this.setAside(this.key, raw);
        if (key === null) {
          return {
            kind: 'quota',
            error: `the saved circuit is unreadable (${read.error}) and could not be set aside`,
          };
        }
        setAside = { key, error: read.error };
      } else {
        if (!force && !this.isOurs(read.saved)) return { kind: 'conflict', theirs: read.saved };
        rev = Math.max(rev, read.saved.rev);
      }
    }
    rev += 1;
    const text = recordText(rev, this.tabId, this.now(), encoded);
    try {
      this.storage.setItem(this.key, text);
    } catch (e) {
      return { kind: 'quota', error: storageError(e) };
    }
    this.base = { rev, tab: this.tabId };
    this.lastRaw = text;
    this.lastContent = encoded.content;
    return setAside ? { kind: 'saved', rev, setAside } : { kind: 'saved', rev };
  }

  /** Written by this tab, or the very record this tab based its work on. */
  private isOurs(record: { rev: number; tab: string }): boolean {
    if (record.tab === this.tabId) return true;
    return this.base !== null && record.rev === this.base.rev && record.tab === this.base.tab;
  }

  private readSlot(slot: string, raw: string | null): LoadResult {
    if (raw === null) return { kind: 'none' };
    const read = readRecord(raw);
    if (read.ok) return { kind: 'ok', saved: read.saved };
    if (read.newer) return { kind: 'newer', error: newerError(read.error) };
    return { kind: 'corrupt', setAsideKey: this.setAside(slot, raw), error: read.error };
  }

  /** Reads a slot; an unavailable storage reads as empty (the next write reports it). */
  private read(slot: string): string | null {
    try {
      return this.storage.getItem(slot);
    } catch {
      return null;
    }
  }

  /**
   * Moves `raw` from `slot` to a fresh `KEY:corrupt:<ms>` key. Returns that key, or null if it
   * could not be moved, in which case it stays in `slot`.
   */
  private setAside(slot: string, raw: string): string | null {
    const stamp = this.now();
    let target = `${this.corruptPrefix}${stamp}`;
    for (let i = 2; this.read(target) !== null; i++) target = `${this.corruptPrefix}${stamp}-${i}`;
    try {
      this.storage.setItem(target, raw);
    } catch {
      // No room for a copy: free the slot first, then copy; put it back if even that fails.
      try {
        this.storage.removeItem(slot);
        this.storage.setItem(target, raw);
        return target;
      } catch {
        try {
          this.storage.setItem(slot, raw);
        } catch {
          // Nothing more can be done.
        }
        return null;
      }
    }
    try {
      this.storage.removeItem(slot);
    } catch {
      // The copy is made; the slot keeps its text too.
    }
    return target;
  }
}

// ---------------------------------------------------------------------------------------------
// Records

interface Encoded {
  /** The circuit file, as JSON text that keeps -0. */
  fileText: string;
  expression: string | null;
  /** Expression and circuit together: equal content means nothing to write. */
  content: string;
}

function encode(circuit: Circuit, expression: string | null): Encoded {
  const fileText = writeJson(toFileObject(circuit), '');
  return { fileText, expression, content: `${JSON.stringify(expression)}\n${fileText}` };
}

/**
 * The refusal for a circuit the codecs could not read back: over a limit of the table, or a
 * position outside the position limit. The store never holds one; this keeps it that way.
 */
function unreadable(circuit: Circuit): { kind: 'refused'; error: string } | undefined {
  const values: Tensor[] = [];
  for (const node of circuit.nodes) {
    if (node.value) values.push(node.value);
    // A gate's parameters are numbers of the circuit too, as the codecs count them.
    if (node.params) for (const key of Object.keys(node.params)) values.push(node.params[key]);
    if (node.position && !positionFits(node.position)) {
      return {
        kind: 'refused',
        error: `the position of node ${JSON.stringify(node.id)} is outside the position limit, so the circuit was not saved`,
      };
    }
  }
  const problem = limitProblem(circuit, values);
  return problem
    ? { kind: 'refused', error: `${problem}, so the circuit was not saved` }
    : undefined;
}

function contentOf(circuit: Circuit, expression: string | null): string {
  return encode(circuit, expression).content;
}

function recordText(rev: number, tab: string, savedAt: number, encoded: Encoded): string {
  const at = Number.isFinite(savedAt) ? savedAt : 0;
  return (
    `{"format":${JSON.stringify(AUTOSAVE_FORMAT)},"version":${AUTOSAVE_VERSION},` +
    `"rev":${rev},"tab":${JSON.stringify(tab)},"savedAt":${at},` +
    `"expression":${JSON.stringify(encoded.expression)},"file":${encoded.fileText}}`
  );
}

/** A record that cannot be read; `newer` when it is a newer version's, which is kept as it is. */
type Unread = { ok: false; error: string; newer?: true };

type Header = { ok: true; data: object; rev: number; tab: string } | Unread;

/** Parses a record and checks everything but the circuit. */
function readHeader(raw: string): Header {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    return { ok: false, error: `the saved circuit is not valid JSON (${message(e)})` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: 'the saved circuit is not a JSON object' };
  }
  if (own(data, 'format') !== AUTOSAVE_FORMAT) {
    return { ok: false, error: `this is not an autosave ("format" must be "${AUTOSAVE_FORMAT}")` };
  }
  const version = own(data, 'version');
  if (typeof version === 'number' && Number.isInteger(version) && version > AUTOSAVE_VERSION) {
    return {
      ok: false,
      error: `it was made by a newer version of Backprop Circuits (autosave version ${version}; this app reads version ${AUTOSAVE_VERSION})`,
      newer: true,
    };
  }
  if (version !== AUTOSAVE_VERSION) {
    return { ok: false, error: `unknown autosave version ${JSON.stringify(version) ?? 'none'}` };
  }
  // A circuit of a newer format is a newer version's record as well (checked here, without
  // reading the circuit, so that the storage event can tell too).
  const file = own(data, 'file');
  const fileVersion = typeof file === 'object' && file !== null ? own(file, 'version') : undefined;
  if (typeof fileVersion === 'number' && fileVersion > FILE_VERSION) {
    return {
      ok: false,
      error: `it was made by a newer version of Backprop Circuits (circuit format version ${fileVersion}; this app reads versions up to ${FILE_VERSION})`,
      newer: true,
    };
  }
  const rev = own(data, 'rev');
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 0) {
    return { ok: false, error: '"rev" must be a whole number ≥ 0' };
  }
  const tab = own(data, 'tab');
  if (typeof tab !== 'string') return { ok: false, error: '"tab" must be a string' };
  return { ok: true, data, rev, tab };
}

type ReadRecord = { ok: true; saved: SavedCircuit; content: string } | Unread;

function readRecord(raw: string): ReadRecord {
  const header = readHeader(raw);
  if (!header.ok) return header;
  const { data, rev, tab } = header;
  const savedAt = own(data, 'savedAt');
  if (typeof savedAt !== 'number' || !Number.isFinite(savedAt)) {
    return { ok: false, error: '"savedAt" must be a number' };
  }
  const expression = own(data, 'expression') ?? null;
  if (expression !== null && typeof expression !== 'string') {
    return { ok: false, error: '"expression" must be text or null' };
  }
  const decoded = decodeCircuitObject(own(data, 'file'));
  if (!decoded.ok) return { ok: false, error: `the saved circuit is unreadable: ${decoded.error}` };
  const saved: SavedCircuit = {
    circuit: decoded.circuit,
    expression,
    savedAt,
    rev,
    tab,
    warnings: decoded.warnings,
  };
  return { ok: true, saved, content: contentOf(decoded.circuit, expression) };
}

/** The sentence for a record of a newer version, which is kept. */
function newerError(why: string): string {
  return `The circuit saved in this browser cannot be opened here: ${why}. It is kept as it is, and this tab does not save over it; update Backprop Circuits (reload the page) to open it`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function storageError(e: unknown): string {
  const name =
    typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string' ? e.name : '';
  if (name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED') {
    return 'the browser storage is full, so the circuit was not saved (it is still open here)';
  }
  return `the browser storage is unavailable (${message(e)}), so the circuit was not saved`;
}

// ---------------------------------------------------------------------------------------------
// Debounce

/** Timer functions, replaceable in tests. */
export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  /** Runs a pending call now (with the latest arguments); does nothing if none is pending. */
  flush(): void;
  /** Drops a pending call. */
  cancel(): void;
  readonly pending: boolean;
}

/**
 * Calls `fn` with the latest arguments once calls stop for `ms`. With `maxWait`, a stream of
 * calls that never pauses still runs `fn` at least every `maxWait` ms.
 */
export function debounce<A extends unknown[]>(
  fn: (...args: A) => void,
  ms: number,
  options: { maxWait?: number; timers?: Timers } = {},
): Debounced<A> {
  const timers = options.timers ?? REAL_TIMERS;
  let args: A | null = null;
  let timer: unknown;
  let maxTimer: unknown;

  const clearTimers = () => {
    if (timer !== undefined) timers.clear(timer);
    if (maxTimer !== undefined) timers.clear(maxTimer);
    timer = undefined;
    maxTimer = undefined;
  };
  const run = () => {
    clearTimers();
    if (args === null) return;
    const latest = args;
    args = null;
    fn(...latest);
  };

  const debounced = (...latest: A) => {
    args = latest;
    if (timer !== undefined) timers.clear(timer);
    timer = timers.set(run, ms);
    if (options.maxWait !== undefined && maxTimer === undefined) {
      maxTimer = timers.set(run, options.maxWait);
    }
  };
  return Object.defineProperties(debounced, {
    flush: { value: run },
    cancel: {
      value: () => {
        clearTimers();
        args = null;
      },
    },
    pending: { get: () => args !== null },
  }) as Debounced<A>;
}
