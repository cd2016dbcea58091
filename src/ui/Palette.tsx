import { forwardRef, memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ALL_OPS,
  type DerivativeProblem,
  formatShort,
  type GateDef,
  getOp,
  isComposite,
  type KnownFunction,
  type OpDef,
  type Params,
  resolveOp,
  scalar,
  type Tensor,
} from '../engine';
import { printDefinition } from '../engine/print';
import { gateUses } from '../store/group';
import { DeleteGateDialog, GateDialog } from './GateDialog';
import { useApp, useAppStore } from './StoreContext';
import './gates-palette.css';

const GROUPS: { title: string; families: OpDef['family'][] }[] = [
  { title: 'Values', families: ['source'] },
  { title: 'Arithmetic', families: ['arithmetic'] },
  { title: 'Functions', families: ['function'] },
  { title: 'Matrix', families: ['matrix'] },
];

/** The MIME type a palette button carries when dragged onto the canvas. */
export const PALETTE_MIME = 'application/x-backprop-op';

/** What a palette button adds: an op, and for a parameterised gate its literals. */
export interface PaletteItem {
  readonly op: string;
  readonly params?: Params;
}

/** A preset of the registry (`{ b: 2 }`) as literals: port → scalar tensor. */
function presetParams(preset: Readonly<Record<string, number>>): Params {
  const record: Record<string, Tensor> = Object.create(null);
  for (const port of Object.keys(preset)) record[port] = scalar(preset[port]);
  return record;
}

/**
 * What a drag from the palette carries: the op's name for a plain gate, or for a
 * parameterised one `{"op":"mul","params":{"b":2}}`.
 */
export function paletteData(item: PaletteItem): string {
  if (!item.params) return item.op;
  const literals: Record<string, number> = {};
  for (const port of Object.keys(item.params)) literals[port] = item.params[port].data[0];
  return JSON.stringify({ op: item.op, params: literals });
}

/**
 * Reads what `paletteData` wrote (the canvas calls this on a drop), or undefined for anything
 * else. Only the registry's own presets are accepted: a drop from another page cannot make a
 * gate the palette does not offer.
 */
export function readPaletteData(data: string): PaletteItem | undefined {
  if (!data.startsWith('{')) return getOp(data) ? { op: data } : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  // One of the document's own gates, by name (adding it refuses a name the document lacks).
  const { gate } = parsed as { gate?: unknown };
  if (typeof gate === 'string' && Object.keys(parsed).length === 1) return { op: gate };
  const { op, params } = parsed as { op?: unknown; params?: unknown };
  if (typeof op !== 'string') return undefined;
  const def = getOp(op);
  if (!def || typeof params !== 'object' || params === null) return undefined;
  const wanted = JSON.stringify(params);
  const preset = def.presets.find((p) => JSON.stringify(p) === wanted);
  return preset ? { op, params: presetParams(preset) } : undefined;
}

/** One button of the palette. */
interface Entry {
  readonly key: string;
  readonly item: PaletteItem;
  readonly symbol: string;
  readonly name: string;
  readonly title: string;
}

function inputsText(count: number): string {
  return count === 0 ? 'a value' : `${count} input${count > 1 ? 's' : ''}`;
}

/**
 * An op that the language writes as another op with literals (`square` as `x ^ 2`) is
 * offered as that op's preset, when there is one, rather than twice.
 */
function offeredAsPreset(op: OpDef): boolean {
  const rewrite = op.syntax.rewrite;
  if (!rewrite || rewrite === 'operand') return false;
  const wanted = JSON.stringify(rewrite.params);
  return getOp(rewrite.op)?.presets.some((p) => JSON.stringify(p) === wanted) ?? false;
}

/**
 * A constant node is how version 1 of the format held a number a gate reads; such a number is
 * now a literal inside its gate (the presets below), and a constant node cannot be saved.
 */
const LEGACY = new Set(['const']);

/**
 * Of the vectors and matrices assembled from entries (one op per shape), the palette offers
 * the 2×2 one; the others come from typing `[[a, b, c]]` or from Expand.
 */
const ASSEMBLED_IN_PALETTE = 'matrix2x2';

/** Whether the palette offers an op: of those assembled from entries, one. */
function offered(op: OpDef): boolean {
  return op.syntax.array === undefined || op.name === ASSEMBLED_IN_PALETTE;
}

/** The palette's buttons per group: each op, followed by its parameterised forms. */
const ENTRIES: readonly (readonly Entry[])[] = GROUPS.map((group) =>
  ALL_OPS.filter(
    (op) =>
      group.families.includes(op.family) &&
      !LEGACY.has(op.name) &&
      op.syntax.rewrite !== 'operand' &&
      !offeredAsPreset(op) &&
      offered(op),
  ).flatMap((op) => [
    // An entry gate's indices are numbers written in place: it is offered with them only.
    ...(op.syntax.subscript
      ? []
      : [
          {
            key: op.name,
            item: { op: op.name },
            symbol: op.symbol,
            name: op.title,
            title: `${op.title}: ${inputsText(op.ports.length)}`,
          },
        ]),
    ...op.presets.map((preset) => {
      const params = presetParams(preset);
      const literals = Object.keys(preset);
      return {
        key: `${op.name} ${JSON.stringify(preset)}`,
        item: { op: op.name, params },
        symbol: op.paramLabel(params),
        name: op.paramSpeech(params),
        title: `${op.title} with ${literals.map((p) => `${p} = ${preset[p]}`).join(', ')} inside the gate: ${inputsText(op.ports.length - literals.length)}`,
      };
    }),
  ]),
);

