/**
 * Where each wire's labels sit: at the middle of the wire, as in the cs231n drawings. The
 * layout (src/store/layout.ts) keeps the middle of every wire clear for its labels, as wide as
 * the numbers it shows, so a laid-out circuit keeps every label in the middle. Only where
 * nodes placed by hand make two wires' labels cover each other (or a node) does a label slide
 * along its own wire to a free spot, so it still reads as that wire's.
 */

export interface WireEnds {
  readonly id: string;
  readonly sx: number;
  readonly sy: number;
  readonly tx: number;
  readonly ty: number;
}

/**
 * Where along the wire (0 = source, 1 = target) to try, best first: the middle, then ever
 * further out either side in small steps, so that where many wires cross (an expanded matrix
 * product's entry gates fanning out to their products) each finds a free spot near its middle.
 */
export const CANDIDATES: readonly number[] = (() => {
  const list = [0.5];
  for (let k = 1; k <= 21; k++) list.push(0.5 - k * 0.02, 0.5 + k * 0.02);
  return list;
})();
/**
 * The room a typical wire's labels take round the point (here the numbers are not known): the
 * value above, the gradient below, about six characters wide. Smaller than the room the
 * layout keeps for long numbers, so a laid-out label is only moved when it really collides.
 */
export const LABEL_ROOM = { width: 80, height: 60 } as const;
const HALF_WIDTH = LABEL_ROOM.width / 2;
const ABOVE = LABEL_ROOM.height / 2;
const BELOW = LABEL_ROOM.height / 2;
/** Beyond this many wires the labels are too small to collide in a readable way. */
const MAX_WIRES = 400;

/**
 * A point of the wire as React Flow draws it: a cubic Bézier from a right-hand source handle
 * to a left-hand target handle, its control points half the horizontal distance out (for a
 * wire that runs backwards React Flow bends differently; the middle is then good enough).
 */
export function wirePoint(w: Omit<WireEnds, 'id'>, t: number): { x: number; y: number } {
  const offset = Math.max(0, (w.tx - w.sx) / 2);
  const c1x = w.sx + offset;
  const c2x = w.tx - offset;
  const u = 1 - t;
  return {
    x: u * u * u * w.sx + 3 * u * u * t * c1x + 3 * u * t * t * c2x + t * t * t * w.tx,
    y: u * u * u * w.sy + 3 * u * u * t * w.sy + 3 * u * t * t * w.ty + t * t * t * w.ty,
  };
}

/** A rectangle: a node, or the room a wire's two labels take. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The room a wire's labels take when they sit at point `p` of the wire. */
export function labelBox(p: { x: number; y: number }): Box {
  return { x: p.x - HALF_WIDTH, y: p.y - ABOVE, width: 2 * HALF_WIDTH, height: ABOVE + BELOW };
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * The boxes placed so far, filed in a grid of label-sized cells, so that counting what a new
 * box would cover looks at a few cells instead of every box (a circuit can have thousands of
 * nodes).
 */
class BoxGrid {
  private readonly cells = new Map<string, Box[]>();
  private static readonly W = 2 * HALF_WIDTH;
  private static readonly H = ABOVE + BELOW;

  private *keys(b: Box): Generator<string> {
    const x0 = Math.floor(b.x / BoxGrid.W);
    const x1 = Math.floor((b.x + b.width) / BoxGrid.W);
    const y0 = Math.floor(b.y / BoxGrid.H);
    const y1 = Math.floor((b.y + b.height) / BoxGrid.H);
    // A box far larger than a label (or with coordinates that are not finite) goes in one
    // shared cell that every query also looks at.
    if (!Number.isFinite(x0 + x1 + y0 + y1) || (x1 - x0 + 1) * (y1 - y0 + 1) > 64) {
      yield 'large';
      return;
    }
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) yield `${x} ${y}`;
  }

  add(b: Box): void {
    for (const key of this.keys(b)) {
      const list = this.cells.get(key);
      if (list) list.push(b);
      else this.cells.set(key, [b]);
    }
  }

  /** How many placed boxes `b` overlaps (each counted once). */
  hits(b: Box): number {
    const seen = new Set<Box>();
    for (const key of [...this.keys(b), 'large']) {
      for (const q of this.cells.get(key) ?? []) {
        if (!seen.has(q) && overlaps(b, q)) seen.add(q);
      }
    }
    return seen.size;
  }
}

/**
 * For each wire, the position along it of its labels: 0.5 unless that spot is taken by
 * another wire's labels or by a node (`obstacles`).
 */
export function placeLabels(
  wires: readonly WireEnds[],
  obstacles: readonly Box[] = [],
): Map<string, number> {
  const result = new Map<string, number>();
  if (wires.length > MAX_WIRES) return result;
  const placed = new BoxGrid();
  for (const o of obstacles) placed.add(o);
  for (const w of wires) {
    let best = 0.5;
    let bestBox = labelBox(wirePoint(w, 0.5));
    let bestHits = Number.POSITIVE_INFINITY;
    for (const t of CANDIDATES) {
      const box = labelBox(wirePoint(w, t));
      const hits = placed.hits(box);
      if (hits < bestHits) {
        best = t;
        bestBox = box;
        bestHits = hits;
        if (hits === 0) break;
      }
    }
    placed.add(bestBox);
    if (best !== 0.5) result.set(w.id, best);
  }
  return result;
}

/**
 * Whether a wire into a gate of this op is drawn without its tensor's shape and preview: a
 * wire into an entry gate (`W[1,2]`) takes one number out of a tensor, and every wire from W
 * to its entry gates would carry the same `2×3` and `∂ 2×3`, stacked. The entry gate says
 * which entry it takes, the wire out of it carries that number, and the tensor's own node or
 * wire in shows its shape. The canvas and the exported picture both follow this.
 */
export function hidesTensorLabel(targetOp: string | undefined): boolean {
  return targetOp === 'index' || targetOp === 'index2';
}
