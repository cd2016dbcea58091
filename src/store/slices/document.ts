/**
 * The document slice: the circuit the user edits (the only undoable state) and every edit of
 * it. Each edit builds the next document and commits it; what is computed from it follows in
 * the same update (see the evaluation slice).
 */
import {
  type Circuit,
  formatShape,
  getOp,
  isSource,
  type NodeId,
  type OpDef,
  type Params,
  ParseError,
  type Position,
  portName,
  resolveOp,
  scalar,
  seedValues,
  shapeEquals,
  sizeOf,
  type Tensor,
  type UpstreamSeed,
  type Wire,
} from '../../engine';
import { LIMITS, overLimit } from '../../engine/limits';
import { type LoweredPython, type ProgramRead, readProgram } from '../../engine/python';
import {
  connectionProblem,
  type Doc,
  type DocNode,
  docFromCircuit,
  docSeed,
  freshId,
  literalRecord,
  numbersOf,
  wireKey,
  withEntry,
} from '../document';
import { tidyPositions } from '../expandTidy';
import {
  clampPosition,
  freeSpot,
  layoutCircuit,
  layoutUsesNumbers,
  positionFits,
  type WireNumbers,
} from '../layout';
import { fanOutMessage, limitProblem, valueProblem } from '../limits';
import type { Prepared } from './evaluation';
import { shapesOf } from './expand';
import type { GetState, SetState, SliceContext } from './types';

export interface LoadOptions {
  readonly expression?: string;
  readonly layout?: boolean;
}

/** Python the circuit was built from (see `applyExpression`), with the structure it built. */
export interface PastedPython {
  readonly python: LoweredPython;
  /** The document's nodes and wires as the paste built them: the check holds while they do. */
  readonly nodes: Doc['nodes'];
  readonly wires: Doc['wires'];
}

export interface DocumentSlice {
  /** The document: the one part of the state that undo/redo tracks. */
  readonly doc: Doc;
  /**
   * The Python last built into a circuit, for the backward check: it applies while the
   * document's nodes and wires are the ones it built (scrubbing an input keeps them; an edit
   * of the structure, or another circuit, does not). Not undoable; null for the app's language.
   */
  readonly pasted: PastedPython | null;