/**
 * Gates to add: click (or Enter) puts one at a free place, dragging drops it where you let go.
 * `onAdded` is told after a click added one (the drawer on a phone closes then). When the
 * list is taller than the window, a "more gates" bar at the bottom says so and scrolls it.
 */
export const Palette = memo(
  forwardRef<HTMLElement, { id?: string; className?: string; onAdded?: () => void }>(
    function Palette({ id, className = '', onAdded }, ref) {
      const store = useAppStore();
      const own = useRef<HTMLElement | null>(null);
      const setRef = useCallback(
        (el: HTMLElement | null) => {
          own.current = el;
          if (typeof ref === 'function') ref(el);
          else if (ref) ref.current = el;
        },
        [ref],
      );
      const [more, setMore] = useState(false);
      const measure = useCallback(() => {
        const el = own.current;
        if (el) setMore(el.scrollTop + el.clientHeight < el.scrollHeight - 8);
      }, []);
      useEffect(() => {
        const el = own.current;
        if (!el) return undefined;
        measure();
        const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure);
        observer?.observe(el);
        return () => observer?.disconnect();
      }, [measure]);
      return (
        <nav
          id={id}
          className={`palette ${className}`}
          aria-label="Gate palette"
          ref={setRef}
          onScroll={measure}
        >
          {GROUPS.map((group, g) => (
            <section key={group.title} className="palette-group">
              <h2 className="palette-title">{group.title}</h2>
              <div className="palette-items">
                {ENTRIES[g].map((entry) => (
                  <button
                    key={entry.key}
                    type="button"
                    className={`palette-item${entry.item.params ? ' palette-item--preset' : ''}`}
                    data-op={entry.item.op}
                    title={entry.title}
                    draggable
                    onDragStart={(e) => {
                      e.dataTransfer.setData(PALETTE_MIME, paletteData(entry.item));
                      e.dataTransfer.effectAllowed = 'copy';
                    }}
                    onClick={() => {
                      store.getState().addNode(entry.item.op, undefined, entry.item.params);
                      onAdded?.();
                    }}
                  >
                    <span className="visually-hidden">Add </span>
                    <span
                      className={`palette-symbol${[...entry.symbol].length > 5 ? ' palette-symbol--long' : ''}`}
                      aria-hidden="true"
                    >
                      {entry.symbol}
                    </span>
                    <span className="palette-name">{entry.name}</span>
                  </button>
                ))}
              </div>
            </section>
          ))}
          <YourGates onAdded={onAdded} />
          {/*
            A pointer's affordance only: the keyboard reaches every gate with Tab anyway. It stays
            in the layout when hidden, so reaching the bottom (which hides it) moves no gate from
            under the pointer.
          */}
          <button
            type="button"
            className={`palette-more${more ? '' : ' palette-more--hidden'}`}
            tabIndex={-1}
            aria-hidden="true"
            onClick={() => {
              const el = own.current;
              el?.scrollBy({ top: el.clientHeight * 0.7, behavior: 'smooth' });
            }}
          >
            ▾ more gates
          </button>
        </nav>
      );
    },
  ),
);

/** What a drag of one of the document's own gates carries (see `readPaletteData`). */
export function gateData(name: string): string {
  return JSON.stringify({ gate: name });
}

/** One of the document's gates as the palette shows it. */
interface GateEntry {
  readonly name: string;
  /** `softplus(x)` */
  readonly signature: string;
  readonly known: KnownFunction | undefined;
  /** The ports whose hand-written gradient failed the check, and each failure in words. */
  readonly flagged: readonly string[];
  readonly problems: readonly string[];
  readonly title: string;
}

/** A failed check of a hand-written gradient, in words: the two numbers and where. */
export function problemText(def: GateDef, problem: DerivativeProblem): string {
  const at = def.ports.map((p, i) => `${p} = ${formatShort(problem.at[i])}`).join(', ');
  const index = def.ports.indexOf(problem.port);
  const written = index >= 0 ? def.derivatives?.[index]?.text : undefined;
  return `d/d${problem.port}${written ? ` = ${written}` : ''} is wrong: at ${at} it gives ${formatShort(problem.written)}, numerical differences give ${formatShort(problem.numerical)}; backpropagation inside the gate is used instead`;
}

function gateEntries(gates: readonly GateDef[]): GateEntry[] {
  return gates.map((def) => {
    const op = resolveOp(def.name, gates);
    const info = isComposite(op) ? op.composite : undefined;
    const known = info?.known;
    const failed = info?.derivativeProblems ?? [];
    const problems = failed.map((p) => problemText(def, p));
    const lines = printDefinition(def, gates) ?? [`${def.name}(${def.ports.join(', ')})`];
    const notes = [
      ...(known ? [`This is ${known.description}.`] : []),
      ...problems.map((p) => `⚠ ${p}.`),
    ];
    return {
      name: def.name,
      signature: `${def.name}(${def.ports.join(', ')})`,
      known,
      flagged: [...new Set(failed.map((p) => p.port as string))],
      problems,
      title: [...lines, ...notes].join('\n'),
    };
  });
}

