import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { resolveOp } from '../../engine';
import type { Doc } from '../../store/document';
import { formatValue } from '../format';
import { useApp } from '../StoreContext';
import type { NameOf } from './describe';

/** What follows the `#` of a generated id (`add#3` → `3`), or the whole id. */
function serial(id: string): string {
  const at = id.lastIndexOf('#');
  return at < 0 ? id : id.slice(at + 1);
}

/** A literal form longer than this (`×0.3333`, a matrix) names the gate by its symbol. */
const SHORT_FORM = 6;

/**
 * Names for sentences: a named node by its name; an unnamed gate by what it is, short, as
 * the canvas draws it: its literal form (`x² gate`, `+1 gate`) or its symbol (`exp gate`,
 * `× gate` for a long literal), with its number (`+1 gate #3`) when another unnamed gate
 * would read the same. Never by its whole sub-expression. A constant node of an older
 * circuit is named by its value.
 */
export function makeNameOf(doc: Pick<Doc, 'nodes' | 'values' | 'params' | 'gates'>): NameOf {
  const names = new Map<string, string>();
  const unnamed = new Map<string, string>();
  const uses = new Map<string, number>();
  for (const node of doc.nodes) {
    if (node.op === 'const') {
      const v = doc.values.get(node.id);
      names.set(node.id, v ? formatValue(v.shape.length === 0 ? v.data[0] : v) : node.id);
    } else if (node.label !== undefined) {
      names.set(node.id, node.label);
    } else if (!node.id.includes('#')) {
      names.set(node.id, node.id);
    } else {
      const op = resolveOp(node.op, doc.gates);
      const params = doc.params.get(node.id);
      const form = op && params ? op.paramLabel(params) : '';
      const short = form !== '' && [...form].length <= SHORT_FORM ? form : op?.symbol;
      const shown = op ? `${short} gate` : node.id;
      unnamed.set(node.id, shown);
      uses.set(shown, (uses.get(shown) ?? 0) + 1);
    }
  }
  for (const [id, shown] of unnamed) {
    names.set(id, (uses.get(shown) ?? 0) > 1 ? `${shown} #${serial(id)}` : shown);
  }
  return (id) => names.get(id) ?? id;
}

const NO_VALUES: Doc['values'] = new Map();

/**
 * The names of the circuit in hand, made again only when they can change: when nodes or
 * literals change, not on every edit of an input's value (which a scrub makes every frame).
 * Only a constant node of an older circuit is named by its value.
 */
export function useNameOf(): NameOf {
  const { nodes, params, values, gates } = useApp(
    useShallow((s) => {
      const hasConstants = s.doc.nodes.some((n) => n.op === 'const');
      return {
        nodes: s.doc.nodes,
        params: s.doc.params,
        values: hasConstants ? s.doc.values : NO_VALUES,
        gates: s.doc.gates,
      };
    }),
  );
  return useMemo(
    () => makeNameOf({ nodes, params, values, gates }),
    [nodes, params, values, gates],
  );
}
