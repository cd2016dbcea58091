import dagre from '@dagrejs/dagre';
import { getOp, type Position, type Tensor, type Value } from '../engine';
import { LIMITS } from '../engine/limits';
import { type DocNode, wireKey } from './document';

/** Every node has a fixed size, so React Flow can draw it before measuring it. */
const NODE_GAP = 26;
const RANK_GAP = 84;
/**
 * Room between ranks when dagre lays out: dagre halves it and puts the wires' label boxes in
 * a rank of their own between, so a node and the labels beside it are half this far apart.
 */
const LABEL_RANK_GAP = 8;
/**
 * Room between nodes of one rank when dagre lays out (one above the other: the layout runs
 * left to right). The wires' label boxes have room of their own in the ranks between.
 */
const LABEL_NODE_GAP = 30;
/** Room between two label boxes (or wire bends) of one rank. */
const LABEL_EDGE_GAP = 8;
/**
 * Wire labels are reserved room at the largest size they are drawn: 24 px monospace in
 * presentation mode (styles.css), about 14.4 px a character, each line 28 px with its halo.
 * The value sits above the wire and the gradient below it (WireEdge), together 66 px tall.
 * Normal mode draws them at 20 px in the same room, so one layout serves both.
 */
const LABEL_CHAR = 14.4;
const LABEL_PAD = 12;
/** A label box for numbers of up to ten characters ("−0.001596", "+7.209e−5"). */
export const WIRE_LABEL_BOX = {
  width: Math.round(10 * LABEL_CHAR + LABEL_PAD),
  height: 66,
} as const;
/**
 * Dagre's crossing reduction grows fast with size: with a label box on every wire, a chain of
 * 30 gates (60 nodes) takes about 0.8 s here and one of 60 gates 2.4 s. Above this many nodes
 * a linear-time layered layout takes over, so typing a program never stalls for long.
 */
const DAGRE_LIMIT = 80;

/**
 * Whether the layout of a circuit with this many nodes sizes each wire's label box by the
 * numbers it shows (the fast layout of a large circuit does not look at them).
 */
export function layoutUsesNumbers(nodeCount: number): boolean {
  return nodeCount <= DAGRE_LIMIT;
}

export const NODE_SIZE = {
  input: { width: 176, height: 68 },
  const: { width: 48, height: 34 },
  gate: { width: 68, height: 52 },
} as const;

/**
 * How a tensor is drawn (src/ui/canvas/MatrixView.tsx reads the same numbers, so the layout
 * and the canvas agree to the pixel): up to 6×6 entries as a grid of rounded numbers, five
 * characters of 20 px monospace a cell; beyond that a heat map of 16 px squares with a sign
 * in each (at most 24 a side: a larger tensor is drawn in blocks of entries), and a key line
 * under it. A vector n×1 is a column, 1×n and a 1-D vector a row.
 */
export const MATRIX = {
  /** Up to this many rows and columns a tensor is drawn as numbers. */
  gridMax: 6,
  /** A number cell: five characters of 20 px monospace (12 px each) and a gap. */
  cellWidth: 68,
  cellHeight: 24,
  /** The numbers' size. */
  fontSize: 20,
  /** A heat-map square, and the most squares a side (beyond, each square is a block). */
  heatCell: 16,
  heatMax: 24,
  /** The key under a heat map: its scale, from −max to +max. */
  keyHeight: 20,
  keyWidth: 110,
  /** The value's and the gradient's grids go side by side when that is no wider than this. */
  sideBySide: 360,
  /** Left of a grid: the gradient's ∂ (room kept for both grids, so they line up). */
  gutter: 16,
  /** The brackets either side of a grid: 2 px line and 4 px padding. */
  bracket: 6,
  /** Between the value's grid and the gradient's. */
  gap: 8,
} as const;

/** Rows and columns of a tensor as drawn: a 1-D vector is a row. */
export function matrixShape(shape: readonly number[]): [rows: number, cols: number] {
  if (shape.length >= 2) return [shape[0], shape[1]];
  if (shape.length === 1) return [1, shape[0]];
  return [1, 1];
}

/** How one grid of a tensor is drawn, and its size in canvas units. */
export interface MatrixGrid {
  readonly rows: number;
  readonly cols: number;
  /** Numbers, or a heat map. */
  readonly kind: 'numbers' | 'heat';
  /** Entries per drawn cell along each axis (1 unless a large heat map is drawn in blocks). */
  readonly blockRows: number;
  readonly blockCols: number;
  /** Cells drawn down and across. */
  readonly shownRows: number;
  readonly shownCols: number;
  /** One cell's size. */
  readonly cellWidth: number;
  readonly cellHeight: number;
  /** The whole grid: gutter, brackets, cells (and for a heat map its key under it). */
  readonly width: number;
  readonly height: number;
}

