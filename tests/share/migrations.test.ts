/**
 * Migrations of the circuit file format, one step at a time, each with its own tests. The
 * promise they keep: a file, link or autosave of an older version opens with the same value
 * and the same gradient on every node it names (every node that was not a `const`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { LIMITS } from '../../src/engine/limits';
import { type Circuit, nodeId, type Value } from '../../src/engine/types';
import { GALLERY } from '../../src/examples';
import {
  type Decoded,
  decodeAsWritten,
  decodeCircuitObject,
  FILE_VERSION,
  parseCircuitFile,
  serializeCircuit,
} from '../../src/share/file';
import { decodeHash, encodeFullLink } from '../../src/share/link';
import { constantsToParams, MIGRATIONS } from '../../src/share/migrations';
import {
  expectSameCircuit,
  lit,
  node,
  randomV1Circuit,
  seededRandom,
  t,
  toV1FileObject,
  wire,
} from './circuits';

function expectOk(decoded: Decoded): { circuit: Circuit; warnings: string[] } {
  if (!decoded.ok) throw new Error(`expected a circuit, got the error: ${decoded.error}`);
  return decoded;
}

/** Every entry of a value, as a list (a scalar is a list of one). */
const entries = (v: Value): number[] => (typeof v === 'number' ? [v] : Array.from(v.data));

/** The first entry where two values differ (compared with Object.is: NaN and -0 count). */
function valueDifference(a: Value, b: Value): string | undefined {
  const x = entries(a);
  const y = entries(b);
  if (x.length !== y.length) return `${x.length} entries ≠ ${y.length}`;
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) return `[${i}]: ${x[i]} ≠ ${y[i]}`;
  }
  return undefined;
}

/**
 * Compiles both circuits with the engine and compares, on every node of `before` that is not
 * a `const`, its value and its gradient: they must be the same numbers. Returns how many
 * nodes were compared. Plain code, no `expect`: it runs on thousands of circuits.
 */
function expectSameNumbers(before: Circuit, after: Circuit): number {
  const was = compile(before).run();
  const is = compile(after).run();
  let compared = 0;
  for (const n of before.nodes) {
    if (n.op === 'const') continue;
    const value = valueDifference(is.value(n.id), was.value(n.id));
    if (value) throw new Error(`the value of ${n.id} changed: ${value}`);
    const grad = valueDifference(is.grad(n.id), was.grad(n.id));
    if (grad) throw new Error(`the gradient of ${n.id} changed: ${grad}`);
    compared++;
  }
  return compared;
}

function expectNoConstants(circuit: Circuit): void {
  const left = circuit.nodes.filter((n) => n.op === 'const').map((n) => n.id);
  if (left.length > 0) throw new Error(`const nodes left: ${left.join(', ')}`);
}

describe('the table of migrations', () => {
  it('has one step from every version before the current one', () => {
    expect(FILE_VERSION).toBe(2);
    for (let version = 1; version < FILE_VERSION; version++) {
      expect(MIGRATIONS.has(version), `a migration from version ${version}`).toBe(true);
    }
    expect(MIGRATIONS.get(1)).toBe(constantsToParams);
  });
});

