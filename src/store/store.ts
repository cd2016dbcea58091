import { temporal } from 'zundo';
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  type Circuit,
  getOp,
  isSource,
  type NodeId,
  ParseError,
  type Position,
  parse,
  portName,
  scalar,
  type Tensor,
  type Wire,
} from '../engine';
import {
  connectionProblem,
  type Doc,
  type DocNode,
  docFromCircuit,
  EMPTY_DOC,
  freshId,
  sameStructure,
  wireKey,
} from './document';
import { type Computed, type ComputedView, computeAll, runProgram } from './evaluate';
import { freeSpot, layoutCircuit } from './layout';
import { buildTimeline, type Timeline, viewAt } from './timeline';

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
  readonly positions: Readonly<Record<string, Position>>;
  readonly values: Readonly<Record<string, Tensor>>;
}

/** Playback speeds, as multiples of the default pace (one step every STEP_MS). */
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8] as const;
export const STEP_MS = 1000;

export interface AppState extends Computed {
  /** The document: the one part of the state that undo/redo tracks. */
  readonly doc: Doc;
  /** What the canvas shows: the live view, or the view at the playback cursor. */
  readonly view: ComputedView;

  /** Steps taken in playback (0 = reset); null when not playing back (everything shown). */
  readonly cursor: number | null;
  readonly playing: boolean;
  readonly speed: number;
  /** The step list with its index; built when playback starts, rebuilt on every run. */
  readonly timeline: Timeline | null;

  readonly selectedNodes: readonly string[];
  readonly selectedWires: readonly string[];
  /** Positions of nodes being dragged; folded into the document (one undo step) on drop. */
  readonly dragPositions: Readonly<Record<string, Position>> | null;
  readonly notice: Notice | null;
  readonly expressionError: ExpressionError | null;
  readonly clipboard: Clipboard | null;
  /** Increases when the canvas should fit the circuit into view (new circuit, tidy up). */
  readonly fitRequest: number;
  /** How the app is shown: `embed` (canvas and playback only), `present` (large type). */
  readonly mode: { readonly embed: boolean; readonly present: boolean };
  /** A link asked for the dark theme (`dark=1`); the counter makes a repeat ask count. */
  readonly darkRequest: number;

  loadCircuit(circuit: Circuit, options?: { expression?: string; layout?: boolean }): void;
  applyExpression(text: string): boolean;
  setInputValue(id: string, value: Tensor): void;
  addNode(op: string, position?: Position): NodeId | null;
  connect(from: string, to: string, port: string): boolean;
  deleteNodes(ids: readonly string[]): void;
  deleteWires(keys: readonly string[]): void;
  deleteSelection(): void;
  setDragPositions(positions: Readonly<Record<string, Position>> | null): void;
  moveNodes(positions: Readonly<Record<string, Position>>): void;
  rename(id: string, name: string): string | undefined;
  setOutput(id: string): void;
  tidyUp(): void;
  select(nodes: readonly string[], wires?: readonly string[]): void;
  copySelection(): void;
  paste(): void;
  duplicateSelection(): void;
  notify(
    text: string,
    kind?: Notice['kind'],
    extra?: { actions?: readonly NoticeAction[]; sticky?: boolean },
  ): void;
  setMode(mode: Partial<AppState['mode']>): void;
  dismissNotice(): void;
  /** Start/end a gesture (a drag, a scrub): everything in between is one undo step. */
  beginGesture(): void;
  endGesture(): void;