export function matrixGrid(shape: readonly number[]): MatrixGrid {
  const [rows, cols] = matrixShape(shape);
  const frame = MATRIX.gutter + 2 * MATRIX.bracket;
  if (rows <= MATRIX.gridMax && cols <= MATRIX.gridMax) {
    return {
      rows,
      cols,
      kind: 'numbers',
      blockRows: 1,
      blockCols: 1,
      shownRows: rows,
      shownCols: cols,
      cellWidth: MATRIX.cellWidth,
      cellHeight: MATRIX.cellHeight,
      width: frame + cols * MATRIX.cellWidth,
      height: rows * MATRIX.cellHeight,
    };
  }
  const blockRows = Math.max(1, Math.ceil(rows / MATRIX.heatMax));
  const blockCols = Math.max(1, Math.ceil(cols / MATRIX.heatMax));
  const shownRows = Math.ceil(rows / blockRows);
  const shownCols = Math.ceil(cols / blockCols);
  return {
    rows,
    cols,
    kind: 'heat',
    blockRows,
    blockCols,
    shownRows,
    shownCols,
    cellWidth: MATRIX.heatCell,
    cellHeight: MATRIX.heatCell,
    // The key needs about 110 px (−max, the scale, +max), however narrow the map.
    width: frame + Math.max(shownCols * MATRIX.heatCell, MATRIX.keyWidth),
    height: shownRows * MATRIX.heatCell + MATRIX.keyHeight,
  };
}

/**
 * A tensor's value and gradient together: side by side (value left) when that is narrow
 * enough (`MATRIX.sideBySide`), else one above the other (value above, as on a wire).
 */
export interface MatrixPair {
  readonly grid: MatrixGrid;
  readonly arrangement: 'stacked' | 'side';
  readonly width: number;
  readonly height: number;
}

export function matrixPair(shape: readonly number[]): MatrixPair {
  const grid = matrixGrid(shape);
  const side = 2 * grid.width + MATRIX.gap <= MATRIX.sideBySide;
  return {
    grid,
    arrangement: side ? 'side' : 'stacked',
    width: side ? 2 * grid.width + MATRIX.gap : grid.width,
    height: side ? grid.height : 2 * grid.height + MATRIX.gap,
  };
}

/**
 * An input holding a tensor: its header (name, shape, gradient so far) and its two grids,
 * inside the node's padding (8 px each side, 6 px top and bottom) and border (2 px).
 */
export const MATRIX_INPUT_CHROME = {
  width: 2 * 8 + 2 * 2,
  height: 26 + 4 + 2 * 6 + 2 * 2,
} as const;

export function matrixInputSize(shape: readonly number[]): { width: number; height: number } {
  const pair = matrixPair(shape);
  return {
    width: Math.max(NODE_SIZE.input.width, pair.width + MATRIX_INPUT_CHROME.width),
    height: pair.height + MATRIX_INPUT_CHROME.height,
  };
}

/**
 * The readout beside an output holding a tensor: a line `D = 5×3` (24 px type at most, 30 px
 * tall) over the value's and the gradient's grids; 14 px right of the gate (styles.css,
 * `.output-readout`), centred on it.
 */
export const READOUT_GAP = 14;
const READOUT_HEAD = 30;

export function readoutSize(
  name: string,
  shape: readonly number[],
): { width: number; height: number } {
  const pair = matrixPair(shape);
  const head = ([...name].length + 3 + shape.join('×').length) * 14.4 + 8;
  return { width: Math.ceil(Math.max(pair.width, head)), height: pair.height + READOUT_HEAD };
}

export function nodeSize(
  op: string,
  value?: { readonly shape: readonly number[] },
): { width: number; height: number } {
  if (op === 'input') {
    return value && value.shape.length > 0 ? matrixInputSize(value.shape) : NODE_SIZE.input;
  }
  if (op === 'const') return NODE_SIZE.const;
  return gateSize(op);
}

/**
 * A gate's inputs sit down its left side, each with its port name beside it (10 px text): a
 * gate with three inputs or more (a vector or matrix assembled from entries, up to nine) is
 * tall enough for one every PORT_PITCH px, and wide enough that the names in its middle keep
 * clear of its symbol (`[3×3]`). An entry gate's indices are literals, never wired: they do
 * not count. The canvas spreads the handles evenly over the height, as `portShift` does here.
 */
export const PORT_PITCH = 16;
/** A composite gate, drawn with its name (`softplus`). */
export const COMPOSITE_SIZE = { width: 104, height: 56 } as const;
const MANY_PORTS_WIDTH = 96;
const gateSizes = new Map<string, { width: number; height: number }>();

function gateSize(op: string): { width: number; height: number } {
  const known = gateSizes.get(op);
  if (known) return known;
  const def = getOp(op);
  // A gate of the circuit's own (a composite): its name is a word, so it is wider.
  if (!def) return COMPOSITE_SIZE;
  const wired = op === 'index' || op === 'index2' ? 1 : def.ports.length;
  const size =
    wired < 3
      ? NODE_SIZE.gate
      : {
          width: MANY_PORTS_WIDTH,
          height: Math.max(NODE_SIZE.gate.height, PORT_PITCH * (wired + 1)),
        };
  gateSizes.set(op, size);
  return size;
}

