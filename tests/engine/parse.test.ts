/**
 * The expression language (README.md, "The expression language"). Each program is parsed,
 * compiled and run; values and gradients are checked against numbers derived by hand, and
 * every error against its message and its line and column.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { ParseError } from '../../src/engine/errors';
import { type ParsedProgram, parse } from '../../src/engine/parse';
import type { Evaluation } from '../../src/engine/program';
import { randn } from '../../src/engine/tensor';
import type { Circuit, CircuitNode } from '../../src/engine/types';
import { entries, num, shapeOf, sigma } from './helpers';

function run(text: string): Evaluation {
  return compile(parse(text).circuit).run();
}

function nodeOf(circuit: Circuit, id: string): CircuitNode {
  const node = circuit.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`no node '${id}'`);
  return node;
}

/** The sources of a node's ports, as `port ← from`, in wire order. */
function feeds(circuit: Circuit, id: string): string[] {
  return circuit.wires.filter((w) => w.to === id).map((w) => `${w.port} ← ${w.from}`);
}

function parseError(text: string): ParseError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error(`expected a ParseError for ${JSON.stringify(text)}`);
}

describe('the reference circuits', () => {
  it('f = (x + y) * z with x = -2, y = 5, z = -4', () => {
    const ev = run('x = -2; y = 5; z = -4; f = (x + y) * z');
    expect(num(ev.value('f'))).toBe(-12);
    // q = x + y = 3; ∂f/∂q = z = -4 reaches x and y unchanged; ∂f/∂z = q = 3.
    expect(num(ev.grad('x'))).toBe(-4);
    expect(num(ev.grad('y'))).toBe(-4);
    expect(num(ev.grad('z'))).toBe(3);
  });

  it('the staged sigmoid program keeps every named wire', () => {
    const text = [
      'x = 3 # example values',
      'y = 4',
      'sigy = sigmoid(y) # sigmoid in numerator',
      'num = x + sigy',
      'sigx = sigmoid(x)',
      'xpy = x + y',
      'xpysqr = xpy^2',
      'den = sigx + xpysqr',
      'invden = 1 / den',
      'f = num * invden',
    ].join('\n');
    const parsed = parse(text);
    const names = ['x', 'y', 'sigy', 'num', 'sigx', 'xpy', 'xpysqr', 'den', 'invden', 'f'];
    expect(parsed.named).toEqual(names);
    expect(parsed.inputs).toEqual(['x', 'y']);
    expect(parsed.circuit.output).toBe('f');
    expect(nodeOf(parsed.circuit, 'sigy').op).toBe('sigmoid');
    expect(nodeOf(parsed.circuit, 'xpysqr').op).toBe('pow');
    expect(nodeOf(parsed.circuit, 'invden').op).toBe('div');
    for (const name of names) expect(nodeOf(parsed.circuit, name).label).toBe(name);

    const ev = compile(parsed.circuit).run();
    expect(Math.abs(num(ev.value('f')) - 0.07971588771237584)).toBeLessThan(1e-15);

    // f = n / d with n = x + σ(y), d = σ(x) + (x + y)²; the quotient rule by hand.
    const [x, y] = [3, 4];
    const n = x + sigma(y);
    const d = sigma(x) + (x + y) ** 2;
    const dfdx = (d - n * (sigma(x) * (1 - sigma(x)) + 2 * (x + y))) / d ** 2;
    const dfdy = (sigma(y) * (1 - sigma(y)) * d - n * 2 * (x + y)) / d ** 2;
    expect(num(ev.grad('x'))).toBeCloseTo(dfdx, 14);
    expect(num(ev.grad('y'))).toBeCloseTo(dfdy, 14);
  });

  it("micrograd's README expression gives its numbers (each += as a new name)", () => {
    const ev = run(
      [
        'a = -4.0',
        'b = 2.0',
        'c = a + b',
        'd = a * b + b**3',
        'c2 = c + (c + 1)',
        'c3 = c2 + (1 + c2 + (-a))',
        'd2 = d + (d * 2 + relu(b + a))',
        'd3 = d2 + (3 * d2 + relu(b - a))',
        'e = c3 - d3',
        'f = e**2',
        'g = f / 2.0',
        'g2 = g + 10.0 / f',
      ].join('\n'),
    );
    // micrograd prints g = 24.7041, a.grad = 138.8338, b.grad = 645.5773 (4 decimals).
    expect(num(ev.value('g2'))).toBeCloseTo(24.7041, 4);
    expect(num(ev.grad('a'))).toBeCloseTo(138.8338, 4);
    expect(num(ev.grad('b'))).toBeCloseTo(645.5773, 4);
    // Every number is part of a gate: 2 inputs and one gate per operation (25), no more.
    expect(ev.program.ids).toHaveLength(27);
  });

  it('the one-line form (statements joined by ;) gives the same f', () => {
    const ev = run('x = 3\ny = 4\nsigy = sigmoid(y)\nf = (x + sigy) / (sigmoid(x) + (x + y)^2)');
    expect(num(ev.value('f'))).toBeCloseTo(0.07971588771237584, 15);
  });
});

