/**
 * The one store, from its slices (one file each in ./slices): the document (undoable, with
 * every edit), the evaluation (the compiled program, its last run and the view), playback
 * and the UI state around them.
 *
 * Derived state is computed where the document changes: every write of `doc` (an edit's
 * commit, undo, redo, a `setState` from outside) goes through `followDocument`, which puts
 * the program, the run and the view that follow from the new document into the same update.
 * No listener writes state back afterwards.
 */
import { temporal } from 'zundo';
import {
  createStore,
  type StateCreator,
  type StoreApi,
  type StoreMutatorIdentifier,
} from 'zustand/vanilla';
import { type Doc, EMPTY_DOC } from './document';
import { createDocumentSlice, type DocumentSlice } from './slices/document';
import {
  createEvaluator,
  type DocChange,
  type EvaluationSlice,
  evaluationSlice,
} from './slices/evaluation';
import { createExpandSlice, type ExpandSlice } from './slices/expand';
import { createGatesSlice, type GatesSlice } from './slices/gates';
import { createUiSlice, type UiSlice } from './slices/interface';
import { createPlaybackSlice, type PlaybackSlice, playbackAfterRun } from './slices/playback';
import type { SetState, SliceContext } from './slices/types';

export type { LoadOptions } from './slices/document';
export type { DocChange, Evaluated } from './slices/evaluation';
export type { Clipboard, ExpressionError, Notice, NoticeAction } from './slices/interface';
export { SPEEDS, STEP_MS } from './slices/playback';
export type { NumbersById, View } from './view';

export interface AppState
  extends DocumentSlice,
    EvaluationSlice,
    PlaybackSlice,
    UiSlice,
    ExpandSlice,
    GatesSlice {}

export type AppStore = ReturnType<typeof createAppStore>;

export function createAppStore(initial: Doc = EMPTY_DOC) {
  // Undo grouping for gestures lives in this closure, not in a module global.
  const gesture = { active: false, recorded: false };
  const evaluator = createEvaluator();
  /** What the edit being committed says it changed (read once, by the commit of that doc). */
  let pending: { doc: Doc; change: DocChange } | null = null;

  /** The evaluation and playback state that follow from replacing the document by `doc`. */
  const derive = (state: AppState, doc: Doc): Partial<AppState> => {
    const change = pending?.doc === doc ? pending.change : undefined;
    pending = null;
    const evaluated = evaluator.after(state, doc, change);
    if (!evaluated) return {};
    return Object.assign(playbackAfterRun(state, evaluated), evaluated);
  };

  const store = createStore<AppState>()(
    followDocument(
      temporal(
        (set, get) => {
          const ctx: SliceContext & { prepare: typeof evaluator.prepare } = {
            gesture,
            prepare: evaluator.prepare,
            commit(doc, change, extra) {
              pending = change ? { doc, change } : null;
              set({ ...extra, doc });
            },
          };
          const setState = set as SetState;
          return {
            ...createDocumentSlice(setState, get, ctx, initial),
            ...evaluationSlice(evaluator.start(initial)),
            ...createPlaybackSlice(setState, get),
            ...createUiSlice(setState, get),
            ...createExpandSlice(setState, get, ctx),
            ...createGatesSlice(setState, get, ctx),
          };
        },
        {
          partialize: (state) => ({ doc: state.doc }),
          equality: (past, current) => past.doc === current.doc,
          limit: 500,
          handleSet: (handleSet) => (pastState, replace, currentState, delta) => {
            if (gesture.active) {
              if (gesture.recorded) return;
              gesture.recorded = true;
            }
            (handleSet as (...args: unknown[]) => void)(pastState, replace, currentState, delta);
          },
        },
      ),
      derive,
    ),
  );

  return store as StoreApi<AppState> & typeof store;
}

/**
 * Middleware: any update that replaces the document also carries what is derived from it
 * (`derive`), computed before the update is applied, so that no one ever sees a document
 * with the numbers of another. It wraps the store's `setState` too, so undo and redo (which
 * write the document through it) are covered.
 */
function followDocument<Mos extends [StoreMutatorIdentifier, unknown][]>(
  config: StateCreator<AppState, [], Mos>,
  derive: (state: AppState, doc: Doc) => Partial<AppState>,
): StateCreator<AppState, [], Mos> {
  return (set, get, api) => {
    const write = set as (partial: unknown, replace?: boolean) => void;
    const following = ((partial: unknown, replace?: boolean) => {
      const state = get();
      const patch = (
        typeof partial === 'function' ? (partial as (s: AppState) => unknown)(state) : partial
      ) as Partial<AppState>;
      if (patch.doc !== undefined && patch.doc !== state.doc) {
        write(Object.assign({}, patch, derive(state, patch.doc)), replace);
      } else {
        write(patch, replace);
      }
    }) as typeof set;
    api.setState = following as typeof api.setState;
    return config(following, get, api);
  };
}