/**
 * A wire's preview of the tensor it carries: a mini heat map on the far side of its shape
 * from the wire (above the value, below the gradient), at most 48 px wide and 22 px tall, up
 * to 6 px a cell; none for a tensor too large to show that way (a cell under 2 px).
 */
export const PREVIEW = { width: 48, height: 22, cell: 6, minCell: 2, gap: 2 } as const;

export function previewSize(
  shape: readonly number[],
): { rows: number; cols: number; cell: number; width: number; height: number } | null {
  const [rows, cols] = matrixShape(shape);
  const cell = Math.min(PREVIEW.cell, PREVIEW.height / rows, PREVIEW.width / cols);
  if (cell < PREVIEW.minCell) return null;
  return { rows, cols, cell, width: cols * cell, height: rows * cell };
}

type LayoutWire = { readonly from: string; readonly to: string; readonly port?: string };

/** One wire between node indices: into port number `port` (-1: not a port of the target). */
interface IndexWire {
  readonly from: number;
  readonly to: number;
  readonly port: number;
  /** How wide the room for its labels is, and how far it reaches above and below the wire. */
  readonly width: number;
  readonly above: number;
  readonly below: number;
}

/** The numbers the wires will show, when known (the store's view of a run has them). */
export interface WireNumbers {
  readonly values: { get(id: string): Value | undefined };
  readonly wireGrads: { get(key: string): Value | undefined };
}

/**
 * How many characters a wire label takes: the number as the canvas writes it (about four
 * significant digits, scientific notation only far from 1, a sign on gradients) or a
 * matrix's shape.
 */
function labelChars(v: Value | undefined, signed: boolean): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number') return v.shape.join('×').length + (signed ? 2 : 0);
  if (!Number.isFinite(v)) return 4;
  if (v === 0) return 1;
  const abs = Math.abs(v);
  const text =
    abs >= 1e6 || abs < 1e-4
      ? v
          .toExponential(3)
          .replace(/\.?0+e/, 'e')
          .replace('e+', 'e')
      : String(Number(v.toPrecision(4)));
  return text.length + (signed && v > 0 ? 1 : 0);
}

/** The width of one label line: its characters, or for a tensor its preview if wider. */
function lineWidth(v: Value | undefined, signed: boolean): number {
  const chars = Math.min(10, labelChars(v, signed));
  if (v === undefined || typeof v === 'number') return chars * LABEL_CHAR;
  return Math.max(chars * LABEL_CHAR, previewSize(v.shape)?.width ?? 0);
}

/** How far a preview reaches past its label line (0 for a number or no preview). */
function previewReach(v: Value | undefined): number {
  if (v === undefined || typeof v === 'number') return 0;
  const preview = previewSize(v.shape);
  return preview ? preview.height + PREVIEW.gap : 0;
}

/**
 * How far a wire's labels reach above and below the wire at their spot: the value's line
 * above (`LABEL_ABOVE`) and the gradient's below (`LABEL_BELOW`), and a tensor's previews
 * beyond them.
 */
export function labelExtent(numbers: WireNumbers, w: LayoutWire): { above: number; below: number } {
  const grad =
    w.port === undefined ? undefined : numbers.wireGrads.get(wireKey({ to: w.to, port: w.port }));
  return {
    above: LABEL_ABOVE + previewReach(numbers.values.get(w.from)),
    below: LABEL_BELOW + previewReach(grad),
  };
}

/** The width of a wire's label box for the numbers it shows (at least three characters). */
export function labelWidth(numbers: WireNumbers, w: LayoutWire): number {
  const value = lineWidth(numbers.values.get(w.from), false);
  const grad =
    w.port === undefined
      ? 0
      : lineWidth(numbers.wireGrads.get(wireKey({ to: w.to, port: w.port })), true);
  return Math.round(Math.max(3 * LABEL_CHAR, value, grad) + LABEL_PAD);
}

/**
 * Left-to-right layered layout: inputs on the left, the output on the right, room between
 * layers for the value and gradient written on each wire. Returns top-left positions, all
 * within the position limit (a very long circuit is folded into bands, one below the other).
 *
 * Node ids are data here, never keys: the layout works on node indices, and the layout
 * library sees only those indices as node names.
 */
