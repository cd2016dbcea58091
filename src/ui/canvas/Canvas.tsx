import {
  Background,
  type Connection,
  Controls,
  type EdgeChange,
  MiniMap,
  type NodeChange,
  ReactFlow,
  useReactFlow,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { getOp, type Position } from '../../engine';
import { wireKey } from '../../store/document';
import { MATRIX_INPUT_SIZE, nodeSize } from '../../store/layout';
import { PALETTE_MIME } from '../Palette';
import { useApp, useAppStore } from '../StoreContext';
import { ConstNode } from './ConstNode';
import { GateNode } from './GateNode';
import { InputNode } from './InputNode';
import { placeLabels } from './labels';
import { WireEdge } from './WireEdge';

// Module scope: React Flow re-mounts every node when these objects change identity.
const nodeTypes = { gate: GateNode, inputNode: InputNode, constNode: ConstNode };
const edgeTypes = { wire: WireEdge };
// The right padding leaves room for the output's value and gradient, drawn beside it.
export const FIT_OPTIONS = {
  padding: { top: '48px', bottom: '40px', left: '40px', right: '150px' },
  includeHiddenNodes: true,
  maxZoom: 1.6,
} as const;
/** Above this many nodes, only what is on screen is in the DOM. */
const VIRTUALIZE_ABOVE = 300;

export function Canvas({
  colorMode,
  readOnly = false,
}: {
  colorMode: 'light' | 'dark';
  readOnly?: boolean;
}) {
  const store = useAppStore();
  const {
    nodes: docNodes,
    positions,
    wires,
  } = useApp(
    useShallow((s) => ({ nodes: s.doc.nodes, positions: s.doc.positions, wires: s.doc.wires })),
  );
  // Matrix inputs are drawn larger. A string keeps this stable while values are scrubbed.
  const matrixInputs = useApp((s) =>
    s.doc.nodes
      .filter((n) => n.op === 'input' && (s.doc.values.get(n.id)?.shape.length ?? 0) > 0)
      .map((n) => n.id)
      .join('\n'),
  );
  const dragPositions = useApp((s) => s.dragPositions);
  const selectedNodes = useApp((s) => s.selectedNodes);
  const selectedWires = useApp((s) => s.selectedWires);
  const fitRequest = useApp((s) => s.fitRequest);
  const { fitView, screenToFlowPosition } = useReactFlow();

  const nodes = useMemo(() => {
    const chosen = new Set(selectedNodes);
    const matrices = new Set(matrixInputs.split('\n'));
    return docNodes.map((node) => {
      const size = matrices.has(node.id) ? MATRIX_INPUT_SIZE : nodeSize(node.op);
      const type = node.op === 'input' ? 'inputNode' : node.op === 'const' ? 'constNode' : 'gate';
      return {
        id: node.id,
        type,
        position: dragPositions?.get(node.id) ?? positions.get(node.id) ?? { x: 0, y: 0 },
        data: node.label === undefined ? { op: node.op } : { op: node.op, label: node.label },
        width: size.width,
        height: size.height,
        selected: chosen.has(node.id),
        ariaLabel: describeNode(node.op, node.label ?? node.id),
      };
    });
  }, [docNodes, positions, dragPositions, selectedNodes, matrixInputs]);

  // Where labels sit along their wires; settled positions only (not recomputed mid-drag).
  const labelAt = useMemo(() => {
    const matrices = new Set(matrixInputs.split('\n'));
    const box = new Map(
      docNodes.map((n) => [
        n.id as string,
        {
          op: n.op,
          at: positions.get(n.id) ?? { x: 0, y: 0 },
          size: matrices.has(n.id) ? MATRIX_INPUT_SIZE : nodeSize(n.op),
        },
      ]),
    );
    const ends = [];
    for (const w of wires) {
      const from = box.get(w.from);
      const to = box.get(w.to);
      if (!from || !to) continue;
      const ports = getOp(to.op)?.ports ?? [];
      const index = Math.max(0, ports.indexOf(w.port));
      ends.push({
        id: wireKey(w),
        sx: from.at.x + from.size.width,
        sy: from.at.y + from.size.height / 2,
        tx: to.at.x,
        ty: to.at.y + (to.size.height * (index + 1)) / (ports.length + 1),
      });
    }
    const obstacles = [...box.values()].map((b) => ({ ...b.at, ...b.size }));
    return placeLabels(ends, obstacles);
  }, [docNodes, positions, wires, matrixInputs]);

  const edges = useMemo(() => {
    const chosen = new Set(selectedWires);
    return wires.map((w) => {
      const id = wireKey(w);
      const t = labelAt.get(id);
      return {
        id,
        source: w.from,
        target: w.to,
        sourceHandle: 'out',
        targetHandle: w.port,
        type: 'wire',
        selected: chosen.has(id),
        ariaLabel: `wire from ${w.from} to port ${w.port} of ${w.to}`,
        ...(t === undefined ? {} : { data: { labelAt: t } }),
      };
    });
  }, [wires, selectedWires, labelAt]);

  useEffect(() => {
    if (fitRequest > 0) {
      // Wait a frame so React Flow has the new nodes before fitting them.
      const handle = requestAnimationFrame(() => void fitView(FIT_OPTIONS));
      return () => cancelAnimationFrame(handle);
    }
    return undefined;
  }, [fitRequest, fitView]);

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      const state = store.getState();
      let dragging: Map<string, Position> | null = null;
      let dropped: Map<string, Position> | null = null;
      let selection: Set<string> | null = null;
      for (const change of changes) {
        if (change.type === 'position' && change.position) {
          const p = { x: Math.round(change.position.x), y: Math.round(change.position.y) };
          if (change.dragging) {
            dragging ??= new Map();
            dragging.set(change.id, p);
          } else {
            dropped ??= new Map();
            dropped.set(change.id, p);
          }
        } else if (change.type === 'position' && !change.dragging && state.dragPositions) {
          dropped ??= new Map();
        } else if (change.type === 'select') {
          selection ??= new Set(state.selectedNodes);
          if (change.selected) selection.add(change.id);
          else selection.delete(change.id);
        }
      }
      if (dragging) state.setDragPositions(merged(state.dragPositions, dragging));
      if (dropped) state.moveNodes(merged(state.dragPositions, dropped));
      if (selection) state.select([...selection], state.selectedWires);
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const state = store.getState();
      let selection: Set<string> | null = null;
      for (const change of changes) {
        if (change.type === 'select') {
          selection ??= new Set(state.selectedWires);
          if (change.selected) selection.add(change.id);
          else selection.delete(change.id);
        }
      }
      if (selection) state.select(state.selectedNodes, [...selection]);
    },
    [store],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (c.source && c.target && c.targetHandle) {
        store.getState().connect(c.source, c.target, c.targetHandle);
      }
    },
    [store],
  );

  const onDragOver = useCallback((event: React.DragEvent) => {
    if (event.dataTransfer.types.includes(PALETTE_MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (event: React.DragEvent) => {
      const op = event.dataTransfer.getData(PALETTE_MIME);
      if (!op) return;
      event.preventDefault();
      const size = nodeSize(op);
      const at = screenToFlowPosition({ x: event.clientX, y: event.clientY });
      store.getState().addNode(op, {
        x: Math.round(at.x - size.width / 2),
        y: Math.round(at.y - size.height / 2),
      });
    },
    [store, screenToFlowPosition],
  );

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onConnect={onConnect}
      onNodeDragStart={() => store.getState().beginGesture()}
      onNodeDragStop={() => store.getState().endGesture()}
      nodesDraggable={!readOnly}
      nodesConnectable={!readOnly}
      elementsSelectable={!readOnly}
      onDragOver={onDragOver}
      onDrop={onDrop}
      colorMode={colorMode}
      deleteKeyCode={null}
      panActivationKeyCode={null}
      fitView
      fitViewOptions={FIT_OPTIONS}
      minZoom={0.1}
      maxZoom={3}
      onlyRenderVisibleElements={docNodes.length > VIRTUALIZE_ABOVE}
      aria-label="Circuit canvas"
    >
      <Background gap={24} />
      <Controls showInteractive={false} />
      {docNodes.length > 30 && <MiniMap pannable zoomable ariaLabel="Minimap" />}
    </ReactFlow>
  );
}

/** The positions of `base` with those of `over` on top, as a new map. */
function merged(
  base: ReadonlyMap<string, Position> | null,
  over: ReadonlyMap<string, Position>,
): Map<string, Position> {
  const out = new Map(base ?? []);
  for (const [id, p] of over) out.set(id, p);
  return out;
}

function describeNode(op: string, name: string): string {
  if (op === 'input') return `input ${name}`;
  if (op === 'const') return `constant ${name}`;
  return `${op} gate ${name}`;
}
