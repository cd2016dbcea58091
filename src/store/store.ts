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
import { LIMITS, overLimit } from '../engine/limits';
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
import { clampPosition, freeSpot, layoutCircuit, positionFits } from './layout';
import { fanOutMessage, limitProblem, valueProblem } from './limits';
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
  readonly positions: ReadonlyMap<string, Position>;
  readonly values: ReadonlyMap<string, Tensor>;
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
   * Opens a circuit (laid out if asked, or if it comes without positions). Returns false, with
   * a notice saying why, if it is over a limit or cannot be opened; the state is then unchanged.
   */
  loadCircuit(circuit: Circuit, options?: LoadOptions): boolean;
  /** Like `loadCircuit`, but answers why not (undefined when opened) instead of notifying. */
  tryLoadCircuit(circuit: Circuit, options?: LoadOptions): string | undefined;
  applyExpression(text: string): boolean;
  setInputValue(id: string, value: Tensor): void;
  addNode(op: string, position?: Position): NodeId | null;
  connect(from: string, to: string, port: string): boolean;
  deleteNodes(ids: readonly string[]): void;
  deleteWires(keys: readonly string[]): void;
  deleteSelection(): void;
  setDragPositions(positions: ReadonlyMap<string, Position> | null): void;
  moveNodes(positions: ReadonlyMap<string, Position>): void;
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

