/**
 * The circuit as a vector drawing for slides: SVG built from the document, the view and the
 * layout (not a snapshot of the page), with <path> wires, <rect> gates, <text> for every
 * symbol, name, port name, value and gradient, and one <g> per node and per wire, so it opens
 * and edits in Inkscape or Illustrator. No fonts or images are embedded: text uses the
 * generic families `monospace` and `sans-serif`.
 *
 * Everything here is plain string building with escaping (no DOM), so it runs in the unit
 * tests as in the page. Every text from the user (names, ids) goes through `escapeXml`; ids
 * of elements are spelled with `xmlId`, which keeps only letters, digits and `_`.
 */
import { getBezierPath, Position as Side } from '@xyflow/react';
import {
  type OpDef,
  type Params,
  type PlaybackStep,
  resolveOp,
  type Tensor,
  type Value,
} from '../engine';
import { type Doc, wireKey } from '../store/document';
import {
  LABEL_ABOVE,
  LABEL_BELOW,
  MATRIX,
  matrixGrid,
  matrixPair,
  matrixShape,
  nodeSize,
  PREVIEW,
  previewSize,
  READOUT_GAP,
  readoutSize,
} from '../store/layout';
import type { View } from '../store/view';
import { type Box, hidesTensorLabel, labelBox, placeLabels, wirePoint } from './canvas/labels';
import { heatGlyph, largest } from './canvas/MatrixView';
import { exactNumber, formatCell, formatNumber, formatSigned, formatValue } from './format';
import { type NameOf, stepLabel, stepParams } from './playback/describe';

/** The colours of a theme, as styles.css names them (without the `--`). */
export interface Palette {
  readonly bg: string;
  readonly panel: string;
  readonly panel2: string;
  readonly border: string;
  readonly text: string;
  readonly muted: string;
  readonly accent: string;
  readonly value: string;
  readonly grad: string;
  readonly node: string;
  readonly nodeBorder: string;
  readonly wire: string;
  readonly halo: string;
  readonly problem: string;
  readonly focus: string;
}

export const LIGHT_PALETTE: Palette = {
  bg: '#f8fafc',
  panel: '#ffffff',
  panel2: '#f1f5f9',
  border: '#cbd5e1',
  text: '#0f172a',
  muted: '#475569',
  accent: '#2563eb',
  value: '#15803d',
  grad: '#b91c1c',
  node: '#ffffff',
  nodeBorder: '#334155',
  wire: '#64748b',
  halo: '#f8fafc',
  problem: '#c2410c',
  focus: '#f59e0b',
};

export const DARK_PALETTE: Palette = {
  bg: '#0b1120',
  panel: '#111827',
  panel2: '#1e293b',
  border: '#334155',
  text: '#e2e8f0',
  muted: '#94a3b8',
  accent: '#60a5fa',
  value: '#4ade80',
  grad: '#f87171',
  node: '#1e293b',
  nodeBorder: '#94a3b8',
  wire: '#94a3b8',
  halo: '#0b1120',
  problem: '#fb923c',
  focus: '#f59e0b',
};

/** What the picture is drawn from: the store's document, view and playback position. */
export interface PictureState {
  readonly doc: Doc;
  readonly view: View;
  readonly cursor: number | null;
  readonly timeline: { readonly steps: readonly PlaybackStep[] } | null;
}

export interface SvgOptions {
  readonly palette: Palette;
  /** No background rectangle. */
  readonly transparent?: boolean;
  /** Presentation mode's larger text. */
  readonly present?: boolean;
  /** Lines of text drawn under the circuit (the current step's chain rule). */
  readonly caption?: readonly string[];
}

export interface SvgPicture {
  readonly svg: string;
  /** Size in CSS pixels (the SVG's width and height). */
  readonly width: number;
  readonly height: number;
}

const MONO = 'monospace';
const SANS = 'sans-serif';
/** Room around the drawing. */
const MARGIN = 24;
/** A port is a 12 px circle centred on the node's border, as the canvas draws it. */
const PORT = 12;
const BORDER = 2;
const OUTPUT_BORDER = 3;
/** Width of a character of monospace text, as a fraction of the font size. */
const MONO_ADVANCE = 0.6;
/** Width of an average character of sans-serif text, as a fraction of the font size. */
const SANS_ADVANCE = 0.56;

/** Text for an XML text node or attribute value: markup characters escaped, invalid ones replaced. */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    // Characters XML 1.0 cannot hold at all (most controls, lone surrogates, U+FFFE/U+FFFF).
    const allowed =
      cp === 0x9 ||
      cp === 0xa ||
      cp === 0xd ||
      (cp >= 0x20 && cp <= 0xd7ff) ||
      (cp >= 0xe000 && cp <= 0xfffd) ||
      cp >= 0x10000;
    if (!allowed) out += '\uFFFD';
    else if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else out += ch;
  }
  return out;
}

