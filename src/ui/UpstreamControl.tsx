import { useEffect, useId, useMemo, useState } from 'react';
import type { UpstreamSeed, Value } from '../engine';
import type { DocSeed } from '../store/document';
import { attrValue, formatSigned, fullText } from './format';
import { RowsField } from './RowsField';
import { useApp, useAppStore } from './StoreContext';
import './upstream.css';

type Kind = 'ones' | 'random' | 'onehot' | 'values';

const KIND_TEXT: Record<Kind, string> = {
  ones: 'ones (the gradient of sum)',
  random: 'random dD, fixed seed',
  onehot: 'one entry (one-hot)',
  values: 'values typed in',
};

/** The seed a new random choice starts from (the notes' example uses a fixed one too). */
const FIRST_SEED = 7;

/**
 * The choice of upstream gradient ∂f/∂(output) the backward pass starts from, for a tensor
 * output: ones, a random dD with a fixed seed, one entry set to 1, or values typed in. Hidden
 * for a scalar output (its seed is 1). The dD in use travels in `data-seed` (JSON, full
 * precision), beside the nodes' `data-value` and `data-grad`.
 */
export function UpstreamControl() {
  const store = useAppStore();
  const shape = useApp((s) =>
    s.program.output >= 0 ? s.program.shapes[s.program.output] : undefined,
  );
  const output = useApp((s) => s.doc.output);
  const seed = useApp((s) => s.doc.seed);
  // `seedValue` makes a new value each time it is read: read it once per run.
  const evaluation = useApp((s) => s.evaluation);
  const used = useMemo(() => evaluation.seedValue, [evaluation]);
  const fallback = useApp((s) => s.seedProblem);
  const [error, setError] = useState<string | undefined>();
  const ids = { kind: useId(), seed: useId(), row: useId(), col: useId(), values: useId() };
  if (shape === undefined || shape.length === 0 || output === null) return null;

  const kind: Kind = seed?.kind ?? 'ones';
  const choose = (next: UpstreamSeed): boolean => {
    const why = store.getState().setSeed(next);
    setError(why === undefined ? undefined : capitalise(why));
    return why === undefined;
  };
  const pickKind = (next: Kind) => {
    if (next === kind) return;
    if (next === 'ones') choose({ kind: 'ones' });
    else if (next === 'random') choose({ kind: 'random', seed: FIRST_SEED });
    else if (next === 'onehot') choose({ kind: 'onehot', index: shape.map(() => 0) });
    // Typed values start from the dD in use, rounded as shown, so nothing jumps.
    else choose({ kind: 'values', values: rounded(used) });
  };

  return (
    <fieldset className="upstream" data-seed={attrValue(used)} data-seed-kind={kind}>
      <legend className="inspector-subtitle upstream-legend">Upstream gradient</legend>
      <p className="upstream-what">
        ∂f/∂{output} ({shape.join('×')}): what the backward pass starts from at the output.
      </p>
      <label className="field-label" htmlFor={ids.kind}>
        Kind
      </label>
      <select
        id={ids.kind}
        className="upstream-select"
        value={kind}
        onChange={(e) => pickKind(e.target.value as Kind)}
      >
        {(Object.keys(KIND_TEXT) as Kind[]).map((k) => (
          <option key={k} value={k}>
            {KIND_TEXT[k]}
          </option>
        ))}
      </select>
      {seed?.kind === 'random' && (
        <div className="upstream-row">
          <label className="field-label" htmlFor={ids.seed}>
            Seed
          </label>
          <NumberField
            id={ids.seed}
            value={seed.seed}
            min={0}
            onCommit={(n) => choose({ kind: 'random', seed: n })}
          />
          <button
            type="button"
            className="btn upstream-reroll"
            onClick={() => choose({ kind: 'random', seed: (seed.seed + 1) % 0x100000000 })}
          >
            Next seed
          </button>
        </div>
      )}
      {seed?.kind === 'onehot' && (
        <OneHotFields
          seed={seed}
          shape={shape}
          ids={ids}
          onCommit={(index) => choose({ kind: 'onehot', index })}
        />
      )}
      {seed?.kind === 'values' && (
        <ValuesField id={ids.values} seed={seed} onApply={(values) => choose(values)} />
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}. The previous upstream gradient stays.
        </p>
      )}
      {fallback && (
        <p className="upstream-fallback" role="status">
          Using ones: {fallback}.
        </p>
      )}
      <p className="upstream-now">
        <span className="upstream-now-label">d{output} =</span>{' '}
        <span className="num-grad" title={fullText(used)}>
          {used === undefined ? '—' : preview(used)}
        </span>
      </p>
    </fieldset>
  );
}