export function layoutCircuit(
  nodes: readonly DocNode[],
  wires: readonly LayoutWire[],
  values: ReadonlyMap<string, Tensor> = new Map(),
  numbers?: WireNumbers,
): Map<string, Position> {
  const sizes = nodes.map((n) => nodeSize(n.op, values.get(n.id)));
  const index = new Map<string, number>();
  nodes.forEach((node, i) => {
    index.set(node.id, i);
  });
  const links: IndexWire[] = [];
  for (const w of wires) {
    const from = index.get(w.from);
    const to = index.get(w.to);
    if (from === undefined || to === undefined) continue;
    const ports: readonly string[] = getOp(nodes[to].op)?.ports ?? [];
    const width = numbers ? labelWidth(numbers, w) : WIRE_LABEL_BOX.width;
    const { above, below } = numbers
      ? labelExtent(numbers, w)
      : { above: LABEL_ABOVE, below: LABEL_BELOW };
    links.push({
      from,
      to,
      port: w.port === undefined ? -1 : ports.indexOf(w.port),
      width,
      above,
      below,
    });
  }
  // An output (a gate nothing reads) holding a tensor writes its value and gradient as grids
  // beside it: room is kept for them.
  const readouts: (Size | undefined)[] = nodes.map(() => undefined);
  if (numbers) {
    const read = new Uint8Array(nodes.length);
    for (const w of links) read[w.from] = 1;
    nodes.forEach((n, i) => {
      const v = numbers.values.get(n.id);
      if (read[i] || n.op === 'input' || n.op === 'const' || v === undefined) return;
      if (typeof v !== 'number') readouts[i] = readoutSize(n.label ?? 'f', v.shape);
    });
  }
  const corners =
    nodes.length > DAGRE_LIMIT
      ? quickLayers(nodes, links, sizes)
      : dagreLayout(nodes, links, sizes, readouts);
  const positions = new Map<string, Position>();
  nodes.forEach((node, i) => {
    positions.set(node.id, corners[i]);
  });
  return positions;
}

type Size = { readonly width: number; readonly height: number };
type Point = { x: number; y: number };

function dagreLayout(
  nodes: readonly DocNode[],
  links: readonly IndexWire[],
  sizes: readonly Size[],
  readouts: readonly (Size | undefined)[],
): Position[] {
  // A multigraph: one value may feed two ports of one gate (x * x), and each wire has labels.
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({
    rankdir: 'LR',
    nodesep: LABEL_NODE_GAP,
    edgesep: LABEL_EDGE_GAP,
    ranksep: LABEL_RANK_GAP,
    marginx: 20,
    marginy: 20,
  });
  sizes.forEach(({ width, height }, i) => {
    g.setNode(String(i), { width, height });
  });
  // Every wire reserves a box for its labels, centred on the wire (labelpos 'c').
  // A wire across an even number of columns has its label box in the column of nodes halfway:
  // there a box wider than the gates would widen the whole column. It gets the gates' width
  // (the pass below keeps it clear of them up or down instead).
  const column = longestPaths(nodes, links);
  links.forEach((w, k) => {
    const span = column[w.to] - column[w.from];
    const width = span >= 2 && span % 2 === 0 ? Math.min(w.width, NODE_SIZE.gate.width) : w.width;
    g.setEdge(
      String(w.from),
      String(w.to),
      { width, height: Math.max(WIRE_LABEL_BOX.height, w.above + w.below), labelpos: 'c' },
      String(k),
    );
  });
  // Inputs on the left: an invisible node before all of them, tied to each by a wire dagre
  // will not stretch (its weight dwarfs every other), puts them all in the first column.
  const inputs = nodes.flatMap((n, i) => (n.op === 'input' ? [i] : []));
  if (inputs.length > 1) {
    g.setNode('start', { width: 0, height: 0 });
    for (const i of inputs) g.setEdge('start', String(i), { weight: 1000 }, 'start');
  }
  dagre.layout(g, { customOrder: (layered) => orderLayers(layered, nodes, links) });
  const centers: Point[] = sizes.map((_, i) => {
    const placed = g.node(String(i));
    return { x: placed.x, y: placed.y };
  });
  separate(links, sizes, centers, readouts);
  return centers.map((c, i) => ({
    x: Math.round(c.x - sizes[i].width / 2),
    y: Math.round(c.y - sizes[i].height / 2),
  }));
}

/**
 * Above the centre of a wire (its middle, where the canvas writes its labels) the value takes
 * 31 px at the largest size labels are drawn (24 px type, its baseline 8 px above the wire);
 * below it the gradient takes 35 px (its top 6 px below the wire).
 */
export const LABEL_ABOVE = 31;
export const LABEL_BELOW = 35;
/** Room kept between a label and anything else, and between two nodes of a column. */
const CLEARANCE = 4;

/**
 * One box the layout keeps apart from the others, moving only up or down: its height range is
 * `top`..`top + height` relative to a centre that is a weighted sum of node centres' y
 * (a node: itself; a wire's labels: half its source's and half its target port's; a point
 * along a wire: the same blend as the wire's curve at that point).
 */
interface Body {
  readonly x0: number;
  readonly x1: number;
  readonly top: number;
  readonly height: number;
  readonly terms: readonly (readonly [node: number, weight: number, offset: number])[];
  /** The nodes of its wire (a point or label must not be kept from its own ends). */
  readonly ends: readonly number[];
  readonly kind: 'node' | 'label' | 'point';
}