/**
 * An element id made from a name: letters, digits and `_` kept, every other character written
 * as `-` and its code point in hex and `-`, so two names never give one id, and the id is a
 * valid XML name whatever the name holds (`__proto__`, `a<&"b`, spaces, emoji).
 */
export function xmlId(prefix: string, name: string): string {
  let out = '';
  for (const ch of name) {
    out += /[A-Za-z0-9_]/.test(ch) ? ch : `-${(ch.codePointAt(0) ?? 0).toString(16)}-`;
  }
  return `${prefix}-${out}`;
}

/** A number for a coordinate: at most one decimal. */
function n(x: number): string {
  return String(Math.round(x * 10) / 10);
}

type Attrs = Record<string, string | number | undefined>;

function attrs(a: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${escapeXml(typeof v === 'number' ? n(v) : v)}"`;
  }
  return out;
}

function el(tag: string, a: Attrs, body?: string): string {
  return body === undefined ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${body}</${tag}>`;
}

function text(a: Attrs, content: string, title?: string): string {
  const tip = title === undefined ? '' : `<title>${escapeXml(title)}</title>`;
  return el('text', a, `${tip}${escapeXml(content)}`);
}

/** What a wire label or readout shows: a number, or for a matrix its shape. */
function wireText(v: Value, signed: boolean): string {
  if (typeof v === 'number') return formatValue(v, signed);
  const shape = v.shape.join('×');
  return signed ? `∂ ${shape}` : shape;
}

/** Text cut to `max` characters with an ellipsis, as CSS cuts a name that does not fit. */
function cut(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

interface PlacedNode {
  readonly id: string;
  readonly op: string;
  readonly label?: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly border: number;
  /** Wired input ports (those without a literal), top to bottom, with their y. */
  readonly ports: readonly { readonly name: string; readonly y: number }[];
  readonly params: Params | undefined;
  /** The node's op, resolved with the document's own gates. */
  readonly def: OpDef | undefined;
}

/** The gate of the current step, and whether it is computing (forward) or sending back. */
function activeStep(state: PictureState): PlaybackStep | undefined {
  if (state.cursor === null || state.cursor === 0 || !state.timeline) return undefined;
  return state.timeline.steps[state.cursor - 1];
}

/** Font sizes, as styles.css sets them (presentation mode's in brackets). */
function fonts(present: boolean) {
  return {
    wire: present ? 24 : 20,
    symbol: present ? 26 : 21,
    word: 19,
    long: present ? 14 : 13,
    gateName: 13,
    inputName: present ? 20 : 17,
    inputGrad: present ? 24 : 20,
    field: present ? 20 : 16,
    readout: present ? 24 : 20,
    port: 10,
    caption: present ? 22 : 18,
  };
}

/**
 * The circuit drawn as SVG: every node where the layout put it, every wire as the canvas
 * draws it (React Flow's Bézier between the same ports), its value above and its gradient
 * below at the spot the canvas puts them (labels.ts), the output's readout, and the current
 * playback step highlighted. Returns the text and its size.
 */
export function circuitSvg(state: PictureState, options: SvgOptions): SvgPicture {
  const { doc, view } = state;
  const c = options.palette;
  const f = fonts(options.present === true);
  const step = activeStep(state);
  const activeNode = step && step.kind !== 'seed' ? step.node : undefined;

  // Where every node is and where its ports are, as Canvas.tsx places them.
  const placed = new Map<string, PlacedNode>();
  for (const node of doc.nodes) {
    const at = doc.positions.get(node.id) ?? { x: 0, y: 0 };
    const size = nodeSize(node.op, doc.values.get(node.id));
    const border = node.id === doc.output ? OUTPUT_BORDER : BORDER;
    const params = doc.params.get(node.id);
    const all =
      node.op === 'input' || node.op === 'const'
        ? []
        : (resolveOp(node.op, doc.gates)?.ports ?? []);
    const wired = all.filter((p) => !(params && Object.hasOwn(params, p)));
    const inner = size.height - 2 * border;
    placed.set(node.id, {
      id: node.id,
      op: node.op,
      def: resolveOp(node.op, doc.gates),
      ...(node.label === undefined ? {} : { label: node.label }),
      x: at.x,
      y: at.y,
      width: size.width,
      height: size.height,
      border,
      ports: wired.map((name, i) => ({
        name,
        y: at.y + border + (inner * (i + 1)) / (wired.length + 1),
      })),
      params,
    });
  }

  // Wire ends: from the right-hand port's outer edge to the left edge of the input port.
  const wires = [];
  for (const w of doc.wires) {
    const from = placed.get(w.from);
    const to = placed.get(w.to);
    if (!from || !to) continue;
    const port = to.ports.find((p) => p.name === w.port);
    wires.push({
      wire: w,
      id: wireKey(w),
      sx: from.x + from.width - from.border + PORT / 2,
      sy: from.y + from.height / 2,
      tx: to.x + to.border - PORT / 2,
      ty: port ? port.y : to.y + to.height / 2,
    });
  }
  const obstacles: Box[] = [...placed.values()].map((p) => ({
    x: p.x,
    y: p.y,
    width: p.width,
    height: p.height,
  }));
  const labelAt = placeLabels(wires, obstacles);

  // The extent of everything drawn, for the picture's size.
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  const grow = (b: Box) => {
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.width);
    y1 = Math.max(y1, b.y + b.height);
  };
  for (const b of obstacles)
    grow({ x: b.x - 8, y: b.y - 12, width: b.width + 16, height: b.height + 24 });

  // Wires, with their labels: drawn first, under the nodes, as on the canvas.
  const opOf = new Map<string, string>(doc.nodes.map((n) => [n.id, n.op]));
  const wireParts: string[] = [];
  const labelLift = f.wire / 2;
  for (const w of wires) {
    const at = wirePoint(w, labelAt.get(w.id) ?? 0.5);
    grow(labelBox(at));
    // As on the canvas, a wire into an entry gate shows no tensor (`hidesTensorLabel`).
    const hidden = hidesTensorLabel(opOf.get(w.wire.to));
    const rawValue = view.values.get(w.wire.from);
    const rawGrad = view.wireGrads.get(w.id);
    const value = hidden && typeof rawValue === 'object' ? undefined : rawValue;
    const grad = hidden && typeof rawGrad === 'object' ? undefined : rawGrad;
    const isActive = step !== undefined && step.kind !== 'seed' && step.node === w.wire.to;
    const stroke = isActive ? (step.kind === 'backward' ? c.grad : c.value) : c.wire;
    const [path] = getBezierPath({
      sourceX: w.sx,
      sourceY: w.sy,
      sourcePosition: Side.Right,
      targetX: w.tx,
      targetY: w.ty,
      targetPosition: Side.Left,
    });
    let body = el('path', {
      d: path,
      fill: 'none',
      stroke,
      'stroke-width': isActive ? 4 : 2,
      class: 'wire',
    });
    const labelStyle = {
      'font-family': MONO,
      'font-size': f.wire,
      'font-weight': 600,
      'text-anchor': 'middle',
      stroke: c.halo,
      'stroke-width': 4,
      'stroke-linejoin': 'round',
      'paint-order': 'stroke',
    };
    if (typeof value === 'object') body += previewSvg(at.x, at.y, value, false, c);
    if (typeof grad === 'object') body += previewSvg(at.x, at.y, grad, true, c);
    if (typeof value === 'object' || typeof grad === 'object') {
      const reach = PREVIEW.height + PREVIEW.gap;
      grow({
        x: at.x - PREVIEW.width / 2,
        y: at.y - LABEL_ABOVE - reach,
        width: PREVIEW.width,
        height: LABEL_ABOVE + LABEL_BELOW + 2 * reach,
      });
    }
    if (value !== undefined) {
      const shown = wireText(value, false);
      body += text(
        { x: at.x, y: at.y - labelLift, fill: c.value, class: 'wire-value', ...labelStyle },
        shown,
      );
      grow({
        x: at.x - (shown.length * f.wire * MONO_ADVANCE) / 2,
        y: at.y - labelLift - f.wire,
        width: shown.length * f.wire * MONO_ADVANCE,
        height: f.wire,
      });
    }
    if (grad !== undefined) {
      const shown = wireText(grad, true);
      body += text(
        {
          x: at.x,
          y: at.y + labelLift + f.wire * 0.75,
          fill: c.grad,
          'font-style': 'italic',
          class: 'wire-grad',
          ...labelStyle,
        },
        shown,
      );
      grow({
        x: at.x - (shown.length * f.wire * MONO_ADVANCE) / 2,
        y: at.y + labelLift,
        width: shown.length * f.wire * MONO_ADVANCE,
        height: f.wire,
      });
    }
    wireParts.push(
      el(
        'g',
        {
          id: xmlId('wire', w.id),
          'data-from': w.wire.from,
          'data-to': w.wire.to,
          'data-port': w.wire.port,
        },
        body,
      ),
    );
  }

  // Nodes.
  const nodeParts: string[] = [];
  for (const p of placed.values()) {
    const value = view.values.get(p.id);
    const grad = view.grads.get(p.id);
    const done = view.done ? view.done.get(p.id) === true : view.grads.has(p.id);
    const problem = view.nodeProblems.get(p.id) ?? view.nonFinite.get(p.id);
    const name = p.label ?? p.id;
    let body = '';
    if (p.id === activeNode) {
      body += el('rect', {
        x: p.x - 4,
        y: p.y - 4,
        width: p.width + 8,
        height: p.height + 8,
        rx: p.op === 'input' ? 13 : 17,
        fill: 'none',
        stroke: c.focus,
        'stroke-width': 4,
        class: 'active-step',
      });
    }
    if (p.op === 'input') {
      body += inputNode(p, name, value, grad, done, c, f);
    } else if (p.op === 'const') {
      body += el('rect', {
        x: p.x + 1,
        y: p.y + 1,
        width: p.width - 2,
        height: p.height - 2,
        rx: 17,
        fill: c.node,
        stroke: c.nodeBorder,
        'stroke-width': 2,
        'stroke-dasharray': '2 3',
      });
      body += text(
        {
          x: p.x + p.width / 2,
          y: p.y + p.height / 2 + 5,
          'text-anchor': 'middle',
          'font-family': MONO,
          'font-size': 14,
          'font-weight': 700,
          fill: c.text,
        },
        formatValue(value),
      );
    } else {
      body += gateNode(p, name, problem, c, f);
    }
    // The output port, and the input ports with their names.
    for (const port of p.ports) {
      body += el('circle', {
        cx: p.x + p.border,
        cy: port.y,
        r: PORT / 2 - 1,
        fill: c.panel,
        stroke: c.nodeBorder,
        'stroke-width': 2,
        class: 'port',
        'data-port': port.name,
      });
      if (p.ports.length > 1) {
        body += text(
          {
            x: p.x + p.border + PORT / 2 + 3,
            y: port.y + f.port * 0.35,
            'font-family': SANS,
            'font-size': f.port,
            fill: c.muted,
            class: 'port-name',
          },
          port.name,
        );
      }
    }
    body += el('circle', {
      cx: p.x + p.width - p.border,
      cy: p.y + p.height / 2,
      r: PORT / 2 - 1,
      fill: c.nodeBorder,
      stroke: c.nodeBorder,
      'stroke-width': 2,
      class: 'port',
      'data-port': 'out',
    });
    if (problem) {
      const shown = cut(problem, 40);
      body += text(
        {
          x: p.x + p.width / 2,
          y: p.y + p.height + 16,
          'text-anchor': 'middle',
          'font-family': SANS,
          'font-size': 12,
          'font-weight': 600,
          fill: c.problem,
          class: 'problem',
        },
        shown,
        problem,
      );
      const w = shown.length * 12 * SANS_ADVANCE;
      grow({ x: p.x + p.width / 2 - w / 2, y: p.y + p.height, width: w, height: 22 });
    }
    if (p.id === doc.output && typeof value === 'object') {
      // A tensor output: its name and shape over its value's and its gradient's grids.
      const label = p.label ?? 'f';
      const size = readoutSize(label, value.shape);
      const readoutX = p.x + p.width + READOUT_GAP;
      const top = p.y + p.height / 2 - size.height / 2;
      body += el(
        'g',
        { class: 'readout' },
        text(
          {
            x: readoutX,
            y: top + 15 + f.readout * 0.35,
            fill: c.value,
            'font-family': MONO,
            'font-size': f.readout,
            'font-weight': 700,
          },
          `${label} = ${value.shape.join('×')}`,
        ) +
          pairSvg(
            readoutX,
            top + 30,
            label,
            value,
            typeof grad === 'object' ? grad : undefined,
            grad !== undefined && !done,
            c,
          ),
      );
      grow({ x: readoutX, y: top, width: size.width, height: size.height });
    } else if (p.id === doc.output) {
      const readoutX = p.x + p.width + 14;
      const cy = p.y + p.height / 2;
      const first = `${p.label ?? 'f'} = ${value === undefined ? '—' : formatValue(value)}`;
      const second = `∂ ${grad === undefined ? '—' : typeof grad === 'number' ? formatSigned(grad) : formatValue(grad, true)}`;
      const line = f.readout * 1.2;
      const readout = { 'font-family': MONO, 'font-size': f.readout, 'font-weight': 700 };
      body += el(
        'g',
        { class: 'readout' },
        text(
          { x: readoutX, y: cy - line / 2 + f.readout * 0.35, fill: c.value, ...readout },
          first,
        ) +
          text(
            {
              x: readoutX,
              y: cy + line / 2 + f.readout * 0.35,
              fill: c.grad,
              'font-style': 'italic',
              ...readout,
            },
            second,
          ),
      );
      const w = Math.max([...first].length, [...second].length) * f.readout * MONO_ADVANCE;
      grow({ x: readoutX, y: cy - line - 4, width: w + 8, height: 2 * line + 8 });
    }
    nodeParts.push(
      el(
        'g',
        {
          id: xmlId('node', p.id),
          class: `node node--${p.op === 'input' || p.op === 'const' ? p.op : 'gate'}`,
        },
        `<title>${escapeXml(name)}</title>${body}`,
      ),
    );
  }

  if (!Number.isFinite(x0)) {
    x0 = 0;
    y0 = 0;
    x1 = 200;
    y1 = 100;
  }
  x0 -= MARGIN;
  y0 -= MARGIN;
  x1 += MARGIN;
  y1 += MARGIN;

  // The caption: under the circuit, as wide as it needs.
  let captionPart = '';
  const caption = options.caption ?? [];
  if (caption.length > 0) {
    const line = f.caption * 1.45;
    const widest = Math.max(...caption.map((l) => [...l].length)) * f.caption * SANS_ADVANCE;
    x1 = Math.max(x1, x0 + widest + 2 * MARGIN);
    const top = y1;
    let lines = el('line', {
      x1: x0 + MARGIN,
      y1: top,
      x2: x1 - MARGIN,
      y2: top,
      stroke: c.border,
      'stroke-width': 1,
    });
    caption.forEach((l, i) => {
      lines += text(
        {
          x: x0 + MARGIN,
          y: top + MARGIN / 2 + line * (i + 1) - (line - f.caption) / 2,
          'font-family': SANS,
          'font-size': f.caption,
          'font-weight': i === 0 ? 700 : 400,
          fill: c.text,
        },
        l,
      );
    });
    captionPart = el('g', { id: 'caption' }, lines);
    y1 = top + MARGIN / 2 + line * caption.length + MARGIN;
  }

  const width = Math.ceil(x1 - x0);
  const height = Math.ceil(y1 - y0);
  const background = options.transparent
    ? ''
    : el('rect', { x: x0, y: y0, width, height, fill: c.bg, id: 'background' });
  const title = doc.expression
    ? `Circuit: ${cut(doc.expression.replace(/\s+/g, ' '), 200)}`
    : 'Circuit';
  const svg =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg"${attrs({
      width,
      height,
      viewBox: `${n(x0)} ${n(y0)} ${width} ${height}`,
      'font-family': SANS,
    })}>` +
    `<title>${escapeXml(title)}</title>` +
    background +
    el('g', { id: 'wires' }, wireParts.join('')) +
    el('g', { id: 'nodes' }, nodeParts.join('')) +
    captionPart +
    '</svg>\n';
  return { svg, width, height };
}

