import dagre from '@dagrejs/dagre';
import { getOp, type Position, type Tensor } from '../engine';
import type { DocNode } from './document';

/** Every node has a fixed size, so React Flow can draw it before measuring it. */
const NODE_GAP = 26;
const RANK_GAP = 84;
/**
 * Dagre's crossing reduction grows fast with size (6 s for 1,000 gates here); above this many
 * nodes a linear-time layered layout takes over.
 */
const DAGRE_LIMIT = 150;

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

/**
 * Left-to-right layered layout: inputs on the left, the output on the right, room between
 * layers for the value and gradient written on each wire. Returns top-left positions.
 */
export function layoutCircuit(
  nodes: readonly DocNode[],
  wires: readonly { readonly from: string; readonly to: string; readonly port?: string }[],
  values: Readonly<Record<string, Tensor>> = {},
): Record<string, Position> {
  const size = (n: DocNode) => nodeSize(n.op, values[n.id]);
  if (nodes.length > DAGRE_LIMIT) return quickLayers(nodes, wires, size);
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: NODE_GAP, ranksep: RANK_GAP, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    const { width, height } = size(node);
    g.setNode(node.id, { width, height });
  }
  for (const w of wires) g.setEdge(w.from, w.to);
  dagre.layout(g);
  const centers = new Map<string, { x: number; y: number }>();
  for (const node of nodes) {
    const placed = g.node(node.id);
    centers.set(node.id, { x: placed.x, y: placed.y });
  }
  orderByPorts(nodes, wires, centers, values);
  const positions: Record<string, Position> = {};
  for (const node of nodes) {
    const c = centers.get(node.id) as { x: number; y: number };
    const { width, height } = size(node);
    positions[node.id] = { x: Math.round(c.x - width / 2), y: Math.round(c.y - height / 2) };
  }
  return positions;
}

/**
 * Dagre does not know that port a sits above port b, so wires into a gate can cross. Going
 * from the output side to the input side, re-stack each column so that every node sits in
 * the order of the ports it feeds (the average height of the ports it feeds decides).
 */
function orderByPorts(
  nodes: readonly DocNode[],
  wires: readonly { readonly from: string; readonly to: string; readonly port?: string }[],
  centers: Map<string, { x: number; y: number }>,
  values: Readonly<Record<string, Tensor>>,
): void {
  const opOf = new Map(nodes.map((n) => [n.id as string, n.op]));
  const heightOf = (id: string) => nodeSize(opOf.get(id) ?? '', values[id]).height;
  const columns = new Map<number, string[]>();
  for (const node of nodes) {
    const x = Math.round((centers.get(node.id) as { x: number }).x);
    const column = columns.get(x);
    if (column) column.push(node.id);
    else columns.set(x, [node.id]);
  }
  const xs = [...columns.keys()].sort((a, b) => b - a);
  for (const x of xs) {
    const column = columns.get(x) as string[];
    if (column.length < 2) continue;
    const key = new Map<string, number>();
    for (const id of column) {
      let sum = 0;
      let count = 0;
      for (const w of wires) {
        if (w.from !== id) continue;
        const target = centers.get(w.to);
        const op = opOf.get(w.to);
        if (!target || !op) continue;
        const ports = getOp(op)?.ports ?? [];
        const index = Math.max(0, ports.indexOf(w.port as never));
        const height = heightOf(w.to);
        sum += target.y - height / 2 + ((index + 1) / (ports.length + 1)) * height;
        count++;
      }
      key.set(id, count > 0 ? sum / count : (centers.get(id) as { y: number }).y);
    }
    const byY = [...column].sort(
      (a, b) => (centers.get(a) as { y: number }).y - (centers.get(b) as { y: number }).y,
    );
    const top = (centers.get(byY[0]) as { y: number }).y - heightOf(byY[0]) / 2;
    const sorted = [...column].sort((a, b) => (key.get(a) as number) - (key.get(b) as number));
    let y = top;
    for (const id of sorted) {
      const h = heightOf(id);
      (centers.get(id) as { y: number }).y = y + h / 2;
      y += h + NODE_GAP;
    }
  }
}

