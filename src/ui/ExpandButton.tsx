import { useMemo } from 'react';
import type { Doc } from '../store/document';
import { expandAction } from '../store/expand';
import { shapesOf } from '../store/slices/expand';
import { commandLabel, commandTitle } from './commands';
import { useApp, useAppStore } from './StoreContext';
import './expand.css';

/**
 * Expand / Collapse for the one selected gate: a matrix product small enough (up to 3×3 · 3×3)
 * is offered Expand, any gate of an expanded product is offered Collapse, and anything else
 * gets nothing (the button is not drawn). The label and key hint come from the command list.
 */
export function ExpandButton() {
  const store = useAppStore();
  const id = useApp((s) => (s.selectedNodes.length === 1 ? s.selectedNodes[0] : undefined));
  const nodes = useApp((s) => s.doc.nodes);
  const wires = useApp((s) => s.doc.wires);
  const params = useApp((s) => s.doc.params);
  const gates = useApp((s) => s.doc.gates);
  const opened = useApp((s) => s.doc.opened);
  const program = useApp((s) => s.program);
  const embed = useApp((s) => s.mode.embed);
  const action = useMemo(() => {
    if (id === undefined) return undefined;
    // Structure only: values and positions do not change what can be expanded.
    const doc = { ...store.getState().doc, nodes, wires, params, gates, opened } as Doc;
    return expandAction(
      doc,
      id,
      shapesOf(() => ({ ...store.getState(), program })),
    );
  }, [id, nodes, wires, params, gates, opened, program, store]);
  if (!action || id === undefined || embed) return null;
  const command = action.kind;
  return (
    <button
      type="button"
      className="expand-button"
      data-expand={command}
      title={commandTitle(command)}
      onClick={() => {
        const { expandGate, collapseGate } = store.getState();
        if (command === 'expand') expandGate(id);
        else collapseGate(id);
      }}
    >
      {commandLabel(command)}
      <span className="visually-hidden">{` (${action.name})`}</span>
    </button>
  );
}
