/**
 * Python functions pasted as the notes write them (`def softplus(x): return np.log(1 + np.exp(x))`)
 * become gates of their own, and `def dsoftplus_dx(x): return …` after one its hand-written
 * local gradient. The numbers are worked out here with Math, never taken from the engine.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { ParseError } from '../../src/engine/errors';
import { isComposite } from '../../src/engine/gates/composite';
import { resolveOp } from '../../src/engine/gates/scope';
import { parseGates } from '../../src/engine/parse';
import type { Evaluation } from '../../src/engine/program';
import { checkBackward, type ProgramRead, readProgram } from '../../src/engine/python';
import { lowerPython } from '../../src/engine/python/lower';
import { readStatements, tokenize } from '../../src/engine/python/read';
import type { Circuit } from '../../src/engine/types';
import { num } from './helpers';
import { NEURON } from './python-programs';

const sigma = (v: number) => 1 / (1 + Math.exp(-v));
const softplus = (v: number) => Math.log(1 + Math.exp(v));

function read(text: string, options = {}): ProgramRead & { kind: 'python' } {
  const r = readProgram(text, options);
  if (r.kind !== 'python') throw new Error('expected Python');
  return r;
}

function run(text: string): Evaluation {
  return compile(read(text).parsed.circuit).run();
}

function errorOf(text: string): ParseError {
  try {
    readProgram(text);
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error(`expected a ParseError for ${JSON.stringify(text)}`);
}

/** The composite op of the node `id` (its gate resolved through the circuit's own gates). */
function compositeOf(circuit: Circuit, id: string) {
  const node = circuit.nodes.find((n) => n.id === id);
  if (node === undefined) throw new Error(`no node ${id}`);
  const op = resolveOp(node.op, circuit.gates);
  if (!isComposite(op)) throw new Error(`${id} (${node.op}) is not a composite gate`);
  return op.composite;
}

const NP = 'import numpy as np\n';