/**
 * A free spot for a new node: in a column right of everything, below whatever was already
 * added to that column.
 */
export function freeSpot(
  nodes: readonly DocNode[],
  positions: Readonly<Record<string, Position>>,
  values: Readonly<Record<string, Tensor>> = {},
): Position {
  let maxX = -Infinity;
  let minY = Infinity;
  for (const n of nodes) {
    const p = positions[n.id];
    if (!p) continue;
    maxX = Math.max(maxX, p.x + nodeSize(n.op, values[n.id]).width);
    minY = Math.min(minY, p.y);
  }
  if (!Number.isFinite(maxX)) return { x: 40, y: 40 };
  return { x: Math.round(maxX + 80), y: Math.round(minY) };
}

/**
 * A fast layered layout for large circuits: each gate's column is its longest path from an
 * input (inputs and constants sit just left of the first gate they feed), rows are ordered by a few barycenter
 * sweeps, and columns are centred on each other. Linear in nodes + wires per sweep.
 */
function quickLayers(
  nodes: readonly DocNode[],
  wires: readonly { readonly from: string; readonly to: string }[],
  size: (n: DocNode) => { width: number; height: number },
): Record<string, Position> {
  const index = new Map<string, number>();
  nodes.forEach((node, i) => {
    index.set(node.id, i);
  });
  const n = nodes.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  const succs: number[][] = Array.from({ length: n }, () => []);
  const indegree = new Int32Array(n);
  for (const w of wires) {
    const a = index.get(w.from);
    const b = index.get(w.to);
    if (a === undefined || b === undefined) continue;
    preds[b].push(a);
    succs[a].push(b);
    indegree[b]++;
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
  // circuit that keeps every wire from an input short.
  for (let i = 0; i < n; i++) {
    if ((nodes[i].op === 'const' || nodes[i].op === 'input') && succs[i].length > 0) {
      rank[i] = Math.max(0, Math.min(...succs[i].map((s) => rank[s])) - 1);
    }
  }
  const layers: number[][] = [];
  for (let i = 0; i < n; i++) {
    const layer = layers[rank[i]] ?? [];
    layer.push(i);
    layers[rank[i]] = layer;
  }
  const order = new Float64Array(n);
  const renumber = () => {
    for (const layer of layers) {
      layer?.forEach((v, k) => {
        order[v] = k;
      });
    }
  };
  renumber();
  const sweep = (layer: number[], neighbours: number[][]) => {
    const key = new Map<number, number>();
    for (const v of layer) {
      const ns = neighbours[v];
      key.set(v, ns.length ? ns.reduce((sum, u) => sum + order[u], 0) / ns.length : order[v]);
    }
    layer.sort((a, b) => (key.get(a) as number) - (key.get(b) as number));
    layer.forEach((v, k) => {
      order[v] = k;
    });
  };
  for (let pass = 0; pass < 4; pass++) {
    for (let r = 1; r < layers.length; r++) if (layers[r]) sweep(layers[r], preds);
    for (let r = layers.length - 2; r >= 0; r--) if (layers[r]) sweep(layers[r], succs);
  }
  const positions: Record<string, Position> = {};
  let x = 20;
  const heights = layers.map((layer) =>
    (layer ?? []).reduce((h, v) => h + size(nodes[v]).height + NODE_GAP, -NODE_GAP),
  );
  const tallest = Math.max(0, ...heights);
  layers.forEach((layer, r) => {
    if (!layer) return;
    const width = Math.max(...layer.map((v) => size(nodes[v]).width));
    let y = 20 + (tallest - heights[r]) / 2;
    for (const v of layer) {
      const s = size(nodes[v]);
      positions[nodes[v].id] = { x: Math.round(x + (width - s.width) / 2), y: Math.round(y) };
      y += s.height + NODE_GAP;
    }
    x += width + RANK_GAP;
  });
  return positions;
}
