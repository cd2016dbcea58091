/**
 * Fit to view, with a floor: the circuit is fitted whole when it can be at a zoom where its
 * numbers can still be read, and otherwise shown at that readable zoom from one end (the
 * output, or the start of the pass during playback), the rest a pan away.
 */
import { type Rect, useReactFlow, useStoreApi, type Viewport } from '@xyflow/react';
import { useCallback } from 'react';
import { READOUT_GAP, readoutSize } from '../../store/layout';
import type { AppState } from '../../store/store';
import { useAppStore } from '../StoreContext';

/** The smallest zoom fit to view goes down to: 20 px numbers are drawn at 10 px (12 px tall boxes). */
export const FIT_MIN_ZOOM = 0.5;

/** Padding as React Flow's fit options take it: pixels (`'40px'`, 40) or a fraction (0.1). */
type Pad = number | string;
export type FitPadding = Pad | { top?: Pad; right?: Pad; bottom?: Pad; left?: Pad };

export interface FitRequest {
  /** The box around every node, in canvas units. */
  readonly bounds: Rect;
  /** The canvas on screen, in pixels. */
  readonly width: number;
  readonly height: number;
  readonly padding?: FitPadding;
  readonly maxZoom?: number;
  readonly minZoom?: number;
  /**
   * What to show when the circuit is too large: `end` puts the right-hand end (the output) in
   * view, `start` the left-hand end (the inputs, where playback begins). `focus` is the node to
   * keep in view vertically (the output, or the first gate of the pass).
   */
  readonly from?: 'start' | 'end';
  readonly focus?: Rect | null;
}

function px(p: Pad | undefined, size: number): number {
  if (p === undefined) return 0;
  if (typeof p === 'number') return p < 1 ? p * size : p;
  const n = Number.parseFloat(p);
  if (!Number.isFinite(n)) return 0;
  return p.trim().endsWith('%') ? (n / 100) * size : p.trim().endsWith('px') ? n : n * size;
}

function sides(padding: FitPadding | undefined, width: number, height: number) {
  if (padding === undefined || typeof padding !== 'object') {
    const h = px(padding, width);
    const v = px(padding, height);
    return { top: v, right: h, bottom: v, left: h };
  }
  return {
    top: px(padding.top, height),
    right: px(padding.right, width),
    bottom: px(padding.bottom, height),
    left: px(padding.left, width),
  };
}

/**
 * Where one axis of the view goes at zoom `z`: the whole extent centred in the padded room
 * when it fits, else anchored at one end (`anchor` 'low' or 'high'), or centred on `centre`
 * and kept from showing empty room past either end.
 */
function place(
  lo: number,
  extent: number,
  padLo: number,
  padHi: number,
  size: number,
  z: number,
  anchor: 'low' | 'high' | number,
): number {
  const room = size - padLo - padHi;
  if (extent * z <= room) return padLo + (room - extent * z) / 2 - lo * z;
  const showLow = padLo - lo * z; // the low end at the low padding
  const showHigh = size - padHi - (lo + extent) * z; // the high end at the high padding
  if (anchor === 'low') return showLow;
  if (anchor === 'high') return showHigh;
  const centred = size / 2 - anchor * z;
  return Math.min(showLow, Math.max(showHigh, centred));
}

/** The view that fits `bounds` under the rules above. */
export function fitViewport(r: FitRequest): Viewport {
  const { bounds, width, height } = r;
  const minZoom = r.minZoom ?? FIT_MIN_ZOOM;
  const maxZoom = r.maxZoom ?? 1.6;
  const pad = sides(r.padding, width, height);
  const bw = Math.max(bounds.width, 1);
  const bh = Math.max(bounds.height, 1);
  const fits = Math.min(
    (width - pad.left - pad.right) / bw,
    (height - pad.top - pad.bottom) / bh,
    maxZoom,
  );
  const zoom = Number.isFinite(fits) && fits > minZoom ? fits : Math.min(minZoom, maxZoom);
  const focus = r.focus ?? null;
  const from = r.from ?? 'end';
  const x = place(
    bounds.x,
    bw,
    pad.left,
    pad.right,
    width,
    zoom,
    focus ? focus.x + focus.width / 2 : from === 'start' ? 'low' : 'high',
  );
  const y = place(
    bounds.y,
    bh,
    pad.top,
    pad.bottom,
    height,
    zoom,
    focus ? focus.y + focus.height / 2 : 'low',
  );
  return { x, y, zoom };
}

/** What `fitCircuit` needs of React Flow (a `ReactFlowInstance` has all of it). */
export interface FitTarget {
  getNodes(): readonly { id: string }[];
  getNodesBounds(nodes: readonly { id: string }[]): Rect;
  getInternalNode(id: string):
    | {
        internals: { positionAbsolute: { x: number; y: number } };
        measured: { width?: number; height?: number };
      }
    | undefined;
  setViewport(viewport: Viewport, options?: { duration?: number }): Promise<boolean>;
}

/** The box of one node as React Flow holds it, or null. */
export function nodeRect(flow: Pick<FitTarget, 'getInternalNode'>, id: string): Rect | null {
  const n = flow.getInternalNode(id);
  if (!n) return null;
  return {
    x: n.internals.positionAbsolute.x,
    y: n.internals.positionAbsolute.y,
    width: n.measured.width ?? 0,
    height: n.measured.height ?? 0,
  };
}

