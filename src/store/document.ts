import type {
  Circuit,
  GateDef,
  NodeId,
  Params,
  PortName,
  Position,
  Tensor,
  UpstreamSeed,
  Wire,
} from '../engine';
import { fromNested, resolveOp } from '../engine';
import type { OpenedFrame, SeededCircuit } from '../share/file';

/** A node as the editor keeps it: what it is. Where it is and its value live beside it. */
export interface DocNode {
  readonly id: NodeId;
  readonly op: string;
  readonly label?: string;
}

/**
 * The document the user edits, and the only state undo/redo tracks. It is split so that a
 * change can be classified by reference: a new `nodes`, `wires` or `output` is a change of
 * structure (recompile); a new `values` or `params` alone re-runs the compiled program; a
 * new `positions` alone changes nothing but the picture.
 *
 * Which ports hold a literal (and its shape) is part of the structure: every edit that adds
 * or removes a literal also makes a new `nodes` or `wires`. Only the numbers inside a literal
 * change on their own (`setParam`).
 */
export interface Doc {
  readonly nodes: readonly DocNode[];
  readonly wires: readonly Wire[];
  readonly output: NodeId | null;
  /** Where each node is (top-left corner), by node id. */
  readonly positions: ReadonlyMap<string, Position>;
  /** Values of inputs and constants, by node id. */
  readonly values: ReadonlyMap<string, Tensor>;
  /**
   * The literals written inside gates, by node id, then by port name (a null-prototype
   * record): `x ** 2` is a `pow` gate with `{ b: 2 }`. Only gates with a literal have an entry.
   */
  readonly params: ReadonlyMap<string, Params>;
  /** The program text the circuit was made from, while it is unchanged; otherwise null. */
  readonly expression: string | null;
  /**
   * The upstream gradient the backward pass starts from at a tensor output (see
   * `DocSeed`); absent means ones (the gradient of `sum`, and 1 for a scalar output).
   */
  readonly seed?: DocSeed;
  /**
   * The circuit's own gates (composites and custom gates), in definition order: the palette
   * lists them, and a node whose op is one of their names is one of them. A new list is a
   * change of structure.
   */
  readonly gates?: readonly GateDef[];
  /**
   * Composites opened in place (Expand): the gates they were made of are on the canvas, drawn
   * inside a frame, and Collapse folds them back into one gate of the same definition.
   */
  readonly opened?: readonly OpenedGate[];
}

/**
 * A composite opened in place: its id (which its output gate has while it is open), its
 * gate's name, and the gates now standing for it; files and links carry the same form.
 */
export type OpenedGate = OpenedFrame;

/**
 * An upstream gradient as the document keeps it: never `ones` (that is no seed at all), and
 * typed values always as a tensor.
 */
export type DocSeed =
  | { readonly kind: 'random'; readonly seed: number }
  | { readonly kind: 'onehot'; readonly index: readonly number[] }
  | { readonly kind: 'values'; readonly values: Tensor };

export const EMPTY_DOC: Doc = {
  nodes: [],
  wires: [],
  output: null,
  positions: new Map(),
  values: new Map(),
  params: new Map(),
  expression: null,
};

export function docFromCircuit(circuit: Circuit, expression: string | null = null): Doc {
  const positions = new Map<string, Position>();
  const values = new Map<string, Tensor>();
  const params = new Map<string, Params>();
  for (const node of circuit.nodes) {
    if (node.position) positions.set(node.id, node.position);
    if (node.value) values.set(node.id, node.value);
    if (node.params !== undefined && Object.keys(node.params).length > 0) {
      params.set(node.id, literalRecord(node.params));
    }
  }
  const seed = docSeed((circuit as SeededCircuit).seed);
  return {
    nodes: circuit.nodes.map(({ id, op, label }) =>
      label === undefined ? { id, op } : { id, op, label },
    ),
    wires: circuit.wires,
    output: circuit.output,
    positions,
    values,
    params,
    expression,
    ...(seed ? { seed } : {}),
    ...(circuit.gates && circuit.gates.length > 0 ? { gates: circuit.gates } : {}),
    ...((circuit as SeededCircuit).opened?.length
      ? { opened: (circuit as SeededCircuit).opened }
      : {}),
  };
}

/**
 * The document's form of an upstream gradient: undefined for ones (or for something that is
 * not a seed: the codecs have already warned about it), typed values as a tensor.
 */
export function docSeed(seed: UpstreamSeed | undefined): DocSeed | undefined {
  if (seed === undefined || typeof seed !== 'object' || seed === null) return undefined;
  if ('data' in seed) return { kind: 'values', values: seed };
  switch (seed.kind) {
    case 'random':
      return { kind: 'random', seed: seed.seed };
    case 'onehot':
      return { kind: 'onehot', index: [...seed.index] };
    case 'values': {
      const v = seed.values;
      if (typeof v === 'object' && v !== null && 'data' in v) return { kind: 'values', values: v };
      const t = fromNested(v);
      return typeof t === 'string' ? undefined : { kind: 'values', values: t };
    }
    default:
      return undefined;
  }
}

export function docToCircuit(doc: Doc): SeededCircuit {
  return {
    nodes: doc.nodes.map((node) => {
      const position = doc.positions.get(node.id);
      const value = doc.values.get(node.id);
      const params = doc.params.get(node.id);
      return {
        ...node,
        ...(position ? { position } : {}),
        ...(value ? { value } : {}),
        ...(params ? { params } : {}),
      };
    }),
    wires: doc.wires,
    output: doc.output,
    ...(doc.seed ? { seed: doc.seed } : {}),
    ...(doc.gates && doc.gates.length > 0 ? { gates: doc.gates } : {}),
    ...(doc.opened && doc.opened.length > 0 ? { opened: doc.opened } : {}),
  };
}

