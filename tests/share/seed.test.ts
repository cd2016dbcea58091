/**
 * The upstream gradient in files and links: it round-trips, older files and links without it
 * read as ones, and anything unreadable gives a warning and ones without losing the circuit.
 */
import { describe, expect, it } from 'vitest';
import { parse, type Tensor, type UpstreamSeed } from '../../src/engine';
import {
  parseCircuitFile,
  type SeededCircuit,
  serializeCircuit,
  withSeed,
} from '../../src/share/file';
import { decodeHash, encodeExprLink, encodeFullLink } from '../../src/share/link';

const PROGRAM = 'W = [[1, 2, 3], [4, 5, 6]]\nX = [[1, -1], [2, 0.5], [0, 3]]\nD = W @ X';
const circuit = parse(PROGRAM).circuit;

const mat = (rows: number[][]): Tensor => ({
  shape: [rows.length, rows[0].length],
  data: Float64Array.from(rows.flat()),
});

const SEEDS: [string, UpstreamSeed][] = [
  ['random', { kind: 'random', seed: 7 }],
  ['random with the largest seed', { kind: 'random', seed: 4294967295 }],
  ['one-hot', { kind: 'onehot', index: [1, 0] }],
  [
    'values',
    {
      kind: 'values',
      values: mat([
        [0.25, -1e-300],
        [-0, 1.5e10],
      ]),
    },
  ],
];

/** The seed a decoded circuit carries, in a comparable form (typed values as plain rows). */
function seedOf(c: unknown): unknown {
  const seed = (c as SeededCircuit).seed;
  return seed === undefined ? undefined : expected(seed);
}
function expected(seed: UpstreamSeed): unknown {
  if ('kind' in seed && seed.kind === 'values') {
    const t = seed.values as Tensor;
    return { kind: 'values', shape: t.shape, data: Array.from(t.data) };
  }
  return seed;
}

function readFile(text: string) {
  const read = parseCircuitFile(text);
  if (!read.ok) throw new Error(read.error);
  return read;
}

describe('the upstream gradient in a file', () => {
  for (const [name, seed] of SEEDS) {
    it(`round-trips ${name}`, () => {
      const read = readFile(serializeCircuit(withSeed(circuit, seed)));
      expect(read.warnings).toEqual([]);
      expect(seedOf(read.circuit)).toEqual(expected(seed));
      // -0 comes back as -0.
      if (name === 'values') {
        expect(Object.is((seedOf(read.circuit) as { data: number[] }).data[2], -0)).toBe(true);
      }
    });
  }

  it('is no field at all for ones, and a file without it reads as ones', () => {
    const text = serializeCircuit(circuit);
    expect(JSON.parse(text)).not.toHaveProperty('seed');
    expect(serializeCircuit(withSeed(circuit, { kind: 'ones' }))).toBe(text);
    expect(seedOf(readFile(text).circuit)).toBeUndefined();
  });

  const HOSTILE: [string, unknown, RegExp][] = [
    ['a number', 7, /is the number 7, not an object/],
    ['an unknown kind', { kind: 'gaussian', seed: 1 }, /kind 'gaussian'/],
    ['a kind named __proto__', { kind: '__proto__' }, /kind '__proto__'/],
    ['a fractional seed', { kind: 'random', seed: 1.5 }, /whole number from 0 to 4294967295/],
    ['a negative seed', { kind: 'random', seed: -1 }, /whole number/],
    ['a seed as text', { kind: 'random', seed: '7' }, /the text '7'/],
    ['a one-hot index of text', { kind: 'onehot', index: ['a'] }, /\[row, column\]/],
    ['a one-hot index of three numbers', { kind: 'onehot', index: [0, 0, 0] }, /\[row, column\]/],
    ['values that are not numbers', { kind: 'values', values: [['x']] }, /not a number/],
    ['values holding NaN', { kind: 'values', values: [1, 'NaN'] }, /NaN \(entry 2\)/],
    ['a ragged matrix', { kind: 'values', values: [[1, 2], [3]] }, /row 2 has 1 numbers/],
  ];
  for (const [name, raw, message] of HOSTILE) {
    it(`warns and uses ones for ${name}, keeping the circuit`, () => {
      const file = JSON.parse(serializeCircuit(circuit));
      file.seed = raw;
      const read = readFile(JSON.stringify(file));
      expect(read.warnings).toHaveLength(1);
      expect(read.warnings[0]).toMatch(message);
      expect(read.warnings[0]).toMatch(/ones are used instead/);
      expect(seedOf(read.circuit)).toBeUndefined();
      expect(read.circuit.nodes.map((n) => n.id)).toEqual(circuit.nodes.map((n) => n.id));
      expect(read.circuit.output).toBe(circuit.output);
    });
  }

  it('a version 1 file (which never had one) reads as ones', () => {
    const file = JSON.parse(serializeCircuit(circuit));
    file.version = 1;
    const read = readFile(JSON.stringify(file));
    expect(seedOf(read.circuit)).toBeUndefined();
  });
});

