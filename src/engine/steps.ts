import type { OpDef } from './ops';
import type { Evaluation, Program } from './program';
import { toValue } from './tensor';
import type { NodeId, PortName, Value } from './types';

/** A port of a gate that holds a literal, and the literal's value in this run. */
export interface StepLiteral {
  readonly port: PortName;
  readonly value: Value;
}

/** The forward pass reaches one gate: its inputs and the value it computes. */
export interface ForwardStep {
  readonly kind: 'forward';
  readonly node: NodeId;
  readonly op: OpDef;
  /** Every wired port, in port order: the node feeding it and that node's value. */
  readonly inputs: readonly {
    readonly port: PortName;
    readonly from: NodeId;
    readonly value: Value;
  }[];
  /** Every port holding a literal, in port order (part of the gate, never stepped). */
  readonly params: readonly StepLiteral[];
  readonly output: Value;
}

/**
 * The backward pass starts at the output with its upstream gradient: ∂f/∂f = 1 for a scalar,
 * the run's seed (ones unless chosen otherwise) for a tensor.
 */
export interface SeedStep {
  readonly kind: 'seed';
  readonly node: NodeId;
  readonly grad: Value;
}

/** What one wired input of a gate receives in a backward step. */
export interface StepTerm {
  readonly port: PortName;
  /** The node that feeds this port: its gradient grows by `contribution`. */
  readonly from: NodeId;
  /**
   * ∂(gate output)/∂(this input), entrywise, with the gate's literals folded in; `null` for
   * matrix ops, whose Jacobian is not shown as one number.
   */
  readonly localGrad: Value | null;
  /** upstreamGrad × localGrad (for matrix ops, the vector–Jacobian product). */
  readonly contribution: Value;
  /** The running sum of ∂f/∂from before and after this contribution (they differ at forks). */
  readonly before: Value;
  readonly after: Value;
  /** True when this is the last contribution: ∂f/∂from is now complete. */
  readonly complete: boolean;
}

/**
 * The backward pass reaches one gate: the chain rule for each of its wired inputs. A port
 * holding a literal has no term: a literal has no gradient.
 */
export interface BackwardStep {
  readonly kind: 'backward';
  readonly node: NodeId;
  readonly op: OpDef;
  readonly output: Value;
  readonly upstreamGrad: Value;
  /** The gate's literals (the local gradients are written with them folded in). */
  readonly params: readonly StepLiteral[];
  readonly terms: readonly StepTerm[];
}

export type PlaybackStep = ForwardStep | SeedStep | BackwardStep;

/** The literals of a gate in a run, in port order. */
function literalsOf(evaluation: Evaluation, slot: number): StepLiteral[] {
  const p = evaluation.program;
  const out: StepLiteral[] = [];
  const ports = p.ops[slot].ports;
  for (let port = 0; port < ports.length; port++) {
    const value = evaluation.literal(slot, port);
    if (value !== undefined) out.push({ port: ports[port], value });
  }
  return out;
}

/**
 * The order playback visits the gates in: `forward` (every gate) and `backward` (the gates of
 * the backward pass, the same gates reversed). A circuit whose nodes are listed so that every
 * gate comes after the gates feeding it (a typed program lists them statement by statement,
 * and so does every gallery example) is played in that order, as the program reads: line
 * after line forward, then the lines in reverse. Any other circuit is played in the
 * program's topological order.
 */
export interface StepOrder {
  readonly forward: Int32Array;
  readonly backward: Int32Array;
}

export function statementOrder(program: Program): StepOrder {
  const p = program;
  const fallback = { forward: p.gates, backward: p.backwardGates };
  const nodes = p.circuit.nodes;
  // Each slot's place in the circuit's list of nodes.
  const place = new Int32Array(p.ids.length).fill(-1);
  for (let i = 0; i < nodes.length; i++) {
    const slot = p.slot(nodes[i].id);
    if (slot >= 0 && place[slot] < 0) place[slot] = i;
  }
  const forward = Int32Array.from(p.gates).sort((a, b) => place[a] - place[b]);
  const { portStart, portSource } = p;
  for (const slot of forward) {
    for (let cell = portStart[slot]; cell < portStart[slot + 1]; cell++) {
      const src = portSource[cell];
      if (src >= 0 && place[src] >= place[slot]) return fallback;
    }
  }
  const inBackward = new Uint8Array(p.ids.length);
  for (const slot of p.backwardGates) inBackward[slot] = 1;
  const backward = new Int32Array(p.backwardGates.length);
  let j = 0;
  for (let k = forward.length - 1; k >= 0; k--) {
    if (inBackward[forward[k]]) backward[j++] = forward[k];
  }
  return { forward, backward };
}

/**
 * One step per gate (inputs and constants excluded), in topological order (or in `order`,
 * one of them).
 */
