import { type Circuit, ParseError, parse } from '../engine';
import { GALLERY } from '../examples';
import { decodeHash, type ViewState } from '../share/link';
import { Autosave, debounce, type LoadResult, type StorageLike } from '../store/autosave';
import { type Doc, docFromCircuit, docToCircuit } from '../store/document';
import { layoutCircuit } from '../store/layout';
import { type AppStore, createAppStore, type NoticeAction } from '../store/store';

/** What a link asks to open, read and parsed: a circuit, or a message saying why not. */
type Opened =
  | { kind: 'circuit'; circuit: Circuit; expression: string | null; view: ViewState }
  | { kind: 'view'; view: ViewState }
  | { kind: 'broken'; error: string };

/** Reads a location hash into a circuit (parsing `#expr=` programs), never throwing. */
export function openHash(hash: string): Opened {
  const link = decodeHash(hash);
  if (!link.ok) return { kind: 'broken', error: link.error };
  if (link.kind === 'none') return { kind: 'view', view: link.view };
  if (link.kind === 'full') {
    return {
      kind: 'circuit',
      circuit: link.circuit,
      expression: link.expression ?? null,
      view: link.view,
    };
  }
  try {
    const { circuit } = parse(link.expression);
    return { kind: 'circuit', circuit, expression: link.expression, view: link.view };
  } catch (error) {
    const message =
      error instanceof ParseError ? error.message : String((error as Error).message ?? error);
    return { kind: 'broken', error: `the program in the link has an error: ${message}` };
  }
}

/** A document for a circuit, laid out if it came without positions. */
function docFor(circuit: Circuit, expression: string | null): Doc {
  const doc = docFromCircuit(circuit, expression);
  if (doc.nodes.every((n) => doc.positions.has(n.id))) return doc;
  return { ...doc, positions: layoutCircuit(doc.nodes, doc.wires, doc.values) };
}

function firstExample(): Doc {
  return docFromCircuit(GALLERY[0].circuit, GALLERY[0].program);
}

/** localStorage where the browser allows it; a page-lifetime stand-in where it does not. */
function storageOf(win: Window): StorageLike {
  try {
    const s = win.localStorage;
    s.getItem('probe');
    return s;
  } catch {
    const memory = new Map<string, string>();
    return {
      getItem: (k) => memory.get(k) ?? null,
      setItem: (k, v) => void memory.set(k, v),
      removeItem: (k) => void memory.delete(k),
    };
  }
}