  /**
   * Opens a circuit (laid out if asked, or if it comes without positions). Returns false, with
   * a notice saying why, if it is over a limit or cannot be opened; the state is then unchanged.
   */
  loadCircuit(circuit: Circuit, options?: LoadOptions): boolean;
  /** Like `loadCircuit`, but answers why not (undefined when opened) instead of notifying. */
  tryLoadCircuit(circuit: Circuit, options?: LoadOptions): string | undefined;
  /**
   * Builds the circuit of a program typed or pasted into the Expression field: the app's
   * language, or Python (see `readProgram`), whose notes (the output taken, lines left out)
   * are shown as a notice. The document keeps the text as typed. False, with
   * `expressionError` set, when it cannot be built; the circuit in hand then stays.
   */
  applyExpression(text: string): boolean;
  /** Sets the value of an input (or constant); refused, with a notice, over a limit. */
  setInputValue(id: string, value: Tensor): void;
  /**
   * Sets the literal in port `port` of gate `id` (`x ** 2`: gate `f`, port `b`). It re-runs
   * the program without compiling it again; in a gesture, all edits are one undo step. The
   * new value must have the shape of the old one and finite entries: otherwise it is refused,
   * the old value stays, and the answer (also shown as a notice) says why, naming the gate
   * and the port. Undefined when set.
   */
  setParam(id: string, port: string, value: Tensor): string | undefined;
  /**
   * Chooses the upstream gradient the backward pass starts from at the output (undefined or
   * `ones` for ones). It must fit the output as it is now: a typed value of another shape, a
   * non-number or a one-hot entry outside the output is refused, the previous choice stays,
   * and the answer says why (naming both shapes, or the entry). Undefined when set.
   */
  setSeed(seed: UpstreamSeed | undefined): string | undefined;
  /**
   * Adds a node of op `op` (with literals in some of its ports, for a parameterised gate such
   * as `×2`); null, with a notice, if it cannot.
   */
  addNode(op: string, position?: Position, params?: Params): NodeId | null;
  /** Wires `from` into port `port` of `to`. A literal in that port gives way to the wire. */
  connect(from: string, to: string, port: string): boolean;
  deleteNodes(ids: readonly string[]): void;
  deleteWires(keys: readonly string[]): void;
  deleteSelection(): void;
  moveNodes(positions: ReadonlyMap<string, Position>): void;
  rename(id: string, name: string): string | undefined;
  setOutput(id: string): void;
  tidyUp(): void;
  paste(): void;
  duplicateSelection(): void;
  /** Start/end a gesture (a drag, a scrub): everything in between is one undo step. */
  beginGesture(): void;
  endGesture(): void;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The upstream gradient pasted Python asks for with `np.random.randn(*D.shape)`. */
const RANDOM_UPSTREAM: UpstreamSeed = { kind: 'random', seed: 7 };
const INPUT_NAMES = ['x', 'y', 'z', 'w', 'a', 'b', 'c', 'u', 'v'];

export function createDocumentSlice(
  set: SetState,
  get: GetState,
  ctx: SliceContext & { readonly prepare: (doc: Doc) => Prepared },
  initial: Doc,
): DocumentSlice {
  const { commit, gesture } = ctx;

  /** The op of a node: from the program by slot when it is there, else from the document. */
  const opOf = (id: string): string | undefined => {
    const { program, doc } = get();
    const slot = program.slot(id);
    if (slot >= 0) return program.ops[slot].name;
    return doc.nodes.find((n) => n.id === id)?.op;
  };

  return {
    doc: initial,
    pasted: null,

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
      let prepared: Prepared;
      try {
        doc = docFromCircuit(circuit, options.expression ?? null);
        const problem = limitProblem(doc, numbersOf(doc));
        if (problem) return problem;
        doc = withPositions(doc, options.layout === true, (d) => ctx.prepare(d).evaluated.liveView);
        prepared = ctx.prepare(doc);
      } catch (error) {
        return `it could not be read (${errorText(error)})`;
      }
      commit(
        doc,
        { kind: 'prepared', prepared },
        {
          selectedNodes: [],
          selectedWires: [],
          dragPositions: null,
          expressionError: null,
          fitRequest: get().fitRequest + 1,
        },
      );
      return undefined;
    },

    applyExpression(text) {
      let read: ProgramRead;
      try {
        read = readProgram(text, { gates: get().doc.gates ?? [] });
      } catch (error) {
        set({
          expressionError:
            error instanceof ParseError
              ? { message: error.message, line: error.line, column: error.column }
              : { message: errorText(error), line: 1, column: 1 },
        });
        return false;
      }
      const { parsed } = read;
      // A program typed again keeps the upstream gradient chosen (ones if it no longer fits),
      // unless pasted Python asks for a random one (`dD = np.random.randn(*D.shape)`).
      const chosen = get().doc.seed;
      const asked = read.kind === 'python' ? read.python.upstream : undefined;
      const seed =
        asked === 'random' &&
        (chosen === undefined || !('kind' in chosen) || chosen.kind !== 'random')
          ? RANDOM_UPSTREAM
          : chosen;
      const circuit = seed === undefined ? parsed.circuit : { ...parsed.circuit, seed };
      const problem = get().tryLoadCircuit(circuit, { expression: text, layout: true });
      if (problem === undefined) {
        const { doc } = get();
        set({
          pasted:
            read.kind === 'python'
              ? { python: read.python, nodes: doc.nodes, wires: doc.wires }
              : null,
        });
        if (read.notes.length > 0) get().notify(read.notes.join(' '), 'info');
        return true;
      }
      set({ expressionError: { message: `Not built: ${problem}`, line: 1, column: 1 } });
      return false;
    },

    setInputValue(id, value) {
      const op = opOf(id);
      if (op === undefined || !isSource(op)) return;
      const { doc } = get();
      const values = withEntry(doc.values, id, value);
      const old = doc.values.get(id);
      // The total of all numbers changes only with the size of this one.
      const problem =
        valueProblem(value) ??
        (old !== undefined && old.data.length === value.data.length
          ? undefined
          : limitProblem({ nodes: [], wires: [] }, numbersOf({ values, params: doc.params })));
      if (problem) {
        get().notify(`Value not set: ${problem}.`);
        return;
      }
      commit({ ...doc, values, expression: null }, { kind: 'value', id });
    },

    setParam(id, port, value) {
      const { doc } = get();
      const literals = doc.params.get(id);
      const op = opOf(id);
      let problem: string | undefined;
      if (op === undefined) {
        problem = `there is no node '${id}'`;
      } else if (literals === undefined || !Object.hasOwn(literals, port)) {
        problem = `port ${port} of ${id} holds no literal`;
      } else {
        const old = literals[port];
        problem = literalValueProblem(id, port, value);
        if (!problem && !shapeEquals(old.shape, value.shape)) {
          problem = `the literal in port ${port} of ${id} is ${shapeText(old)}; the new value is ${shapeText(value)}`;
        }
      }
      if (problem) {
        get().notify(`Literal not set: ${problem}.`);
        return problem;
      }
      const record = literalRecord(literals as Params, single(port, value));
      commit(
        { ...doc, params: withEntry(doc.params, id, record), expression: null },
        { kind: 'param', id, port },
      );
      return undefined;
    },

    setSeed(seed) {
      const { doc, program } = get();
      const next = seed === undefined ? undefined : docSeed(seed);
      if (seed !== undefined && next === undefined && !isOnes(seed)) {
        const why = seedValues([], seed);
        return typeof why === 'string'
          ? why
          : 'the upstream gradient must be ones, random, one-hot or values';
      }
      if (next !== undefined && program.output >= 0) {
        const checked = seedValues(program.shapes[program.output], next);
        if (typeof checked === 'string') return checked;
      }
      if (next === undefined && doc.seed === undefined) return undefined;
      commit({ ...doc, seed: next });
      return undefined;
    },

    addNode(op, position, params) {
      const { doc } = get();
      const def = resolveOp(op, doc.gates);
      if (!def) return null;
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
      let nextParams = doc.params;
      if (params !== undefined && Object.keys(params).length > 0) {
        const problem =
          paramsProblem(def, id, params) ??
          limitProblem(
            { nodes: [], wires: [] },
            numbersOf({ values: doc.values, params: new Map([[id, params]]) }),
          );
        if (problem) {
          get().notify(`Not added: ${problem}.`);
          return null;
        }
        nextParams = new Map(doc.params).set(id, literalRecord(params));
      }
      const node: DocNode = op === 'input' ? { id, op, label: id } : { id, op };
      const at = clampPosition(position ?? freeSpot(doc.nodes, doc.positions, doc.values));
      commit(
        {
          ...doc,
          nodes: [...doc.nodes, node],
          positions: new Map(doc.positions).set(id, at),
          values: isSource(op) ? new Map(doc.values).set(id, scalar(1)) : doc.values,
          params: nextParams,
          // The first gate added to a circuit without an output becomes the output.
          output: doc.output ?? (isSource(op) ? null : id),
          expression: null,
        },
        undefined,
        { selectedNodes: [id], selectedWires: [] },
      );
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
      commit({
        ...doc,
        wires: [...doc.wires, wire],
        params: withoutLiteral(doc.params, to, port),
        output,
        expression: null,
      });
      return true;
    },

    deleteNodes(ids) {
      if (ids.length === 0) return;
      const { doc } = get();
      const gone = new Set(ids);
      const positions = new Map(doc.positions);
      const values = new Map(doc.values);
      const params = new Map(doc.params);
      for (const id of ids) {
        positions.delete(id);
        values.delete(id);
        params.delete(id);
      }
      const nodes = doc.nodes.filter((n) => !gone.has(n.id));
      const wires = doc.wires.filter((w) => !gone.has(w.from) && !gone.has(w.to));
      let output = doc.output;
      if (output && gone.has(output)) output = lastSink(nodes, wires);
      commit(
        { ...doc, nodes, wires, positions, values, params, output, expression: null },
        undefined,
        {
          selectedNodes: [],
          selectedWires: [],
        },
      );
    },

    deleteWires(keys) {
      if (keys.length === 0) return;
      const { doc } = get();
      const gone = new Set(keys);
      commit(
        { ...doc, wires: doc.wires.filter((w) => !gone.has(wireKey(w))), expression: null },
        undefined,
        { selectedWires: [] },
      );
    },

    deleteSelection() {
      const { selectedNodes, selectedWires } = get();
      if (selectedNodes.length > 0) get().deleteNodes(selectedNodes);
      if (selectedWires.length > 0) get().deleteWires(selectedWires);
    },

    moveNodes(moved) {
      const { doc } = get();
      const known = new Set<string>(doc.nodes.map((n) => n.id));
      const positions = new Map(doc.positions);
      for (const [id, p] of moved) if (known.has(id)) positions.set(id, clampPosition(p));
      commit({ ...doc, positions }, undefined, { dragPositions: null });
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
      if (doc.gates?.some((g) => g.name === trimmed)) return `'${trimmed}' is the name of a gate`;
      if (doc.nodes.some((n) => n.id === trimmed)) return `'${trimmed}' is already taken`;
      if (!doc.nodes.some((n) => n.id === id)) return `there is no node '${id}'`;
      const to = trimmed as NodeId;
      const swap = (x: NodeId) => (x === id ? to : x);
      commit(
        {
          ...doc,
          nodes: doc.nodes.map((n) => (n.id === id ? { ...n, id: to, label: trimmed } : n)),
          wires: doc.wires.map((w) => ({ ...w, from: swap(w.from), to: swap(w.to) })),
          output: doc.output === id ? to : doc.output,
          positions: renameKey(doc.positions, id, to),
          values: renameKey(doc.values, id, to),
          params: renameKey(doc.params, id, to),
          expression: null,
          ...(doc.opened
            ? {
                opened: doc.opened.map((o) => ({
                  ...o,
                  id: swap(o.id),
                  members: o.members.map(swap),
                })),
              }
            : {}),
        },
        undefined,
        { selectedNodes: get().selectedNodes.map((s) => (s === id ? trimmed : s)) },
      );
      return undefined;
    },

    setOutput(id) {
      const { doc } = get();
      if (doc.output === id || !doc.nodes.some((n) => n.id === id)) return;
      commit({ ...doc, output: id as NodeId, expression: null });
    },

    tidyUp() {
      // The label boxes are sized by the numbers on screen now.
      const { doc, liveView } = get();
      const positions = tidyPositions(doc, shapesOf(get), (d) =>
        layoutCircuit(d.nodes, d.wires, d.values, liveView),
      );
      commit({ ...doc, positions }, undefined, {
        fitRequest: get().fitRequest + 1,
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
      const params = new Map(doc.params);
      const nodes = [...doc.nodes];
      for (const node of clipboard.nodes) {
        const id = rename.get(node.id) as NodeId;
        nodes.push(node.op === 'input' ? { ...node, id, label: id } : { id, op: node.op });
        const p = clipboard.positions.get(node.id);
        if (p) positions.set(id, clampPosition({ x: p.x + 40, y: p.y + 40 }));
        const v = clipboard.values.get(node.id);
        if (v) values.set(id, v);
        const literals = clipboard.params.get(node.id);
        if (literals) params.set(id, literals);
      }
      const wires = doc.wires.concat(
        clipboard.wires.map((w) => ({
          from: rename.get(w.from) as NodeId,
          to: rename.get(w.to) as NodeId,
          port: w.port,
        })),
      );
      const problem = limitProblem({ nodes, wires }, numbersOf({ values, params }));
      if (problem) {
        get().notify(`Not pasted: with the copies, ${problem}.`);
        return;
      }
      commit({ ...doc, nodes, wires, positions, values, params, expression: null }, undefined, {
        selectedNodes: [...rename.values()],
        selectedWires: [],
      });
    },

    duplicateSelection() {
      get().copySelection();
      get().paste();
    },

    beginGesture() {
      gesture.active = true;
      gesture.recorded = false;
    },

    endGesture() {
      gesture.active = false;
    },
  };
}

/** A one-entry null-prototype record (a port named `__proto__` stays an ordinary key). */
function isOnes(seed: UpstreamSeed): boolean {
  return typeof seed === 'object' && seed !== null && 'kind' in seed && seed.kind === 'ones';
}

function single(port: string, value: Tensor): Params {
  const record: Record<string, Tensor> = Object.create(null);
  record[port] = value;
  return record;
}

function shapeText(t: Tensor): string {
  return t.shape.length === 0 ? 'a single number' : formatShape(t.shape);
}

/** Why a value cannot be the literal in port `port` of gate `id`, or undefined. */
function literalValueProblem(id: string, port: string, value: unknown): string | undefined {
  if (!isTensorLike(value)) return `the literal in port ${port} of ${id} must be a number`;
  for (let i = 0; i < value.data.length; i++) {
    if (!Number.isFinite(value.data[i])) {
      return `the literal in port ${port} of ${id} must be a finite number (got ${value.data[i]})`;
    }
  }
  return valueProblem(value);
}

function isTensorLike(x: unknown): x is Tensor {
  if (typeof x !== 'object' || x === null) return false;
  const { shape, data } = x as Tensor;
  return data instanceof Float64Array && Array.isArray(shape) && sizeOf(shape) === data.length;
}

/** Why these literals do not fit a new gate of op `def`, or undefined. */
function paramsProblem(def: OpDef, id: string, params: Params): string | undefined {
  if (def.kind === 'source')
    return `${id} is ${def.title === 'input' ? 'an input' : 'a constant'} and takes no literals`;
  const ports = def.ports as readonly string[];
  for (const port of Object.keys(params)) {
    if (!ports.includes(port)) {
      return `port '${port}' takes no literal — ${def.name} has ports ${def.ports.join(', ')}`;
    }
    const problem = literalValueProblem(id, port, params[port]);
    if (problem) return problem;
  }
  return undefined;
}

/** The literals without the one in port `port` of `id` (a wire takes its place). */
function withoutLiteral(
  params: ReadonlyMap<string, Params>,
  id: string,
  port: string,
): ReadonlyMap<string, Params> {
  const literals = params.get(id);
  if (literals === undefined || !Object.hasOwn(literals, port)) return params;
  const rest: Record<string, Tensor> = Object.create(null);
  for (const key of Object.keys(literals)) if (key !== port) rest[key] = literals[key];
  const next = new Map(params);
  if (Object.keys(rest).length === 0) next.delete(id);
  else next.set(id, rest);
  return next;
}

/**
 * The document with a position for every node, each inside the position limit: laid out anew
 * if asked or if any node has none (or a non-finite one), otherwise clamped. `numbersOf` runs
 * the circuit, so that each wire's label box is as wide as the numbers it will show (only for
 * circuits small enough for the layout to use them).
 */
function withPositions(doc: Doc, layout: boolean, numbersOf: (doc: Doc) => WireNumbers): Doc {
  const placed = doc.nodes.every((n) => {
    const p = doc.positions.get(n.id);
    return p !== undefined && Number.isFinite(p.x) && Number.isFinite(p.y);
  });
  if (layout || !placed) {
    const numbers = layoutUsesNumbers(doc.nodes.length) ? numbersOf(doc) : undefined;
    return { ...doc, positions: layoutCircuit(doc.nodes, doc.wires, doc.values, numbers) };
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

/** The last node (in document order) that feeds nothing: a sensible new output. */
function lastSink(nodes: readonly DocNode[], wires: readonly Wire[]): NodeId | null {
  const feeds = new Set(wires.map((w) => w.from as string));
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!feeds.has(nodes[i].id) && !isSource(nodes[i].op)) return nodes[i].id;
  }
  return null;
}
