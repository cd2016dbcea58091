/**
 * The baseline for `npm run bench:ui`: a minimal React Flow 12 page with N default nodes and
 * edges, nothing else. The bench injects the app's own layout of the circuit as
 * `window.__BENCH_GRAPH__` (same ids, same positions); opened by hand, `#n=500` makes a
 * generated graph. The "Value of x" field relabels every node, the plain-page counterpart of
 * an input edit that changes every value on the canvas.
 */
import {
  type Edge,
  type Node,
  Panel,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { createRoot } from 'react-dom/client';

type Graph = { nodes: [string, number, number][]; edges: [string, string][] };

declare global {
  interface Window {
    __BENCH_GRAPH__?: Graph;
  }
}

function generated(n: number): Graph {
  const nodes: Graph['nodes'] = [];
  const edges: Graph['edges'] = [];
  const rows = Math.max(1, Math.round(Math.sqrt(n / 2)));
  for (let i = 0; i < n; i++) {
    nodes.push([`n${i}`, Math.floor(i / rows) * 200, (i % rows) * 80]);
    if (i > 0) edges.push([`n${i - 1}`, `n${i}`]);
  }
  return { nodes, edges };
}

const n = Number(new URLSearchParams(window.location.hash.slice(1)).get('n')) || 200;
const graph = window.__BENCH_GRAPH__ ?? generated(n);
const initialNodes: Node[] = graph.nodes.map(([id, x, y]) => ({
  id,
  position: { x, y },
  data: { label: id },
}));
const initialEdges: Edge[] = graph.edges.map(([source, target], i) => ({
  id: `e${i}`,
  source,
  target,
}));

/** What node `i` (0-based) reads after the field is set to `x`; bench/ui.ts mirrors this. */
function plainLabel(id: string, i: number, x: number): string {
  return `${id} ${(x * (i + 1)).toFixed(3)}`;
}

function ValueField() {
  const { setNodes } = useReactFlow();
  return (
    <Panel position="top-left">
      <input
        aria-label="Value of x"
        defaultValue="0"
        onChange={(e) => {
          const x = Number(e.target.value);
          if (Number.isNaN(x)) return;
          setNodes((nodes) =>
            nodes.map((node, i) => ({ ...node, data: { label: plainLabel(node.id, i, x) } })),
          );
        }}
      />
    </Panel>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <ReactFlowProvider>
    <ReactFlow defaultNodes={initialNodes} defaultEdges={initialEdges} fitView minZoom={0.1}>
      <ValueField />
    </ReactFlow>
  </ReactFlowProvider>,
);
