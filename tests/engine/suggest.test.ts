/**
 * Suggested groupings: which sets of gates the app offers to collapse into one gate because
 * together they compute a known function. The expected sets are read off the programs by
 * hand; the functions are checked against their formulas written out here.
 */
import { describe, expect, it } from 'vitest';
import { compile, parse } from '../../src/engine';
import { groupGates, groupShape } from '../../src/engine/gates/group';
import { KNOWN_FUNCTIONS, type KnownFunction } from '../../src/engine/gates/known';
import { type Suggestion, suggestGroupings } from '../../src/engine/gates/suggest';
import { LIMITS } from '../../src/engine/limits';
import { mulberry32 } from '../../src/engine/random';
import { scalar } from '../../src/engine/tensor';
import type { Circuit, NodeId } from '../../src/engine/types';
import { nodeId, portName } from '../../src/engine/types';
import { EXAMPLE_SOURCES } from '../../src/examples/sources';
import { HOSTILE_NAMES } from '../hostileNames';

const known = (name: string): KnownFunction => {
  const k = KNOWN_FUNCTIONS.find((f) => f.name === name);
  if (!k) throw new Error(`no known function ${name}`);
  return k;
};
const SIGMOID = known('sigmoid');
const TANH = known('tanh');
const SOFTPLUS = known('softplus');

const circuitOf = (text: string): Circuit => parse(text).circuit;
const gatesOf = (c: Circuit): NodeId[] =>
  c.nodes.filter((n) => n.op !== 'input' && n.op !== 'const').map((n) => n.id);
/** The node that reads `id` (there is one in these programs). */
const readerOf = (c: Circuit, id: string): NodeId => {
  const w = c.wires.find((x) => x.from === id);
  if (!w) throw new Error(`nothing reads ${id}`);
  return w.to;
};
/** The node feeding port `port` of `id`. */
const feederOf = (c: Circuit, id: string, port: string): NodeId => {
  const w = c.wires.find((x) => x.to === id && x.port === port);
  if (!w) throw new Error(`nothing feeds ${id}.${port}`);
  return w.from;
};

const NEURON =
  'w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\ndot = w0 * x0 + w1 * x1 + w2\nf = 1 / (1 + exp(dot * -1))';

const staged = (): string => {
  const source = EXAMPLE_SOURCES.find((e) => e.id === 'staged');
  if (!source) throw new Error('the gallery has no staged example');
  return source.program;
};

/** Every node's gradient before and after grouping agrees to 1e-12 (relative). */
function expectSameGradients(before: Circuit, after: Circuit): void {
  const a = compile(before).run();
  const b = compile(after).run();
  let compared = 0;
  for (const node of after.nodes) {
    const ga = a.grad(node.id) as number;
    const gb = b.grad(node.id) as number;
    expect(Math.abs(gb - ga), `∂f/∂${node.id}`).toBeLessThanOrEqual(
      1e-12 * Math.max(1, Math.abs(ga)),
    );
    compared++;
  }
  expect(compared).toBeGreaterThan(0);
  const out = before.output as NodeId;
  expect(b.value(out) as number).toBeCloseTo(a.value(out) as number, 12);
}

/** Groups every suggestion in turn (they never overlap, so each one's ids stay valid). */
function groupAll(c: Circuit, suggestions: readonly Suggestion[]): Circuit {
  let circuit = c;
  suggestions.forEach((s, i) => {
    const grouped = groupGates(circuit, s.ids, `${s.known.suggestedName}${i || ''}`);
    if ('error' in grouped) throw new Error(grouped.error);
    circuit = grouped.circuit;
  });
  return circuit;
}

