/**
 * Composite gates: grouping any connected set of gates with one output changes no number
 * (random circuits and random selections), expanding a grouped gate gives back the circuit it
 * came from, composites nest and work on matrices, and a hand-written local gradient is used
 * only when it agrees with centred differences.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { isComposite } from '../../src/engine/gates/composite';
import { expandGate, groupGates, groupShape } from '../../src/engine/gates/group';
import { resolveOp } from '../../src/engine/gates/scope';
import { parse } from '../../src/engine/parse';
import type { Circuit, CircuitNode } from '../../src/engine/types';
import { EXAMPLE_SOURCES, type ExampleSource } from '../../src/examples/sources';
import { circuit, entries, gate, input, lit, type Part, rng, sigma } from './helpers';

const SAFE_UNARY = ['sigmoid', 'tanh', 'sin', 'cos', 'square', 'neg'];
const SAFE_BINARY = ['add', 'sub', 'mul', 'max'];

/** A random scalar circuit: a few inputs, then gates reading earlier nodes, some literals. */
function randomCircuit(seed: number): Circuit {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const parts: Part[] = [];
  const ids: string[] = [];
  const inputs = 2 + Math.floor(next() * 3);
  for (let i = 0; i < inputs; i++) {
    ids.push(`x${i}`);
    parts.push(input(`x${i}`, Math.round((next() * 4 - 2) * 100) / 100));
  }
  const gates = 4 + Math.floor(next() * 10);
  for (let g = 0; g < gates; g++) {
    const id = `g${g}`;
    // Mostly read the latest nodes, so the circuit is deep as well as wide.
    const recent = () =>
      ids[Math.max(0, ids.length - 1 - Math.floor(next() * Math.min(4, ids.length)))];
    if (next() < 0.4) parts.push(gate(id, pick(SAFE_UNARY), recent()));
    else {
      const a = recent();
      const b = next() < 0.25 ? lit(Math.round(next() * 30) / 10 + 0.1) : recent();
      parts.push(gate(id, pick(SAFE_BINARY), a, b));
    }
    ids.push(id);
  }
  return circuit(ids[ids.length - 1], ...parts);
}

/** A random connected set of gates grown from one gate along wires, either way. */
function randomSelection(c: Circuit, seed: number): string[] {
  const next = rng(seed);
  const gates = c.nodes.filter((n) => n.op !== 'input').map((n) => n.id as string);
  const start = gates[Math.floor(next() * gates.length)];
  const chosen = new Set([start]);
  const size = 2 + Math.floor(next() * 5);
  for (let tries = 0; tries < 40 && chosen.size < size; tries++) {
    const near = c.wires
      .filter((w) => chosen.has(w.from) !== chosen.has(w.to))
      .map((w) => (chosen.has(w.from) ? w.to : w.from))
      .filter((id) => gates.includes(id));
    if (near.length === 0) break;
    chosen.add(near[Math.floor(next() * near.length)]);
  }
  return [...chosen];
}

function closeTo(got: number, want: number): boolean {
  return Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want));
}

/** Every value and gradient of `before`'s nodes that are still in `after`, compared to 1e-12. */
function expectSameNumbers(before: Circuit, after: Circuit) {
  const a = compile(before).run();
  const b = compile(after).run();
  for (const node of after.nodes) {
    if (!a.has(node.id)) continue;
    const va = entries(a.value(node.id));
    const vb = entries(b.value(node.id));
    const ga = entries(a.grad(node.id));
    const gb = entries(b.grad(node.id));
    va.forEach((x, i) => {
      expect(closeTo(vb[i], x), `${node.id} value`).toBe(true);
    });
    ga.forEach((x, i) => {
      expect(closeTo(gb[i], x), `${node.id} grad`).toBe(true);
    });
  }
}

/** A circuit as sets: nodes by id (op, label, literals, position), wires, output. */
function canonical(c: Circuit) {
  const node = (n: CircuitNode) =>
    JSON.stringify({
      id: n.id,
      op: n.op,
      label: n.label ?? null,
      position: n.position ?? null,
      value: n.value ? Array.from(n.value.data) : null,
      params: n.params
        ? Object.keys(n.params)
            .sort()
            .map((k) => [
              k,
              Array.from((n.params as Record<string, { data: Float64Array }>)[k].data),
            ])
        : null,
    });
  return {
    nodes: c.nodes.map(node).sort(),
    wires: c.wires.map((w) => `${w.from}>${w.to}.${w.port}`).sort(),
    output: c.output,
  };
}

