import { type Circuit, ParseError } from '../engine';
import { readProgram } from '../engine/python';
import { GALLERY } from '../examples';
import { withSeed } from '../share/file';
import { decodeHash, type ViewState } from '../share/link';
import {
  Autosave,
  type ClosedRecord,
  debounce,
  type KeepOutcome,
  type LoadResult,
  type SaveOutcome,
  type Snapshot,
  type StorageLike,
} from '../store/autosave';
import { type Doc, docToCircuit } from '../store/document';
import { type AppStore, createAppStore, type NoticeAction } from '../store/store';

/** What a link asks to open, read and parsed: a circuit, or a message saying why not. */
type Opened =
  | {
      kind: 'circuit';
      circuit: Circuit;
      expression: string | null;
      view: ViewState;
      warnings: readonly string[];
    }
  | { kind: 'view'; view: ViewState; warnings: readonly string[] }
  | { kind: 'broken'; error: string };

/**
 * A link's notice, followed by what the decoder ignored or changed (an unknown key such as a
 * misspelt `#exp=`, a repeated key, a flag with a bad value, a position moved back in range).
 */
export function withLinkWarnings(text: string, warnings: readonly string[]): string {
  if (warnings.length === 0) return text;
  return `${text} Not everything in the link was used: ${warnings.join('; ')}.`;
}

/** Reads a location hash into a circuit (parsing `#expr=` programs), never throwing. */
export function openHash(hash: string): Opened {
  const link = decodeHash(hash);
  if (!link.ok) return { kind: 'broken', error: link.error };
  const warnings = link.warnings;
  if (link.kind === 'none') return { kind: 'view', view: link.view, warnings };
  if (link.kind === 'full') {
    return {
      kind: 'circuit',
      circuit: link.circuit,
      expression: link.expression ?? null,
      view: link.view,
      warnings,
    };
  }
  try {
    // The app's language or pasted Python, as the Expression field reads it.
    const { circuit } = readProgram(link.expression).parsed;
    // The upstream gradient (`seed=`) rides beside the program.
    const seeded = link.seed ? withSeed(circuit, link.seed) : circuit;
    return {
      kind: 'circuit',
      circuit: seeded,
      expression: link.expression,
      view: link.view,
      warnings,
    };
  } catch (error) {
    const message =
      error instanceof ParseError ? error.message : String((error as Error).message ?? error);
    return { kind: 'broken', error: `the program in the link has an error: ${message}` };
  }
}

/**
 * The page's localStorage, looked up on every call: where the browser blocks site data, the
 * `localStorage` getter itself throws, and autosave reports that like any other failure.
 */
function pageStorage(win: Window): StorageLike {
  return {
    getItem: (k) => win.localStorage.getItem(k),
    setItem: (k, v) => win.localStorage.setItem(k, v),
    removeItem: (k) => win.localStorage.removeItem(k),
    key: (i) => win.localStorage.key(i),
    get length() {
      return win.localStorage.length;
    },
  };
}

