/**
 * compile and run: the semantics the README's engine API section promises, and every kind of bad input
 * (with the message it gets).
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { CircuitError } from '../../src/engine/errors';
import { backwardSteps } from '../../src/engine/steps';
import { tensor } from '../../src/engine/tensor';
import type { Circuit } from '../../src/engine/types';
import {
  circuit,
  constant,
  entries,
  evaluate,
  gate,
  input,
  node,
  num,
  shapeOf,
  wire,
  wires,
} from './helpers';

/** The CircuitError `compile` throws for a circuit (fails if it does not throw one). */
function compileError(c: Circuit): CircuitError {
  try {
    compile(c);
  } catch (e) {
    if (e instanceof CircuitError) return e;
    throw e;
  }
  throw new Error('compile did not throw');
}

/** The CircuitError `run` throws (fails if it does not throw one). */
function runError(run: () => unknown): CircuitError {
  try {
    run();
  } catch (e) {
    if (e instanceof CircuitError) return e;
    throw e;
  }
  throw new Error('run did not throw');
}

describe('running a program', () => {
  const fqz = circuit(
    'f',
    input('x', -2),
    input('y', 5),
    input('z', -4),
    gate('q', 'add', 'x', 'y'),
    gate('f', 'mul', 'q', 'z'),
  );

  it('zeroes the gradients on every run (run twice, same gradients)', () => {
    const program = compile(fqz);
    const first = program.run();
    const second = program.run();
    for (const id of ['x', 'y', 'z', 'q', 'f']) {
      expect(num(second.grad(id))).toBe(num(first.grad(id)));
    }
    expect(num(second.grad('x'))).toBe(-4);
    // Many runs later, with other inputs in between, still no pile-up.
    for (let i = 0; i < 5; i++) program.run({ x: i, y: -i, z: 2 * i });
    expect(num(program.run().grad('z'))).toBe(3);
    // The first evaluation is not changed by later runs.
    expect(num(first.grad('x'))).toBe(-4);
  });

  it('gives gradients for the new input values on each run', () => {
    const program = compile(fqz);
    const ev = program.run({ x: 1, y: 2, z: 10 });
    expect(num(ev.outputValue)).toBe(30);
    expect(num(ev.grad('x'))).toBe(10);
    expect(num(ev.grad('y'))).toBe(10);
    expect(num(ev.grad('z'))).toBe(3);
    // Inputs not named keep the values from the circuit.
    const partial = program.run({ z: 1 });
    expect(num(partial.outputValue)).toBe(3);
  });

  it('accumulates at forks: x*x gives 2x', () => {
    const ev = evaluate(circuit('f', input('x', 3), gate('f', 'mul', 'x', 'x')));
    expect(num(ev.outputValue)).toBe(9);
    expect(num(ev.grad('x'))).toBe(6);
  });

  it('accumulates at forks: x used by three gates', () => {
    // f = x·y + x² + (−x): ∂f/∂x = y + 2x − 1 = 4 + 6 − 1 = 9 at x = 3, y = 4; ∂f/∂y = x = 3.
    const ev = evaluate(
      circuit(
        'f',
        input('x', 3),
        input('y', 4),
        gate('xy', 'mul', 'x', 'y'),
        gate('xx', 'square', 'x'),
        gate('nx', 'neg', 'x'),
        gate('s', 'add', 'xy', 'xx'),
        gate('f', 'add', 's', 'nx'),
      ),
    );
    expect(num(ev.outputValue)).toBe(18);
    expect(num(ev.grad('x'))).toBe(9);
    expect(num(ev.grad('y'))).toBe(3);
  });

  it('accumulates at forks of an intermediate gate and of tensors', () => {
    // q = x + 1 feeds f = q·q·q: ∂f/∂x = 3q² = 48 at x = 3.
    const ev = evaluate(
      circuit(
        'f',
        input('x', 3),
        constant('one', 1),
        gate('q', 'add', 'x', 'one'),
        gate('qq', 'mul', 'q', 'q'),
        gate('f', 'mul', 'qq', 'q'),
      ),
    );
    expect(num(ev.grad('x'))).toBe(48);
    // sum(v ⊙ v) + sum(v): ∂/∂vᵢ = 2vᵢ + 1.
    const tv = evaluate(
      circuit(
        'f',
        input('v', [1, -2, 0.5]),
        gate('vv', 'mul', 'v', 'v'),
        gate('s1', 'sum', 'vv'),
        gate('s2', 'sum', 'v'),
        gate('f', 'add', 's1', 's2'),
      ),
    );
    expect(entries(tv.grad('v'))).toEqual([3, -3, 2]);
  });

  it('gives gradient 0 to an input (and a gate) that does not reach the output', () => {
    const ev = evaluate(
      circuit(
        'f',
        input('x', 2),
        input('unused', 7),
        input('side', [1, 2]),
        gate('f', 'square', 'x'),
        gate('dead', 'exp', 'unused'),
      ),
    );
    expect(ev.has('unused')).toBe(true);
    expect(num(ev.value('unused'))).toBe(7);
    expect(num(ev.grad('unused'))).toBe(0);
    expect(num(ev.value('dead'))).toBe(Math.exp(7));
    expect(num(ev.grad('dead'))).toBe(0);
    expect(entries(ev.grad('side'))).toEqual([0, 0]);
    expect(num(ev.grad('x'))).toBe(4);
  });

  it('takes nothing from gates that do not reach the output, not even a NaN', () => {
    // At x = 0 the dead branch log(x) has local gradient +∞; 0 · ∞ would be NaN if the
    // backward pass visited it.
    const ev = evaluate(
      circuit(
        'f',
        input('x', 0),
        constant('two', 2),
        gate('f', 'mul', 'x', 'two'),
        gate('l', 'log', 'x'),
        gate('dead', 'neg', 'l'),
      ),
    );
    expect(num(ev.grad('x'))).toBe(2);
    expect(num(ev.grad('l'))).toBe(0);
    expect(num(ev.value('dead'))).toBe(Infinity);
    expect(backwardSteps(ev).map((s) => s.node)).toEqual(['f']);
  });

  it('seeds a tensor output with ones', () => {
    // D = W·X as the output: dW = 1·Xᵀ, dX = Wᵀ·1.
    const ev = evaluate(
      circuit(
        'D',
        input('W', [
          [1, 2],
          [3, 4],
        ]),
        input('X', [
          [5, 6, 7],
          [8, 9, 10],
        ]),
        gate('D', 'matmul', 'W', 'X'),
      ),
    );
    expect(entries(ev.grad('D'))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(entries(ev.grad('W'))).toEqual([18, 27, 18, 27]);
    expect(entries(ev.grad('X'))).toEqual([4, 4, 4, 6, 6, 6]);
  });

  it('lets the output be an input (gradient 1)', () => {
    const ev = evaluate(circuit('x', input('x', 4)));
    expect(num(ev.outputValue)).toBe(4);
    expect(num(ev.grad('x'))).toBe(1);
  });
});

describe('run({name: value})', () => {
  const program = compile(
    circuit(
      'f',
      input('s', 2),
      input('v', [1, 2, 3]),
      input('M', [
        [1, 0],
        [0, 1],
      ]),
      constant('k', 10),
      gate('Mv', 'matmul', 'M', 'u'),
      input('u', [1, 1]),
      gate('a', 'sum', 'v'),
      gate('b', 'sum', 'Mv'),
      gate('ab', 'add', 'a', 'b'),
      gate('sab', 'mul', 's', 'ab'),
      gate('f', 'add', 'sab', 'k'),
    ),
  );

  it('takes numbers and nested arrays of the declared shapes', () => {
    const ev = program.run({
      s: 3,
      v: [4, 5, 6],
      M: [
        [1, 2],
        [3, 4],
      ],
      u: [1, -1],
    });
    expect(entries(ev.value('v'))).toEqual([4, 5, 6]);
    expect(shapeOf(ev.value('M'))).toEqual([2, 2]);
    expect(entries(ev.value('Mv'))).toEqual([-1, -1]);
    // f = s·(Σv + Σ(M·u)) + k = 3·(15 − 2) + 10
    expect(num(ev.outputValue)).toBe(49);
    expect(num(ev.grad('s'))).toBe(13);
    expect(entries(ev.grad('v'))).toEqual([3, 3, 3]);
    // ∂f/∂M = s·1·uᵀ, ∂f/∂u = s·Mᵀ·1.
    expect(entries(ev.grad('M'))).toEqual([3, -3, 3, -3]);
    expect(entries(ev.grad('u'))).toEqual([12, 18]);
  });

  it('takes a tensor too', () => {
    const ev = program.run({ v: tensor([3], [1, 1, 1]) });
    expect(entries(ev.value('v'))).toEqual([1, 1, 1]);
  });

  it('rejects an unknown name, naming the inputs', () => {
    const e = runError(() => program.run({ w: 1 }));
    expect(e.message).toBe("unknown input 'w' (the inputs are: s, v, M, u)");
  });

  it('rejects a constant given as an input', () => {
    const e = runError(() => program.run({ k: 1 }));
    expect(e.message).toBe("unknown input 'k' (the inputs are: s, v, M, u)");
  });

  it('rejects wrong shapes, naming both', () => {
    expect(runError(() => program.run({ v: [1, 2] })).message).toBe('input v has shape 3, got 2');
    expect(runError(() => program.run({ s: [1, 2] })).message).toBe(
      'input s has shape scalar, got 2',
    );
    expect(runError(() => program.run({ M: [[1, 2, 3]] })).message).toBe(
      'input M has shape 2×2, got 1×3',
    );
    expect(runError(() => program.run({ v: 3 })).message).toBe('input v has shape 3, got scalar');
    expect(runError(() => program.run({ v: tensor([1, 3], [1, 2, 3]) })).message).toBe(
      'input v has shape 3, got 1×3',
    );
  });

  it('rejects values that are not numbers or rectangular arrays', () => {
    expect(runError(() => program.run({ M: [[1, 2], [3]] })).message).toBe(
      'input M: row 2 has 1 numbers but row 1 has 2: every row needs the same length',
    );
    expect(runError(() => program.run({ v: [] })).message).toBe(
      'input v: an array value must not be empty',
    );
    expect(runError(() => program.run({ v: 'abc' as unknown as number })).message).toBe(
      'input v: a value must be a number or an array of numbers',
    );
  });
});

describe('a 50,000-gate chain', () => {
  it('compiles and runs without a stack overflow', () => {
    const n = 50_000;
    const parts = [input('x', 0.5), constant('one', 1)];
    let prev = 'x';
    for (let i = 0; i < n; i++) {
      const id = `g${i}`;
      parts.push(i % 2 === 0 ? gate(id, 'add', prev, 'one') : gate(id, 'neg', prev));
      prev = id;
    }
    // Pairs of (add 1, negate): x → −(x + 1), twice → x, so after 50,000 gates f = x and ∂x = 1.
    const program = compile(circuit(prev, ...parts));
    expect(program.gates.length).toBe(n);
    const ev = program.run();
    expect(num(ev.outputValue)).toBe(0.5);
    expect(num(ev.grad('x'))).toBe(1);
    // 25,000 negations follow g0, 24,999 follow g1.
    expect(num(ev.grad('g0'))).toBe(1);
    expect(num(ev.grad('g1'))).toBe(-1);
    expect(num(program.run({ x: 3 }).outputValue)).toBe(3);
    expect(backwardSteps(ev)).toHaveLength(n);
  });
});

describe('bad circuits: compile names the problem and the place', () => {
  it('names the nodes on a cycle, in wire direction', () => {
    // a = x + c, b = −a, c = −b: a → b → c → a.
    const c = circuit(
      'c',
      input('x', 1),
      gate('a', 'add', 'x', 'c'),
      gate('b', 'neg', 'a'),
      gate('c', 'neg', 'b'),
    );
    const e = compileError(c);
    expect(e.problems).toHaveLength(1);
    const rotations = ['a → b → c → a', 'b → c → a → b', 'c → a → b → c'];
    expect(rotations.map((r) => `the circuit has a cycle: ${r}`)).toContain(e.message);
    expect([...e.problems[0].nodes].sort()).toEqual(['a', 'b', 'c']);
  });

  it('names a self-loop and a cycle downstream of which other gates hang', () => {
    const c = circuit('f', input('x', 1), gate('s', 'add', 'x', 's'), gate('f', 'exp', 's'));
    expect(compileError(c).message).toBe('the circuit has a cycle: s → s');
  });

  it('reports a missing input port', () => {
    const c = circuit('s', input('x', 1), node('s', 'add'), wires(wire('x', 's', 'a')));
    const e = compileError(c);
    expect(e.message).toBe('port b of s (add) has no input');
    expect(e.problems[0]).toMatchObject({ nodes: ['s'], port: 'b' });
  });

  it('reports an unknown op', () => {
    const c = circuit('g', input('x', 1), node('g', 'frobnicate'), wires(wire('x', 'g', 'x')));
    expect(compileError(c).message).toBe("g uses an unknown op 'frobnicate'");
  });

  it('reports a dangling wire to or from a missing node', () => {
    const from = circuit('f', input('x', 1), gate('f', 'add', 'x', 'ghost'));
    const fromError = compileError(from);
    expect(fromError.message).toBe(
      "a wire from ghost to f names a node 'ghost' that does not exist\nport b of f (add) has no input",
    );
    // The problem points at the end that exists.
    expect(fromError.problems[0].nodes).toEqual(['f']);
    const to = circuit('f', input('x', 1), gate('f', 'exp', 'x'), wires(wire('x', 'nowhere', 'a')));
    const toError = compileError(to);
    expect(toError.message).toBe(
      "a wire from x to nowhere names a node 'nowhere' that does not exist",
    );
    expect(toError.problems[0].nodes).toEqual(['x']);
    // With both ends missing there is no node to point at.
    const neither = circuit('f', input('x', 1), gate('f', 'exp', 'x'), wires(wire('p', 'q', 'x')));
    const neitherError = compileError(neither);
    expect(neitherError.message).toBe("a wire from p to q names a node 'p' that does not exist");
    expect(neitherError.problems[0].nodes).toEqual([]);
  });

  it('reports two wires into one port', () => {
    const c = circuit(
      's',
      input('x', 1),
      input('y', 2),
      input('z', 3),
      node('s', 'add'),
      wires(wire('x', 's', 'a'), wire('y', 's', 'a'), wire('z', 's', 'b')),
    );
    const e = compileError(c);
    expect(e.message).toBe('port a of s (add) has two wires (from x and y); a port takes one');
    expect(e.problems[0]).toMatchObject({ nodes: ['s'], port: 'a' });
  });

  it('reports a wire into a port the gate does not have, or into an input', () => {
    const c = circuit(
      's',
      input('x', 1),
      input('y', 2),
      gate('s', 'add', 'x', 'y'),
      wires(wire('x', 's', 'c'), wire('x', 'y', 'a')),
    );
    expect(compileError(c).message).toBe(
      "s (add) has no port 'c' (its ports are a, b)\ny takes no inputs, but a wire from x goes into it",
    );
  });

  it('reports duplicate ids and an input without a value', () => {
    const c = circuit(
      'f',
      input('x', 1),
      input('x', 2),
      node('y', 'input'),
      gate('f', 'add', 'x', 'y'),
    );
    expect(compileError(c).message).toBe("two nodes have the id 'x'\ny has no value");
  });

  it('reports a shape mismatch naming both shapes', () => {
    const zeros = (r: number, c: number) => tensor([r, c], new Float64Array(r * c));
    const add = circuit(
      's',
      input('A', zeros(5, 10)),
      input('B', zeros(3, 10)),
      gate('s', 'add', 'A', 'B'),
    );
    const msg = compileError(add).message;
    expect(msg).toContain('5×10');
    expect(msg).toContain('3×10');
    expect(msg).toBe(
      's (add): add needs inputs of the same shape, or a row, a column or a scalar beside a matrix: a is 5×10 and b is 3×10; b must be 5×1, 1×10, a scalar or 5×10',
    );

    const mm = circuit(
      'D',
      input('W', zeros(5, 10)),
      input('X', zeros(3, 10)),
      gate('D', 'matmul', 'W', 'X'),
    );
    expect(compileError(mm).message).toBe(
      'D (matrix product): matrix product needs the columns of a to equal the rows of b: 5×10 @ 3×10 has 10 ≠ 3 (the transpose of b, 10×3, would fit)',
    );

    const scalarMm = circuit('D', input('a', 2), input('b', 3), gate('D', 'matmul', 'a', 'b'));
    expect(compileError(scalarMm).message).toBe(
      'D (matrix product): matrix product needs vectors or matrices, got scalar @ scalar',
    );
  });

  it('broadcasts a scalar beside a vector, but not a 1-vector, nor a 1×1 matrix beside a vector', () => {
    const ok = evaluate(
      circuit(
        'f',
        input('s', 2),
        input('v', [1, 2, 3]),
        gate('p', 'mul', 's', 'v'),
        gate('f', 'sum', 'p'),
      ),
    );
    expect(num(ok.grad('s'))).toBe(6);
    const vector = circuit('p', input('s', [2]), input('v', [1, 2, 3]), gate('p', 'mul', 's', 'v'));
    expect(compileError(vector).message).toBe(
      'p (multiply): multiply needs inputs of the same shape, or a row, a column or a scalar beside a matrix: a is a vector of 1 and b is a vector of 3; a must be a scalar or a vector of 3',
    );
    const matrix = circuit(
      'p',
      input('v', [1, 2, 3]),
      input('s', [[2]]),
      gate('p', 'add', 'v', 's'),
    );
    expect(compileError(matrix).message).toBe(
      'p (add): add needs inputs of the same shape, or a row, a column or a scalar beside a matrix: a is a vector of 3 and b is 1×1; b must be a scalar or a vector of 3',
    );
  });

  it('reports a missing output, or an output that is not a node', () => {
    const none = circuit(null, input('x', 1), gate('f', 'exp', 'x'));
    expect(compileError(none).message).toBe('no output is chosen: mark the node whose value is f');
    const ghost = circuit('nope', input('x', 1), gate('f', 'exp', 'x'));
    expect(compileError(ghost).message).toBe("the output 'nope' is not a node of the circuit");
  });

  it('lists every problem, not just the first', () => {
    const c = circuit(
      null,
      input('x', 1),
      node('g', 'frobnicate'),
      node('h', 'mul'),
      wires(wire('x', 'h', 'a')),
    );
    const e = compileError(c);
    expect(e.problems.map((p) => p.message)).toEqual([
      "g uses an unknown op 'frobnicate'",
      'port b of h (multiply) has no input',
      'no output is chosen: mark the node whose value is f',
    ]);
    expect(e.name).toBe('CircuitError');
  });
});

describe('partial mode', () => {
  // A good branch to the output, and a broken branch beside it (unknown op, then a gate that
  // depends on it, then a gate with a missing port).
  const c = circuit(
    'f',
    input('x', 2),
    input('y', 3),
    gate('f', 'mul', 'x', 'y'),
    node('bad', 'frobnicate'),
    wires(wire('x', 'bad', 'x')),
    gate('after', 'exp', 'bad'),
    node('half', 'add'),
    wires(wire('y', 'half', 'a')),
  );

  it('computes every node it can and lists the problems', () => {
    expect(() => compile(c)).toThrow(CircuitError);
    const program = compile(c, { partial: true });
    expect(program.problems.map((p) => p.message)).toEqual([
      "bad uses an unknown op 'frobnicate'",
      'port b of half (add) has no input',
    ]);
    const ev = program.run();
    expect(num(ev.outputValue)).toBe(6);
    expect(num(ev.grad('x'))).toBe(3);
    expect(num(ev.grad('y'))).toBe(2);
    for (const id of ['bad', 'after', 'half']) expect(ev.has(id)).toBe(false);
    expect(() => ev.value('after')).toThrow("no node 'after' in this program");
  });

  it('computes values but no gradients when the output itself is broken', () => {
    const broken = circuit(
      'after',
      input('x', 2),
      gate('e', 'exp', 'x'),
      node('bad', 'frobnicate'),
      wires(wire('e', 'bad', 'x')),
      gate('after', 'exp', 'bad'),
    );
    const program = compile(broken, { partial: true });
    expect(program.problems.map((p) => p.message)).toEqual(["bad uses an unknown op 'frobnicate'"]);
    const ev = program.run();
    expect(ev.outputValue).toBeUndefined();
    expect(num(ev.value('e'))).toBe(Math.exp(2));
    expect(num(ev.grad('x'))).toBe(0);
    expect(backwardSteps(ev)).toEqual([]);
  });

  it('keeps the nodes outside a cycle', () => {
    const cyc = circuit(
      'f',
      input('x', 2),
      gate('f', 'square', 'x'),
      gate('a', 'add', 'x', 'b'),
      gate('b', 'neg', 'a'),
    );
    const program = compile(cyc, { partial: true });
    expect(program.problems).toHaveLength(1);
    expect(program.problems[0].message).toMatch(/^the circuit has a cycle: (a → b → a|b → a → b)$/);
    const ev = program.run();
    expect(num(ev.outputValue)).toBe(4);
    expect(num(ev.grad('x'))).toBe(4);
    expect(ev.has('a')).toBe(false);
  });

  it('has no problems for a good circuit', () => {
    const program = compile(circuit('f', input('x', 1), gate('f', 'exp', 'x')), { partial: true });
    expect(program.problems).toEqual([]);
  });
});