describe('version 1 → 2: constants become parameters of the gates they feed', () => {
  const x = node('x', 'input', { value: t([], [3]) });

  it('a constant read by one gate goes into that port, and its node and wire go', () => {
    const v1: Circuit = {
      nodes: [x, node('two', 'const', { value: t([], [2]) }), node('f', 'pow', { label: 'f' })],
      wires: [wire('x', 'f', 'a'), wire('two', 'f', 'b')],
      output: nodeId('f'),
    };
    const warnings: string[] = [];
    const v2 = constantsToParams(v1, warnings);
    expectSameCircuit(v2, {
      nodes: [x, node('f', 'pow', { label: 'f', params: { b: lit(2) } })],
      wires: [wire('x', 'f', 'a')],
      output: nodeId('f'),
    });
    expect(warnings).toEqual([]);
    expect(expectSameNumbers(v1, v2)).toBe(2);
    // x² at 3: f = 9, ∂f/∂x = 6.
    expect(compile(v2).run().grad('x')).toBe(6);
  });

  it('a constant read by several gates becomes a parameter of each', () => {
    const v1: Circuit = {
      nodes: [
        x,
        node('k', 'const', { value: t([], [-1]) }),
        node('a', 'mul'),
        node('b', 'sub'),
        node('f', 'add'),
      ],
      wires: [
        wire('x', 'a', 'a'),
        wire('k', 'a', 'b'),
        wire('k', 'b', 'a'),
        wire('x', 'b', 'b'),
        wire('a', 'f', 'a'),
        wire('b', 'f', 'b'),
      ],
      output: nodeId('f'),
    };
    const v2 = constantsToParams(v1);
    expectSameCircuit(v2, {
      nodes: [
        x,
        node('a', 'mul', { params: { b: lit(-1) } }),
        node('b', 'sub', { params: { a: lit(-1) } }),
        node('f', 'add'),
      ],
      wires: [wire('x', 'a', 'a'), wire('x', 'b', 'b'), wire('a', 'f', 'a'), wire('b', 'f', 'b')],
      output: nodeId('f'),
    });
    expect(expectSameNumbers(v1, v2)).toBe(4);
  });

  it('a constant in both ports of one gate fills both, and the gate keeps no wire', () => {
    const v1: Circuit = {
      nodes: [
        x,
        node('c', 'const', { value: t([2], [1, -0]) }),
        node('sq', 'mul'),
        node('f', 'mul'),
      ],
      wires: [
        wire('c', 'sq', 'a'),
        wire('c', 'sq', 'b'),
        wire('sq', 'f', 'a'),
        wire('x', 'f', 'b'),
      ],
      output: nodeId('f'),
    };
    const v2 = constantsToParams(v1);
    expect(v2.nodes[1]).toEqual(
      node('sq', 'mul', { params: { a: t([2], [1, -0]), b: t([2], [1, -0]) } }),
    );
    expect(v2.wires).toEqual([wire('sq', 'f', 'a'), wire('x', 'f', 'b')]);
    expect(expectSameNumbers(v1, v2)).toBe(3);
  });

  it('a constant no gate reads stays, as an input, with a warning', () => {
    const lonely = node('lonely', 'const', {
      label: 'kept',
      position: { x: 5, y: 6 },
      value: t([], [7]),
    });
    const v1: Circuit = {
      nodes: [x, lonely, node('f', 'neg')],
      wires: [wire('x', 'f', 'x')],
      output: nodeId('f'),
    };
    const warnings: string[] = [];
    const v2 = constantsToParams(v1, warnings);
    expectSameCircuit(v2, { ...v1, nodes: [x, { ...lonely, op: 'input' }, v1.nodes[2]] });
    expect(warnings).toEqual([
      "node 2 (id 'lonely'): a constant that no gate reads is now an input",
    ]);
    expectSameNumbers(v1, v2);
  });

  it('a constant that is the output stays, as an input, with its wires and a warning', () => {
    const v1: Circuit = {
      nodes: [x, node('k', 'const', { value: t([], [5]) }), node('p', 'mul')],
      wires: [wire('x', 'p', 'a'), wire('k', 'p', 'b')],
      output: nodeId('k'),
    };
    const warnings: string[] = [];
    const v2 = constantsToParams(v1, warnings);
    expectSameCircuit(v2, { ...v1, nodes: [x, { ...v1.nodes[1], op: 'input' }, v1.nodes[2]] });
    expect(warnings).toEqual(["node 2 (id 'k'): the output was a constant; it is now an input"]);
    // f = k: its gradient is 1, as it was; nothing upstream of f changed.
    expect(compile(v2).run().grad('k')).toBe(1);
    expectSameNumbers(v1, v2);
  });

  it('a constant whose wire shares its port with another wire stays, as an input', () => {
    // Two wires into port b: this did not compile in version 1 and still does not.
    const v1: Circuit = {
      nodes: [x, node('c', 'const', { value: t([], [1]) }), node('f', 'add')],
      wires: [wire('x', 'f', 'a'), wire('c', 'f', 'b'), wire('x', 'f', 'b')],
      output: nodeId('f'),
    };
    const warnings: string[] = [];
    const v2 = constantsToParams(v1, warnings);
    expect(v2.nodes[1]).toEqual({ ...v1.nodes[1], op: 'input' });
    expect(v2.wires).toEqual(v1.wires);
    expect(warnings).toEqual([
      "node 2 (id 'c'): a constant wired into a port that cannot hold a number (it has another wire, or is not a gate’s) is now an input",
    ]);
  });

  it('a constant whose copies would pass the limit on numbers stays, as an input', () => {
    const size = LIMITS.valueEntries;
    const big = node('W', 'const', { value: t([size], new Array(size).fill(0.5)) });
    const v1: Circuit = {
      nodes: [
        node('v', 'input', { value: t([size], new Array(size).fill(1)) }),
        big,
        node('a', 'mul'),
        node('b', 'add'),
      ],
      wires: [wire('v', 'a', 'a'), wire('W', 'a', 'b'), wire('v', 'b', 'a'), wire('W', 'b', 'b')],
      output: nodeId('b'),
    };
    // 200,000 numbers in version 1 would be over the limit, so make it fit: one value of each.
    const fits: Circuit = {
      ...v1,
      nodes: [node('v', 'input', { value: t([], [1]) }), ...v1.nodes.slice(1)],
    };
    const warnings: string[] = [];
    const v2 = constantsToParams(fits, warnings);
    expect(v2.nodes[1].op).toBe('input');
    expect(v2.wires).toHaveLength(4);
    expect(warnings).toEqual([
      "node 2 (id 'W'): a constant read by 2 gates is now an input: a copy in each would take the circuit past 120,000 numbers",
    ]);
  });

  it('leaves a circuit without constants as it is', () => {
    const v2: Circuit = { nodes: [x], wires: [], output: nodeId('x') };
    expect(constantsToParams(v2)).toBe(v2);
  });

  it('gives the same values and gradients on 3,000 random version-1 circuits', () => {
    const random = seededRandom(2024);
    let compared = 0;
    let constants = 0;
    let folded = 0;
    let kept = 0;
    for (let k = 0; k < 3_000; k++) {
      const v1 = randomV1Circuit(random);
      constants += v1.nodes.filter((n) => n.op === 'const').length;
      // Through a version-1 file, as an old file or autosave arrives.
      const read = expectOk(decodeCircuitObject(toV1FileObject(v1)));
      const v2 = read.circuit;
      expectNoConstants(v2);
      compared += expectSameNumbers(v1, v2);
      folded += v1.nodes.length - v2.nodes.length;
      kept += read.warnings.length;
      // Migrated, it is a circuit of the current version like any other.
      const again = expectOk(parseCircuitFile(serializeCircuit(v2)));
      if (again.warnings.length > 0) throw new Error(again.warnings.join('; '));
      expectSameCircuit(again.circuit, v2);
    }
    // Every case was met often.
    expect(compared).toBeGreaterThan(15_000);
    expect(folded).toBeGreaterThan(3_000);
    expect(kept).toBeGreaterThan(300);
    expect(constants).toBeGreaterThan(folded);
  });
});

