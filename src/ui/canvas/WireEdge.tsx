import { BaseEdge, type Edge, type EdgeProps, getBezierPath, useStore } from '@xyflow/react';
import { memo } from 'react';
import type { Tensor } from '../../engine';
import { LABEL_ABOVE, LABEL_BELOW, matrixShape, PREVIEW, previewSize } from '../../store/layout';
import { STEP_MS } from '../../store/store';
import { formatValue, fullText } from '../format';
import { useReducedMotion } from '../motion';
import { Pulse } from '../playback/Pulse';
import { useApp } from '../StoreContext';
import { hidesTensorLabel, wirePoint } from './labels';
import { heatClass, largest } from './MatrixView';
import { gradLevel, gradSign, magnitude } from './useNodeNumbers';

/** Wire labels are drawn from this zoom up (16 px text shows at 6 px and more). */
export const LABEL_MIN_ZOOM = 0.38;

/** `labelAt`: where along the wire its labels sit (0.5, the middle, when absent). */
export type WireEdgeType = Edge<{ labelAt?: number }, 'wire'>;

/**
 * A wire, cs231n-style: the value it carries written above it, the gradient flowing back
 * along it written below. Labels are SVG text, cheap to draw. During playback the wires of
 * the current step carry a pulse, and a gradient label appears as the pulse arrives.
 */
export const WireEdge = memo(function WireEdge({
  id,
  source,
  target,
  sourceX,
  sourceY,
  targetX,
  targetY,
  sourcePosition,
  targetPosition,
  selected,
  data,
}: EdgeProps<WireEdgeType>) {
  const value = useApp((s) => s.view.values.get(source));
  const grad = useApp((s) => s.view.wireGrads.get(id));
  // "12:backward" while this wire belongs to step 12, a backward step; '' otherwise.
  const activity = useApp((s) => {
    if (s.cursor === null || s.cursor === 0 || !s.timeline) return '';
    const step = s.timeline.steps[s.cursor - 1];
    if (!step || step.kind === 'seed' || step.node !== target) return '';
    return `${s.cursor}:${step.kind}`;
  });
  const duration = useApp((s) => Math.round((STEP_MS * 0.75) / s.speed));
  // A wire into an entry gate does not repeat its tensor's shape (see `hidesTensorLabel`).
  const intoEntry = useApp((s) => {
    const slot = s.program.slot(target);
    return hidesTensorLabel(slot >= 0 ? s.program.ops[slot]?.name : undefined);
  });
  // Below this zoom the labels are too small to read: skip them (they are most of the DOM).
  const readable = useStore((s) => s.transform[2] >= LABEL_MIN_ZOOM);
  // A tensor's preview beside its shape, from the zoom where its cells are 2 px and more. A
  // wire carrying a number has none, so it never re-renders when the zoom crosses that line.
  const carriesTensor = value !== undefined && typeof value !== 'number';
  const previews = useStore((s) => carriesTensor && s.transform[2] >= PREVIEW_MIN_ZOOM);
  // One media query for the whole app (motion.ts): a wire only joins its list of readers.
  const reduced = useReducedMotion();
  const [path, midX, midY] = getBezierPath({
    sourceX,
    sourceY,
    sourcePosition,
    targetX,
    targetY,
    targetPosition,
  });
  const at =
    data?.labelAt === undefined
      ? { x: midX, y: midY }
      : wirePoint({ sx: sourceX, sy: sourceY, tx: targetX, ty: targetY }, data.labelAt);
  const labelX = at.x;
  const labelY = at.y;
  const direction = activity.endsWith('backward') ? 'backward' : 'forward';
  const active = activity !== '';
  // Far out the labels give way to colour: the sign of the gradient the wire carries back
  // (blue +, orange −) and its size (the stroke's width), drawn by canvas.css.
  const sign = gradSign(grad);
  const level = grad === undefined ? 0 : gradLevel(magnitude(grad));
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        className={`wire${selected ? ' is-selected' : ''}${active ? ` is-active is-${direction}` : ''}${sign ? ` wire--grad-${sign} wire--level-${level}` : ''}`}
      />
      {active && !reduced && (
        <Pulse key={`pulse ${activity}`} path={path} direction={direction} duration={duration} />
      )}
      {readable && !intoEntry && typeof value === 'object' && (
        <TensorLabel
          key={active && direction === 'forward' && !reduced ? `value ${activity}` : 'value'}
          x={labelX}
          y={labelY}
          tensor={value}
          signed={false}
          arriving={active && direction === 'forward' && !reduced}
          delay={duration}
          preview={previews}
        />
      )}
      {readable && !intoEntry && typeof grad === 'object' && (
        <TensorLabel
          key={active && direction === 'backward' && !reduced ? `grad ${activity}` : 'grad'}
          x={labelX}
          y={labelY}
          tensor={grad}
          signed
          arriving={active && direction === 'backward' && !reduced}
          delay={duration}
          preview={previews}
        />
      )}
      {readable && typeof value === 'number' && (
        <text
          key={active && direction === 'forward' && !reduced ? `value ${activity}` : 'value'}
          x={labelX}
          y={labelY - 8}
          className={`wire-label wire-value${active && direction === 'forward' && !reduced ? ' arriving' : ''}`}
          style={{ animationDelay: `${duration}ms` }}
          textAnchor="middle"
        >
          <title>{`value ${fullText(value)}`}</title>
          {wireText(value, false)}
        </text>
      )}
      {readable && typeof grad === 'number' && (
        <text
          key={active && direction === 'backward' && !reduced ? `grad ${activity}` : 'grad'}
          x={labelX}
          y={labelY + 6}
          dominantBaseline="hanging"
          className={`wire-label wire-grad${active && direction === 'backward' && !reduced ? ' arriving' : ''}`}
          style={{ animationDelay: `${duration}ms` }}
          textAnchor="middle"
        >
          <title>{`gradient ${fullText(grad)}`}</title>
          {wireText(grad, true)}
        </text>
      )}
    </>
  );
});

