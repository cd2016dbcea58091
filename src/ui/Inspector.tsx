import { forwardRef, memo, useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  fromNested,
  type GradientCheck,
  isComposite,
  numericalGradient,
  type OpDef,
  type Params,
  type Tensor,
  type Value,
} from '../engine';
import { matrixShape } from '../store/layout';
import { CompositeDetails } from './CompositeDetails';
import { ExpandButton } from './ExpandButton';
import { exactNumber, formatNumber, formatSigned, formatValue, fullText } from './format';
import { LiteralField } from './LiteralField';
import { useNameOf } from './playback/names';
import { RowsField } from './RowsField';
import { useApp, useAppStore } from './StoreContext';
import { Tex } from './Tex';
import { UpstreamControl } from './UpstreamControl';
import { useOp } from './useOp';
import { useSettled } from './useProgramText';

/**
 * The forward formula of a gate with its literals folded in, read off the declaration's
 * folded local gradient (`∂/∂x (x²) = 2x` gives `x^{2}`); undefined if it has none.
 */
function foldedFormula(gradTex: readonly (string | null)[]): string | undefined {
  for (const tex of gradTex) {
    const m = tex?.match(/^\\frac\{\\partial\}\{\\partial [A-Za-z]+\}\\left\((.*)\\right\) = /s);
    if (m) return m[1];
  }
  return undefined;
}

/** What the inspector writes for a gate: its formula and local gradients, literals folded in. */
function gateFormulas(op: OpDef, params: Params | undefined) {
  if (!params) return { forward: op.formula, local: op.localGradFormulas };
  const folded = op.paramGradTex(params);
  const local = folded.filter((tex): tex is string => tex !== null);
  return { forward: foldedFormula(folded) ?? op.formula, local };
}

/** The side panel: what the selected gate computes, its local gradients and its numbers. */
export const Inspector = memo(
  forwardRef<HTMLInputElement, { pinned: boolean; onClose: () => void }>(function Inspector(
    { pinned, onClose },
    renameRef,
  ) {
    const selected = useApp(useShallow((s) => s.selectedNodes));
    const id = selected.length === 1 ? selected[0] : null;
    if (!id && !pinned) return null;
    return (
      <aside className="inspector" aria-label="Inspector">
        <button
          type="button"
          className="btn btn-ghost inspector-close"
          aria-label="Close the inspector"
          onClick={onClose}
        >
          ×
        </button>
        {id ? (
          <NodeDetails key={id} id={id} renameRef={renameRef} />
        ) : (
          <CircuitSummary count={selected.length} />
        )}
      </aside>
    );
  }),
);

function CircuitSummary({ count }: { count: number }) {
  const output = useApp((s) => s.doc.output);
  const value = useApp((s) => (s.doc.output ? s.view.values.get(s.doc.output) : undefined));
  const problems = useApp((s) => s.problems);
  const nodeCount = useApp((s) => s.doc.nodes.length);
  return (
    <div className="inspector-body">
      <h2 className="inspector-title">Circuit</h2>
      <p className="inspector-line">
        {nodeCount} node{nodeCount === 1 ? '' : 's'}
        {count > 1 ? `, ${count} selected` : ''}
      </p>
      {output && value !== undefined && (
        <p className="inspector-line">
          Output <b>{output}</b> = <span className="num-value">{formatValue(value)}</span>
        </p>
      )}
      <UpstreamControl />
      {problems.length > 0 && (
        <section>
          <h3 className="inspector-subtitle">Needs attention</h3>
          <ul className="problem-list">
            {problems.slice(0, 8).map((p) => (
              <li key={p.message}>{p.message}</li>
            ))}
          </ul>
        </section>
      )}
      <p className="inspector-hint">
        Select a gate to see its formula, its local gradients and the chain rule at work. Press{' '}
        <kbd>?</kbd> for all keyboard shortcuts.
      </p>
    </div>
  );
}

