/**
 * The generated code runs and reproduces the app's gradients: Python, NumPy and PyTorch with
 * python3 (each skipped, with the reason, where the interpreter or module is missing), and
 * TypeScript compiled with esbuild and run with node. Every gallery example and random
 * circuits; the table of op code covers every op in the registry; hostile names stay names.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCode, OP_CODE } from '../../src/engine/codegen';
import { compile } from '../../src/engine/compile';
import { ALL_OPS } from '../../src/engine/ops';
import { parse } from '../../src/engine/parse';
import { mulberry32 } from '../../src/engine/random';
import type { UpstreamSeed } from '../../src/engine/seed';
import type { Tensor } from '../../src/engine/types';
import { EXAMPLE_SOURCES } from '../../src/examples/sources';
import { checkLanguage, dir, evaluateProgram, NUMPY, PYTHON, TORCH, write } from './run';

describe('the table of op code', () => {
  it('has an entry for every op in the registry, and none for an op it does not have', () => {
    const names = ALL_OPS.map((op) => op.name);
    expect(names.filter((n) => !Object.hasOwn(OP_CODE, n))).toEqual([]);
    expect(Object.keys(OP_CODE).filter((n) => !names.includes(n))).toEqual([]);
  });
});

describe('the staged example in the notes’ style', () => {
  const src = EXAMPLE_SOURCES.find((e) => e.id === 'staged');
  const ev = evaluateProgram(src?.program as string);
  const code = generateCode(ev, 'python');
  if (!code.available) throw new Error(code.reason);
  const lines = code.lines.map((l) => l.text);

  it('writes the forward stages in statement order, then the backward lines in reverse', () => {
    const forward = code.lines.filter((l) => l.step?.kind === 'forward').map((l) => l.step?.node);
    expect(forward).toEqual(['sigy', 'num', 'sigx', 'xpy', 'xpysqr', 'den', 'invden', 'f']);
    const backward = [
      ...new Set(code.lines.filter((l) => l.step?.kind === 'backward').map((l) => l.step?.node)),
    ];
    expect(backward).toEqual([...forward].reverse());
  });

  it('assigns a first contribution with = and adds later ones with += at the forks', () => {
    const dx = lines.filter((l) => /^dx \+?= /.test(l));
    expect(dx.map((l) => l.slice(0, 5))).toEqual(['dx = ', 'dx +=', 'dx +=']);
    expect(lines.filter((l) => /^dy \+?= /.test(l)).map((l) => l.slice(0, 5))).toEqual([
      'dy = ',
      'dy +=',
    ]);
    expect(lines).toContain('dnum = invden * df  # multiply gate: swaps  (8)');
    expect(lines.some((l) => l.startsWith('dxpy = (2.0 * xpy) * dxpysqr  # power gate'))).toBe(
      true,
    );
    expect(lines.find((l) => l.startsWith('dsigx ='))).toContain('# add gate: distributes');
  });
});

describe('generated code for every gallery example reproduces the app', () => {
  for (const example of EXAMPLE_SOURCES) {
    const ev = evaluateProgram(example.program, example.seed);
    it.skipIf(!PYTHON)(`${example.id}: Python (math)`, () => {
      const reason = checkLanguage(ev, 'python');
      const scalar = ev.program.shapes.every((s) => s.length === 0);
      // Scalar Python writes scalar circuits; a matrix circuit says why not.
      if (scalar) expect(reason).toBeNull();
      else expect(reason).toMatch(/plain numbers only: see NumPy or PyTorch/);
    });
    it.skipIf(!NUMPY)(`${example.id}: NumPy`, () => {
      expect(checkLanguage(ev, 'numpy', example.seed)).toBeNull();
    });
    it.skipIf(!TORCH)(`${example.id}: PyTorch asserts the app's gradients`, () => {
      expect(checkLanguage(ev, 'pytorch', example.seed)).toBeNull();
    });
    it(`${example.id}: TypeScript`, () => {
      const reason = checkLanguage(ev, 'typescript');
      if (ev.program.shapes.every((s) => s.length === 0)) expect(reason).toBeNull();
      else expect(reason).toMatch(/plain numbers only/);
    });
  }
  if (!PYTHON) it.skip('python3 is not installed: Python checks skipped', () => {});
  if (!NUMPY) it.skip('numpy is not importable by python3: NumPy checks skipped', () => {});
  if (!TORCH) it.skip('torch is not importable by python3: PyTorch checks skipped', () => {});
});

/** A random program of scalar ops, with forks, literals and every elementwise op. */
function randomScalarProgram(seed: number): string {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const lines = ['a = 0.7', 'b = -1.3', 'c = 2.1', 'unused = 5'];
  const names = ['a', 'b', 'c'];
  const unary = ['exp', 'tanh', 'sigmoid', 'sin', 'cos', 'relu', 'abs'];
  for (let i = 0; i < 8; i++) {
    const x = pick(names);
    const y = pick(names);
    const form = pick([
      `${x} + ${y}`,
      `${x} - ${y}`,
      `${x} * ${y}`,
      `${x} / (1 + ${y} * ${y})`,
      `max(${x}, ${y})`,
      `min(${x}, 0.5)`,
      `${pick(unary)}(${x})`,
      `${x} ** 2`,
      `-${x}`,
      `sqrt(1 + ${x} * ${x})`,
      `log(2 + ${x} * ${x})`,
      `1 / (2 + ${x} * ${x})`,
      `${x} * -1 + ${y}`,
    ]);
    lines.push(`t${i} = ${form}`);
    names.push(`t${i}`);
  }
  lines.push(`f = ${names.slice(-3).join(' + ')}`);
  return lines.join('\n');
}

