/**
 * Expand and Collapse: a small matrix product `D = W @ X` taken apart, in place, into the
 * scalar gates it is made of, and put back together.
 *
 * Expanded, D[i][j] = Σₚ W[i][p]·X[p][j] is drawn as the notes write it: one entry gate for
 * each entry of W and of X (`W[i,p]`, `X[p,j]`), one multiply gate per term, a chain of adds
 * summing each entry's terms, and a gate assembling the entries into D (`[[D00, D01], …]`),
 * which keeps D's id and name, so D's readers, the output and its upstream gradient are
 * untouched. Every number comes out the same: the adds sum the terms in the order the
 * product's kernel does.
 *
 * Collapse recognises that structure from the graph alone (so it works after saving and
 * opening again) and restores one product gate, with the assembling gate's id and name.
 *
 * These are pure functions of the document; the shapes come from the compiled program.
 */
import {
  getOp,
  isComposite,
  type NodeId,
  nodeId,
  type Params,
  type PortName,
  portName,
  resolveOp,
  type Shape,
  scalar,
  type Wire,
} from '../engine';
import { LIMITS } from '../engine/limits';
import { assembleOpName, entryPort } from '../engine/ops/indexing';
import { type Doc, type DocNode, literalRecord } from './document';
import { collapsedPositions, type ExpandedColumns, expandedPositions } from './expandPlacement';
import { openedOf } from './group';

/** The shape of a node's value in the current run, or undefined when it is not computed. */
export type ShapeOf = (id: string) => Shape | undefined;

const A = portName('a');
const B = portName('b');
const X = portName('x');
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A matmul operand as a matrix: a vector is a row on the left, a column on the right. */
function operandMatrix(shape: Shape, side: 'left' | 'right'): [number, number] | undefined {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length === 1) return side === 'left' ? [1, shape[0]] : [shape[0], 1];
  return undefined;
}

/** `5×10`, or `a vector of 10`, as the message names an operand. */
const shapeText = (s: Shape) =>
  s.length === 2 ? `${s[0]}×${s[1]}` : s.length === 1 ? `a vector of ${s[0]}` : 'a scalar';

/** How a product's operands and result are laid out, entry by entry. */
interface Product {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly left: Shape;
  readonly right: Shape;
  /** The shape of D: [m×n], [n] or [m] when an operand is a vector, [] for a dot product. */
  readonly out: Shape;
}

function product(left: Shape, right: Shape): Product | undefined {
  const a = operandMatrix(left, 'left');
  const b = operandMatrix(right, 'right');
  if (!a || !b || a[1] !== b[0]) return undefined;
  const out: Shape =
    left.length === 2 && right.length === 2
      ? [a[0], b[1]]
      : left.length === 2
        ? [a[0]]
        : right.length === 2
          ? [b[1]]
          : [];
  return { m: a[0], k: a[1], n: b[1], left, right, out };
}

/** The index literals of entry (r, c) of an operand of shape `shape` (a vector's: entry r). */
function indexParams(shape: Shape, r: number, c: number): Params {
  const record: Record<string, ReturnType<typeof scalar>> = Object.create(null);
  record.i = scalar(r);
  if (shape.length === 2) record.j = scalar(c);
  return record;
}

/** The port of the assembling gate that entry (i, j) of D goes into. */
function outPort(p: Product, i: number, j: number): PortName {
  if (p.out.length === 2) return entryPort(i, j);
  return p.left.length === 2 ? entryPort(i) : entryPort(j);
}

/** `[0,1]` as an entry of D is written, for a matrix D; `[1]` for a vector. */
function outIndex(p: Product, i: number, j: number): readonly number[] {
  if (p.out.length === 2) return [i, j];
  if (p.out.length === 1) return [p.left.length === 2 ? i : j];
  return [];
}

interface Operands {
  readonly w: string;
  readonly x: string;
  readonly product: Product;
}

