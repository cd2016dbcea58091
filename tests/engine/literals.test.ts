/**
 * Literals inside gates: they compile and run as part of their gate, have no gradient, can be
 * changed without compiling again, and bad ones are named where they are.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { CircuitError } from '../../src/engine/errors';
import { numericalGradient } from '../../src/engine/numerical';
import { backwardSteps, forEachContribution, playbackSteps } from '../../src/engine/steps';
import { scalar, tensor } from '../../src/engine/tensor';
import { nodeId, type Value } from '../../src/engine/types';
import { circuit, entries, evaluate, gate, input, lit, num, wire, wires } from './helpers';

/** Every number a step shows, flattened. */
function stepNumbers(steps: ReturnType<typeof playbackSteps>): number[] {
  const out: number[] = [];
  const add = (v: Value | null | undefined) => {
    if (v !== null && v !== undefined) out.push(...entries(v));
  };
  for (const s of steps) {
    if (s.kind === 'seed') add(s.grad);
    else if (s.kind === 'forward') {
      add(s.output);
      for (const i of s.inputs) add(i.value);
      for (const p of s.params) add(p.value);
    } else {
      add(s.output);
      add(s.upstreamGrad);
      for (const t of s.terms) {
        add(t.localGrad);
        add(t.contribution);
        add(t.before);
        add(t.after);
      }
    }
  }
  return out;
}

describe('x = -3; f = x^2', () => {
  const c = circuit('f', input('x', -3), gate('f', 'pow', 'x', lit(2)));

  it('gives f = 9 and ∂x = -6', () => {
    const ev = evaluate(c);
    expect(num(ev.outputValue)).toBe(9);
    expect(num(ev.grad('x'))).toBe(-6);
  });

  it('has no NaN anywhere: values, gradients, contributions, steps', () => {
    const ev = evaluate(c);
    for (const x of ev.values) expect(Number.isNaN(x)).toBe(false);
    for (const x of ev.grads) expect(Number.isNaN(x)).toBe(false);
    for (const x of ev.contributions) expect(Number.isNaN(x)).toBe(false);
    const numbers = stepNumbers(playbackSteps(ev));
    expect(numbers.length).toBeGreaterThan(0);
    for (const x of numbers) expect(Number.isNaN(x)).toBe(false);
  });

  it('steps through one gate with one term, for x; the 2 is shown as part of the gate', () => {
    const ev = evaluate(c);
    const steps = playbackSteps(ev);
    expect(steps.map((s) => s.kind)).toEqual(['forward', 'seed', 'backward']);
    const [forward, , backward] = steps;
    if (forward.kind !== 'forward' || backward.kind !== 'backward') throw new Error('kinds');
    expect(forward.inputs.map((i) => i.from)).toEqual(['x']);
    expect(forward.params).toEqual([{ port: 'b', value: 2 }]);
    expect(backward.terms.map((t) => [t.port, t.from, t.localGrad])).toEqual([['a', 'x', -6]]);
    expect(backward.params).toEqual([{ port: 'b', value: 2 }]);
  });

  it('has gradients for its two nodes only', () => {
    const ev = evaluate(c);
    expect(ev.program.ids).toEqual(['x', 'f']);
    expect(ev.grads).toHaveLength(2);
    expect(() => ev.grad('b')).toThrow(/no node 'b'/);
  });

  it('is checked numerically on its input only', () => {
    const checks = numericalGradient(compile(c));
    expect(checks.map((k) => [k.node, k.verdict])).toEqual([['x', 'ok']]);
  });
});