function OneHotFields({
  seed,
  shape,
  ids,
  onCommit,
}: {
  seed: Extract<DocSeed, { kind: 'onehot' }>;
  shape: readonly number[];
  ids: { row: string; col: string };
  onCommit: (index: number[]) => void;
}) {
  const index = [...seed.index];
  const set = (axis: number, n: number) => {
    const next = shape.map((_, d) => index[d] ?? 0);
    next[axis] = n;
    onCommit(next);
  };
  const matrix = shape.length === 2;
  return (
    <div className="upstream-row">
      <span className="upstream-pair">
        <label className="field-label" htmlFor={ids.row}>
          {matrix ? 'Row i' : 'Entry i'}
        </label>
        <NumberField
          id={ids.row}
          value={index[0] ?? 0}
          min={0}
          max={shape[0] - 1}
          onCommit={(n) => set(0, n)}
        />
      </span>
      {matrix && (
        <span className="upstream-pair">
          <label className="field-label" htmlFor={ids.col}>
            Column j
          </label>
          <NumberField
            id={ids.col}
            value={index[1] ?? 0}
            min={0}
            max={shape[1] - 1}
            onCommit={(n) => set(1, n)}
          />
        </span>
      )}
      <span className="upstream-hint">0-based, as in NumPy</span>
    </div>
  );
}

/** A whole-number field that commits when its text is a whole number (else waits). */
function NumberField({
  id,
  value,
  min,
  max,
  onCommit,
}: {
  id: string;
  value: number;
  min: number;
  max?: number;
  onCommit: (n: number) => void;
}) {
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  return (
    <input
      id={id}
      className="text-field upstream-number"
      type="number"
      inputMode="numeric"
      step={1}
      min={min}
      max={max}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const n = e.target.value.trim() === '' ? Number.NaN : Number(e.target.value);
        if (Number.isInteger(n) && n !== value) onCommit(n);
      }}
      onBlur={() => setText(String(value))}
    />
  );
}

function ValuesField({
  id,
  seed,
  onApply,
}: {
  id: string;
  seed: Extract<DocSeed, { kind: 'values' }>;
  onApply: (seed: UpstreamSeed) => boolean;
}) {
  const initial = fullText(seed.values.shape.length === 0 ? seed.values.data[0] : seed.values);
  const apply = (text: string) => {
    if (text === initial) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'Write dD as rows of numbers in brackets, e.g. [[1, 0], [0, -1]]. The previous upstream gradient stays.';
    }
    // The store says what is wrong with it (shape, a non-number), shown by the control.
    onApply({ kind: 'values', values: parsed as never });
    return undefined;
  };
  return (
    <div>
      <RowsField
        id={id}
        label="dD, as rows (Ctrl+Enter or leave the field to apply)"
        labelClassName="field-label"
        fieldClassName="upstream-values"
        initial={initial}
        apply={apply}
        applyLabel="Apply"
      />
    </div>
  );
}

/** The value rounded to 3 decimals, as nested arrays (a typed dD starts from it). */
function rounded(v: Value | undefined): number | number[] | number[][] {
  if (v === undefined) return 1;
  const r = (x: number) => Math.round(x * 1000) / 1000 || 0;
  if (typeof v === 'number') return r(v);
  if (v.shape.length === 1) return Array.from(v.data, r);
  const [rows, cols] = v.shape as [number, number];
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) out.push(Array.from(v.data.subarray(i * cols, (i + 1) * cols), r));
  return out;
}

/** A short preview of dD: its shape and first entries (every entry is in the title). */
function preview(v: Value): string {
  if (typeof v === 'number') return formatSigned(v);
  const head = Array.from(v.data.subarray(0, 4), (x) => formatSigned(x, 3)).join(', ');
  return `${v.shape.join('×')} [${head}${v.data.length > 4 ? ', …' : ''}]`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