describe('Group on random circuits and random selections', () => {
  it('keeps every value and gradient (to 1e-12), and Expand gives back the circuit', () => {
    let grouped = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const base = randomCircuit(seed);
      // Positions, so that Expand has places to restore.
      const c: Circuit = {
        ...base,
        nodes: base.nodes.map((n, i) => ({
          ...n,
          position: { x: 150 * i + 0.25, y: (37 * i) % 300 },
        })),
      };
      const ids = randomSelection(c, seed * 7919);
      const made = groupGates(c, ids, 'grp');
      if ('error' in made) {
        // A refusal is one groupShape gives too, never a crash.
        expect('error' in groupShape(c, ids) || made.error.length > 0).toBe(true);
        continue;
      }
      grouped++;
      expect(made.circuit.nodes.length).toBe(c.nodes.length - ids.length + 1);
      expectSameNumbers(c, made.circuit);
      const back = expandGate(made.circuit, made.id);
      if ('error' in back) throw new Error(back.error);
      expect(canonical(back.circuit)).toEqual(canonical(c));
    }
    // Enough selections were valid groups for this to mean something.
    expect(grouped).toBeGreaterThan(80);
  });
});

/** The gallery's primitive neuron: its sigmoid spelled out as ×−1, exp, +1, 1/x. */
const NEURON = (EXAMPLE_SOURCES.find((e) => e.id === 'neuron-primitive') as ExampleSource).program;
const SIGMOID = ['mul#4', 'exp#5', 'add#6', 'f'];

describe('a grouped sigmoid', () => {
  const c = parse(NEURON).circuit;
  const made = groupGates(c, SIGMOID, 'sigma');
  if ('error' in made) throw new Error(made.error);

  it('has three gates fewer, the same numbers, and its local gradient is (1 − σ)·σ', () => {
    expect(made.circuit.nodes.length).toBe(c.nodes.length - 3);
    expectSameNumbers(c, made.circuit);
    const program = compile(made.circuit);
    const run = program.run();
    const slot = program.slot('f');
    const s = sigma(1);
    const local = program.localGradient(slot, 0, run.values);
    expect(local?.[0]).toBeCloseTo((1 - s) * s, 15);
    const op = program.ops[slot];
    expect(isComposite(op) && op.composite.known?.name).toBe('sigmoid');
  });

  it('works on a matrix, entry by entry, with its local gradient per entry', () => {
    const onMatrix = parse('X = [[0.5, -1, 2], [0, 1.5, -0.25]]\nf = sum(sigma(X) * 2)', {
      gates: made.circuit.gates,
    }).circuit;
    const run = compile(onMatrix).run();
    const X = [0.5, -1, 2, 0, 1.5, -0.25];
    entries(run.grad('X')).forEach((g, i) => {
      const s = sigma(X[i]);
      expect(g).toBeCloseTo(2 * s * (1 - s), 14);
    });
  });

  it('nests: a group holding the composite computes the same and expands level by level', () => {
    const again = groupGates(made.circuit, ['dot', 'f'], 'neuron');
    if ('error' in again) throw new Error(again.error);
    expect(again.circuit.gates?.map((g) => g.name)).toEqual(['sigma', 'neuron']);
    expectSameNumbers(c, again.circuit);
    const outer = expandGate(again.circuit, 'f');
    if ('error' in outer) throw new Error(outer.error);
    expect(canonical(outer.circuit)).toEqual(canonical({ ...made.circuit }));
    const inner = expandGate(outer.circuit, 'f');
    if ('error' in inner) throw new Error(inner.error);
    expect(canonical(inner.circuit)).toEqual(canonical(c));
  });

  it('is used twice with its own numbers each time', () => {
    const twice = parse('a = 0.3\nb = -2\nf = sigma(a) * sigma(b)', { gates: made.circuit.gates });
    const run = compile(twice.circuit).run();
    expect(run.grad('a')).toBeCloseTo(sigma(-2) * sigma(0.3) * (1 - sigma(0.3)), 15);
    expect(run.grad('b')).toBeCloseTo(sigma(0.3) * sigma(-2) * (1 - sigma(-2)), 15);
  });
});

