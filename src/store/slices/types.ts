import type { Doc } from '../document';
import type { AppState } from '../store';
import type { DocChange } from './evaluation';

/** The store's `set`, as the slices use it: a partial state merged in. */
export type SetState = (partial: Partial<AppState>) => void;
export type GetState = () => AppState;

/** What the document slice shares with the store around it. */
export interface SliceContext {
  /**
   * Replaces the document (one undo step, or part of the gesture under way), together with
   * `extra` in the same update; what is computed from the document follows in that update.
   * `change` says what changed, when the edit knows (one value, one literal).
   */
  commit(doc: Doc, change?: DocChange, extra?: Partial<AppState>): void;
  /** Undo grouping: between `beginGesture` and `endGesture` only the first change is recorded. */
  readonly gesture: { active: boolean; recorded: boolean };
}