describe('suggested groupings', () => {
  it('finds the four sigmoid gates of the primitive neuron, with dot as their input', () => {
    const c = circuitOf(NEURON);
    const found = suggestGroupings(c);
    expect(found).toEqual([
      {
        ids: ['mul#4', 'exp#5', 'add#6', 'f'],
        output: 'f',
        input: 'dot',
        known: SIGMOID,
      },
    ]);
    // dot = 2·(−1) + (−3)·(−2) − 3 = 1, and the gates compute σ(1) there.
    expect(compile(c).run().value('f') as number).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
  });

  it('finds a sigmoid written with a minus sign', () => {
    const c = circuitOf('y = 1 / (1 + exp(-x))');
    expect(suggestGroupings(c)).toEqual([
      { ids: gatesOf(c), output: 'y', input: 'x', known: SIGMOID },
    ]);
    expect(gatesOf(c)).toHaveLength(4);
  });

  it('finds tanh written with four exps', () => {
    const c = circuitOf('t = (exp(x) - exp(-x)) / (exp(x) + exp(-x))');
    const found = suggestGroupings(c);
    expect(found).toEqual([{ ids: gatesOf(c), output: 't', input: 'x', known: TANH }]);
    // exp, neg, exp twice each, then −, + and ÷.
    expect(found[0].ids).toHaveLength(9);
  });

  it('finds a softplus', () => {
    const c = circuitOf('s = log(1 + exp(x))');
    expect(suggestGroupings(c)).toEqual([
      { ids: gatesOf(c), output: 's', input: 'x', known: SOFTPLUS },
    ]);
    expect(gatesOf(c)).toHaveLength(3);
  });

  it('suggests nothing in the staged example, whose sigmoids are one gate each already', () => {
    const c = circuitOf(staged());
    expect(c.nodes.filter((n) => n.op === 'sigmoid')).toHaveLength(2);
    expect(suggestGroupings(c)).toEqual([]);
  });

  it('finds both sigmoids of the staged example written with exps', () => {
    const text = staged().replace(/sigmoid\((\w+)\)/g, '1 / (1 + exp(-$1))');
    expect(text).not.toContain('sigmoid');
    const c = circuitOf(text);
    const found = suggestGroupings(c);
    expect(found.map((s) => [s.output, s.input, s.known.name, s.ids.length])).toEqual([
      ['sigy', 'y', 'sigmoid', 4],
      ['sigx', 'x', 'sigmoid', 4],
    ]);
    // Each set is the sigmoid's own gates: the last is its output, the first reads its input.
    for (const s of found) {
      expect(s.ids[s.ids.length - 1]).toBe(s.output);
      expect(c.wires.some((w) => w.from === s.input && w.to === s.ids[0])).toBe(true);
    }
  });

  it('suggests nothing for gates that compute no known function', () => {
    expect(suggestGroupings(circuitOf('f = x * y + 3'))).toEqual([]);
    expect(suggestGroupings(circuitOf('f = exp(x) * 2 + 1'))).toEqual([]);
    // 1 / (1 + e^u) is σ(−u): three of the sigmoid's four gates are not a sigmoid.
    expect(suggestGroupings(circuitOf('f = 1 / (1 + exp(x))'))).toEqual([]);
  });

  it('suggests nothing for a sigmoid that is one gate already, alone or with a gate that changes nothing', () => {
    expect(suggestGroupings(circuitOf('s = sigmoid(x)'))).toEqual([]);
    expect(suggestGroupings(circuitOf('s = sigmoid(x) * 1'))).toEqual([]);
    expect(suggestGroupings(circuitOf('s = tanh(x) + 0'))).toEqual([]);
  });

  it('suggests nothing for a composite that already computes the sigmoid, with a gate after it', () => {
    const c = circuitOf('y = 1 / (1 + exp(-x))');
    const grouped = groupGates(c, gatesOf(c), 'sigma');
    if ('error' in grouped) throw new Error(grouped.error);
    expect(suggestGroupings(grouped.circuit)).toEqual([]);
    const after: Circuit = {
      ...grouped.circuit,
      nodes: [...grouped.circuit.nodes, { id: nodeId('z'), op: 'mul', params: { b: scalar(1) } }],
      wires: [
        ...grouped.circuit.wires,
        { from: nodeId('y'), to: nodeId('z'), port: portName('a') },
      ],
      output: nodeId('z'),
    };
    // x is an input nobody gave a value, so 1: z = σ(1) · 1.
    expect(compile(after).run().value('z') as number).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(suggestGroupings(after)).toEqual([]);
  });

  it('counts a composite computing part of a sigmoid as one of its gates', () => {
    const c = circuitOf('y = 1 / (1 + exp(-x))');
    const negExp = [readerOf(c, 'x'), readerOf(c, readerOf(c, 'x'))];
    // The minus and the exp, grouped: e^−x as one gate.
    const grouped = groupGates(c, negExp, 'negexp');
    if ('error' in grouped) throw new Error(grouped.error);
    const found = suggestGroupings(grouped.circuit);
    expect(found).toHaveLength(1);
    expect(found[0].known).toBe(SIGMOID);
    expect(found[0].input).toBe('x');
    expect(found[0].ids).toEqual(gatesOf(grouped.circuit));
    expect(found[0].ids).toHaveLength(3);
    expectSameGradients(grouped.circuit, groupAll(grouped.circuit, found));
  });

  it('rejects near misses: the probes compare to within 1e-9', () => {
    expect(suggestGroupings(circuitOf('y = 1 / (1 + 1.000001 * exp(-x))'))).toEqual([]);
    expect(suggestGroupings(circuitOf('y = 1 / (1.0000001 + exp(-x))'))).toEqual([]);
    expect(suggestGroupings(circuitOf('y = 1 / (1 + exp(-x * 1.00000001))'))).toEqual([]);
    expect(
      suggestGroupings(circuitOf('t = (exp(x) - exp(-x)) / (exp(x) + exp(-x) + 0.000001)')),
    ).toEqual([]);
    expect(suggestGroupings(circuitOf('s = log(1.0000001 + exp(x))'))).toEqual([]);
  });

  it('a sigmoid with 0.001 added after it: the four sigmoid gates, not the fifth', () => {
    const c = circuitOf('y = 1 / (1 + exp(-x)) + 0.001');
    const sigmoidOut = feederOf(c, 'y', 'a');
    const found = suggestGroupings(c);
    expect(found).toEqual([
      {
        ids: gatesOf(c).filter((id) => id !== 'y'),
        output: sigmoidOut,
        input: 'x',
        known: SIGMOID,
      },
    ]);
  });

  it('prefers the larger of two sets that both compute the function, and never overlaps', () => {
    const c = circuitOf('z = (1 / (1 + exp(-x))) * 1');
    const found = suggestGroupings(c);
    expect(found).toEqual([{ ids: gatesOf(c), output: 'z', input: 'x', known: SIGMOID }]);
    expect(found[0].ids).toHaveLength(5);
  });

  it('holds at most LIMITS.suggestGates gates', () => {
    const tail = ' * 1'.repeat(LIMITS.suggestGates);
    const c = circuitOf(`z = (1 / (1 + exp(-x)))${tail}`);
    const found = suggestGroupings(c);
    expect(found).toHaveLength(1);
    expect(found[0].ids).toHaveLength(LIMITS.suggestGates);
    // The largest set that fits: the sigmoid's four gates and the first ×1 gates after them.
    expect(found[0].ids).toEqual(gatesOf(c).slice(0, LIMITS.suggestGates));
    expect(found[0].input).toBe('x');
  });

  it('does not search circuits of more than LIMITS.suggestNodes nodes', () => {
    // One gate per line, then the sigmoid's four gates (the output) and x.
    const lines: string[] = [];
    for (let i = 0; i < LIMITS.suggestNodes - 5; i++) lines.push(`v${i} = x + ${i}`);
    lines.push('y = 1 / (1 + exp(-x))');
    const at = circuitOf(lines.join('\n'));
    expect(at.nodes.length).toBe(LIMITS.suggestNodes);
    expect(suggestGroupings(at).map((s) => s.output)).toEqual(['y']);
    lines.unshift('extra = x * 2');
    const over = circuitOf(lines.join('\n'));
    expect(over.nodes.length).toBe(LIMITS.suggestNodes + 1);
    expect(suggestGroupings(over)).toEqual([]);
  });

  it("lists the ids in the circuit's node order, whatever order the gates were placed in", () => {
    const c = circuitOf('y = 1 / (1 + exp(-x))');
    const reversed: Circuit = { ...c, nodes: [...c.nodes].reverse() };
    const found = suggestGroupings(reversed);
    expect(found).toHaveLength(1);
    expect(found[0].ids).toEqual([...gatesOf(c)].reverse());
    expect(found[0].output).toBe('y');
  });

  it('suggests nothing for a sigmoid whose value nothing reads (a group needs an output)', () => {
    const c = circuitOf('y = 1 / (1 + exp(-x))\nf = x * 2');
    expect(suggestGroupings(c)).toEqual([]);
    expect(suggestGroupings({ ...circuitOf('y = 1 / (1 + exp(-x))'), output: null })).toEqual([]);
  });

  it('suggests nothing inside a cycle, and does not stop at it', () => {
    const c = circuitOf('y = 1 / (1 + exp(-x))\nz = y * 2');
    const first = readerOf(c, 'x');
    // z feeds the first gate too: x and z into an add in its place make a cycle through y.
    const cyclic: Circuit = {
      ...c,
      nodes: c.nodes.map((n) => (n.id === first ? { id: n.id, op: 'add' } : n)),
      wires: [
        ...c.wires.map((w) => (w.to === first ? { ...w, port: portName('a') } : w)),
        { from: nodeId('z'), to: first, port: portName('b') },
      ],
    };
    expect(c.nodes.find((n) => n.id === first)?.op).toBe('neg');
    expect(compile(cyclic, { partial: true }).problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/cycle/),
    ]);
    expect(suggestGroupings(cyclic)).toEqual([]);
  });

  it('takes a constant as the input', () => {
    const c = circuitOf('y = 1 / (1 + exp(-x))');
    const withConst: Circuit = {
      ...c,
      nodes: c.nodes.map((n) => (n.id === 'x' ? { id: n.id, op: 'const', value: scalar(0.4) } : n)),
    };
    expect(suggestGroupings(withConst)).toEqual([
      { ids: gatesOf(c), output: 'y', input: 'x', known: SIGMOID },
    ]);
  });

  it('ignores tensors', () => {
    expect(suggestGroupings(circuitOf('x = [1, 2, 3]\ny = sum(1 / (1 + exp(-x)))'))).toEqual([]);
  });

  it('works with names that are members of Object.prototype', () => {
    const before = Reflect.ownKeys(Object.prototype).map(String).sort();
    const c = circuitOf('__proto__ = 1\nconstructor = 1 / (1 + exp(-__proto__))');
    const found = suggestGroupings(c);
    expect(found).toEqual([
      { ids: gatesOf(c), output: 'constructor', input: '__proto__', known: SIGMOID },
    ]);
    const [a, b, d, e, g] = HOSTILE_NAMES.slice(2);
    const softplus = circuitOf(
      `${a} = 2\n${b} = exp(${a})\n${d} = 1 + ${b}\n${e} = log(${d})\n${g} = ${e} * 3`,
    );
    const more = suggestGroupings(softplus);
    expect(more.map((s) => [s.ids, s.output, s.input, s.known.name])).toEqual([
      [[b, d, e], e, a, 'softplus'],
    ]);
    expect(Reflect.ownKeys(Object.prototype).map(String).sort()).toEqual(before);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect({}.constructor).toBe(Object);
  });
});