describe('a def is lowered to a gate definition on its line', () => {
  it('on one line, then called', () => {
    const r = read(`${NP}def softplus(x): return np.log(1 + np.exp(x))\ny = softplus(2)`);
    expect(r.python.program).toBe('\nsoftplus(x) = log(1 + exp(x))\ny = softplus(2)');
    expect(r.parsed.defined.map((d) => [d.name, d.ports])).toEqual([['softplus', ['x']]]);
    expect(r.python.forward.map((f) => [f.node, f.line])).toEqual([['y', 3]]);
  });

  it('as a block with a docstring, comments and locals substituted into the return', () => {
    const text = `${NP}
def softplus(x):
    """Smooth relu."""
    # e is the exponential
    e = np.exp(x)  # used once

    return np.log(1 + e)

x = 2
y = softplus(x)`;
    const r = read(text);
    expect(r.python.program.split('\n')[2]).toBe('softplus(x) = log(1 + exp(x))');
    expect(r.python.forward.map((f) => [f.node, f.line])).toEqual([
      ['x', 10],
      ['y', 11],
    ]);
  });

  it('substitutes a local used more than once, parenthesised where precedence needs it', () => {
    const cases: [string, string][] = [
      ['e = np.exp(x)\n    return e / (1 + e)', 'exp(x) / (1 + exp(x))'],
      ['s = x + 1\n    return 2 * s', '2 * (x + 1)'],
      ['s = x + 1\n    return s ** 2', '(x + 1) ** 2'],
      ['s = x + 1\n    return -s', '-(x + 1)'],
      ['s = x - 1\n    return 3 - s', '3 - (x - 1)'],
      ['t = x\n    t += 1\n    t *= t\n    return t', '(x + 1) * (x + 1)'],
      ['x = x * 2\n    return math.tanh(x)', 'tanh(x * 2)'],
    ];
    for (const [body, want] of cases) {
      const r = read(`import math, numpy as np\ndef g(x):\n    ${body}\ny = g(3)`);
      expect(r.python.program.split('\n')[1]).toBe(`g(x) = ${want}`);
    }
  });

  it('a paste indented as a whole keeps its function body apart from what follows', () => {
    const r = read(`    import numpy as np
    def softplus(x):
        return np.log(1 + np.exp(x))
    y = softplus(-0.5)`);
    expect(r.python.program).toBe('\nsoftplus(x) = log(1 + exp(x))\n\ny = softplus(-0.5)');
    expect(num(compile(r.parsed.circuit).run().value('y'))).toBeCloseTo(softplus(-0.5), 12);
  });

  it('a definition in the app’s own language is still the app’s language', () => {
    const text = 'softplus(x) = log(1 + exp(x))\nd/dx = sigmoid(x)\ny = softplus(2)';
    const r = readProgram(text);
    expect(r.kind).toBe('app');
    expect(r.parsed.defined.map((d) => d.name)).toEqual(['softplus']);
  });

  it('several parameters, math and NumPy calls, keyword arguments at the call', () => {
    const r = read(
      `import math\nimport numpy as np\ndef f(a, b): return math.exp(a) * np.tanh(b)\np = 0.5\nq = -1\ny = f(b=q, a=p)`,
    );
    expect(r.python.program.split('\n')[2]).toBe('f(a, b) = exp(a) * tanh(b)');
    expect(r.python.program.split('\n')[5]).toBe('y = f(p, q)');
    const ev = compile(r.parsed.circuit).run();
    expect(num(ev.value('y'))).toBeCloseTo(Math.exp(0.5) * Math.tanh(-1), 12);
    expect(num(ev.grad('p'))).toBeCloseTo(Math.exp(0.5) * Math.tanh(-1), 12);
    expect(num(ev.grad('q'))).toBeCloseTo(Math.exp(0.5) * (1 - Math.tanh(-1) ** 2), 12);
  });

  it('a function named like a gate of the app is renamed, with a note', () => {
    const r = read(`${NP}def sigmoid(x): return 1 / (1 + np.exp(-x))\ny = sigmoid(0.5)`);
    expect(r.python.program.split('\n')[1]).toBe('my_sigmoid(x) = 1 / (1 + exp(-x))');
    expect(r.python.program.split('\n')[2]).toBe('y = my_sigmoid(0.5)');
    expect(r.notes.join(' ')).toMatch(/def sigmoid \(line 2\) is the gate my_sigmoid/);
    expect(num(compile(r.parsed.circuit).run().value('y'))).toBeCloseTo(sigma(0.5), 12);
  });

  it('a hand-written derivative is written as d/dx right after its gate, wherever it was pasted', () => {
    const text = `${NP}def softplus(x):
    return np.log(1 + np.exp(x))
x = 2
def dsoftplus_dx(x):
    return 1 / (1 + np.exp(-x))
y = softplus(x)`;
    const r = read(text);
    expect(r.python.program.split('\n')[1]).toBe(
      'softplus(x) = log(1 + exp(x)); d/dx = 1 / (1 + exp(-x))',
    );
    expect(r.parsed.defined[0].derivatives?.[0]?.text).toBe('1 / (1 + exp(-x))');
  });
});