function newTabId(win: Window): string {
  return win.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface Session {
  readonly store: AppStore;
  dispose(): void;
}

type NoticeKind = 'error' | 'warning' | 'info';

/**
 * Opens a circuit in the store and applies the view flags, if given. Returns why it could not
 * (the store is then as it was, or holds a circuit that opened but whose view failed).
 */
function openIn(
  store: AppStore,
  circuit: Circuit,
  expression: string | null,
  view?: ViewState,
): string | undefined {
  try {
    const problem = store.getState().tryLoadCircuit(circuit, {
      expression: expression ?? undefined,
    });
    if (problem !== undefined) return problem;
    if (view) applyView(store, view);
    return undefined;
  } catch (error) {
    return errorText(error);
  }
}

/**
 * Opens the app: the circuit from the link if there is one (the autosaved circuit it replaces
 * is kept and can be restored), else the autosaved circuit, else the first example. Whatever
 * fails to open on the way is reported (and an autosave that cannot be opened is set aside,
 * verbatim), and the app still opens. Then keeps the circuit saved as the user works, and
 * follows links pasted into the address bar.
 */
export function startSession(win: Window = window): Session {
  const autosave = new Autosave(pageStorage(win), { tabId: newTabId(win) });
  const loaded = autosave.load();
  const opened = openHash(win.location.hash);
  const startNotices: { text: string; kind: NoticeKind; actions?: NoticeAction[] }[] = [];
  const store = createAppStore();

  const view: ViewState = opened.kind === 'view' ? opened.view : {};
  let open = false;
  /** What keeping the autosaved circuit (replaced by the link's) as the previous one gave. */
  let startKept: KeepOutcome | null = null;
  const saved = loaded.kind === 'ok' ? loaded.saved : null;
  let linkNoticeGiven = false;
  if (opened.kind === 'circuit') {
    const problem = openIn(store, opened.circuit, opened.expression, opened.view);
    if (problem === undefined) {
      open = true;
      if (saved && !opened.view.embed) {
        startKept = autosave.keepPrevious(saved.circuit, saved.expression, opened);
        if (startKept.kind !== 'unchanged') {
          startNotices.push({
            text: withLinkWarnings(
              'Opened the circuit from the link. The circuit you had before is kept.',
              opened.warnings,
            ),
            kind: opened.warnings.length > 0 ? 'warning' : 'info',
            actions: [{ label: 'Restore previous circuit', run: () => restorePrevious() }],
          });
          linkNoticeGiven = true;
        }
      }
      if (!linkNoticeGiven && opened.warnings.length > 0) {
        startNotices.push({
          text: withLinkWarnings('Opened the circuit from the link.', opened.warnings),
          kind: 'warning',
        });
      }
    } else {
      startNotices.push({ text: `This link could not be opened: ${problem}.`, kind: 'error' });
    }
  } else if (opened.kind === 'broken') {
    startNotices.push({ text: `This link could not be opened: ${opened.error}.`, kind: 'error' });
  } else if (opened.warnings.length > 0) {
    startNotices.push({
      text: withLinkWarnings('The link holds no circuit.', opened.warnings),
      kind: 'warning',
    });
  }
  if (!open && saved) {
    const problem = openIn(store, saved.circuit, saved.expression, view);
    if (problem === undefined) {
      open = true;
    } else {
      const key = autosave.setAsideUnopenable('main');
      startNotices.push({
        text: `The circuit saved in this browser could not be opened (${problem}). It was set aside, not deleted${key ? ` (storage key ${key})` : ''}; the first example is open instead.`,
        kind: 'warning',
      });
    }
  }
  if (!open) {
    const problem = openIn(store, GALLERY[0].circuit, GALLERY[0].program, view);
    if (problem !== undefined) throw new Error(`the first example could not be opened: ${problem}`);
  }
  if (loaded.kind === 'corrupt') {
    startNotices.push({
      text: `The circuit saved in this browser could not be read (${loaded.error}). It was set aside, not deleted${loaded.setAsideKey ? ` (storage key ${loaded.setAsideKey})` : ''}.`,
      kind: 'warning',
    });
  }
  // A fresh start: nothing to undo, and the canvas fits the circuit when it first draws.
  store.temporal.getState().clear();
  store.setState({ fitRequest: 0 });
  const embedded = () => store.getState().mode.embed;

  // ——— storage failures: warned about once, and the warning goes when saving works again ———
  let warned = false;
  let warningSerial = -1;
  const storageFailed = (error: string): void => {
    if (warned || embedded()) return;
    warned = true;
    store
      .getState()
      .notify(
        `Autosave failed: ${error}. Everything stays open in this tab; use Share → Download file to keep a copy.`,
        'warning',
        { sticky: true },
      );
    warningSerial = store.getState().notice?.serial ?? -1;
  };
  const storageWorks = (): void => {
    if (!warned) return;
    warned = false;
    if (store.getState().notice?.serial === warningSerial) store.getState().dismissNotice();
  };
  // ——— a record from a newer version of the app: kept as it is, and the user told once ———
  let newerWarned = false;
  const newerFound = (error: string): void => {
    if (newerWarned || embedded()) return;
    newerWarned = true;
    store
      .getState()
      .notify(
        `${error}. Until then this tab keeps its work in memory; use Share → Download file to keep a copy.`,
        'warning',
        { sticky: true },
      );
  };
  const report = (outcome: SaveOutcome | KeepOutcome): void => {
    if (outcome.kind === 'quota' || outcome.kind === 'refused') storageFailed(outcome.error);
    else if (outcome.kind === 'newer') newerFound(outcome.error);
    else if (outcome.kind === 'saved') storageWorks();
  };

  /** A circuit kept in memory when the storage could not keep it, for "Restore previous". */
  let previousInMemory: Snapshot | null =
    saved && startKept && startKept.kind !== 'saved' && startKept.kind !== 'unchanged'
      ? saved
      : null;

  const restorePrevious = (): void => {
    if (previousInMemory) {
      const { circuit, expression } = previousInMemory;
      if (store.getState().loadCircuit(circuit, { expression: expression ?? undefined })) {
        previousInMemory = null;
      }
      return;
    }
    const previous: LoadResult = autosave.previous();
    if (previous.kind === 'unavailable') {
      storageFailed(previous.error);
      return;
    }
    if (previous.kind === 'newer') {
      store.getState().notify(`${previous.error}.`, 'warning');
      return;
    }
    if (previous.kind !== 'ok') {
      store.getState().notify('There is no previous circuit to restore.', 'warning');
      return;
    }
    const problem = openIn(store, previous.saved.circuit, previous.saved.expression);
    if (problem !== undefined) {
      // The circuit in hand stays open: the store is unchanged when a circuit fails to open.
      const key = autosave.setAsideUnopenable('previous');
      store
        .getState()
        .notify(
          `The previous circuit could not be opened (${problem}). It was set aside, not deleted${key ? ` (storage key ${key})` : ''}.`,
          'warning',
        );
    }
  };
  const restoreAction: NoticeAction = { label: 'Restore previous circuit', run: restorePrevious };

  /**
   * Replaces the circuit in hand with one from elsewhere (a link, a closed tab), keeping the
   * one in hand as the previous circuit (in memory if the storage cannot keep it). Returns why
   * it could not be opened (the circuit in hand then stays), or whether there is a previous
   * circuit to restore.
   */
  const replaceWith = (incoming: Snapshot): { problem: string } | { restorable: boolean } => {
    save.flush();
    const current = store.getState().doc;
    const currentCircuit = docToCircuit(current);
    const problem = openIn(store, incoming.circuit, incoming.expression);
    if (problem !== undefined) return { problem };
    const kept = autosave.keepPrevious(currentCircuit, current.expression, incoming);
    report(kept);
    const inMemory = kept.kind === 'quota' || kept.kind === 'refused';
    if (inMemory) previousInMemory = { circuit: currentCircuit, expression: current.expression };
    else if (kept.kind === 'saved') previousInMemory = null;
    return { restorable: kept.kind === 'saved' || kept.kind === 'unchanged' || inMemory };
  };

  // ——— autosave ———
  /** The document last saved (or found already saved): a tab closing with another has unsaved edits. */
  let savedDoc: Doc | null = store.getState().doc;
  /** Another tab saved work this tab has not seen, and the user has not chosen yet. */
  let conflicted = false;
  const save = debounce(
    (current: Doc) => {
      // Embedded frames never write; nor does a tab whose circuit cannot be drawn right now.
      if (embedded() || store.getState().drawingFailure !== null) return;
      const outcome = autosave.save(docToCircuit(current), current.expression);
      report(outcome);
      if (outcome.kind === 'conflict') {
        conflicted = true;
        offerConflict();
      } else if (outcome.kind === 'saved' || outcome.kind === 'unchanged') {
        savedDoc = current;
      }
    },
    400,
    { maxWait: 3000 },
  );

  let conflictSerial = -1;
  /** Offers the choice, unless it is the notice showing. */
  const offerConflict = (): void => {
    if (store.getState().notice?.serial === conflictSerial) return;
    store
      .getState()
      .notify('Another tab saved a newer circuit. This tab has not overwritten it.', 'warning', {
        sticky: true,
        actions: [
          {
            label: 'Open the newer one',
            run: () => {
              conflicted = false;
              const theirs = autosave.adopt();
              if (theirs.kind === 'unavailable') {
                storageFailed(theirs.error);
                return;
              }
              if (theirs.kind !== 'ok') return;
              const problem = openIn(store, theirs.saved.circuit, theirs.saved.expression);
              if (problem === undefined) {
                savedDoc = store.getState().doc;
                return;
              }
              const key = autosave.setAsideUnopenable('main');
              store
                .getState()
                .notify(
                  `The newer circuit could not be opened (${problem}). It was set aside, not deleted${key ? ` (storage key ${key})` : ''}; this tab's circuit stays open.`,
                  'warning',
                );
            },
          },
          {
            label: 'Keep this one',
            run: () => {
              conflicted = false;
              const current = store.getState().doc;
              const outcome = autosave.forceSave(docToCircuit(current), current.expression);
              report(outcome);
              if (outcome.kind === 'saved') savedDoc = current;
            },
          },
        ],
      });
    conflictSerial = store.getState().notice?.serial ?? -1;
  };

  /** Offers the edits a tab kept when it was closed during a conflict. */
  const offerClosed = (record: ClosedRecord): void => {
    store
      .getState()
      .notify('A tab closed during a conflict kept its edits as a second circuit.', 'info', {
        sticky: true,
        actions: [
          {
            label: 'Open its circuit',
            run: () => {
              const taken = autosave.takeClosed(record.key);
              if (taken.kind !== 'ok') {
                store.getState().notify('That circuit is no longer there.', 'warning');
                return;
              }
              const result = replaceWith(taken.saved);
              if ('problem' in result) {
                store
                  .getState()
                  .notify(
                    `The circuit of the closed tab could not be opened: ${result.problem}.`,
                    'warning',
                  );
              } else {
                store
                  .getState()
                  .notify(
                    'Opened the circuit of the closed tab.',
                    'info',
                    result.restorable ? { actions: [restoreAction] } : {},
                  );
              }
            },
          },
        ],
      });
  };

  if (!embedded()) {
    const closed = autosave.closed();
    if (closed.length > 0) offerClosed(closed[0]);
  }
  for (const n of startNotices) {
    store.getState().notify(n.text, n.kind, n.actions ? { actions: n.actions } : {});
  }
  if (loaded.kind === 'unavailable') storageFailed(loaded.error);
  if (loaded.kind === 'newer') newerFound(loaded.error);
  if (startKept) report(startKept);

  // While something cannot be drawn, the circuit that broke it is not saved over the last
  // one that was; once it draws again, the circuit in hand is saved as usual.
  const unsubscribe = store.subscribe((state, prev) => {
    if (state.drawingFailure !== null) return;
    if (state.doc !== prev.doc || prev.drawingFailure !== null) save(state.doc);
  });
  const onPageHide = () => {
    save.flush();
    // Closing during a conflict: the edits go to a record of their own, which the other tab
    // offers to open.
    const current = store.getState().doc;
    if (conflicted && current !== savedDoc && !embedded()) {
      report(autosave.keepClosed(docToCircuit(current), current.expression));
    }
  };
  const onVisibility = () => {
    if (win.document.visibilityState === 'hidden') save.flush();
  };
  const onStorage = (event: StorageEvent) => {
    if (embedded()) return;
    const change = autosave.onExternalChange({ key: event.key, newValue: event.newValue });
    if (change === 'theirs-newer') {
      conflicted = true;
      offerConflict();
    } else if (change === 'closed-tab') {
      const record = autosave.closed().find((r) => r.key === event.key);
      if (record) offerClosed(record);
    }
  };

  // ——— links pasted into an open tab ———
  const onHashChange = () => {
    const next = openHash(win.location.hash);
    if (next.kind === 'view') {
      applyView(store, next.view);
      if (next.warnings.length > 0) {
        store
          .getState()
          .notify(withLinkWarnings('The link holds no circuit.', next.warnings), 'warning');
      }
      return;
    }
    if (next.kind === 'broken') {
      store.getState().notify(`This link could not be opened: ${next.error}.`, 'error');
      return;
    }
    const result = replaceWith(next);
    if ('problem' in result) {
      store.getState().notify(`This link could not be opened: ${result.problem}.`, 'error');
      return;
    }
    applyView(store, next.view);
    store
      .getState()
      .notify(
        withLinkWarnings('Opened the circuit from the link.', next.warnings),
        next.warnings.length > 0 ? 'warning' : 'info',
        result.restorable ? { actions: [restoreAction] } : {},
      );
  };

  win.addEventListener('pagehide', onPageHide);
  win.document.addEventListener('visibilitychange', onVisibility);
  win.addEventListener('storage', onStorage);
  win.addEventListener('hashchange', onHashChange);

  return {
    store,
    dispose() {
      save.flush();
      unsubscribe();
      win.removeEventListener('pagehide', onPageHide);
      win.document.removeEventListener('visibilitychange', onVisibility);
      win.removeEventListener('storage', onStorage);
      win.removeEventListener('hashchange', onHashChange);
    },
  };
}

/** Applies a link's view flags: embed and present modes, and the playback step. */
function applyView(store: AppStore, view: ViewState): void {
  const state = store.getState();
  state.setMode({ embed: view.embed === true, present: view.present === true });
  if (view.dark) store.setState({ darkRequest: state.darkRequest + 1 });
  if (view.step !== undefined) state.seek(view.step);
}