export interface LoadOptions {
  readonly expression?: string;
  readonly layout?: boolean;
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
  /** What `tryLoadCircuit` computed before committing, so it is not computed twice. */
  let precomputed: { doc: Doc; computed: Computed } | null = null;

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
            const problem = get().tryLoadCircuit(circuit, options);
            if (problem === undefined) return true;
            get().notify(`Could not open the circuit: ${problem}.`);
            return false;
          },

          tryLoadCircuit(circuit, options = {}) {
            // Everything that can fail happens before the state changes: reading the circuit,
            // checking the limits, laying it out and computing it.
            let doc: Doc;
            let computed: Computed;
            try {
              doc = docFromCircuit(circuit, options.expression ?? null);
              const problem = limitProblem(doc, doc.values.values());
              if (problem) return problem;
              doc = withPositions(doc, options.layout === true);
              computed = computeAll(doc);
            } catch (error) {
              return `it could not be read (${errorText(error)})`;
            }
            precomputed = { doc, computed };
            set({
              doc,
              selectedNodes: [],
              selectedWires: [],
              dragPositions: null,
              expressionError: null,
              fitRequest: get().fitRequest + 1,
            });
            return undefined;
          },

          applyExpression(text) {
            let parsed: ReturnType<typeof parse>;
            try {
              parsed = parse(text);
            } catch (error) {
              set({
                expressionError:
                  error instanceof ParseError
                    ? { message: error.message, line: error.line, column: error.column }
                    : { message: errorText(error), line: 1, column: 1 },
              });
              return false;
            }
            const problem = get().tryLoadCircuit(parsed.circuit, {
              expression: text,
              layout: true,
            });
            if (problem === undefined) return true;
            set({ expressionError: { message: `Not built: ${problem}`, line: 1, column: 1 } });
            return false;
          },

          setInputValue(id, value) {
            const { doc } = get();
            const node = doc.nodes.find((n) => n.id === id);
            if (!node || !isSource(node.op)) return;
            const values = new Map(doc.values).set(id, value);
            const problem =
              valueProblem(value) ?? limitProblem({ nodes: [], wires: [] }, values.values());
            if (problem) {
              get().notify(`Value not set: ${problem}.`);
              return;
            }
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
            if (doc.nodes.length + 1 > LIMITS.nodes) {
              get().notify(
                `Not added: ${overLimit('the circuit', doc.nodes.length + 1, LIMITS.nodes, 'nodes')}.`,
              );
              return null;
            }
            const taken = new Set<string>(doc.nodes.map((n) => n.id));
            const id =
              op === 'input'
                ? ((INPUT_NAMES.find((name) => !taken.has(name)) as NodeId | undefined) ??
                  freshId(doc, 'x'))
                : freshId(doc, op === 'const' ? 'c' : op);
            const node: DocNode = op === 'input' ? { id, op, label: id } : { id, op };
            const at = clampPosition(position ?? freeSpot(doc.nodes, doc.positions, doc.values));
            commit({
              ...doc,
              nodes: [...doc.nodes, node],
              positions: new Map(doc.positions).set(id, at),
              values: isSource(op) ? new Map(doc.values).set(id, scalar(1)) : doc.values,
              // The first gate added to a circuit without an output becomes the output.
              output: doc.output ?? (isSource(op) ? null : id),
              expression: null,
            });
            set({ selectedNodes: [id], selectedWires: [] });
            return id;
          },

          connect(from, to, port) {
            const { doc } = get();
            const problem = connectionProblem(doc, from, to, port) ?? wireLimitProblem(doc, from);
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
            const positions = new Map(doc.positions);
            const values = new Map(doc.values);
            for (const id of ids) {
              positions.delete(id);
              values.delete(id);
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

          moveNodes(moved) {
            const { doc } = get();
            const known = new Set<string>(doc.nodes.map((n) => n.id));
            const positions = new Map(doc.positions);
            for (const [id, p] of moved) if (known.has(id)) positions.set(id, clampPosition(p));
            set({ doc: { ...doc, positions }, dragPositions: null });
          },

          rename(id, name) {
            const { doc } = get();
            const trimmed = name.trim();
            if (trimmed === id) return undefined;
            if (!IDENTIFIER.test(trimmed)) {
              return 'a name starts with a letter or _ and holds only letters, digits and _';
            }
            if (trimmed.length > LIMITS.idLength) {
              return overLimit('the name', trimmed.length, LIMITS.idLength, 'characters');
            }
            if (getOp(trimmed) && !isSource(trimmed)) return `'${trimmed}' is the name of an op`;
            if (doc.nodes.some((n) => n.id === trimmed)) return `'${trimmed}' is already taken`;
            if (!doc.nodes.some((n) => n.id === id)) return `there is no node '${id}'`;
            const to = trimmed as NodeId;
            const swap = (x: NodeId) => (x === id ? to : x);
            commit({
              nodes: doc.nodes.map((n) => (n.id === id ? { ...n, id: to, label: trimmed } : n)),
              wires: doc.wires.map((w) => ({ ...w, from: swap(w.from), to: swap(w.to) })),
              output: doc.output === id ? to : doc.output,
              positions: renameKey(doc.positions, id, to),
              values: renameKey(doc.values, id, to),
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
            const positions = new Map<string, Position>();
            const values = new Map<string, Tensor>();
            for (const id of chosen) {
              const p = doc.positions.get(id);
              const v = doc.values.get(id);
              if (p) positions.set(id, p);
              if (v) values.set(id, v);
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
            const positions = new Map(doc.positions);
            const values = new Map(doc.values);
            const nodes = [...doc.nodes];
            for (const node of clipboard.nodes) {
              const id = rename.get(node.id) as NodeId;
              nodes.push(node.op === 'input' ? { ...node, id, label: id } : { id, op: node.op });
              const p = clipboard.positions.get(node.id);
              if (p) positions.set(id, clampPosition({ x: p.x + 40, y: p.y + 40 }));
              const v = clipboard.values.get(node.id);
              if (v) values.set(id, v);
            }
            const wires = doc.wires.concat(
              clipboard.wires.map((w) => ({
                from: rename.get(w.from) as NodeId,
                to: rename.get(w.to) as NodeId,
                port: w.port,
              })),
            );
            const problem = limitProblem({ nodes, wires }, values.values());
            if (problem) {
              get().notify(`Not pasted: with the copies, ${problem}.`);
              return;
            }
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
    if (precomputed?.doc === state.doc) {
      computed = precomputed.computed;
      precomputed = null;
    } else if (state.program && sameStructure(state.doc, prev.doc)) {
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

/**
 * The document with a position for every node, each inside the position limit: laid out anew
 * if asked or if any node has none (or a non-finite one), otherwise clamped.
 */
function withPositions(doc: Doc, layout: boolean): Doc {
  const placed = doc.nodes.every((n) => {
    const p = doc.positions.get(n.id);
    return p !== undefined && Number.isFinite(p.x) && Number.isFinite(p.y);
  });
  if (layout || !placed) {
    return { ...doc, positions: layoutCircuit(doc.nodes, doc.wires, doc.values) };
  }
  if (doc.nodes.every((n) => positionFits(doc.positions.get(n.id) as Position))) return doc;
  const positions = new Map<string, Position>();
  for (const [id, p] of doc.positions) positions.set(id, clampPosition(p));
  return { ...doc, positions };
}

/** Why one more wire out of `from` is over a limit, or undefined. */
function wireLimitProblem(doc: Doc, from: string): string | undefined {
  if (doc.wires.length + 1 > LIMITS.wires) {
    return overLimit('the circuit', doc.wires.length + 1, LIMITS.wires, 'wires');
  }
  let out = 1;
  for (const w of doc.wires) if (w.from === from) out++;
  return out > LIMITS.fanOut ? fanOutMessage(from, out) : undefined;
}

/** A copy of the map with the entry of `from` (if any) under `to` instead. */
function renameKey<V>(
  map: ReadonlyMap<string, V>,
  from: string,
  to: string,
): ReadonlyMap<string, V> {
  if (!map.has(from)) return map;
  const next = new Map(map);
  next.set(to, map.get(from) as V);
  next.delete(from);
  return next;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
