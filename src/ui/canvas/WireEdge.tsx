import { BaseEdge, type Edge, type EdgeProps, getBezierPath } from '@xyflow/react';
import { memo } from 'react';
import { formatValue, fullText } from '../format';
import { useApp } from '../StoreContext';

export type WireEdgeType = Edge<Record<string, never>, 'wire'>;

/**
 * A wire, cs231n-style: the value it carries written above it, the gradient flowing back
 * along it written below. Labels are SVG text, cheap to draw.
 */
export const WireEdge = memo(function WireEdge({
  id,
  source,
  sourceX,
  sourceY,
  targetX,
  targetY,
  sourcePosition,
  targetPosition,
  selected,
}: EdgeProps<WireEdgeType>) {
  const value = useApp((s) => s.view.values[source]);
  const grad = useApp((s) => s.view.wireGrads[id]);
  const [path, labelX, labelY] = getBezierPath({
    sourceX,
    sourceY,
    sourcePosition,
    targetX,
    targetY,
    targetPosition,
  });
  return (
    <>
      <BaseEdge id={id} path={path} className={selected ? 'wire is-selected' : 'wire'} />
      {value !== undefined && (
        <text x={labelX} y={labelY - 8} className="wire-label wire-value" textAnchor="middle">
          <title>{`value ${fullText(value)}`}</title>
          {formatValue(value)}
        </text>
      )}
      {grad !== undefined && (
        <text x={labelX} y={labelY + 20} className="wire-label wire-grad" textAnchor="middle">
          <title>{`gradient ${fullText(grad)}`}</title>
          {formatValue(grad, true)}
        </text>
      )}
    </>
  );
});