export function forwardSteps(
  evaluation: Evaluation,
  order: Int32Array = evaluation.program.gates,
): ForwardStep[] {
  const p = evaluation.program;
  const steps: ForwardStep[] = [];
  for (const slot of order) {
    const inputs: ForwardStep['inputs'][number][] = [];
    p.sources[slot].forEach((src, port) => {
      if (src < 0) return;
      inputs.push({
        port: p.ops[slot].ports[port],
        from: p.ids[src],
        value: evaluation.valueAt(src),
      });
    });
    steps.push({
      kind: 'forward',
      node: p.ids[slot],
      op: p.ops[slot],
      inputs,
      params: literalsOf(evaluation, slot),
      output: evaluation.valueAt(slot),
    });
  }
  return steps;
}

/**
 * One step per gate in the backward pass, in reverse topological order (or in `order`, one
 * of them). The contributions are the ones the run recorded; the running sums are rebuilt by
 * adding them in the steps' order (the run's own, by default, so every step's `after` is
 * exactly what the run had at that point).
 */
export function backwardSteps(
  evaluation: Evaluation,
  order: Int32Array = evaluation.program.backwardGates,
): BackwardStep[] {
  const p = evaluation.program;
  if (p.output < 0) return [];
  const v = evaluation.values;
  const running = new Float64Array(p.size);
  running.set(evaluation.seed, p.offsets[p.output]);

  // The last (step, term) that contributes to each slot marks its gradient complete.
  const lastStep = new Int32Array(p.ids.length).fill(-1);
  const lastPort = new Int32Array(p.ids.length).fill(-1);
  order.forEach((slot, step) => {
    p.sources[slot].forEach((src, port) => {
      if (src < 0) return;
      lastStep[src] = step;
      lastPort[src] = port;
    });
  });

  const steps: BackwardStep[] = [];
  order.forEach((slot, step) => {
    const op = p.ops[slot];
    const terms: StepTerm[] = [];
    p.sources[slot].forEach((src, port) => {
      if (src < 0) return;
      const at = p.contributionOffset[p.portStart[slot] + port];
      const size = p.offsets[src + 1] - p.offsets[src];
      const contribution = evaluation.contributions.slice(at, at + size);
      const target = running.subarray(p.offsets[src], p.offsets[src + 1]);
      const before = target.slice();
      for (let i = 0; i < size; i++) target[i] += contribution[i];
      const local = p.localGradient(slot, port, v);
      terms.push({
        port: op.ports[port],
        from: p.ids[src],
        localGrad: local && toValue({ shape: p.shapes[slot], data: local }),
        contribution: toValue({ shape: p.shapes[src], data: contribution }),
        before: toValue({ shape: p.shapes[src], data: before }),
        // The complete gradient is the run's own (added in another order, it could differ in
        // the last bit).
        after: toValue({
          shape: p.shapes[src],
          data:
            lastStep[src] === step && lastPort[src] === port
              ? evaluation.grads.slice(p.offsets[src], p.offsets[src + 1])
              : target.slice(),
        }),
        complete: lastStep[src] === step && lastPort[src] === port,
      });
    });
    steps.push({
      kind: 'backward',
      node: p.ids[slot],
      op,
      output: evaluation.valueAt(slot),
      upstreamGrad: evaluation.gradAt(slot),
      params: literalsOf(evaluation, slot),
      terms,
    });
  });
  return steps;
}

/**
 * Forward steps, the seed, then backward steps: what playback walks through, in the
 * statements' order (see `statementOrder`) unless told otherwise.
 */
export function playbackSteps(
  evaluation: Evaluation,
  order: StepOrder = statementOrder(evaluation.program),
): PlaybackStep[] {
  const p = evaluation.program;
  const steps: PlaybackStep[] = forwardSteps(evaluation, order.forward);
  if (p.output < 0) return steps;
  steps.push({
    kind: 'seed',
    node: p.ids[p.output],
    grad: evaluation.seedValue as Value,
  });
  return steps.concat(backwardSteps(evaluation, order.backward));
}

/**
 * What each gate sends back along each of its wired ports (upstream × local), as the run
 * recorded it: no second backward pass. Calls `visit(gate, port, contribution)` for every
 * wire that takes part in the backward pass. (`Evaluation.contribution` and the raw
 * `contributions` array give the same without a callback or a string.)
 */
export function forEachContribution(
  evaluation: Evaluation,
  visit: (gate: NodeId, port: PortName, contribution: Value) => void,
): void {
  const p: Program = evaluation.program;
  for (const slot of p.backwardGates) {
    const ports = p.ops[slot].ports;
    for (let port = 0; port < ports.length; port++) {
      const contribution = evaluation.contribution(slot, port);
      if (contribution !== undefined) visit(p.ids[slot], ports[port], contribution);
    }
  }
}