/** The operands of product gate `id`, or why it cannot be expanded. */
function operandsOf(doc: Doc, id: string, shapeOf: ShapeOf): Operands | string {
  const node = doc.nodes.find((n) => n.id === id);
  if (node?.op !== 'matmul') {
    return 'Expand works on a matrix product (an @ gate): select one';
  }
  const name = node.label ?? node.id;
  const params = doc.params.get(id);
  if (params && Object.keys(params).length > 0) {
    return `Expand needs both operands of ${name} wired; this one has a matrix written in place`;
  }
  const into = (port: PortName) => doc.wires.find((w) => w.to === id && w.port === port)?.from;
  const w = into(A);
  const x = into(B);
  const left = w === undefined ? undefined : shapeOf(w);
  const right = x === undefined ? undefined : shapeOf(x);
  if (w === undefined || x === undefined || !left || !right || shapeOf(id) === undefined) {
    return `Expand needs a product that computes: ${name} has a problem to fix first`;
  }
  const p = product(left, right);
  if (!p) return `Expand needs a product that computes: ${name} has a problem to fix first`;
  const side = LIMITS.assembleSide;
  if (p.m > side || p.k > side || p.n > side) {
    return `Expand works on products up to ${side}×${side} · ${side}×${side}; this one is ${shapeText(left)} · ${shapeText(right)}`;
  }
  return { w, x, product: p };
}

/** Why gate `id` cannot be expanded, or undefined when it can. */
export function expandProblem(doc: Doc, id: string, shapeOf: ShapeOf): string | undefined {
  const found = operandsOf(doc, id, shapeOf);
  return typeof found === 'string' ? found : undefined;
}

/** Ids not yet taken: `base`, else `base_2`, `base_3`, … */
function idMaker(doc: Doc, keep: string) {
  const taken = new Set<string>(doc.nodes.map((n) => n.id));
  taken.delete(keep);
  return (base: string): NodeId => {
    let id = base;
    for (let k = 2; taken.has(id); k++) id = `${base}_${k}`;
    taken.add(id);
    return nodeId(id);
  };
}

/**
 * The document with product gate `id` expanded into scalar gates, or a message saying why it
 * cannot be (not a product, a literal operand, too large: "Expand works on products up to
 * 3×3 · 3×3; this one is 5×10 · 10×3").
 */
