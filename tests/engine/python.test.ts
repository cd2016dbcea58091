/**
 * Python pasted as the notes write it: read, lowered to the app's language, built and run.
 * The numbers are the notes' own (worked out here with Math, or printed by micrograd's
 * README), never the engine's.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { ParseError } from '../../src/engine/errors';
import { parse } from '../../src/engine/parse';
import type { Evaluation } from '../../src/engine/program';
import { looksLikePython, type ProgramRead, readProgram } from '../../src/engine/python';
import { num } from './helpers';
import { MICROGRAD, NEURON, STAGED, STAGED_FORWARD } from './python-programs';

const sigma = (v: number) => 1 / (1 + Math.exp(-v));

/** The staged function's numbers at x = 3, y = −4, worked out directly. */
function stagedNumbers(x: number, y: number) {
  const sigy = sigma(y);
  const num = x + sigy;
  const sigx = sigma(x);
  const xpy = x + y;
  const den = sigx + xpy ** 2;
  const f = num / den;
  // df/dx and df/dy by the quotient rule.
  const dnum = 1 / den;
  const dden = -num / den ** 2;
  const dx = dnum + dden * (sigx * (1 - sigx) + 2 * xpy);
  const dy = dnum * sigy * (1 - sigy) + dden * 2 * xpy;
  return { f, dx, dy, dyFromXpy: dden * 2 * xpy, dyFromSigy: dnum * sigy * (1 - sigy) };
}

function read(text: string): ProgramRead & { kind: 'python' } {
  const r = readProgram(text);
  if (r.kind !== 'python') throw new Error('expected Python');
  return r;
}

