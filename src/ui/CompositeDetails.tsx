import './group.css';
import { type CompositeOp, printDefinition } from '../engine';
import { derivativeText } from './canvas/GateNode';
import { useApp } from './StoreContext';

/**
 * What a composite gate is made of, in the Inspector: its definition as a program, what it
 * computes when the app knows the function, how its local gradients are found, and any
 * hand-written local gradient that failed its check (with both numbers).
 */
export function CompositeDetails({ op }: { op: CompositeOp }) {
  const gates = useApp((s) => s.doc.gates) ?? [];
  const info = op.composite;
  const lines = printDefinition(info.def, gates);
  const inside = info.def.body.nodes.filter((n) => n.op !== 'input').length;
  return (
    <section className="composite-details">
      <h3 className="inspector-subtitle">Inside</h3>
      <p className="inspector-note">
        A composite of {inside} gate{inside === 1 ? '' : 's'}
        {info.known ? `: it computes ${info.known.description}` : ''}.{' '}
        {info.written.some(Boolean)
          ? 'Its hand-written local gradient passed the numerical check and is used.'
          : 'Its local gradients come from backpropagation inside it.'}{' '}
        Expand (<kbd>X</kbd>) opens it in place; Collapse (<kbd>Shift</kbd>+<kbd>X</kbd>) closes it.
      </p>
      {lines && <pre className="composite-definition">{lines.join('\n')}</pre>}
      {info.derivativeProblems.map((p) => (
        <p key={p.port} className="inspector-problem" role="status">
          {derivativeText(info.def.name, p)}
        </p>
      ))}
    </section>
  );
}