type Fonts = ReturnType<typeof fonts>;

function gateNode(p: PlacedNode, name: string, problem: string | undefined, c: Palette, f: Fonts) {
  const op = p.def;
  const hasLiterals = p.params !== undefined && Object.keys(p.params).length > 0;
  const label = op ? (hasLiterals && p.params ? op.paramLabel(p.params) : op.symbol) : '?';
  const chars = [...label].length;
  const size = chars <= 2 ? f.symbol : chars <= 4 ? f.word : f.long;
  const isOutput = p.border === OUTPUT_BORDER;
  let body = el('rect', {
    x: p.x + p.border / 2,
    y: p.y + p.border / 2,
    width: p.width - p.border,
    height: p.height - p.border,
    rx: 14 - p.border / 2,
    fill: c.node,
    stroke: problem ? c.problem : isOutput ? c.accent : c.nodeBorder,
    'stroke-width': p.border,
    'stroke-dasharray': problem ? '6 4' : undefined,
    class: 'gate',
  });
  const cx = p.x + p.width / 2;
  const named = p.label !== undefined;
  // The symbol and the name below it, centred together as the gate's flex column does.
  const stack = named ? size + 2 + f.gateName * 1.2 : size;
  const top = p.y + (p.height - stack) / 2;
  body += text(
    {
      x: cx,
      y: top + size * 0.82,
      'text-anchor': 'middle',
      'font-family': SANS,
      'font-size': size,
      'font-weight': 700,
      fill: c.text,
      class: 'gate-symbol',
    },
    label,
    op ? `${name}: ${op.title}` : name,
  );
  if (named) {
    body += text(
      {
        x: cx,
        y: top + size + 2 + f.gateName,
        'text-anchor': 'middle',
        'font-family': MONO,
        'font-size': f.gateName,
        fill: c.muted,
        class: 'gate-name',
      },
      cut(name, 7),
      name,
    );
  }
  if (problem) {
    body += el('circle', { cx: p.x + p.width, cy: p.y, r: 11, fill: c.problem });
    body += text(
      {
        x: p.x + p.width,
        y: p.y + 5,
        'text-anchor': 'middle',
        'font-family': SANS,
        'font-size': 14,
        'font-weight': 800,
        fill: '#ffffff',
      },
      '!',
    );
  }
  return body;
}