function run(text: string): Evaluation {
  return compile(readProgram(text).parsed.circuit).run();
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

describe("the notes' staged example", () => {
  it('pasted with its backward pass builds the forward pass, output f, with the notes’ numbers', () => {
    const r = read(STAGED);
    expect(r.parsed.circuit.output).toBe('f');
    expect(r.python.backward).toHaveLength(12);
    const ev = compile(r.parsed.circuit).run();
    const want = stagedNumbers(3, -4);
    expect(num(ev.value('f'))).toBeCloseTo(want.f, 12);
    expect(num(ev.grad('x'))).toBeCloseTo(want.dx, 12);
    expect(num(ev.grad('y'))).toBeCloseTo(want.dy, 12);
    // The named steps are the notes' names; no backward name is a node.
    for (const name of ['sigy', 'num', 'sigx', 'xpy', 'xpysqr', 'den', 'invden']) {
      expect(ev.has(name)).toBe(true);
    }
    for (const name of ['dnum', 'dinvden', 'dden', 'dx', 'dy']) expect(ev.has(name)).toBe(false);
    expect(r.notes.join(' ')).toMatch(/output is f \(line 14: f = num \* invden\)/);
    expect(r.notes.join(' ')).toMatch(/lines 17–35/);
  });

  it('keeps the pasted line numbers: the forward pass alone, without import, also reads', () => {
    const r = read(STAGED_FORWARD);
    expect(r.python.backward).toHaveLength(0);
    expect(r.python.forward.map((f) => [f.node, f.line])).toEqual([
      ['x', 1],
      ['y', 2],
      ['sigy', 5],
      ['num', 6],
      ['sigx', 7],
      ['xpy', 8],
      ['xpysqr', 9],
      ['den', 10],
      ['invden', 11],
      ['f', 12],
    ]);
    expect(r.notes).toEqual([]);
  });
});

describe("the notes' sigmoid neuron", () => {
  it('lists are vector inputs, w[0] is a gate, and the gradients of w and x are vectors', () => {
    const r = read(NEURON);
    expect(r.parsed.circuit.output).toBe('f');
    const ev = compile(r.parsed.circuit).run();
    // dot = 2·(−1) + (−3)·(−2) + (−3) = 1; f = σ(1); ddot = (1 − f)·f.
    const f = sigma(1);
    const ddot = (1 - f) * f;
    expect(num(ev.value('f'))).toBeCloseTo(f, 14);
    expect(num(ev.value('dot'))).toBe(1);
    expect(Array.from((ev.grad('x') as { data: Float64Array }).data)).toEqual(
      [2 * ddot, -3 * ddot].map((v) => expect.closeTo(v, 14)),
    );
    expect(Array.from((ev.grad('w') as { data: Float64Array }).data)).toEqual(
      [-1 * ddot, -2 * ddot, ddot].map((v) => expect.closeTo(v, 14)),
    );
    expect(r.python.backward.map((b) => b.target)).toEqual(['ddot', 'dx', 'dw']);
  });
});

describe('micrograd’s README example', () => {
  it('gives 24.7041, dg/da = 138.8338 and dg/db = 645.5773', () => {
    const r = read(MICROGRAD);
    const ev = compile(r.parsed.circuit).run();
    expect(r.parsed.circuit.output).toBe('g');
    expect(num(ev.value('g'))).toBeCloseTo(24.7041, 4);
    expect(num(ev.grad('a'))).toBeCloseTo(138.8338, 4);
    expect(num(ev.grad('b'))).toBeCloseTo(645.5773, 4);
  });

  it('names the versions of c, d and g, the last one keeping the name', () => {
    const r = read(MICROGRAD);
    const nodes = r.python.forward.map((f) => f.node);
    expect(nodes).toEqual(['a', 'b', 'c_1', 'd_1', 'c_2', 'c', 'd_2', 'd', 'e', 'f', 'g_1', 'g']);
    const notes = r.notes.join('\n');
    expect(notes).toMatch(/c is assigned 3 times: .*c_1, c_2 and c/);
    expect(notes).toMatch(/Left out print\(…\) on lines 15, 17 and 18/);
    expect(notes).toMatch(/Left out g\.backward\(\) on line 16/);
    // c += c + 1 reads the earlier c twice: c_2 = c_1 + (c_1 + 1).
    expect(r.python.program.split('\n')[6]).toBe('c_2 = c_1 + (c_1 + 1)');
  });
});

describe('Python the notes use', () => {
  it('several statements on a line, 1.0, ** and math functions', () => {
    const ev = run(
      'import math\nx = 2; y = 1.0\nf = math.sqrt(x**2 + 5) * math.log(y + 1) + math.tanh(0.5)',
    );
    const want = Math.sqrt(9) * Math.log(2) + Math.tanh(0.5);
    expect(num(ev.value('f'))).toBeCloseTo(want, 12);
    expect(num(ev.grad('x'))).toBeCloseTo((2 / 3) * Math.log(2), 12);
  });

  it('NumPy: randn with the app’s seed, W.dot(X), np.dot, @, .T, sums by axis, maximum, mean', () => {
    const text = [
      'import numpy as np',
      'W = np.random.randn(5, 10)',
      'X = np.random.randn(10, 3)',
      'D = W.dot(X)',
      'E = np.dot(W, X) + W @ X',
      'H = np.maximum(0, D)',
      'S = np.sum(H, axis=0, keepdims=True) + np.sum(X.T, axis=1).T',
      'L = np.mean(S) + np.sum(E)',
    ].join('\n');
    const r = read(text);
    expect(r.python.program.split('\n').slice(1)).toEqual([
      'W = randn(5, 10)',
      'X = randn(10, 3)',
      'D = W @ X',
      'E = W @ X + W @ X',
      'H = max(0, D)',
      'S = sum(H, 0) + transpose(sum(transpose(X), 1))',
      'L = mean(S) + sum(E)',
    ]);
    // The same program in the app's language gives the same numbers.
    const app = compile(parse(r.python.program).circuit).run();
    const ev = compile(r.parsed.circuit).run();
    expect(num(ev.value('L'))).toBe(num(app.value('L')));
    // D = W·X entry (0, 0) from the inputs' own numbers.
    const W = ev.value('W') as { data: Float64Array };
    const X = ev.value('X') as { data: Float64Array };
    let d00 = 0;
    for (let k = 0; k < 10; k++) d00 += W.data[k] * X.data[k * 3];
    expect((ev.value('D') as { data: Float64Array }).data[0]).toBeCloseTo(d00, 12);
    expect(r.notes.join(' ')).toMatch(/fixed seed/);
  });

  it('a name assigned again is a new version, as Python rebinds it', () => {
    const ev = run('import numpy as np\nh = 2\nh = np.tanh(h)\nh *= 3');
    expect(num(ev.value('h'))).toBeCloseTo(3 * Math.tanh(2), 12);
    expect(num(ev.grad('h_1'))).toBeCloseTo(3 * (1 - Math.tanh(2) ** 2), 12);
  });

  it('a variable named like an app function is renamed, not refused', () => {
    const r = read('import math\nsum = 2\nmax = math.exp(sum)');
    expect(r.python.program).toBe('\nsum_ = 2\nmax_ = exp(sum_)');
  });
});

describe('what the app does not take, at the first such line', () => {
  const cases: [string, number, RegExp][] = [
    ['import math\nx = 1\nfor i in range(3):\n  x = x + 1', 3, /loops \(for\) are not supported/],
    ['import math\nx = 1\nwhile x:\n  x = 2', 3, /loops \(while\)/],
    ['import math\nx = 1\nif x:\n  y = 2', 3, /if statements are not supported/],
    ['import math\ndef f(x):\n  return x', 2, /f is defined, but nothing uses it yet/],
    ['import math\nclass Neuron:\n  pass', 2, /classes are not supported/],
    [
      'import math\nx = 2\ny = math.log10(x)',
      3,
      /math\.log10 is not supported: write log\(x\) \/ log\(10\)/,
    ],
    ['import math\nx = 2\ny = math.log(x, 2)', 3, /write log\(x\) \/ log\(base\)/],
    [
      'import math\nx = 2\ny = math.gamma(x)',
      3,
      /math\.gamma is not supported: the math functions the app knows/,
    ],
    ['import torch\nx = 2', 1, /the module torch is not supported/],
    [
      'import math\nx = 2\ny = scipy.special.expit(x)',
      3,
      /scipy\.special\.expit\(…\) is not supported/,
    ],
    [
      'import numpy as np\nx = np.zeros((2, 2))',
      2,
      /np\.zeros is not supported: write the numbers as a list/,
    ],
    ['import math\nx = 2\nname = "x"', 3, /strings are only allowed inside print/],
    ['import math\nx = 2\ny = x ^ 2', 3, /bitwise xor, not a power: write \*\*/],
    ['import math\nx = 2\ny = x if x > 0 else 0', 3, /conditional expressions/],
    ['import math\nx = 2\ny = x > 0', 3, /comparisons/],
    ['import math\nx, y = 2, 3', 2, /several names at once/],
    ['import math\nw = [1, 2]\nw[0] = 3', 3, /assigning into an entry/],
    [
      'import numpy as np\nW = np.random.randn(2, 3)\nc = W[:, 0]',
      3,
      /slices .* are not supported/,
    ],
    ['import math\nw = [1, 2]\nc = w[-1]', 3, /negative indices/],
    ['import math\nx = 2\nf = x * q', 3, /q is not defined: assign it first/],
    ['import math\nf = x * 2\nx = 2', 2, /x is used on line 2 before it is assigned on line 3/],
    ['import math\nx = 2\ny = lambda t: t', 3, /lambda is not supported/],
    ['import math\nx = 2\nx.grad = 0', 3, /assigning to an attribute/],
    ['import math\nx = 2\ny = x.data', 3, /the attribute \.data is not supported/],
    ['import math\nx = 2\nmath.exp(x)', 3, /not assigned to a name/],
    ['import numpy as np\nW = 2 * np.random.randn(2, 3)', 2, /randn\(…\) makes a random input/],
  ];
  for (const [text, line, message] of cases) {
    it(`${JSON.stringify(text.split('\n')[line - 1])} → line ${line}`, () => {
      const e = errorOf(text);
      expect(e.line).toBe(line);
      expect(e.message).toMatch(message);
      expect(e.message.startsWith(`line ${line}, column `)).toBe(true);
    });
  }

  it('an error the app parser finds in the lowered text points at the pasted column', () => {
    const e = errorOf('import numpy as np\nW = 2 * np.random.randn(2, 3)');
    // `np.random.randn` starts at column 9 of the pasted line.
    expect(e.column).toBe(9);
  });
});

describe('the app’s own language is read as before', () => {
  const programs = [
    'x = -2; y = 5; z = -4; f = (x + y) * z',
    'x = 3 # example values\ny = 4\nsigy = sigmoid(y) # sigmoid in numerator\nf = (x + sigy) / (sigmoid(x) + (x + y)^2)',
    'W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X',
    'x = 3\ndx = 0.001\nf = (x + dx) ** 2',
    'f = a * b',
  ];
  for (const text of programs) {
    it(JSON.stringify(text), () => {
      expect(looksLikePython(text)).toBe(false);
      const r = readProgram(text);
      expect(r.kind).toBe('app');
      expect(r.parsed).toEqual(parse(text));
    });
  }

  it('an app-language error stays the app parser’s error', () => {
    const text = 'x = 3\nf = x +';
    expect(() => readProgram(text)).toThrow(ParseError);
    let app = '';
    try {
      parse(text);
    } catch (e) {
      app = (e as Error).message;
    }
    expect(errorOf(text).message).toBe(app);
  });
});

describe('names are data, and size is no recursion', () => {
  it('__proto__, constructor and toString are ordinary names, forward and backward', () => {
    const text =
      'import math\n__proto__ = 3\nconstructor = __proto__ * 2\ntoString = math.exp(constructor)\ndtoString = 1\ndconstructor = toString * dtoString';
    const r = read(text);
    expect(r.parsed.circuit.output).toBe('toString');
    expect(r.python.backward.map((b) => b.target)).toEqual(['dtoString', 'dconstructor']);
    const ev = compile(r.parsed.circuit).run();
    expect(num(ev.value('toString'))).toBeCloseTo(Math.exp(6), 9);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('a sum of 11,000 terms and a list of 20,000 numbers are read without deep recursion', () => {
    const sum = readProgram(`import math\nx = 1\nf = ${new Array(11_000).fill('x').join(' + ')}`);
    expect(num(compile(sum.parsed.circuit).run().value('f'))).toBe(11_000);
    const list = readProgram(
      `import numpy as np\nw = [${new Array(20_000).fill('1').join(', ')}]\nf = np.sum(w)`,
    );
    expect(num(compile(list.parsed.circuit).run().value('f'))).toBe(20_000);
  });

  it('deep nesting is refused with the limit, not a stack overflow', () => {
    const e = errorOf(`import math\nx = 1\nf = ${'('.repeat(600)}x${')'.repeat(600)}`);
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/too deeply nested/);
  });
});
