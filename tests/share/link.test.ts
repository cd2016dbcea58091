import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount, LIMITS } from '../../src/engine/limits';
import { parse } from '../../src/engine/parse';
import { type Circuit, nodeId } from '../../src/engine/types';
import { decodeBase64Url, encodeBase64Url } from '../../src/share/base64url';
import {
  decodeAsWritten,
  decodeCircuitObject,
  FILE_VERSION,
  parseCircuitFile,
  serializeCircuit,
  toFileObject,
} from '../../src/share/file';
import {
  decodeHash,
  encodeExprLink,
  encodeFullLink,
  encodeViewFlags,
  LINK_VERSION,
  type LinkDecoded,
  type LinkState,
  UNPACKED_CAP,
  type ViewState,
} from '../../src/share/link';
import {
  applyHostileEdit,
  circuitArbitrary,
  expectPrototypeUntouched,
  expectSameCircuit,
  HOSTILE_NAMES,
  hostileEditArb,
  lit,
  node,
  prototypeChange,
  randomGates,
  t,
  toV1FileObject,
  wire,
} from './circuits';

// ---------------------------------------------------------------------------------------------
// Helpers

type Full = Extract<LinkDecoded, { kind: 'full' }>;
type Expr = Extract<LinkDecoded, { kind: 'expr' }>;
type None = Extract<LinkDecoded, { kind: 'none' }>;

function expectFull(decoded: LinkDecoded): Full {
  if (!decoded.ok) throw new Error(`expected a circuit, got the error: ${decoded.error}`);
  if (decoded.kind !== 'full') throw new Error(`expected a full link, got ${decoded.kind}`);
  return decoded;
}

function expectExpr(decoded: LinkDecoded): Expr {
  if (!decoded.ok) throw new Error(`expected a program, got the error: ${decoded.error}`);
  if (decoded.kind !== 'expr') throw new Error(`expected an expr link, got ${decoded.kind}`);
  return decoded;
}

function expectNone(decoded: LinkDecoded): None {
  if (!decoded.ok) throw new Error(`expected no circuit, got the error: ${decoded.error}`);
  if (decoded.kind !== 'none') throw new Error(`expected no circuit, got ${decoded.kind}`);
  return decoded;
}

function expectError(decoded: LinkDecoded): string {
  if (decoded.ok) throw new Error(`expected an error, got a ${decoded.kind} link`);
  return decoded.error;
}

/** What a link keeps of a circuit: everything, with positions rounded to whole pixels. */
function asLinked(circuit: Circuit): Circuit {
  return {
    ...circuit,
    nodes: circuit.nodes.map((n) =>
      n.position
        ? { ...n, position: { x: Math.round(n.position.x) + 0, y: Math.round(n.position.y) + 0 } }
        : n,
    ),
  };
}

/** The view a link gives back: only the options that differ from the defaults. */
function normalView(view: ViewState): ViewState {
  const out: ViewState = {};
  if (view.embed) out.embed = true;
  if (view.present) out.present = true;
  if (view.dark) out.dark = true;
  if (view.step !== undefined) out.step = view.step;
  return out;
}

// The tests pack and unpack with Node's zlib: fast, and a check that links are standard raw
// deflate that any implementation reads.

/** Raw deflate, level 9. */
function deflate(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(deflateRawSync(bytes, { level: 9 }));
}

/** The compact JSON inside a `c=N.` hash. */
function payloadOf(hash: string): Record<string, unknown> {
  const data = hash.replace(/^#?c=[0-9]+\./, '').split('&')[0];
  const bytes = decodeBase64Url(data);
  if (typeof bytes === 'string') throw new Error(bytes);
  return JSON.parse(new TextDecoder().decode(inflateRawSync(bytes)));
}

/** A `c=N.` hash around any JSON text (of this app's link version unless told). */
function linkAround(json: string, version: number = LINK_VERSION): string {
  return `c=${version}.${encodeBase64Url(deflate(new TextEncoder().encode(json)))}`;
}

/** The version of a `c=N.` hash, or undefined for any other. */
function versionOf(hash: string): number | undefined {
  const match = /^#?c=([0-9]+)\./.exec(hash);
  return match ? Number(match[1]) : undefined;
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
    node('negzero', 'input', { value: t([], [-0]), position: { x: -0, y: 3 } }),
    node('vec', 'input', {
      value: t([6], [5e-324, -5e-324, 1.7976931348623157e308, -0, 0, 0.1 + 0.2]),
    }),
    node('mat', 'input', {
      value: t([2, 3], [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1, -1]),
    }),
    node('cell', 'exp', { params: { x: t([1, 1], [Number.NEGATIVE_INFINITY]) } }),
    node('m', 'matmul', { label: '' }),
    node('scaled', 'mul', { params: { a: t([2], [-0, Number.NaN]) } }),
  ],
  wires: [wire('vec', 'm', 'a'), wire('mat', 'm', 'b'), wire('negzero', 'scaled', 'b')],
  output: null,
};

const trickyIds: Circuit = {
  nodes: [
    node('__proto__', 'input', { value: t([], [1]) }),
    node('constructor', 'input', { value: t([], [2]) }),
    node('toString', 'add', { label: '__proto__' }),
    node('"quoted"\n\\ é 😀 \u0000 &=#%+', 'neg'),
  ],
  wires: [
    wire('__proto__', 'toString', 'a'),
    wire('constructor', 'toString', 'b'),
    wire('toString', '"quoted"\n\\ é 😀 \u0000 &=#%+', 'x'),
  ],
  output: nodeId('"quoted"\n\\ é 😀 \u0000 &=#%+'),
};

const empty: Circuit = { nodes: [], wires: [], output: null };

/** `x ** 2 + 1` as gates with their numbers inside. */
const withParams: Circuit = {
  nodes: [
    node('x', 'input', { label: 'x', position: { x: 0, y: 0 }, value: t([], [-3]) }),
    node('sq', 'pow', { position: { x: 200, y: 0 }, params: { b: lit(2) } }),
    node('f', 'add', { label: 'f', position: { x: 400, y: 0 }, params: { b: lit(1) } }),
  ],
  wires: [wire('x', 'sq', 'a'), wire('sq', 'f', 'a')],
  output: nodeId('f'),
};