describe('grouping is refused with the reason', () => {
  const c = parse(NEURON).circuit;
  it.each([
    [['mul#1', 'mul#2'], 'not connected'],
    [['mul#1', 'exp#5'], 'not connected'],
    [['w0', 'mul#1'], 'w0 is an input'],
    [['mul#4'], 'two gates or more'],
  ])('%j', (ids, reason) => {
    const made = groupGates(c, ids, 'g');
    expect('error' in made && made.error).toContain(reason);
  });

  it('a group with two outputs', () => {
    const k = parse('x = 1\na = x * 2\nb = a + 1\nc = a * b\nf = b + c').circuit;
    const made = groupGates(k, ['a', 'b'], 'g');
    expect('error' in made && made.error).toContain('2 outputs: a (read by c), b (read by c, f)');
  });

  it('a group that reads nothing from outside', () => {
    const k = parse('a = 2 + 3\nb = a * 2\nx = 1\nf = b * x').circuit;
    const made = groupGates(k, ['a', 'b'], 'g');
    expect('error' in made && made.error).toContain('no inputs');
  });

  it('a group that would feed itself through a gate outside it', () => {
    // o leaves the group for b, and b comes back into m.
    const k = parse('x = 1\na = x * 2\no = a + 1\nb = exp(o)\nm = a * b\nf = o * 3').circuit;
    const made = groupGates(k, ['a', 'o', 'm'], 'g');
    expect('error' in made && made.error).toContain('cycle');
  });

  it('a name that is taken', () => {
    const made = groupGates(c, SIGMOID, 'sigmoid');
    expect('error' in made && made.error).toContain('already a gate of the app');
  });
});

describe('hand-written local gradients', () => {
  const program = (derivative: string) =>
    parse(`softplus(x) = log(1 + exp(x))\nd/dx = ${derivative}\ny = 0.7\nf = softplus(y) * 3`);

  it('a right one passes the check and gives the same gradient', () => {
    const p = program('sigmoid(x)');
    const op = resolveOp('softplus', p.circuit.gates);
    if (!isComposite(op)) throw new Error('not a composite');
    expect(op.composite.written).toEqual([true]);
    expect(op.composite.derivativeProblems).toEqual([]);
    expect(compile(p.circuit).run().grad('y')).toBeCloseTo(3 * sigma(0.7), 15);
  });

  it('a wrong one is caught with both numbers and never used', () => {
    const p = program('exp(x)');
    const op = resolveOp('softplus', p.circuit.gates);
    if (!isComposite(op)) throw new Error('not a composite');
    expect(op.composite.written).toEqual([false]);
    const [problem] = op.composite.derivativeProblems;
    expect(problem.port).toBe('x');
    const x = problem.at[0];
    expect(problem.written).toBeCloseTo(Math.exp(x), 12);
    expect(problem.numerical).toBeCloseTo(sigma(x), 6);
    // Backprop inside the gate is used instead: the true gradient.
    expect(compile(p.circuit).run().grad('y')).toBeCloseTo(3 * sigma(0.7), 15);
    // Checked at a given point too.
    const [here] = op.composite.checkAt([0.7]);
    expect(here.written).toBeCloseTo(Math.exp(0.7), 12);
  });

  it('may call the gate itself, as σ′ = (1 − σ)·σ does', () => {
    const p = parse(
      'logistic(x) = 1 / (1 + exp(-x))\nd/dx = (1 - logistic(x)) * logistic(x)\ny = 0.4\nf = logistic(y)',
    );
    const op = resolveOp('logistic', p.circuit.gates);
    if (!isComposite(op)) throw new Error('not a composite');
    expect(op.composite.written).toEqual([true]);
    expect(compile(p.circuit).run().grad('y')).toBeCloseTo(sigma(0.4) * (1 - sigma(0.4)), 15);
  });
});

describe('a written local gradient on a broadcast port', () => {
  it('is left to backprop inside, which sums over the repeated axis', () => {
    // c (2×1) is repeated along the 3 columns: its gradient is 3·3 = 9 per row, not one entry's.
    const p = parse(
      'addc(a, c) = a + c * 3\nd/da = 1\nd/dc = 3\nA = [[1, 2, 3], [4, 5, 6]]\nC = [[1], [2]]\nf = sum(addc(A, C))',
    );
    const run = compile(p.circuit).run();
    expect(entries(run.grad('C'))).toEqual([9, 9]);
    expect(entries(run.grad('A'))).toEqual([1, 1, 1, 1, 1, 1]);
  });
});