  /** Playback: go to step `cursor` (clamped), entering playback if needed. */
  seek(cursor: number): void;
  resetPlayback(): void;
  stepForward(): void;
  stepBack(): void;
  toEnd(): void;
  play(): void;
  pause(): void;
  togglePlay(): void;
  setSpeed(speed: number): void;
  /** Leave playback: every number shows again. */
  exitPlayback(): void;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INPUT_NAMES = ['x', 'y', 'z', 'w', 'a', 'b', 'c', 'u', 'v'];

export type AppStore = ReturnType<typeof createAppStore>;

/**
 * The one store, from its slices: the document (undoable), what is computed from it, and the
 * UI state around it. Derived state is recomputed in one place, when the document changes.
 */
export function createAppStore(initial: Doc = EMPTY_DOC) {
  // Undo grouping for gestures lives in this closure, not in a module global.
  const gesture = { active: false, recorded: false };
  let noticeSerial = 0;

  const store = createStore<AppState>()(
    temporal(
      (set, get) => {
        /** Replaces the document (one undo step) and recomputes what depends on it. */
        const commit = (doc: Doc) => set({ doc });

        const total = () => {
          const t = get().timeline;
          return t ? t.steps.length : 0;
        };
        /** Enters playback if needed (building the step list) and moves the cursor. */
        const moveTo = (cursor: number, extra: Partial<AppState> = {}) => {
          const state = get();
          if (!state.evaluation) return;
          const timeline = state.timeline ?? buildTimeline(state.evaluation);
          const clamped = Math.max(0, Math.min(cursor, timeline.steps.length));
          set({
            timeline,
            cursor: clamped,
            view: viewAt(state.liveView, timeline, clamped),
            ...extra,
          });
        };
        const computed = computeAll(initial);

        return {
          doc: initial,
          ...computed,
          view: computed.liveView,
          cursor: null,
          playing: false,
          speed: 1,
          timeline: null,
          selectedNodes: [],
          selectedWires: [],
          dragPositions: null,
          notice: null,
          expressionError: null,
          clipboard: null,
          fitRequest: 0,
          mode: { embed: false, present: false },
          darkRequest: 0,

          loadCircuit(circuit, options = {}) {
            let doc = docFromCircuit(circuit, options.expression ?? null);
            const missing = doc.nodes.some((n) => !doc.positions[n.id]);
            if (options.layout || missing) {
              doc = { ...doc, positions: layoutCircuit(doc.nodes, doc.wires, doc.values) };
            }
            set({
              doc,
              selectedNodes: [],
              selectedWires: [],
              expressionError: null,
              fitRequest: get().fitRequest + 1,
            });
          },

          applyExpression(text) {
            try {
              const parsed = parse(text);
              get().loadCircuit(parsed.circuit, { expression: text, layout: true });
              return true;
            } catch (error) {
              if (error instanceof ParseError) {
                set({
                  expressionError: {
                    message: error.message,
                    line: error.line,
                    column: error.column,
                  },
                });
              } else {
                set({
                  expressionError: {
                    message: String((error as Error).message),
                    line: 1,
                    column: 1,
                  },
                });
              }
              return false;
            }
          },

          setInputValue(id, value) {
            const { doc } = get();
            const node = doc.nodes.find((n) => n.id === id);
            if (!node || !isSource(node.op)) return;
            const values = { ...doc.values, [id]: value };
            // A constant is part of the structure; an input is what a run takes.
            commit(
              node.op === 'const'
                ? { ...doc, values, nodes: [...doc.nodes], expression: null }
                : { ...doc, values, expression: null },
            );
          },

          addNode(op, position) {
            const def = getOp(op);
            if (!def) return null;
            const { doc } = get();
            const taken = new Set<string>(doc.nodes.map((n) => n.id));
            const id =
              op === 'input'
                ? ((INPUT_NAMES.find((name) => !taken.has(name)) as NodeId | undefined) ??
                  freshId(doc, 'x'))
                : freshId(doc, op === 'const' ? 'c' : op);
            const node: DocNode = op === 'input' ? { id, op, label: id } : { id, op };
            const at = position ?? freeSpot(doc.nodes, doc.positions, doc.values);
            commit({
              ...doc,
              nodes: [...doc.nodes, node],
              positions: { ...doc.positions, [id]: at },
              values: isSource(op) ? { ...doc.values, [id]: scalar(1) } : doc.values,
              // The first gate added to a circuit without an output becomes the output.
              output: doc.output ?? (isSource(op) ? null : id),
              expression: null,
            });
            set({ selectedNodes: [id], selectedWires: [] });
            return id;
          },

          connect(from, to, port) {
            const { doc } = get();
            const problem = connectionProblem(doc, from, to, port);
            if (problem) {
              get().notify(`Not connected: ${problem}.`);
              return false;
            }
            const wire: Wire = { from: from as NodeId, to: to as NodeId, port: portName(port) };
            // If the output feeds something new, the new consumer is the better output.
            const output = doc.output === from ? (to as NodeId) : doc.output;
            commit({ ...doc, wires: [...doc.wires, wire], output, expression: null });
            return true;
          },

          deleteNodes(ids) {
            if (ids.length === 0) return;
            const { doc } = get();
            const gone = new Set(ids);
            const positions = { ...doc.positions };
            const values = { ...doc.values };
            for (const id of ids) {
              delete positions[id];
              delete values[id];
            }
            const nodes = doc.nodes.filter((n) => !gone.has(n.id));
            const wires = doc.wires.filter((w) => !gone.has(w.from) && !gone.has(w.to));
            let output = doc.output;
            if (output && gone.has(output)) output = lastSink(nodes, wires);
            commit({ nodes, wires, positions, values, output, expression: null });
            set({ selectedNodes: [], selectedWires: [] });
          },

          deleteWires(keys) {
            if (keys.length === 0) return;
            const { doc } = get();
            const gone = new Set(keys);
            commit({
              ...doc,
              wires: doc.wires.filter((w) => !gone.has(wireKey(w))),
              expression: null,
            });
            set({ selectedWires: [] });
          },

          deleteSelection() {
            const { selectedNodes, selectedWires } = get();
            if (selectedNodes.length > 0) get().deleteNodes(selectedNodes);
            if (selectedWires.length > 0) get().deleteWires(selectedWires);
          },

          setDragPositions(positions) {
            set({ dragPositions: positions });
          },

          moveNodes(positions) {
            const { doc } = get();
            set({
              doc: { ...doc, positions: { ...doc.positions, ...positions } },
              dragPositions: null,
            });
          },

          rename(id, name) {
            const { doc } = get();
            const trimmed = name.trim();
            if (trimmed === id) return undefined;
            if (!IDENTIFIER.test(trimmed)) {
              return 'a name starts with a letter or _ and holds only letters, digits and _';
            }
            if (getOp(trimmed) && !isSource(trimmed)) return `'${trimmed}' is the name of an op`;
            if (doc.nodes.some((n) => n.id === trimmed)) return `'${trimmed}' is already taken`;
            const to = trimmed as NodeId;
            const swap = (x: NodeId) => (x === id ? to : x);
            const positions = { ...doc.positions };
            const values = { ...doc.values };
            if (positions[id]) {
              positions[to] = positions[id];
              delete positions[id];
            }
            if (values[id]) {
              values[to] = values[id];
              delete values[id];
            }
            commit({
              nodes: doc.nodes.map((n) => (n.id === id ? { ...n, id: to, label: trimmed } : n)),
              wires: doc.wires.map((w) => ({ ...w, from: swap(w.from), to: swap(w.to) })),
              output: doc.output === id ? to : doc.output,
              positions,
              values,
              expression: null,
            });
            set({ selectedNodes: get().selectedNodes.map((s) => (s === id ? trimmed : s)) });
            return undefined;
          },

          setOutput(id) {
            const { doc } = get();
            if (doc.output === id || !doc.nodes.some((n) => n.id === id)) return;
            commit({ ...doc, output: id as NodeId, expression: null });
          },

          tidyUp() {
            const { doc } = get();
            commit({ ...doc, positions: layoutCircuit(doc.nodes, doc.wires, doc.values) });
            set({ fitRequest: get().fitRequest + 1 });
          },

          select(nodes, wires = []) {
            const s = get();
            if (sameList(s.selectedNodes, nodes) && sameList(s.selectedWires, wires)) return;
            set({ selectedNodes: nodes, selectedWires: wires });
          },

          copySelection() {
            const { doc, selectedNodes } = get();
            if (selectedNodes.length === 0) return;
            const chosen = new Set(selectedNodes);
            const positions: Record<string, Position> = {};
            const values: Record<string, Tensor> = {};
            for (const id of selectedNodes) {
              if (doc.positions[id]) positions[id] = doc.positions[id];
              if (doc.values[id]) values[id] = doc.values[id];
            }
            set({
              clipboard: {
                nodes: doc.nodes.filter((n) => chosen.has(n.id)),
                wires: doc.wires.filter((w) => chosen.has(w.from) && chosen.has(w.to)),
                positions,
                values,
              },
            });
          },

          paste() {
            const { clipboard, doc } = get();
            if (!clipboard || clipboard.nodes.length === 0) return;
            const taken = new Set(doc.nodes.map((n) => n.id as string));
            const rename = new Map<string, NodeId>();
            for (const node of clipboard.nodes) {
              const base = node.id.replace(/\d+$/, '') || 'n';
              let i = 1;
              while (taken.has(`${base}${i}`)) i++;
              const id = `${base}${i}` as NodeId;
              taken.add(id);
              rename.set(node.id, id);
            }
            const positions = { ...doc.positions };
            const values = { ...doc.values };
            const nodes = [...doc.nodes];
            for (const node of clipboard.nodes) {
              const id = rename.get(node.id) as NodeId;
              nodes.push(node.op === 'input' ? { ...node, id, label: id } : { id, op: node.op });
              const p = clipboard.positions[node.id];
              if (p) positions[id] = { x: p.x + 40, y: p.y + 40 };
              if (clipboard.values[node.id]) values[id] = clipboard.values[node.id];
            }
            const wires = [
              ...doc.wires,
              ...clipboard.wires.map((w) => ({
                from: rename.get(w.from) as NodeId,
                to: rename.get(w.to) as NodeId,
                port: w.port,
              })),
            ];
            commit({ ...doc, nodes, wires, positions, values, expression: null });
            set({ selectedNodes: [...rename.values()], selectedWires: [] });
          },

          duplicateSelection() {
            get().copySelection();
            get().paste();
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

          seek(cursor) {
            moveTo(cursor);
          },

          resetPlayback() {
            moveTo(0, { playing: false });
          },

          stepForward() {
            const { cursor } = get();
            // From the live view, stepping starts a fresh pass.
            moveTo(cursor === null ? 1 : cursor + 1, { playing: false });
          },

          stepBack() {
            const { cursor } = get();
            if (cursor === null) {
              moveTo(Number.MAX_SAFE_INTEGER);
              moveTo(total() - 1, { playing: false });
            } else {
              moveTo(cursor - 1, { playing: false });
            }
          },

          toEnd() {
            moveTo(Number.MAX_SAFE_INTEGER, { playing: false });
          },

          play() {
            const { cursor } = get();
            // Playing from the live view or from the end starts over.
            if (cursor === null || cursor >= total()) moveTo(0, { playing: true });
            else set({ playing: true });
          },

          pause() {
            set({ playing: false });
          },

          togglePlay() {
            if (get().playing) get().pause();
            else get().play();
          },

          setSpeed(speed) {
            set({ speed });
          },

          exitPlayback() {
            set({ cursor: null, playing: false, timeline: null, view: get().liveView });
          },

          beginGesture() {
            gesture.active = true;
            gesture.recorded = false;
          },

          endGesture() {
            gesture.active = false;
          },
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
  );

  // Derived state follows the document: recompile on a change of structure, re-run on a
  // change of values, nothing for a change of positions. Undo and redo land here too.
  store.subscribe((state, prev) => {
    if (state.doc === prev.doc) return;
    let computed: Computed;
    if (state.program && sameStructure(state.doc, prev.doc)) {
      if (state.doc.values === prev.doc.values) return;
      computed = runProgram(state.program, state.doc);
    } else {
      computed = computeAll(state.doc);
    }
    // During playback the step list follows the new numbers; the cursor stays where it was
    // (clamped, if the circuit got shorter).
    if (state.cursor !== null && computed.evaluation) {
      const timeline = buildTimeline(computed.evaluation);
      const cursor = Math.min(state.cursor, timeline.steps.length);
      store.setState({
        ...computed,
        timeline,
        cursor,
        view: viewAt(computed.liveView, timeline, cursor),
      });
    } else {
      store.setState({
        ...computed,
        view: computed.liveView,
        timeline: null,
        cursor: null,
        playing: false,
      });
    }
  });

  return store as StoreApi<AppState> & typeof store;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The last node (in document order) that feeds nothing: a sensible new output. */
function lastSink(nodes: readonly DocNode[], wires: readonly Wire[]): NodeId | null {
  const feeds = new Set(wires.map((w) => w.from as string));
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!feeds.has(nodes[i].id) && !isSource(nodes[i].op)) return nodes[i].id;
  }
  return null;
}
