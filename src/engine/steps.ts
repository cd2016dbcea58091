import type { OpDef } from './ops';
import type { Evaluation } from './program';
import { toValue } from './tensor';
import type { NodeId, PortName, Value } from './types';

/** The forward pass reaches one gate: its inputs and the value it computes. */
export interface ForwardStep {
  readonly kind: 'forward';
  readonly node: NodeId;
  readonly op: OpDef;
  readonly inputs: readonly {
    readonly port: PortName;
    readonly from: NodeId;
    readonly value: Value;
  }[];
  readonly output: Value;
}

/** The backward pass starts: ∂f/∂f = 1 at the output. */
export interface SeedStep {
  readonly kind: 'seed';
  readonly node: NodeId;
  readonly grad: Value;
}

/** What one input of a gate receives in a backward step. */
export interface StepTerm {
  readonly port: PortName;
  /** The node that feeds this port: its gradient grows by `contribution`. */
  readonly from: NodeId;
  /** ∂(gate output)/∂(this input), entrywise; `null` for matrix ops, whose Jacobian is not shown as one number. */
  readonly localGrad: Value | null;
  /** upstreamGrad × localGrad (for matrix ops, the vector–Jacobian product). */
  readonly contribution: Value;
  /** The running sum of ∂f/∂from before and after this contribution (they differ at forks). */
  readonly before: Value;
  readonly after: Value;
  /** True when this is the last contribution: ∂f/∂from is now complete. */
  readonly complete: boolean;
}

/** The backward pass reaches one gate: the chain rule for each of its inputs. */
export interface BackwardStep {
  readonly kind: 'backward';
  readonly node: NodeId;
  readonly op: OpDef;
  readonly output: Value;
  readonly upstreamGrad: Value;
  readonly terms: readonly StepTerm[];
}

export type PlaybackStep = ForwardStep | SeedStep | BackwardStep;

/** One step per gate (inputs and constants excluded), in topological order. */
export function forwardSteps(evaluation: Evaluation): ForwardStep[] {
  const p = evaluation.program;
  const steps: ForwardStep[] = [];
  for (const slot of p.gates) {
    steps.push({
      kind: 'forward',
      node: p.ids[slot],
      op: p.ops[slot],
      inputs: Array.from(p.sources[slot], (src, port) => ({
        port: p.ops[slot].ports[port],
        from: p.ids[src],
        value: read(p.view(src, evaluation.values)),
      })),
      output: read(p.view(slot, evaluation.values)),
    });
  }
  return steps;
}

/**
 * One step per gate that reaches the output, in reverse topological order. Replays the
 * backward pass from the evaluation's cached values into a fresh array, so each step can say
 * what the running sums were; the evaluation's own hot loop records nothing.
 */
export function backwardSteps(evaluation: Evaluation): BackwardStep[] {
  const p = evaluation.program;
  if (p.output < 0) return [];
  const v = evaluation.values;
  // Upstream gradients of every gate are final by the time its step comes, so they can be
  // read from the evaluation; the running sums are rebuilt in `running`.
  const gr = evaluation.grads;
  const running = new Float64Array(p.size);
  running.fill(1, p.offsets[p.output], p.offsets[p.output + 1]);

  // The last (step, term) that contributes to each slot marks its gradient complete.
  const lastStep = new Int32Array(p.ids.length).fill(-1);
  const lastTerm = new Int32Array(p.ids.length).fill(-1);
  p.backwardGates.forEach((slot, step) => {
    p.sources[slot].forEach((src, term) => {
      lastStep[src] = step;
      lastTerm[src] = term;
    });
  });

  const steps: BackwardStep[] = [];
  p.backwardGates.forEach((slot, step) => {
    const op = p.ops[slot];
    const terms: StepTerm[] = [];
    p.sources[slot].forEach((src, port) => {
      const size = p.offsets[src + 1] - p.offsets[src];
      const contribution = new Float64Array(size);
      p.vjp(slot, port, v, gr, contribution);
      const target = running.subarray(p.offsets[src], p.offsets[src + 1]);
      const before = target.slice();
      for (let i = 0; i < size; i++) target[i] += contribution[i];
      terms.push({
        port: op.ports[port],
        from: p.ids[src],
        localGrad: localGradient(evaluation, slot, port),
        contribution: toValue({ shape: p.shapes[src], data: contribution }),
        before: toValue({ shape: p.shapes[src], data: before }),
        after: toValue({ shape: p.shapes[src], data: target.slice() }),
        complete: lastStep[src] === step && lastTerm[src] === port,
      });
    });
    steps.push({
      kind: 'backward',
      node: p.ids[slot],
      op,
      output: read(p.view(slot, v)),
      upstreamGrad: read(p.view(slot, gr)),
      terms,
    });
  });
  return steps;
}

/** Forward steps, the seed, then backward steps: what playback walks through. */
export function playbackSteps(evaluation: Evaluation): PlaybackStep[] {
  const p = evaluation.program;
  const steps: PlaybackStep[] = forwardSteps(evaluation);
  if (p.output < 0) return steps;
  steps.push({
    kind: 'seed',
    node: p.ids[p.output],
    grad: toValue({
      shape: p.shapes[p.output],
      data: new Float64Array(p.offsets[p.output + 1] - p.offsets[p.output]).fill(1),
    }),
  });
  return steps.concat(backwardSteps(evaluation));
}

function read(t: { shape: readonly number[]; data: Float64Array }): Value {
  return toValue({ shape: t.shape as never, data: t.data.slice() });
}

/** Entrywise local gradient of an elementwise gate, in the output's shape. */
function localGradient(evaluation: Evaluation, slot: number, port: number): Value | null {
  const p = evaluation.program;
  const op = p.ops[slot];
  const v = evaluation.values;
  const y = p.view(slot, v).data;
  const out = new Float64Array(y.length);
  if (op.kind === 'unary') {
    const x = p.view(p.sources[slot][0], v).data;
    for (let i = 0; i < y.length; i++) out[i] = op.df(x[i], y[i]);
  } else if (op.kind === 'binary') {
    const a = p.view(p.sources[slot][0], v).data;
    const b = p.view(p.sources[slot][1], v).data;
    const local = port === 0 ? op.da : op.db;
    for (let i = 0; i < y.length; i++) {
      out[i] = local(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i], y[i]);
    }
  } else {
    return null;
  }
  return toValue({ shape: p.shapes[slot], data: out });
}

/**
 * What each gate sends back along each of its input wires (upstream × local), without the
 * running sums and local gradients of `backwardSteps`: cheap enough to run on every edit.
 * Calls `visit(gate, port, contribution)` for every wire that takes part in the backward pass.
 */
export function forEachContribution(
  evaluation: Evaluation,
  visit: (gate: NodeId, port: PortName, contribution: Value) => void,
): void {
  const p = evaluation.program;
  if (p.output < 0) return;
  const v = evaluation.values;
  const gr = evaluation.grads;
  for (const slot of p.backwardGates) {
    const op = p.ops[slot];
    const sources = p.sources[slot];
    for (let port = 0; port < sources.length; port++) {
      const src = sources[port];
      const size = p.offsets[src + 1] - p.offsets[src];
      const contribution = new Float64Array(size);
      p.vjp(slot, port, v, gr, contribution);
      visit(
        p.ids[slot],
        op.ports[port],
        size === 1 && p.shapes[src].length === 0
          ? contribution[0]
          : toValue({ shape: p.shapes[src], data: contribution }),
      );
    }
  }
}
