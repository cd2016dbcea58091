import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { LIMITS } from '../../src/engine/limits';
import type { Circuit } from '../../src/engine/types';
import { nodeId } from '../../src/engine/types';
import {
  type CircuitFile,
  type Decoded,
  decodeAsWritten,
  decodeCircuitObject,
  FILE_FORMAT,
  FILE_VERSION,
  parseCircuitFile,
  serializeCircuit,
  toFileObject,
} from '../../src/share/file';
import {
  applyHostileEdit,
  circuitArbitrary,
  expectPrototypeUntouched,
  expectSameCircuit,
  hostileEditArb,
  lit,
  node,
  prototypeChange,
  t,
  toV1FileObject,
  wire,
} from './circuits';

// ---------------------------------------------------------------------------------------------
// Helpers

function expectOk(decoded: Decoded): { circuit: Circuit; warnings: string[] } {
  if (!decoded.ok) throw new Error(`expected a circuit, got the error: ${decoded.error}`);
  return decoded;
}

function expectError(decoded: Decoded): string {
  if (decoded.ok) throw new Error('expected an error, got a circuit');
  return decoded.error;
}

/** A minimal valid file object whose parts a test can replace. */
function file(parts: Partial<Record<keyof CircuitFile, unknown>> = {}): Record<string, unknown> {
  return {
    format: FILE_FORMAT,
    version: FILE_VERSION,
    nodes: [
      { id: 'x', op: 'input', value: 2 },
      { id: 'y', op: 'input', value: -3 },
      { id: 'f', op: 'mul' },
    ],
    wires: [
      { from: 'x', to: 'f', port: 'a' },
      { from: 'y', to: 'f', port: 'b' },
    ],
    output: 'f',
    ...parts,
  };
}

/** The decoder's error for `file()` with the node at `index` replaced. */
function nodeError(index: number, replacement: unknown): string {
  const nodes = [...(file().nodes as unknown[])];
  nodes[index] = replacement;
  return expectError(decodeCircuitObject(file({ nodes })));
}

function wireError(replacement: unknown): string {
  return expectError(
    decodeCircuitObject(file({ wires: [{ from: 'x', to: 'f', port: 'a' }, replacement] })),
  );
}

// ---------------------------------------------------------------------------------------------
// Hand-built circuits

const classic: Circuit = {
  nodes: [
    node('x', 'input', { label: 'x', position: { x: 0, y: 0 }, value: t([], [-2]) }),
    node('y', 'input', { label: 'y', position: { x: 0, y: 120 }, value: t([], [5]) }),
    node('z', 'input', { label: 'z', position: { x: 0, y: 240 }, value: t([], [-4]) }),
    node('q', 'add', { position: { x: 200, y: 60 } }),
    node('f', 'mul', { label: 'f', position: { x: 400, y: 150 } }),
  ],
  wires: [wire('x', 'q', 'a'), wire('y', 'q', 'b'), wire('q', 'f', 'a'), wire('z', 'f', 'b')],
  output: nodeId('f'),
};

const awkwardNumbers: Circuit = {
  nodes: [
    node('nan', 'input', { value: t([], [Number.NaN]) }),
    node('negzero', 'input', { value: t([], [-0]), position: { x: -0, y: 5e-324 } }),
    node('vec', 'input', {
      value: t([6], [5e-324, -5e-324, 1.7976931348623157e308, -0, 0, 0.1 + 0.2]),
    }),
    node('mat', 'input', {
      value: t([2, 3], [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1, -1]),
    }),
    node('one', 'neg', { params: { x: t([1], [-0]) } }),
    node('cell', 'exp', { params: { x: t([1, 1], [Number.NEGATIVE_INFINITY]) } }),
    node('row', 'add', { params: { a: t([1, 3], [1, 2, 3]) } }),
    node('col', 'mul', { params: { a: lit(Number.NaN), b: t([3, 1], [1, 2, 3]) } }),
    node('m', 'matmul', { label: '' }),
  ],
  wires: [wire('vec', 'm', 'a'), wire('mat', 'm', 'b'), wire('negzero', 'row', 'b')],
  output: null,
};

/** `x ** 2 + 1` as gates with their numbers inside. */
const withParams: Circuit = {
  nodes: [
    node('x', 'input', { label: 'x', value: t([], [-3]) }),
    node('sq', 'pow', { params: { b: lit(2) } }),
    node('f', 'add', { label: 'f', params: { b: lit(1) } }),
  ],
  wires: [wire('x', 'sq', 'a'), wire('sq', 'f', 'a')],
  output: nodeId('f'),
};

const trickyIds: Circuit = {
  nodes: [
    node('__proto__', 'input', { value: t([], [1]) }),
    node('constructor', 'input', { value: t([], [2]) }),
    node('toString', 'add', { label: '__proto__' }),
    node('"quoted"\n\\ é 😀 \u0000', 'neg'),
  ],
  wires: [
    wire('__proto__', 'toString', 'a'),
    wire('constructor', 'toString', 'b'),
    wire('toString', '"quoted"\n\\ é 😀 \u0000', 'x'),
  ],
  output: nodeId('"quoted"\n\\ é 😀 \u0000'),
};

const empty: Circuit = { nodes: [], wires: [], output: null };