export function expandProduct(doc: Doc, id: string, shapeOf: ShapeOf): Doc | string {
  const found = operandsOf(doc, id, shapeOf);
  if (typeof found === 'string') return found;
  const { w, x, product: p } = found;
  const byId = new Map<string, DocNode>(doc.nodes.map((n) => [n.id, n]));
  const gate = byId.get(id) as DocNode;
  const named = (nid: string, fallback: string) => {
    const node = byId.get(nid);
    const name = node?.label ?? nid;
    return { shown: name, base: IDENTIFIER.test(name) ? name : fallback };
  };
  const W = named(w, 'W');
  const Xn = named(x, 'X');
  const D = named(id, 'D');
  const fresh = idMaker(doc, id);
  const nodes: DocNode[] = [];
  const wires: Wire[] = [];
  const params = new Map<string, Params>();
  const add = (node: DocNode, literals?: Params) => {
    nodes.push(node);
    if (literals) params.set(node.id, literals);
  };
  const wire = (from: string, to: string, port: PortName) =>
    wires.push({ from: nodeId(from), to: nodeId(to), port });
  const where = (ix: readonly number[]) => `[${ix.join(',')}]`;
  const idSuffix = (ix: readonly number[]) => ix.map((v) => `_${v}`).join('');

  // The entry gates: W[i,p] for every entry of W, then X[p,j] for every entry of X.
  const wEntry: NodeId[][] = [];
  const xEntry: NodeId[][] = [];
  const entryColumn: NodeId[] = [];
  const wIx = (i: number, q: number) => (p.left.length === 2 ? [i, q] : [q]);
  const xIx = (q: number, j: number) => (p.right.length === 2 ? [q, j] : [q]);
  for (let i = 0; i < p.m; i++) {
    wEntry.push([]);
    for (let q = 0; q < p.k; q++) {
      const ix = wIx(i, q);
      const eid = fresh(`${W.base}${idSuffix(ix)}`);
      add(
        { id: eid, op: p.left.length === 2 ? 'index2' : 'index', label: `${W.shown}${where(ix)}` },
        indexParams(p.left, ix[0], ix[1] ?? 0),
      );
      wire(w, eid, X);
      wEntry[i].push(eid);
      entryColumn.push(eid);
    }
  }
  for (let q = 0; q < p.k; q++) {
    xEntry.push([]);
    for (let j = 0; j < p.n; j++) {
      const ix = xIx(q, j);
      const eid = fresh(`${Xn.base}${idSuffix(ix)}`);
      add(
        {
          id: eid,
          op: p.right.length === 2 ? 'index2' : 'index',
          label: `${Xn.shown}${where(ix)}`,
        },
        indexParams(p.right, ix[0], ix[1] ?? 0),
      );
      wire(x, eid, X);
      xEntry[q].push(eid);
      entryColumn.push(eid);
    }
  }

  // Per entry of D: the products, then the adds, left to right as the kernel sums them.
  const scalarOut = p.out.length === 0;
  const columns: NodeId[][] = [entryColumn, []];
  for (let s = 1; s < p.k; s++) columns.push([]);
  const entries: { port: PortName; from: NodeId }[] = [];
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      const ix = outIndex(p, i, j);
      const last = (s: number) => s === p.k - 1;
      const finalId = scalarOut ? nodeId(id) : fresh(`${D.base}${idSuffix(ix)}`);
      const finalLabel = scalarOut ? gate.label : `${D.shown}${where(ix)}`;
      const finalNode = (op: string): DocNode =>
        finalLabel === undefined ? { id: finalId, op } : { id: finalId, op, label: finalLabel };
      let sum: NodeId | undefined;
      for (let q = 0; q < p.k; q++) {
        const mid = p.k === 1 ? finalId : fresh(`mul#${D.base}${idSuffix(ix)}_${q}`);
        add(p.k === 1 ? finalNode('mul') : { id: mid, op: 'mul' });
        wire(wEntry[i][q], mid, A);
        wire(xEntry[q][j], mid, B);
        columns[1].push(mid);
        if (sum === undefined) {
          sum = mid;
          continue;
        }
        const aid = last(q) ? finalId : fresh(`add#${D.base}${idSuffix(ix)}_${q}`);
        add(last(q) ? finalNode('add') : { id: aid, op: 'add' });
        wire(sum, aid, A);
        wire(mid, aid, B);
        columns[1 + q].push(aid);
        sum = aid;
      }
      entries.push({ port: outPort(p, i, j), from: sum as NodeId });
    }
  }

  let root: NodeId = nodeId(id);
  if (!scalarOut) {
    const op = assembleOpName(p.out) as string;
    add(
      gate.label === undefined ? { id: nodeId(id), op } : { id: nodeId(id), op, label: gate.label },
    );
    for (const e of entries) wire(e.from, id, e.port);
    columns.push([nodeId(id)]);
  } else {
    root = entries[0].from;
    // The dot product's last add (or its one product) is D itself: it ends the last column.
    for (const column of columns) {
      const at = column.indexOf(root);
      if (at >= 0) column.splice(at, 1);
    }
    columns.push([root]);
  }

  // The new nodes take the product's place in the list (so a program reads in order).
  const at = doc.nodes.findIndex((n) => n.id === id);
  const docNodes = [...doc.nodes.slice(0, at), ...nodes, ...doc.nodes.slice(at + 1)];
  const docWires = [...doc.wires.filter((wr) => wr.to !== id), ...wires];
  const docParams = new Map(doc.params);
  docParams.delete(id);
  for (const [pid, lit] of params) docParams.set(pid, literalRecord(lit));
  const layout: ExpandedColumns = {
    columns: columns.filter((c) => c.length > 0),
    root,
    rootOp: nodes.find((n) => n.id === root)?.op ?? 'mul',
    wires,
  };
  const positions = expandedPositions(doc, id, layout);
  return {
    ...doc,
    nodes: docNodes,
    wires: docWires,
    params: docParams,
    positions,
    expression: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Recognising an expanded product

/** An expanded product found in the graph: its operands, its gates and the gate that ends it. */
export interface Expanded {
  /** The assembling gate (or, for a dot product, the last add): it becomes the product. */
  readonly root: NodeId;
  readonly w: NodeId;
  readonly x: NodeId;
  /** Every other gate of the expansion: entry gates, products and adds. */
  readonly members: ReadonlySet<string>;
  /** The entry gates (the first column), for placing the product back. */
  readonly entryGates: readonly string[];
}

interface Graph {
  readonly byId: ReadonlyMap<string, DocNode>;
  /** Node → port → source. */
  readonly inputs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly readers: ReadonlyMap<string, readonly string[]>;
}

function graphOf(doc: Doc): Graph {
  const byId = new Map<string, DocNode>(doc.nodes.map((n) => [n.id, n]));
  const inputs = new Map<string, Map<string, string>>();
  const readers = new Map<string, string[]>();
  for (const w of doc.wires) {
    let ports = inputs.get(w.to);
    if (!ports) {
      ports = new Map();
      inputs.set(w.to, ports);
    }
    ports.set(w.port, w.from);
    let list = readers.get(w.from);
    if (!list) {
      list = [];
      readers.set(w.from, list);
    }
    list.push(w.to);
  }
  return { byId, inputs, readers };
}

/** The whole number a literal port holds, or undefined. */
function literalIndex(doc: Doc, id: string, port: string): number | undefined {
  const params = doc.params.get(id);
  if (!params || !Object.hasOwn(params, port)) return undefined;
  const t = params[port];
  return t.shape.length === 0 && Number.isInteger(t.data[0]) ? t.data[0] : undefined;
}

/** A gate with no literals, every port wired: its sources by port. */
function wiredGate(
  doc: Doc,
  g: Graph,
  id: string,
  op: string,
): ReadonlyMap<string, string> | undefined {
  const node = g.byId.get(id);
  if (!node || node.op !== op) return undefined;
  const params = doc.params.get(id);
  if (params && Object.keys(params).length > 0) return undefined;
  const inputs = g.inputs.get(id);
  const ports = getOp(op)?.ports ?? [];
  if (!inputs || ports.some((port) => !inputs.has(port))) return undefined;
  return inputs;
}

/** An entry gate: the operand it reads and its indices, or undefined. */
function entryOf(doc: Doc, g: Graph, id: string) {
  const node = g.byId.get(id);
  if (!node || (node.op !== 'index' && node.op !== 'index2')) return undefined;
  const from = g.inputs.get(id)?.get('x');
  const i = literalIndex(doc, id, 'i');
  const j = node.op === 'index2' ? literalIndex(doc, id, 'j') : 0;
  if (from === undefined || i === undefined || j === undefined) return undefined;
  return { from, i, j, matrix: node.op === 'index2' };
}

/**
 * The expanded product whose last gate is `root`, or undefined when the gates feeding it are
 * not one. Every gate of it must feed only gates of it (collapsing would cut any other wire).
 */
function recogniseAt(doc: Doc, g: Graph, root: string, shapeOf: ShapeOf): Expanded | undefined {
  const node = g.byId.get(root);
  if (!node) return undefined;
  const op = getOp(node.op);
  const members = new Set<string>();
  // The source of each entry of D, by its flat position.
  let sources: string[];
  let outShape: Shape;
  if (op?.syntax.array) {
    const inputs = wiredGate(doc, g, root, node.op);
    if (!inputs) return undefined;
    sources = op.ports.map((port) => inputs.get(port) as string);
    outShape = op.syntax.array.shape;
  } else if (node.op === 'add' || node.op === 'mul') {
    sources = [root];
    outShape = [];
  } else {
    return undefined;
  }
  // Each entry: its terms, the products of an entry of W and an entry of X.
  const terms: { w: ReturnType<typeof entryOf>; x: ReturnType<typeof entryOf> }[][] = [];
  for (const source of sources) {
    const list: { w: ReturnType<typeof entryOf>; x: ReturnType<typeof entryOf> }[] = [];
    const stack = [source];
    // An entry has at most `assembleSide` terms: a longer sum is something else.
    let steps = 0;
    while (stack.length > 0) {
      if (++steps > 2 * LIMITS.assembleSide) return undefined;
      const at = stack.pop() as string;
      const isTop = at === source;
      if (!isTop || outShape.length > 0) members.add(at);
      const sum = wiredGate(doc, g, at, 'add');
      if (sum) {
        // Left first: the terms come out in the order they are summed.
        stack.push(sum.get('b') as string, sum.get('a') as string);
        continue;
      }
      const mul = wiredGate(doc, g, at, 'mul');
      if (!mul) return undefined;
      const w = entryOf(doc, g, mul.get('a') as string);
      const x = entryOf(doc, g, mul.get('b') as string);
      if (!w || !x) return undefined;
      members.add(mul.get('a') as string);
      members.add(mul.get('b') as string);
      list.push({ w, x });
    }
    terms.push(list);
  }
  const w = terms[0]?.[0]?.w?.from;
  const x = terms[0]?.[0]?.x?.from;
  if (w === undefined || x === undefined || w === root || x === root) return undefined;
  const left = shapeOf(w);
  const right = shapeOf(x);
  const p = left && right ? product(left, right) : undefined;
  if (!p || p.out.join('x') !== outShape.join('x')) return undefined;
  if (members.has(w) || members.has(x)) return undefined;
  // Entry (i, j) of D must be Σₚ W[i][p]·X[p][j], p = 0 … k-1 in order.
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      const flat = p.out.length === 2 ? i * p.n + j : p.left.length === 2 ? i : j;
      const list = terms[flat];
      if (!list || list.length !== p.k) return undefined;
      for (let q = 0; q < p.k; q++) {
        const t = list[q];
        if (!t.w || !t.x || t.w.from !== w || t.x.from !== x) return undefined;
        const [wi, wj] = p.left.length === 2 ? [i, q] : [q, 0];
        const [xi, xj] = p.right.length === 2 ? [q, j] : [q, 0];
        if (t.w.matrix !== (p.left.length === 2) || t.x.matrix !== (p.right.length === 2)) {
          return undefined;
        }
        if (t.w.i !== wi || t.w.j !== wj || t.x.i !== xi || t.x.j !== xj) return undefined;
      }
    }
  }
  // Nothing outside reads a gate of it.
  for (const member of members) {
    for (const reader of g.readers.get(member) ?? []) {
      if (reader !== root && !members.has(reader)) return undefined;
    }
  }
  const entryGates = [...members].filter((m) => {
    const op = g.byId.get(m)?.op;
    return op === 'index' || op === 'index2';
  });
  return { root: nodeId(root), w: nodeId(w), x: nodeId(x), members, entryGates };
}