/** Where along a long wire its curve is kept clear of nodes (its middle holds its labels). */
const CURVE_SAMPLES = [
  0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9,
  0.95,
];

/**
 * Dagre places each wire's labels in a box along the path it routes, but the canvas draws a
 * wire as one curve from its source to its target port with the labels at the middle. This
 * moves nodes up and down (never across, never out of their order in a column) until, as the
 * canvas will draw them, no label box covers another or a node, and no wire runs through a
 * node it does not join. Deterministic: the same pairs in the same order every time.
 */
function separate(
  links: readonly IndexWire[],
  sizes: readonly Size[],
  centers: Point[],
  readouts: readonly (Size | undefined)[] = [],
): void {
  // Where on its target each wire ends: the wired ports are spread evenly down the left side.
  const wiredPorts: IndexWire[][] = sizes.map(() => []);
  for (const w of links) wiredPorts[w.to].push(w);
  for (const list of wiredPorts) list.sort((a, b) => a.port - b.port);
  const portOffset = (w: IndexWire) => {
    const list = wiredPorts[w.to];
    const h = sizes[w.to].height;
    return -h / 2 + (h * (list.indexOf(w) + 1)) / (list.length + 1);
  };
  const bodies: Body[] = [];
  sizes.forEach((s, i) => {
    bodies.push({
      x0: centers[i].x - s.width / 2,
      x1: centers[i].x + s.width / 2,
      top: -s.height / 2,
      height: s.height,
      terms: [[i, 1, 0]],
      ends: [i],
      kind: 'node',
    });
  });
  readouts.forEach((r, i) => {
    if (!r) return;
    const x0 = centers[i].x + sizes[i].width / 2 + READOUT_GAP;
    bodies.push({
      x0,
      x1: x0 + r.width,
      top: -r.height / 2,
      height: r.height,
      terms: [[i, 1, 0]],
      ends: [i],
      kind: 'node',
    });
  });
  for (const w of links) {
    if (w.from === w.to) continue;
    const sx = centers[w.from].x + sizes[w.from].width / 2;
    const tx = centers[w.to].x - sizes[w.to].width / 2;
    const off = portOffset(w);
    const mid = (sx + tx) / 2;
    bodies.push({
      x0: mid - w.width / 2,
      x1: mid + w.width / 2,
      top: -w.above,
      height: w.above + w.below,
      terms: [
        [w.from, 0.5, 0],
        [w.to, 0.5, off / 2],
      ],
      ends: [w.from, w.to],
      kind: 'label',
    });
    // Points along the curve (React Flow's Bézier: control points half the run out), so a
    // long wire does not pass through a node between its ends.
    if (tx - sx > WIRE_LABEL_BOX.width) {
      for (const t of CURVE_SAMPLES) {
        const x = sx + (tx - sx) * (1.5 * t * (1 - t) + t * t * t);
        const b = 3 * t * t - 2 * t * t * t;
        bodies.push({
          x0: x - 4,
          x1: x + 4,
          top: -4,
          height: 8,
          terms: [
            [w.from, 1 - b, 0],
            [w.to, b, b * off],
          ],
          ends: [w.from, w.to],
          kind: 'point',
        });
      }
    }
  }
  // The pairs that could ever meet: those side by side (x never changes here).
  const pairs: [number, number][] = [];
  for (let i = 0; i < bodies.length; i++) {
    for (let j = i + 1; j < bodies.length; j++) {
      const a = bodies[i];
      const b = bodies[j];
      if (a.kind === 'point' && b.kind !== 'node') continue;
      if (b.kind === 'point' && a.kind !== 'node') continue;
      if (a.kind !== 'label' && b.kind !== 'label' && (a.kind === 'point' || b.kind === 'point')) {
        const point = a.kind === 'point' ? a : b;
        const node = a.kind === 'point' ? b : a;
        if (point.ends.includes(node.ends[0])) continue;
      }
      if (a.x0 < b.x1 + CLEARANCE && b.x0 < a.x1 + CLEARANCE) pairs.push([i, j]);
    }
  }
  const centre = (b: Body) => {
    let y = 0;
    for (let k = 0; k < b.terms.length; k++) {
      const term = b.terms[k];
      y += term[1] * centers[term[0]].y + term[2];
    }
    return y;
  };
  const moveNodes = [0, 0, 0, 0];
  const moveWeights = [0, 0, 0, 0];
  for (let round = 0; round < 150; round++) {
    let moved = false;
    for (const [i, j] of pairs) {
      const a = bodies[i];
      const b = bodies[j];
      const ca = centre(a);
      const cb = centre(b);
      const aTop = ca + a.top;
      const bTop = cb + b.top;
      const gap = Math.min(aTop + a.height, bTop + b.height) - Math.max(aTop, bTop) + CLEARANCE;
      if (gap <= 0) continue;
      // Which goes above: the one whose middle is higher now (ties: the first).
      const sign = aTop + a.height / 2 <= bTop + b.height / 2 ? -1 : 1;
      // The smallest move of node centres that opens the gap: along the difference of weights
      // (at most four nodes: two ends of each wire).
      let count = 0;
      for (let k = 0; k < a.terms.length; k++) {
        count = addTerm(moveNodes, moveWeights, count, a.terms[k][0], a.terms[k][1]);
      }
      for (let k = 0; k < b.terms.length; k++) {
        count = addTerm(moveNodes, moveWeights, count, b.terms[k][0], -b.terms[k][1]);
      }
      let norm = 0;
      for (let k = 0; k < count; k++) norm += moveWeights[k] * moveWeights[k];
      if (norm < 1e-6) continue;
      const step = (sign * Math.min(gap, 40)) / norm;
      for (let k = 0; k < count; k++) centers[moveNodes[k]].y += step * moveWeights[k];
      moved = true;
    }
    if (!moved) break;
  }
  let top = Number.POSITIVE_INFINITY;
  sizes.forEach((s, i) => {
    top = Math.min(top, centers[i].y - Math.max(s.height, readouts[i]?.height ?? 0) / 2);
  });
  for (const c of centers) c.y += 20 + LABEL_ABOVE - top;
}

