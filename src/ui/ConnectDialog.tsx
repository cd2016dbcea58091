import { useMemo, useState } from 'react';
import { resolveOp, type Tensor } from '../engine';
import { connectionProblem, wireKey } from '../store/document';
import { Dialog } from './Dialog';
import { literalText } from './LiteralField';
import { useApp, useAppStore } from './StoreContext';

/**
 * Wiring without a mouse: choose the node whose output to use, then a free input port.
 * Ports that would make a loop or are taken are left out of the list.
 */
export function ConnectDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog title="Connect" open={open} onClose={onClose}>
      {open && <ConnectForm onClose={onClose} />}
    </Dialog>
  );
}

/** Mounted only while the dialog is open: the list of free ports is not kept up to date otherwise. */
function ConnectForm({ onClose }: { onClose: () => void }) {
  const store = useAppStore();
  const doc = useApp((s) => s.doc);
  const selected = useApp((s) => s.selectedNodes);
  const [from, setFrom] = useState<string>('');
  const [to, setTo] = useState<string>('');
  const source = from || selected[0] || doc.nodes[0]?.id || '';

  const targets = useMemo(() => {
    const list: { key: string; node: string; port: string; label: string }[] = [];
    for (const node of doc.nodes) {
      const op = resolveOp(node.op, doc.gates);
      for (const port of op?.ports ?? []) {
        if (connectionProblem(doc, source, node.id, port)) continue;
        list.push({
          key: wireKey({ to: node.id, port }),
          node: node.id,
          port,
          label: `${node.label ?? node.id} (${op?.title}) — port ${port}${literalNote(doc.params.get(node.id)?.[port])}`,
        });
      }
    }
    return list;
  }, [doc, source]);
  const target = targets.find((t) => t.key === to) ?? targets[0];

  return (
    <form
      className="connect-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (target && store.getState().connect(source, target.node, target.port)) onClose();
      }}
    >
      <label className="field-label" htmlFor="connect-from">
        Output of
      </label>
      <select
        id="connect-from"
        className="text-field"
        value={source}
        onChange={(e) => setFrom(e.target.value)}
      >
        {doc.nodes.map((n) => (
          <option key={n.id} value={n.id}>
            {n.label ?? n.id} ({resolveOp(n.op, doc.gates)?.title ?? n.op})
          </option>
        ))}
      </select>
      <label className="field-label" htmlFor="connect-to">
        Into
      </label>
      <select
        id="connect-to"
        className="text-field"
        value={target?.key ?? ''}
        onChange={(e) => setTo(e.target.value)}
        onKeyDown={submitOnEnter}
        disabled={targets.length === 0}
      >
        {targets.length === 0 && <option value="">no free port can take it</option>}
        {targets.map((t) => (
          <option key={t.key} value={t.key}>
            {t.label}
          </option>
        ))}
      </select>
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={!target}>
          Connect
        </button>
      </div>
    </form>
  );
}

/** A select swallows Enter; in this form Enter means "Connect". */
function submitOnEnter(event: React.KeyboardEvent<HTMLSelectElement>) {
  if (event.key === 'Enter') {
    event.preventDefault();
    event.currentTarget.form?.requestSubmit();
  }
}

/** A port that holds a literal can take a wire instead: the option says the literal goes. */
function literalNote(literal: Tensor | undefined): string {
  return literal ? ` (in place of the literal ${literalText(literal)})` : '';
}
