import type { Evaluation, PlaybackStep, Program, Value } from '../engine';
import { playbackSteps, statementOrder } from '../engine/steps';
import { type LiveView, SlotView } from './view';

/**
 * When each number appears during playback, derived once per evaluation from the program's
 * arrays (and the engine's step list, for the step panel). Step k (0-based) is "done" once
 * the cursor is past it: the cursor counts the steps taken, 0 = reset, `steps.length` = the
 * whole forward and backward pass. Everything is indexed by slot, or by port cell for wires
 * (`program.portStart[slot] + port`), as in the program.
 *
 * The steps are the gates in the statements' order (`statementOrder`: a typed program's
 * lines, forward), then the seed, then the backward pass (the same gates reversed).
 */
export interface Timeline {
  readonly program: Program;
  readonly steps: readonly PlaybackStep[];
  /** The step that computes each slot's value; -1 for inputs and constants (always shown). */
  readonly forwardAt: Int32Array;
  /** Index of the seed step (∂f/∂f = 1), or -1 without an output. */
  readonly seedAt: number;
  /**
   * Each slot's gradient contributions in step order: entries `gradStart[slot]` …
   * `gradStart[slot + 1] - 1` of `gradStep` (at which step) and `gradSum` (the running sum
   * after it). The seed is the output's first.
   */
  readonly gradStart: Int32Array;
  readonly gradStep: Int32Array;
  readonly gradSum: readonly Value[];
  /** The step after which each slot's gradient is complete, or -1 (it gets none). */
  readonly doneAt: Int32Array;
  /** The backward step that sends a gradient along each port cell's wire, or -1. */
  readonly wireAt: Int32Array;
}

export function buildTimeline(evaluation: Evaluation): Timeline {
  const p = evaluation.program;
  const n = p.ids.length;
  const order = statementOrder(p);
  const steps = playbackSteps(evaluation, order);
  const forwardAt = new Int32Array(n).fill(-1);
  for (let k = 0; k < order.forward.length; k++) forwardAt[order.forward[k]] = k;
  const gradStart = new Int32Array(n + 1);
  const doneAt = new Int32Array(n).fill(-1);
  const wireAt = new Int32Array(p.portSource.length).fill(-1);
  if (p.output < 0) {
    const none = new Int32Array(0);
    return {
      program: p,
      steps,
      forwardAt,
      seedAt: -1,
      gradStart,
      gradStep: none,
      gradSum: [],
      doneAt,
      wireAt,
    };
  }
  const seedAt = p.gates.length;
  const backwardGates = order.backward;
  const { portStart, portSource, contributionOffset, offsets } = p;

  // How many contributions each slot receives, then where its list starts.
  const count = new Int32Array(n);
  count[p.output] = 1;
  for (let j = 0; j < backwardGates.length; j++) {
    const s = backwardGates[j];
    for (let cell = portStart[s]; cell < portStart[s + 1]; cell++) {
      if (contributionOffset[cell] >= 0) count[portSource[cell]]++;
    }
  }
  for (let s = 0; s < n; s++) gradStart[s + 1] = gradStart[s] + count[s];
  const total = gradStart[n];
  const gradStep = new Int32Array(total);
  const gradSum: Value[] = new Array(total);
  const next = gradStart.slice(0, n);

  // The running sums, added in the order of the backward pass (as its step list does).
  const running = new Float64Array(p.size);
  const contributions = evaluation.contributions;
  const record = (slot: number, step: number) => {
    const at = next[slot]++;
    gradStep[at] = step;
    const start = offsets[slot];
    gradSum[at] =
      p.shapes[slot].length === 0
        ? running[start]
        : { shape: p.shapes[slot], data: running.slice(start, offsets[slot + 1]) };
    doneAt[slot] = step;
  };
  // The backward pass starts from the run's upstream gradient (ones unless one was chosen).
  running.set(evaluation.seed, offsets[p.output]);
  record(p.output, seedAt);
  for (let j = 0; j < backwardGates.length; j++) {
    const s = backwardGates[j];
    const step = seedAt + 1 + j;
    for (let cell = portStart[s]; cell < portStart[s + 1]; cell++) {
      const from = contributionOffset[cell];
      if (from < 0) continue;
      const src = portSource[cell];
      const start = offsets[src];
      const size = offsets[src + 1] - start;
      for (let i = 0; i < size; i++) running[start + i] += contributions[from + i];
      record(src, step);
      wireAt[cell] = step;
    }
  }
  // Played in the statements' order, a value read by three or more gates adds its
  // contributions in another order than the run did, which can differ in the last bit: the
  // complete gradient is the run's own, so the end of playback shows what the live view does.
  const grads = evaluation.grads;
  for (let s = 0; s < n; s++) {
    const last = gradStart[s + 1] - 1;
    if (last < gradStart[s] || s === p.output) continue;
    gradSum[last] =
      p.shapes[s].length === 0
        ? grads[offsets[s]]
        : { shape: p.shapes[s], data: grads.slice(offsets[s], offsets[s + 1]) };
  }
  return { program: p, steps, forwardAt, seedAt, gradStart, gradStep, gradSum, doneAt, wireAt };
}