function inputNode(
  p: PlacedNode,
  name: string,
  value: Value | undefined,
  grad: Value | undefined,
  done: boolean,
  c: Palette,
  f: Fonts,
) {
  let body = el('rect', {
    x: p.x + 1,
    y: p.y + 1,
    width: p.width - 2,
    height: p.height - 2,
    rx: 9,
    fill: c.node,
    stroke: c.nodeBorder,
    'stroke-width': 2,
    class: 'input',
  });
  const left = p.x + 10;
  const right = p.x + p.width - 10;
  const head = p.y + 8 + f.inputName * 0.8;
  body += text(
    {
      x: left,
      y: head,
      'font-family': MONO,
      'font-size': f.inputName,
      'font-weight': 700,
      fill: c.text,
      class: 'input-name',
    },
    cut(name, 8),
    name,
  );
  if (typeof value === 'object') {
    // A matrix: its shape, then its value's and its gradient's grids, as the canvas draws them.
    body += text(
      {
        x: right,
        y: head,
        'text-anchor': 'end',
        'font-family': MONO,
        'font-size': 15,
        'font-weight': 700,
        fill: c.text,
      },
      value.shape.join('×'),
    );
    // Inside the border (2) and padding (8 across, 6 down), under the 26 px header and a 4 px gap.
    body += pairSvg(
      p.x + 2 + 8,
      p.y + 2 + 6 + 26 + 4,
      name,
      value,
      typeof grad === 'object' ? grad : undefined,
      grad !== undefined && !done,
      c,
    );
    return body;
  }
  const partial = grad !== undefined && !done;
  body += text(
    {
      x: right,
      y: head,
      'text-anchor': 'end',
      'font-family': MONO,
      'font-size': f.inputGrad,
      'font-weight': 700,
      'font-style': 'italic',
      fill: c.grad,
      'text-decoration': partial ? 'underline' : undefined,
      class: 'input-grad',
    },
    `∂ ${typeof grad === 'number' ? formatSigned(grad) : '—'}${partial ? ' …' : ''}`,
    partial ? `∂f/∂${name} so far (more gradient is still to arrive)` : undefined,
  );
  // The value field, as the canvas shows it: the number as typed, full precision.
  const fieldTop = p.y + p.height - 8 - (f.field + 10);
  const fieldWidth = p.width - 16 - 22;
  body += el('rect', {
    x: p.x + 8,
    y: fieldTop,
    width: fieldWidth,
    height: f.field + 10,
    rx: 6,
    fill: c.panel2,
    stroke: c.border,
    'stroke-width': 1,
  });
  body += text(
    {
      x: p.x + 15,
      y: fieldTop + 5 + f.field * 0.82,
      'font-family': MONO,
      'font-size': f.field,
      'font-weight': 600,
      fill: c.value,
      class: 'input-value',
    },
    cut(
      typeof value === 'number' ? String(value) : '0',
      Math.floor((fieldWidth - 12) / (f.field * MONO_ADVANCE)),
    ),
    typeof value === 'number' ? String(value) : undefined,
  );
  return body;
}