/**
 * A copy of a table of literals as a null-prototype record (a port may be called anything a
 * file says; `__proto__` must stay an ordinary key), with `changes` applied.
 */
export function literalRecord(from: Params, changes?: Params): Params {
  const record: Record<string, Tensor> = Object.create(null);
  for (const port of Object.keys(from)) record[port] = from[port];
  if (changes) for (const port of Object.keys(changes)) record[port] = changes[port];
  return record;
}

/**
 * The map with `key` set to `value`, without copying it: a scrub sets one value many times a
 * second, and copying a map of a thousand inputs each time would cost more than the run. The
 * result reads like a copy (same entries, same order); a few changes are kept beside the map
 * they change, and once there are more than `PATCH_LIMIT` distinct ones they are folded into
 * a new map.
 */
export function withEntry<V>(
  map: ReadonlyMap<string, V>,
  key: string,
  value: V,
): ReadonlyMap<string, V> {
  const base = map instanceof PatchedMap ? (map.base as ReadonlyMap<string, V>) : map;
  const changes = new Map(map instanceof PatchedMap ? map.changes : undefined).set(key, value);
  if (changes.size <= PATCH_LIMIT) return new PatchedMap(base, changes);
  const flat = new Map(base);
  for (const [k, v] of changes) flat.set(k, v);
  return flat;
}

const PATCH_LIMIT = 32;

/** A map and a few entries set over it, read as one map (see `withEntry`). */
class PatchedMap<V> implements ReadonlyMap<string, V> {
  readonly base: ReadonlyMap<string, V>;
  readonly changes: ReadonlyMap<string, V>;
  private count = -1;

  constructor(base: ReadonlyMap<string, V>, changes: ReadonlyMap<string, V>) {
    this.base = base;
    this.changes = changes;
  }

  get(key: string): V | undefined {
    return this.changes.has(key) ? this.changes.get(key) : this.base.get(key);
  }

  has(key: string): boolean {
    return this.changes.has(key) || this.base.has(key);
  }

  get size(): number {
    if (this.count < 0) {
      let added = 0;
      for (const key of this.changes.keys()) if (!this.base.has(key)) added++;
      this.count = this.base.size + added;
    }
    return this.count;
  }

  *entries(): MapIterator<[string, V]> {
    for (const [key, value] of this.base) {
      yield [key, this.changes.has(key) ? (this.changes.get(key) as V) : value];
    }
    for (const [key, value] of this.changes) if (!this.base.has(key)) yield [key, value];
  }

  *keys(): MapIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(visit: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [key, value] of this.entries()) visit(value, key, this);
  }
}

/** Every value and literal of the document: what the limit on numbers counts. */
export function* numbersOf(doc: Pick<Doc, 'values' | 'params'>): Iterable<Tensor> {
  yield* doc.values.values();
  for (const record of doc.params.values()) {
    for (const port of Object.keys(record)) yield record[port];
  }
}

/** The key React Flow uses for a wire: one port takes one wire, so target + port is unique. */
export function wireKey(wire: { readonly to: string; readonly port: string }): string {
  return `${wire.to}:${wire.port}`;
}

/** A fresh id for a new node of this op: `mul1`, `mul2`, … skipping ids in use. */
export function freshId(doc: Doc, base: string): NodeId {
  const taken = new Set<string>(doc.nodes.map((n) => n.id));
  for (let i = 1; ; i++) {
    const id = `${base}${i}`;
    if (!taken.has(id)) return id as NodeId;
  }
}

/** Whether a wire from → to would close a loop (is `from` reachable from `to`?). */
export function wouldCycle(doc: Doc, from: string, to: string): boolean {
  if (from === to) return true;
  const consumers = new Map<string, string[]>();
  for (const w of doc.wires) {
    const list = consumers.get(w.from);
    if (list) list.push(w.to);
    else consumers.set(w.from, [w.to]);
  }
  const seen = new Set<string>([to]);
  const stack = [to];
  while (stack.length > 0) {
    const v = stack.pop() as string;
    for (const w of consumers.get(v) ?? []) {
      if (w === from) return true;
      if (!seen.has(w)) {
        seen.add(w);
        stack.push(w);
      }
    }
  }
  return false;
}

/**
 * Why a new wire from `from` into port `port` of `to` is refused, or undefined if it is fine.
 */
export function connectionProblem(
  doc: Doc,
  from: string,
  to: string,
  port: string,
): string | undefined {
  const target = doc.nodes.find((n) => n.id === to);
  const source = doc.nodes.find((n) => n.id === from);
  if (!target || !source) return 'that node no longer exists';
  const op = resolveOp(target.op, doc.gates);
  if (!op?.ports.includes(port as PortName)) {
    return `${to} has no input port '${port}'`;
  }
  if (doc.wires.some((w) => w.to === to && w.port === port)) {
    return `port ${port} of ${to} already has a wire: delete it first`;
  }
  if (wouldCycle(doc, from, to)) {
    return `a wire from ${from} to ${to} would make a loop: a circuit computes in one direction`;
  }
  return undefined;
}

/** True if only positions differ: nothing to recompute. */
export function sameStructure(a: Doc, b: Doc): boolean {
  return a.nodes === b.nodes && a.wires === b.wires && a.output === b.output && a.gates === b.gates;
}
