import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo, useEffect, useRef, useState } from 'react';
import { scalar } from '../../engine';
import { formatSigned, fullText } from '../format';
import { useApp, useAppStore } from '../StoreContext';
import { MatrixPair } from './MatrixView';
import { accessibleName, useNodeNumbers, useWrapperLabel } from './useNodeNumbers';

export type InputNodeType = Node<{ op: string; label?: string }, 'inputNode'>;

/** Parses what a user typed: a number, with a real minus or a comma tolerated. */
export function parseNumber(text: string): number | undefined {
  const t = text
    .trim()
    .replace(/\u2212/g, '-')
    .replace(',', '.');
  if (t === '') return undefined;
  if (/^[-+]?(inf|infinity|∞)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return Number.NaN;
  const x = Number(t);
  return Number.isNaN(x) ? undefined : x;
}

/** An input: its name, its value (typed, scrubbed or scrolled) and its gradient. */
export const InputNode = memo(function InputNode({ id, data, selected }: NodeProps<InputNodeType>) {
  const numbers = useNodeNumbers(id);
  const { value, grad, attrs, forkSum, partial } = numbers;
  // An embedded circuit is for playback only: its values are shown, not edited.
  const embed = useApp((s) => s.mode.embed);
  const root = useRef<HTMLDivElement>(null);
  const name = data.label ?? id;
  useWrapperLabel(root, accessibleName(`input ${name}`, numbers));
  const scalarish = typeof value === 'number' || value === undefined;
  return (
    <div
      ref={root}
      className={`input-node${scalarish ? '' : ' input-node--matrix'}${selected ? ' is-selected' : ''}`}
      {...attrs}
    >
      <div className="input-head">
        <span className="input-name" title={name}>
          {name}
        </span>
        {/* No gradient yet (during playback): nothing, rather than a dash that reads as a minus. */}
        {scalarish && grad !== undefined && (
          <span
            className={`input-grad${partial ? ' is-partial' : ''}`}
            title={
              partial
                ? `∂f/∂${name} so far: ${fullText(grad)} (more gradient is still to arrive)`
                : `∂f/∂${name} = ${fullText(grad)}`
            }
          >
            ∂ {typeof grad === 'number' ? formatSigned(grad) : '?'}
          </span>
        )}
        {typeof value === 'object' && <span className="matrix-shape">{value.shape.join('×')}</span>}
      </div>
      {partial && (
        // A sum still being added up at a fork: tagged, so it never reads as a cut-off number.
        <span className="so-far-tag input-so-far" aria-hidden="true">
          Σ so far
        </span>
      )}
      {scalarish ? (
        embed ? (
          <output className="value-field value-field--readonly" aria-label={`Value of ${name}`}>
            {typeof value === 'number' ? String(value) : ''}
          </output>
        ) : (
          <ScalarField id={id} name={name} value={typeof value === 'number' ? value : 0} />
        )
      ) : (
        <MatrixPair
          name={name}
          value={value}
          grad={typeof grad === 'object' ? grad : undefined}
          partial={partial}
        />
      )}
      {forkSum && (
        <span className="fork-sum" role="note">
          ∂ adds up: {forkSum}
        </span>
      )}
      <Handle type="source" position={Position.Right} id="out" className="port port--out" />
    </div>
  );
});

function ScalarField({ id, name, value }: { id: string; name: string; value: number }) {
  const store = useAppStore();
  const [text, setText] = useState(() => String(value));
  const [editing, setEditing] = useState(false);
  const scrub = useRef<{ x: number; start: number; next?: number; frame?: number } | null>(null);

  // Follow the value when it changes from elsewhere (undo, scrubbing, a new circuit).
  useEffect(() => {
    if (!editing) setText(String(value));
  }, [value, editing]);

  const set = (x: number) => store.getState().setInputValue(id, scalar(x));
  const stepFor = (event: { shiftKey: boolean; altKey: boolean }) =>
    event.shiftKey ? 1 : event.altKey ? 0.001 : 0.01;

  return (
    <div className="input-value nodrag nowheel">
      <input
        className="value-field"
        aria-label={`Value of ${name}`}
        value={editing ? text : String(value)}
        inputMode="decimal"
        spellCheck={false}
        onFocus={(e) => {
          setEditing(true);
          setText(String(value));
          store.getState().beginGesture();
          e.currentTarget.select();
        }}
        onBlur={() => {
          setEditing(false);
          store.getState().endGesture();
        }}
        onChange={(e) => {
          setText(e.target.value);
          const x = parseNumber(e.target.value);
          if (x !== undefined) set(x);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === 'Escape') e.currentTarget.blur();
          if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
            e.preventDefault();
            const x = round(value + (e.key === 'ArrowUp' ? 1 : -1) * stepFor(e) * 10);
            setText(String(x));
            set(x);
          }
          e.stopPropagation();
        }}
        onWheel={(e) => {
          if (document.activeElement !== e.currentTarget) return;
          const x = round(value - Math.sign(e.deltaY) * stepFor(e) * 10);
          setText(String(x));
          set(x);
        }}
        aria-invalid={editing && parseNumber(text) === undefined}
      />
      <span
        className="scrub-handle"
        title="Drag sideways to scrub the value (Shift: faster, Alt: finer)"
        aria-hidden="true"
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          scrub.current = { x: e.clientX, start: value };
          store.getState().beginGesture();
        }}
        onPointerMove={(e) => {
          const s = scrub.current;
          if (!s) return;
          // At most one evaluation per frame, however fast the pointer reports.
          s.next = round(s.start + (e.clientX - s.x) * stepFor(e));
          s.frame ??= requestAnimationFrame(() => {
            s.frame = undefined;
            if (s.next !== undefined) set(s.next);
          });
        }}
        onPointerUp={() => {
          const s = scrub.current;
          if (s?.frame !== undefined) cancelAnimationFrame(s.frame);
          if (s?.next !== undefined) set(s.next);
          scrub.current = null;
          store.getState().endGesture();
        }}
      >
        ⇔
      </span>
    </div>
  );
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
