import {
  Background,
  type Connection,
  ControlButton,
  Controls,
  type Edge,
  type EdgeChange,
  getBezierPath,
  MiniMap,
  type Node,
  type NodeChange,
  type NodeHandle,
  Panel,
  ReactFlow,
  type ReactFlowState,
  Position as Side,
  useReactFlow,
  useStore,
  useStoreApi,
  ViewportPortal,
} from '@xyflow/react';
import { type CSSProperties, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { type GateDef, type Position, resolveOp } from '../../engine';
import { wireKey } from '../../store/document';
import { nodeSize } from '../../store/layout';
import type { AppState } from '../../store/store';
import type { CommandContext } from '../commands';
import { prefersReducedMotion } from '../motion';
import { PALETTE_MIME, readPaletteData } from '../Palette';
import { useApp, useAppStore } from '../StoreContext';
import { ContextMenu, type MenuAt } from './ContextMenu';
import { OpenedFrames } from './OpenedFrames';
import './canvas.css';
import { ConstNode } from './ConstNode';
import { FIT_MIN_ZOOM, nodeRect, useFitCircuit } from './fit';
import { GateNode } from './GateNode';
import { InputNode } from './InputNode';
import { placeLabels, wirePoint } from './labels';
import { LABEL_MIN_ZOOM, WireEdge } from './WireEdge';

/**
 * The minimap helps from a few dozen gates on. It draws every node, visible or not, so past a
 * few thousand it would cost more than the canvas itself (about a second at 10,000 nodes).
 */
const MINIMAP_FROM = 30;
const MINIMAP_UP_TO = 3_000;

// Module scope: React Flow re-mounts every node when these objects change identity.
const nodeTypes = { gate: GateNode, inputNode: InputNode, constNode: ConstNode };
const edgeTypes = { wire: WireEdge };
// The padding keeps the circuit clear of the canvas's panels: the legend (top left, 34 px
// down), the zoom controls (bottom left, 42 px in). The output's value and gradient, drawn
// to the right of it, are part of the box being fitted (fit.ts), so the right needs little.
export const FIT_OPTIONS = {
  padding: { top: '44px', bottom: '14px', left: '50px', right: '20px' },
  includeHiddenNodes: true,
  maxZoom: 1.6,
} as const;
/** Above this many nodes, only what is on screen is in the DOM. */
const VIRTUALIZE_ABOVE = 300;
/** A port is a 12 px square centred on the node's border (styles.css, `.react-flow__handle.port`). */
const PORT = 12;
/** The node's border: 2 px, 3 px round the output gate (styles.css, `.gate--output`). */
const BORDER = 2;
const OUTPUT_BORDER = 3;

const handleCache = new Map<string, NodeHandle[]>();
const ORIGIN: Position = { x: 0, y: 0 };

type CanvasNode = Node<{ op: string; label?: string }> & {
  width: number;
  height: number;
  handles: NodeHandle[];
  selected: boolean;
  position: Position;
};
type CanvasEdge = Edge<{ labelAt?: number }> & { targetHandle: string; selected: boolean };

/**
 * Where a node's ports are, as the stylesheet draws them. Given these (and the node's size),
 * React Flow can draw wires and leave off-screen nodes out of the DOM without first rendering
 * and measuring every node, which for a large circuit took seconds each time the nodes changed.
 * Nodes on screen are still measured, so a small mismatch would only last until then.
 */
/**
 * The handles of a node: one per wired input port (a port holding a literal has none, so no
 * wire can be dropped there), spread evenly down the left side, and the output on the right.
 * `literals` lists the ports that hold literals, comma-separated.
 */
function handlesOf(
  op: string,
  size: { width: number; height: number },
  border: number,
  literals = '',
  gates?: readonly GateDef[],
) {
  const all = op === 'input' || op === 'const' ? [] : (resolveOp(op, gates)?.ports ?? []);
  const key = `${op}(${all.join(',')}) ${size.width} ${size.height} ${border} ${literals}`;
  const cached = handleCache.get(key);
  if (cached) return cached;
  const taken = new Set(literals.split(','));
  const ports = all.filter((port) => !taken.has(port));
  const inner = size.height - 2 * border;
  const handles: NodeHandle[] = ports.map((port, i) => ({
    id: port,
    type: 'target',
    position: Side.Left,
    x: border - PORT / 2,
    y: border + (inner * (i + 1)) / (ports.length + 1) - PORT / 2,
    width: PORT,
    height: PORT,
  }));
  handles.push({
    id: 'out',
    type: 'source',
    position: Side.Right,
    x: size.width - border - PORT / 2,
    y: size.height / 2 - PORT / 2,
    width: PORT,
    height: PORT,
  });
  handleCache.set(key, handles);
  return handles;
}

/** A node as placed on the canvas: where, how large, and its ports. */
interface Placed {
  readonly at: Position;
  readonly size: { readonly width: number; readonly height: number };
  readonly handles: readonly NodeHandle[];
}

/** Where a wire leaves its source and enters its target, as React Flow places the ends. */
function wireEnds(from: Placed, to: Placed, port: string) {
  const out = from.handles.find((h) => h.type === 'source');
  const into = to.handles.find((h) => h.type === 'target' && h.id === port);
  return {
    sx: from.at.x + (out ? out.x + (out.width ?? 0) : from.size.width),
    sy: from.at.y + (out ? out.y + (out.height ?? 0) / 2 : from.size.height / 2),
    tx: to.at.x + (into ? into.x : 0),
    ty: to.at.y + (into ? into.y + (into.height ?? 0) / 2 : to.size.height / 2),
  };
}

/*
 * Wires of a value read by many gates. With only what is on screen in the DOM, React Flow
 * still draws every wire whose two ends lie on either side of the screen, and a value read by
 * 10,000 gates along a row sends thousands of wires across it: each one a React component and
 * a few SVG elements, inserted one by one. Instead, those of its wires that only pass across
 * the area around the screen (neither end, nor their labels when labels are drawn, is in it)
 * are drawn together as one path that looks the same; the others, and any wire that is
 * selected or in the current playback step, stay ordinary wires.
 */
const BUNDLE_FAN_OUT = 32;
/** Keys that add a clicked gate to the selection. */
const MULTI_SELECT = ['Shift', 'Meta', 'Control'];

const PASSING_STYLE: CSSProperties = {
  position: 'absolute',
  left: 0,
  top: 0,
  width: 1,
  height: 1,
  overflow: 'visible',
  pointerEvents: 'none',
  zIndex: -1,
};

/** The area around the screen, in canvas units; `labels`: whether wire labels may be drawn. */
interface Region {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  readonly labels: boolean;
}

/**
 * Three by three screen-sized tiles around the middle of the screen, as text, so the canvas
 * recomputes which wires pass across only when the view moves by a tile or zooms by more than
 * a quarter-octave, not on every frame of a pan.
 */
function regionAround(transform: readonly number[], width: number, height: number): string {
  const [tx, ty, zoom] = transform;
  if (!(width > 0 && height > 0 && zoom > 0)) return '';
  const z = 2 ** (Math.round(Math.log2(zoom) * 2) / 2);
  const tileW = width / z;
  const tileH = height / z;
  const cx = Math.floor((width / 2 - tx) / zoom / tileW);
  const cy = Math.floor((height / 2 - ty) / zoom / tileH);
  const labels = z * 2 ** 0.25 >= LABEL_MIN_ZOOM ? 1 : 0;
  return [(cx - 1) * tileW, (cy - 1) * tileH, (cx + 2) * tileW, (cy + 2) * tileH, labels].join(' ');
}

function parseRegion(text: string): Region | null {
  if (text === '') return null;
  const [x0, y0, x1, y1, labels] = text.split(' ').map(Number);
  return { x0, y0, x1, y1, labels: labels === 1 };
}

function touches(r: Region, n: Placed): boolean {
  return (
    n.at.x < r.x1 && n.at.x + n.size.width > r.x0 && n.at.y < r.y1 && n.at.y + n.size.height > r.y0
  );
}

function contains(r: Region, p: { x: number; y: number }): boolean {
  return p.x >= r.x0 && p.x <= r.x1 && p.y >= r.y0 && p.y <= r.y1;
}

/** Whether the wire's box meets the region (a wire drawn backwards bulges a little past its ends). */
function crosses(r: Region, e: { sx: number; sy: number; tx: number; ty: number }): boolean {
  const bulge = e.tx < e.sx ? 0.25 * 25 * Math.sqrt(e.sx - e.tx) : 0;
  return (
    Math.min(e.sx, e.tx) - bulge < r.x1 &&
    Math.max(e.sx, e.tx) + bulge > r.x0 &&
    Math.min(e.sy, e.ty) < r.y1 &&
    Math.max(e.sy, e.ty) > r.y0
  );
}

/** The wire's curve exactly as WireEdge draws it. */
function bezier(e: { sx: number; sy: number; tx: number; ty: number }): string {
  return getBezierPath({
    sourceX: e.sx,
    sourceY: e.sy,
    sourcePosition: Side.Right,
    targetX: e.tx,
    targetY: e.ty,
    targetPosition: Side.Left,
  })[0];
}

/** The size of each matrix input, from the canvas's `id\tshape` lines (sizes cached by shape). */
const sizeByShape = new Map<string, { width: number; height: number }>();
function matrixSizes(lines: string): Map<string, { width: number; height: number }> {
  const out = new Map<string, { width: number; height: number }>();
  for (const line of lines.split('\n')) {
    const tab = line.lastIndexOf('\t');
    if (tab < 0) continue;
    const shape = line.slice(tab + 1);
    let size = sizeByShape.get(shape);
    if (!size) {
      size = nodeSize('input', { shape: shape.split(',').map(Number) });
      sizeByShape.set(shape, size);
    }
    out.set(line.slice(0, tab), size);
  }
  return out;
}

/** The gate the current playback step computes or sends gradients into ('' if none). */
function currentStepNode(s: AppState): string {
  if (s.cursor === null || s.cursor === 0 || !s.timeline) return '';
  const step = s.timeline.steps[s.cursor - 1];
  return !step || step.kind === 'seed' ? '' : step.node;
}

export function Canvas({
  colorMode,
  readOnly = false,
  ctx,
}: {
  colorMode: 'light' | 'dark';
  readOnly?: boolean;
  /** For the right-click menu's commands. */
  ctx?: CommandContext;
}) {
  const store = useAppStore();
  const {
    nodes: docNodes,
    positions,
    wires,
  } = useApp(
    useShallow((s) => ({ nodes: s.doc.nodes, positions: s.doc.positions, wires: s.doc.wires })),
  );
  // Matrix inputs are sized by their shape, as `id\tshape` lines: a string keeps this stable
  // while values are scrubbed.
  const matrixInputs = useApp((s) =>
    s.doc.nodes
      .filter((n) => n.op === 'input' && (s.doc.values.get(n.id)?.shape.length ?? 0) > 0)
      .map((n) => `${n.id}\t${s.doc.values.get(n.id)?.shape.join(',')}`)
      .join('\n'),
  );
  // The ports of each gate that hold literals, as `id ports` lines: a string, so this stays
  // the same while values or literals are edited and changes only when a port changes hands.
  const literalPorts = useApp((s) => {
    let lines = '';
    for (const [id, params] of s.doc.params) lines += `${id}\t${Object.keys(params).join(',')}\n`;
    return lines;
  });
  const dragPositions = useApp((s) => s.dragPositions);
  const selectedNodes = useApp((s) => s.selectedNodes);
  const selectedWires = useApp((s) => s.selectedWires);
  const fitRequest = useApp((s) => s.fitRequest);
  const output = useApp((s) => s.doc.output);
  const gates = useApp((s) => s.doc.gates);
  const { screenToFlowPosition } = useReactFlow();
  // Fit to view with a floor (see fit.ts): a large circuit is shown from its output end at a
  // readable zoom instead of whole at a zoom where nothing can be read.
  const fitView = useFitCircuit();
  // Far out, numbers give way to colour: the canvas root says so, for the stylesheet.
  const far = useStore(farSelector);

  const literalsOf = useMemo(() => {
    const byId = new Map<string, string>();
    for (const line of literalPorts.split('\n')) {
      const tab = line.lastIndexOf('\t');
      if (tab >= 0) byId.set(line.slice(0, tab), line.slice(tab + 1));
    }
    return byId;
  }, [literalPorts]);

  // One node object per node, kept from render to render: a new one is made only for a node
  // whose position, selection, size, ports or name changed, so React Flow re-renders only
  // those (dragging one gate re-renders that gate alone, not the whole circuit).
  const nodeCache = useRef(new Map<string, CanvasNode>());
  const nodes = useMemo(() => {
    const chosen = new Set(selectedNodes);
    const matrices = matrixSizes(matrixInputs);
    const before = nodeCache.current;
    const after = new Map<string, CanvasNode>();
    const list = docNodes.map((node) => {
      const size = matrices.get(node.id) ?? nodeSize(node.op);
      const type = node.op === 'input' ? 'inputNode' : node.op === 'const' ? 'constNode' : 'gate';
      const at = dragPositions?.get(node.id) ?? positions.get(node.id) ?? ORIGIN;
      const handles = handlesOf(
        node.op,
        size,
        node.id === output ? OUTPUT_BORDER : BORDER,
        literalsOf.get(node.id),
        gates,
      );
      const selected = chosen.has(node.id);
      const old = before.get(node.id);
      let next: CanvasNode;
      if (
        old &&
        old.type === type &&
        old.position.x === at.x &&
        old.position.y === at.y &&
        old.width === size.width &&
        old.height === size.height &&
        old.handles === handles &&
        old.selected === selected &&
        old.data.op === node.op &&
        old.data.label === node.label
      ) {
        next = old;
      } else {
        const sameData = old && old.data.op === node.op && old.data.label === node.label;
        next = {
          id: node.id,
          type,
          position: old && old.position.x === at.x && old.position.y === at.y ? old.position : at,
          data: sameData
            ? old.data
            : node.label === undefined
              ? { op: node.op }
              : { op: node.op, label: node.label },
          width: size.width,
          height: size.height,
          measured: size,
          handles,
          selected,
        };
      }
      after.set(node.id, next);
      return next;
    });
    nodeCache.current = after;
    return list;
  }, [docNodes, positions, dragPositions, selectedNodes, matrixInputs, output, literalsOf, gates]);

  // Each node's box and ports at its settled position (not recomputed mid-drag).
  const placed = useMemo(() => {
    const matrices = matrixSizes(matrixInputs);
    const out = new Map<string, Placed>();
    for (const n of docNodes) {
      const size = matrices.get(n.id) ?? nodeSize(n.op);
      out.set(n.id, {
        at: positions.get(n.id) ?? { x: 0, y: 0 },
        size,
        handles: handlesOf(
          n.op,
          size,
          n.id === output ? OUTPUT_BORDER : BORDER,
          literalsOf.get(n.id),
          gates,
        ),
      });
    }
    return out;
  }, [docNodes, positions, matrixInputs, output, literalsOf, gates]);

  // Where labels sit along their wires.
  const labelAt = useMemo(() => {
    const ends = [];
    for (const w of wires) {
      const from = placed.get(w.from);
      const to = placed.get(w.to);
      if (from && to) ends.push({ id: wireKey(w), ...wireEnds(from, to, w.port) });
    }
    const obstacles = [];
    for (const b of placed.values()) obstacles.push({ ...b.at, ...b.size });
    return placeLabels(ends, obstacles);
  }, [placed, wires]);

  // A value read by many gates sends wires across the whole circuit; see `passingWires`.
  const fanOut = useMemo(() => {
    const count = new Map<string, number>();
    for (const w of wires) count.set(w.from, (count.get(w.from) ?? 0) + 1);
    return count;
  }, [wires]);
  let bundling = false;
  if (docNodes.length > VIRTUALIZE_ABOVE) {
    for (const n of fanOut.values()) if (n >= BUNDLE_FAN_OUT) bundling = true;
  }
  const region = useStore(
    useCallback(
      (s: ReactFlowState) => (bundling ? regionAround(s.transform, s.width, s.height) : ''),
      [bundling],
    ),
  );
  const activeNode = useApp((s) => (bundling ? currentStepNode(s) : ''));

  // As with nodes, a wire keeps its object until something of it changes.
  const edgeCache = useRef(new Map<string, CanvasEdge>());
  const { edges, passing } = useMemo(() => {
    const chosen = new Set(selectedWires);
    const view = bundling ? parseRegion(region) : null;
    const list: CanvasEdge[] = [];
    const kept = new Map<string, CanvasEdge>();
    const paths: string[] = [];
    for (const w of wires) {
      const id = wireKey(w);
      const t = labelAt.get(id);
      if (
        bundling &&
        (fanOut.get(w.from) ?? 0) >= BUNDLE_FAN_OUT &&
        !chosen.has(id) &&
        w.to !== activeNode
      ) {
        const from = placed.get(w.from);
        const to = placed.get(w.to);
        if (from && to) {
          const ends = wireEnds(from, to, w.port);
          const near =
            view !== null &&
            (touches(view, from) ||
              touches(view, to) ||
              (view.labels && contains(view, wirePoint(ends, t ?? 0.5))));
          if (!near) {
            if (view !== null && crosses(view, ends)) paths.push(bezier(ends));
            continue;
          }
        }
      }
      const selected = chosen.has(id);
      const prev = edgeCache.current.get(id);
      const edge: CanvasEdge =
        prev &&
        prev.source === w.from &&
        prev.target === w.to &&
        prev.targetHandle === w.port &&
        prev.selected === selected &&
        prev.data?.labelAt === t
          ? prev
          : {
              id,
              source: w.from,
              target: w.to,
              sourceHandle: 'out',
              targetHandle: w.port,
              type: 'wire',
              selected,
              ariaLabel: `wire from ${w.from} to port ${w.port} of ${w.to}`,
              ...(t === undefined ? {} : { data: { labelAt: t } }),
            };
      kept.set(id, edge);
      list.push(edge);
    }
    edgeCache.current = kept;
    return { edges: list, passing: paths.join(' ') };
  }, [wires, selectedWires, labelAt, placed, fanOut, bundling, region, activeNode]);

  useEffect(() => {
    if (fitRequest > 0) {
      // Wait a frame so React Flow has the new nodes before fitting them.
      movedSinceFit.current = false;
      fittedCount.current = store.getState().doc.nodes.length;
      const handle = requestAnimationFrame(() => void fitView(FIT_OPTIONS));
      return () => cancelAnimationFrame(handle);
    }
    return undefined;
  }, [fitRequest, fitView, store]);

  // A pan or zoom by the user (not by the camera) stops the camera following playback until
  // Play is pressed again.
  const userMoved = useRef(false);
  // Whether the user has moved the view or added or removed a gate since the circuit was last
  // fitted (see RefitOnResize).
  const movedSinceFit = useRef(false);
  const fittedCount = useRef(-1);
  const mayRefit = useCallback(() => {
    const state = store.getState();
    const count = state.doc.nodes.length;
    // A gate added or deleted by hand since the fit: the user is building, and the view stays.
    return !movedSinceFit.current && !state.playing && count > 0 && count === fittedCount.current;
  }, [store]);
  // `onMove`, not `onMoveStart`: a click on the empty canvas starts a gesture without moving.
  const onMove = useCallback((event: MouseEvent | TouchEvent | null) => {
    if (event) {
      userMoved.current = true;
      movedSinceFit.current = true;
    }
  }, []);

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
      const item = readPaletteData(event.dataTransfer.getData(PALETTE_MIME));
      if (!item) return;
      event.preventDefault();
      const size = nodeSize(item.op);
      const at = screenToFlowPosition({ x: event.clientX, y: event.clientY });
      store
        .getState()
        .addNode(
          item.op,
          { x: Math.round(at.x - size.width / 2), y: Math.round(at.y - size.height / 2) },
          item.params,
        );
    },
    [store, screenToFlowPosition],
  );

  // The right-click menu: on a gate outside the selection, that gate alone is selected first.
  const [menu, setMenu] = useState<MenuAt | null>(null);
  const closeMenu = useCallback(() => setMenu(null), []);
  const place = useCallback((event: React.MouseEvent | MouseEvent, node: string) => {
    const box = (event.target as Element).closest('.react-flow')?.getBoundingClientRect();
    setMenu({ x: event.clientX - (box?.left ?? 0), y: event.clientY - (box?.top ?? 0), node });
  }, []);
  const openMenu = useCallback(
    (event: React.MouseEvent, n: { id: string }) => {
      event.preventDefault();
      const state = store.getState();
      if (!state.selectedNodes.includes(n.id)) state.select([n.id], []);
      place(event, n.id);
    },
    [store, place],
  );
  const openSelectionMenu = useCallback(
    (event: React.MouseEvent, picked: { id: string }[]) => {
      event.preventDefault();
      place(event, picked.map((n) => n.id).join(', '));
    },
    [place],
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
      onInit={() => {
        fittedCount.current = store.getState().doc.nodes.length;
        void fitView(FIT_OPTIONS);
      }}
      onMove={onMove}
      className={far ? 'canvas canvas--far' : 'canvas'}
      data-zoom={far ? 'far' : 'near'}
      minZoom={0.1}
      maxZoom={3}
      onlyRenderVisibleElements={docNodes.length > VIRTUALIZE_ABOVE}
      aria-label="Circuit canvas"
      // Shift+click adds a gate to the selection (as Ctrl or ⌘ does); Shift+drag draws a box.
      multiSelectionKeyCode={MULTI_SELECT}
      onNodeContextMenu={readOnly || !ctx ? undefined : openMenu}
      onSelectionContextMenu={readOnly || !ctx ? undefined : openSelectionMenu}
    >
      <Background gap={24} />
      {/* React Flow's own Fit button would fit without the floor: this one keeps it. */}
      <Controls showInteractive={false} showFitView={false}>
        <ControlButton
          className="react-flow__controls-fitview"
          onClick={() => void fitView({ ...FIT_OPTIONS, duration: 200 })}
          title="Fit View"
          aria-label="Fit View"
        >
          <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 30" aria-hidden="true">
            <path d={FIT_ICON} />
          </svg>
        </ControlButton>
      </Controls>
      <FollowCamera userMoved={userMoved} />
      <OpenedFrames />
      {menu && ctx && <ContextMenu at={menu} ctx={ctx} onClose={closeMenu} />}
      <RefitOnResize mayRefit={mayRefit} />
      {far && (
        <Panel position="top-right" className="flow-key" aria-label="Colours when zoomed out">
          <span>
            <span className="flow-key-swatch flow-key-swatch--pos" />∂ &gt; 0
          </span>
          <span>
            <span className="flow-key-swatch flow-key-swatch--neg" />∂ &lt; 0
          </span>
          <span>darker, wider: larger</span>
        </Panel>
      )}
      {docNodes.length > MINIMAP_FROM && docNodes.length <= MINIMAP_UP_TO && (
        <MiniMap pannable zoomable ariaLabel="Minimap" />
      )}
      {passing && (
        <ViewportPortal>
          <svg aria-hidden="true" className="passing-wires" style={PASSING_STYLE}>
            <path className="react-flow__edge-path wire" d={passing} fill="none" />
          </svg>
        </ViewportPortal>
      )}
    </ReactFlow>
  );
}

