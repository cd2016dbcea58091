/**
 * The op registry drives the language, the printer, the gate labels and the hot loop: every op
 * declares all of it, the derived tables agree with the declarations, and every fast case
 * computes exactly what the general path computes from the same declaration.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  B_END,
  backwardCode,
  F_BINARY,
  forwardCode,
  GENERAL,
  SLOTS,
  UNSLOTTED,
} from '../../src/engine/fastpath';
import { ALL_OPS, getOp } from '../../src/engine/ops';
import type { OpDef, Params } from '../../src/engine/ops/types';
import {
  AXIS_FUNCTIONS,
  expectedArguments,
  FUNCTIONS,
  INFIX,
  PREFIX,
  printForm,
  RANDN,
  RESERVED_NAMES,
} from '../../src/engine/syntax';
import { scalar, tensor } from '../../src/engine/tensor';
import { circuit, evaluate, gate, input, type Literal, lit, type Part, rng } from './helpers';

const gates = ALL_OPS.filter((op) => op.kind !== 'source');

/** Every way of filling an op's ports with literals: none, each one alone, all of them. */
function literalForms(op: OpDef): Params[] {
  const one = (port: string, t = scalar(2)) => ({ [port]: t });
  const forms: Params[] = [{}];
  for (const port of op.ports) forms.push(one(port));
  if (op.ports.length > 1) forms.push(Object.fromEntries(op.ports.map((p) => [p, scalar(3)])));
  return forms;
}

describe('every op declares everything that is derived from it', () => {
  it.each(gates.map((op) => [op.name, op] as const))('%s', (_, op) => {
    // How the language spells it and how it is written back.
    const { syntax } = op;
    expect(
      syntax.infix ??
        syntax.prefix ??
        syntax.call ??
        syntax.rewrite ??
        syntax.subscript ??
        syntax.array,
    ).toBeDefined();
    expect(printForm(op)).toBeDefined();
    // How each literal form is drawn, read aloud and differentiated.
    for (const params of literalForms(op)) {
      const literalPorts = op.ports.filter((p) => Object.hasOwn(params, p));
      const label = op.paramLabel(params);
      expect(label.trim()).not.toBe('');
      if (literalPorts.length === 0) expect(label).toBe(op.symbol);
      else expect(label).not.toBe(op.symbol);
      expect(op.paramSpeech(params).trim()).not.toBe('');
      const tex = op.paramGradTex(params);
      expect(tex).toHaveLength(op.ports.length);
      op.ports.forEach((port, i) => {
        if (literalPorts.includes(port)) expect(tex[i]).toBeNull();
        else expect(tex[i]?.trim()).toBeTruthy();
      });
    }
    // What the palette offers leaves a port to wire and names only ports.
    for (const preset of op.presets) {
      const keys = Object.keys(preset);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.length).toBeLessThan(op.ports.length);
      for (const key of keys) expect(op.ports).toContain(key);
    }
  });

  it('gets its fast cases: every scalar op has a slot of each shape it needs', () => {
    expect(UNSLOTTED).toEqual([]);
    for (const op of ALL_OPS) {
      if (op.kind === 'unary') {
        expect(forwardCode(op), op.name).not.toBe(GENERAL);
        expect(backwardCode(op, true, false), op.name).not.toBe(GENERAL);
      } else if (op.kind === 'binary') {
        expect(forwardCode(op), op.name).not.toBe(GENERAL);
        for (const [a, b] of [
          [true, true],
          [true, false],
          [false, true],
        ]) {
          expect(backwardCode(op, a, b), `${op.name} ${a} ${b}`).not.toBe(GENERAL);
        }
      } else {
        expect(forwardCode(op)).toBe(GENERAL);
      }
    }
  });
});

