import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo } from 'react';
import { formatValue, fullText } from '../format';
import { useNodeNumbers } from './useNodeNumbers';

export type ConstNodeType = Node<{ op: string; label?: string }, 'constNode'>;

/**
 * A constant node, as circuits of format version 1 held the numbers their gates read. Files,
 * links and autosaves of version 1 are migrated as they open (each constant becomes a literal
 * inside the gates that read it), so this only draws one handed to the store directly.
 */
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