// ---------------------------------------------------------------------------------------------
// Golden files and links of version 1. The files in fixtures/files-v1 are the gallery as the
// first version saved it and a few circuits with constants of every kind; the links in
// fixtures/links-v1*.json were written by the version-1 encoder. Never regenerate or edit them.

const fixtureDir = fileURLToPath(new URL('./fixtures/files-v1/', import.meta.url));
const v1Files = readdirSync(fixtureDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => [name, readFileSync(`${fixtureDir}${name}`, 'utf8')] as const);

/** What each golden file says when it opens (the constants kept as inputs). */
const expectedWarnings = new Map<string, string[]>([
  ['constant-output.json', ["node 2 (id 'k'): the output was a constant; it is now an input"]],
  [
    'tensor-constants.json',
    ["node 4 (id 'lonely'): a constant that no gate reads is now an input"],
  ],
]);

describe('golden version-1 files', () => {
  it('are all there', () => {
    expect(v1Files.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'add-multiply.json',
        'neuron-primitive.json',
        'patterns.json',
        'staged.json',
        'shared-constant.json',
        'both-ports.json',
        'tensor-constants.json',
        'constant-output.json',
      ]),
    );
  });

  it.each(v1Files)('%s opens with the same numbers', (name, text) => {
    const asWritten = decodeAsWritten(JSON.parse(text));
    if (!asWritten.ok) throw new Error(asWritten.error);
    expect((asWritten as { version: number }).version).toBe(1);
    const opened = expectOk(parseCircuitFile(text));
    expectNoConstants(opened.circuit);
    expect(opened.warnings).toEqual(expectedWarnings.get(name) ?? []);
    expect(expectSameNumbers(asWritten.circuit, opened.circuit)).toBeGreaterThan(0);
    // Written again, it is a version-2 file.
    expect(JSON.parse(serializeCircuit(opened.circuit)).version).toBe(2);
  });

  it('the primitive neuron gets its ×−1, +1 and 1/x as parameterised gates', () => {
    const text = v1Files.find(([name]) => name === 'neuron-primitive.json')?.[1] ?? '';
    const { circuit } = expectOk(parseCircuitFile(text));
    const withParams = circuit.nodes
      .filter((n) => n.params)
      .map(
        (n) =>
          `${n.op} ${JSON.stringify(Object.keys(n.params ?? {}).map((p) => [p, n.params?.[p].data[0]]))}`,
      );
    expect(withParams.sort()).toEqual(['add [["a",1]]', 'div [["a",1]]', 'mul [["b",-1]]']);
  });
});