describe('suggested groupings within a selection', () => {
  const c = circuitOf(NEURON);

  it('finds the set when the selection is exactly it', () => {
    const found = suggestGroupings(c, { within: ['mul#4', 'exp#5', 'add#6', 'f'] });
    expect(found.map((s) => s.ids)).toEqual([['mul#4', 'exp#5', 'add#6', 'f']]);
  });

  it('ignores the inputs and other gates around it in the selection', () => {
    const all = c.nodes.map((n) => n.id);
    expect(suggestGroupings(c, { within: all }).map((s) => s.ids)).toEqual([
      ['mul#4', 'exp#5', 'add#6', 'f'],
    ]);
  });

  it('finds nothing in a selection holding part of it', () => {
    expect(suggestGroupings(c, { within: ['exp#5', 'add#6', 'f'] })).toEqual([]);
    expect(suggestGroupings(c, { within: ['mul#4', 'exp#5', 'add#6'] })).toEqual([]);
    expect(suggestGroupings(c, { within: [] })).toEqual([]);
  });

  it('keeps to the selection when a larger set outside it matches too', () => {
    const z = circuitOf('z = (1 / (1 + exp(-x))) * 1');
    const inner = gatesOf(z).filter((id) => id !== 'z');
    const found = suggestGroupings(z, { within: inner });
    expect(found).toEqual([
      { ids: inner, output: feederOf(z, 'z', 'a'), input: 'x', known: SIGMOID },
    ]);
  });

  it('in the staged example written with exps, only the selected sigmoid', () => {
    const s = circuitOf(staged().replace(/sigmoid\((\w+)\)/g, '1 / (1 + exp(-$1))'));
    const sigx = suggestGroupings(s).find((x) => x.output === 'sigx');
    if (!sigx) throw new Error('no sigx suggestion');
    expect(suggestGroupings(s, { within: [...sigx.ids, 'x', 'num'] })).toEqual([sigx]);
  });
});