/** React Flow's fit-view icon. */
const FIT_ICON =
  'M3.692 4.63c0-.53.4-.938.939-.938h5.215V0H4.708C2.13 0 0 2.054 0 4.63v5.216h3.692V4.631zM27.354 0h-5.2v3.692h5.17c.53 0 .984.4.984.939v5.215H32V4.631A4.624 4.624 0 0027.354 0zm.954 24.83c0 .532-.4.94-.939.94h-5.215v3.768h5.215c2.577 0 4.631-2.13 4.631-4.707v-5.139h-3.692v5.139zm-23.677.94c-.531 0-.939-.4-.939-.94v-5.138H0v5.139c0 2.577 2.13 4.707 4.708 4.707h5.138V25.77H4.631z';

const farSelector = (s: ReactFlowState) => s.transform[2] < LABEL_MIN_ZOOM;

/** The gate the current playback step works on, the seed's output included ('' if none). */
function followedNode(s: AppState): string {
  if (s.cursor === null || s.cursor === 0 || !s.timeline) return '';
  return s.timeline.steps[s.cursor - 1]?.node ?? '';
}

/** How far from the canvas's edge the camera puts what it follows. */
const EDGE_MARGIN = 48;

/**
 * During playback, the camera follows the gate of the current step when it or a node its
 * wires come from is not wholly on screen: it moves (smoothly, or at once with reduced motion) so that the gate and the
 * wires into it are in view, at a zoom no smaller than fit's floor. A pan or zoom by the user
 * stops it until Play is pressed again.
 */
