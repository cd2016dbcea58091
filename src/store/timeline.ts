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
  /** Index of the step that computes each gate's value. */
  readonly forwardAt: Readonly<Record<string, number>>;
  /** Index of the seed step (∂f/∂f = 1), or -1 without an output. */
  readonly seedAt: number;
  /** Each node's gradient contributions in order: at which step, and the running sum after it. */
  readonly contributions: Readonly<Record<string, readonly { step: number; sum: Value }[]>>;
  /** Index of the step after which each node's gradient is complete. */
  readonly doneAt: Readonly<Record<string, number>>;
  /** Index of the backward step that sends a gradient along each wire. */
  readonly wireAt: Readonly<Record<string, number>>;
}

export function buildTimeline(evaluation: Evaluation): Timeline {
  const steps = playbackSteps(evaluation);
  const forwardAt: Record<string, number> = {};
  const contributions: Record<string, { step: number; sum: Value }[]> = {};
  const doneAt: Record<string, number> = {};
  const wireAt: Record<string, number> = {};
  let seedAt = -1;
  steps.forEach((step, index) => {
    if (step.kind === 'forward') {
      forwardAt[step.node] = index;
    } else if (step.kind === 'seed') {
      seedAt = index;
      contributions[step.node] = [{ step: index, sum: step.grad }];
      doneAt[step.node] = index;
    } else {
      for (const term of step.terms) {
        wireAt[wireKey({ to: step.node, port: term.port })] = index;
        const list = contributions[term.from] ?? [];
        list.push({ step: index, sum: term.after });
        contributions[term.from] = list;
        if (term.complete) doneAt[term.from] = index;
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
  const values: Record<string, Value> = {};
  const grads: Record<string, Value> = {};
  const wireGrads: Record<string, Value> = {};
  const done: Record<string, boolean> = {};
  const finished = cursor >= timeline.steps.length;
  for (const id of Object.keys(live.values)) {
    const at = timeline.forwardAt[id];
    if (at === undefined || at < cursor) values[id] = live.values[id];
    const list = timeline.contributions[id];
    if (list) {
      let last: Value | undefined;
      for (const c of list) {
        if (c.step < cursor) last = c.sum;
        else break;
      }
      if (last !== undefined) grads[id] = last;
      const doneStep = timeline.doneAt[id];
      done[id] = doneStep !== undefined && doneStep < cursor;
    } else if (finished && live.grads[id] !== undefined) {
      grads[id] = live.grads[id];
      done[id] = true;
    } else {
      done[id] = false;
    }
  }
  for (const key of Object.keys(live.wireGrads)) {
    const at = timeline.wireAt[key];
    if (at !== undefined && at < cursor) wireGrads[key] = live.wireGrads[key];
  }
  return { ...live, values, grads, wireGrads, done };
}
