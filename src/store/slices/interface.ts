/**
 * The interface slice (named so because the lint rule keeps the store from importing any
 * path ending in `ui`): selection, notices, the expression field's error, the clipboard, drag
 * positions, fit and theme requests, and how the app is shown. None of it is undoable.
 */
import type { Params, Position, Tensor, Wire } from '../../engine';
import type { Language } from '../../engine/codegen';
import type { DocNode } from '../document';
import type { GetState, SetState } from './types';

/** A button offered with a notice ("Restore previous circuit", "Load theirs"). */
export interface NoticeAction {
  readonly label: string;
  readonly run: () => void;
}

export interface Notice {
  readonly text: string;
  readonly kind: 'error' | 'info' | 'warning';
  readonly actions?: readonly NoticeAction[];
  /** Stays until dismissed (otherwise it fades after a few seconds). */
  readonly sticky?: boolean;
  /** Increases with every notice, so the same text said twice is announced twice. */
  readonly serial: number;
}

export interface ExpressionError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export interface Clipboard {
  readonly nodes: readonly DocNode[];
  readonly wires: readonly Wire[];
  readonly positions: ReadonlyMap<string, Position>;
  readonly values: ReadonlyMap<string, Tensor>;
  /** The literals of the copied gates, by node id. */
  readonly params: ReadonlyMap<string, Params>;
}

export interface UiSlice {
  readonly selectedNodes: readonly string[];
  readonly selectedWires: readonly string[];
  /** Positions of nodes being dragged; folded into the document (one undo step) on drop. */
  readonly dragPositions: ReadonlyMap<string, Position> | null;
  readonly notice: Notice | null;
  readonly expressionError: ExpressionError | null;
  readonly clipboard: Clipboard | null;
  /** Increases when the canvas should fit the circuit into view (new circuit, tidy up). */
  readonly fitRequest: number;
  /** How the app is shown: `embed` (canvas and playback only), `present` (large type). */
  readonly mode: { readonly embed: boolean; readonly present: boolean };
  /** A link asked for the dark theme (`dark=1`); the counter makes a repeat ask count. */
  readonly darkRequest: number;
  /**
   * What failed to draw ("the canvas"), while an error boundary shows its message instead:
   * autosave holds back until it is drawn again, so a circuit that breaks drawing is never
   * written over the last one saved.
   */
  readonly drawingFailure: string | null;
  /** Whether the Code panel (the circuit as staged code) is open, and in which language. */
  readonly codeOpen: boolean;
  readonly codeLanguage: Language;

  setCodeOpen(open: boolean): void;
  setCodeLanguage(language: Language): void;
  /** An error boundary reports a failure to draw `part`, or (null) that it draws again. */
  reportDrawingFailure(part: string | null): void;
  select(nodes: readonly string[], wires?: readonly string[]): void;
  setDragPositions(positions: ReadonlyMap<string, Position> | null): void;
  /** Copies the selected nodes (with the wires between them, values and literals). */
  copySelection(): void;
  notify(
    text: string,
    kind?: Notice['kind'],
    extra?: { actions?: readonly NoticeAction[]; sticky?: boolean },
  ): void;
  setMode(mode: Partial<UiSlice['mode']>): void;
  dismissNotice(): void;
}

export function createUiSlice(set: SetState, get: GetState): UiSlice {
  let noticeSerial = 0;
  return {
    selectedNodes: [],
    selectedWires: [],
    dragPositions: null,
    notice: null,
    expressionError: null,
    clipboard: null,
    fitRequest: 0,
    mode: { embed: false, present: false },
    darkRequest: 0,
    drawingFailure: null,
    codeOpen: false,
    codeLanguage: 'python',

    setCodeOpen(open) {
      if (get().codeOpen === open) return;
      // The canvas gets narrower or wider beside the panel: fit the circuit again.
      set({ codeOpen: open, fitRequest: get().fitRequest + 1 });
    },

    setCodeLanguage(language) {
      set({ codeLanguage: language });
    },

    reportDrawingFailure(part) {
      if (get().drawingFailure !== part) set({ drawingFailure: part });
    },

    select(nodes, wires = []) {
      const s = get();
      if (sameList(s.selectedNodes, nodes) && sameList(s.selectedWires, wires)) return;
      set({ selectedNodes: nodes, selectedWires: wires });
    },

    setDragPositions(positions) {
      set({ dragPositions: positions });
    },

    copySelection() {
      const { doc, selectedNodes } = get();
      if (selectedNodes.length === 0) return;
      const chosen = new Set(selectedNodes);
      const positions = new Map<string, Position>();
      const values = new Map<string, Tensor>();
      const params = new Map<string, Params>();
      for (const id of chosen) {
        const p = doc.positions.get(id);
        const v = doc.values.get(id);
        const literals = doc.params.get(id);
        if (p) positions.set(id, p);
        if (v) values.set(id, v);
        if (literals) params.set(id, literals);
      }
      set({
        clipboard: {
          nodes: doc.nodes.filter((n) => chosen.has(n.id)),
          wires: doc.wires.filter((w) => chosen.has(w.from) && chosen.has(w.to)),
          positions,
          values,
          params,
        },
      });
    },

    notify(text, kind = 'error', extra = {}) {
      noticeSerial += 1;
      set({ notice: { text, kind, serial: noticeSerial, ...extra } });
    },

    setMode(mode) {
      const next = { ...get().mode, ...mode };
      if (next.embed === get().mode.embed && next.present === get().mode.present) return;
      // The canvas changes size with the chrome around it: fit the circuit again.
      set({ mode: next, fitRequest: get().fitRequest + 1 });
    },

    dismissNotice() {
      set({ notice: null });
    },
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
