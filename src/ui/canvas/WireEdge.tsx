import { BaseEdge, type Edge, type EdgeProps, getBezierPath, useStore } from '@xyflow/react';
import { memo } from 'react';
import type { Value } from '../../engine';
import { STEP_MS } from '../../store/store';
import { formatValue, fullText } from '../format';
import { useReducedMotion } from '../motion';
import { Pulse } from '../playback/Pulse';
import { useApp } from '../StoreContext';
import { wirePoint } from './labels';
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
  // Below this zoom the labels are too small to read: skip them (they are most of the DOM).
  const readable = useStore((s) => s.transform[2] >= LABEL_MIN_ZOOM);
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
      {readable && value !== undefined && (
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
      {readable && grad !== undefined && (
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

/** A wire shows a number, or for a matrix just its shape: a gradient has its value's shape. */
function wireText(v: Value, signed: boolean): string {
  if (typeof v === 'number') return formatValue(v, signed);
  const shape = v.shape.join('×');
  return signed ? `∂ ${shape}` : shape;
}