function FollowCamera({ userMoved }: { userMoved: { current: boolean } }) {
  const app = useAppStore();
  const rf = useStoreApi();
  const flow = useReactFlow();
  const active = useApp(followedNode);
  const playing = useApp((s) => s.playing);
  const speed = useApp((s) => s.speed);
  useEffect(() => {
    if (playing) userMoved.current = false;
  }, [playing, userMoved]);
  useEffect(() => {
    if (active === '' || userMoved.current) return;
    const box = nodeRect(flow, active);
    if (!box) return;
    const { width, height, transform } = rf.getState();
    const [tx, ty, zoom] = transform;
    if (!(width > 0 && height > 0)) return;
    const margin = Math.min(EDGE_MARGIN, width / 6, height / 6);
    // The gate and the nodes its wires come from.
    let x0 = box.x;
    let y0 = box.y;
    let x1 = box.x + box.width;
    let y1 = box.y + box.height;
    for (const w of app.getState().doc.wires) {
      if (w.to !== active) continue;
      const from = nodeRect(flow, w.from);
      if (!from) continue;
      x0 = Math.min(x0, from.x);
      y0 = Math.min(y0, from.y);
      x1 = Math.max(x1, from.x + from.width);
      y1 = Math.max(y1, from.y + from.height);
    }
    // Nothing to do while the gate and its input wires are all on screen.
    const inView =
      x0 * zoom + tx >= 0 &&
      y0 * zoom + ty >= 0 &&
      x1 * zoom + tx <= width &&
      y1 * zoom + ty <= height;
    if (inView) return;
    const room = { w: width - 2 * margin, h: height - 2 * margin };
    const wanted = Math.min(Math.max(zoom, FIT_MIN_ZOOM), FIT_OPTIONS.maxZoom);
    const fitsAt = Math.min(room.w / Math.max(1, x1 - x0), room.h / Math.max(1, y1 - y0));
    const z = Math.max(FIT_MIN_ZOOM, Math.min(wanted, fitsAt));
    // The whole group when it fits at that zoom, else the gate itself in the middle.
    const group = fitsAt >= z;
    const cx = group ? (x0 + x1) / 2 : box.x + box.width / 2;
    const cy = group ? (y0 + y1) / 2 : box.y + box.height / 2;
    const duration = prefersReducedMotion() ? 0 : Math.min(400, Math.round(600 / speed));
    void flow.setViewport({ x: width / 2 - cx * z, y: height / 2 - cy * z, zoom: z }, { duration });
  }, [active, flow, rf, app, speed, userMoved]);
  return null;
}

/**
 * When the canvas changes size (the step panel grows with a two-row step, the window turns,
 * the inspector docks beside it), a circuit that was fitted is fitted again, so nothing of it
 * slips under a panel. Not once the user has panned or zoomed or added or deleted a gate by
 * hand, and not during playback, where the camera follows the current gate instead.
 */
function RefitOnResize({ mayRefit }: { mayRefit: () => boolean }) {
  const size = useStore((s: ReactFlowState) => `${Math.round(s.width)}x${Math.round(s.height)}`);
  const fitView = useFitCircuit();
  const last = useRef(size);
  useEffect(() => {
    if (size === last.current) return;
    const was = last.current;
    last.current = size;
    if (was === '0x0' || !mayRefit()) return;
    const handle = requestAnimationFrame(() => void fitView(FIT_OPTIONS));
    return () => cancelAnimationFrame(handle);
  }, [size, fitView, mayRefit]);
  return null;
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