export interface FitCircuitOptions {
  readonly padding?: FitPadding;
  readonly maxZoom?: number;
  readonly duration?: number;
  /** The canvas size in pixels (React Flow's store: `width`, `height`). */
  readonly width: number;
  readonly height: number;
  /**
   * The node to keep in view when the circuit is too large: the gate of the current playback
   * step (or the first one, at the start), or the output. Null: the output end.
   */
  readonly focus?: string | null;
  /** Whether `focus` is where playback begins (the left-hand end) rather than the output. */
  readonly fromStart?: boolean;
  /** The output gate's id, beside which the readout is written. */
  readonly output?: string | null;
  /**
   * How far, in canvas units, the output's readout (its value and gradient, written to the
   * right of the output gate) reaches past that gate's right edge; 0 when there is none.
   */
  readonly readout?: number;
  /** The readout's height, centred on the output gate (a tensor's grids can be taller). */
  readonly readoutHeight?: number;
}

/**
 * Fits the circuit in view under the floor `FIT_MIN_ZOOM`. The call sites: the canvas (on a
 * fit request and its own Fit button) and the toolbar's Fit.
 */
export function fitCircuit(flow: FitTarget, options: FitCircuitOptions): Promise<boolean> {
  const nodes = flow.getNodes();
  if (nodes.length === 0 || !(options.width > 0 && options.height > 0)) {
    return Promise.resolve(false);
  }
  const nodesBox = flow.getNodesBounds(nodes);
  const outputBox = options.readout && options.output ? nodeRect(flow, options.output) : null;
  // The readout belongs to the picture: the box grows to take it in.
  let bounds = nodesBox;
  if (outputBox) {
    const half = (options.readoutHeight ?? 0) / 2;
    const cy = outputBox.y + outputBox.height / 2;
    const x0 = nodesBox.x;
    const y0 = Math.min(nodesBox.y, cy - half);
    const x1 = Math.max(
      nodesBox.x + nodesBox.width,
      outputBox.x + outputBox.width + (options.readout ?? 0),
    );
    const y1 = Math.max(nodesBox.y + nodesBox.height, cy + half);
    bounds = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }
  const focus = options.focus ? nodeRect(flow, options.focus) : null;
  const viewport = fitViewport({
    bounds,
    width: options.width,
    height: options.height,
    padding: options.padding,
    maxZoom: options.maxZoom,
    from: options.fromStart ? 'start' : 'end',
    focus,
  });
  return flow.setViewport(viewport, { duration: options.duration ?? 0 });
}

/**
 * The node a fit keeps in view when the circuit is too large, from the app's state: during
 * playback the gate of the current step (at the start, the first gate: the left-hand end),
 * otherwise the output (the right-hand end).
 */
export function fitFocus(s: Pick<AppState, 'cursor' | 'timeline' | 'doc'>): {
  focus: string | null;
  fromStart: boolean;
} {
  if (s.cursor !== null && s.timeline) {
    const steps = s.timeline.steps;
    const step = steps[Math.max(0, s.cursor - 1)];
    if (step && step.kind !== 'seed')
      return { focus: step.node, fromStart: step.kind === 'forward' };
  }
  return { focus: s.doc.output ?? null, fromStart: false };
}

/**
 * Fit to view for a component inside the canvas's React Flow provider: call the returned
 * function with React Flow's fit options (`FIT_OPTIONS`, maybe with a `duration`).
 */
export function useFitCircuit(): (options?: {
  padding?: FitPadding;
  maxZoom?: number;
  duration?: number;
}) => Promise<boolean> {
  const flow = useReactFlow();
  const rf = useStoreApi();
  const app = useAppStore();
  return useCallback(
    (options = {}) => {
      const { width, height, transform, domNode } = rf.getState();
      const state = app.getState();
      const output = state.doc.output ?? null;
      const value = output ? state.view.values.get(output) : undefined;
      const label = output ? (state.doc.nodes.find((n) => n.id === output)?.label ?? 'f') : 'f';
      // A tensor's readout has the size the layout gave it; a number's is measured.
      const matrix = typeof value === 'object' ? readoutSize(label, value.shape) : null;
      return fitCircuit(flow as unknown as FitTarget, {
        ...options,
        width,
        height,
        ...fitFocus(state),
        output,
        readout: matrix ? READOUT_GAP + matrix.width : readoutReach(domNode, output, transform[2]),
        readoutHeight: matrix?.height ?? 0,
      });
    },
    [flow, rf, app],
  );
}

/** The readout's reach when it is not on screen to measure: about ten characters of 20 px text. */
const READOUT_GUESS = READOUT_GAP + 130;

/**
 * How far the output's readout reaches past the output gate, in canvas units: measured when
 * the readout is drawn, estimated when it is not (off screen in a large circuit, or not yet
 * drawn on the first fit).
 */
export function readoutReach(
  root: Element | null | undefined,
  output: string | null,
  zoom: number,
): number {
  if (!output) return 0;
  let el: Element | null = null;
  if (root) {
    for (const node of root.querySelectorAll('.react-flow__node')) {
      if (node.getAttribute('data-id') === output) {
        el = node.querySelector('.output-readout');
        break;
      }
    }
  }
  if (!el) return READOUT_GUESS;
  const width = el.getBoundingClientRect().width;
  return width > 0 && zoom > 0 ? READOUT_GAP + width / zoom : READOUT_GUESS;
}