describe('the upstream gradient in a link', () => {
  it('writes the key the README names', () => {
    expect(encodeExprLink('x = 1', {}, { kind: 'random', seed: 7 })).toBe(
      'expr=x%20%3D%201&seed=random:7',
    );
    expect(encodeExprLink('x = 1', { step: 2 }, { kind: 'onehot', index: [2, 1] })).toBe(
      'expr=x%20%3D%201&step=2&seed=onehot:2,1',
    );
    expect(encodeExprLink('x = 1', {}, { kind: 'ones' })).toBe('expr=x%20%3D%201');
  });

  for (const [name, seed] of SEEDS) {
    it(`round-trips ${name} in a full link`, () => {
      const hash = encodeFullLink({ circuit: withSeed(circuit, seed), view: {} });
      const read = decodeHash(`#${hash}`);
      if (!read.ok || read.kind !== 'full') throw new Error('not a full link');
      expect(read.warnings).toEqual([]);
      expect(seedOf(read.circuit)).toEqual(expected(seed));
    });

    it(`round-trips ${name} in a program link`, () => {
      const read = decodeHash(encodeExprLink(PROGRAM, {}, seed));
      if (!read.ok || read.kind !== 'expr') throw new Error('not a program link');
      expect(read.warnings).toEqual([]);
      expect(seedOf(read)).toEqual(expected(seed));
    });
  }

  it('reads values typed by hand', () => {
    const read = decodeHash('expr=x&seed=values:[[1,0],[0,-1]]');
    if (!read.ok || read.kind !== 'expr') throw new Error('not a program link');
    expect(seedOf(read)).toEqual({ kind: 'values', shape: [2, 2], data: [1, 0, 0, -1] });
  });

  it('a link without it, or with seed=ones, reads as ones', () => {
    const plain = decodeHash(encodeFullLink({ circuit, view: {} }));
    if (!plain.ok || plain.kind !== 'full') throw new Error('not a full link');
    expect(seedOf(plain.circuit)).toBeUndefined();
    const ones = decodeHash('expr=x&seed=ones');
    expect(ones.ok && ones.kind === 'expr' && ones.seed).toBe(undefined);
    expect(ones.ok && ones.warnings).toEqual([]);
  });

  const HOSTILE: [string, RegExp][] = [
    ['seed=gauss:1', /is not ones, random:N/],
    ['seed=random:', /random:N/],
    ['seed=random:-3', /random:N/],
    ['seed=random:99999999999', /random:N/],
    ['seed=random:9999999999', /4294967295/],
    ['seed=onehot:a,b', /onehot:row,column/],
    ['seed=onehot:1,2,3', /onehot:row,column/],
    ['seed=values:[[1,', /JSON rows/],
    ['seed=values:{"__proto__":1}', /not usable/],
    ['seed=values:[["NaN"]]', /not a finite number/],
    ['seed=ones:1', /nothing after/],
    ['seed=__proto__', /is not ones/],
  ];
  for (const [part, message] of HOSTILE) {
    it(`${part} gives a warning and ones, keeping the circuit`, () => {
      const full = decodeHash(`${encodeFullLink({ circuit, view: {} })}&${part}`);
      if (!full.ok || full.kind !== 'full') throw new Error('not a full link');
      expect(full.warnings).toHaveLength(1);
      expect(full.warnings[0]).toMatch(message);
      expect(full.warnings[0]).toMatch(/the upstream gradient is ones/);
      expect(seedOf(full.circuit)).toBeUndefined();
      expect(full.circuit.nodes).toHaveLength(circuit.nodes.length);
      const expr = decodeHash(`expr=${encodeURIComponent(PROGRAM)}&${part}`);
      if (!expr.ok || expr.kind !== 'expr') throw new Error('not a program link');
      expect(expr.expression).toBe(PROGRAM);
      expect(expr.seed).toBeUndefined();
      expect(expr.warnings).toHaveLength(1);
    });
  }

  it('a second seed= is ignored with a warning', () => {
    const read = decodeHash('expr=x&seed=random:1&seed=random:2');
    if (!read.ok || read.kind !== 'expr') throw new Error('not a program link');
    expect(read.seed).toEqual({ kind: 'random', seed: 1 });
    expect(read.warnings[0]).toMatch(/more than once/);
  });
});