describe('a run with other literals', () => {
  const c = circuit(
    'f',
    input('x', 3),
    gate('s', 'mul', 'x', lit(-1)),
    gate('f', 'add', 's', lit([1, 2])),
  );

  it('takes new values for literals without compiling again', () => {
    const program = compile(c);
    const before = program.run();
    expect(entries(before.value('f'))).toEqual([-2, -1]);
    expect(num(before.grad('x'))).toBe(-2);
    const after = program.run(undefined, {
      params: new Map([
        [nodeId('s'), { b: scalar(2) }],
        [nodeId('f'), { b: tensor([2], [10, 20]) }],
      ]),
    });
    expect(entries(after.value('f'))).toEqual([16, 26]);
    expect(num(after.grad('x'))).toBe(4);
    expect(after.literal(program.slot('s'), 1)).toBe(2);
    // The program keeps its own literals for the next run.
    expect(entries(program.run().value('f'))).toEqual([-2, -1]);
  });

  it('runs a power whose literal 2 (compiled as a square) is replaced by 3, and back', () => {
    const cube = circuit('f', input('x', -3), gate('f', 'pow', 'x', lit(2)));
    const program = compile(cube);
    const three = program.run(undefined, { params: new Map([[nodeId('f'), { b: scalar(3) }]]) });
    // x³ at -3 is -27, and its derivative 3x² is 27.
    expect(num(three.value('f'))).toBe(-27);
    expect(num(three.grad('x'))).toBe(27);
    // x^0.5 of a negative number is NaN, as the power gate (not the square) computes it.
    const root = program.run({ x: 4 }, { params: new Map([[nodeId('f'), { b: scalar(0.5) }]]) });
    expect(num(root.value('f'))).toBe(2);
    expect(num(root.grad('x'))).toBe(0.25);
    // The program's own literal, 2, still runs as a square.
    const two = program.run();
    expect(num(two.value('f'))).toBe(9);
    expect(num(two.grad('x'))).toBe(-6);
  });

  it('refuses a literal of another shape, naming the gate and the port', () => {
    const program = compile(c);
    const run = (params: Map<string, Record<string, ReturnType<typeof scalar>>>) => () =>
      program.run(undefined, { params });
    expect(run(new Map([['f', { b: scalar(1) }]]))).toThrow(
      'f: the literal in port b has shape 2, got scalar',
    );
    expect(run(new Map([['s', { c: scalar(1) }]]))).toThrow(
      "s: port 'c' takes no parameter — mul has ports a, b",
    );
    expect(run(new Map([['s', { a: scalar(1) }]]))).toThrow(/s: port a is wired \(from x\)/);
    expect(run(new Map([['ghost', { a: scalar(1) }]]))).toThrow(/'ghost'.*not a gate/);
    try {
      run(new Map([['f', { b: scalar(1) }]]))();
    } catch (error) {
      expect(error).toBeInstanceOf(CircuitError);
      expect((error as CircuitError).problems[0]).toMatchObject({ nodes: ['f'], port: 'b' });
    }
  });
});

describe('compile checks literals', () => {
  const problems = (c: ReturnType<typeof circuit>) => {
    try {
      compile(c);
    } catch (error) {
      return (error as CircuitError).problems.map((p) => p.message);
    }
    return [];
  };

  it('names a literal on a port the op does not have', () => {
    const c = circuit('mul1', input('x', 1), {
      nodes: [{ id: nodeId('mul1'), op: 'mul', params: { b: scalar(2), c: scalar(3) } }],
      wires: [wire('x', 'mul1', 'a')],
    });
    expect(problems(c)).toEqual(["mul1: port 'c' takes no parameter — mul has ports a, b"]);
  });

  it('refuses a port with both a wire and a literal', () => {
    const c = circuit(
      'g',
      input('x', 1),
      input('y', 1),
      gate('g', 'mul', 'x', lit(2)),
      wires(wire('y', 'g', 'b')),
    );
    expect(problems(c)).toEqual([
      'port b of g (multiply) has both a wire from y and a literal; a port takes one',
    ]);
  });

  it('refuses literals on an input, and a literal that is not a tensor', () => {
    const onInput = circuit('x', {
      nodes: [{ id: nodeId('x'), op: 'input', value: scalar(1), params: { a: scalar(1) } }],
      wires: [],
    });
    expect(problems(onInput)).toEqual(['x is an input and takes no literals (it has no ports)']);
    const notTensor = circuit('g', input('x', 1), {
      nodes: [{ id: nodeId('g'), op: 'mul', params: { b: 2 as never } }],
      wires: [wire('x', 'g', 'a')],
    });
    expect(problems(notTensor)).toEqual([
      'g (multiply): the literal in port b is not a number or an array of numbers',
    ]);
  });

  it('infers shapes with literals: a literal of the wrong shape is a shape problem', () => {
    const c = circuit(
      'D',
      input('W', [
        [1, 2],
        [3, 4],
      ]),
      gate('D', 'matmul', 'W', lit([1, 2, 3])),
    );
    expect(problems(c)).toEqual([
      'D (matrix product): matrix product needs the columns of a to equal the rows of b: 2×2 @ 3 has 2 ≠ 3',
    ]);
    const ok = evaluate(circuit('f', input('v', [1, 2, 3]), gate('f', 'mul', 'v', lit(2))));
    expect(entries(ok.value('f'))).toEqual([2, 4, 6]);
    expect(entries(ok.grad('v'))).toEqual([2, 2, 2]);
  });

  it('allows a gate whose ports are all literals, and names no problem for it', () => {
    const c = circuit(
      'f',
      input('x', 5),
      gate('two', 'add', lit(1), lit(1)),
      gate('f', 'mul', 'x', 'two'),
    );
    const ev = evaluate(c);
    expect(num(ev.value('two'))).toBe(2);
    expect(num(ev.grad('two'))).toBe(5);
    expect(num(ev.grad('x'))).toBe(2);
    expect(backwardSteps(ev).map((s) => s.node)).toEqual(['f']);
  });

  it('keeps the rest of the circuit in partial mode', () => {
    const c = circuit(
      'f',
      input('x', 2),
      {
        nodes: [{ id: nodeId('bad'), op: 'mul', params: { z: scalar(2) } }],
        wires: [wire('x', 'bad', 'a'), wire('x', 'bad', 'b')],
      },
      gate('f', 'pow', 'x', lit(3)),
    );
    const program = compile(c, { partial: true });
    expect(program.problems.map((p) => p.message)).toEqual([
      "bad: port 'z' takes no parameter — mul has ports a, b",
    ]);
    const ev = program.run();
    expect(num(ev.value('f'))).toBe(8);
    expect(num(ev.grad('x'))).toBe(12);
  });
});