/** Adds `weight` for `node` to the first `count` entries of a move; returns the new count. */
function addTerm(
  nodes: number[],
  weights: number[],
  count: number,
  node: number,
  weight: number,
): number {
  for (let k = 0; k < count; k++) {
    if (nodes[k] === node) {
      weights[k] += weight;
      return count;
    }
  }
  nodes[count] = node;
  weights[count] = weight;
  return count + 1;
}

/**
 * Each node's column if every gate sits one right of its furthest input and the inputs start
 * at 0: a guess at the columns dagre will choose.
 */
function longestPaths(nodes: readonly DocNode[], links: readonly IndexWire[]): Int32Array {
  const column = new Int32Array(nodes.length);
  const succs: number[][] = nodes.map(() => []);
  const indegree = new Int32Array(nodes.length);
  for (const w of links) {
    succs[w.from].push(w.to);
    indegree[w.to]++;
  }
  const queue: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (indegree[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    for (const t of succs[v]) {
      column[t] = Math.max(column[t], column[v] + 1);
      if (--indegree[t] === 0) queue.push(t);
    }
  }
  return column;
}

/** What the layered graph dagre builds says about one of its nodes. */
interface LayeredNode {
  readonly rank?: number;
  order?: number;
  readonly dummy?: string;
  readonly edgeObj?: { readonly v: string; readonly w: string; readonly name?: string };
}

/** The graph dagre hands to `customOrder`: its own nodes, wire segments and dummies. */
interface LayeredGraph {
  nodes(): string[];
  node(name: string): LayeredNode;
  inEdges(name: string): { v: string; w: string }[] | undefined;
  outEdges(name: string): { v: string; w: string }[] | undefined;
}

/**
 * The order of the nodes in each column, as the notes draw them (dagre keeps the order and
 * finds the coordinates). Inputs go down the left in the order they are declared; every
 * other column is sorted by where its wires come from (going right) and then by where they
 * go, port a above port b (going left), a few times each way; the order with the fewest
 * crossings wins, and among equals the first found. Ties keep program order, so the same
 * circuit always gets the same picture.
 */
function orderLayers(
  layered: LayeredGraph,
  nodes: readonly DocNode[],
  links: readonly IndexWire[],
): void {
  const names = layered.nodes();
  const real = (name: string) => (/^\d+$/.test(name) ? Number(name) : -1);
  // A wire's dummies (its bends and its labels' box) stand for the wire: program order of
  // its target, then of its source.
  const seq = new Map<string, number>();
  const fixed = new Map<string, number>();
  for (const name of names) {
    const i = real(name);
    const edge = layered.node(name).edgeObj;
    if (i >= 0) {
      seq.set(name, i);
      if (nodes[i].op === 'input') fixed.set(name, i);
    } else if (edge) {
      const w = real(edge.w);
      const v = real(edge.v);
      seq.set(name, (w >= 0 ? w : nodes.length) + Math.max(v, 0) / (nodes.length + 1));
      // The tie from the invisible start node to an input: in that input's place.
      if (edge.v === 'start' && w >= 0) fixed.set(name, w);
    } else {
      seq.set(name, -1);
    }
  }
  // Where on a node a wire ends: port a above port b (a fraction of a slot either side).
  const portShift = (edge: { v: string; w: string }): number => {
    const to = real(edge.w);
    if (to < 0) return 0;
    const from = layered.node(edge.v).edgeObj?.name;
    const link = from === undefined ? undefined : links[Number(from)];
    const count = getOp(nodes[to].op)?.ports.length ?? 0;
    if (!link || link.port < 0 || count < 2) return 0;
    return ((link.port + 1) / (count + 1) - 0.5) * 0.8;
  };
  const layers: string[][] = [];
  for (const name of names) {
    const rank = layered.node(name).rank ?? 0;
    const layer = layers[rank];
    if (layer) layer.push(name);
    else layers[rank] = [name];
  }
  const ranks = layers.map((layer) => layer ?? []);
  const position = new Map<string, number>();
  const place = (layer: string[]) => {
    layer.forEach((name, k) => {
      position.set(name, k);
    });
  };
  /** Sorts a layer by `key`, ties by the current order, then puts fixed nodes in their order. */
  const sortLayer = (layer: string[], key: (name: string) => number | undefined) => {
    const keys = new Map<string, number>();
    for (const name of layer) keys.set(name, key(name) ?? (position.get(name) as number));
    const sorted = [...layer].sort(
      (a, b) =>
        (keys.get(a) as number) - (keys.get(b) as number) ||
        (position.get(a) ?? 0) - (position.get(b) ?? 0),
    );
    const slots = sorted.flatMap((name, k) => (fixed.has(name) ? [k] : []));
    const pinned = sorted
      .filter((name) => fixed.has(name))
      .sort((a, b) => (fixed.get(a) as number) - (fixed.get(b) as number));
    slots.forEach((k, j) => {
      sorted[k] = pinned[j];
    });
    layer.splice(0, layer.length, ...sorted);
    place(layer);
  };
  const fromLeft = (name: string) => {
    const ins = layered.inEdges(name) ?? [];
    if (ins.length === 0) return undefined;
    let sum = 0;
    for (const e of ins) sum += position.get(e.v) as number;
    return sum / ins.length;
  };
  const fromRight = (name: string) => {
    const outs = layered.outEdges(name) ?? [];
    if (outs.length === 0) return undefined;
    let sum = 0;
    for (const e of outs) sum += (position.get(e.w) as number) + portShift(e);
    return sum / outs.length;
  };
  // First order: program order, then sorted by where the wires come from.
  for (const layer of ranks) {
    layer.sort((a, b) => (seq.get(a) as number) - (seq.get(b) as number));
    place(layer);
  }
  for (let r = 1; r < ranks.length; r++) sortLayer(ranks[r], fromLeft);
  const crossings = () => {
    let total = 0;
    for (let r = 0; r + 1 < ranks.length; r++) {
      const segments: [number, number][] = [];
      for (const name of ranks[r]) {
        for (const e of layered.outEdges(name) ?? []) {
          segments.push([
            position.get(e.v) as number,
            (position.get(e.w) as number) + portShift(e),
          ]);
        }
      }
      for (let i = 0; i < segments.length; i++) {
        for (let j = i + 1; j < segments.length; j++) {
          const [a0, a1] = segments[i];
          const [b0, b1] = segments[j];
          if ((a0 - b0) * (a1 - b1) < 0) total++;
        }
      }
    }
    return total;
  };
  let best = ranks.map((layer) => [...layer]);
  let fewest = crossings();
  for (let pass = 0; pass < 8 && fewest > 0; pass++) {
    if (pass % 2 === 0) for (let r = ranks.length - 2; r >= 0; r--) sortLayer(ranks[r], fromRight);
    else for (let r = 1; r < ranks.length; r++) sortLayer(ranks[r], fromLeft);
    const count = crossings();
    if (count < fewest) {
      fewest = count;
      best = ranks.map((layer) => [...layer]);
    }
  }
  for (const layer of best) {
    layer.forEach((name, k) => {
      layered.node(name).order = k;
    });
  }
}

/** How far from the origin a laid-out node may start: inside the position limit, with room. */
const REACH = LIMITS.position - 1_000;

/**
 * A free spot for a new node: in a column right of everything, below whatever was already
 * added to that column; inside the position limit.
 */
export function freeSpot(
  nodes: readonly DocNode[],
  positions: ReadonlyMap<string, Position>,
  values: ReadonlyMap<string, Tensor> = new Map(),
): Position {
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  for (const n of nodes) {
    const p = positions.get(n.id);
    if (!p) continue;
    maxX = Math.max(maxX, p.x + nodeSize(n.op, values.get(n.id)).width);
    minY = Math.min(minY, p.y);
  }
  if (!Number.isFinite(maxX)) return { x: 40, y: 40 };
  return clampPosition({ x: Math.round(maxX + 80), y: Math.round(minY) });
}

/** A position moved inside the position limit (a non-finite coordinate becomes 0). */
export function clampPosition(p: Position): Position {
  const clamp = (v: number) => (Number.isFinite(v) ? Math.max(-REACH, Math.min(REACH, v)) : 0);
  const x = clamp(p.x);
  const y = clamp(p.y);
  return x === p.x && y === p.y ? p : { x, y };
}

/** Whether a position is one the store may hold: finite and inside the position limit. */
export function positionFits(p: Position): boolean {
  return (
    Number.isFinite(p.x) &&
    Number.isFinite(p.y) &&
    Math.abs(p.x) <= LIMITS.position &&
    Math.abs(p.y) <= LIMITS.position
  );
}

/**
 * A fast layered layout for large circuits: each gate's column is its longest path from an
 * input (inputs and constants sit just left of the first gate they feed), rows are ordered by
 * a few barycenter sweeps, and columns are centred on each other. Linear in nodes + wires per
 * sweep. A circuit wider than the position limit allows is folded into bands of columns, one
 * below the other.
 */
function quickLayers(
  nodes: readonly DocNode[],
  links: readonly IndexWire[],
  sizes: readonly Size[],
): Position[] {
  const n = nodes.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  const succs: number[][] = Array.from({ length: n }, () => []);
  const indegree = new Int32Array(n);
  for (const w of links) {
    preds[w.to].push(w.from);
    succs[w.from].push(w.to);
    indegree[w.to]++;
  }
  // Longest path from the sources, in topological order (Kahn); nodes on a cycle keep rank 0.
  const rank = new Int32Array(n);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    for (const w of succs[v]) {
      rank[w] = Math.max(rank[w], rank[v] + 1);
      if (--indegree[w] === 0) queue.push(w);
    }
  }
  // Inputs and constants sit just left of their first consumer, not all in column 0: in a deep
  // circuit that keeps every wire from an input short. (A loop, not a spread: a value may feed
  // tens of thousands of gates.)
  for (let i = 0; i < n; i++) {
    if ((nodes[i].op === 'const' || nodes[i].op === 'input') && succs[i].length > 0) {
      let first = Number.POSITIVE_INFINITY;
      for (const s of succs[i]) first = Math.min(first, rank[s]);
      rank[i] = Math.max(0, first - 1);
    }
  }
  const layers: number[][] = [];
  for (let i = 0; i < n; i++) {
    const layer = layers[rank[i]] ?? [];
    layer.push(i);
    layers[rank[i]] = layer;
  }
  const order = new Float64Array(n);
  for (const layer of layers) {
    layer?.forEach((v, k) => {
      order[v] = k;
    });
  }
  const sweep = (layer: number[], neighbours: number[][]) => {
    const key = new Float64Array(layer.length);
    layer.forEach((v, k) => {
      const ns = neighbours[v];
      let sum = 0;
      for (const u of ns) sum += order[u];
      key[k] = ns.length ? sum / ns.length : order[v];
    });
    const byKey = layer.map((_, k) => k).sort((a, b) => key[a] - key[b]);
    const sorted = byKey.map((k) => layer[k]);
    sorted.forEach((v, k) => {
      layer[k] = v;
      order[v] = k;
    });
  };
  for (let pass = 0; pass < 4; pass++) {
    for (let r = 1; r < layers.length; r++) if (layers[r]) sweep(layers[r], preds);
    for (let r = layers.length - 2; r >= 0; r--) if (layers[r]) sweep(layers[r], succs);
  }

  // Columns left to right; a column that would start past the reach starts a new band.
  const present = layers.filter((layer): layer is number[] => layer !== undefined);
  const heights = present.map((layer) => {
    let h = -NODE_GAP;
    for (const v of layer) h += sizes[v].height + NODE_GAP;
    return h;
  });
  const widths = present.map((layer) => {
    let w = 0;
    for (const v of layer) w = Math.max(w, sizes[v].width);
    return w;
  });
  const bands: { first: number; end: number; height: number }[] = [];
  const columnX = new Float64Array(present.length);
  let x = 20;
  for (let r = 0; r < present.length; r++) {
    const band = bands[bands.length - 1];
    if (!band || (x + widths[r] > 2 * REACH && r > band.first)) {
      bands.push({ first: r, end: r + 1, height: heights[r] });
      x = 20;
    } else {
      band.end = r + 1;
      band.height = Math.max(band.height, heights[r]);
    }
    columnX[r] = x;
    x += widths[r] + RANK_GAP;
  }
  const corners: Position[] = new Array(n);
  let bandTop = 20;
  let right = 0;
  for (const band of bands) {
    for (let r = band.first; r < band.end; r++) {
      let y = bandTop + (band.height - heights[r]) / 2;
      for (const v of present[r]) {
        const s = sizes[v];
        corners[v] = { x: Math.round(columnX[r] + (widths[r] - s.width) / 2), y: Math.round(y) };
        y += s.height + NODE_GAP;
      }
      right = Math.max(right, columnX[r] + widths[r]);
    }
    bandTop += band.height + 4 * RANK_GAP;
  }
  // Past the reach on the positive side (only a very large circuit): centre it on the origin,
  // which doubles the room.
  const shiftX = right > REACH ? -Math.round(right / 2) : 0;
  const shiftY = bandTop > REACH ? -Math.round(bandTop / 2) : 0;
  if (shiftX !== 0 || shiftY !== 0) {
    for (let v = 0; v < n; v++) {
      corners[v] = { x: corners[v].x + shiftX, y: corners[v].y + shiftY };
    }
  }
  return corners;
}