describe('round trip of hand-built circuits', () => {
  it.each([
    ['classic', classic],
    ['awkward numbers', awkwardNumbers],
    ['tricky ids', trickyIds],
    ['parameters', withParams],
    ['empty', empty],
  ])('%s survives text and object round trips exactly', (_name, circuit) => {
    const text = serializeCircuit(circuit);
    const fromText = expectOk(parseCircuitFile(text));
    expectSameCircuit(fromText.circuit, circuit);
    expect(fromText.warnings).toEqual([]);
    expect(serializeCircuit(fromText.circuit)).toBe(text);

    const fromObject = expectOk(decodeCircuitObject(toFileObject(circuit)));
    expectSameCircuit(fromObject.circuit, circuit);
  });

  it('writes the documented JSON, with -0 that JSON.parse reads back', () => {
    const text = serializeCircuit(awkwardNumbers);
    const data = JSON.parse(text);
    expect(data.format).toBe('backprop-circuit');
    expect(data.version).toBe(2);
    expect(Object.is(data.nodes[1].value, -0)).toBe(true);
    expect(data.nodes[0].value).toBe('NaN');
    expect(data.nodes[3].value).toEqual([
      ['NaN', 'Infinity', '-Infinity'],
      [-0, 1, -1],
    ]);
    expect(data.nodes[2].value[0]).toBe(5e-324);
    expect(data.nodes[2].value[2]).toBe(1.7976931348623157e308);
    // Parameters are written like values, in the order of the op's ports.
    expect(Object.is(data.nodes[4].params.x[0], -0)).toBe(true);
    expect(data.nodes[5].params).toEqual({ x: [['-Infinity']] });
    expect(Object.keys(data.nodes[7].params)).toEqual(['a', 'b']);
    expect(data.nodes[7].params.a).toBe('NaN');
    // Each matrix row on its own line, so the text reads as a grid.
    expect(text).toContain('"a": [\n          [1, 2, 3]\n        ]');
    expect(text).toContain('"b": [\n          [1],\n          [2],\n          [3]\n        ]');
    expect(text).toContain(
      '"value": [5e-324, -5e-324, 1.7976931348623157e+308, -0, 0, 0.30000000000000004]',
    );
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('lays text out with two-space indents', () => {
    const text = serializeCircuit(classic);
    expect(
      text.startsWith('{\n  "format": "backprop-circuit",\n  "version": 2,\n  "nodes": [\n'),
    ).toBe(true);
    expect(JSON.parse(text)).toEqual(toFileObject(classic));
    expect(toFileObject(classic).nodes[3]).toEqual({
      id: 'q',
      op: 'add',
      position: { x: 200, y: 60 },
    });
  });

  it('writes a gate’s params as the design documents them', () => {
    expect(toFileObject(withParams).nodes.slice(1)).toEqual([
      { id: 'sq', op: 'pow', params: { b: 2 } },
      { id: 'f', op: 'add', label: 'f', params: { b: 1 } },
    ]);
  });

  it('writes a circuit that still holds const nodes as version 1 migrates it', () => {
    const v1: Circuit = {
      nodes: [
        node('x', 'input', { value: t([], [-3]) }),
        node('two', 'const', { value: t([], [2]) }),
        node('f', 'pow'),
      ],
      wires: [wire('x', 'f', 'a'), wire('two', 'f', 'b')],
      output: nodeId('f'),
    };
    const written = toFileObject(v1);
    expect(written.nodes).toEqual([
      { id: 'x', op: 'input', value: -3 },
      { id: 'f', op: 'pow', params: { b: 2 } },
    ]);
    expect(written.wires).toEqual([{ from: 'x', to: 'f', port: 'a' }]);
  });

  it('leaves out the value of a node whose op takes none', () => {
    const odd: Circuit = {
      nodes: [node('g', 'sigmoid', { value: t([], [1]) })],
      wires: [],
      output: null,
    };
    expect(toFileObject(odd).nodes[0]).toEqual({ id: 'g', op: 'sigmoid' });
  });
});

// ---------------------------------------------------------------------------------------------
// Random circuits

const circuitArb = circuitArbitrary({
  maxNodes: 12,
  maxWires: 20,
  maxId: 12,
  maxBinaryId: LIMITS.idLength / 2,
  maxLabel: LIMITS.labelLength / 2,
  coordinate: fc.oneof(
    fc.double({
      noNaN: true,
      noDefaultInfinity: true,
      min: -LIMITS.position,
      max: LIMITS.position,
    }),
    fc.constantFrom(-LIMITS.position, LIMITS.position, -0, 5e-324),
  ),
  scalarWeight: 1,
  maxVector: 6,
  maxSide: 4,
});

describe('round trip of random circuits', () => {
  it('parseCircuitFile(serializeCircuit(c)) gives back c exactly', () => {
    fc.assert(
      fc.property(circuitArb, (circuit) => {
        const text = serializeCircuit(circuit);
        const decoded = expectOk(parseCircuitFile(text));
        expectSameCircuit(decoded.circuit, circuit);
        expect(decoded.warnings).toEqual([]);
        expect(serializeCircuit(decoded.circuit)).toBe(text);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('decodeCircuitObject(toFileObject(c)) gives back c exactly', () => {
    fc.assert(
      fc.property(circuitArb, (circuit) => {
        expectSameCircuit(expectOk(decodeCircuitObject(toFileObject(circuit))).circuit, circuit);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Errors

describe('the envelope', () => {
  it('accepts the minimal file', () => {
    const { circuit, warnings } = expectOk(decodeCircuitObject(file()));
    expect(circuit.nodes.map((n) => n.id)).toEqual(['x', 'y', 'f']);
    expect(circuit.output).toBe('f');
    expect(warnings).toEqual([]);
  });

  it('rejects anything but an object', () => {
    expect(expectError(decodeCircuitObject(42))).toBe(
      'a circuit file must be a JSON object, got the number 42',
    );
    expect(expectError(decodeCircuitObject(null))).toBe(
      'a circuit file must be a JSON object, got null',
    );
    expect(expectError(decodeCircuitObject([file()]))).toBe(
      'a circuit file must be a JSON object, got an array',
    );
    expect(expectError(decodeCircuitObject('{}'))).toBe(
      "a circuit file must be a JSON object, got the text '{}'",
    );
  });

  it('needs the format marker', () => {
    const message = 'this is not a Backprop Circuits file ("format" must be "backprop-circuit")';
    expect(expectError(decodeCircuitObject(file({ format: undefined })))).toBe(message);
    expect(expectError(decodeCircuitObject(file({ format: 'excalidraw' })))).toBe(message);
  });

  it('needs a whole-number version', () => {
    expect(expectError(decodeCircuitObject(file({ version: undefined })))).toBe(
      '"version" must be a whole number, got nothing',
    );
    expect(expectError(decodeCircuitObject(file({ version: '1' })))).toBe(
      '"version" must be a whole number, got the text \'1\'',
    );
    expect(expectError(decodeCircuitObject(file({ version: 1.5 })))).toBe(
      '"version" must be a whole number, got the number 1.5',
    );
    expect(expectError(decodeCircuitObject(file({ version: Number.NaN })))).toBe(
      '"version" must be a whole number, got the number NaN',
    );
  });

  it('explains a file from a newer version, and marks it as newer', () => {
    expect(decodeCircuitObject(file({ version: 3 }))).toEqual({
      ok: false,
      error:
        'this file was made by a newer version of Backprop Circuits (format version 3); ' +
        'this app reads versions up to 2: update the app to open it',
      newer: true,
    });
    expect(expectError(parseCircuitFile(JSON.stringify(file({ version: 17 }))))).toContain(
      '(format version 17); this app reads versions up to 2',
    );
    // Other refusals are not "newer".
    expect(decodeCircuitObject(file({ version: 0 }))).not.toHaveProperty('newer');
  });

  it('rejects versions before the first', () => {
    expect(expectError(decodeCircuitObject(file({ version: 0 })))).toBe(
      'format version 0 does not exist; versions start at 1',
    );
    expect(expectError(decodeCircuitObject(file({ version: -3 })))).toBe(
      'format version -3 does not exist; versions start at 1',
    );
  });

  it('needs a nodes array and, if present, a wires array', () => {
    expect(expectError(decodeCircuitObject(file({ nodes: undefined })))).toBe(
      '"nodes" must be an array, got nothing',
    );
    expect(expectError(decodeCircuitObject(file({ nodes: {} })))).toBe(
      '"nodes" must be an array, got an object',
    );
    expect(expectError(decodeCircuitObject(file({ wires: 'x→f' })))).toBe(
      '"wires" must be an array, got the text \'x→f\'',
    );
  });

  it('fills defaults for missing wires and output', () => {
    const { circuit, warnings } = expectOk(
      decodeCircuitObject(file({ wires: undefined, output: undefined })),
    );
    expect(circuit.wires).toEqual([]);
    expect(circuit.output).toBeNull();
    expect(warnings).toEqual([]);
  });

  it('checks the output', () => {
    expect(expectOk(decodeCircuitObject(file({ output: null }))).circuit.output).toBeNull();
    expect(expectError(decodeCircuitObject(file({ output: 'nope' })))).toBe(
      '"output" names no node: \'nope\'',
    );
    expect(expectError(decodeCircuitObject(file({ output: 3 })))).toBe(
      '"output" must be a node id or null, got the number 3',
    );
  });

  it('ignores unknown fields everywhere', () => {
    const decoded = expectOk(
      decodeCircuitObject({
        ...file({
          nodes: [
            { id: 'x', op: 'input', value: 1, colour: 'red', position: { x: 1, y: 2, z: 3 } },
            { id: 'f', op: 'neg', extra: { deep: true } },
          ],
          wires: [{ from: 'x', to: 'f', port: 'x', weight: 9 }],
        }),
        author: 'someone',
        view: { zoom: 2 },
      }),
    );
    expect(decoded.warnings).toEqual([]);
    expect(decoded.circuit.nodes[0]).toEqual({
      id: 'x',
      op: 'input',
      position: { x: 1, y: 2 },
      value: t([], [1]),
    });
    expect(decoded.circuit.nodes[1]).toEqual({ id: 'f', op: 'neg' });
    expect(decoded.circuit.wires[0]).toEqual({ from: 'x', to: 'f', port: 'x' });
  });
});

describe('limits', () => {
  it('allows at most LIMITS.nodes nodes', () => {
    const nodes = Array.from({ length: LIMITS.nodes + 1 }, (_, i) => ({ id: `n${i}`, op: 'neg' }));
    expect(expectError(decodeCircuitObject(file({ nodes, wires: [], output: null })))).toBe(
      'the circuit has 12,001 nodes; the limit is 12,000',
    );
    const ok = expectOk(
      decodeCircuitObject(file({ nodes: nodes.slice(0, LIMITS.nodes), wires: [], output: null })),
    );
    expect(ok.circuit.nodes.length).toBe(12_000);
  });

  it('allows at most LIMITS.wires wires', () => {
    const wires = Array.from({ length: LIMITS.wires + 1 }, () => ({
      from: 'x',
      to: 'f',
      port: 'a',
    }));
    expect(expectError(decodeCircuitObject(file({ wires })))).toBe(
      'the circuit has 24,001 wires; the limit is 24,000',
    );
  });

  it('allows at most LIMITS.fanOut wires out of one node', () => {
    // x read by 12,000 gates is within the limit; one more wire from x is not.
    const gates = Array.from({ length: 6_000 }, (_, i) => ({ id: `g${i}`, op: 'mul' }));
    const nodes = [{ id: 'x', op: 'input', value: 2 }, ...gates];
    const wires = gates.flatMap((g) => [
      { from: 'x', to: g.id, port: 'a' },
      { from: 'x', to: g.id, port: 'b' },
    ]);
    const ok = expectOk(decodeCircuitObject(file({ nodes, wires, output: null })));
    expect(ok.circuit.wires.length).toBe(12_000);
    nodes.push({ id: 'one more', op: 'neg' });
    wires.push({ from: 'x', to: 'one more', port: 'x' });
    expect(expectError(decodeCircuitObject(file({ nodes, wires, output: null })))).toBe(
      "node 'x' has 12,001 wires leaving it; the limit is 12,000",
    );
  });

  it('limits ids and labels to 200 characters', () => {
    expect(nodeError(0, { id: 'i'.repeat(LIMITS.idLength + 1), op: 'input', value: 1 })).toBe(
      'node 1: id has 201 characters; the limit is 200',
    );
    expect(
      nodeError(0, { id: 'x', op: 'input', value: 1, label: 'l'.repeat(LIMITS.labelLength + 1) }),
    ).toBe("node 1 (id 'x'): label has 201 characters; the limit is 200");
    const longest = 'i'.repeat(LIMITS.idLength);
    expectOk(
      decodeCircuitObject(
        file({
          nodes: [{ id: longest, op: 'input', value: 1, label: 'l'.repeat(LIMITS.labelLength) }],
          wires: [],
          output: longest,
        }),
      ),
    );
  });

  it('limits a value to LIMITS.valueEntries numbers', () => {
    const vector = new Array(LIMITS.valueEntries + 1).fill(0);
    expect(nodeError(0, { id: 'x', op: 'input', value: vector })).toBe(
      "node 1 (id 'x'): value has 100,001 numbers; the limit is 100,000",
    );
    const matrix = Array.from({ length: 317 }, () => new Array(317).fill(1));
    expect(nodeError(0, { id: 'x', op: 'input', value: matrix })).toBe(
      "node 1 (id 'x'): value has 100,489 numbers; the limit is 100,000",
    );
    // A first row within bounds cannot hide a long later row.
    const sneaky = [[1], new Array(LIMITS.valueEntries * 10).fill(1)];
    expect(nodeError(0, { id: 'x', op: 'input', value: sneaky })).toBe(
      "node 1 (id 'x'): value row 2 has 1000000 numbers but row 1 has 1",
    );
    const full = expectOk(
      decodeCircuitObject(
        file({
          nodes: [{ id: 'x', op: 'input', value: vector.slice(1) }],
          wires: [],
          output: null,
        }),
      ),
    );
    expect(full.circuit.nodes[0].value?.shape).toEqual([100_000]);
  });

  it('limits all the values and parameters together to LIMITS.totalEntries numbers', () => {
    expect(LIMITS.totalEntries).toBe(120_000);
    const row = new Array(1000).fill(0.5);
    const big = Array.from({ length: 100 }, () => row); // 100,000 numbers
    const nodes: Record<string, unknown>[] = [
      { id: 'a', op: 'input', value: big },
      { id: 'b', op: 'mul', params: { b: big.slice(0, 10), a: 2 } }, // 10,001 numbers
      { id: 'c', op: 'neg', value: big }, // not a source: its value is ignored, not counted
      { id: 'd', op: 'add', params: { a: big.slice(0, 9), b: row.slice(0, 999) } }, // 9,999
    ];
    const ok = expectOk(decodeCircuitObject(file({ nodes, wires: [], output: null })));
    expect(ok.circuit.nodes.map((n) => n.value?.data.length)).toEqual([
      100_000,
      undefined,
      undefined,
      undefined,
    ]);
    expect(ok.circuit.nodes[1].params?.b.shape).toEqual([10, 1000]);
    expect(ok.warnings).toEqual([
      "node 3 (id 'c'): a neg node takes no value; its value was ignored",
    ]);
    // One more number, in a value or in a parameter, is one too many.
    for (const extra of [
      { id: 'e', op: 'input', value: 1 },
      { id: 'e', op: 'neg', params: { x: [1] } },
    ]) {
      expect(
        expectError(
          decodeCircuitObject(file({ nodes: [...nodes, extra], wires: [], output: null })),
        ),
      ).toBe(
        'the circuit has 120,001 numbers in its values and parameters together; the limit is 120,000',
      );
    }
  });

  it('moves a position farther than LIMITS.position to the bound, with a warning', () => {
    const read = (position: unknown) =>
      expectOk(
        decodeCircuitObject(
          file({ nodes: [{ id: 'x', op: 'input', value: 1, position }], wires: [], output: null }),
        ),
      );
    const far = read({ x: 1e308, y: -2_000_000.5 });
    expect(far.circuit.nodes[0].position).toEqual({ x: 1_000_000, y: -1_000_000 });
    expect(far.warnings).toEqual([
      "node 1 (id 'x'): position (1e+308, -2000000.5) is more than 1,000,000 from the origin; it was moved to (1000000, -1000000)",
    ]);
    const edge = read({ x: -1_000_000, y: 1_000_000 });
    expect(edge.circuit.nodes[0].position).toEqual({ x: -1_000_000, y: 1_000_000 });
    expect(edge.warnings).toEqual([]);
    const oneAxis = read({ x: -0, y: 1_000_000.001 });
    expect(Object.is(oneAxis.circuit.nodes[0].position?.x, -0)).toBe(true);
    expect(oneAxis.circuit.nodes[0].position?.y).toBe(1_000_000);
    expect(oneAxis.warnings).toHaveLength(1);
  });
});

describe('nodes', () => {
  it('must be objects', () => {
    expect(nodeError(1, 'y')).toBe("node 2: expected an object, got the text 'y'");
    expect(nodeError(2, null)).toBe('node 3: expected an object, got null');
  });

  it('need a non-empty, unique string id', () => {
    expect(nodeError(1, { op: 'input', value: 1 })).toBe(
      'node 2: id must be a non-empty string, got nothing',
    );
    expect(nodeError(1, { id: '', op: 'input', value: 1 })).toBe(
      "node 2: id must be a non-empty string, got the text ''",
    );
    expect(nodeError(1, { id: 7, op: 'input', value: 1 })).toBe(
      'node 2: id must be a non-empty string, got the number 7',
    );
    expect(nodeError(2, { id: 'x', op: 'mul' })).toBe("node 3: id 'x' is already used by node 1");
  });

  it('need an op the registry knows', () => {
    expect(nodeError(2, { id: 'f', op: 'frobnicate' })).toBe(
      "node 3 (id 'f'): unknown op 'frobnicate'",
    );
    expect(nodeError(2, { id: 'f', op: '__proto__' })).toBe(
      "node 3 (id 'f'): unknown op '__proto__'",
    );
    expect(nodeError(2, { id: 'f' })).toBe("node 3 (id 'f'): op must be a string, got nothing");
  });

  it('take an optional string label', () => {
    expect(nodeError(2, { id: 'f', op: 'mul', label: 3 })).toBe(
      "node 3 (id 'f'): label must be a string, got the number 3",
    );
    expect(
      expectOk(
        decodeCircuitObject(
          file({
            nodes: [{ id: 'x', op: 'input', value: 1, label: 'x₁' }],
            wires: [],
            output: null,
          }),
        ),
      ).circuit.nodes[0].label,
    ).toBe('x₁');
  });

  it('drop a bad position with a warning', () => {
    const bad = [
      null,
      'here',
      [1, 2],
      { x: 1 },
      { x: '1', y: 2 },
      { x: Number.NaN, y: 0 },
      { x: 0, y: Number.POSITIVE_INFINITY },
      { x: Number.NEGATIVE_INFINITY, y: Number.POSITIVE_INFINITY },
      { x: 1e308, y: 'NaN' },
    ];
    for (const position of bad) {
      const decoded = expectOk(
        decodeCircuitObject(
          file({
            nodes: [{ id: 'x', op: 'input', value: 1, position }],
            wires: [],
            output: null,
          }),
        ),
      );
      expect(decoded.circuit.nodes[0]).toEqual({ id: 'x', op: 'input', value: t([], [1]) });
      expect(decoded.warnings).toEqual([
        "node 1 (id 'x'): position dropped (it needs finite numbers x and y); the node will be placed",
      ]);
    }
  });

  it('of op input (or, in version 1, const) need a value', () => {
    expect(nodeError(0, { id: 'x', op: 'input' })).toBe(
      "node 1 (id 'x'): an input node needs a value",
    );
    expect(
      expectError(
        decodeCircuitObject(file({ version: 1, nodes: [{ id: 'c', op: 'const' }], wires: [] })),
      ),
    ).toBe("node 1 (id 'c'): a const node needs a value");
  });

  it('of other ops have their value ignored with a warning', () => {
    const nodes = [...(file().nodes as unknown[])];
    nodes[2] = { id: 'f', op: 'mul', value: [[1, 2]] };
    const decoded = expectOk(decodeCircuitObject(file({ nodes })));
    expect(decoded.circuit.nodes[2]).toEqual({ id: 'f', op: 'mul' });
    expect(decoded.warnings).toEqual([
      "node 3 (id 'f'): a mul node takes no value; its value was ignored",
    ]);
  });
});

describe('values', () => {
  const valueError = (value: unknown) => nodeError(2, { id: 'v', op: 'input', value });

  it('read numbers, vectors, matrices and the three names', () => {
    const read = (value: unknown) =>
      expectOk(
        decodeCircuitObject(
          file({ nodes: [{ id: 'v', op: 'input', value }], wires: [], output: null }),
        ),
      ).circuit.nodes[0].value;
    expect(read(3)).toEqual(t([], [3]));
    expect(read('-Infinity')).toEqual(t([], [Number.NEGATIVE_INFINITY]));
    expect(Object.is(read('NaN')?.data[0], Number.NaN)).toBe(true);
    expect(read([1, 'Infinity'])).toEqual(t([2], [1, Number.POSITIVE_INFINITY]));
    expect(
      read([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    ).toEqual(t([3, 2], [1, 2, 3, 4, 5, 6]));
  });

  it('name the row that is ragged', () => {
    expect(
      valueError([
        [1, 2],
        [3, 4, 5],
      ]),
    ).toBe("node 3 (id 'v'): value row 2 has 3 numbers but row 1 has 2");
  });

  it('reject anything that is not a number', () => {
    expect(valueError('nan')).toBe(
      "node 3 (id 'v'): value must be a number or an array of numbers, got the text 'nan'",
    );
    expect(valueError('')).toBe(
      "node 3 (id 'v'): value is empty; it must be a number or an array of numbers",
    );
    expect(valueError(' 2.5')).toBe(
      "node 3 (id 'v'): value must be a number, not the text ' 2.5' (write it without quotes)",
    );
    expect(valueError(null)).toBe(
      "node 3 (id 'v'): value must be a number or an array of numbers, got null",
    );
    expect(valueError({ 0: 1 })).toBe(
      "node 3 (id 'v'): value must be a number or an array of numbers, got an object",
    );
    expect(valueError([1, true])).toBe("node 3 (id 'v'): value entry 2 is not a number (got true)");
    expect(
      valueError([
        [1, 2],
        [3, 'four'],
      ]),
    ).toBe("node 3 (id 'v'): value row 2, column 2 is not a number (got the text 'four')");
  });

  it('reject empty arrays, mixed nesting and more than two dimensions', () => {
    expect(valueError([])).toBe("node 3 (id 'v'): value must not be an empty array");
    expect(valueError([[]])).toBe("node 3 (id 'v'): value row 1 is empty");
    expect(valueError([1, [2]])).toBe(
      "node 3 (id 'v'): value mixes numbers and rows; a matrix must be rows only",
    );
    expect(valueError([[1], 2])).toBe(
      "node 3 (id 'v'): value mixes rows and numbers; a matrix must be rows only",
    );
    expect(valueError([[[1]]])).toBe(
      "node 3 (id 'v'): value has more than 2 dimensions; the most is a matrix",
    );
  });
});

describe('parameters (version 2)', () => {
  /** The file with gate f given these params (and only the wire from x, into port a). */
  const withParamsOf = (params: unknown, op = 'mul') =>
    file({
      nodes: [
        { id: 'x', op: 'input', value: 2 },
        { id: 'y', op: 'input', value: -3 },
        { id: 'f', op, params },
      ],
      wires: [{ from: 'x', to: 'f', port: 'a' }],
    });
  const paramError = (params: unknown, op?: string) =>
    expectError(decodeCircuitObject(withParamsOf(params, op)));

  it('read numbers, vectors, matrices and the three names, keyed by port', () => {
    const read = (params: unknown) =>
      expectOk(decodeCircuitObject(withParamsOf(params))).circuit.nodes[2].params;
    expect(read({ b: 2 })).toEqual({ b: t([], [2]) });
    expect(Object.is(read({ b: 'NaN' })?.b.data[0], Number.NaN)).toBe(true);
    expect(Object.is(read({ b: -0 })?.b.data[0], -0)).toBe(true);
    expect(read({ b: [1, '-Infinity'] })).toEqual({ b: t([2], [1, Number.NEGATIVE_INFINITY]) });
    expect(read({ b: [[1], [2]] })).toEqual({ b: t([2, 1], [1, 2]) });
    // An empty table is no params at all.
    expect(expectOk(decodeCircuitObject(withParamsOf({}))).circuit.nodes[2]).toEqual({
      id: 'f',
      op: 'mul',
    });
  });

  it('refuse a parameter that is text, empty, or not numbers, naming the node and port', () => {
    expect(paramError({ b: 'abc' })).toBe(
      "node 3 (id 'f'): parameter 'b' must be a number or an array of numbers, got the text 'abc'",
    );
    expect(paramError({ b: '' })).toBe(
      "node 3 (id 'f'): parameter 'b' is empty; it must be a number or an array of numbers",
    );
    expect(paramError({ b: '2' })).toBe(
      "node 3 (id 'f'): parameter 'b' must be a number, not the text '2' (write it without quotes)",
    );
    expect(paramError({ b: null })).toBe(
      "node 3 (id 'f'): parameter 'b' must be a number or an array of numbers, got null",
    );
    expect(paramError({ b: [] })).toBe("node 3 (id 'f'): parameter 'b' must not be an empty array");
    expect(paramError({ b: [1, 'x'] })).toBe(
      "node 3 (id 'f'): parameter 'b' entry 2 is not a number (got the text 'x')",
    );
    expect(paramError({ b: [[1, 2], [3]] })).toBe(
      "node 3 (id 'f'): parameter 'b' row 2 has 1 numbers but row 1 has 2",
    );
    expect(paramError({ b: new Array(LIMITS.valueEntries + 1).fill(1) })).toBe(
      "node 3 (id 'f'): parameter 'b' has 100,001 numbers; the limit is 100,000",
    );
  });

  it('must be a table of ports', () => {
    expect(paramError(2)).toBe(
      "node 3 (id 'f'): params must be an object of port names and numbers, got the number 2",
    );
    expect(paramError([2])).toBe(
      "node 3 (id 'f'): params must be an object of port names and numbers, got an array",
    );
  });

  it('refuse a key that is not a port of the op', () => {
    expect(paramError({ c: 1 })).toBe(
      "node 3 (id 'f'): params has the key 'c', which is not a port of mul; its ports are 'a', 'b'",
    );
    expect(paramError({ a: 1 }, 'sigmoid')).toBe(
      "node 3 (id 'f'): params has the key 'a', which is not a port of sigmoid; its ports are 'x'",
    );
    // JSON text makes __proto__ an own key: an unknown one like any other.
    const text = JSON.stringify(withParamsOf({ b: 1 })).replace('"b":1', '"__proto__":1');
    expect(expectError(parseCircuitFile(text))).toBe(
      "node 3 (id 'f'): params has the key '__proto__', which is not a port of mul; its ports are 'a', 'b'",
    );
  });

  it('refuse params on an input', () => {
    const nodes = [{ id: 'x', op: 'input', value: 2, params: { x: 1 } }];
    expect(expectError(decodeCircuitObject(file({ nodes, wires: [], output: null })))).toBe(
      "node 1 (id 'x'): an input node takes no params: only a gate has ports to hold numbers",
    );
  });

  it('refuse a wire into a port that holds a parameter', () => {
    const data = withParamsOf({ b: 5 });
    data.wires = [
      { from: 'x', to: 'f', port: 'a' },
      { from: 'y', to: 'f', port: 'b' },
    ];
    expect(expectError(decodeCircuitObject(data))).toBe(
      "wire 2: port 'b' of node 'f' (mul) holds a parameter; a port takes a wire or a parameter, not both",
    );
  });

  it('of the wrong shape for their gate are read, and the engine names the problem', () => {
    const data = withParamsOf({ b: [1, 2, 3] }, 'add');
    (data.nodes as Record<string, unknown>[])[0].value = [1, 2];
    const { circuit } = expectOk(decodeCircuitObject(data));
    const problems = compile(circuit, { partial: true }).problems.map((p) => p.message);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^f \(add\): add needs inputs of the same shape/);
  });
});

describe('versions', () => {
  it('refuse a version-2 file with a const node', () => {
    const nodes = [
      { id: 'x', op: 'input', value: 2 },
      { id: 'c', op: 'const', value: 3 },
    ];
    expect(expectError(decodeCircuitObject(file({ nodes, wires: [], output: null })))).toBe(
      "node 2 (id 'c'): op 'const' belongs to format version 1, but this file is version 2, " +
        'where a number a gate reads is one of its params (for example "params": { "b": 2 })',
    );
  });

  it('refuse a version-1 file with params', () => {
    const nodes = [
      { id: 'x', op: 'input', value: 2 },
      { id: 'f', op: 'pow', params: { b: 2 } },
    ];
    const data = file({ version: 1, nodes, wires: [{ from: 'x', to: 'f', port: 'a' }] });
    expect(expectError(decodeCircuitObject(data))).toBe(
      "node 2 (id 'f'): params belong to format version 2, but this file is version 1, " +
        "where a number a gate reads is a 'const' node wired into it",
    );
  });

  it('read a version-1 file by its own rules, then migrate it', () => {
    const v1 = file({
      version: 1,
      nodes: [
        { id: 'x', op: 'input', value: 2 },
        { id: 'c', op: 'const', value: 3 },
        { id: 'f', op: 'pow' },
      ],
      wires: [
        { from: 'x', to: 'f', port: 'a' },
        { from: 'c', to: 'f', port: 'b' },
      ],
    });
    // Errors name the place in the file as written, before the constant is gone.
    const broken = { ...v1, nodes: [...(v1.nodes as unknown[]), { id: 'g', op: 'nope' }] };
    expect(expectError(decodeCircuitObject(broken))).toBe("node 4 (id 'g'): unknown op 'nope'");
    const asWritten = decodeAsWritten(v1);
    if (!asWritten.ok) throw new Error(asWritten.error);
    expect(asWritten.circuit.nodes.map((n) => n.op)).toEqual(['input', 'const', 'pow']);
    expectSameCircuit(expectOk(decodeCircuitObject(v1)).circuit, {
      nodes: [node('x', 'input', { value: lit(2) }), node('f', 'pow', { params: { b: lit(3) } })],
      wires: [wire('x', 'f', 'a')],
      output: nodeId('f'),
    });
  });
});

describe('wires', () => {
  it('must be objects', () => {
    expect(wireError(['y', 'f', 'b'])).toBe('wire 2: expected an object, got an array');
  });

  it('must join existing nodes', () => {
    expect(wireError({ from: 'q', to: 'f', port: 'b' })).toBe("wire 2: from names no node: 'q'");
    expect(wireError({ from: 'y', to: 'g', port: 'b' })).toBe("wire 2: to names no node: 'g'");
    expect(wireError({ to: 'f', port: 'b' })).toBe('wire 2: from must be a node id, got nothing');
    expect(wireError({ from: 'y', to: ['f'], port: 'b' })).toBe(
      'wire 2: to must be a node id, got an array',
    );
  });

  it("must enter one of the target op's ports", () => {
    expect(wireError({ from: 'y', to: 'f', port: 'c' })).toBe(
      "wire 2: node 'f' (mul) has no port 'c'; its ports are 'a', 'b'",
    );
    expect(wireError({ from: 'y', to: 'f' })).toBe('wire 2: port must be a string, got nothing');
    expect(wireError({ from: 'y', to: 'x', port: 'a' })).toBe(
      "wire 2: node 'x' (input) takes no wires, so it has no port 'a'",
    );
  });
});

describe('parseCircuitFile', () => {
  it('reports text that is not JSON', () => {
    expect(expectError(parseCircuitFile(''))).toBe('the file is empty');
    expect(expectError(parseCircuitFile('  \n'))).toBe('the file is empty');
    expect(expectError(parseCircuitFile('{"format": '))).toMatch(/^the file is not valid JSON \(/);
    expect(expectError(parseCircuitFile('NaN'))).toMatch(/^the file is not valid JSON \(/);
  });

  it('accepts a byte order mark', () => {
    expectOk(parseCircuitFile(`\uFEFF${serializeCircuit(classic)}`));
  });

  it('shortens long untrusted text in messages', () => {
    const id = 'z'.repeat(150);
    expect(expectError(decodeCircuitObject(file({ output: id })))).toBe(
      `"output" names no node: '${'z'.repeat(40)}…'`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Untrusted input

describe('prototype pollution', () => {
  const hostile = `{
    "__proto__": { "polluted": "top", "format": "backprop-circuit", "version": 1 },
    "constructor": { "prototype": { "polluted": "ctor" } },
    "format": "backprop-circuit",
    "version": 1,
    "nodes": [
      { "__proto__": { "polluted": "node" }, "id": "__proto__", "op": "input", "value": 1,
        "position": { "__proto__": { "polluted": "pos" }, "x": 1, "y": 2 },
        "constructor": { "prototype": { "polluted": "node ctor" } } },
      { "id": "constructor", "op": "input", "value": [1, 2] },
      { "id": "prototype", "op": "add", "label": "__proto__" }
    ],
    "wires": [
      { "__proto__": { "polluted": "wire" }, "from": "__proto__", "to": "prototype", "port": "a" },
      { "from": "constructor", "to": "prototype", "port": "b" }
    ],
    "output": "__proto__"
  }`;

  it('keys such as __proto__ and constructor have no effect', () => {
    const decoded = expectOk(parseCircuitFile(hostile));
    const plain: Record<string, unknown> = {};
    expect(plain.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(decoded.warnings).toEqual([]);
    const { circuit } = decoded;
    expect(circuit.nodes.map((n) => n.id)).toEqual(['__proto__', 'constructor', 'prototype']);
    expect(circuit.output).toBe('__proto__');
    for (const n of circuit.nodes) {
      expect(Object.getPrototypeOf(n)).toBe(Object.prototype);
      expect((n as unknown as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.hasOwn(n, 'constructor')).toBe(false);
    }
    expect(Object.getPrototypeOf(circuit.nodes[0].position)).toBe(Object.prototype);
    expect(circuit.nodes[0].position).toEqual({ x: 1, y: 2 });
    for (const w of circuit.wires) expect(Object.getPrototypeOf(w)).toBe(Object.prototype);
  });

  it('never reads inherited properties', () => {
    const inherited = Object.create(file()) as object;
    expect(expectError(decodeCircuitObject(inherited))).toBe(
      'this is not a Backprop Circuits file ("format" must be "backprop-circuit")',
    );
    const nodeWithInheritedOp = Object.assign(Object.create({ op: 'input', value: 1 }), {
      id: 'x',
    });
    expect(nodeError(0, nodeWithInheritedOp)).toBe(
      "node 1 (id 'x'): op must be a string, got nothing",
    );
  });
});

describe('garbage never throws', () => {
  /**
   * A circuit or a message about the input; never the catch-all for an exception (tagged
   * `unexpected`), which fails the test with its message. A circuit that opened goes out as a
   * file again and comes back the same, without a warning. Plain checks, not `expect`: this
   * runs on every case.
   */
  const neverThrows = (decoded: Decoded) => {
    const change = prototypeChange();
    if (change !== undefined) throw new Error(change);
    if (!decoded.ok) {
      if (decoded.unexpected) throw new Error(`the reader threw: ${decoded.error}`);
      if (typeof decoded.error !== 'string' || decoded.error === '') {
        throw new Error('an error needs a message');
      }
      return;
    }
    const again = parseCircuitFile(serializeCircuit(decoded.circuit));
    if (!again.ok) throw new Error(`written again, it does not read: ${again.error}`);
    if (again.warnings.length > 0) throw new Error(`written again: ${again.warnings.join('; ')}`);
    expectSameCircuit(again.circuit, decoded.circuit);
  };

  it('random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        neverThrows(parseCircuitFile(text));
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('random JSON text and values', () => {
    fc.assert(
      fc.property(fc.json(), (text) => neverThrows(parseCircuitFile(text))),
      { seed: 42, numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withMap: true, withTypedArray: true }),
        (v) => neverThrows(decodeCircuitObject(v)),
      ),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('every truncation of a real file', () => {
    const text = serializeCircuit(awkwardNumbers).trimEnd();
    for (let n = 0; n < text.length; n++) {
      const decoded = parseCircuitFile(text.slice(0, n));
      expect(decoded.ok).toBe(false);
    }
  });

  it('numbers, null, arrays and non-strings passed as text', () => {
    for (const v of [0, -1, Number.NaN, null, undefined, [], [1, 2], {}, true]) {
      neverThrows(parseCircuitFile(v as unknown as string));
      neverThrows(decodeCircuitObject(v));
    }
    for (const text of ['0', 'null', '[]', '[1,2]', '"backprop-circuit"', 'true', '{}']) {
      expect(parseCircuitFile(text).ok).toBe(false);
    }
  });

  it('the check fails on the catch-all, so a reader that throws fails these tests', () => {
    const trap = Object.defineProperty(file(), 'nodes', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(() => neverThrows(decodeCircuitObject(trap))).toThrow(
      'the reader threw: could not read the circuit: boom',
    );
  });

  /** Files to mutate: of the current version (with params) and of version 1 (with consts). */
  const bases: object[] = [
    toFileObject(classic),
    toFileObject(withParams),
    toFileObject(awkwardNumbers),
    toV1FileObject({
      nodes: [
        node('x', 'input', { value: lit(2) }),
        node('two', 'const', { value: lit(2) }),
        node('sq', 'pow'),
        node('f', 'mul'),
        node('lonely', 'const', { value: t([2], [1, -0]) }),
      ],
      wires: [
        wire('x', 'sq', 'a'),
        wire('two', 'sq', 'b'),
        wire('sq', 'f', 'a'),
        wire('two', 'f', 'b'),
      ],
      output: nodeId('f'),
    }),
  ];

  it('random values spliced into a valid file', () => {
    const slot = fc.constantFrom(
      'format',
      'version',
      'nodes',
      'wires',
      'output',
      'node',
      'node.id',
      'node.op',
      'node.value',
      'node.position',
      'node.params',
      'node.params.a',
      'node.params.b',
      'wire',
      'wire.port',
    );
    let opened = 0;
    fc.assert(
      fc.property(fc.nat(), slot, fc.nat(), fc.jsonValue(), (which, where, index, junk) => {
        const data = JSON.parse(JSON.stringify(bases[which % bases.length])) as Record<
          string,
          unknown
        >;
        const nodes = data.nodes as Record<string, unknown>[];
        const wires = data.wires as Record<string, unknown>[];
        const [part, key, port] = where.split('.');
        if (part === 'node' || part === 'wire') {
          const list = part === 'node' ? nodes : wires;
          if (list.length === 0) return;
          const i = index % list.length;
          if (key === undefined) list[i] = junk as Record<string, unknown>;
          else if (port === undefined) list[i][key] = junk;
          else list[i][key] = { ...(list[i][key] as object), [port]: junk };
        } else {
          data[part] = junk;
        }
        const decoded = decodeCircuitObject(data);
        neverThrows(decoded);
        if (decoded.ok) opened++;
      }),
      { seed: 42, numRuns: 4000 },
    );
    expect(opened).toBeGreaterThan(400);
  });

  it('hostile names as ids, ops, ports, labels, values and keys', () => {
    let opened = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(toFileObject(trickyIds), ...bases),
        fc.array(hostileEditArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (start, edits, asText) => {
          const data = JSON.parse(JSON.stringify(start)) as object;
          for (const edit of edits) applyHostileEdit(data, edit);
          // As text, JSON.parse makes `__proto__` an own key again; as an object, it is one.
          const decoded = asText
            ? parseCircuitFile(JSON.stringify(data))
            : decodeCircuitObject(data);
          neverThrows(decoded);
          if (decoded.ok) opened++;
          else refused++;
        },
      ),
      { seed: 42, numRuns: 3_000 },
    );
    expect(opened).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(300);
    expectPrototypeUntouched();
  });

  it('hostile objects whose getters throw', () => {
    const trap = file();
    Object.defineProperty(trap, 'nodes', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(decodeCircuitObject(trap)).toEqual({
      ok: false,
      error: 'could not read the circuit: boom',
      unexpected: true,
    });
    const proxy = new Proxy(
      {},
      {
        getOwnPropertyDescriptor() {
          throw new Error('trapped');
        },
      },
    );
    expect(decodeCircuitObject(proxy)).toEqual({
      ok: false,
      error: 'could not read the circuit: trapped',
      unexpected: true,
    });
  });
});