interface LinkFixture {
  name: string;
  hash: string;
  file: Record<string, unknown>;
  expression?: string;
  view: Record<string, unknown>;
}

const v1Links: LinkFixture[] = ['links-v1.json', 'links-v1-constants.json'].flatMap((name) =>
  (
    JSON.parse(
      readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8'),
    ) as (LinkFixture & { kind: string })[]
  ).filter((fixture) => fixture.kind === 'full'),
);

describe('golden version-1 links (#c=1.…)', () => {
  it('are all there', () => {
    expect(v1Links.length).toBeGreaterThanOrEqual(12);
    for (const fixture of v1Links) expect(fixture.hash.startsWith('#c=1.')).toBe(true);
  });

  it.each(v1Links.map((f) => [f.name, f] as const))(
    '%s opens with the same numbers',
    (_name, fixture) => {
      const decoded = decodeHash(fixture.hash);
      if (!decoded.ok || decoded.kind !== 'full') throw new Error(JSON.stringify(decoded));
      expect(decoded.expression).toBe(fixture.expression);
      expect(decoded.view).toEqual(fixture.view);
      expectNoConstants(decoded.circuit);
      // The same as the version-1 file it carries, migrated.
      const fromFile = expectOk(decodeCircuitObject(fixture.file));
      expectSameCircuit(decoded.circuit, fromFile.circuit);
      expect(decoded.warnings).toEqual(fromFile.warnings);
      // And the numbers of the circuit as version 1 had it, wherever it compiles.
      const asWritten = decodeAsWritten(fixture.file);
      if (!asWritten.ok) throw new Error(asWritten.error);
      if (compile(asWritten.circuit, { partial: true }).problems.length === 0) {
        expect(expectSameNumbers(asWritten.circuit, decoded.circuit)).toBeGreaterThan(0);
      }
      // Shared again, it is a version-2 link that gives the same circuit.
      const again = encodeFullLink({ circuit: decoded.circuit, view: decoded.view });
      expect(again.startsWith('c=2.')).toBe(true);
      const reopened = decodeHash(again);
      if (!reopened.ok || reopened.kind !== 'full') throw new Error(JSON.stringify(reopened));
      expectSameCircuit(reopened.circuit, decoded.circuit);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// The gallery, written by `npm run examples` in version 2, computes what its version-1 files
// computed, and the reference numbers of each example.

describe('the gallery in version 2', () => {
  /** Reference values and gradients of each example, by node id. */
  const reference: Record<string, { f: number; grads: Record<string, number> }> = {
    'add-multiply': { f: -12, grads: { x: -4, y: -4, z: 3 } },
    neuron: {
      f: 0.7310585786300049,
      grads: {
        x0: 0.3932238664829637,
        x1: -0.5898357997244456,
        w0: -0.19661193324148185,
        w1: -0.3932238664829637,
        w2: 0.19661193324148185,
      },
    },
    'neuron-primitive': {
      f: 0.7310585786300049,
      grads: {
        x0: 0.3932238664829637,
        x1: -0.5898357997244456,
        w0: -0.19661193324148185,
        w1: -0.3932238664829637,
        w2: 0.19661193324148185,
      },
    },
    patterns: { f: -20, grads: { x: -8, y: 6, z: 2, w: 0 } },
    staged: { f: 0.07971588771237584, grads: {} },
  };

  // The examples that existed when files were version 1 (later ones never had such a file).
  const oldExamples = GALLERY.filter((example) => existsSync(`${fixtureDir}${example.id}.json`));
  it('the version-1 fixtures cover the first six examples', () => {
    expect(oldExamples.map((e) => e.id)).toEqual([
      'add-multiply',
      'neuron',
      'neuron-primitive',
      'patterns',
      'staged',
      'matmul',
    ]);
  });

  it.each(oldExamples.map((example) => [example.id, example] as const))(
    '%s has no const node and the numbers of its version-1 file',
    (id, example) => {
      expectNoConstants(example.circuit);
      const v1 = decodeAsWritten(
        JSON.parse(readFileSync(`${fixtureDir}${id}.json`, 'utf8')) as unknown,
      );
      if (!v1.ok) throw new Error(v1.error);
      // Every node the program names (an input or a named step) is there, with the numbers it
      // had; unnamed gates may be numbered differently now that numbers take no node.
      const named = v1.circuit.nodes.filter((n) => n.op !== 'const' && n.label !== undefined);
      expect(named.length).toBeGreaterThan(2);
      const was = compile(v1.circuit).run();
      const is = compile(example.circuit).run();
      for (const n of named) {
        expect(valueDifference(is.value(n.id), was.value(n.id)), n.id).toBeUndefined();
        expect(valueDifference(is.grad(n.id), was.grad(n.id)), n.id).toBeUndefined();
      }
      const gates = (c: Circuit) => c.nodes.filter((n) => n.op !== 'const').length;
      expect(gates(example.circuit)).toBe(gates(v1.circuit));

      const want = reference[id];
      if (!want) return;
      const run = compile(example.circuit).run();
      const output = example.circuit.output ?? '';
      const tolerance = id === 'neuron-primitive' ? 1e-12 : 0;
      expect(Math.abs((run.value(output) as number) - want.f)).toBeLessThanOrEqual(tolerance);
      for (const [name, grad] of Object.entries(want.grads)) {
        expect(Math.abs((run.grad(name) as number) - grad), name).toBeLessThanOrEqual(tolerance);
      }
    },
  );
});
