import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo } from 'react';
import { formatValue, fullText } from '../format';
import { useNodeNumbers } from './useNodeNumbers';

export type ConstNodeType = Node<{ op: string; label?: string }, 'constNode'>;

/** A fixed number inside the circuit, such as the 2 of `2 * x`. */
export const ConstNode = memo(function ConstNode({ id, selected }: NodeProps<ConstNodeType>) {
  const { value, attrs } = useNodeNumbers(id);
  return (
    <div
      className={`const${selected ? ' is-selected' : ''}`}
      {...attrs}
      title={`constant ${fullText(value)}`}
    >
      <span className="const-value">{formatValue(value)}</span>
      <Handle type="source" position={Position.Right} id="out" className="port port--out" />
    </div>
  );
});
