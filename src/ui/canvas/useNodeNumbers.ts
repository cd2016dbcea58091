import { useLayoutEffect } from 'react';
import type { Value } from '../../engine';
import { attrValue, formatNumber, formatValue } from '../format';
import { useApp } from '../StoreContext';

export interface NodeNumbers {
  readonly value: Value | undefined;
  readonly grad: Value | undefined;
  /** The stable test attributes (see docs/ARCHITECTURE.md, "Tests and benchmarks"), for the node's root element. */
  readonly attrs: {
    'data-node-id': string;
    'data-value': string;
    'data-grad': string;
    'data-grad-done': 'true' | 'false';
    /** The gradient's sign and size, for the colours drawn when zoomed far out. */
    'data-grad-sign'?: 'pos' | 'neg' | 'zero';
    'data-grad-level'?: string;
  };
  /** This node is the one the current playback step computes. */
  readonly active: boolean;
  /** Its gradient is complete (always, outside playback). */
  readonly done: boolean;
  /** Its gradient is a partial sum: some of the gates it feeds have not sent theirs yet. */
  readonly partial: boolean;
  /**
   * At a fork, during the step that adds another contribution to this node's gradient:
   * "before + contribution = after". Empty otherwise.
   */
  readonly forkSum: string;
}

/**
 * How large a gradient is, in five steps of a factor of ten (below 0.001, below 0.01, below
 * 0.1, below 1, from 1 up): the width and strength of its colour when zoomed far out.
 */
export function gradLevel(g: number): number {
  const a = Math.abs(g);
  if (!(a > 0)) return 0;
  if (!Number.isFinite(a)) return 4;
  return Math.max(0, Math.min(4, Math.floor(Math.log10(a)) + 4));
}

/** The sign of a gradient for colour ('zero' for 0, NaN or a matrix with no clear sign). */
export function gradSign(g: Value | undefined): 'pos' | 'neg' | 'zero' | undefined {
  if (g === undefined) return undefined;
  const x = typeof g === 'number' ? g : sum(g.data);
  return x > 0 ? 'pos' : x < 0 ? 'neg' : 'zero';
}

function sum(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  return s;
}

/** The largest size of a gradient's entries (the number itself for a scalar). */
export function magnitude(g: Value): number {
  if (typeof g === 'number') return g;
  let m = 0;
  for (let i = 0; i < g.data.length; i++) m = Math.max(m, Math.abs(g.data[i]));
  return m;
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
  const sign = gradSign(grad);
  return {
    value,
    grad,
    active,
    done,
    partial: grad !== undefined && !done,
    forkSum,
    attrs: {
      'data-node-id': id,
      'data-value': attrValue(value),
      'data-grad': attrValue(grad),
      'data-grad-done': done ? 'true' : 'false',
      ...(sign === undefined || grad === undefined
        ? {}
        : { 'data-grad-sign': sign, 'data-grad-level': String(gradLevel(magnitude(grad))) }),
    },
  };
}

/**
 * What a screen reader hears for a node: what it is, its name, its value and its gradient
 * ("multiply gate f, value −12, gradient 1"); a gradient still being summed at a fork is
 * "gradient so far 2", and a problem is named last.
 */
export function accessibleName(
  what: string,
  numbers: Pick<NodeNumbers, 'value' | 'grad' | 'partial'>,
  problem?: string,
): string {
  const parts = [what];
  const { value, grad, partial } = numbers;
  parts.push(value === undefined ? 'no value yet' : `value ${spoken(value)}`);
  if (grad !== undefined) parts.push(`${partial ? 'gradient so far' : 'gradient'} ${spoken(grad)}`);
  if (problem) parts.push(problem);
  return parts.join(', ');
}

function spoken(v: Value): string {
  return typeof v === 'number' ? formatNumber(v) : formatValue(v);
}

/**
 * Gives the node's React Flow wrapper (the focusable element) the accessible name `name`. Set
 * here rather than in the node objects the canvas hands React Flow, so that a changed number
 * re-renders this node alone.
 */
export function useWrapperLabel(root: { current: HTMLElement | null }, name: string): void {
  useLayoutEffect(() => {
    const wrapper = root.current?.closest('.react-flow__node');
    if (wrapper instanceof HTMLElement) wrapper.setAttribute('aria-label', name);
  }, [root, name]);
}