describe('gates with literals are drawn and differentiated as the notes write them', () => {
  const label = (op: string, params: Record<string, number>) =>
    (getOp(op) as OpDef).paramLabel(
      Object.fromEntries(Object.entries(params).map(([k, v]) => [k, scalar(v)])),
    );

  it.each([
    ['mul', { b: -1 }, '×−1'],
    ['add', { b: 1 }, '+1'],
    ['add', { a: 1 }, '+1'],
    ['div', { a: 1 }, '1/x'],
    ['pow', { b: 2 }, 'x²'],
    ['mul', { a: 2 }, '×2'],
    ['pow', { b: 0.5 }, '^0.5'],
    ['max', { b: 0 }, 'max(·, 0)'],
    ['div', { b: 2 }, '÷2'],
    ['sub', { a: 1 }, '1−x'],
    ['sub', { b: 1 }, '−1'],
  ] as const)('%s with %o shows %s', (op, params, shown) => {
    expect(label(op, params)).toBe(shown);
  });

  it('folds the literal into the local gradient', () => {
    const pow = getOp('pow') as OpDef;
    expect(pow.paramGradTex({ b: scalar(2) })).toEqual([
      '\\frac{\\partial}{\\partial x}\\left(x^{2}\\right) = 2x',
      null,
    ]);
    expect(pow.paramGradTex({ b: scalar(0.5) })[0]).toBe(
      '\\frac{\\partial}{\\partial x}\\left(x^{0.5}\\right) = 0.5\\,x^{-0.5}',
    );
    const mul = getOp('mul') as OpDef;
    expect(mul.paramGradTex({ b: scalar(-1) })[0]).toBe(
      '\\frac{\\partial}{\\partial x}\\left((-1) \\cdot x\\right) = -1',
    );
    const div = getOp('div') as OpDef;
    expect(div.paramGradTex({ a: scalar(1) })).toEqual([
      null,
      '\\frac{\\partial}{\\partial x}\\left(\\frac{1}{x}\\right) = -\\frac{1}{x^{2}}',
    ]);
  });

  it('reads the literal forms aloud', () => {
    const speech = (op: string, params: Params) => (getOp(op) as OpDef).paramSpeech(params);
    expect(speech('mul', { b: scalar(-1) })).toBe('times −1');
    expect(speech('pow', { b: scalar(2) })).toBe('squared');
    expect(speech('div', { a: scalar(1) })).toBe('1 over x');
    expect(speech('add', {})).toBe('add');
  });

  it('shows a tensor literal by its entries or its shape', () => {
    const mul = getOp('mul') as OpDef;
    expect(mul.paramLabel({ b: tensor([2], [1, 2]) })).toBe('×[1, 2]');
    expect(mul.paramLabel({ b: tensor([2, 3], [1, 2, 3, 4, 5, 6]) })).toBe('×[2×3]');
  });
});