/**
 * The current step's chain rule as lines of plain text, for the caption of "copy this step":
 * the timeline's line (`Step 12/20 · forward: q = x + y = 3`) and the same with the inputs'
 * values (`q = −2 + 5 = 3`); for a backward step one line per input, upstream × local = what
 * it receives (and the running sum at a fork).
 */
export function stepCaption(state: PictureState, nameOf: NameOf): string[] {
  const total = state.timeline?.steps.length ?? 0;
  const outputName = state.doc.output ? nameOf(state.doc.output) : 'f';
  if (state.cursor === null) {
    return ['Every value (above each wire) and gradient (below it)'];
  }
  if (state.cursor === 0 || !state.timeline) return ['Reset: only the inputs have values'];
  const step = state.timeline.steps[state.cursor - 1];
  if (!step) return [];
  const head = `Step ${state.cursor}/${total} · `;
  if (step.kind === 'seed') return [`${head}${stepLabel(step, nameOf, outputName)}`];
  if (step.kind === 'forward') {
    // The same line again with the inputs' values in place of their names.
    const values = new Map<string, string>(step.inputs.map((i) => [i.from, formatValue(i.value)]));
    const byValue: NameOf = (id) =>
      id === step.node ? nameOf(id) : (values.get(id) ?? nameOf(id));
    return [
      `${head}${stepLabel(step, nameOf, outputName)}`,
      stepLabel(step, byValue, outputName).replace(/^forward: /, ''),
    ];
  }
  const speech = step.op.paramSpeech(stepParams(step.params));
  const lines = [`${head}backward through ${nameOf(step.node)} (${speech})`];
  for (const t of step.terms) {
    const target = `∂${outputName}/∂${nameOf(t.from)}`;
    const product =
      t.localGrad === null
        ? '(vector-Jacobian product)'
        : `${formatValue(step.upstreamGrad)} (upstream) × ${formatValue(t.localGrad)} (local)`;
    const zero =
      typeof t.before === 'number' ? t.before === 0 : t.before.data.every((x) => x === 0);
    const fork = zero
      ? ''
      : `   ⇒ ${formatValue(t.before)} + ${formatValue(t.contribution)} = ${formatValue(t.after)}`;
    lines.push(`${target} += ${product} = ${formatValue(t.contribution)}${fork}`);
  }
  return lines;
}

