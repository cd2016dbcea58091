/**
 * Where Expand puts the gates of an expanded product, and where Collapse puts the product
 * back: in place. The expansion is drawn in columns where the product gate was (entry gates,
 * products, the adds, the assembled result), with the result at the product's height; nodes
 * to the right of the product move right by the width it gained, and nodes in the way below
 * move down, only as far as needed. Collapse puts the product where the expansion began and
 * moves the nodes right of it back left by the same width.
 */
import type { Position, Wire } from '../engine';
import type { Doc } from './document';
import type { Expanded } from './expand';
import { clampPosition, NODE_SIZE, nodeSize } from './layout';

/** The new gates by column, left to right, each top to bottom; `root` ends the last one. */
export interface ExpandedColumns {
  readonly columns: readonly (readonly string[])[];
  readonly root: string;
  /** The root's op (an assembled matrix is taller than a gate, one port per entry). */
  readonly rootOp: string;
  /** The wires among the new gates (and into them), to centre each add on what it sums. */
  readonly wires: readonly Wire[];
}

const GATE = NODE_SIZE.gate;
/** Column to column: a gate and room for a scalar wire's value and gradient. */
const COLUMN = GATE.width + 150;
/**
 * From the entry gates to the products: wider, since every entry feeds several products and
 * their wires cross there, each with its numbers (which slide along their wires to a free
 * spot, see src/ui/canvas/labels.ts): the more products, the more room.
 */
function fanWidth(products: number): number {
  return GATE.width + 230 + FAN_PER_PRODUCT * products;
}
const FAN_PER_PRODUCT = 8;
/** Before the entry gates: room for the tensor wires' shapes and previews. */
export const LEAD = 120;
/** Row to row: a gate, its name under it, and a wire's numbers between. */
const ROW = GATE.height + 34;
/** Space kept between the expansion and the nodes moved out of its way. */
const GAP = 40;

/** The x of column `c` of an expansion whose product gate was at `x`. */
function columnX(x: number, c: number, fan: number): number {
  return c === 0 ? x + LEAD : x + LEAD + fan + (c - 1) * COLUMN;
}

