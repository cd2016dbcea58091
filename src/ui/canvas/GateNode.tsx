import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo, useEffect, useRef, useState } from 'react';
import { isComposite, type Params } from '../../engine';
import { readoutSize } from '../../store/layout';
import { formatSigned, formatValue, fullText } from '../format';
import { LiteralField, literalText } from '../LiteralField';
import { useApp } from '../StoreContext';
import { useOp } from '../useOp';
import { MatrixPair } from './MatrixView';
import { accessibleName, useNodeNumbers, useWrapperLabel } from './useNodeNumbers';

export type GateNodeData = { op: string; label?: string };
export type GateNodeType = Node<GateNodeData, 'gate'>;

const NO_PARAMS: Params = Object.freeze(Object.create(null));

/** A failed check of a hand-written local gradient, in words with both numbers. */
export function derivativeText(
  gate: string,
  p: { port: string; at: readonly number[]; written: number; numerical: number },
): string {
  if (p.at.length === 0) {
    return `The written d/d${p.port} of ${gate} could not be checked (no point where it and the gate are finite): backprop inside is used instead.`;
  }
  const at = p.at.map((x) => x.toPrecision(4)).join(', ');
  return `The written d/d${p.port} of ${gate} gives ${Number.isFinite(p.written) ? p.written.toPrecision(6) : 'no number'} at ${at}, but numerical differences give ${p.numerical.toPrecision(6)}: backprop inside is used instead.`;
}

/** How long a gate's label may be before it is set smaller to fit the gate. */
function labelSize(label: string): string {
  const n = [...label].length;
  if (n <= 2) return '';
  if (n <= 4) return ' gate-symbol--word';
  return ' gate-symbol--long';
}

/**
 * A gate: its symbol (or, with literals, the gate as the notes draw it: `×−1`, `x²`, `1/x`),
 * its name if it is a named wire, and a port per wired input. A port that holds a literal has
 * no handle: the literal is part of the gate, and a click on it (or Enter on the focused
 * gate) opens a field to change it.
 */