/** The diverging colours of a heat map (the canvas's far-out colours), for a light or dark page. */
const HEAT = {
  light: { pos: '#1d64d8', neg: '#e06000' },
  dark: { pos: '#5b9cf5', neg: '#fb923c' },
} as const;
/** How strong each of the five steps of a heat map's colour is (canvas.css, `.heat-pos-1`…). */
const HEAT_STRENGTH = [0, 0.15, 0.32, 0.5, 0.72, 1];

/** Whether a palette is a dark one: its nodes' colour is dark (a colour not in hex: light). */
function isDark(c: Palette): boolean {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c.node.trim());
  if (!m) return false;
  const hex = m[1].length === 3 ? [...m[1]].map((d) => d + d).join('') : m[1];
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}

/** The colour and strength of one heat-map entry (as MatrixView's `heatClass`). */
function heatFill(x: number, max: number, c: Palette): { fill: string; opacity: number } {
  const hue = isDark(c) ? HEAT.dark : HEAT.light;
  if (Number.isNaN(x)) return { fill: c.problem, opacity: 1 };
  if (x === 0 || !(max > 0)) return { fill: c.node, opacity: 1 };
  const level = Number.isFinite(x)
    ? Math.min(5, Math.max(1, Math.ceil((5 * Math.abs(x)) / max)))
    : 5;
  return { fill: x > 0 ? hue.pos : hue.neg, opacity: HEAT_STRENGTH[level] };
}

