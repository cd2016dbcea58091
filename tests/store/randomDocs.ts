/**
 * Random circuits with literals inside gates (and now and then a constant node, a vector, a
 * free port or a shape that does not fit), and the view built the slow way for comparison:
 * every number read from the evaluation by id, every wire from `forEachContribution`, the
 * playback view from the engine's step list.
 */
import { expect } from 'vitest';
import {
  type Circuit,
  type CircuitNode,
  compile,
  type Evaluation,
  forEachContribution,
  type Program,
  playbackSteps,
  type Tensor,
  type Value,
  type Wire,
} from '../../src/engine';
import { mulberry32 } from '../../src/engine/random';
import { wireKey } from '../../src/store/document';
import type { View } from '../../src/store/view';

const UNARY = ['neg', 'square', 'inv', 'exp', 'tanh', 'sigmoid', 'relu', 'abs', 'sin', 'sqrt'];
const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min'];

const scalarOf = (x: number): Tensor => ({ shape: [], data: Float64Array.of(x) });
const vectorOf = (xs: number[]): Tensor => ({ shape: [xs.length], data: Float64Array.from(xs) });

/** A random circuit of `gates` gates over a few inputs; literals in about a third of the ports. */
export function randomCircuitWithParams(seed: number, gates = 10): Circuit {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const num = () => Math.round((rnd() * 4 - 2) * 100) / 100;
  const nodes: CircuitNode[] = [];
  const wires: Wire[] = [];
  const ids: string[] = [];
  const inputs = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < inputs; i++) {
    const id = `x${i}`;
    const value = rnd() < 0.2 ? vectorOf([num(), num(), num()]) : scalarOf(num());
    nodes.push({ id: id as never, op: 'input', value });
    ids.push(id);
  }
  if (rnd() < 0.3) {
    nodes.push({ id: 'c0' as never, op: 'const', value: scalarOf(num()) });
    ids.push('c0');
  }
  for (let g = 0; g < gates; g++) {
    const id = `g${g}`;
    const recent = () => ids[Math.max(0, ids.length - 1 - Math.floor(rnd() * 4))];
    const roll = rnd();
    if (roll < 0.08) {
      // A reduction of whatever comes last (a vector becomes a number).
      nodes.push({ id: id as never, op: pick(['sum', 'mean']) });
      wires.push({ from: recent() as never, to: id as never, port: 'x' as never });
    } else if (roll < 0.4) {
      nodes.push({ id: id as never, op: pick(UNARY) });
      if (rnd() > 0.03)
        wires.push({ from: recent() as never, to: id as never, port: 'x' as never });
    } else {
      const op = pick(BINARY);
      const literalPort = rnd() < 0.45 ? (rnd() < 0.75 ? 'b' : 'a') : null;
      const params: Record<string, Tensor> = Object.create(null);
      for (const port of ['a', 'b']) {
        if (port === literalPort) {
          params[port] = scalarOf(op === 'pow' && rnd() < 0.5 ? 2 : num());
        } else if (rnd() > 0.03) {
          wires.push({ from: recent() as never, to: id as never, port: port as never });
        }
      }
      nodes.push(literalPort ? { id: id as never, op, params } : { id: id as never, op });
    }
    ids.push(id);
  }
  return { nodes, wires, output: ids[ids.length - 1] as never };
}

/** The view of an evaluation, built the slow way. */
export interface ReferenceView {
  readonly values: Map<string, Value>;
  readonly grads: Map<string, Value>;
  readonly wireGrads: Map<string, Value>;
  readonly done?: Map<string, boolean>;
}

export function referenceView(evaluation: Evaluation): ReferenceView {
  const values = new Map<string, Value>();
  const grads = new Map<string, Value>();
  for (const id of evaluation.program.ids) {
    values.set(id, evaluation.value(id));
    grads.set(id, evaluation.grad(id));
  }
  const wireGrads = new Map<string, Value>();
  forEachContribution(evaluation, (gate, port, contribution) => {
    wireGrads.set(wireKey({ to: gate, port }), contribution);
  });
  return { values, grads, wireGrads };
}

/** The view after `cursor` playback steps, built from the engine's step list by id. */
export function referencePlayback(evaluation: Evaluation, cursor: number): ReferenceView {
  const live = referenceView(evaluation);
  const steps = playbackSteps(evaluation);
  const forwardAt = new Map<string, number>();
  const sums = new Map<string, { step: number; sum: Value }[]>();
  const doneAt = new Map<string, number>();
  const wireAt = new Map<string, number>();
  const add = (id: string, step: number, sum: Value) => {
    const list = sums.get(id) ?? [];
    list.push({ step, sum });
    sums.set(id, list);
  };
  steps.forEach((step, index) => {
    if (step.kind === 'forward') forwardAt.set(step.node, index);
    else if (step.kind === 'seed') {
      add(step.node, index, step.grad);
      doneAt.set(step.node, index);
    } else {
      for (const term of step.terms) {
        wireAt.set(wireKey({ to: step.node, port: term.port }), index);
        add(term.from, index, term.after);
        if (term.complete) doneAt.set(term.from, index);
      }
    }
  });
  const finished = cursor >= steps.length;
  const values = new Map<string, Value>();
  const grads = new Map<string, Value>();
  const done = new Map<string, boolean>();
  for (const [id, value] of live.values) {
    const at = forwardAt.get(id);
    if (at === undefined || at < cursor) values.set(id, value);
    const list = sums.get(id);
    if (list) {
      const before = list.filter((c) => c.step < cursor);
      if (before.length > 0) grads.set(id, before[before.length - 1].sum);
      const d = doneAt.get(id);
      done.set(id, d !== undefined && d < cursor);
    } else {
      if (finished) grads.set(id, live.grads.get(id) as Value);
      done.set(id, finished);
    }
  }
  const wireGrads = new Map<string, Value>();
  for (const [key, grad] of live.wireGrads) {
    const at = wireAt.get(key);
    if (at !== undefined && at < cursor) wireGrads.set(key, grad);
  }
  return { values, grads, wireGrads, done };
}

/** Bit for bit (Object.is on every entry, so NaN and -0 count). */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a.shape.join('×') !== b.shape.join('×') || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

/**
 * The view says what the reference says for every node of the circuit and every port of
 * every gate (a literal's port and a wire outside the backward pass carry nothing).
 */
export function expectViewLike(view: View, reference: ReferenceView, circuit: Circuit): void {
  for (const node of circuit.nodes) {
    const id = node.id;
    const at = `node ${id}`;
    expect(sameValue(view.values.get(id), reference.values.get(id)), `${at} value`).toBe(true);
    expect(sameValue(view.grads.get(id), reference.grads.get(id)), `${at} grad`).toBe(true);
    expect(view.values.has(id), `${at} has value`).toBe(reference.values.has(id));
    if (reference.done) expect(view.done?.get(id), `${at} done`).toBe(reference.done.get(id));
    for (const port of ['a', 'b', 'x']) {
      const key = wireKey({ to: id, port });
      expect(sameValue(view.wireGrads.get(key), reference.wireGrads.get(key)), key).toBe(true);
    }
  }
}

/** A fresh compile and run of the circuit, as a check on the store's numbers. */
export function freshEvaluation(circuit: Circuit): { program: Program; evaluation: Evaluation } {
  const program = compile(circuit, { partial: true });
  return { program, evaluation: program.run() };
}
