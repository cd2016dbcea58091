/**
 * Entries in and out of tensors: `w[i]`, `W[i, j]` (one entry as a scalar gate, its gradient
 * flowing back into that entry only) and `[a, b]`, `[[a, b], [c, d]]` (a vector or matrix
 * assembled from scalar gates). Values and gradients against numbers written out here and
 * against centered differences; the printer and the parser round trip; every message.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { stepDimensions } from '../../src/engine/dimensions';
import { CircuitError } from '../../src/engine/errors';
import { numericalGradient } from '../../src/engine/numerical';
import { getOp } from '../../src/engine/ops';
import { parse } from '../../src/engine/parse';
import { toProgram } from '../../src/engine/print';
import { scalar, tensor } from '../../src/engine/tensor';
import { type Circuit, nodeId, portName } from '../../src/engine/types';
import { parseCircuitFile, serializeCircuit } from '../../src/share/file';
import { decodeHash, encodeFullLink } from '../../src/share/link';
import { entries, num } from './helpers';

const W = [
  [0.5, -1.25, 2],
  [3, 0.75, -4],
];

/** The problems compile finds, as messages. */
function problems(c: Circuit): string[] {
  try {
    compile(c);
  } catch (e) {
    if (e instanceof CircuitError) return e.problems.map((p) => p.message);
    throw e;
  }
  return [];
}