/** A wire shows a number; a tensor is written as its shape (TensorLabel). */
function wireText(v: number, signed: boolean): string {
  return formatValue(v, signed);
}

/** Previews are drawn from this zoom up (a 4 px cell shows at 2.4 px and more). */
export const PREVIEW_MIN_ZOOM = 0.6;

/**
 * A tensor on a wire: its shape (`5×10` above the wire, `∂ 5×10` below) and, on the far side
 * of it from the wire, a mini heat map of its entries (blue +, orange −, deeper for larger),
 * when the tensor is small enough to preview and the view close enough to see it. The layout
 * keeps room for both (`labelWidth`, `labelExtent`).
 */
const TensorLabel = memo(function TensorLabel({
  x,
  y,
  tensor,
  signed,
  arriving,
  delay,
  preview: showPreview,
}: {
  x: number;
  y: number;
  tensor: Tensor;
  signed: boolean;
  arriving: boolean;
  delay: number;
  preview: boolean;
}) {
  const shape = tensor.shape.join('×');
  const size = showPreview ? previewSize(tensor.shape) : null;
  return (
    <>
      <text
        x={x}
        y={signed ? y + 6 : y - 8}
        dominantBaseline={signed ? 'hanging' : undefined}
        className={`wire-label ${signed ? 'wire-grad' : 'wire-value'}${arriving ? ' arriving' : ''}`}
        style={{ animationDelay: `${delay}ms` }}
        textAnchor="middle"
      >
        <title>{`${signed ? 'gradient' : 'value'} ${fullText(tensor)}`}</title>
        {signed ? `∂ ${shape}` : shape}
      </text>
      {size && (
        <MiniHeat
          tensor={tensor}
          x={x - size.width / 2}
          y={signed ? y + LABEL_BELOW + PREVIEW.gap : y - LABEL_ABOVE - PREVIEW.gap - size.height}
          cell={size.cell}
          className={`wire-preview wire-preview--${signed ? 'grad' : 'value'}${arriving ? ' arriving' : ''}`}
          delay={delay}
        />
      )}
    </>
  );
});

function MiniHeat({
  tensor,
  x,
  y,
  cell,
  className,
  delay,
}: {
  tensor: Tensor;
  x: number;
  y: number;
  cell: number;
  className: string;
  delay: number;
}) {
  const [rows, cols] = matrixShape(tensor.shape);
  const max = largest(tensor.data);
  const rects = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      rects.push(
        <rect
          key={r * cols + c}
          x={x + c * cell}
          y={y + r * cell}
          width={cell}
          height={cell}
          className={heatClass(tensor.data[r * cols + c], max)}
        />,
      );
    }
  }
  return (
    <g className={className} style={{ animationDelay: `${delay}ms` }}>
      {rects}
      <rect
        className="preview-frame"
        x={x - 0.5}
        y={y - 0.5}
        width={cols * cell + 1}
        height={rows * cell + 1}
      />
    </g>
  );
}