function newTabId(win: Window): string {
  return win.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export interface Session {
  readonly store: AppStore;
  dispose(): void;
}

/**
 * Opens the app: the circuit from the link if there is one (the autosaved circuit it replaces
 * is kept and can be restored), else the autosaved circuit, else the first example. Then
 * keeps the circuit saved as the user works, and follows links pasted into the address bar.
 */
export function startSession(win: Window = window): Session {
  const autosave = new Autosave(storageOf(win), { tabId: newTabId(win) });
  const loaded = autosave.load();
  const opened = openHash(win.location.hash);
  const startNotices: { text: string; kind: 'error' | 'warning' | 'info'; restore?: boolean }[] =
    [];

  let doc: Doc;
  let view: ViewState = {};
  const saved = loaded.kind === 'ok' ? loaded.saved : null;
  if (opened.kind === 'circuit') {
    doc = docFor(opened.circuit, opened.expression);
    view = opened.view;
    if (saved && !view.embed) {
      const kept = autosave.keepPrevious(saved.circuit, saved.expression, {
        circuit: opened.circuit,
        expression: opened.expression,
      });
      if (kept.kind === 'saved') {
        startNotices.push({
          text: 'Opened the circuit from the link. The circuit you had before is kept.',
          kind: 'info',
          restore: true,
        });
      }
    }
  } else {
    if (opened.kind === 'broken') {
      startNotices.push({ text: `This link could not be opened: ${opened.error}.`, kind: 'error' });
    } else {
      view = opened.view;
    }
    doc = saved ? docFromCircuit(saved.circuit, saved.expression) : firstExample();
  }
  if (loaded.kind === 'corrupt') {
    startNotices.push({
      text: `The circuit saved in this browser could not be read (${loaded.error}). It was set aside, not deleted${loaded.setAsideKey ? ` (storage key ${loaded.setAsideKey})` : ''}.`,
      kind: 'warning',
    });
  }

  const store = createAppStore(doc);
  store.temporal.getState().clear();
  applyView(store, view);
  const embedded = () => store.getState().mode.embed;

  const restorePrevious = (): void => {
    const previous: LoadResult = autosave.previous();
    if (previous.kind !== 'ok') {
      store.getState().notify('There is no previous circuit to restore.', 'warning');
      return;
    }
    store.getState().loadCircuit(previous.saved.circuit, {
      expression: previous.saved.expression ?? undefined,
    });
  };
  const restoreAction: NoticeAction = { label: 'Restore previous circuit', run: restorePrevious };

  for (const n of startNotices) {
    store.getState().notify(n.text, n.kind, n.restore ? { actions: [restoreAction] } : {});
  }

  // ——— autosave ———
  let warnedQuota = false;
  const save = debounce(
    (current: Doc) => {
      if (embedded()) return;
      const outcome = autosave.save(docToCircuit(current), current.expression);
      if (outcome.kind === 'conflict') {
        offerConflict();
      } else if (outcome.kind === 'quota' && !warnedQuota) {
        warnedQuota = true;
        store
          .getState()
          .notify(
            `Autosave failed: ${outcome.error}. Everything stays open in this tab; use Share → Download file to keep a copy.`,
            'warning',
            { sticky: true },
          );
      } else if (outcome.kind === 'saved') {
        warnedQuota = false;
      }
    },
    400,
    { maxWait: 3000 },
  );

  const offerConflict = (): void => {
    store
      .getState()
      .notify('Another tab saved a newer circuit. This tab has not overwritten it.', 'warning', {
        sticky: true,
        actions: [
          {
            label: 'Open the newer one',
            run: () => {
              const theirs = autosave.adopt();
              if (theirs.kind === 'ok') {
                store.getState().loadCircuit(theirs.saved.circuit, {
                  expression: theirs.saved.expression ?? undefined,
                });
              }
            },
          },
          {
            label: 'Keep this one',
            run: () => {
              const current = store.getState().doc;
              autosave.forceSave(docToCircuit(current), current.expression);
            },
          },
        ],
      });
  };

  const unsubscribe = store.subscribe((state, prev) => {
    if (state.doc !== prev.doc) save(state.doc);
  });
  const flush = () => save.flush();
  const onVisibility = () => {
    if (win.document.visibilityState === 'hidden') save.flush();
  };
  const onStorage = (event: StorageEvent) => {
    if (embedded()) return;
    if (
      autosave.onExternalChange({ key: event.key, newValue: event.newValue }) === 'theirs-newer'
    ) {
      offerConflict();
    }
  };

  // ——— links pasted into an open tab ———
  const onHashChange = () => {
    const next = openHash(win.location.hash);
    if (next.kind === 'view') {
      applyView(store, next.view);
      return;
    }
    if (next.kind === 'broken') {
      store.getState().notify(`This link could not be opened: ${next.error}.`, 'error');
      return;
    }
    save.flush();
    const current = store.getState().doc;
    const kept = autosave.keepPrevious(docToCircuit(current), current.expression, {
      circuit: next.circuit,
      expression: next.expression,
    });
    // loadCircuit lays the circuit out itself when it comes without positions.
    store.getState().loadCircuit(next.circuit, { expression: next.expression ?? undefined });
    applyView(store, next.view);
    store
      .getState()
      .notify(
        'Opened the circuit from the link.',
        'info',
        kept.kind === 'saved' || kept.kind === 'unchanged' ? { actions: [restoreAction] } : {},
      );
  };

  win.addEventListener('pagehide', flush);
  win.document.addEventListener('visibilitychange', onVisibility);
  win.addEventListener('storage', onStorage);
  win.addEventListener('hashchange', onHashChange);

  return {
    store,
    dispose() {
      save.flush();
      unsubscribe();
      win.removeEventListener('pagehide', flush);
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
