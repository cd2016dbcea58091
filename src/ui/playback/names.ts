import { getOp } from '../../engine';
import type { Doc } from '../../store/document';
import { formatValue } from '../format';
import { callText, type NameOf } from './describe';

/**
 * Names for sentences: a named node by its name, a constant by its value, an unnamed gate by
 * what it computes from its inputs ("(x × y)"), two levels deep at most.
 */
export function makeNameOf(doc: Doc): NameOf {
  const byId = new Map(doc.nodes.map((n) => [n.id as string, n]));
  const inputsOf = new Map<string, { port: string; from: string }[]>();
  for (const w of doc.wires) {
    const list = inputsOf.get(w.to) ?? [];
    list.push({ port: w.port, from: w.from });
    inputsOf.set(w.to, list);
  }
  const name = (id: string, depth: number): string => {
    const node = byId.get(id);
    if (!node) return id;
    if (node.op === 'const') {
      const v = doc.values.get(id);
      return v ? formatValue(v.shape.length === 0 ? v.data[0] : v) : id;
    }
    if (node.label) return node.label;
    if (!id.includes('#')) return id;
    const op = getOp(node.op);
    if (!op || depth <= 0) return '…';
    const args = op.ports.map((port) => {
      const w = inputsOf.get(id)?.find((i) => i.port === port);
      return w ? name(w.from, depth - 1) : '?';
    });
    return `(${callText(op, args)})`;
  };
  return (id) => name(id, 2);
}
