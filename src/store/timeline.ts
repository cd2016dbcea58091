import { type Evaluation, type PlaybackStep, playbackSteps, type Value } from '../engine';
import { wireKey } from './document';
import type { ComputedView } from './evaluate';

/**
 * When each number appears during playback, derived once per evaluation from the engine's
 * step list. Step k (0-based) is "done" once the cursor is past it: the cursor counts the
 * steps taken, 0 = reset, `steps.length` = the whole forward and backward pass.
 */
export interface Timeline {
  readonly steps: readonly PlaybackStep[];
  /** Index of the step that computes each gate's value, by node id. */
  readonly forwardAt: ReadonlyMap<string, number>;
  /** Index of the seed step (∂f/∂f = 1), or -1 without an output. */
  readonly seedAt: number;
  /** Each node's gradient contributions in order: at which step, and the running sum after it. */
  readonly contributions: ReadonlyMap<string, readonly { step: number; sum: Value }[]>;
  /** Index of the step after which each node's gradient is complete. */
  readonly doneAt: ReadonlyMap<string, number>;
  /** Index of the backward step that sends a gradient along each wire, by wire key. */
  readonly wireAt: ReadonlyMap<string, number>;
}

export function buildTimeline(evaluation: Evaluation): Timeline {
  const steps = playbackSteps(evaluation);
  const forwardAt = new Map<string, number>();
  const contributions = new Map<string, { step: number; sum: Value }[]>();
  const doneAt = new Map<string, number>();
  const wireAt = new Map<string, number>();
  let seedAt = -1;
  steps.forEach((step, index) => {
    if (step.kind === 'forward') {
      forwardAt.set(step.node, index);
    } else if (step.kind === 'seed') {
      seedAt = index;
      contributions.set(step.node, [{ step: index, sum: step.grad }]);
      doneAt.set(step.node, index);
    } else {
      for (const term of step.terms) {
        wireAt.set(wireKey({ to: step.node, port: term.port }), index);
        const list = contributions.get(term.from);
        if (list) list.push({ step: index, sum: term.after });
        else contributions.set(term.from, [{ step: index, sum: term.after }]);
        if (term.complete) doneAt.set(term.from, index);
      }
    }
  });
  return { steps, forwardAt, seedAt, contributions, doneAt, wireAt };
}

/**
 * What the canvas shows after `cursor` steps: values of inputs, constants and the gates
 * already computed; gradients from their first contribution on (the running sum); wires'
 * gradients once their gate's backward step is taken. At the end every node is complete,
 * including those that do not reach the output (gradient 0).
 */
export function viewAt(live: ComputedView, timeline: Timeline, cursor: number): ComputedView {
  const values = new Map<string, Value>();
  const grads = new Map<string, Value>();
  const wireGrads = new Map<string, Value>();
  const done = new Map<string, boolean>();
  const finished = cursor >= timeline.steps.length;
  for (const [id, value] of live.values) {
    const at = timeline.forwardAt.get(id);
    if (at === undefined || at < cursor) values.set(id, value);
    const list = timeline.contributions.get(id);
    const liveGrad = live.grads.get(id);
    if (list) {
      // The running sum after the last contribution before the cursor (the list is in step order).
      let last: Value | undefined;
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (list[mid].step < cursor) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0) last = list[lo - 1].sum;
      if (last !== undefined) grads.set(id, last);
      const doneStep = timeline.doneAt.get(id);
      done.set(id, doneStep !== undefined && doneStep < cursor);
    } else if (finished && liveGrad !== undefined) {
      grads.set(id, liveGrad);
      done.set(id, true);
    } else {
      done.set(id, false);
    }
  }
  for (const [key, grad] of live.wireGrads) {
    const at = timeline.wireAt.get(key);
    if (at !== undefined && at < cursor) wireGrads.set(key, grad);
  }
  return { ...live, values, grads, wireGrads, done };
}
