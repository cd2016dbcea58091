import { useEffect, useMemo, useState } from 'react';
import { suggestGroupings } from '../engine/gates/suggest';
import { docToCircuit } from '../store/document';
import { freeName } from '../store/group';
import type { CommandContext } from './commands';
import { useNameOf } from './playback/names';
import { useApp } from './StoreContext';
import { useSettled } from './useProgramText';
import './group.css';

/**
 * The notes' point about modularity, offered where it applies: when some gates of the circuit
 * compute a function the app knows (a sigmoid spelled out as ×−1, exp, +1, 1/x), a strip
 * says so and offers to group them into one gate. Shown until grouped or dismissed, and
 * again only for a circuit of another structure.
 */
export function Suggestions({ ctx }: { ctx: CommandContext }) {
  const live = useApp((s) => s.doc);
  const embed = useApp((s) => s.mode.embed);
  const playing = useApp((s) => s.cursor !== null);
  // Structure only (a scrub moves no gate), and once it settles.
  const doc = useSettled(
    live,
    (a, b) => a.nodes !== b.nodes || a.wires !== b.wires || a.gates !== b.gates,
  );
  const nameOf = useNameOf();
  const [dismissed, setDismissed] = useState<string | null>(null);
  const opened = useApp((s) => s.doc.opened);
  const suggestion = useMemo(() => {
    if (doc.nodes.length === 0) return undefined;
    // The gates of a composite opened in place are already one gate: Collapse folds them.
    const inside = new Set<string>((opened ?? []).flatMap((o) => o.members));
    return suggestGroupings(docToCircuit(doc)).find((s) => !s.ids.some((id) => inside.has(id)));
  }, [doc, opened]);
  const key = suggestion ? suggestion.ids.join('\u0000') : null;
  useEffect(() => {
    if (key === null) setDismissed(null);
  }, [key]);
  if (!suggestion || embed || playing || key === dismissed) return null;
  const count = suggestion.ids.length;
  const name = freeName(doc, suggestion.known.suggestedName);
  return (
    <section className="notice suggestion" aria-label="Suggested grouping">
      <span className="notice-text">
        {count} gates compute the {suggestion.known.name} of {nameOf(suggestion.input)}: as one gate
        its local gradient is{' '}
        {suggestion.known.localText(
          nameOf(suggestion.input),
          suggestion.known.name === 'sigmoid' ? 'σ' : 'y',
        )}
        , and every number stays the same.
      </span>
      <button
        type="button"
        className="btn notice-action"
        onClick={() => {
          const state = ctx.store.getState();
          state.select([...suggestion.ids], []);
          ctx.openGroup();
        }}
        title={`Select the ${count} gates and group them into one ${name} gate`}
      >
        Group them…
      </button>
      <button
        type="button"
        className="notice-close"
        aria-label="Dismiss the suggestion"
        onClick={() => setDismissed(key)}
      >
        ×
      </button>
    </section>
  );
}