describe('full links (#c=2.…)', () => {
  it.each([
    ['classic', classic],
    ['awkward numbers', awkwardNumbers],
    ['tricky ids', trickyIds],
    ['parameters', withParams],
    ['empty', empty],
  ])('%s comes back exactly', (_name, circuit) => {
    const hash = encodeFullLink({ circuit, view: {} });
    expect(hash).toMatch(/^c=2\.[A-Za-z0-9_-]+$/);
    const decoded = expectFull(decodeHash(`#${hash}`));
    expectSameCircuit(decoded.circuit, asLinked(circuit));
    expect(decoded.warnings).toEqual([]);
    expect(decoded.view).toEqual({});
    expect(decoded.expression).toBeUndefined();
    // With or without the '#'.
    expectSameCircuit(expectFull(decodeHash(hash)).circuit, asLinked(circuit));
  });

  it('carries the program text and the view inside the data', () => {
    const program = 'x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z';
    const hash = encodeFullLink({
      circuit: classic,
      view: { embed: true, step: 7, dark: false },
      expression: program,
    });
    expect(hash).not.toContain('&');
    const decoded = expectFull(decodeHash(hash));
    expect(decoded.expression).toBe(program);
    expect(decoded.view).toEqual({ embed: true, step: 7 });
  });

  it('leaves out an empty or null program', () => {
    expect(
      expectFull(decodeHash(encodeFullLink({ circuit: classic, view: {} }))).expression,
    ).toBeUndefined();
    for (const expression of [null, '', undefined]) {
      const hash = encodeFullLink({ circuit: classic, view: {}, expression });
      expect(payloadOf(hash)).not.toHaveProperty('expression');
    }
  });

  it('writes compact columns: nodes by place, positions rounded, `to` as deltas', () => {
    const moved: Circuit = {
      ...classic,
      nodes: classic.nodes.map((n, i) =>
        n.position ? { ...n, position: { x: n.position.x + 0.4, y: n.position.y - 0.3 * i } } : n,
      ),
    };
    const payload = payloadOf(encodeFullLink({ circuit: moved, view: { step: 2 } }));
    expect(payload).toEqual({
      nodes: {
        id: ['x', 'y', 'z', 'q', 'f'],
        op: ['input', 'input', 'input', 'add', 'mul'],
        x: [0, 0, 0, 200, 400],
        y: [0, 120, 239, 59, 149],
        value: [-2, 5, -4],
        label: ['x', 'y', 'z', null, 'f'],
      },
      wires: { from: [0, 1, 3, 2], to: [3, 0, 1, 0], port: ['a', 'b', 'a', 'b'] },
      output: 4,
      view: { step: 2 },
    });
    // -0.3 rounds to -0, which is written as 0.
    expect(Object.is((payload.nodes as { y: number[] }).y[0], 0)).toBe(true);
  });

  it('writes each gate’s params in a column of their own, null for a node without', () => {
    expect(payloadOf(encodeFullLink({ circuit: withParams, view: {} }))).toEqual({
      nodes: {
        id: ['x', 'sq', 'f'],
        op: ['input', 'pow', 'add'],
        x: [0, 200, 400],
        y: [0, 0, 0],
        value: [-3],
        label: ['x', null, 'f'],
        params: [null, { b: 2 }, { b: 1 }],
      },
      wires: { from: [0, 1], to: [1, 1], port: ['a', 'a'] },
      output: 2,
    });
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
    const decoded = expectFull(decodeHash(encodeFullLink({ circuit: v1, view: {} })));
    expectSameCircuit(decoded.circuit, {
      nodes: [v1.nodes[0], node('f', 'pow', { params: { b: lit(2) } })],
      wires: [wire('x', 'f', 'a')],
      output: nodeId('f'),
    });
  });

  it('reads a version-1 payload (no params column) as a version-1 circuit and migrates it', () => {
    const v1 = JSON.stringify({
      nodes: { id: ['x', 'c', 'f'], op: ['input', 'const', 'mul'], value: [4, -1] },
      wires: { from: [0, 1], to: [2, 0], port: ['a', 'b'] },
      output: 2,
    });
    const decoded = expectFull(decodeHash(linkAround(v1, 1)));
    expectSameCircuit(decoded.circuit, {
      nodes: [node('x', 'input', { value: lit(4) }), node('f', 'mul', { params: { b: lit(-1) } })],
      wires: [wire('x', 'f', 'a')],
      output: nodeId('f'),
    });
    expect(decoded.warnings).toEqual([]);
  });

  it('names by id a wire end or output that is not a node, and the codec reports it', () => {
    const broken: Circuit = { ...classic, wires: [wire('ghost', 'f', 'a')], output: nodeId('f') };
    const hash = encodeFullLink({ circuit: broken, view: {} });
    expect((payloadOf(hash).wires as { from: unknown[] }).from).toEqual(['ghost']);
    expect(expectError(decodeHash(hash))).toBe(
      "the link's circuit is not valid: wire 1: from names no node: 'ghost'",
    );
  });

  it('unpacks payloads that just fill, or overflow, the first buffer', () => {
    // A short link is unpacked in one call into a 4,096-byte buffer; one that fills it goes
    // through the streaming inflater instead. Both must give the same text.
    for (let size = 4090; size <= 4100; size++) {
      const expression = 'a'.repeat(size - '{"expression":""}'.length);
      const decoded = expectFull(decodeHash(linkAround(JSON.stringify({ expression }))));
      expect(decoded.expression).toBe(expression);
    }
    // A compressed block, then a stored block that lands past the end of the first buffer.
    const head = new TextEncoder().encode(`{"expression":"${'a'.repeat(5000)}`);
    const tail = new TextEncoder().encode('b"}');
    const compressed = deflateRawSync(head, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
    const stored = Uint8Array.of(1, tail.length, 0, ~tail.length & 0xff, 0xff, ...tail);
    const bytes = new Uint8Array([...compressed, ...stored]);
    expect(bytes.length).toBeLessThan(512);
    const decoded = expectFull(decodeHash(`c=1.${encodeBase64Url(bytes)}`));
    expect(decoded.expression).toBe(`${'a'.repeat(5000)}b`);
  });

  it('reads a payload whose characters were percent-encoded', () => {
    const hash = encodeFullLink({ circuit: classic, view: {} });
    const escaped = hash.replace(/[A-Za-z]/g, (ch) => `%${ch.charCodeAt(0).toString(16)}`);
    expectSameCircuit(expectFull(decodeHash(escaped.replace('%63=', 'c='))).circuit, classic);
  });

  it('fits a 100-gate circuit in 2,000 characters', () => {
    const hash = encodeFullLink({ circuit: randomGates(100, 1), view: { step: 12 } });
    console.info(`100-gate full link: ${hash.length} characters`);
    expect(hash.length).toBeLessThanOrEqual(2000);
    expect(expectFull(decodeHash(hash)).circuit.nodes.length).toBe(110);
  });
});

// ---------------------------------------------------------------------------------------------
// Random circuits

const circuitArb = circuitArbitrary({
  maxNodes: 8,
  maxWires: 10,
  maxId: 6,
  maxBinaryId: 8,
  maxLabel: 8,
  coordinate: fc.oneof(
    fc.integer({ min: -5000, max: 5000 }),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  ),
  scalarWeight: 3,
  maxVector: 4,
  maxSide: 3,
});

const viewArb: fc.Arbitrary<ViewState> = fc.record(
  {
    embed: fc.boolean(),
    present: fc.boolean(),
    dark: fc.boolean(),
    step: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(0, 1, 1_000_000)),
  },
  { requiredKeys: [] },
);

