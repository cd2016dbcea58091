import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo } from 'react';
import { getOp } from '../../engine';
import { formatSigned, formatValue, fullText } from '../format';
import { useApp } from '../StoreContext';
import { useNodeNumbers } from './useNodeNumbers';

export type GateNodeData = { op: string; label?: string };
export type GateNodeType = Node<GateNodeData, 'gate'>;

/** A gate: its symbol, its name if it is a named wire, and a port per input. */
export const GateNode = memo(function GateNode({ id, data, selected }: NodeProps<GateNodeType>) {
  const op = getOp(data.op);
  const { value, grad, attrs, active } = useNodeNumbers(id);
  const problem = useApp((s) => s.view.nodeProblems.get(id) ?? s.view.nonFinite.get(id));
  const isOutput = useApp((s) => s.doc.output === id);
  const ports = op?.ports ?? [];
  const title = op ? `${data.label ?? id}: ${op.title}${problem ? ` — ${problem}` : ''}` : id;
  return (
    <div
      className={`gate${isOutput ? ' gate--output' : ''}${problem ? ' gate--problem' : ''}${selected ? ' is-selected' : ''}${active ? ' is-active-step' : ''}`}
      {...attrs}
      data-op={data.op}
      title={title}
    >
      {ports.map((port, i) => (
        <Handle
          key={port}
          type="target"
          position={Position.Left}
          id={port}
          className="port port--in"
          style={{ top: `${((i + 1) / (ports.length + 1)) * 100}%` }}
          aria-label={`input ${port} of ${data.label ?? id}`}
        >
          {ports.length > 1 && <span className="port-name">{port}</span>}
        </Handle>
      ))}
      <span className={`gate-symbol${(op?.symbol.length ?? 1) > 2 ? ' gate-symbol--word' : ''}`}>
        {op?.symbol ?? '?'}
      </span>
      {data.label && <span className="gate-name">{data.label}</span>}
      {problem && (
        <>
          <span className="gate-flag" aria-hidden="true">
            !
          </span>
          <span className="gate-problem">{problem}</span>
        </>
      )}
      {isOutput && (
        <div className="output-readout">
          <span className="readout-value" title={fullText(value)}>
            {data.label ?? 'f'} = {value === undefined ? '—' : formatValue(value)}
          </span>
          <span className="readout-grad" title={fullText(grad)}>
            ∂{' '}
            {grad === undefined
              ? '—'
              : typeof grad === 'number'
                ? formatSigned(grad)
                : formatValue(grad, true)}
          </span>
        </div>
      )}
      <Handle type="source" position={Position.Right} id="out" className="port port--out" />
    </div>
  );
});
