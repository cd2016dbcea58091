import type { Value } from '../../engine';
import { attrValue, formatNumber } from '../format';
import { useApp } from '../StoreContext';

export interface NodeNumbers {
  readonly value: Value | undefined;
  readonly grad: Value | undefined;
  /** The stable test attributes of DESIGN.md, for the node's root element. */
  readonly attrs: {
    'data-node-id': string;
    'data-value': string;
    'data-grad': string;
    'data-grad-done': 'true' | 'false';
  };
  /** This node is the one the current playback step computes. */
  readonly active: boolean;
  /** Its gradient is complete (always, outside playback). */
  readonly done: boolean;
  /**
   * At a fork, during the step that adds another contribution to this node's gradient:
   * "before + contribution = after". Empty otherwise.
   */
  readonly forkSum: string;
}

/** One node's numbers, each read with its own narrow selector. */
export function useNodeNumbers(id: string): NodeNumbers {
  const value = useApp((s) => s.view.values.get(id));
  const grad = useApp((s) => s.view.grads.get(id));
  const done = useApp((s) => (s.view.done ? s.view.done.get(id) === true : s.view.grads.has(id)));
  const active = useApp(
    (s) => s.cursor !== null && s.cursor > 0 && s.timeline?.steps[s.cursor - 1]?.node === id,
  );
  const forkSum = useApp((s) => {
    if (s.cursor === null || s.cursor === 0 || !s.timeline) return '';
    const step = s.timeline.steps[s.cursor - 1];
    if (step?.kind !== 'backward') return '';
    const term = step.terms.findLast((t) => t.from === id);
    if (!term || typeof term.before !== 'number' || term.before === 0) return '';
    return `${formatNumber(term.before)} + ${formatNumber(term.contribution as number)} = ${formatNumber(term.after as number)}`;
  });
  return {
    value,
    grad,
    active,
    done,
    forkSum,
    attrs: {
      'data-node-id': id,
      'data-value': attrValue(value),
      'data-grad': attrValue(grad),
      'data-grad-done': done ? 'true' : 'false',
    },
  };
}