describe('taking one entry: w[i], W[i, j], W[i][j]', () => {
  it('gives the entry, and sends the gradient back to that entry only', () => {
    const p = parse(`W = ${JSON.stringify(W)}\na = W[1, 2]\nb = W[0][1]\nf = a * b`);
    const ev = compile(p).run();
    expect(num(ev.value('a'))).toBe(-4);
    expect(num(ev.value('b'))).toBe(-1.25);
    expect(num(ev.value('f'))).toBe(5);
    // ∂f/∂W: b at [1][2], a at [0][1], 0 elsewhere.
    expect(entries(ev.grad('W'))).toEqual([0, -4, 0, 0, 0, -1.25]);
  });

  it('reads a vector of any orientation with one index', () => {
    for (const [value, shape] of [
      ['[7, 8, 9]', [3]],
      ['[[7, 8, 9]]', [1, 3]],
      ['[[7], [8], [9]]', [3, 1]],
    ] as const) {
      const ev = compile(parse(`w = ${value}\nf = w[1] * w[2] + w[1]`)).run();
      expect(ev.grad('w')).toEqual({ shape, data: Float64Array.of(0, 9 + 1, 8) });
      expect(num(ev.value('f'))).toBe(8 * 9 + 8);
    }
  });

  it('adds up the gradients of several entries, and of the same entry taken twice', () => {
    const ev = compile(parse('w = [2, -3, 5]\nf = w[0] * w[1] + w[0] * w[0] + sum(w)')).run();
    // ∂/∂w0 = w1 + 2·w0 + 1, ∂/∂w1 = w0 + 1, ∂/∂w2 = 1.
    expect(entries(ev.grad('w'))).toEqual([-3 + 4 + 1, 3, 1]);
  });

  it('matches centered differences', () => {
    const p = compile(
      parse(
        `W = ${JSON.stringify(W)}\nx = [0.3, -0.7, 1.1]\nf = sigmoid(W[0, 0] * x[2]) + tanh(W[1][2] - x[0]) * W[0, 1]`,
      ),
    );
    for (const check of numericalGradient(p)) {
      expect(check.verdict, check.node).toBe('ok');
      expect(check.relError).toBeLessThan(1e-7);
    }
  });

  it('draws as [1,2], reads aloud as the entry, and has no gradient in its indices', () => {
    const op = getOp('index2');
    const params = { i: scalar(1), j: scalar(2) };
    expect(op?.paramLabel(params)).toBe('[1,2]');
    expect(op?.paramSpeech(params)).toBe('entry at row 1, column 2');
    const tex = op?.paramGradTex(params) ?? [];
    expect(tex[0]).toContain('X[1,2]');
    expect(tex.slice(1)).toEqual([null, null]);
    expect(getOp('index')?.paramLabel({ i: scalar(4) })).toBe('[4]');
  });

  it('round-trips through the printer and the parser, W[i][j] written as W[i, j]', () => {
    const text = `W = ${JSON.stringify(W)}\nw = [1, 2]\nf = W[1][0] * w[1] - (W * 2)[0, 2]`;
    const printed = toProgram(parse(text));
    expect(printed).toBe(
      'W = [[0.5, -1.25, 2], [3, 0.75, -4]]\nw = [1, 2]\nf = W[1, 0] * w[1] - (W * 2)[0, 2]',
    );
    expect(toProgram(parse(printed as string))).toBe(printed);
    const a = compile(parse(text)).run();
    const b = compile(parse(printed as string)).run();
    expect(b.outputValue).toEqual(a.outputValue);
    expect(b.grad('W')).toEqual(a.grad('W'));
  });

  it('refuses indices that do not fit, naming the shape and what would fit (compile)', () => {
    // The operand's shape is known only after compile here: a gate's output.
    const cases: [string, string][] = [
      ['(W * 2)[2, 0]', 'row 2 is outside its input, a 2×3 matrix: rows go from 0 to 1'],
      ['(W * 2)[0, 3]', 'column 3 is outside its input, a 2×3 matrix: columns go from 0 to 2'],
      [
        '(W * 2)[1]',
        'its input is a 2×3 matrix, so an entry takes two indices: write [i, j] with the row i from 0 to 1 and the column j from 0 to 2',
      ],
      ['sum(W)[0]', 'its input is a scalar (one number) and has no entries to pick'],
      ['sum(W, 0)[3]', 'index 3 is outside its input, a 1×3 row: indices go from 0 to 2'],
      ['sum(W, 1)[0, 1]', 'column 1 is outside its input, a 2×1 matrix: columns go from only 0'],
    ];
    for (const [expr, message] of cases) {
      const found = problems(parse(`W = ${JSON.stringify(W)}\nf = ${expr}`));
      expect(found.join('\n'), expr).toContain(message);
      expect(found[0]).toMatch(/^f \(entry of a (matrix|vector)\): /);
    }
  });

  it('refuses a wired index, an index that is not one number, and says why', () => {
    const n = nodeId;
    const base = (extra: Partial<Circuit>, params: Record<string, unknown>): Circuit => ({
      nodes: [
        { id: n('W'), op: 'input', value: tensor([2, 3], W.flat()) },
        { id: n('k'), op: 'input', value: scalar(1) },
        { id: n('f'), op: 'index2', params: params as never },
      ],
      wires: [{ from: n('W'), to: n('f'), port: portName('x') }, ...(extra.wires ?? [])],
      output: n('f'),
    });
    expect(
      problems(
        base({ wires: [{ from: n('k'), to: n('f'), port: portName('j') }] }, { i: scalar(0) }),
      ),
    ).toEqual([
      'f (entry of a matrix): the index j is a whole number written in place, as in W[1, 2], not a wire',
    ]);
    expect(problems(base({}, { i: scalar(0), j: tensor([2], [0, 1]) }))).toEqual([
      'f (entry of a matrix): the index j is one whole number, got a vector of 2',
    ]);
    expect(problems(base({}, { i: scalar(0) }))).toEqual([
      'port j of f (entry of a matrix) has no input',
    ]);
  });

  it('gives NaN (not another entry) when an index is changed to one outside at run time', () => {
    const p = compile(parse(`W = ${JSON.stringify(W)}\nf = W[1, 2]`));
    const params = new Map([[nodeId('f'), { j: scalar(3) }]]);
    const ev = p.run(undefined, { params });
    expect(num(ev.outputValue)).toBeNaN();
    expect(entries(ev.grad('W'))).toEqual([0, 0, 0, 0, 0, 0]);
    const fine = p.run(undefined, { params: new Map([[nodeId('f'), { j: scalar(0) }]]) });
    expect(num(fine.outputValue)).toBe(3);
    expect(entries(fine.grad('W'))).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it('steps with the entry it routes to', () => {
    const ev = compile(parse(`W = ${JSON.stringify(W)}\nf = W[1, 2] * 3`)).run();
    const dims = stepDimensions(ev, ev.program.slot('index2#1'));
    expect(dims?.ports).toHaveLength(1);
    const port = dims?.ports[0];
    expect(port?.kind).toBe('entry');
    expect(port?.shapes.text).toBe('[2×3] = [1×1] at [1][2], 0 elsewhere');
    expect(port?.entry.index).toEqual([1, 2]);
    expect(port?.entry.value).toBe(3);
  });
});

describe('assembling: [a, b] and [[a, b], [c, d]]', () => {
  it('makes a vector or a matrix of scalar gates, each entry’s gradient its own', () => {
    const p = parse(
      'x = 2\ny = -3\nD = [[x * y, x], [y + 1, 5]]\nG = [[1, 2], [3, 4]]\nf = sum(D * G)',
    );
    const ev = compile(p).run();
    expect(ev.value('D')).toEqual({ shape: [2, 2], data: Float64Array.of(-6, 2, -2, 5) });
    // f = 1·xy + 2·x + 3·(y + 1) + 4·5.
    expect(num(ev.grad('x'))).toBe(1 * -3 + 2);
    expect(num(ev.grad('y'))).toBe(1 * 2 + 3);
    const v = compile(parse('a = 4\nv = [a, a * a, 1]\nf = sum(v * v)')).run();
    expect(v.value('v')).toEqual({ shape: [3], data: Float64Array.of(4, 16, 1) });
    // f = a² + a⁴ + 1: 2a + 4a³.
    expect(num(v.grad('a'))).toBe(8 + 256);
  });

  it('a row, a column and a 1×1 keep their shapes', () => {
    const shapeOf = (text: string) => compile(parse(`a = 1\nb = 2\nf = ${text}`)).shapes;
    const out = (text: string) => {
      const p = compile(parse(`a = 1\nb = 2\nf = ${text}`));
      return p.shapes[p.output];
    };
    expect(out('[[a, b]]')).toEqual([1, 2]);
    expect(out('[[a], [b]]')).toEqual([2, 1]);
    expect(out('[[a]]')).toEqual([1, 1]);
    expect(out('[a]')).toEqual([1]);
    expect(shapeOf('[a, b]')).toBeDefined();
  });

  it('matches centered differences, with a number written in place', () => {
    const p = compile(
      parse('x = 0.4\ny = -1.3\nD = [[x * y, exp(x)], [0, tanh(y)]]\nf = sum(D @ D)'),
    );
    for (const check of numericalGradient(p)) expect(check.verdict, check.node).toBe('ok');
  });

  it('round-trips, the numbers in place kept in place', () => {
    const text = 'x = 2\ny = 3\nD = [[x, 0], [x * y, y]]\nf = sum(D)';
    expect(toProgram(parse(text))).toBe(text);
    expect(toProgram(parse('a = 1\nf = [a, -a, 2]'))).toBe('a = 1\nf = [a, -a, 2]');
  });

  it('an array of numbers alone is still a literal (an input)', () => {
    const p = parse('w = [1, -2, 3]\nf = sum(w)');
    expect(p.nodes.find((n) => n.id === 'w')?.op).toBe('input');
  });

  it('refuses an entry that is not one number', () => {
    const found = problems(parse('W = [[1, 2], [3, 4]]\na = 1\nf = [[a, W]]'));
    expect(found).toEqual([
      'f (1×2 matrix from entries): entry [0][1] of the 1×2 matrix must be one number, got 2×2',
    ]);
  });

  it('steps: each entry gets back its own entry of the upstream gradient', () => {
    const ev = compile(parse('a = 2\nb = 3\nD = [[a, b]]\nf = sum(D * [[5, 7]])')).run();
    const dims = stepDimensions(ev, ev.program.slot('D'));
    expect(dims?.ports.map((p) => [p.kind, p.grad, p.formula.join(' '), p.entry.value])).toEqual([
      ['assemble', 'da', 'dD[0][0]', 5],
      ['assemble', 'db', 'dD[0][1]', 7],
    ]);
  });
});

describe('files and links carry index and assembling gates', () => {
  const text = `W = ${JSON.stringify(W)}\na = W[1, 2]\nb = W[0, 1]\nf = sum([[a * b, a], [b, 1]])`;

  it('a file reads back with the same numbers', () => {
    const c = parse(text);
    const read = parseCircuitFile(serializeCircuit(c));
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.warnings).toEqual([]);
    const a = compile(c).run();
    const b = compile(read.circuit).run();
    expect(b.outputValue).toEqual(a.outputValue);
    expect(b.grad('W')).toEqual(a.grad('W'));
    expect(toProgram(read.circuit)).toBe(toProgram(c));
  });

  it('a link reads back with the same numbers', () => {
    const c = parse(text);
    const decoded = decodeHash(encodeFullLink({ circuit: c, view: {} }));
    expect(decoded.ok && decoded.kind).toBe('full');
    if (!decoded.ok || decoded.kind !== 'full') return;
    expect(decoded.warnings).toEqual([]);
    const a = compile(c).run();
    const b = compile(decoded.circuit).run();
    expect(b.outputValue).toEqual(a.outputValue);
    expect(b.grad('W')).toEqual(a.grad('W'));
  });
});