/** A slot's gradient contributions in step order: at which step, and the running sum after it. */
export function gradientSteps(timeline: Timeline, slot: number): { step: number; sum: Value }[] {
  const out: { step: number; sum: Value }[] = [];
  if (slot < 0) return out;
  for (let k = timeline.gradStart[slot]; k < timeline.gradStart[slot + 1]; k++) {
    out.push({ step: timeline.gradStep[k], sum: timeline.gradSum[k] });
  }
  return out;
}

/**
 * What the canvas shows after `cursor` steps: values of inputs, constants and the gates
 * already computed; gradients from their first contribution on (the running sum); wires'
 * gradients once their gate's backward step is taken. At the end every node is complete,
 * including those that do not reach the output (gradient 0). Read from the live view and the
 * timeline when asked: nothing is copied.
 */
export class PlaybackView extends SlotView {
  readonly program: Program;
  readonly live: LiveView;
  readonly timeline: Timeline;
  readonly cursor: number;
  readonly done = { get: (id: string) => this.doneAt(this.slot(id)) };
  private readonly finished: boolean;

  constructor(live: LiveView, timeline: Timeline, cursor: number) {
    super();
    this.program = live.program;
    this.live = live;
    this.timeline = timeline;
    this.cursor = cursor;
    this.finished = cursor >= timeline.steps.length;
  }

  get nonFinite(): ReadonlyMap<string, string> {
    return this.live.nonFinite;
  }

  get nodeProblems(): ReadonlyMap<string, string> {
    return this.live.nodeProblems;
  }

  valueAt(slot: number): Value | undefined {
    if (slot < 0 || slot >= this.program.ids.length) return undefined;
    const at = this.timeline.forwardAt[slot];
    return at >= 0 && at >= this.cursor ? undefined : this.live.valueAt(slot);
  }

  gradAt(slot: number): Value | undefined {
    if (slot < 0 || slot >= this.program.ids.length) return undefined;
    const { gradStart, gradStep, gradSum } = this.timeline;
    const start = gradStart[slot];
    const end = gradStart[slot + 1];
    if (start === end) return this.finished ? this.live.gradAt(slot) : undefined;
    // The running sum after the last contribution before the cursor (the list is in step order).
    let lo = start;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (gradStep[mid] < this.cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo > start ? gradSum[lo - 1] : undefined;
  }

  doneAt(slot: number): boolean | undefined {
    if (slot < 0 || slot >= this.program.ids.length) return undefined;
    const { gradStart, doneAt } = this.timeline;
    if (gradStart[slot] === gradStart[slot + 1]) return this.finished;
    return doneAt[slot] >= 0 && doneAt[slot] < this.cursor;
  }

  wireGradAt(slot: number, port: number): Value | undefined {
    if (slot < 0 || slot >= this.program.ids.length) return undefined;
    const cell = this.program.portStart[slot] + port;
    if (port < 0 || cell >= this.program.portStart[slot + 1]) return undefined;
    const at = this.timeline.wireAt[cell];
    return at >= 0 && at < this.cursor ? this.live.wireGradAt(slot, port) : undefined;
  }
}

export function viewAt(live: LiveView, timeline: Timeline, cursor: number): PlaybackView {
  return new PlaybackView(live, timeline, cursor);
}
