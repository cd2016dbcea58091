/**
 * The view the store builds reads the run's arrays; here it is checked against the view
 * built the slow way (by id, `forEachContribution`, the engine's step list) on random
 * circuits with literals, before and after edits of inputs and literals, live and during
 * playback.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/engine/random';
import { docFromCircuit, docToCircuit } from '../../src/store/document';
import { type AppStore, createAppStore } from '../../src/store/store';
import {
  expectViewLike,
  freshEvaluation,
  randomCircuitWithParams,
  referencePlayback,
  referenceView,
} from './randomDocs';

/** The store's live view against a fresh compile and run of the document it holds. */
function expectLiveViewOfDoc(store: AppStore): void {
  const s = store.getState();
  const circuit = docToCircuit(s.doc);
  const { evaluation } = freshEvaluation(circuit);
  expectViewLike(s.view, referenceView(evaluation), circuit);
  const nonFinite = new Map(evaluation.nonFiniteOrigins().map((o) => [o.node, o.reason]));
  expect(new Map(s.view.nonFinite)).toEqual(nonFinite);
  const firstProblem = new Map<string, string>();
  for (const p of evaluation.program.problems) {
    if (p.nodes[0] !== undefined && !firstProblem.has(p.nodes[0])) {
      firstProblem.set(p.nodes[0], p.message);
    }
  }
  expect(new Map(s.view.nodeProblems)).toEqual(firstProblem);
}

describe('the view', () => {
  it('equals the view built by id, on random circuits with literals', () => {
    let withLiterals = 0;
    let withProblems = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const circuit = randomCircuitWithParams(seed, 4 + (seed % 12));
      const store = createAppStore(docFromCircuit(circuit));
      expectLiveViewOfDoc(store);
      if (store.getState().doc.params.size > 0) withLiterals++;
      if (store.getState().program.problems.length > 0) withProblems++;
    }
    // The generator makes what the test is about.
    expect(withLiterals).toBeGreaterThan(100);
    expect(withProblems).toBeGreaterThan(5);
  });

  it('follows edits of inputs and literals, run without compiling, as a fresh compile would', () => {
    let reused = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = mulberry32(1000 + seed);
      const store = createAppStore(docFromCircuit(randomCircuitWithParams(seed, 10)));
      for (let edit = 0; edit < 8; edit++) {
        const s = store.getState();
        const before = s.program;
        const literalGates = [...s.doc.params.keys()];
        const inputs = s.doc.nodes.filter((n) => n.op === 'input' || n.op === 'const');
        if (rnd() < 0.5 && literalGates.length > 0) {
          const id = literalGates[Math.floor(rnd() * literalGates.length)];
          const literals = s.doc.params.get(id) ?? {};
          const port = Object.keys(literals)[0];
          const x = Math.round((rnd() * 6 - 3) * 10) / 10;
          expect(s.setParam(id, port, { shape: [], data: Float64Array.of(x) })).toBeUndefined();
        } else {
          const node = inputs[Math.floor(rnd() * inputs.length)];
          const old = s.doc.values.get(node.id);
          if (!old) continue;
          const data = old.data.map(() => Math.round((rnd() * 6 - 3) * 10) / 10);
          s.setInputValue(node.id, { shape: old.shape, data });
        }
        if (store.getState().program === before) reused++;
        expectLiveViewOfDoc(store);
      }
    }
    // Nearly every edit re-ran the program it had (a literal that changes a gate's fast case,
    // `x ** 2` edited to `x ** 3`, compiles again).
    expect(reused).toBeGreaterThan(400);
  });

  it('during playback equals the view built from the step list, at every cursor', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const circuit = randomCircuitWithParams(seed, 8);
      const store = createAppStore(docFromCircuit(circuit));
      store.getState().resetPlayback();
      const total = store.getState().timeline?.steps.length ?? 0;
      for (let cursor = 0; cursor <= total; cursor++) {
        store.getState().seek(cursor);
        const s = store.getState();
        expectViewLike(s.view, referencePlayback(s.evaluation, cursor), circuit);
      }
      // A value edit during playback keeps the cursor and shows the new numbers there.
      const literalGate = [...store.getState().doc.params.keys()][0];
      if (literalGate !== undefined) {
        const port = Object.keys(store.getState().doc.params.get(literalGate) ?? {})[0];
        store.getState().seek(Math.floor(total / 2));
        store.getState().setParam(literalGate, port, { shape: [], data: Float64Array.of(0.75) });
        const s = store.getState();
        expect(s.cursor).toBe(Math.floor(total / 2));
        const fresh = freshEvaluation(docToCircuit(s.doc)).evaluation;
        expectViewLike(s.view, referencePlayback(fresh, Math.floor(total / 2)), circuit);
      }
    }
  });

  it('hands out the same tensor object until the next run, so a selector sees no change', () => {
    const store = createAppStore(
      docFromCircuit({
        nodes: [
          { id: 'v' as never, op: 'input', value: { shape: [2], data: Float64Array.of(1, 2) } },
          { id: 'f' as never, op: 'mul', params: { b: { shape: [], data: Float64Array.of(3) } } },
        ],
        wires: [{ from: 'v' as never, to: 'f' as never, port: 'a' as never }],
        output: 'f' as never,
      }),
    );
    const view = store.getState().view;
    const value = view.values.get('f');
    expect(value).toEqual({ shape: [2], data: Float64Array.of(3, 6) });
    expect(view.values.get('f')).toBe(value);
    expect(view.grads.get('v')).toBe(view.grads.get('v'));
    expect(view.wireGrads.get('f:a')).toBe(view.wireGrads.get('f:a'));
    expect(view.wireGrads.get('f:b')).toBeUndefined();
    store.getState().setInputValue('v', { shape: [2], data: Float64Array.of(2, 2) });
    expect(store.getState().view.values.get('f')).toEqual({
      shape: [2],
      data: Float64Array.of(6, 6),
    });
  });
});