describe('contributions come from the backward pass itself', () => {
  const c = circuit(
    'f',
    input('x', 3),
    input('y', -2),
    gate('p', 'mul', 'x', 'y'),
    gate('q', 'mul', 'x', lit(4)),
    gate('s', 'add', 'p', 'q'),
    gate('f', 'pow', 's', lit(2)),
  );

  it('gives what each wired port sends back, by slot and port, and nothing for a literal', () => {
    const ev = evaluate(c);
    const p = ev.program;
    // s = -6 + 12 = 6, ∂f/∂s = 12; p and q get 12; x gets 12·y + 12·4 = 24, y gets 12·x = 36.
    expect(ev.contribution(p.slot('f'), 0)).toBe(12);
    expect(ev.contribution(p.slot('f'), 1)).toBeUndefined();
    expect(ev.contribution(p.slot('p'), 0)).toBe(-24);
    expect(ev.contribution(p.slot('p'), 1)).toBe(36);
    expect(ev.contribution(p.slot('q'), 0)).toBe(48);
    expect(ev.contribution(p.slot('q'), 1)).toBeUndefined();
    expect(num(ev.grad('x'))).toBe(24);
    expect(ev.gradAt(p.slot('x'))).toBe(24);
    expect(ev.valueAt(p.slot('s'))).toBe(6);
  });

  it('lays them out so a flat array and the offsets are enough', () => {
    const ev = evaluate(c);
    const p = ev.program;
    const seen: [string, string, number][] = [];
    forEachContribution(ev, (gate, port, contribution) => {
      seen.push([gate, port, num(contribution)]);
    });
    const flat: [string, string, number][] = [];
    for (const s of p.backwardGates) {
      for (let cell = p.portStart[s]; cell < p.portStart[s + 1]; cell++) {
        const at = p.contributionOffset[cell];
        if (at < 0) continue;
        flat.push([p.ids[s], p.ops[s].ports[cell - p.portStart[s]], ev.contributions[at]]);
      }
    }
    expect(seen).toEqual(flat);
    expect(seen).toHaveLength(6);
    // Every node's gradient is the sum of what its readers sent, in the order they sent it.
    for (let s = 0; s < p.ids.length; s++) {
      if (s === p.output) continue;
      let sum = 0;
      for (const g of p.backwardGates) {
        for (let cell = p.portStart[g]; cell < p.portStart[g + 1]; cell++) {
          if (p.portSource[cell] === s) sum += ev.contributions[p.contributionOffset[cell]];
        }
      }
      expect(ev.grads[p.offsets[s]]).toBe(sum);
    }
  });
});