const stateArb: fc.Arbitrary<LinkState> = fc.record({
  circuit: circuitArb,
  view: viewArb,
  expression: fc.option(fc.string({ maxLength: 20, unit: 'binary' }), { nil: null }),
});

describe('round trip of random states', () => {
  it('decodeHash(encodeFullLink(s)) gives back s exactly (positions rounded)', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const decoded = expectFull(decodeHash(`#${encodeFullLink(state)}`));
        expectSameCircuit(decoded.circuit, asLinked(state.circuit));
        if (decoded.warnings.length > 0) throw new Error(decoded.warnings.join('; '));
        const view = JSON.stringify(decoded.view);
        if (view !== JSON.stringify(normalView(state.view))) throw new Error(`view ${view}`);
        if (decoded.expression !== (state.expression || undefined)) {
          throw new Error(`expression ${JSON.stringify(decoded.expression)}`);
        }
      }),
      { seed: 42, numRuns: 4_000 },
    );
  });

  it('view flags come back from a program link and from bare flags', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30, unit: 'binary' }), viewArb, (program, view) => {
        fc.pre(program.trim() !== '');
        const decoded = expectExpr(decodeHash(`#${encodeExprLink(program, view)}`));
        expect(decoded.expression).toBe(program);
        expect(decoded.view).toEqual(normalView(view));
        expect(decoded.warnings).toEqual([]);
        expect(expectNone(decodeHash(`#${encodeViewFlags(view)}`)).view).toEqual(normalView(view));
      }),
      { seed: 42, numRuns: 2_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Program links and flags

describe('program links (#expr=…)', () => {
  const program = 'x=-2;y=5;z=-4;f=(x+y)*z';
  const designExample = 'expr=x%3D-2%3By%3D5%3Bz%3D-4%3Bf%3D(x%2By)*z';

  it('reads the example from the design', () => {
    const decoded = expectExpr(decodeHash(`#${designExample}`));
    expect(decoded.expression).toBe(program);
    expect(decoded.circuit).toBeUndefined();
    expect(decoded.view).toEqual({});
    expect(decoded.warnings).toEqual([]);
    // The caller parses it; it is a real program.
    expect(parse(decoded.expression).circuit.output).toBe('f');
  });

  it('writes the example from the design', () => {
    expect(encodeExprLink(program)).toBe(designExample);
    expect(encodeExprLink(program, { embed: true, step: 4 })).toBe(
      `${designExample}&embed=1&step=4`,
    );
  });

  it('keeps a + typed by hand as a +, and reads other hand-typed text', () => {
    expect(expectExpr(decodeHash('#expr=f=(x+y)*z')).expression).toBe('f=(x+y)*z');
    expect(expectExpr(decodeHash('expr=x = 3%0Ay = x^2')).expression).toBe('x = 3\ny = x^2');
    expect(expectExpr(decodeHash('expr=a%2Bb')).expression).toBe('a+b');
    expect(expectExpr(decodeHash('expr=π%20*%20r')).expression).toBe('π * r');
  });

  it('explains a malformed escape and an empty program', () => {
    expect(expectError(decodeHash('#expr=x%ZZ+1'))).toBe(
      'the link\'s program is garbled: the "%" at character 2 is not followed by two hex digits (write a literal % as %25)',
    );
    expect(expectError(decodeHash('#expr=100%'))).toContain('the "%" at character 4');
    expect(expectError(decodeHash('#expr=%E0%A4%A'))).toContain('the "%" at character 7');
    expect(expectError(decodeHash('#expr=%FF%FE'))).toBe(
      "the link's program is garbled: its %-escapes do not spell UTF-8 text",
    );
    expect(expectError(decodeHash('#expr='))).toBe("the link's program (expr=) is empty");
    expect(expectError(decodeHash('#expr=%20%0A&embed=1'))).toBe(
      "the link's program (expr=) is empty",
    );
  });
});

describe('view flags', () => {
  it('reads every flag, in any order, with or without a program', () => {
    expect(expectNone(decodeHash('#step=3&dark=1&present=1&embed=1')).view).toEqual({
      step: 3,
      dark: true,
      present: true,
      embed: true,
    });
    expect(expectExpr(decodeHash('#embed=1&expr=x%2By')).view).toEqual({ embed: true });
  });

  it('reads 0/false as off, and a bare name or true as on', () => {
    expect(expectNone(decodeHash('embed=0&present=false&dark')).view).toEqual({
      embed: false,
      present: false,
      dark: true,
    });
    expect(expectNone(decodeHash('embed=true')).view).toEqual({ embed: true });
  });

  it('ignores a bad step with a warning', () => {
    for (const bad of ['-1', '1.5', '1000001', 'abc', '1e3', ' 3', '0x10', '99999999']) {
      const decoded = expectNone(decodeHash(`#step=${bad}`));
      expect(decoded.view).toEqual({});
      expect(decoded.warnings).toHaveLength(1);
      expect(decoded.warnings[0]).toContain('should be a whole number from 0 to 1,000,000');
    }
    expect(expectNone(decodeHash('#step=1000000')).view).toEqual({ step: 1_000_000 });
    expect(expectNone(decodeHash('#step=0')).view).toEqual({ step: 0 });
    expect(expectNone(decodeHash('#step=007')).view).toEqual({ step: 7 });
  });

  it('ignores a bad flag value with a warning', () => {
    const decoded = expectNone(decodeHash('#embed=yes'));
    expect(decoded.view).toEqual({});
    expect(decoded.warnings).toEqual(['embed="yes" should be 1 or 0; it was ignored']);
  });

  it('ignores unknown keys and repeats, with a warning naming each', () => {
    const decoded = expectNone(decodeHash('#utm_source=mail&zoom=2&__proto__=1&step=2&step=5'));
    expect(decoded.view).toEqual({ step: 2 });
    expect(decoded.warnings).toEqual([
      'the link part "utm_source=mail" is not one this app reads; it was ignored',
      'the link part "zoom=2" is not one this app reads; it was ignored',
      'the link part "__proto__=1" is not one this app reads; it was ignored',
      'the link gives "step" more than once; the first is used and "step=5" was ignored',
    ]);
  });

  it('says what a misspelt key was probably meant to be', () => {
    const decoded = expectNone(decodeHash('#exp=x%3D1%3Bf%3Dx*2&Embed=1&stpe=3&drak&c1.abc'));
    expect(decoded.view).toEqual({});
    expect(decoded.warnings).toEqual([
      'the link part "exp=x%3D1%3Bf%3Dx*2" is not one this app reads (did you mean "expr"?); it was ignored',
      'the link part "Embed=1" is not one this app reads (did you mean "embed"?); it was ignored',
      'the link part "stpe=3" is not one this app reads (did you mean "step"?); it was ignored',
      'the link part "drak" is not one this app reads (did you mean "dark"?); it was ignored',
      'the link part "c1.abc" is not one this app reads; it was ignored',
    ]);
    expect(expectNone(decodeHash('#=5&e=1')).warnings).toEqual([
      'the link part "=5" has no name; it was ignored',
      'the link part "e=1" is not one this app reads; it was ignored',
    ]);
  });

  it('names the first ten parts it ignores and counts the rest', () => {
    const parts = Array.from({ length: 100_000 }, (_, i) => (i % 2 === 0 ? `k${i}=1` : 'step=1'));
    const decoded = expectNone(decodeHash(`#step=4&${parts.join('&')}`));
    expect(decoded.view).toEqual({ step: 4 });
    expect(decoded.warnings).toHaveLength(11);
    expect(decoded.warnings[0]).toBe(
      'the link part "k0=1" is not one this app reads; it was ignored',
    );
    expect(decoded.warnings[1]).toBe(
      'the link gives "step" more than once; the first is used and "step=1" was ignored',
    );
    expect(decoded.warnings[10]).toBe('and 99,990 more parts of the link were ignored');
    const fields = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, i]));
    const data = expectFull(decodeHash(linkAround(JSON.stringify({ ...fields, nodes: fields }))));
    expect(data.warnings).toHaveLength(22);
    expect(data.warnings[10]).toBe("and 2 more fields of the link's data were ignored");
    expect(data.warnings[21]).toBe('and 2 more unknown node columns were ignored');
  });

  it('keeps the warnings of a hash beside a circuit or a program', () => {
    const hash = encodeFullLink({ circuit: classic, view: {} });
    expect(expectFull(decodeHash(`${hash}&exp=1&c=1.x`)).warnings).toEqual([
      'the link part "exp=1" is not one this app reads (did you mean "expr"?); it was ignored',
      `the link gives "c" more than once; the first is used and "c=1.x" was ignored`,
    ]);
    expect(expectExpr(decodeHash('expr=x%3D1&expr=2&dark=maybe')).warnings).toEqual([
      'the link gives "expr" more than once; the first is used and "expr=2" was ignored',
      'dark="maybe" should be 1 or 0; it was ignored',
    ]);
  });

  it('reads an empty hash as nothing', () => {
    for (const hash of ['', '#', '#&&', '&']) {
      expect(decodeHash(hash)).toEqual({ ok: true, kind: 'none', view: {}, warnings: [] });
    }
  });

  it('lets flags written in the hash win over those inside the data', () => {
    const hash = encodeFullLink({ circuit: classic, view: { embed: true, step: 5 } });
    expect(expectFull(decodeHash(hash)).view).toEqual({ embed: true, step: 5 });
    expect(expectFull(decodeHash(`${hash}&embed=0&present=1`)).view).toEqual({
      embed: false,
      present: true,
      step: 5,
    });
    expect(expectFull(decodeHash(`embed=0&${hash}`)).view).toEqual({ embed: false, step: 5 });
  });

  it('writes only the options that differ from the defaults', () => {
    expect(encodeViewFlags({})).toBe('');
    expect(encodeViewFlags({ embed: false, present: false, dark: false })).toBe('');
    expect(encodeViewFlags({ dark: true, step: 0, embed: true })).toBe('embed=1&dark=1&step=0');
    expect(encodeViewFlags({ step: -1 })).toBe('');
    expect(encodeViewFlags({ step: 2.5 })).toBe('');
    expect(encodeExprLink('x', {})).toBe('expr=x');
  });

  it('prefers a circuit over a program, with a warning', () => {
    const hash = encodeFullLink({ circuit: classic, view: {} });
    const decoded = expectFull(decodeHash(`${hash}&expr=x%2By`));
    expect(decoded.warnings).toEqual([
      'the link has both a circuit (c=) and a program (expr=); the program is ignored',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Errors

describe('broken links', () => {
  const good = encodeFullLink({ circuit: classic, view: {} });
  const data = good.slice('c=2.'.length);

  it('explains a link from a newer version', () => {
    expect(expectError(decodeHash(`#c=3.${data}`))).toBe(
      'this link was made by a newer version of Backprop Circuits (link version 3); ' +
        'this app reads version 2',
    );
    expect(expectError(decodeHash('#c=31.anything'))).toContain('newer version');
    expect(LINK_VERSION).toBe(2);
  });

  it('explains a missing or bad version', () => {
    expect(expectError(decodeHash(`#c=${data}`))).toBe(
      'the link\'s circuit has no version (it should start "c=2.")',
    );
    expect(expectError(decodeHash(`#c=x.${data}`))).toBe(
      'the link\'s version must be a whole number, got "x"',
    );
    expect(expectError(decodeHash(`#c=0.${data}`))).toBe(
      'link version 0 does not exist; versions start at 1',
    );
    expect(expectError(decodeHash('#c=1.'))).toBe(
      "the link's circuit is empty (nothing after the version)",
    );
  });

  it('names a character that is not base64url', () => {
    expect(expectError(decodeHash(`#c=1.${data.slice(0, 10)}*${data.slice(10)}`))).toBe(
      'the link is damaged: its data holds the character "*" at position 11, which base64url does not use',
    );
    expect(expectError(decodeHash(`#c=1.ab+cd`))).toContain(
      'a space (a "+" that became a space?) at position 3',
    );
    expect(expectError(decodeHash('#c=1.abcde'))).toBe(
      'the link is damaged: its data has an impossible length (5 characters; was it cut short?)',
    );
  });

  it('explains a link cut short', () => {
    const cut = (good.length - 8 - 'c=2.'.length) % 4 === 1 ? 9 : 8;
    expect(expectError(decodeHash(`#${good.slice(0, good.length - cut)}`))).toBe(
      'the link is damaged: its data does not unpack (was it cut short?)',
    );
  });

  it('explains data that is not JSON, or not the right JSON', () => {
    expect(expectError(decodeHash(linkAround('{"nodes": ')))).toBe(
      'the link is damaged: its data is not valid JSON',
    );
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    expect(expectError(decodeHash(`c=1.${encodeBase64Url(deflate(bytes))}`))).toBe(
      'the link is damaged: its data is not text',
    );
    expect(expectError(decodeHash(linkAround('[1,2]')))).toBe(
      "the link's data must be an object, got a list",
    );
    expect(expectError(decodeHash(linkAround('{"nodes":[["x","input"]]}')))).toBe(
      "the link's circuit is not valid: the nodes must be an object of columns, got a list",
    );
    expect(expectError(decodeHash(linkAround('{"nodes":{"id":"x"}}')))).toBe(
      'the link\'s circuit is not valid: the node column "id" must be a list, got the text "x"',
    );
  });

  it('checks node numbers in wires and the output', () => {
    const nodes = '"nodes":{"id":["x","f"],"op":["input","neg"],"value":[1]}';
    expect(expectError(decodeHash(linkAround(`{${nodes},"wires":{"from":[5],"to":[1]}}`)))).toBe(
      "the link's circuit is not valid: wire 1: from names node number 5, but the nodes are numbered 0 to 1",
    );
    expect(expectError(decodeHash(linkAround(`{${nodes},"wires":{"from":[0],"to":[1.5]}}`)))).toBe(
      "the link's circuit is not valid: wire 1: to names node number 1.5, but the nodes are numbered 0 to 1",
    );
    expect(expectError(decodeHash(linkAround(`{${nodes},"output":true}`)))).toBe(
      "the link's circuit is not valid: the output must be a node number, got true",
    );
    expect(expectError(decodeHash(linkAround('{"output":0}')))).toBe(
      "the link's circuit is not valid: the output names node number 0, but there are no nodes",
    );
    const ok = expectFull(
      decodeHash(linkAround(`{${nodes},"wires":{"from":[0],"to":[1],"port":["x"]},"output":1}`)),
    );
    expect(ok.circuit.wires).toEqual([wire('x', 'f', 'x')]);
    expect(ok.circuit.output).toBe('f');
  });

  it('passes the file codec’s message on, and its warnings', () => {
    expect(expectError(decodeHash(linkAround('{"nodes":{"id":["x"],"op":["fft"]}}')))).toBe(
      "the link's circuit is not valid: node 1 (id 'x'): unknown op 'fft'",
    );
    expect(expectError(decodeHash(linkAround('{"nodes":{"id":["x"],"op":["input"]}}')))).toBe(
      "the link's circuit is not valid: node 1 (id 'x'): an input node needs a value",
    );
    const lone = expectFull(
      decodeHash(linkAround('{"nodes":{"id":["g"],"op":["neg"],"x":[5],"expression":7}}')),
    );
    expect(lone.circuit.nodes[0]).toEqual({ id: 'g', op: 'neg' });
    expect(lone.warnings).toEqual([
      "node 1 (id 'g'): position dropped (it needs finite numbers x and y); the node will be placed",
      'the link\'s node column "expression" is unknown; it was ignored',
    ]);
    const odd = expectFull(decodeHash(linkAround('{"expression":7,"view":{"step":-2,"dark":1}}')));
    expect(odd.expression).toBeUndefined();
    expect(odd.view).toEqual({ dark: true });
    expect(odd.warnings).toEqual([
      "the link's program text is the number 7, not text; it was ignored",
      'the link\'s view option step="-2" should be a whole number from 0 to 1,000,000; it was ignored',
    ]);
  });

  it('refuses params in a version-1 link and const nodes in a version-2 link, at their place', () => {
    const withParamsColumn = JSON.stringify({
      nodes: { id: ['x', 'f'], op: ['input', 'pow'], value: [3], params: [null, { b: 2 }] },
      wires: { from: [0], to: [1], port: ['a'] },
    });
    expect(expectError(decodeHash(linkAround(withParamsColumn, 1)))).toBe(
      "the link's circuit is not valid: node 2 (id 'f'): params belong to format version 2, but this file is version 1, where a number a gate reads is a 'const' node wired into it",
    );
    const withConst = JSON.stringify({
      nodes: { id: ['x', 'two'], op: ['input', 'const'], value: [3, 2] },
    });
    expect(expectError(decodeHash(linkAround(withConst)))).toBe(
      "the link's circuit is not valid: node 2 (id 'two'): op 'const' belongs to format version 1, but this file is version 2, where a number a gate reads is one of its params (for example \"params\": { \"b\": 2 })",
    );
  });

  it('refuses bad params with the file codec’s message', () => {
    const payload = (params: unknown, port = 'a') =>
      JSON.stringify({
        nodes: { id: ['x', 'f'], op: ['input', 'mul'], value: [3], params: [null, params] },
        wires: { from: [0], to: [1], port: [port] },
      });
    expect(expectError(decodeHash(linkAround(payload({ b: 'two' }))))).toBe(
      "the link's circuit is not valid: node 2 (id 'f'): parameter 'b' must be a number or an array of numbers, got the text 'two'",
    );
    expect(expectError(decodeHash(linkAround(payload({ b: '' }))))).toBe(
      "the link's circuit is not valid: node 2 (id 'f'): parameter 'b' is empty; it must be a number or an array of numbers",
    );
    expect(expectError(decodeHash(linkAround(payload({ z: 1 }))))).toBe(
      "the link's circuit is not valid: node 2 (id 'f'): params has the key 'z', which is not a port of mul; its ports are 'a', 'b'",
    );
    expect(expectError(decodeHash(linkAround(payload({ a: 1 }))))).toBe(
      "the link's circuit is not valid: wire 1: port 'a' of node 'f' (mul) holds a parameter; a port takes a wire or a parameter, not both",
    );
    const onInput = JSON.stringify({
      nodes: { id: ['x'], op: ['input'], value: [3], params: [{ x: 1 }] },
    });
    expect(expectError(decodeHash(linkAround(onInput)))).toBe(
      "the link's circuit is not valid: node 1 (id 'x'): an input node takes no params: only a gate has ports to hold numbers",
    );
  });

  it('moves a position beyond the limit and drops one that is not finite, saying so', () => {
    const json = JSON.stringify({
      nodes: {
        id: ['far', 'nan', 'near'],
        op: ['input', 'input', 'neg'],
        x: [1e308, 'NaN', -1_000_000],
        y: [-5e6, 0, 1_000_000],
        value: [1, 2],
      },
    });
    const decoded = expectFull(decodeHash(linkAround(json)));
    expect(decoded.circuit.nodes.map((n) => n.position)).toEqual([
      { x: 1_000_000, y: -1_000_000 },
      undefined,
      { x: -1_000_000, y: 1_000_000 },
    ]);
    expect(decoded.warnings).toEqual([
      "node 1 (id 'far'): position (1e+308, -5000000) is more than 1,000,000 from the origin; it was moved to (1000000, -1000000)",
      "node 2 (id 'nan'): position dropped (it needs finite numbers x and y); the node will be placed",
    ]);
  });

  it('names the fields, columns and view options it does not read', () => {
    const json = JSON.stringify({
      nodes: { id: ['x'], op: ['input'], value: [1], colour: ['red'] },
      wires: { from: [], weight: [] },
      view: { dark: 1, zoom: 2 },
      layout: 'dagre',
    });
    const decoded = expectFull(decodeHash(linkAround(json)));
    expect(decoded.view).toEqual({ dark: true });
    expect(decoded.warnings).toEqual([
      'the link\'s data has a field "layout" this app does not read; ignored',
      'the link\'s node column "colour" is unknown; it was ignored',
      'the link\'s wire column "weight" is unknown; it was ignored',
      'the link\'s view option "zoom" is unknown; it was ignored',
    ]);
  });

  it('enforces the node and wire limits before rebuilding records', () => {
    const ids = Array.from({ length: 12_001 }, (_, i) => `n${i}`);
    const json = JSON.stringify({ nodes: { id: ids, op: ids.map(() => 'neg') } });
    expect(expectError(decodeHash(linkAround(json)))).toBe(
      "the link's circuit is not valid: the circuit has 12,001 nodes; the limit is 12,000",
    );
    const from = new Array(24_001).fill(0);
    expect(expectError(decodeHash(linkAround(JSON.stringify({ wires: { from } }))))).toBe(
      "the link's circuit is not valid: the circuit has 24,001 wires; the limit is 24,000",
    );
  });

  it('refuses a hash or a program too long before decoding it', () => {
    const hash = `c=1.${'A'.repeat(LIMITS.hashLength)}`;
    expect(expectError(decodeHash(`#${hash}`))).toBe(
      'the link has 2,000,004 characters; the limit is 2,000,000',
    );
    expect(expectError(decodeHash(`expr=${'x'.repeat(LIMITS.programLength + 1)}`))).toBe(
      "the link's program has 1,400,001 characters; the limit is 1,400,000",
    );
    // The limit is on the program, not on its escaped form in the link.
    const spaced = 'x'.repeat(LIMITS.programLength - 1);
    expect(expectExpr(decodeHash(`expr=${spaced}%20`)).expression).toHaveLength(1_400_000);
  });

  it('stops a deflate bomb at the cap', () => {
    const bomb = `c=1.${encodeBase64Url(deflate(new Uint8Array(50 * 1024 * 1024)))}`;
    expect(bomb.length).toBeLessThan(LIMITS.hashLength);
    expect(expectError(decodeHash(bomb))).toBe(
      `the link's circuit is too large (more than ${formatCount(UNPACKED_CAP)} bytes once unpacked)`,
    );
  });

  it('never throws, even for values that are not strings', () => {
    for (const weird of [undefined, null, 42, {}, ['c=1.x'], Symbol('x')]) {
      expect(expectError(decodeHash(weird as unknown as string))).toBe('a link hash must be text');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile keys

describe('__proto__ and constructor in a link', () => {
  it('have no effect on any object', () => {
    const payloads = [
      '{"__proto__":{"polluted":1},"nodes":{"id":["x"],"op":["input"],"value":[1]}}',
      '{"constructor":{"prototype":{"polluted":1}},"nodes":{"__proto__":{"polluted":1},"id":["x"],"op":["input"],"value":[1]}}',
      '{"nodes":{"id":["__proto__"],"op":["input"],"value":[{"__proto__":{"polluted":1}}]}}',
      '{"nodes":{"id":["x"],"op":["input"],"value":[1],"x":[{"__proto__":1}],"y":[2]}}',
      '{"view":{"__proto__":{"polluted":1},"constructor":{"polluted":1}}}',
      '{"wires":{"__proto__":[1],"from":[],"to":[]}}',
    ];
    for (const json of payloads) {
      const decoded = decodeHash(linkAround(json));
      expect(typeof decoded.ok).toBe('boolean');
      if (decoded.ok && decoded.kind === 'full') {
        expect(Object.getPrototypeOf(decoded.view)).toBe(Object.prototype);
        expect(Object.keys(decoded.view)).toEqual([]);
      }
    }
    decodeHash('#__proto__[polluted]=1&constructor=1&__proto__=1&prototype=1');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('keep a node whose id is __proto__ as a plain node', () => {
    const decoded = expectFull(
      decodeHash(
        linkAround('{"nodes":{"id":["__proto__"],"op":["input"],"value":[3]},"output":0}'),
      ),
    );
    expect(decoded.circuit.nodes[0].id).toBe('__proto__');
    expect(decoded.circuit.output).toBe('__proto__');
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing the decoder

/**
 * The decoder's contract: a result of one of the documented shapes, never an exception, and
 * never the catch-all for one (tagged `unexpected`): an exception inside the reader is a bug,
 * and fails the test here with its message.
 */
function expectWellFormed(decoded: LinkDecoded): void {
  if (!decoded.ok) {
    if (decoded.unexpected) throw new Error(`the reader threw: ${decoded.error}`);
    if (typeof decoded.error !== 'string' || decoded.error === '') {
      throw new Error('an error needs a message');
    }
    return;
  }
  if (!Array.isArray(decoded.warnings)) throw new Error('warnings must be a list');
  if (decoded.kind === 'full' && !Array.isArray(decoded.circuit.nodes)) {
    throw new Error('a full link needs a circuit');
  }
  if (decoded.kind === 'expr' && typeof decoded.expression !== 'string') {
    throw new Error('an expr link needs a program');
  }
}

describe('fuzzing the decoder', () => {
  it('fails on the catch-all: an exception inside the reader is never an answer', () => {
    expect(() =>
      expectWellFormed({ ok: false, error: 'could not read the link: boom', unexpected: true }),
    ).toThrow('the reader threw: could not read the link: boom');
    expect(() => expectWellFormed({ ok: false, error: 'the link is damaged' })).not.toThrow();
  });

  // Valid links to mutate: a few fixed ones and some random ones.
  const seeds: string[] = [
    encodeFullLink({ circuit: classic, view: { step: 3 }, expression: 'f = (x + y) * z' }),
    encodeFullLink({ circuit: awkwardNumbers, view: { embed: true } }),
    encodeFullLink({ circuit: trickyIds, view: {} }),
    encodeFullLink({ circuit: withParams, view: {} }),
    encodeFullLink({ circuit: randomGates(30, 9), view: { dark: true } }),
    ...fc.sample(stateArb, { seed: 7, numRuns: 30 }).map((state) => encodeFullLink(state)),
    encodeExprLink('x = 3\ny = sigmoid(x) + x^2', { present: true, step: 2 }),
    // Links of version 1, whose circuits hold const nodes that the migration turns into params.
    ...goldenLinks(V1_FIXTURES)
      .filter((fixture) => fixture.kind === 'full')
      .map((fixture) => fixture.hash.slice(1)),
  ];
  const seedArb = fc.constantFrom(...seeds);

  const truncated = fc
    .tuple(seedArb, fc.nat())
    .map(([link, n]) => link.slice(0, n % (link.length + 1)));

  const bitFlipped = fc
    .tuple(seedArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 3 }))
    .map(([link, flips]) => {
      const version = versionOf(link);
      if (version === undefined) return link;
      const bytes = decodeBase64Url(link.slice(`c=${version}.`.length)) as Uint8Array;
      for (const [at, bit] of flips) bytes[at % bytes.length] ^= 1 << bit;
      return `c=${version}.${encodeBase64Url(bytes)}`;
    });

  const charMutated = fc
    .tuple(
      seedArb,
      fc.nat(),
      fc.constantFrom('+', ' ', '%', '&', '=', '.', '#', 'A', '_', '\u00e9'),
    )
    .map(([link, at, ch]) => {
      const i = at % (link.length + 1);
      return link.slice(0, i) + ch + link.slice(i + 1);
    });

  /** '+' turned into ' ' (as a form decoder would): in programs, and for '-' in base64url. */
  const plusToSpace = seedArb.map((link) =>
    link.startsWith('expr=')
      ? `${link.replace(/&.*$/, '')}%2B1`.replace(/%2B/g, ' ')
      : link.replace(/-/g, ' '),
  );

  /** Valid JSON with its structure changed, deflated properly, so it reaches the readers. */
  const jsonArb = fc.jsonValue({ maxDepth: 3 });
  const structureMutated = fc
    .tuple(seedArb, fc.array(fc.tuple(fc.nat(), jsonArb), { minLength: 1, maxLength: 3 }))
    .map(([link, edits]) => {
      const version = versionOf(link);
      if (version === undefined) return link;
      const payload = payloadOf(link);
      for (const [at, value] of edits) replaceSomewhere(payload, at, value);
      return linkAround(JSON.stringify(payload), version);
    });

  const garbage = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ maxLength: 60, unit: 'binary' }),
    fc.string({ maxLength: 80, unit: fc.constantFrom(...'c=1.expr&#%+-_ABCabc019 stepembed') }),
    fc
      .string({
        maxLength: 200,
        unit: fc.constantFrom(
          ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
        ),
      })
      .map((s) => `c=2.${s}`),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => `c=2.${encodeBase64Url(bytes)}`),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => `c=1.${encodeBase64Url(deflate(bytes))}`),
    jsonArb.map((value) => linkAround(JSON.stringify(value))),
    jsonArb.map((value) => linkAround(JSON.stringify(value), 1)),
  );

  /**
   * Names that are members of Object.prototype put where the payload has ids, ops, ports,
   * labels or any value, and as own keys of its objects (`__proto__` included).
   */
  const hostileMutated = fc
    .tuple(seedArb, fc.array(hostileEditArb, { minLength: 1, maxLength: 4 }))
    .map(([link, edits]) => {
      const version = versionOf(link);
      if (version === undefined) return link;
      const payload = payloadOf(link);
      for (const edit of edits) applyHostileEdit(payload, edit);
      return linkAround(JSON.stringify(payload), version);
    });

  /** The same names as keys of the hash, beside a real link or alone. */
  const hostileKeys = fc
    .tuple(
      seedArb,
      fc.array(
        fc.tuple(fc.constantFrom(...HOSTILE_NAMES, 'prototype'), fc.string({ maxLength: 8 })),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
      fc.boolean(),
    )
    .map(([link, pairs, alone]) => {
      const extra = pairs.map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
      return (alone ? extra : [link, ...extra]).join('&');
    });

  const anyInput = fc.oneof(
    truncated,
    bitFlipped,
    charMutated,
    plusToSpace,
    structureMutated,
    hostileMutated,
    hostileKeys,
    garbage,
  );

  /**
   * What a circuit that opened must also do: go out again by link and by file and come back
   * the same, without a warning (what was dropped or moved the first time is gone).
   */
  function reencodes(decoded: Full): void {
    const again = decodeHash(
      encodeFullLink({
        circuit: decoded.circuit,
        view: decoded.view,
        expression: decoded.expression,
      }),
    );
    if (!again.ok || again.kind !== 'full')
      throw new Error(`re-encoded link: ${JSON.stringify(again)}`);
    if (again.warnings.length > 0) throw new Error(`re-encoded link: ${again.warnings.join('; ')}`);
    expectSameCircuit(again.circuit, asLinked(decoded.circuit));
    const file = parseCircuitFile(serializeCircuit(decoded.circuit));
    if (!file.ok) throw new Error(`re-encoded file: ${file.error}`);
    if (file.warnings.length > 0) throw new Error(`re-encoded file: ${file.warnings.join('; ')}`);
    expectSameCircuit(file.circuit, decoded.circuit);
  }

  it('gives a result or a message for 25,000 random, mutated and hostile links', () => {
    let errors = 0;
    let oks = 0;
    let circuits = 0;
    let withParamsOpened = 0;
    let v1Opened = 0;
    fc.assert(
      fc.property(anyInput, (hash) => {
        const decoded = decodeHash(hash);
        expectWellFormed(decoded);
        const change = prototypeChange();
        if (change !== undefined) throw new Error(change);
        if (decoded.ok) oks++;
        else errors++;
        if (decoded.ok && decoded.kind === 'full') {
          if (decoded.circuit.nodes.some((n) => n.params)) withParamsOpened++;
          if (versionOf(hash) === 1) v1Opened++;
          // Every third one: packing a link again is most of the cost of a case.
          if (circuits++ % 3 === 0) reencodes(decoded);
        }
      }),
      { seed: 42, numRuns: 25_000 },
    );
    // Every outcome is exercised, parameters and migrated version-1 links included.
    expect(oks).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(1000);
    expect(circuits).toBeGreaterThan(1000);
    expect(withParamsOpened).toBeGreaterThan(500);
    expect(v1Opened).toBeGreaterThan(300);
    expectPrototypeUntouched();
  });

  it('hostile names in a circuit that opens keep working', () => {
    // The hostile edits alone, on the circuits most likely to survive them.
    let opened = 0;
    const hostileIds = fc
      .tuple(fc.constantFrom(seeds[0], seeds[2]), hostileEditArb)
      .map(([link, edit]) => {
        const payload = payloadOf(link);
        applyHostileEdit(payload, { ...edit, kind: 'string' });
        return linkAround(JSON.stringify(payload));
      });
    fc.assert(
      fc.property(hostileIds, (hash) => {
        const decoded = decodeHash(hash);
        expectWellFormed(decoded);
        if (decoded.ok && decoded.kind === 'full') {
          opened++;
          reencodes(decoded);
        }
      }),
      { seed: 42, numRuns: 2_000 },
    );
    expect(opened).toBeGreaterThan(200);
    expectPrototypeUntouched();
  });

  it('handles one megabyte of garbage', () => {
    let state = 1;
    const chars: string[] = [];
    for (let i = 0; i < 1024 * 1024; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      chars.push(String.fromCharCode(32 + ((state >>> 16) % 95)));
    }
    const junk = chars.join('');
    for (const hash of [junk, `c=1.${junk}`, `expr=${junk}`, `#${junk}&step=2`]) {
      expectWellFormed(decodeHash(hash));
    }
    const base64Junk = junk.replace(/[^A-Za-z0-9]/g, '-');
    expect(expectError(decodeHash(`c=1.${base64Junk}`))).toMatch(/^the link is damaged/);
  });
});

/** Replaces the `at`-th value (in depth-first order, modulo the count) of `root` with `value`. */
function replaceSomewhere(root: Record<string, unknown>, at: number, value: unknown): void {
  const slots: [Record<string, unknown> | unknown[], string | number][] = [];
  const visit = (holder: Record<string, unknown> | unknown[]): void => {
    for (const key of Object.keys(holder)) {
      const k = Array.isArray(holder) ? Number(key) : key;
      slots.push([holder, k]);
      const child = (holder as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        visit(child as Record<string, unknown>);
      }
    }
  };
  visit(root);
  if (slots.length === 0) return;
  const [holder, key] = slots[at % slots.length];
  (holder as Record<string | number, unknown>)[key] = value;
}

// ---------------------------------------------------------------------------------------------
// Golden links: every link an earlier version wrote keeps opening. The hashes in
// fixtures/links-v1*.json were written by version 1's encoder, those in links-v2.json by
// version 2's: never regenerate or edit them. When LINK_VERSION (or the file format) moves
// on, add links-v3.json beside them. (tests/share/migrations.test.ts also checks that the
// version-1 links compute the same numbers.)

interface Fixture {
  name: string;
  hash: string;
  kind: 'full' | 'expr';
  /** The circuit file the link carries, of the link's own version. */
  file?: Record<string, unknown>;
  expression?: string;
  view: ViewState;
}

const V1_FIXTURES = ['links-v1.json', 'links-v1-constants.json'];

function goldenLinks(names: readonly string[]): Fixture[] {
  return names.flatMap((name) =>
    JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8')),
  );
}

describe.each([
  [1, V1_FIXTURES],
  [2, ['links-v2.json']],
])('golden links from version %i', (version, names) => {
  const fixtures = goldenLinks(names);

  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(3);
    for (const fixture of fixtures) {
      if (fixture.kind === 'full') expect(versionOf(fixture.hash)).toBe(version);
    }
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    const decoded = decodeHash(fixture.hash);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.kind).toBe(fixture.kind);
    expect(decoded.view).toEqual(fixture.view);
    if (decoded.kind === 'full') {
      // The circuit of the file it carries, as this version reads (and migrates) that file;
      // its warnings are the migration's (a constant kept as an input), and no others.
      const file = fixture.file as Record<string, unknown>;
      expect(file.version).toBe(version);
      const expected = decodeCircuitObject(file);
      if (!expected.ok) throw new Error(expected.error);
      expectSameCircuit(decoded.circuit, expected.circuit);
      expect(decoded.warnings).toEqual(expected.warnings);
      expect(decoded.expression).toBe(fixture.expression);
      // Read as written, the file holds what the link held, number for number.
      const asWritten = decodeAsWritten(file);
      if (!asWritten.ok) throw new Error(asWritten.error);
      if (version === FILE_VERSION) {
        expect(toFileObject(decoded.circuit)).toEqual(file);
      } else {
        expect(toV1FileObject(asWritten.circuit)).toEqual(file);
      }
    } else if (decoded.kind === 'expr') {
      expect(decoded.warnings).toEqual([]);
      expect(decoded.expression).toBe(fixture.expression);
      expect(() => parse(decoded.expression)).not.toThrow();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// base64url

describe('base64url', () => {
  it('matches Node’s encoder and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = encodeBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(decodeBase64Url(text)).toEqual(bytes);
        expect(decodeBase64Url(`${text}${'='.repeat((4 - (text.length % 4)) % 4)}`)).toEqual(bytes);
      }),
      { seed: 42, numRuns: 2_000 },
    );
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff);
    expect(encodeBase64Url(big)).toBe(Buffer.from(big).toString('base64url'));
  });

  it('refuses characters outside the alphabet', () => {
    expect(decodeBase64Url('ab/c')).toBe(
      'its data holds the character "/" at position 3, which base64url does not use',
    );
    expect(decodeBase64Url('ab\u0000c')).toBe(
      'its data holds the character U+0000 at position 3, which base64url does not use',
    );
    expect(decodeBase64Url('abé')).toContain('the character "é" at position 3');
    expect(decodeBase64Url('a')).toBe(
      'its data has an impossible length (1 characters; was it cut short?)',
    );
    expect(decodeBase64Url('')).toEqual(new Uint8Array(0));
  });
});
