import dagre from '@dagrejs/dagre';
import { getOp, type Position, type Tensor } from '../engine';
import { LIMITS } from '../engine/limits';
import type { DocNode } from './document';

/** Every node has a fixed size, so React Flow can draw it before measuring it. */
const NODE_GAP = 26;
const RANK_GAP = 84;
/**
 * Room between ranks when dagre lays out: dagre halves it and puts the wires' label boxes in
 * a rank of their own between, so a node and the labels beside it are half this far apart.
 */
const LABEL_RANK_GAP = 24;
/**
 * Room between nodes of one rank when dagre lays out. Wires carry their labels at their
 * middles: two wires fanning out of one value to two gates of a column have their middles
 * half as far apart as the gates, so the gates' centres must be two label boxes apart
 * (52 + 68 = 120 = 2 × 60); two wires converging on one gate likewise.
 */
const LABEL_NODE_GAP = 68;
/**
 * The box a wire's two labels take: the value above the wire and the gradient below it, each
 * a line of 16 px monospace text (about 9.6 px a character, 19 px a line, with a 2 px halo),
 * as wide as ten characters ("−0.001596", "+7.209e−5") and a little more.
 */
export const WIRE_LABEL_BOX = { width: 92, height: 60 } as const;
/**
 * Dagre's crossing reduction grows fast with size: with a label box on every wire, a chain of
 * 30 gates (60 nodes) takes about 0.8 s here and one of 60 gates 2.4 s. Above this many nodes
 * a linear-time layered layout takes over, so typing a program never stalls for long.
 */
const DAGRE_LIMIT = 80;

export const NODE_SIZE = {
  input: { width: 128, height: 68 },
  const: { width: 48, height: 34 },
  gate: { width: 68, height: 52 },
} as const;

/** A matrix input shows its value and its gradient as two small grids side by side. */
export const MATRIX_INPUT_SIZE = { width: 236, height: 96 } as const;

export function nodeSize(op: string, value?: Tensor): { width: number; height: number } {
  if (op === 'input') return value && value.shape.length > 0 ? MATRIX_INPUT_SIZE : NODE_SIZE.input;
  if (op === 'const') return NODE_SIZE.const;
  return NODE_SIZE.gate;
}

type LayoutWire = { readonly from: string; readonly to: string; readonly port?: string };

/** One wire between node indices: into port number `port` (-1: not a port of the target). */
interface IndexWire {
  readonly from: number;
  readonly to: number;
  readonly port: number;
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
    links.push({ from, to, port: w.port === undefined ? -1 : ports.indexOf(w.port) });
  }
  const corners =
    nodes.length > DAGRE_LIMIT
      ? quickLayers(nodes, links, sizes)
      : dagreLayout(nodes, links, sizes);
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
): Position[] {
  // A multigraph: one value may feed two ports of one gate (x * x), and each wire has labels.
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({
    rankdir: 'LR',
    nodesep: LABEL_NODE_GAP,
    edgesep: NODE_GAP,
    ranksep: LABEL_RANK_GAP,
    marginx: 20,
    marginy: 20,
  });
  sizes.forEach(({ width, height }, i) => {
    g.setNode(String(i), { width, height });
  });
  // Every wire reserves a box for its labels, centred on the wire (labelpos 'c').
  links.forEach((w, k) => {
    g.setEdge(
      String(w.from),
      String(w.to),
      { width: WIRE_LABEL_BOX.width, height: WIRE_LABEL_BOX.height, labelpos: 'c' },
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
  dagre.layout(g);
  const centers: Point[] = sizes.map((_, i) => {
    const placed = g.node(String(i));
    return { x: placed.x, y: placed.y };
  });
  orderByPorts(nodes, links, centers, sizes);
  return centers.map((c, i) => ({
    x: Math.round(c.x - sizes[i].width / 2),
    y: Math.round(c.y - sizes[i].height / 2),
  }));
}

/**
 * Dagre does not know that port a sits above port b, so wires into a gate can cross. Going
 * from the output side to the input side, re-stack each column so that every node sits in
 * the order of the ports it feeds (the average height of the ports it feeds decides).
 */
function orderByPorts(
  nodes: readonly DocNode[],
  links: readonly IndexWire[],
  centers: Point[],
  sizes: readonly Size[],
): void {
  const feeds: IndexWire[][] = nodes.map(() => []);
  for (const w of links) feeds[w.from].push(w);
  const columns = new Map<number, number[]>();
  centers.forEach((c, i) => {
    const x = Math.round(c.x);
    const column = columns.get(x);
    if (column) column.push(i);
    else columns.set(x, [i]);
  });
  const xs = [...columns.keys()].sort((a, b) => b - a);
  for (const x of xs) {
    const column = columns.get(x) as number[];
    if (column.length < 2) continue;
    const key = new Map<number, number>();
    for (const v of column) {
      let sum = 0;
      let count = 0;
      for (const w of feeds[v]) {
        const portCount = getOp(nodes[w.to].op)?.ports.length ?? 0;
        const height = sizes[w.to].height;
        const port = Math.max(0, w.port);
        sum += centers[w.to].y - height / 2 + ((port + 1) / (portCount + 1)) * height;
        count++;
      }
      key.set(v, count > 0 ? sum / count : centers[v].y);
    }
    // The nodes trade places: the slots dagre made (with the room it left between them for
    // labels) stay, and the nodes fill them in port order; a taller node pushes the rest down.
    const slots = column.map((v) => centers[v].y).sort((a, b) => a - b);
    const sorted = [...column].sort((a, b) => (key.get(a) as number) - (key.get(b) as number));
    let bottom = Number.NEGATIVE_INFINITY;
    sorted.forEach((v, k) => {
      const h = sizes[v].height;
      const y = Math.max(slots[k], bottom + NODE_GAP + h / 2);
      centers[v].y = y;
      bottom = y + h / 2;
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