describe('a defined gate computes what its expression computes', () => {
  it('softplus(2) and its local gradient σ(2), from backprop inside', () => {
    const r = read(`${NP}def softplus(x): return np.log(1 + np.exp(x))\nx = 2\ny = softplus(x)`);
    const ev = compile(r.parsed.circuit).run();
    expect(num(ev.value('y'))).toBeCloseTo(2.1269280110429727, 14);
    expect(num(ev.grad('x'))).toBeCloseTo(0.8807970779778823, 14);
    const info = compositeOf(r.parsed.circuit, 'y');
    expect(info.written).toEqual([false]);
    expect(info.derivativeProblems).toEqual([]);
  });

  it('a right dsoftplus_dx passes the check and is the gradient used', () => {
    const r = read(`${NP}def softplus(x): return np.log(1 + np.exp(x))
def dsoftplus_dx(x): return 1 / (1 + np.exp(-x))
x = 2
y = softplus(x)`);
    const info = compositeOf(r.parsed.circuit, 'y');
    expect(info.written).toEqual([true]);
    expect(info.derivativeProblems).toEqual([]);
    const ev = compile(r.parsed.circuit).run();
    expect(num(ev.grad('x'))).toBeCloseTo(sigma(2), 14);
  });

  it('a wrong dsoftplus_dx is flagged, and backprop inside is used instead', () => {
    const r = read(`${NP}def softplus(x):
    return np.log(1 + np.exp(x))

def dsoftplus_dx(x):
    return np.exp(x)

x = 2
y = softplus(x)`);
    const info = compositeOf(r.parsed.circuit, 'y');
    expect(info.derivativeProblems.length).toBeGreaterThan(0);
    expect(info.written).toEqual([false]);
    const ev = compile(r.parsed.circuit).run();
    expect(num(ev.grad('x'))).toBeCloseTo(sigma(2), 12);
    expect(num(ev.grad('x'))).not.toBeCloseTo(Math.exp(2), 3);
  });

  it('inside a larger circuit, gradients follow the chain rule through it', () => {
    const ev = run(`${NP}def softplus(x):
    e = np.exp(x)
    return np.log(1 + e)
w = 2
x = -1.5
y = softplus(w * x) * 3`);
    const z = 2 * -1.5;
    expect(num(ev.value('y'))).toBeCloseTo(3 * softplus(z), 12);
    expect(num(ev.grad('w'))).toBeCloseTo(3 * sigma(z) * -1.5, 12);
    expect(num(ev.grad('x'))).toBeCloseTo(3 * sigma(z) * 2, 12);
  });

  it('a function may call one defined above it', () => {
    const ev = run(`${NP}def softplus(x): return np.log(1 + np.exp(x))
def twice(a, b):
    s = softplus(a)
    return s * b + s
p = 0.3
q = 4
y = twice(p, q)`);
    expect(num(ev.value('y'))).toBeCloseTo(softplus(0.3) * 5, 12);
    expect(num(ev.grad('p'))).toBeCloseTo(sigma(0.3) * 5, 12);
    expect(num(ev.grad('q'))).toBeCloseTo(softplus(0.3), 12);
  });

  it('a gate the document already has may be called without a def', () => {
    const first = read(`${NP}def softplus(x): return np.log(1 + np.exp(x))\ny = softplus(1)`);
    const r = read(`${NP}x = 0.25\ny = softplus(x) + np.exp(x)`, { gates: first.parsed.defined });
    const ev = compile(r.parsed.circuit).run();
    expect(num(ev.value('y'))).toBeCloseTo(softplus(0.25) + Math.exp(0.25), 12);
    expect(num(ev.grad('x'))).toBeCloseTo(sigma(0.25) + Math.exp(0.25), 12);
  });

  it('the notes’ neuron with its sigmoid as a function: the backward pass checks out', () => {
    const text = `import math
def sigmoid(t):
    return 1.0 / (1 + math.exp(-t))
${NEURON.replace('f = 1.0 / (1 + math.exp(-dot))', 'f = sigmoid(dot)')}`;
    const r = read(text);
    const ev = compile(r.parsed.circuit).run();
    const f = sigma(2 * -1 + -3 * -2 + -3);
    expect(num(ev.value('f'))).toBeCloseTo(f, 12);
    const findings = checkBackward(r.python, ev);
    expect(findings.map((x) => x.status)).toEqual(['correct', 'correct', 'correct']);
  });

  it('a backward line may call the functions: each call computes its expression', () => {
    const text = `${NP}def softplus(x): return np.log(1 + np.exp(x))
def dsoftplus_dx(x):
    e = np.exp(-x)
    return 1 / (1 + e)
w = 2
x = -1.5
z = w * x
y = softplus(z)
dz = dsoftplus_dx(z)
dw = x * dz
dx = w * softplus(z)`;
    const r = read(text);
    expect(r.parsed.circuit.output).toBe('y');
    const ev = compile(r.parsed.circuit).run();
    const findings = checkBackward(r.python, ev);
    expect(findings.map((f) => [f.line, f.status])).toEqual([
      [10, 'correct'],
      [11, 'correct'],
      [12, 'wrong'],
    ]);
    // What dx should be: w · σ(z), computed here.
    expect(findings[2].expected?.data[0]).toBeCloseTo(2 * sigma(-3), 12);
  });

  it('says which def is a hand-written gradient, and which came too early to be one', () => {
    const r = read(`${NP}def dsp_dx(x): return 2 * x
def sp(x): return x * x
def dsp_dx2(x): return 2 * x
y = sp(1)`);
    expect(r.parsed.defined.map((d) => d.name)).toEqual(['dsp_dx', 'sp', 'dsp_dx2']);
    expect(r.notes.join(' ')).toMatch(/def dsp_dx \(line 2\) comes before def sp \(line 3\)/);
    const s = read(`${NP}def sp(x): return 2 * x\ndef dsp_dx(x): return 2\ny = sp(1)`);
    expect(s.notes.join(' ')).toMatch(/def dsp_dx \(line 3\) is sp's local gradient d\/dx/);
    expect(s.parsed.defined.map((d) => d.name)).toEqual(['sp']);
  });

  it('names from Object.prototype are ordinary names for functions and parameters', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const r = read(
      `${NP}def __proto__(valueOf, constructor): return valueOf * constructor\ndef d__proto___dvalueOf(valueOf, constructor): return constructor\nhasOwnProperty = 3\ny = __proto__(hasOwnProperty, 2)`,
    );
    expect(compositeOf(r.parsed.circuit, 'y').written).toEqual([true, false]);
    const ev = compile(r.parsed.circuit).run();
    expect(num(ev.value('y'))).toBe(6);
    expect(num(ev.grad('hasOwnProperty'))).toBe(2);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });
});