describe('literals are parameters of the gate that reads them', () => {
  /** The one gate of `f = …`: its op, its literals (port → numbers) and its wires. */
  function gateOf(text: string) {
    const parsed = parse(text);
    const f = nodeOf(parsed.circuit, 'f');
    const params = Object.fromEntries(
      Object.entries(f.params ?? {}).map(([port, t]) => [port, Array.from(t.data)]),
    );
    return { op: f.op, params, wires: feeds(parsed.circuit, 'f'), nodes: parsed.nodes.length };
  }

  it.each([
    ['f = x * -1', 'mul', { b: [-1] }, ['a ← x']],
    ['f = e + 1', 'add', { b: [1] }, ['a ← e']],
    ['f = 1 + e', 'add', { a: [1] }, ['b ← e']],
    ['f = 1 / d', 'div', { a: [1] }, ['b ← d']],
    ['f = xpy**2', 'pow', { b: [2] }, ['a ← xpy']],
    ['f = xpy^2', 'pow', { b: [2] }, ['a ← xpy']],
    ['f = 2 * a', 'mul', { a: [2] }, ['b ← a']],
    ['f = x^0.5', 'pow', { b: [0.5] }, ['a ← x']],
    ['f = max(z, 0)', 'max', { b: [0] }, ['a ← z']],
    ['f = 1.0 - x', 'sub', { a: [1] }, ['b ← x']],
    ['f = x / 2', 'div', { b: [2] }, ['a ← x']],
    ['f = -y', 'neg', {}, ['x ← y']],
    ['f = 2 ^ -1', 'pow', { a: [2], b: [-1] }, []],
    ['f = v * [1, -2]', 'mul', { b: [1, -2] }, ['a ← v']],
  ] as const)('%s', (text, op, params, wires) => {
    const g = gateOf(text);
    expect(g.op).toBe(op);
    expect(g.params).toEqual(params);
    expect(g.wires).toEqual(wires);
    // The input (if any) and the gate: no node for a number.
    expect(g.nodes).toBe(wires.length + 1);
  });

  it('a right-hand side that is only a number still declares an input', () => {
    const parsed = parse('x = 3\ny = -2.5\nz = (1.0)\nf = x * y * z');
    expect(parsed.inputs).toEqual(['x', 'y', 'z']);
    expect(parsed.nodes.map((n) => n.op)).toEqual(['input', 'input', 'input', 'mul', 'mul']);
  });

  it('parses the staged program as the notes write it: one gate per operation, no literal node', () => {
    const parsed = parse(
      'x = 3; y = 4; sigy = 1.0 / (1 + exp(-y)); num = x + sigy; sigx = 1.0 / (1 + exp(-x)); xpy = x + y; xpysqr = xpy**2; den = sigx + xpysqr; invden = 1.0 / den; f = num * invden',
    );
    // 2 inputs; sigy and sigx are neg, exp, +1 and 1/x each; then num, xpy, x², den, 1/x, f.
    expect(parsed.nodes.map((n) => n.op)).toEqual([
      'input',
      'input',
      'neg',
      'exp',
      'add',
      'div',
      'add',
      'neg',
      'exp',
      'add',
      'div',
      'add',
      'pow',
      'add',
      'div',
      'mul',
    ]);
    for (const n of parsed.nodes) expect(n.op).not.toBe('const');
    const ev = compile(parsed).run();
    expect(num(ev.value('f'))).toBe(0.07971588771237584);
    const ids = new Set(parsed.nodes.map((n) => n.id as string));
    for (const w of parsed.wires) expect(ids.has(w.from)).toBe(true);
  });

  it('x = -3; f = x^2 has no NaN in its values or gradients', () => {
    const ev = run('x = -3; f = x^2');
    expect(num(ev.value('f'))).toBe(9);
    expect(num(ev.grad('x'))).toBe(-6);
    for (const v of [...ev.values, ...ev.grads, ...ev.contributions]) {
      expect(Number.isNaN(v)).toBe(false);
    }
  });
});