/**
 * The document's own gates: each added like any gate (click, or drag onto the canvas), with a
 * delete button, and New gate to define more. Deleting a gate the canvas uses asks first.
 */
function YourGates({ onAdded }: { onAdded?: () => void }) {
  const store = useAppStore();
  const gates = useApp((s) => s.doc.gates);
  const entries = useMemo(() => gateEntries(gates ?? []), [gates]);
  const [defining, setDefining] = useState(false);
  const [draft, setDraft] = useState('');
  const [deleting, setDeleting] = useState<{ name: string; uses: number } | undefined>();
  const list = useRef<HTMLUListElement>(null);
  const newButton = useRef<HTMLButtonElement>(null);
  const [justDefined, setJustDefined] = useState(0);

  // After a definition, the gates (the last one defined last) are scrolled into view.
  useEffect(() => {
    if (justDefined === 0) return;
    // Only the palette scrolls (scrollIntoView would also scroll the page's hidden overflow).
    const item = list.current?.lastElementChild;
    const scroller = list.current?.closest('.palette');
    if (!(item instanceof HTMLElement) || !(scroller instanceof HTMLElement)) return;
    const box = item.getBoundingClientRect();
    const view = scroller.getBoundingClientRect();
    // The "more gates" bar (up to 40 px) may cover the bottom of the palette.
    if (box.bottom > view.bottom - 40) scroller.scrollTop += box.bottom - view.bottom + 40;
    else if (box.top < view.top) scroller.scrollTop -= view.top - box.top;
  }, [justDefined]);

  const remove = (name: string) => {
    const state = store.getState();
    const uses = gateUses(state.doc, name);
    // Used inside another gate: the store refuses and says why (a notice).
    if (uses.nodes > 0 && uses.gates.length === 0) setDeleting({ name, uses: uses.nodes });
    else state.deleteGate(name);
  };

  return (
    <section className="palette-group palette-gates" aria-labelledby="palette-your-gates">
      <h2 className="palette-title" id="palette-your-gates">
        Your gates
      </h2>
      {entries.length === 0 && (
        <p className="palette-gates-empty">Define a gate from an expression.</p>
      )}
      {entries.length > 0 && (
        <ul className="palette-gates-list" ref={list}>
          {entries.map((entry) => (
            <li key={entry.name} className="palette-gate">
              <button
                type="button"
                className={`palette-item palette-item--gate${entry.problems.length > 0 ? ' palette-item--flagged' : ''}`}
                data-op={entry.name}
                data-known={entry.known?.name}
                data-flagged={entry.problems.length > 0 ? 'true' : undefined}
                title={entry.title}
                draggable
                onDragStart={(e) => {
                  e.dataTransfer.setData(PALETTE_MIME, gateData(entry.name));
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onClick={() => {
                  if (store.getState().addNode(entry.name) !== null) onAdded?.();
                }}
              >
                <span className="visually-hidden">Add </span>
                <span className="palette-gate-signature">{entry.signature}</span>
                {entry.known && (
                  <span className="palette-gate-known">
                    {entry.known.name === entry.name ? 'known' : `= ${entry.known.name}`}
                    <span className="visually-hidden">
                      {entry.known.name === entry.name ? ` function ${entry.known.name}` : ''}
                    </span>
                  </span>
                )}
                {entry.problems.length > 0 && (
                  <span className="palette-gate-warning">
                    <span aria-hidden="true">⚠</span>{' '}
                    {entry.flagged.map((port) => `d/d${port}`).join(', ')} wrong
                    <span className="visually-hidden">: {entry.problems.join('; ')}</span>
                  </span>
                )}
              </button>
              <button
                type="button"
                className="palette-gate-delete"
                aria-label={`Delete gate ${entry.name}`}
                title={`Delete gate ${entry.name}`}
                onClick={() => remove(entry.name)}
              >
                <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <button
        ref={newButton}
        type="button"
        className="btn palette-new-gate"
        aria-haspopup="dialog"
        onClick={() => setDefining(true)}
      >
        <span aria-hidden="true">+ </span>New gate
      </button>
      <GateDialog
        open={defining}
        text={draft}
        onText={setDraft}
        onClose={() => {
          setDefining(false);
          newButton.current?.focus();
        }}
        onDefined={() => {
          setDefining(false);
          setDraft('');
          setJustDefined((n) => n + 1);
          newButton.current?.focus();
        }}
      />
      <DeleteGateDialog
        name={deleting?.name}
        uses={deleting?.uses ?? 0}
        onCancel={() => setDeleting(undefined)}
        onConfirm={() => {
          if (deleting) store.getState().deleteGate(deleting.name);
          setDeleting(undefined);
          newButton.current?.focus();
        }}
      />
    </section>
  );
}
