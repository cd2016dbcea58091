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
  /** The wires among the new gates (and into them), to centre each add on what it sums. */
  readonly wires: readonly Wire[];
}

const GATE = NODE_SIZE.gate;
/** Column to column: a gate and room for a scalar wire's value and gradient. */
const COLUMN = GATE.width + 150;
/** Row to row: a gate, its name under it, and a wire's numbers between. */
const ROW = GATE.height + 34;
/** Space kept between the expansion and the nodes moved out of its way. */
const GAP = 40;

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
  // Relative heights: the first two columns (entries, products) in rows, centred on the
  // taller; every later gate at the mean height of what feeds it, kept a row apart.
  const rel = new Map<string, number>();
  const tallest = Math.max(columns[0]?.length ?? 0, columns[1]?.length ?? 0);
  for (const column of columns.slice(0, 2)) {
    const offset = ((tallest - column.length) * ROW) / 2;
    column.forEach((gid, r) => {
      rel.set(gid, offset + r * ROW);
    });
  }
  const sources = new Map<string, string[]>();
  for (const w of layout.wires) {
    let list = sources.get(w.to);
    if (!list) {
      list = [];
      sources.set(w.to, list);
    }
    list.push(w.from);
  }
  for (const column of columns.slice(2)) {
    const wanted = column.map((gid) => {
      const ys = (sources.get(gid) ?? []).map((s) => rel.get(s)).filter((y) => y !== undefined);
      return ys.length === 0 ? 0 : ys.reduce((a, b) => a + b, 0) / ys.length;
    });
    let floor = Number.NEGATIVE_INFINITY;
    column.forEach((gid, r) => {
      const y = Math.max(wanted[r], floor);
      rel.set(gid, y);
      floor = y + ROW;
    });
  }
  const blockWidth = (columns.length - 1) * COLUMN + GATE.width;
  const rootRel = rel.get(layout.root) ?? 0;
  let top = at.y - rootRel;
  const height = tallest * ROW;
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
        clampPosition({ x: at.x + c * COLUMN, y: Math.round(top + (rel.get(gid) ?? 0)) }),
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
  const dx = rootAt.x - left;
  for (const m of found.members) positions.delete(m);
  for (const n of doc.nodes) {
    if (n.id === found.root || found.members.has(n.id)) continue;
    const p = doc.positions.get(n.id);
    if (p && p.x > rootAt.x) positions.set(n.id, clampPosition({ x: p.x - dx, y: p.y }));
  }
  positions.set(found.root, { x: left, y: rootAt.y });
  return positions;
}