/** Rows a column apart at least, each as near to where it is wanted as that allows. */
function spread(column: readonly string[], wanted: readonly number[], rel: Map<string, number>) {
  const order = column.map((_, r) => r).sort((a, b) => wanted[a] - wanted[b] || a - b);
  let floor = Number.NEGATIVE_INFINITY;
  const placed: number[] = [];
  for (const r of order) {
    const y = Math.max(wanted[r], floor);
    placed.push(y);
    floor = y + ROW;
  }
  // Centred on what was wanted, so a crowded column grows both ways.
  const shift =
    placed.length === 0
      ? 0
      : (order.reduce((s, r) => s + wanted[r], 0) - placed.reduce((s, y) => s + y, 0)) /
        placed.length;
  order.forEach((r, k) => {
    rel.set(column[r], placed[k] + shift);
  });
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function boxes(doc: Doc, skip: ReadonlySet<string>): Map<string, Box> {
  const out = new Map<string, Box>();
  for (const n of doc.nodes) {
    if (skip.has(n.id)) continue;
    const p = doc.positions.get(n.id);
    if (!p) continue;
    const size = nodeSize(n.op, doc.values.get(n.id));
    out.set(n.id, { x: p.x, y: p.y, w: size.width, h: size.height });
  }
  return out;
}

/** Every node's position once product `id` has been expanded into `layout`'s gates. */
export function expandedPositions(
  doc: Doc,
  id: string,
  layout: ExpandedColumns,
): Map<string, Position> {
  const at = doc.positions.get(id) ?? { x: 0, y: 0 };
  const { columns } = layout;
  // Relative heights: the entry gates and the products in rows, and every later gate at the
  // mean height of what feeds it, at least a row apart.
  const rel = new Map<string, number>();
  const sources = new Map<string, string[]>();
  const readers = new Map<string, string[]>();
  const push = (map: Map<string, string[]>, key: string, v: string) => {
    const list = map.get(key);
    if (list) list.push(v);
    else map.set(key, [v]);
  };
  for (const w of layout.wires) {
    push(sources, w.to, w.from);
    push(readers, w.from, w.to);
  }
  const mean = (ids: readonly string[]) => {
    const ys = ids.map((s) => rel.get(s)).filter((y): y is number => y !== undefined);
    return ys.length === 0 ? 0 : ys.reduce((a, b) => a + b, 0) / ys.length;
  };
  const products = columns.length > 2 ? columns[1] : [];
  products.forEach((gid, r) => {
    rel.set(gid, r * ROW);
  });
  if (columns[0] && products.length > 0) {
    // Each entry gate at the mean height of the products it feeds (W's and X's interleave),
    // so its wires are short and cross only near it.
    spread(
      columns[0],
      columns[0].map((gid) => mean(readers.get(gid) ?? [])),
      rel,
    );
  } else if (columns[0]) {
    columns[0].forEach((gid, r) => {
      rel.set(gid, r * ROW);
    });
  }
  for (const column of columns.slice(products.length > 0 ? 2 : 1)) {
    spread(
      column,
      column.map((gid) => mean(sources.get(gid) ?? [])),
      rel,
    );
  }
  // A tall root (an assembled matrix, a port per entry) is centred on what it assembles.
  const rootSize = nodeSize(layout.rootOp);
  const rootY = rel.get(layout.root);
  if (rootY !== undefined) rel.set(layout.root, rootY - (rootSize.height - GATE.height) / 2);
  let relTop = Number.POSITIVE_INFINITY;
  let relBottom = Number.NEGATIVE_INFINITY;
  for (const [gid, y] of rel) {
    relTop = Math.min(relTop, y);
    relBottom = Math.max(
      relBottom,
      y + ROW + (gid === layout.root ? rootSize.height - GATE.height : 0),
    );
  }
  for (const [gid, y] of rel) rel.set(gid, y - relTop);

  const fan = fanWidth(products.length);
  const blockWidth = columnX(at.x, columns.length - 1, fan) - at.x + rootSize.width;
  const rootRel = rel.get(layout.root) ?? 0;
  let top = at.y - rootRel;
  const height = relBottom - relTop;
  const others = boxes(doc, new Set([id]));
  const right = at.x + blockWidth;
  const inColumn = (b: Box) => b.x <= at.x && b.x + b.w > at.x - GAP && b.x < right;
  // Nodes above the product in the way: the expansion starts below them.
  for (const b of others.values()) {
    if (!inColumn(b) || b.y >= at.y) continue;
    if (b.y + b.h + GAP > top) top = b.y + b.h + GAP;
  }
  const bottom = top + height;
  const positions = new Map<string, Position>(doc.positions);
  positions.delete(id);
  const dx = blockWidth - GATE.width;
  // Nodes right of the product move right by the width the expansion takes.
  for (const [nid, b] of others) {
    if (b.x > at.x) positions.set(nid, clampPosition({ x: b.x + dx, y: b.y }));
  }
  // Nodes in the way below move down, with everything under them in that column.
  let firstInWay = Number.POSITIVE_INFINITY;
  for (const b of others.values()) {
    if (inColumn(b) && b.y < bottom + GAP && b.y + b.h > top - GAP) {
      firstInWay = Math.min(firstInWay, b.y);
    }
  }
  if (Number.isFinite(firstInWay)) {
    const dy = bottom + GAP - firstInWay;
    for (const [nid, b] of others) {
      if (inColumn(b) && b.y >= firstInWay) {
        positions.set(nid, clampPosition({ x: b.x, y: b.y + dy }));
      }
    }
  }
  columns.forEach((column, c) => {
    for (const gid of column) {
      positions.set(
        gid,
        clampPosition({ x: columnX(at.x, c, fan), y: Math.round(top + (rel.get(gid) ?? 0)) }),
      );
    }
  });
  return positions;
}

/** Every node's position once the expansion `found` is one product gate again. */
export function collapsedPositions(doc: Doc, found: Expanded): Map<string, Position> {
  const positions = new Map<string, Position>(doc.positions);
  const rootAt = doc.positions.get(found.root) ?? { x: 0, y: 0 };
  let left = rootAt.x;
  for (const gid of found.entryGates) {
    const p = doc.positions.get(gid);
    if (p) left = Math.min(left, p.x);
  }
  // The entry gates begin LEAD right of where the product was.
  left -= LEAD;
  // Nodes right of it move back by as much as the right edge comes back (the assembled root
  // may be wider than the product gate).
  const rootOp = doc.nodes.find((n) => n.id === found.root)?.op ?? 'matmul';
  const dx = rootAt.x + nodeSize(rootOp).width - (left + GATE.width);
  for (const m of found.members) positions.delete(m);
  for (const n of doc.nodes) {
    if (n.id === found.root || found.members.has(n.id)) continue;
    const p = doc.positions.get(n.id);
    if (p && p.x > rootAt.x) positions.set(n.id, clampPosition({ x: p.x - dx, y: p.y }));
  }
  positions.set(found.root, { x: left, y: rootAt.y });
  return positions;
}
