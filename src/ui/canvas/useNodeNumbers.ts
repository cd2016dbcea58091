import type { Value } from '../../engine';
import { attrValue } from '../format';
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
}

/** One node's numbers, each read with its own narrow selector. */
export function useNodeNumbers(id: string): NodeNumbers {
  const value = useApp((s) => s.view.values[id]);
  const grad = useApp((s) => s.view.grads[id]);
  const done = useApp((s) =>
    s.view.done ? s.view.done[id] === true : s.view.grads[id] !== undefined,
  );
  const active = useApp(
    (s) => s.cursor !== null && s.cursor > 0 && s.timeline?.steps[s.cursor - 1]?.node === id,
  );
  return {
    value,
    grad,
    active,
    attrs: {
      'data-node-id': id,
      'data-value': attrValue(value),
      'data-grad': attrValue(grad),
      'data-grad-done': done ? 'true' : 'false',
    },
  };
}