function NodeDetails({ id, renameRef }: { id: string; renameRef: React.Ref<HTMLInputElement> }) {
  const store = useAppStore();
  const node = useApp((s) => s.doc.nodes.find((n) => n.id === id));
  const wires = useApp(useShallow((s) => s.doc.wires.filter((w) => w.to === id)));
  const value = useApp((s) => s.view.values.get(id));
  const grad = useApp((s) => s.view.grads.get(id));
  const problem = useApp((s) => s.view.nodeProblems.get(id));
  const nonFinite = useApp((s) => s.view.nonFinite.get(id));
  const isOutput = useApp((s) => s.doc.output === id);
  const params = useApp((s) => s.doc.params.get(id));
  const op = useOp(node?.op);
  if (!node) return null;
  const name = node.label ?? node.id;
  const formulas = op && op.kind !== 'source' ? gateFormulas(op, params) : undefined;
  const literalPorts = op && params ? op.ports.filter((port) => Object.hasOwn(params, port)) : [];
  // With literals, the wired port is called x in the folded formulas.
  const wiredAs = (port: string) =>
    literalPorts.length > 0 && wires.length === 1 ? `x (port ${port})` : port;
  return (
    <div className="inspector-body">
      <h2 className="inspector-title">
        {name}{' '}
        <span className="inspector-op">
          {op ? (literalPorts.length > 0 && params ? op.paramSpeech(params) : op.title) : node.op}
        </span>
      </h2>
      <RenameField id={id} current={node.id} inputRef={renameRef} />
      {isOutput && <UpstreamControl />}
      {op && formulas && (
        <section>
          <h3 className="inspector-subtitle">Forward</h3>
          <Tex tex={formulas.forward} display />
          <h3 className="inspector-subtitle">
            {formulas.local.length === 1 ? 'Local gradient' : 'Local gradients'}
          </h3>
          {formulas.local.map((f) => (
            <Tex key={f} tex={f} display />
          ))}
          {literalPorts.length > 0 && (
            <p className="inspector-note">
              A literal is part of its gate: it has no gradient of its own.
            </p>
          )}
          {op.pattern && <p className="inspector-pattern">{op.pattern}</p>}
        </section>
      )}
      {isComposite(op) && <CompositeDetails op={op} />}
      <section>
        <h3 className="inspector-subtitle">Numbers</h3>
        <dl className="numbers">
          {wires.map((w) => (
            <WireInput key={w.port} from={w.from} port={wiredAs(w.port)} />
          ))}
          {params &&
            literalPorts.map((port) => (
              <LiteralRow key={port} id={id} name={name} port={port} params={params} />
            ))}
          <dt>value</dt>
          <dd className="num-value" title={fullText(value)}>
            {value === undefined
              ? '—'
              : typeof value === 'number'
                ? formatValue(value)
                : `${value.shape.join('×')}, every entry below`}
          </dd>
          <dt>∂f/∂{name}</dt>
          <dd className="num-grad" title={fullText(grad)}>
            {grad === undefined
              ? '—'
              : typeof grad === 'number'
                ? formatSigned(grad)
                : `${grad.shape.join('×')}, every entry below`}
          </dd>
        </dl>
        {typeof value === 'object' && (
          <EntryTable caption={`${name} (value)`} name={name} tensor={value} kind="value" />
        )}
        {typeof grad === 'object' && (
          <EntryTable caption={`d${name} (gradient)`} name={`d${name}`} tensor={grad} kind="grad" />
        )}
        {(problem || nonFinite) && (
          <p className="inspector-problem">
            {problem ?? `Produces a non-finite value: ${nonFinite}.`}
          </p>
        )}
      </section>
      {node.op === 'input' && typeof value !== 'number' && value !== undefined && (
        <MatrixEditor id={id} name={name} value={value} />
      )}
      {node.op === 'input' && <GradientCheckView id={id} />}
      {/* What can be done with this node. */}
      <div className="inspector-actions">
        <ExpandButton />
        {op && op.kind !== 'source' && !isOutput && (
          <button type="button" className="btn" onClick={() => store.getState().setOutput(id)}>
            Make this the output f
          </button>
        )}
        <button
          type="button"
          className="btn btn-danger"
          onClick={() => store.getState().deleteNodes([id])}
        >
          Delete {name}
        </button>
      </div>
    </div>
  );
}

/** The most rows and columns the inspector lists; the rest are counted. */
const TABLE_MAX = 40;

/**
 * Every entry of a tensor with all its digits, in a table with the row and column numbers
 * (from 0, as in NumPy) along its edges; it scrolls when it is large.
 */
