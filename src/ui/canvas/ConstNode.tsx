import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo } from 'react';
import { attrValue, formatValue, fullText } from '../format';
import { useApp } from '../StoreContext';

export type ConstNodeType = Node<{ op: string; label?: string }, 'constNode'>;

/** A fixed number inside the circuit, such as the 2 of `2 * x`. */
export const ConstNode = memo(function ConstNode({ id, selected }: NodeProps<ConstNodeType>) {
  const value = useApp((s) => s.view.values[id]);
  const grad = useApp((s) => s.view.grads[id]);
  return (
    <div
      className={`const${selected ? ' is-selected' : ''}`}
      data-node-id={id}
      data-value={attrValue(value)}
      data-grad={attrValue(grad)}
      title={`constant ${fullText(value)}`}
    >
      <span className="const-value">{formatValue(value)}</span>
      <Handle type="source" position={Position.Right} id="out" className="port port--out" />
    </div>
  );
});