describe('grouping a suggestion', () => {
  const programs: [string, string][] = [
    ['the primitive neuron', NEURON],
    ['a sigmoid', 'x = 0.8\ny = 1 / (1 + exp(-x))'],
    ['tanh from exps', 'x = -0.6\nt = (exp(x) - exp(-x)) / (exp(x) + exp(-x))\nf = t * t + x'],
    ['a softplus', 'x = 1.7\ns = log(1 + exp(x))\nf = s * x'],
    ['the staged example with exps', staged().replace(/sigmoid\((\w+)\)/g, '1 / (1 + exp(-$1))')],
  ];
  for (const [what, text] of programs) {
    it(`keeps every gradient of ${what} (to 1e-12)`, () => {
      const c = circuitOf(text);
      const found = suggestGroupings(c);
      expect(found.length).toBeGreaterThan(0);
      const after = groupAll(c, found);
      const removed = found.reduce((n, s) => n + s.ids.length - 1, 0);
      expect(after.nodes.length).toBe(c.nodes.length - removed);
      expectSameGradients(c, after);
      // The composites are recognised as what was suggested, and nothing more is suggested.
      expect(suggestGroupings(after)).toEqual([]);
    });
  }
});

describe('random programs', () => {
  /** A line computing a new name from earlier ones, picked at random. */
  const forms = [
    (a: string) => `1 / (1 + exp(-${a}))`,
    (a: string) => `(exp(${a}) - exp(-${a})) / (exp(${a}) + exp(-${a}))`,
    (a: string) => `log(1 + exp(${a}))`,
    (a: string, b: string) => `${a} * ${b}`,
    (a: string, b: string) => `${a} + ${b} * 0.5`,
    (a: string) => `exp(${a}) * 0.1`,
    (a: string) => `1 / (2 + exp(-${a}))`,
    (a: string, b: string) => `sigmoid(${a}) - ${b}`,
  ];
  const xs = [-1.9, -0.4, 0.3, 1.1];

  it('every suggestion can be grouped, computes its function, and grouping keeps the gradients', () => {
    const random = mulberry32(12);
    let suggested = 0;
    for (let round = 0; round < 40; round++) {
      const names = ['a', 'b'];
      const lines = ['a = 0.7', 'b = -1.2'];
      const count = 3 + Math.floor(random() * 8);
      for (let i = 0; i < count; i++) {
        const pick = () => names[Math.floor(random() * names.length)];
        const form = forms[Math.floor(random() * forms.length)];
        const name = `v${i}`;
        lines.push(`${name} = ${form(pick(), pick())}`);
        names.push(name);
      }
      lines.push(`f = ${names.slice(2).join(' + ')}`);
      const c = circuitOf(lines.join('\n'));
      const found = suggestGroupings(c);
      const seen = new Set<string>();
      const order = new Map(c.nodes.map((n, i) => [n.id as string, i]));
      for (const s of found) {
        expect(s.ids.length).toBeGreaterThanOrEqual(2);
        expect(s.ids.length).toBeLessThanOrEqual(LIMITS.suggestGates);
        const ranks = s.ids.map((id) => order.get(id) as number);
        expect(ranks).toEqual([...ranks].sort((p, q) => p - q));
        for (const id of s.ids) {
          expect(seen.has(id), `${id} in two suggestions`).toBe(false);
          seen.add(id);
        }
        const shape = groupShape(c, s.ids);
        if ('error' in shape) throw new Error(shape.error);
        expect(shape.output).toBe(s.output);
        expect(shape.sources).toEqual([s.input]);
        // Grouped alone, the composite computes the known function at other points too.
        const one = groupGates(c, s.ids, 'g');
        if ('error' in one) throw new Error(one.error);
        for (const x of xs) {
          const body = compile({
            ...one.def.body,
            nodes: one.def.body.nodes.map((n) =>
              n.op === 'input' ? { ...n, value: scalar(x) } : n,
            ),
            gates: c.gates,
          });
          const got = body.run().value(s.output) as number;
          expect(Math.abs(got - s.known.f(x))).toBeLessThanOrEqual(1e-12);
        }
      }
      // A selection of exactly one suggestion's gates finds it.
      for (const s of found) expect(suggestGroupings(c, { within: s.ids })).toEqual([s]);
      suggested += found.length;
      expectSameGradients(c, groupAll(c, found));
    }
    // The forms were picked so that some rounds have known functions to find.
    expect(suggested).toBeGreaterThan(20);
  });

  /**
   * Every set of gates of a small circuit, tried one by one: the ones that can be grouped,
   * read one value and compute a known function (compared with its formula at points of
   * this test's own, to 1e-9), a sigmoid gate's own sigmoid aside.
   */
  function everyMatch(c: Circuit): { ids: Set<string>; known: KnownFunction }[] {
    const gates = gatesOf(c);
    const points = [-2.3, -0.9, 0.35, 1.4, 2.6];
    const out: { ids: Set<string>; known: KnownFunction }[] = [];
    for (let mask = 1; mask < 1 << gates.length; mask++) {
      const ids = gates.filter((_, i) => mask & (1 << i));
      if (ids.length < 2) continue;
      const shape = groupShape(c, ids);
      if ('error' in shape || shape.sources.length !== 1) continue;
      const one = groupGates(c, ids, 'g');
      if ('error' in one) continue;
      const ys = points.map((x) => {
        const body = compile({
          ...one.def.body,
          nodes: one.def.body.nodes.map((n) => (n.op === 'input' ? { ...n, value: scalar(x) } : n)),
        });
        return body.run().value(shape.output) as number;
      });
      for (const k of KNOWN_FUNCTIONS) {
        const fits = points.every(
          (x, i) => Math.abs(ys[i] - k.f(x)) <= 1e-9 * Math.max(1, Math.abs(k.f(x))),
        );
        const alone = ids.some((id) => c.nodes.find((n) => n.id === id)?.op === k.name);
        if (fits && !alone) out.push({ ids: new Set(ids), known: k });
      }
    }
    return out;
  }

  it('agrees with trying every set of gates of small circuits', () => {
    const random = mulberry32(5);
    let compared = 0;
    for (let round = 0; round < 30; round++) {
      const lines = ['a = 0.7', 'b = -1.2'];
      const names = ['a', 'b'];
      let gates = 0;
      for (let i = 0; gates < 7; i++) {
        const pick = () => names[Math.floor(random() * names.length)];
        const form = forms[Math.floor(random() * forms.length)];
        lines.push(`v${i} = ${form(pick(), pick())}`);
        names.push(`v${i}`);
        gates = gatesOf(circuitOf(lines.join('\n'))).length;
      }
      if (gates > 11) continue;
      lines.push(`f = ${names.slice(2).join(' * ')}`);
      const c = circuitOf(lines.join('\n'));
      const found = suggestGroupings(c);
      const all = everyMatch(c);
      const same = (a: ReadonlySet<string>, b: readonly string[]) =>
        a.size === b.length && b.every((id) => a.has(id));
      for (const s of found) {
        // Each suggestion is one of the sets that match, and no larger matching set holds it
        expect(all.some((m) => m.known === s.known && same(m.ids, s.ids))).toBe(true);
        // (A larger one may overlap another suggestion, which was kept before it.)
        const others = found.filter((o) => o !== s).flatMap((o) => o.ids);
        const larger = all.filter(
          (m) =>
            m.ids.size > s.ids.length &&
            s.ids.every((id) => m.ids.has(id)) &&
            !others.some((id) => m.ids.has(id)),
        );
        expect(larger).toEqual([]);
      }
      // Every matching set shares a gate with a suggestion: none was missed.
      for (const m of all) {
        expect(
          found.some((s) => s.ids.some((id) => m.ids.has(id))),
          [...m.ids].join(' '),
        ).toBe(true);
      }
      compared += all.length;
    }
    expect(compared).toBeGreaterThan(10);
  });
});