describe('what a function may not do, at its line and column', () => {
  const cases: [string, number, number, RegExp][] = [
    [`${NP}x = 2\nreturn x`, 3, 1, /return is only allowed inside a function/],
    [`${NP}def f(x):\n    y = x * 2\ny = f(1)`, 2, 5, /def f has no return/],
    [`${NP}def f(x): return f(x) + 1\ny = f(2)`, 2, 18, /f calls itself.*recursion/],
    [`${NP}def f(x):\n    e = np.exp(x)\n    return f(e)\ny = f(2)`, 4, 12, /f calls itself/],
    [
      `${NP}def softplus(x): return np.log(1 + np.exp(x))\ny = softplus(1, 2)`,
      3,
      5,
      /softplus takes 1 argument \(x\), but this call gives 2/,
    ],
    [
      `${NP}def f(a, b): return a * b\ny = f(2)`,
      3,
      5,
      /f takes 2 arguments \(a, b\), but this call gives 1/,
    ],
    [`${NP}def f(a): return a\ny = f(b=2)`, 3, 9, /f has no parameter b/],
    [`${NP}def f(x): return x * q\ny = f(2)`, 2, 22, /q is not defined in def f/],
    [
      `${NP}a = 2\ndef f(x): return a * x\ny = f(2)`,
      3,
      18,
      /a is not a parameter of f: .* add a as a parameter/,
    ],
    [`${NP}def f(x):\n    if x:\n        return x\ny = f(1)`, 3, 5, /if statements .*inside def f/],
    [`${NP}def f(x):\n    for i in x:\n        x = i\n    return x`, 3, 5, /loops \(for\)/],
    [`${NP}def f(x):\n    print(x)\n    return x`, 3, 5, /print\(…\) inside def f/],
    [`${NP}def f(x):\n    def g(y):\n        return y\n    return x`, 3, 5, /a def inside def f/],
    [`${NP}def f(x):\n    x\n    return x`, 3, 5, /inside def f, a line assigns a name/],
    [
      `${NP}def f(x):\n    return x\n    y = 2\ny = f(1)`,
      4,
      5,
      /comes after the return of f \(line 3\)/,
    ],
    [`${NP}def f(x):\n    e = x\n      return e\ny = f(1)`, 4, 7, /indented differently .* def f/],
    [`${NP}def f(x):\nx = 2`, 2, 5, /def f\(…\): has no body/],
    [`${NP}def f(x=1): return x`, 2, 8, /default values/],
    [`${NP}def f(*xs): return xs`, 2, 7, /\*args/],
    [`${NP}def f(x):\n    return x, x\ny = f(1)`, 3, 13, /returns several values/],
    [
      `${NP}y = f(2)\ndef f(x): return x`,
      2,
      5,
      /f is called on line 2 before it is defined on line 3/,
    ],
    [
      `${NP}def sp(x): return np.log(1 + np.exp(x))\ndef dsp_dx(x): return 1 / (1 + np.exp(-x))\ny = dsp_dx(1)`,
      4,
      5,
      /dsp_dx is the hand-written d\/dx of sp.*call sp instead/,
    ],
    [
      `${NP}def sp(x): return np.log(1 + np.exp(x))\ndef dsp_dx(y): return y`,
      3,
      12,
      /dsp_dx is the d\/dx of sp, so its parameters are sp's \(x\), not y/,
    ],
    [
      `${NP}def sp(x): return x\ndef dsp_dx(x): return 1\ndef dsp_dx(x): return 2`,
      4,
      5,
      /dsp_dx is defined twice/,
    ],
    [`${NP}def f(x): return x\nf = f(2)`, 2, 5, /f is both a function \(line 2\) and a value/],
    [`${NP}def f(x): return x * 2`, 2, 5, /f is defined, but nothing uses it yet/],
    [`${NP}def f(): return 2\ny = f()`, 2, 5, /def f\(\) has no parameters/],
    [
      `${NP}def f(x):\n    e = np.log10(x)\n    return e\ny = f(1)`,
      3,
      9,
      /np\.log10 is not supported/,
    ],
  ];
  for (const [text, line, column, message] of cases) {
    it(`${JSON.stringify(text.split('\n').slice(1).join('\n'))} → ${line}:${column}`, () => {
      const e = errorOf(text);
      expect(e.message).toMatch(message);
      expect([e.line, e.column]).toEqual([line, column]);
    });
  }

  it('locals that each use the one before twice cannot blow the expression up', () => {
    const body = Array.from({ length: 40 }, (_, i) => `    a${i + 1} = a${i} * a${i}`).join('\n');
    const e = errorOf(`${NP}def f(a0):\n${body}\n    return a40\ny = f(1)`);
    expect(e.message).toMatch(
      /the expression of f, with each use of a local written out, has .* characters; the limit is 1,400,000: use each local fewer times/,
    );
    // The first line whose uses go over: 2^k copies of a0 pass 1,400,000 characters near k = 18.
    expect(e.line).toBeGreaterThan(10);
    expect(e.line).toBeLessThan(30);
  });

  it('an error the app parser finds in a function points at the pasted line and column', () => {
    // The inside is only a number: the app's parser says so at the return's value.
    const constant = errorOf(`${NP}def f(x):\n    return 2\ny = f(1)`);
    expect(constant.message).toMatch(/only a number/);
    expect([constant.line, constant.column]).toEqual([3, 12]);
    // A local's call with the wrong arguments is found on the local's own line, though the
    // definition is written on the def's line.
    const local = errorOf(`${NP}def f(x):\n    e = pow(x)\n    return e + 1\ny = f(1)`);
    expect([local.line, local.column]).toEqual([3, 9]);
  });
});

describe('definitions alone (the palette’s New gate)', () => {
  const lowerDefs = (text: string) =>
    lowerPython(readStatements(tokenize(text)), text, { definitionsOnly: true });

  it('lower without a use, and read as gates', () => {
    const text =
      'def softplus(x):\n    return np.log(1 + np.exp(x))\ndef dsoftplus_dx(x): return 1 / (1 + np.exp(-x))';
    const [def] = parseGates(lowerDefs(text).program);
    expect(def.name).toBe('softplus');
    const op = resolveOp('softplus', [def]);
    if (!isComposite(op)) throw new Error('not a composite');
    expect(op.composite.written).toEqual([true]);
    expect(op.composite.evaluate([2])).toBeCloseTo(softplus(2), 14);
  });

  it('a program that is not definitions is refused when read as gates, at its line', () => {
    const lowered = lowerDefs('x = 3\nf = x * 2');
    expect(() => parseGates(lowered.program)).toThrow(
      /line 1, column 1: only gate definitions go here/,
    );
  });
});