describe('precedence and associativity', () => {
  const value = (text: string) => num(run(text).outputValue);

  it('^ binds tighter than unary minus: -x^2 is -(x^2)', () => {
    const parsed = parse('x = 3; f = -x^2');
    expect(nodeOf(parsed.circuit, 'f').op).toBe('neg');
    const ev = compile(parsed.circuit).run();
    expect(num(ev.value('f'))).toBe(-9);
    expect(num(ev.grad('x'))).toBe(-6);
    expect(value('f = -2^2')).toBe(-4);
    expect(value('f = (-2)^2')).toBe(4);
  });

  it('^ and ** group right to left', () => {
    expect(value('f = 2^3^2')).toBe(512);
    expect(value('f = 2**3**2')).toBe(512);
    expect(value('f = 2^3**2')).toBe(512);
    expect(value('f = (2^3)^2')).toBe(64);
    expect(value('x = 3; f = -x**2')).toBe(-9);
  });

  it('an exponent may carry its own sign', () => {
    expect(value('f = 2^-1')).toBe(0.5);
    expect(value('f = 2 ** -2')).toBe(0.25);
  });

  it('- and / group left to right', () => {
    expect(value('a = 10; b = 3; c = 2; f = a - b - c')).toBe(5);
    expect(value('f = 8 / 4 / 2')).toBe(1);
    expect(value('f = 8 - 4 + 2')).toBe(6);
  });

  it('* / @ bind tighter than + -, and parentheses override', () => {
    expect(value('f = 2 + 3 * 4')).toBe(14);
    expect(value('f = (2 + 3) * 4')).toBe(20);
    expect(value('f = 2 * 3 - 12 / 4')).toBe(3);
    expect(value('f = sum([1, 2] @ [3, 4] + 1)')).toBe(12);
  });

  it('unary minus binds tighter than *', () => {
    expect(value('x = 2; f = -x * 3')).toBe(-6);
    expect(value('x = 2; f = 3 - -x')).toBe(5);
    expect(value('f = - - 4')).toBe(4);
    expect(value('f = +4 * +2')).toBe(8);
  });
});

describe('inputs, constants and named wires', () => {
  it('a bare number declares an input with that value', () => {
    const parsed = parse('x = -2\ny = 1e-3\nz = .5\nw = +7\nv = (3)');
    expect(
      parsed.circuit.nodes.map((n) => [n.id, n.op, n.label, num(entries(n.value)[0])]),
    ).toEqual([
      ['x', 'input', 'x', -2],
      ['y', 'input', 'y', 0.001],
      ['z', 'input', 'z', 0.5],
      ['w', 'input', 'w', 7],
      ['v', 'input', 'v', 3],
    ]);
    expect(parsed.circuit.wires).toEqual([]);
    expect(parsed.inputs).toEqual(['x', 'y', 'z', 'w', 'v']);
    expect(parsed.circuit.output).toBe('v');
  });

  it('a nested array declares a vector or matrix input', () => {
    const parsed = parse('A = [[1, -2], [3, 4]]\nv = [1, 2, -3.5]');
    expect(nodeOf(parsed.circuit, 'A').value?.shape).toEqual([2, 2]);
    expect(Array.from(nodeOf(parsed.circuit, 'A').value?.data ?? [])).toEqual([1, -2, 3, 4]);
    expect(nodeOf(parsed.circuit, 'v').value?.shape).toEqual([3]);
    expect(Array.from(nodeOf(parsed.circuit, 'v').value?.data ?? [])).toEqual([1, 2, -3.5]);
    expect(parsed.inputs).toEqual(['A', 'v']);
  });

  it('a minus directly on a literal folds into a negative literal of the gate', () => {
    const parsed = parse('f = -2 * y');
    expect(parsed.circuit.nodes.map((n) => n.op)).toEqual(['input', 'mul']);
    expect(entries(nodeOf(parsed.circuit, 'f').params?.a)).toEqual([-2]);
    expect(parsed.circuit.wires).toEqual([{ from: 'y', to: 'f', port: 'b' }]);
    expect(parse('f = -y').circuit.nodes.map((n) => n.op)).toEqual(['input', 'neg']);
  });

  it('constant arithmetic is not folded: literals are parameters of their gates', () => {
    const parsed = parse('f = 2 * 3 + 2');
    expect(parsed.circuit.nodes.map((n) => [n.id, n.op])).toEqual([
      ['mul#1', 'mul'],
      ['f', 'add'],
    ]);
    expect(entries(parsed.circuit.nodes[0].params?.a)).toEqual([2]);
    expect(entries(parsed.circuit.nodes[0].params?.b)).toEqual([3]);
    expect(entries(parsed.circuit.nodes[1].params?.b)).toEqual([2]);
    expect(parsed.circuit.wires).toEqual([{ from: 'mul#1', to: 'f', port: 'a' }]);
    expect(num(compile(parsed.circuit).run().value('f'))).toBe(8);
  });

  it('the gate computing the whole right-hand side takes the name; the others get # ids', () => {
    const parsed = parse('f = x * y + z');
    const { circuit } = parsed;
    expect(circuit.nodes.map((n) => [n.id, n.op])).toEqual([
      ['x', 'input'],
      ['y', 'input'],
      ['mul#1', 'mul'],
      ['z', 'input'],
      ['f', 'add'],
    ]);
    expect(feeds(circuit, 'mul#1')).toEqual(['a ← x', 'b ← y']);
    expect(feeds(circuit, 'f')).toEqual(['a ← mul#1', 'b ← z']);
    expect(nodeOf(circuit, 'mul#1').label).toBeUndefined();
  });

  it('generated ids never collide with names, across statements', () => {
    const parsed = parse('mul1 = a * b * c\nadd_2 = mul1 + 1 + 2\nf = -(add_2 * 2)');
    const ids = parsed.circuit.nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      if (!['a', 'b', 'c', 'mul1', 'add_2', 'f'].includes(id)) expect(id).toMatch(/^[a-z]+#\d+$/);
    }
    expect(num(compile(parsed.circuit).run().value('f'))).toBe(-8);
  });

  it('a name on its own makes an identity gate', () => {
    const parsed = parse('x = 3\na = x');
    expect(nodeOf(parsed.circuit, 'a').op).toBe('identity');
    expect(feeds(parsed.circuit, 'a')).toEqual(['x ← x']);
    const ev = compile(parsed.circuit).run();
    expect(num(ev.value('a'))).toBe(3);
    expect(num(ev.grad('x'))).toBe(1);
    expect(nodeOf(parse('x = 3\na = (+x)').circuit, 'a').op).toBe('identity');
  });

  it('a name used but never assigned is an input with value 1', () => {
    const parsed = parse('a = 2\nf = z * a + b');
    expect(parsed.inputs).toEqual(['a', 'z', 'b']);
    expect(parsed.named).toEqual(['a', 'f']);
    const z = nodeOf(parsed.circuit, 'z');
    expect(z.op).toBe('input');
    expect(z.label).toBe('z');
    expect(entries(z.value)).toEqual([1]);
    const ev = compile(parsed.circuit).run();
    expect(num(ev.value('f'))).toBe(3);
    expect(num(ev.grad('z'))).toBe(2);
    expect(num(ev.grad('b'))).toBe(1);
  });

  it('the output is the last assignment, even when it is an input', () => {
    expect(parse('f = x * 2\ng = f + 1').circuit.output).toBe('g');
    expect(parse('f = x * 2\nx2 = 5').circuit.output).toBe('x2');
  });
});