/**
 * The expanded product that gate `id` belongs to (any of its gates: an entry, a product, an
 * add or the assembled D), found from the graph, or undefined.
 */
export function findExpanded(doc: Doc, id: string, shapeOf: ShapeOf): Expanded | undefined {
  const g = graphOf(doc);
  if (!g.byId.has(id)) return undefined;
  // The last gate lies downstream: entry gate → product → adds → the assembling gate. The
  // walk is bounded: an expansion is a handful of gates deep, and a hub is no candidate.
  const seen = new Set<string>([id]);
  let frontier = [id];
  for (let hop = 0; hop <= LIMITS.assembleSide + 2 && frontier.length > 0; hop++) {
    // Assembling gates first, so a dot product inside a larger expansion is not taken alone.
    const ordered = [
      ...frontier.filter((c) => isAssembly(g, c)),
      ...frontier.filter((c) => dotCandidate(g, c)),
    ];
    for (const candidate of ordered) {
      const found = recogniseAt(doc, g, candidate, shapeOf);
      if (found && (found.members.has(id) || found.root === id)) return found;
    }
    const next: string[] = [];
    for (const at of frontier) {
      for (const reader of g.readers.get(at) ?? []) {
        if (seen.has(reader) || seen.size > SEARCH_LIMIT) continue;
        seen.add(reader);
        next.push(reader);
      }
    }
    frontier = next;
  }
  return undefined;
}