/** A random program on matrices with broadcasting, products and reductions. */
function randomMatrixProgram(seed: number): string {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  return [
    'W = randn(3, 4)',
    'X = randn(4, 2)',
    'b = [[0.5], [-1], [2]]',
    'r = [[1, -2]]',
    's = 0.3',
    `D = W @ X ${pick(['+', '-', '*'])} b`,
    `E = ${pick(['relu', 'tanh', 'sigmoid', 'exp'])}(D) ${pick(['*', '+', '-'])} r`,
    `F = ${pick(['E * s', 's - E', 'max(E, D)', 'transpose(transpose(E))', 'E / (1 + D * D)'])}`,
    `G = ${pick(['sum(F, 0)', 'mean(F, 1)', 'sum(F, 1) * b', 'mean(F, 0) + r'])}`,
    `L = ${pick(['sum(G)', 'mean(G)', 'max(G)', 'min(G)', 'sum(G * G)'])} + sum(transpose(W) @ b)`,
  ].join('\n');
}

describe('the PyTorch file', () => {
  it.skipIf(!TORCH)('fails, naming the gradient, when a number differs from PyTorch', () => {
    const ev = evaluateProgram('x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z');
    const code = generateCode(ev, 'pytorch');
    if (!code.available) throw new Error(code.reason);
    // The app says dz = 3; write 3.000001 instead.
    const wrong = code.text.replace("check('dz', z, 3.0)", "check('dz', z, 3.000001)");
    expect(wrong).not.toBe(code.text);
    const r = spawnSync(TORCH as string, [join(dir, write(wrong))], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('dz: PyTorch gives 3.0, the app 3.000001');
  });
});

describe('the upstream gradient chosen in the app', () => {
  const program = 'W = [[1, 2, 0], [-1, 0.5, 3]]\nX = [[2, -1], [0, 1], [1, 1]]\nD = W @ X';
  const seeds: readonly [Exclude<UpstreamSeed, Tensor>, RegExp][] = [
    [{ kind: 'ones' }, /^dD = np\.ones_like\(D\)/m],
    [{ kind: 'onehot', index: [1, 0] }, /^dD = np\.zeros_like\(D\).*\ndD\[1, 0\] = 1\.0$/m],
    [
      {
        kind: 'values',
        values: [
          [1, -2],
          [0.5, 3],
        ],
      },
      /^dD = np\.array\(\[\[1\.0, -2\.0\], \[0\.5, 3\.0\]\]\)/m,
    ],
    [
      { kind: 'random', seed: 7 },
      /^dD = np\.array\(\[\[.*# upstream gradient: random dD \(seed 7\)/m,
    ],
  ];
  for (const [seed, written] of seeds) {
    const ev = evaluateProgram(program, seed);
    it(`${seed.kind}: written as the app has it, then dW = dD.dot(X.T), dX = W.T.dot(dD)`, () => {
      const code = generateCode(ev, 'numpy', { seed });
      if (!code.available) throw new Error(code.reason);
      expect(code.text).toMatch(written);
      expect(code.text).toMatch(/^dW = dD\.dot\(X\.T\)/m);
      expect(code.text).toMatch(/^dX = W\.T\.dot\(dD\)/m);
    });
    it.skipIf(!NUMPY)(`${seed.kind}: NumPy reproduces the app`, () => {
      expect(checkLanguage(ev, 'numpy', seed)).toBeNull();
    });
    it.skipIf(!TORCH)(`${seed.kind}: PyTorch reproduces the app`, () => {
      expect(checkLanguage(ev, 'pytorch', seed)).toBeNull();
    });
  }
});

describe('random circuits', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const scalar = evaluateProgram(randomScalarProgram(seed));
    const matrix = evaluateProgram(randomMatrixProgram(seed), { kind: 'random', seed });
    it.skipIf(!PYTHON)(`scalar circuit ${seed} in Python`, () => {
      expect(checkLanguage(scalar, 'python')).toBeNull();
    });
    it(`scalar circuit ${seed} in TypeScript`, () => {
      expect(checkLanguage(scalar, 'typescript')).toBeNull();
    });
    it.skipIf(!NUMPY)(`scalar and matrix circuits ${seed} in NumPy`, () => {
      expect(checkLanguage(scalar, 'numpy')).toBeNull();
      expect(checkLanguage(matrix, 'numpy', { kind: 'random', seed })).toBeNull();
    });
    it.skipIf(!TORCH)(`scalar and matrix circuits ${seed} in PyTorch`, () => {
      expect(checkLanguage(scalar, 'pytorch')).toBeNull();
      expect(checkLanguage(matrix, 'pytorch', { kind: 'random', seed })).toBeNull();
    });
  }
});

describe('entries and values made of entries', () => {
  const ev = evaluateProgram(
    [
      'w = [2, -3, -3]',
      'x = [-1, -2]',
      'W = [[1, 2], [3, 4]]',
      'a = 1.5',
      'M = [[a, 2], [w[1], a * a]]',
      'f = sigmoid(w[0]*x[0] + w[1]*x[1] + w[2]) + sum(M @ W) * W[1, 0]',
    ].join('\n'),
  );
  it.skipIf(!NUMPY)('in NumPy', () => {
    expect(checkLanguage(ev, 'numpy')).toBeNull();
  });
  it.skipIf(!TORCH)('in PyTorch', () => {
    expect(checkLanguage(ev, 'pytorch')).toBeNull();
  });
  it('scalar Python says why it does not apply (a matrix product)', () => {
    const code = generateCode(ev, 'python');
    expect(code.available ? '' : code.reason).toMatch(/matrix.*see NumPy or PyTorch/);
  });
});

describe("the notes' neuron with lists: w = [2, -3, -3], read as w[0]", () => {
  const ev = evaluateProgram(
    [
      'w = [2, -3, -3]',
      'x = [-1, -2]',
      'dot = w[0]*x[0] + w[1]*x[1] + w[2]',
      'f = 1.0 / (1 + exp(-dot))',
    ].join('\n'),
  );
  it('Python writes the lists and adds their gradients up entry by entry', () => {
    const code = generateCode(ev, 'python');
    if (!code.available) throw new Error(code.reason);
    expect(code.text).toContain('w = [2.0, -3.0, -3.0]');
    expect(code.text).toContain('dw = [0.0, 0.0, 0.0]');
    expect(code.text).toMatch(/^dw\[0\] \+= /m);
  });
  for (const language of ['python', 'typescript', 'numpy', 'pytorch'] as const) {
    const missing = { python: PYTHON, numpy: NUMPY, pytorch: TORCH, typescript: 'node' }[language];
    it.skipIf(!missing)(`${language} reproduces dw and dx`, () => {
      expect(checkLanguage(ev, language)).toBeNull();
    });
  }
});

describe('names are names', () => {
  const hostile = [
    '__proto__ = 2',
    'constructor = -3',
    'toString = 0.5',
    'print = 1.5',
    'dconstructor = 4',
    'f = __proto__ * constructor + toString * print + dconstructor',
  ].join('\n');
  const ev = evaluateProgram(hostile);

  it('become distinct identifiers, and no value variable is another gradient variable', () => {
    const code = generateCode(ev, 'python');
    if (!code.available) throw new Error(code.reason);
    const vars = code.gradients.map((g) => g.variable);
    expect(new Set(vars).size).toBe(vars.length);
    expect(code.text).not.toMatch(/^print = /m);
    expect(Object.hasOwn(Object.prototype, 'x')).toBe(false);
  });

  it.skipIf(!PYTHON)('and the code still reproduces the app (Python, TypeScript)', () => {
    expect(checkLanguage(ev, 'python')).toBeNull();
    expect(checkLanguage(ev, 'typescript')).toBeNull();
  });

  it('a label with quotes, a line break or unicode cannot write code', () => {
    const circuit = parse('x = 1\ny = 2\nf = x * y').circuit;
    const evil = "a'); import os #\n\u2028σ";
    const labelled = {
      ...circuit,
      nodes: circuit.nodes.map((n) => (n.id === 'x' ? { ...n, label: evil } : n)),
    };
    const run = compile(labelled).run();
    for (const language of ['python', 'numpy', 'pytorch', 'typescript'] as const) {
      const code = generateCode(run, language);
      if (!code.available) throw new Error(code.reason);
      expect(code.text).not.toContain('import os');
      expect(code.text).not.toContain('\u2028');
      expect(code.text.split('\n').every((l) => !l.includes("'); "))).toBe(true);
    }
    if (PYTHON) expect(checkLanguage(run, 'python')).toBeNull();
  });
});
