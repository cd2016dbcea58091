/**
 * Python pasted into the Expression field, through the store: what it builds, what it says,
 * what stays when it cannot be built, and how it is saved, linked and read back.
 */
import { describe, expect, it } from 'vitest';
import { scalar } from '../../src/engine/tensor';
import { parseCircuitFile, serializeCircuit } from '../../src/share/file';
import { encodeExprLink } from '../../src/share/link';
import { docToCircuit } from '../../src/store/document';
import { createAppStore } from '../../src/store/store';
import { openHash } from '../../src/ui/session';
import { num } from './helpers';
import { MATMUL, MICROGRAD, STAGED } from './python-programs';

const sigma = (v: number) => 1 / (1 + Math.exp(-v));
const stagedF = (x: number, y: number) => (x + sigma(y)) / (sigma(x) + (x + y) ** 2);

describe('applyExpression with Python', () => {
  it('builds the forward pass, keeps the pasted text, and says which output it took', () => {
    const store = createAppStore();
    expect(store.getState().applyExpression(STAGED)).toBe(true);
    const s = store.getState();
    expect(s.doc.output).toBe('f');
    expect(s.doc.expression).toBe(STAGED);
    expect(num(s.evaluation.value('f'))).toBeCloseTo(stagedF(3, -4), 12);
    expect(s.notice?.kind).toBe('info');
    expect(s.notice?.text).toMatch(/its output is f \(line 14: f = num \* invden\)/);
    expect(s.pasted?.python.backward).toHaveLength(12);
    expect(s.pasted?.nodes).toBe(s.doc.nodes);
  });

  it('dD = np.random.randn(*D.shape) chooses a random upstream gradient for the run', () => {
    const store = createAppStore();
    expect(store.getState().applyExpression(MATMUL)).toBe(true);
    expect(store.getState().doc.seed).toEqual({ kind: 'random', seed: 7 });
    expect(store.getState().notice?.text).toMatch(/random upstream gradient, as line 8 asks/);
  });

  it('print lines are left out with a note', () => {
    const store = createAppStore();
    expect(store.getState().applyExpression(MICROGRAD)).toBe(true);
    expect(store.getState().notice?.text).toMatch(/Left out print\(…\) on lines 15, 17 and 18/);
  });

  it('Python it cannot take is refused at its line, and the circuit in hand stays', () => {
    const store = createAppStore();
    store.getState().applyExpression(STAGED);
    const before = store.getState().doc;
    expect(
      store.getState().applyExpression('import math\nx = 2\nfor i in range(3):\n  x = x + 1'),
    ).toBe(false);
    const s = store.getState();
    expect(s.doc).toBe(before);
    expect(s.expressionError?.line).toBe(3);
    expect(s.expressionError?.message).toMatch(
      /^line 3, column 1: loops \(for\) are not supported/,
    );
  });

  it('scrubbing an input keeps the paste’s structure (so the check follows); a new program drops it', () => {
    const store = createAppStore();
    store.getState().applyExpression(STAGED);
    store.getState().setInputValue('x', scalar(1));
    const s = store.getState();
    expect(s.pasted?.nodes).toBe(s.doc.nodes);
    expect(num(s.evaluation.value('f'))).toBeCloseTo(stagedF(1, -4), 12);
    store.getState().applyExpression('x = 1; f = x * 2');
    expect(store.getState().pasted).toBeNull();
  });
});

describe('saved and read back', () => {
  it('the file keeps the circuit; the expression saved beside it is the pasted Python, which builds it again', () => {
    const store = createAppStore();
    store.getState().applyExpression(STAGED);
    const { doc } = store.getState();
    const read = parseCircuitFile(serializeCircuit(docToCircuit(doc)));
    if (!read.ok) throw new Error(read.error);
    const again = createAppStore();
    expect(
      again.getState().loadCircuit(read.circuit, { expression: doc.expression ?? undefined }),
    ).toBe(true);
    expect(again.getState().doc.expression).toBe(STAGED);
    expect(num(again.getState().evaluation.value('f'))).toBeCloseTo(stagedF(3, -4), 12);
    expect(
      again
        .getState()
        .doc.nodes.map((n) => n.id)
        .sort(),
    ).toEqual(doc.nodes.map((n) => n.id).sort());
  });

  it('an #expr= link carrying the Python opens the same circuit', () => {
    const opened = openHash(`#${encodeExprLink(STAGED)}`);
    if (opened.kind !== 'circuit') throw new Error(`not opened: ${JSON.stringify(opened)}`);
    expect(opened.expression).toBe(STAGED);
    const store = createAppStore();
    expect(
      store.getState().loadCircuit(opened.circuit, { expression: opened.expression ?? undefined }),
    ).toBe(true);
    expect(num(store.getState().evaluation.value('f'))).toBeCloseTo(stagedF(3, -4), 12);
  });
});

describe('a pasted def, through the store', () => {
  const SOFTPLUS = `import numpy as np
def softplus(x):
    return np.log(1 + np.exp(x))
def dsoftplus_dx(x):
    return 1 / (1 + np.exp(-x))
x = 2
y = softplus(x)`;

  it('builds one softplus gate with its written gradient, and the file and the link bring it back', () => {
    const store = createAppStore();
    expect(store.getState().applyExpression(SOFTPLUS)).toBe(true);
    const { doc } = store.getState();
    expect((doc.gates ?? []).map((g) => g.name)).toEqual(['softplus']);
    expect(doc.gates?.[0].derivatives?.[0]?.text).toBe('1 / (1 + exp(-x))');
    expect(num(store.getState().evaluation.value('y'))).toBeCloseTo(Math.log(1 + Math.exp(2)), 12);
    expect(num(store.getState().evaluation.grad('x'))).toBeCloseTo(sigma(2), 12);

    const read = parseCircuitFile(serializeCircuit(docToCircuit(doc)));
    if (!read.ok) throw new Error(read.error);
    expect((read.circuit.gates ?? []).map((g) => g.name)).toEqual(['softplus']);

    const opened = openHash(`#${encodeExprLink(SOFTPLUS)}`);
    if (opened.kind !== 'circuit') throw new Error(`not opened: ${JSON.stringify(opened)}`);
    const again = createAppStore();
    expect(
      again.getState().loadCircuit(opened.circuit, { expression: opened.expression ?? undefined }),
    ).toBe(true);
    expect(num(again.getState().evaluation.grad('x'))).toBeCloseTo(sigma(2), 12);
  });

  it('a later paste may call the gate the document already has', () => {
    const store = createAppStore();
    store.getState().applyExpression(SOFTPLUS);
    expect(
      store.getState().applyExpression('import numpy as np\nt = -1\nu = softplus(t) * 2'),
    ).toBe(true);
    expect(num(store.getState().evaluation.value('u'))).toBeCloseTo(
      2 * Math.log(1 + Math.exp(-1)),
      12,
    );
  });
});