/**
 * The most gates the search for an expansion's last gate looks at: more than the largest
 * expansion has (2s² entry gates, s³ products, s²(s − 1) adds and one more, s a side).
 */
const SEARCH_LIMIT = 4 * LIMITS.assembleSide ** 3;

function isAssembly(g: Graph, id: string): boolean {
  const op = getOp(g.byId.get(id)?.op ?? '');
  return op?.syntax.array !== undefined;
}

/** A gate that could end a dot product (w · x of two vectors): an add or a multiply. */
function dotCandidate(g: Graph, id: string): boolean {
  const op = g.byId.get(id)?.op;
  return op === 'add' || op === 'mul';
}

/** Why the gate `id` is not part of an expanded product, for the Collapse command. */
export const NOT_EXPANDED =
  'Collapse works on a product that Expand took apart: select one of its gates (the assembled result, say)';

/**
 * The document with the expanded product that gate `id` belongs to put back together as one
 * product gate, or a message saying why not.
 */
export function collapseProduct(doc: Doc, id: string, shapeOf: ShapeOf): Doc | string {
  const found = findExpanded(doc, id, shapeOf);
  if (!found) return NOT_EXPANDED;
  const { root, w, x, members } = found;
  const rootNode = doc.nodes.find((n) => n.id === root) as DocNode;
  const gate: DocNode =
    rootNode.label === undefined
      ? { id: root, op: 'matmul' }
      : { id: root, op: 'matmul', label: rootNode.label };
  const nodes: DocNode[] = [];
  for (const n of doc.nodes) {
    if (n.id === root) nodes.push(gate);
    else if (!members.has(n.id)) nodes.push(n);
  }
  const wires: Wire[] = doc.wires.filter((wr) => !members.has(wr.to) && wr.to !== root);
  wires.push({ from: w, to: root, port: A }, { from: x, to: root, port: B });
  const params = new Map(doc.params);
  for (const m of members) params.delete(m);
  params.delete(root);
  const positions = collapsedPositions(doc, found);
  return { ...doc, nodes, wires, params, positions, expression: null };
}

/** What the Expand / Collapse control offers for gate `id`, if anything. */
export function expandAction(
  doc: Doc,
  id: string,
  shapeOf: ShapeOf,
): { readonly kind: 'expand' | 'collapse'; readonly name: string } | undefined {
  const node = doc.nodes.find((n) => n.id === id);
  if (!node) return undefined;
  if (isComposite(resolveOp(node.op, doc.gates))) return { kind: 'expand', name: node.op };
  const frame = openedOf(doc, id);
  if (frame) return { kind: 'collapse', name: frame.gate };
  if (node.op === 'matmul') {
    return expandProblem(doc, id, shapeOf) === undefined
      ? { kind: 'expand', name: node.label ?? node.id }
      : undefined;
  }
  const found = findExpanded(doc, id, shapeOf);
  if (!found) return undefined;
  const root = doc.nodes.find((n) => n.id === found.root);
  return { kind: 'collapse', name: root?.label ?? found.root };
}