describe('layout of the text', () => {
  it('statements end at newlines or semicolons; blank lines and stray ; are fine', () => {
    const text = '\n\nx = 1;; y = 2;\n\n  \nf = x + y;\n';
    expect(parse(text).named).toEqual(['x', 'y', 'f']);
    expect(num(run(text).value('f'))).toBe(3);
  });

  it('# starts a comment that runs to the end of the line', () => {
    const text = '# a comment\nx = 2 # two\n# f = 100\nf = x * 3 # six';
    expect(parse(text).named).toEqual(['x', 'f']);
    expect(num(run(text).value('f'))).toBe(6);
  });

  it('Windows line endings and tabs are whitespace', () => {
    expect(num(run('x = 2\r\n\tf = x * x\r\n').value('f'))).toBe(4);
  });

  it('newlines inside parentheses and brackets are whitespace', () => {
    const text = [
      'A = [[1, 2],   # first row',
      '     [3, 4]]',
      'f = sum(',
      '  A',
      ') + (1 +',
      '  2)',
    ].join('\n');
    expect(num(run(text).value('f'))).toBe(13);
  });
});

describe('functions', () => {
  it.each([
    ['sigmoid(0)', 'sigmoid', 0.5],
    ['exp(0)', 'exp', 1],
    ['log(1)', 'log', 0],
    ['tanh(0)', 'tanh', 0],
    ['relu(-3)', 'relu', 0],
    ['abs(-3)', 'abs', 3],
    ['sqrt(9)', 'sqrt', 3],
    ['sin(0)', 'sin', 0],
    ['cos(0)', 'cos', 1],
    ['max(2, 5)', 'max', 5],
    ['min(2, 5)', 'min', 2],
    ['pow(2, 10)', 'pow', 1024],
    ['max([1, 7, 3])', 'reducemax', 7],
    ['min([[1, 7], [-3, 2]])', 'reducemin', -3],
    ['sum([[1, 2], [3, 4]])', 'sum', 10],
    ['mean([1, 2, 3, 6])', 'mean', 3],
  ])('f = %s is op %s with value %d', (call, op, expected) => {
    const parsed = parse(`f = ${call}`);
    expect(nodeOf(parsed.circuit, 'f').op).toBe(op);
    expect(num(compile(parsed.circuit).run().value('f'))).toBe(expected);
  });

  it('transpose flips a matrix', () => {
    const ev = run('A = [[1, 2, 3], [4, 5, 6]]\nf = transpose(A)');
    expect(shapeOf(ev.value('f'))).toEqual([3, 2]);
    expect(entries(ev.value('f'))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('unary functions feed port x, two-argument ones ports a and b', () => {
    const { circuit } = parse('f = max(sigmoid(x), y)');
    expect(feeds(circuit, 'sigmoid#1')).toEqual(['x ← x']);
    expect(feeds(circuit, 'f')).toEqual(['a ← sigmoid#1', 'b ← y']);
  });

  it('arguments may be whole expressions', () => {
    expect(num(run('x = 2\nf = pow(x + 1, 2 * x - 2)').value('f'))).toBe(9);
  });
});

describe('matrices', () => {
  it('A @ B with gradients dA = dD Bᵀ and dB = Aᵀ dD', () => {
    const ev = run('A = [[1, 2], [3, 4]]\nB = [[5, 6], [7, 8]]\nf = sum(A @ B)');
    // A @ B = [[19, 22], [43, 50]].
    expect(num(ev.value('f'))).toBe(134);
    // dD is all ones: dA[i][k] = Σ_j B[k][j], dB[k][j] = Σ_i A[i][k].
    expect(entries(ev.grad('A'))).toEqual([11, 15, 11, 15]);
    expect(entries(ev.grad('B'))).toEqual([4, 4, 6, 6]);
  });

  it('randn declares seeded inputs of the given shape, a different seed per declaration', () => {
    const text = 'W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X';
    const parsed = parse(text);
    const w = nodeOf(parsed.circuit, 'W');
    const x = nodeOf(parsed.circuit, 'X');
    expect(w.op).toBe('input');
    expect(w.value?.shape).toEqual([5, 10]);
    expect(x.value?.shape).toEqual([10, 3]);
    expect(Array.from(w.value?.data ?? [])).toEqual(Array.from(randn(5, 10, 42).data));
    expect(Array.from(x.value?.data ?? [])).toEqual(Array.from(randn(10, 3, 43).data));
    expect(x.value?.data[0]).not.toBe(w.value?.data[0]);
    expect(parsed.inputs).toEqual(['W', 'X']);

    const first = compile(parsed.circuit).run();
    expect(shapeOf(first.value('D'))).toEqual([5, 3]);
    expect(shapeOf(first.grad('W'))).toEqual([5, 10]);
    const again = compile(parse(text).circuit).run();
    expect(entries(again.value('D'))).toEqual(entries(first.value('D')));
  });

  it('array literals inside expressions are parameters of their gates', () => {
    const parsed = parse('f = sum([1, 2] * x)');
    const c = parsed.circuit.nodes.find((n) => n.op === 'mul');
    expect(c?.params?.a.shape).toEqual([2]);
    expect(parsed.inputs).toEqual(['x']);
    expect(num(compile(parsed.circuit).run().grad('x'))).toBe(3);
    expect(entries(run('f = -[1, 2]').value('f'))).toEqual([-1, -2]);
    expect(entries(run('f = [1, 2,]').value('f'))).toEqual([1, 2]);
  });
});

describe('size and depth', () => {
  it('a long chain of statements parses without recursion', () => {
    // 1 input, then an add (with its literal 1) per statement: 5,000 nodes.
    const lines = ['x0 = 1'];
    for (let i = 1; i < 5_000; i++) lines.push(`x${i} = x${i - 1} + 1`);
    const parsed: ParsedProgram = parse(lines.join('\n'));
    expect(parsed.named.length).toBe(5_000);
    expect(parsed.nodes.length).toBe(5_000);
    expect(num(compile(parsed.circuit).run().value('x4999'))).toBe(5_000);
  });

  it('a long left-associative expression is a loop, not a recursion', () => {
    // 6,000 implicit inputs and 5,999 adds: 11,999 nodes.
    const text = `f = ${Array.from({ length: 6_000 }, (_, i) => `x${i}`).join(' + ')}`;
    const ev = run(text);
    expect(num(ev.value('f'))).toBe(6_000);
    expect(num(ev.grad('x123'))).toBe(1);
  });

  it('500 levels of nesting are fine', () => {
    expect(num(run(`f = ${'('.repeat(500)}x${')'.repeat(500)}`).value('f'))).toBe(1);
  });

  it.each([
    ['parentheses', `f = ${'('.repeat(10_000)}x${')'.repeat(10_000)}`],
    ['unary minus', `f = ${'-'.repeat(10_000)}x`],
    ['exponents', `f = ${'2^'.repeat(10_000)}2`],
    ['calls', `f = ${'exp('.repeat(10_000)}x${')'.repeat(10_000)}`],
  ])('deeper nesting (%s) is a ParseError, not a stack overflow', (_, text) => {
    const e = parseError(text);
    expect(e.message).toContain('too deeply nested');
    expect(e.line).toBe(1);
  });

  it('501 nested parentheses are refused at the 501st', () => {
    const e = parseError(`f = ${'('.repeat(501)}x${')'.repeat(501)}`);
    expect(e.message).toContain('too deeply nested');
    expect(e.column).toBe(5 + 500);
  });
});

describe('errors name the problem and the place', () => {
  it.each([
    // [program, message fragment, line, column]
    ['x = 1\ny = 2\nx = 3', 'x is assigned twice: on line 1 and line 3', 3, 1],
    ['x = 1; x = 2', 'x is assigned twice: on line 1, column 1 and line 1, column 8', 1, 8],
    ['x = 1\nf = x * y\nz = 2\ny = 3', 'y is used on line 2 before it is assigned on line 4', 2, 9],
    ['x = x + 1', 'x is used in its own definition on line 1', 1, 5],
    ['', 'write at least one assignment, such as f = x * y', 1, 1],
    ['# only a comment\n\n', 'write at least one assignment, such as f = x * y', 1, 1],
    ['x * y', 'this expression is not assigned to a name: write f = x * y', 1, 1],
    ['x = 1\n  x + 2', 'write f = x + 2', 2, 3],
    ['= 3', "expected a name before '='", 1, 1],
    ['2 = x', "expected a name before '='", 1, 1],
    ['f(x) = x^2', 'f is defined, but nothing uses it yet: add a line such as y = f(2)', 1, 1],
    ['f(x) = x^2\nf = f(3)', 'f is the name of a gate', 2, 1],
    ['g(x) = x * k\ny = g(1)', "g(x) uses 'k', which is not one of its inputs", 1, 12],
    ['g(x) = g(x) + 1\ny = g(1)', 'g is used in its own definition', 1, 8],
    ['g(x, y) = x * y\nz = g(1)', 'g takes 2 inputs (x, y), got 1', 2, 5],
    ['d/dx = 2\ny = 1', 'has no gate before it', 1, 1],
    [
      'f = (x + 1',
      "expected ')' to close '(' opened at column 5, found the end of the input",
      1,
      11,
    ],
    ['f = (x + 1\ng = 2', "expected ')' to close '(' opened at column 5", 1, 11],
    ['f = (x + 1]', "expected ')' to close '(' opened at column 5, found ']'", 1, 11],
    ['f = sigmoid(x', "expected ')' to close '(' opened at column 12", 1, 14],
    ['f = [1, 2', "expected ']' to close '[' opened at column 5", 1, 10],
    ['f = x * * y', "unexpected '*': expected a number, a name or '('", 1, 9],
    ['f = x +', "expected a number, a name or '(' after '+', found the end of the input", 1, 8],
    ['f =\ng = 1', "expected a number, a name or '(' after '=', found the end of the line", 1, 4],
    ['f = ()', "unexpected ')'", 1, 6],
    ['f = x y', "unexpected 'y': expected an operator (such as * to multiply)", 1, 7],
    ['f = x)', "unexpected ')': there is no '(' for it to close", 1, 6],
    ['f = x = 3', "unexpected '='", 1, 7],
    ['exp = 3', 'exp is the name of a function and cannot be assigned', 1, 1],
    ['randn = 3', 'randn is the name of a function and cannot be assigned', 1, 1],
    ['f = exp + 1', 'exp is a function: call it as exp(x)', 1, 5],
    ['f = sigmod(x)', "unknown function 'sigmod': did you mean sigmoid?", 1, 5],
    ['f = Tanh(x)', "unknown function 'Tanh': did you mean tanh?", 1, 5],
    ['x = 1\nf = 2 * foo(x)', "unknown function 'foo' (the functions are abs, cos, exp,", 2, 9],
    ['f = x(2)', 'to multiply, write x * (…)', 1, 5],
    ['f = sigmoid(x, y)', 'sigmoid takes 1 argument, got 2', 1, 5],
    ['f = exp()', 'exp takes 1 argument, got 0', 1, 5],
    ['f = pow(x)', 'pow takes 2 arguments, got 1', 1, 5],
    ['f = max(1, 2, 3)', 'max takes 1 argument (the largest entry of a tensor) or 2', 1, 5],
    ['f = min()', 'min takes 1 argument (the smallest entry of a tensor) or 2', 1, 5],
    ['f = 2 * randn(2, 2)', 'as in W = randn(5, 10)', 1, 9],
    ['W = randn(2, 2) + 1', 'must be a whole right-hand side, as in W = randn(5, 10)', 1, 5],
    ['W = -randn(2, 2)', 'as in W = randn(5, 10)', 1, 6],
    ['W = randn', 'as in W = randn(5, 10)', 1, 5],
    ['W = randn(2)', 'randn takes 2 arguments (rows and columns), got 1', 1, 5],
    ['W = randn(0, 3)', 'randn needs whole numbers ≥ 1 for its rows and columns, got 0', 1, 11],
    ['W = randn(2, 1.5)', 'randn needs whole numbers ≥ 1 for its rows and columns, got 1.5', 1, 14],
    ['W = randn(n, 3)', 'randn takes its rows and columns as whole numbers', 1, 11],
    [
      'W = randn(1e200, 1e200)',
      'W = randn(1e200, 1e200) has far too many numbers; the limit is 100,000 numbers in one value',
      1,
      5,
    ],
    [
      'W = randn(100000, 100000)',
      'W = randn(100000, 100000) has 10,000,000,000 numbers; the limit is 100,000 numbers in one value',
      1,
      5,
    ],
    ['f = [[1, 2], [3]]', 'row 2 has 1 numbers but row 1 has 2', 1, 5],
    ['f = [1, [2]]', 'either numbers or rows of numbers', 1, 5],
    ['f = []', 'must not be empty', 1, 5],
    ['f = [[[1]]]', 'at most two dimensions', 1, 7],
    [
      'f = [a, [b]]',
      'an array holds either entries or rows of entries, not both: write [a, b]',
      1,
      9,
    ],
    [
      'f = [[a, b], [c]]',
      'row 2 has 1 entry and row 1 has 2: every row of a matrix has as many',
      1,
      14,
    ],
    [
      'f = [a, b, c, d]',
      'a vector or matrix built from expressions has at most 3 rows and 3 columns; this one is a vector of 4',
      1,
      5,
    ],
    ['f = [[a], [b], [c], [d]]', 'at most 3 rows and 3 columns; this one is 4×1', 1, 5],
    [
      'W = [[1, 2], [3, 4]]\nf = W[2, 0]',
      'row 2 is outside W, a 2×2 matrix: rows go from 0 to 1',
      2,
      7,
    ],
    [
      'W = [[1, 2, 3], [4, 5, 6]]\nf = W[1, 3]',
      'column 3 is outside W, a 2×3 matrix: columns go from 0 to 2',
      2,
      10,
    ],
    [
      'W = [[1, 2], [3, 4]]\nf = W[0][-1]',
      'column −1 is negative: indices count from 0, and columns of W, a 2×2 matrix, go from 0 to 1',
      2,
      10,
    ],
    [
      'W = [[1, 2], [3, 4]]\nf = W[0.5, 1]',
      'row 0.5 is not a whole number: rows of W, a 2×2 matrix, go from 0 to 1',
      2,
      7,
    ],
    [
      'W = [[1, 2], [3, 4]]\nf = W[1]',
      'W is a 2×2 matrix, so an entry takes two indices: write W[i, j] with the row i from 0 to 1 and the column j from 0 to 1',
      2,
      7,
    ],
    [
      'w = [1, 2, 3]\nf = w[0, 1]',
      'w is a vector of 3, so an entry takes one index: write w[i] with i from 0 to 2',
      2,
      7,
    ],
    [
      'w = [1, 2, 3]\nf = w[3]',
      'index 3 is outside w, a vector of 3: indices go from 0 to 2',
      2,
      7,
    ],
    [
      'x = 3\nf = x[0]',
      'x is a scalar (one number) and has no entries to pick: use x without [ ]',
      2,
      7,
    ],
    ['f = y[0]', 'y is a scalar (one number)', 1, 7],
    [
      'W = [[1, 2], [3, 4]]\nf = W[i, 0]',
      'an index is a whole number written in place, as in W[1, 2] (counting from 0); found',
      2,
      7,
    ],
    [
      'W = [[1, 2], [3, 4]]\nf = W[0, 0, 0]',
      'at most two indices: W[i, j] is the entry at row i, column j (3 given)',
      2,
      13,
    ],
    ['W = [[1, 2], [3, 4]]\nf = W[0][0][0]', 'at most two indices', 2, 13],
    ['W = [[1, 2], [3, 4]]\nf = W[0, 1', "expected ']' to close '['", 2, 11],
    ['f = [1 2]', "expected ',' or ']' in the array opened at column 5, found '2'", 1, 8],
    ['f = 3 × x', "unexpected character '×': write * instead", 1, 7],
    ['f = x $ y', "unexpected character '$'", 1, 7],
    ['f = 2x', "'2x' is not a number or a name: to multiply, write 2 * x", 1, 5],
    ['f = 1e + 2', "'1e' is not a number: an exponent needs digits", 1, 5],
    ['f = 1.2.3', "'1.2.3' is not a number", 1, 5],
    ['f = 1e999', 'the number 1e999 is too large', 1, 5],
    [`f = 1${'0'.repeat(400)}`, `the number 1${'0'.repeat(29)}… is too large`, 1, 5],
    [`f = 2${'x'.repeat(100)}`, `'2${'x'.repeat(29)}…' is not a number`, 1, 5],
    // The first error in the text is the one reported, even when a later line has a bad character.
    [
      'f = x +\ng = $',
      "expected a number, a name or '(' after '+', found the end of the line",
      1,
      8,
    ],
  ])('%j → %s', (text, fragment, line, column) => {
    const e = parseError(text);
    expect(e.message).toContain(fragment);
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.message.startsWith(`line ${line}, column ${column}: `)).toBe(true);
  });

  it.each([
    // [program, message, line, column]
    [
      'x = 1\nf = x\u00a0+ 1',
      'unexpected character U+00A0 no-break space: write a plain space instead',
      2,
      6,
    ],
    ['f = x\u200b + 1', 'unexpected character U+200B zero-width space: delete it', 1, 6],
    ['f = x +\u2009y', 'unexpected character U+2009 thin space: write a plain space instead', 1, 8],
    ['f = x\u202f* y', 'unexpected character U+202F narrow no-break space', 1, 6],
    ['f\u3000= x', 'unexpected character U+3000 ideographic space: write a plain space', 1, 2],
    ['f = x + \u3164', 'unexpected character U+3164 Hangul filler: write a plain space', 1, 9],
    [
      '\ufeffx = 1',
      'unexpected character U+FEFF zero-width no-break space (byte order mark)',
      1,
      1,
    ],
    ['f = x\u200d', 'unexpected character U+200D zero-width joiner: delete it', 1, 6],
    ['f = x\u2060', 'unexpected character U+2060 word joiner', 1, 6],
    ['f = x\u00ad', 'unexpected character U+00AD soft hyphen', 1, 6],
    ['f = x\u202e + y', 'unexpected character U+202E right-to-left override', 1, 6],
    ['f = x\u2028', 'unexpected character U+2028 line separator: start a new line', 1, 6],
    ['f = \u0000', 'unexpected character U+0000 null character: delete it', 1, 5],
    ['f = \u0007x', 'unexpected character U+0007 control character: delete it', 1, 5],
    ['f = x\u007f', 'unexpected character U+007F delete character', 1, 6],
    ['f = x\u0085', 'unexpected character U+0085 next line character', 1, 6],
    ['f = x\u2066', 'unexpected character U+2066 left-to-right isolate', 1, 6],
    ['f = x\u{e0041}', 'unexpected character U+E0041 tag character', 1, 6],
    ['f = x\ufe0f', 'unexpected character U+FE0F variation selector', 1, 6],
    ['f = e\u0301', 'unexpected character U+0301 combining mark', 1, 6],
    ['f = \ud800', 'unexpected character U+D800 lone surrogate', 1, 5],
    ['f = \ue000', 'unexpected character U+E000 private-use character', 1, 5],
    ['f = \u0378', 'unexpected character U+0378 unassigned character', 1, 5],
  ])('an invisible character is named: %j → %s', (text, fragment, line, column) => {
    const e = parseError(text);
    expect(e.message.startsWith(`line ${line}, column ${column}: ${fragment}`)).toBe(true);
    expect([e.line, e.column]).toEqual([line, column]);
    // The character itself is not in the message, where it could not be seen.
    const odd = [...text].find((c) => c !== '\n' && !/^[ -~]$/.test(c));
    expect(odd).toBeDefined();
    expect(e.message).not.toContain(odd);
  });

  it.each([
    ['f = α * 2', "unexpected character 'α'"],
    ['f = x 😀', "unexpected character '😀'"],
    ['f = 3 − x', "unexpected character '−': write - instead"],
  ])('a visible character is quoted: %j', (text, fragment) => {
    expect(parseError(text).message).toContain(fragment);
  });

  it('a misspelling close to two functions suggests both', () => {
    expect(parseError('f = mn(x, y)').message).toContain('did you mean min?');
    expect(parseError('f = mix(x, y)').message).toContain('did you mean max or min?');
  });

  it('an error in a later statement reports that statement’s line', () => {
    const e = parseError('x = 1\ny = 2\n\nf = x + * y');
    expect([e.line, e.column]).toEqual([4, 9]);
  });
});

describe('parse result', () => {
  it('is itself a circuit, so it compiles directly', () => {
    const parsed = parse('x = -2; y = 5; z = -4; f = (x + y) * z');
    expect(parsed.nodes).toBe(parsed.circuit.nodes);
    const ev = compile(parsed).run();
    expect(ev.value('f')).toBe(-12);
    expect(ev.grad('z')).toBe(3);
  });
});