describe('the language tables are built from the declarations', () => {
  it('maps every infix token, prefix token and function to its op', () => {
    const expected = new Map<string, string>();
    for (const op of ALL_OPS) {
      const inf = op.syntax.infix;
      if (inf) for (const t of [inf.token, ...(inf.aliases ?? [])]) expected.set(t, op.name);
    }
    expect(new Map([...INFIX].map(([t, e]) => [t, e.op.name]))).toEqual(expected);
    expect(INFIX.get('**')?.op.name).toBe('pow');
    expect(INFIX.get('^')?.associativity).toBe('right');
    expect(PREFIX.get('-')?.op.name).toBe('neg');
    expect(FUNCTIONS.get('max')?.get(1)?.name).toBe('reducemax');
    expect(FUNCTIONS.get('max')?.get(2)?.name).toBe('max');
    expect(FUNCTIONS.get('pow')?.get(2)?.name).toBe('pow');
    // The axis forms are kept apart: `sum` of one argument stays the sum of all entries.
    expect(FUNCTIONS.get('sum')?.get(1)?.name).toBe('sum');
    expect(FUNCTIONS.get('sum')?.has(2)).toBe(false);
    const axisOps = ALL_OPS.filter((op) => op.syntax.call?.axis !== undefined);
    expect(axisOps.map((op) => op.name).sort()).toEqual(['mean0', 'mean1', 'sum0', 'sum1']);
    for (const op of axisOps) {
      const call = op.syntax.call as NonNullable<OpDef['syntax']['call']>;
      expect(AXIS_FUNCTIONS.get(call.name)?.get(call.axis as number)).toBe(op);
    }
  });

  it('has no two ops claiming the same token or the same call', () => {
    const claims: string[] = [];
    for (const op of ALL_OPS) {
      const { infix, prefix, call } = op.syntax;
      for (const t of infix ? [infix.token, ...(infix.aliases ?? [])] : [])
        claims.push(`infix ${t}`);
      if (prefix) claims.push(`prefix ${prefix.token}`);
      for (const n of call ? [call.name, ...(call.aliases ?? [])] : []) {
        // An axis form (`sum(t, 0)`) is claimed by its name and its axis.
        claims.push(
          call?.axis === undefined ? `call ${n}/${op.ports.length}` : `call ${n} axis ${call.axis}`,
        );
      }
    }
    expect(new Set(claims).size).toBe(claims.length);
  });

  it('reserves exactly the function names and randn', () => {
    const names = new Set<string>([RANDN]);
    for (const op of ALL_OPS) {
      const call = op.syntax.call;
      if (call) for (const n of [call.name, ...(call.aliases ?? [])]) names.add(n);
    }
    expect([...RESERVED_NAMES].sort()).toEqual([...names].sort());
    expect(RESERVED_NAMES.has('sigmoid')).toBe(true);
    expect(RESERVED_NAMES.has('x')).toBe(false);
  });

  it('says how many arguments a function takes, with what each number means', () => {
    expect(expectedArguments('exp')).toBe('1 argument');
    expect(expectedArguments('pow')).toBe('2 arguments');
    expect(expectedArguments('max')).toBe(
      '1 argument (the largest entry of a tensor) or 2 (the larger of two values)',
    );
    expect(expectedArguments('sum')).toBe(
      '1 argument or 2 (a matrix and an axis: 0 for one sum per column, 1 per row)',
    );
  });

  it('writes back an op without a spelling of its own as one that has one', () => {
    for (const op of gates) {
      const form = printForm(op);
      if (form?.kind !== 'rewrite') continue;
      const target = getOp(form.rewrite.op) as OpDef;
      expect(target, op.name).toBeDefined();
      expect(form.rewrite.ports).toHaveLength(op.ports.length);
      const used = [...form.rewrite.ports, ...Object.keys(form.rewrite.params)];
      expect(used.sort()).toEqual([...target.ports].sort());
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Fast cases against the general path

/** Values where ops have edges: zeros of both signs, tiny, huge, ±∞, NaN, and some others. */
const SPECIAL = [0, -0, 1, -1, 0.5, -2.5, 1e-300, -1e-300, 800, -800, 3, Infinity, -Infinity, NaN];

const same = (a: number, b: number) => Object.is(a, b) || a === b;

/**
 * One gate `op` of scalars, with its ports from `sources` (a wired input or a literal), times
 * an upstream literal u: run once as scalars (the fast cases) and once as 1-vectors (the
 * general path, which does not lower and has no fast case), and compare every value, every
 * gradient and every contribution.
 */
function compareFastAndGeneral(op: string, sources: (number | Literal)[], u: number) {
  const scalarParts: Part[] = [];
  const vectorParts: Part[] = [];
  const scalarSources: (string | Literal)[] = [];
  const vectorSources: (string | Literal)[] = [];
  sources.forEach((s, i) => {
    const name = `in${i}`;
    if (typeof s === 'number') {
      scalarParts.push(input(name, s));
      vectorParts.push(input(name, [s]));
      scalarSources.push(name);
      vectorSources.push(name);
    } else {
      scalarSources.push(s);
      vectorSources.push(lit([s.literal.data[0]]));
    }
  });
  const fast = evaluate(
    circuit('f', ...scalarParts, gate('y', op, ...scalarSources), gate('f', 'mul', 'y', lit(u))),
  );
  const general = evaluate(
    circuit(
      'f',
      ...vectorParts,
      gate('y', op, ...vectorSources),
      gate('p', 'mul', 'y', lit(u)),
      gate('f', 'sum', 'p'),
    ),
  );
  const where = `${op}(${sources.map((s) => (typeof s === 'number' ? s : `lit ${s.literal.data[0]}`)).join(', ')}) · ${u}`;
  const read = (v: unknown) => (typeof v === 'number' ? v : (v as { data: Float64Array }).data[0]);
  expect(same(read(fast.value('y')), read(general.value('y'))), `${where}: value`).toBe(true);
  const ys = fast.program.slot('y');
  const yv = general.program.slot('y');
  sources.forEach((s, i) => {
    if (typeof s !== 'number') {
      expect(fast.contribution(ys, i)).toBeUndefined();
      return;
    }
    const name = `in${i}`;
    const gf = read(fast.grad(name));
    const gg = read(general.grad(name));
    expect(same(gf, gg), `${where}: ∂${name} ${gf} vs ${gg}`).toBe(true);
    const cf = read(fast.contribution(ys, i));
    const cg = read(general.contribution(yv, i));
    expect(same(cf, cg), `${where}: contribution ${i}`).toBe(true);
  });
}

describe('every fast case computes exactly what the general path computes', () => {
  const points = (seed: number) => {
    const next = rng(seed);
    return [...SPECIAL, ...Array.from({ length: 10 }, () => (next() - 0.5) * 10)];
  };
  const upstreams = [1, -0.75, 0, Infinity, NaN];

  it.each(ALL_OPS.filter((op) => op.kind === 'unary').map((op) => op.name))('%s', (op) => {
    for (const x of points(op.length)) for (const u of upstreams) compareFastAndGeneral(op, [x], u);
  });

  it.each(ALL_OPS.filter((op) => op.kind === 'binary').map((op) => op.name))(
    '%s: both ports wired, and either one a literal',
    (op) => {
      const xs = points(op.length + 100);
      for (const a of xs) {
        for (const b of xs) {
          for (const u of [1, NaN]) {
            compareFastAndGeneral(op, [a, b], u);
            compareFastAndGeneral(op, [a, lit(b)], u);
            compareFastAndGeneral(op, [lit(a), b], u);
          }
        }
      }
    },
  );

  it('runs x ** 2 as a square gate, with the same numbers as pow', () => {
    const fast = evaluate(circuit('f', input('x', 3), gate('f', 'pow', 'x', lit(2))));
    const plan = (fast.program as unknown as { forwardPlan: { code: Uint8Array } }).forwardPlan;
    expect(plan.code[0]).toBe(forwardCode(getOp('square') as OpDef));
    for (const x of points(7)) {
      for (const u of [1, -0.5, NaN]) compareFastAndGeneral('pow', [x, lit(2)], u);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The numbered cases of the hot loop, against SLOTS

/** The forward and backward cases `hotloop.ts` must have for SLOTS, as its switch bodies. */
function expectedCases(): { forward: string; backward: string } {
  const f: string[] = [];
  for (let i = 0; i < SLOTS.unary; i++) f.push(`case ${i}: v[o] = UF[${i}](v[a]); break;`);
  for (let i = 0; i < SLOTS.binary; i++) {
    f.push(`case ${F_BINARY + i}: v[o] = BF[${i}](v[a], v[bOff[k]]); break;`);
  }
  const b: string[] = [];
  let code = 0;
  const one = (d: string, args: string, target: string, routing: boolean, bRead: string) => {
    const head = `case ${code++}: {${bRead}`;
    if (!routing)
      return `${head} const t = up * ${d}(${args}); c[p] = t; g[${target}] += t; break; }`;
    return `${head} const l = ${d}(${args}); if (l !== 0) { const t = up * l; c[p] = t; g[${target}] += t; } else c[p] = 0; break; }`;
  };
  for (let i = 0; i < SLOTS.unaryPlain; i++) b.push(one(`UD[${i}]`, 'v[a], v[o]', 'a', false, ''));
  for (let i = 0; i < SLOTS.unaryRouting; i++)
    b.push(one(`UDR[${i}]`, 'v[a], v[o]', 'a', true, ''));
  const both = (routing: boolean, i: number) => {
    const [da, db] = routing ? [`BDAR[${i}]`, `BDBR[${i}]`] : [`BDA[${i}]`, `BDB[${i}]`];
    const head = `case ${code++}: { const b = bOff[j]; const x = v[a]; const y = v[b]; const z = v[o];`;
    if (!routing) {
      return `${head} const ta = up * ${da}(x, y, z); const tb = up * ${db}(x, y, z); c[p] = ta; c[p + 1] = tb; g[a] += ta; g[b] += tb; break; }`;
    }
    return `${head} const la = ${da}(x, y, z); const lb = ${db}(x, y, z); if (la !== 0) { const t = up * la; c[p] = t; g[a] += t; } else c[p] = 0; if (lb !== 0) { const t = up * lb; c[p + 1] = t; g[b] += t; } else c[p + 1] = 0; break; }`;
  };
  for (let i = 0; i < SLOTS.binaryPlain; i++) b.push(both(false, i));
  for (let i = 0; i < SLOTS.binaryRouting; i++) b.push(both(true, i));
  for (let i = 0; i < SLOTS.binaryPlain; i++) {
    b.push(one(`BDA[${i}]`, 'v[a], v[bOff[j]], v[o]', 'a', false, ''));
  }
  for (let i = 0; i < SLOTS.binaryRouting; i++) {
    b.push(one(`BDAR[${i}]`, 'v[a], v[bOff[j]], v[o]', 'a', true, ''));
  }
  for (let i = 0; i < SLOTS.binaryPlain; i++) {
    b.push(one(`BDB[${i}]`, 'v[a], v[b], v[o]', 'b', false, ' const b = bOff[j];'));
  }
  for (let i = 0; i < SLOTS.binaryRouting; i++) {
    b.push(one(`BDBR[${i}]`, 'v[a], v[b], v[o]', 'b', true, ' const b = bOff[j];'));
  }
  expect(code).toBe(B_END);
  return { forward: f.join(' '), backward: b.join(' ') };
}

/** The cases of the switch that follows `marker`, up to its `default:`, on one line. */
function casesAfter(source: string, marker: string): string {
  const start = source.indexOf('case 0:', source.indexOf(marker));
  const end = source.indexOf('default:', start);
  return source.slice(start, end).replace(/\s+/g, ' ').replace(/\{ /g, '{ ').trim();
}

describe('the hot loop', () => {
  it('has one numbered case per fast-path slot, calling that slot', () => {
    const source = readFileSync(new URL('../../src/engine/hotloop.ts', import.meta.url), 'utf8');
    const expected = expectedCases();
    // On a change of SLOTS, these are the cases to write into hotloop.ts.
    expect(casesAfter(source, 'export function forwardPass')).toBe(expected.forward);
    expect(casesAfter(source, 'export function backwardPass')).toBe(expected.backward);
  });
});