function EntryTable({
  caption,
  name,
  tensor,
  kind,
}: {
  caption: string;
  name: string;
  tensor: Tensor;
  kind: 'value' | 'grad';
}) {
  const [rows, cols] = matrixShape(tensor.shape);
  const shownRows = Math.min(rows, TABLE_MAX);
  const shownCols = Math.min(cols, TABLE_MAX);
  const oneD = tensor.shape.length === 1;
  const body = [];
  for (let r = 0; r < shownRows; r++) {
    const cells = [];
    for (let c = 0; c < shownCols; c++) {
      const x = tensor.data[r * cols + c];
      cells.push(
        <td key={c} title={`${name}${oneD ? `[${c}]` : `[${r}][${c}]`}`}>
          {exactNumber(x, kind === 'grad')}
        </td>,
      );
    }
    body.push(
      <tr key={r}>
        {oneD ? <td className="entry-corner" /> : <th scope="row">{r}</th>}
        {cells}
      </tr>,
    );
  }
  const more =
    rows > shownRows || cols > shownCols
      ? `Showing rows 0–${shownRows - 1} of ${rows} and columns 0–${shownCols - 1} of ${cols}.`
      : '';
  return (
    <section className="entry-table-section">
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a table wider than the panel scrolls, and the keyboard must reach it */}
      <div className="entry-table-wrap" tabIndex={0}>
        <table className={`entry-table entry-table--${kind}`}>
          <caption>
            {caption}, {tensor.shape.join('×')}
          </caption>
          <thead>
            <tr>
              <td className="entry-corner" />
              {Array.from({ length: shownCols }, (_, c) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>{body}</tbody>
        </table>
      </div>
      {more && <p className="inspector-note">{more}</p>}
    </section>
  );
}

function WireInput({ from, port }: { from: string; port: string }) {
  const value = useApp((s) => s.view.values.get(from));
  const name = useNameOf()(from);
  return (
    <>
      <dt>
        {port} ← {name}
      </dt>
      <dd className="num-value" title={fullText(value)}>
        {value === undefined ? '—' : formatValue(value)}
      </dd>
    </>
  );
}

function LiteralRow({
  id,
  name,
  port,
  params,
}: {
  id: string;
  name: string;
  port: string;
  params: Params;
}) {
  return (
    <>
      <dt>{port} (literal)</dt>
      <dd>
        <LiteralField id={id} gate={name} port={port} value={params[port]} />
      </dd>
    </>
  );
}

function RenameField({
  id,
  current,
  inputRef,
}: {
  id: string;
  current: string;
  inputRef: React.Ref<HTMLInputElement>;
}) {
  const store = useAppStore();
  const [text, setText] = useState(current);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => setText(current), [current]);
  const commit = () => {
    const problem = store.getState().rename(id, text);
    setError(problem);
    if (problem) return;
  };
  return (
    <div className="rename">
      <label className="field-label" htmlFor="rename-field">
        Name
      </label>
      <input
        id="rename-field"
        ref={inputRef}
        className="text-field"
        value={text}
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'rename-error' : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setError(undefined);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') {
            setText(current);
            setError(undefined);
          }
        }}
      />
      {error && (
        <p id="rename-error" className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function MatrixEditor({ id, name, value }: { id: string; name: string; value: Value }) {
  const store = useAppStore();
  const apply = (text: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'write the value as numbers in brackets, e.g. [[1, 2], [3, 4]]';
    }
    const t = fromNested(parsed);
    if (typeof t === 'string') return t;
    if (typeof value !== 'number' && t.shape.join('×') !== value.shape.join('×')) {
      return `${name} is ${value.shape.join('×')}; the new value is ${t.shape.join('×')}`;
    }
    store.getState().setInputValue(id, t);
    return undefined;
  };
  return (
    <section>
      <RowsField
        id="matrix-field"
        label={`Value of ${name}`}
        labelClassName="inspector-subtitle"
        fieldClassName=""
        initial={fullText(value)}
        apply={apply}
      />
    </section>
  );
}

const VERDICT_TEXT: Record<GradientCheck['verdict'], string> = {
  ok: 'agrees',
  suspicious: 'suspicious',
  wrong: 'disagrees',
  kink: 'near a kink: the difference quotient straddles it',
};

/**
 * Analytic against numerical gradient for the selected input. It needs two runs of the
 * circuit per entry of every input, so it is worked out only once the numbers have settled
 * (not per frame while a value is scrubbed); until then the last result is shown, dimmed.
 */
function GradientCheckView({ id }: { id: string }) {
  const live = useApp((s) => s.evaluation);
  const evaluation = useSettled(live, (a, b) => a?.program !== b?.program);
  const check = useMemo(() => {
    const program = evaluation?.program;
    if (!program || !evaluation || program.output < 0 || program.size > 200_000) return undefined;
    const slot = program.slot(id);
    if (slot < 0 || program.offsets[slot + 1] - program.offsets[slot] > 400) return undefined;
    return numericalGradient(evaluation).find((c) => c.node === id);
  }, [evaluation, id]);
  if (!check) return null;
  const stale = evaluation !== live;
  return (
    <section className={`gradcheck${stale ? ' is-stale' : ''}`} aria-busy={stale}>
      <h3 className="inspector-subtitle">Gradient check</h3>
      <dl className="numbers">
        <dt>backprop</dt>
        <dd className="num-grad">{formatValue(check.analytic, true)}</dd>
        <dt>numerical</dt>
        <dd className="num-grad">{formatValue(check.numeric, true)}</dd>
        <dt>relative error</dt>
        <dd>{formatNumber(check.relError, 2)}</dd>
      </dl>
      <p className={`verdict verdict--${check.verdict}`}>
        {check.verdict === 'ok' ? '✓ ' : '⚠ '}
        {VERDICT_TEXT[check.verdict]}
        <span className="verdict-note"> (centered difference, h = 10⁻⁵)</span>
      </p>
    </section>
  );
}