export const GateNode = memo(function GateNode({ id, data, selected }: NodeProps<GateNodeType>) {
  const op = useOp(data.op);
  const composite = isComposite(op) ? op.composite : undefined;
  // A hand-written local gradient that disagrees with numerical differences is flagged here.
  const wrongGradient = composite?.derivativeProblems[0];
  const numbers = useNodeNumbers(id);
  const { value, grad, attrs, active, partial } = numbers;
  const problem = useApp((s) => s.view.nodeProblems.get(id) ?? s.view.nonFinite.get(id));
  // With several gates missing inputs, their messages would sit on top of one another: each
  // then shows only its flag, and its message when selected, hovered or focused.
  const quietProblem = useApp((s) => s.view.nodeProblems.size > 1);
  const isOutput = useApp((s) => s.doc.output === id);
  // The output's readout appears once there is something to read (or during playback, where
  // "—" says the value is still to come): an unfinished circuit shows no "f = —".
  const playing = useApp((s) => s.cursor !== null);
  const embed = useApp((s) => s.mode.embed);
  const params = useApp((s) => s.doc.params.get(id)) ?? NO_PARAMS;
  const [editing, setEditing] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const literalButton = useRef<HTMLButtonElement>(null);
  const ports = op?.ports ?? [];
  const literalPorts = ports.filter((port) => Object.hasOwn(params, port));
  const hasLiterals = literalPorts.length > 0;
  const wiredPorts = ports.filter((port) => !Object.hasOwn(params, port));
  const name = data.label ?? id;
  const label = op ? (hasLiterals ? op.paramLabel(params) : op.symbol) : '?';
  const title = op
    ? `${name}: ${hasLiterals ? op.paramSpeech(params) : op.title}${problem ? ` — ${problem}` : ''}`
    : id;
  const what = `${op ? op.title : data.op}${composite?.known ? ` (${composite.known.name})` : ''} gate ${name}${hasLiterals && op ? ` (${op.paramSpeech(params)})` : ''}${isOutput ? ', the output' : ''}`;
  useWrapperLabel(root, accessibleName(what, numbers, problem));

  // Enter on the focused gate (React Flow's node wrapper) opens the literal's field.
  useEffect(() => {
    if (!hasLiterals || embed) return undefined;
    const wrapper = root.current?.closest('.react-flow__node');
    if (!(wrapper instanceof HTMLElement)) return undefined;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Enter' && event.target === wrapper) setEditing(true);
    };
    wrapper.addEventListener('keydown', onKey);
    return () => wrapper.removeEventListener('keydown', onKey);
  }, [hasLiterals, embed]);

  const close = () => {
    setEditing(false);
    // Back to the literal, so that the keyboard is where it was.
    requestAnimationFrame(() => literalButton.current?.focus());
  };

  const literalSummary = literalPorts.map((port) => `${port} = ${literalText(params[port])}`);
  return (
    <div
      ref={root}
      className={`gate${isOutput ? ' gate--output' : ''}${problem ? ' gate--problem' : ''}${selected ? ' is-selected' : ''}${active ? ' is-active-step' : ''}${hasLiterals ? ' gate--literal' : ''}${wiredPorts.length > 1 ? ' gate--ports' : ''}${wiredPorts.length > 2 ? ' gate--many-ports' : ''}${composite ? ' gate--composite' : ''}`}
      {...attrs}
      data-op={data.op}
      title={title}
    >
      {wiredPorts.map((port, i) => (
        // Spread evenly over the wired ports, as the canvas places them (Canvas's handlesOf).
        <Handle
          key={port}
          type="target"
          position={Position.Left}
          id={port}
          className="port port--in"
          style={{ top: `${((i + 1) / (wiredPorts.length + 1)) * 100}%` }}
        >
          {wiredPorts.length > 1 && (
            <span className="port-name" aria-hidden="true">
              {port}
            </span>
          )}
          <span className="visually-hidden">{`input ${port} of ${name}`}</span>
        </Handle>
      ))}
      {hasLiterals && !embed ? (
        <button
          ref={literalButton}
          type="button"
          className={`gate-symbol gate-literal nodrag${labelSize(label)}`}
          aria-label={`Change literal ${literalPorts.join(', ')} of ${name} (${literalSummary.join(', ')})`}
          title={`${literalSummary.join(', ')}: click to change${literalPorts.length > 1 ? ' them' : ' it'} (or press Enter on the gate)`}
          aria-expanded={editing}
          onClick={(e) => {
            e.stopPropagation();
            setEditing(true);
          }}
        >
          {label}
        </button>
      ) : (
        <span className={`gate-symbol${labelSize(label)}`}>{label}</span>
      )}
      {data.label && <span className="gate-name">{data.label}</span>}
      {wrongGradient && (
        <span
          className="gate-gradient-flag"
          role="img"
          aria-label={`the written d/d${wrongGradient.port} of ${data.op} is wrong: backprop inside is used instead`}
          title={derivativeText(data.op, wrongGradient)}
        >
          ∂?
        </span>
      )}
      {editing && hasLiterals && !embed && (
        <span className="literal-editor">
          {literalPorts.map((port, i) => (
            <LiteralField
              key={port}
              id={id}
              gate={name}
              port={port}
              value={params[port]}
              autoFocus={i === 0}
              onClose={close}
            />
          ))}
        </span>
      )}
      {problem && (
        <>
          <span className="gate-flag" aria-hidden="true">
            !
          </span>
          <span
            className={`gate-problem${quietProblem && !selected ? ' gate-problem--quiet' : ''}`}
          >
            {problem}
          </span>
        </>
      )}
      {partial && !isOutput && (
        <span
          className="so-far-tag gate-so-far"
          title={`∂f/∂${name} so far: ${fullText(grad)} (more gradient is still to arrive)`}
        >
          {/* A tensor's partial sum is on its wires and on hover: the tag stays short. */}
          <span className="so-far-word">Σ so far</span>
          {typeof grad === 'number' ? ` ${formatValue(grad, true)}` : ''}
        </span>
      )}
      {isOutput && typeof value === 'object' && (
        // A tensor output: its shape, then its value's and its gradient's grids.
        <div
          className="output-readout output-readout--matrix"
          style={readoutSize(data.label ?? 'f', value.shape)}
        >
          <span
            className="readout-value readout-head"
            title={`${data.label ?? 'f'} = ${fullText(value)}`}
          >
            {data.label ?? 'f'} = {value.shape.join('×')}
          </span>
          <MatrixPair
            name={data.label ?? 'f'}
            value={value}
            grad={typeof grad === 'object' ? grad : undefined}
            partial={partial}
          />
        </div>
      )}
      {isOutput && typeof value !== 'object' && (value !== undefined || playing) && (
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