/**
 * One grid of a tensor at (x, y), as MatrixView draws it: the gradient's ∂ in the gutter,
 * brackets either side, and the numbers (rounded, a gradient signed) or a heat map with a sign
 * in each square and its key under it. Each cell's exact number is its title.
 */
function gridSvg(
  x: number,
  y: number,
  name: string,
  t: Tensor,
  kind: 'value' | 'grad',
  partial: boolean,
  c: Palette,
): string {
  const grid = matrixGrid(t.shape);
  const signed = kind === 'grad';
  const label = signed ? `d${name}` : name;
  const oneD = t.shape.length === 1;
  const cellsX = x + MATRIX.gutter + MATRIX.bracket;
  const cellsW = grid.shownCols * grid.cellWidth;
  const cellsH = grid.shownRows * grid.cellHeight;
  const colour = signed ? c.grad : c.value;
  let out = '';
  if (signed) {
    out += text(
      {
        x,
        y: y + cellsH / 2 + 6,
        'font-family': MONO,
        'font-size': 16,
        'font-weight': 700,
        'font-style': 'italic',
        fill: c.grad,
      },
      '∂',
    );
  }
  const bracket = {
    stroke: c.muted,
    'stroke-width': 2,
    'stroke-dasharray': partial ? '4 3' : undefined,
  };
  out += el('line', {
    x1: x + MATRIX.gutter + 1,
    y1: y,
    x2: x + MATRIX.gutter + 1,
    y2: y + cellsH,
    ...bracket,
  });
  const rightX = cellsX + cellsW + MATRIX.bracket - 1;
  out += el('line', { x1: rightX, y1: y, x2: rightX, y2: y + cellsH, ...bracket });
  const max = grid.kind === 'heat' ? largest(t.data) : 0;
  for (let br = 0; br < grid.shownRows; br++) {
    for (let bc = 0; bc < grid.shownCols; bc++) {
      // The entry standing for the cell (in a block, the largest, as on the canvas).
      let row = br * grid.blockRows;
      let col = bc * grid.blockCols;
      for (let r = row; r < Math.min(grid.rows, (br + 1) * grid.blockRows); r++) {
        for (let k = col; k < Math.min(grid.cols, (bc + 1) * grid.blockCols); k++) {
          if (Math.abs(t.data[r * grid.cols + k]) > Math.abs(t.data[row * grid.cols + col])) {
            row = r;
            col = k;
          }
        }
      }
      const v = t.data[row * grid.cols + col];
      const title = `${label}${oneD ? `[${col}]` : `[${row}][${col}]`} = ${exactNumber(v, signed)}`;
      const cx = cellsX + bc * grid.cellWidth;
      const cy = y + br * grid.cellHeight;
      if (grid.kind === 'numbers') {
        out += text(
          {
            x: cx + grid.cellWidth - 5,
            y: cy + grid.cellHeight * 0.75,
            'text-anchor': 'end',
            'font-family': MONO,
            'font-size': MATRIX.fontSize,
            'font-weight': 600,
            'font-style': signed ? 'italic' : undefined,
            fill: colour,
            class: 'matrix-cell',
          },
          formatCell(v, signed),
          title,
        );
      } else {
        const { fill, opacity } = heatFill(v, max, c);
        out += el(
          'rect',
          {
            x: cx,
            y: cy,
            width: grid.cellWidth,
            height: grid.cellHeight,
            fill,
            'fill-opacity': opacity === 1 ? undefined : opacity,
            class: 'matrix-cell',
          },
          `<title>${escapeXml(title)}</title>`,
        );
        out += text(
          {
            x: cx + grid.cellWidth / 2,
            y: cy + grid.cellHeight * 0.75,
            'text-anchor': 'middle',
            'font-family': MONO,
            'font-size': 12,
            'font-weight': 800,
            fill: opacity >= 0.72 ? c.node : c.text,
          },
          heatGlyph(v),
        );
      }
    }
  }
  if (grid.kind === 'heat') {
    // The key: −max, the colours from deep orange through 0 to deep blue, +max.
    const keyY = y + cellsH + MATRIX.keyHeight / 2;
    const style = { 'font-family': MONO, 'font-size': 13, 'font-weight': 600, fill: c.muted };
    const low = max > 0 ? `\u2212${formatNumber(max, 2)}` : '0';
    out += text({ x: cellsX, y: keyY + 4, ...style }, low);
    let kx = cellsX + [...low].length * 13 * MONO_ADVANCE + 5;
    const steps = cellsW >= 150 ? [-5, -3, -1, 0, 1, 3, 5] : [-5, 0, 5];
    for (const step of steps) {
      const { fill, opacity } = heatFill(step, 5, c);
      out += el('rect', {
        x: kx,
        y: keyY - 5.5,
        width: 11,
        height: 11,
        rx: 2,
        fill,
        'fill-opacity': opacity === 1 ? undefined : opacity,
        stroke: c.border,
        'stroke-width': 0.5,
      });
      kx += 13;
    }
    out += text({ x: kx + 3, y: keyY + 4, ...style }, max > 0 ? `+${formatNumber(max, 2)}` : '0');
  }
  return el('g', { class: `matrix matrix--${kind}` }, out);
}

/** A tensor's value and gradient at (x, y), arranged as `matrixPair` says. */
function pairSvg(
  x: number,
  y: number,
  name: string,
  value: Tensor,
  grad: Tensor | undefined,
  partial: boolean,
  c: Palette,
): string {
  const pair = matrixPair(value.shape);
  let out = gridSvg(x, y, name, value, 'value', false, c);
  if (grad && grad.shape.join('×') === value.shape.join('×')) {
    const gx = pair.arrangement === 'side' ? x + pair.grid.width + MATRIX.gap : x;
    const gy = pair.arrangement === 'side' ? y : y + pair.grid.height + MATRIX.gap;
    out += gridSvg(gx, gy, name, grad, 'grad', partial, c);
  }
  return out;
}

/** A wire's mini heat map of a tensor, above its value's shape or below its gradient's. */
function previewSvg(x: number, y: number, t: Tensor, signed: boolean, c: Palette): string {
  const size = previewSize(t.shape);
  if (!size) return '';
  const [rows, cols] = matrixShape(t.shape);
  const left = x - size.width / 2;
  const top = signed ? y + LABEL_BELOW + PREVIEW.gap : y - LABEL_ABOVE - PREVIEW.gap - size.height;
  const max = largest(t.data);
  let out = '';
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) {
      const { fill, opacity } = heatFill(t.data[r * cols + k], max, c);
      out += el('rect', {
        x: left + k * size.cell,
        y: top + r * size.cell,
        width: size.cell,
        height: size.cell,
        fill,
        'fill-opacity': opacity === 1 ? undefined : opacity,
      });
    }
  }
  out += el('rect', {
    x: left - 0.5,
    y: top - 0.5,
    width: size.width + 1,
    height: size.height + 1,
    fill: 'none',
    stroke: c.muted,
    'stroke-width': 1,
  });
  return el('g', { class: `wire-preview wire-preview--${signed ? 'grad' : 'value'}` }, out);
}
