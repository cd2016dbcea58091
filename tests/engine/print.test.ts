import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { LIMITS } from '../../src/engine/limits';
import { getOp } from '../../src/engine/ops';
import { parse } from '../../src/engine/parse';
import { toProgram } from '../../src/engine/print';
import { scalar } from '../../src/engine/tensor';
import { type Circuit, nodeId, portName } from '../../src/engine/types';
import { EXAMPLE_SOURCES } from '../../src/examples/sources';
import { circuit, gate, input, node, wire, wires } from './helpers';

/** Values and gradients of every named node, and of the output. */
function numbers(circuit: Circuit, ids: readonly string[]) {
  const ev = compile(circuit).run();
  return ids.map((id) => [id, ev.value(id), ev.grad(id)]);
}

function expectSameNumbers(circuit: Circuit, printed: string) {
  const again = parse(printed);
  const names = circuit.nodes
    .map((n) => n.id as string)
    .filter((id) => /^[A-Za-z_]\w*$/.test(id) && again.nodes.some((m) => m.id === id));
  expect(numbers(again, names)).toEqual(numbers(circuit, names));
  const out = compile(circuit).run();
  const outAgain = compile(again).run();
  expect(outAgain.outputValue).toEqual(out.outputValue);
}

describe('toProgram', () => {
  it('writes a hand-built circuit as the program a teacher would type', () => {
    const n = nodeId;
    const circuit: Circuit = {
      nodes: [
        { id: n('x'), op: 'input', value: scalar(-2) },
        { id: n('y'), op: 'input', value: scalar(5) },
        { id: n('z'), op: 'input', value: scalar(-4) },
        { id: n('add1'), op: 'add' },
        { id: n('mul1'), op: 'mul' },
      ],
      wires: [
        { from: n('x'), to: n('add1'), port: portName('a') },
        { from: n('y'), to: n('add1'), port: portName('b') },
        { from: n('add1'), to: n('mul1'), port: portName('a') },
        { from: n('z'), to: n('mul1'), port: portName('b') },
      ],
      output: n('mul1'),
    };
    expect(toProgram(circuit)).toBe('x = -2\ny = 5\nz = -4\nadd1 = x + y\nmul1 = add1 * z');
  });

  it('writes unnamed gates read once inline, with the parentheses precedence needs', () => {
    expect(toProgram(parse('x = 3; y = -4; z = 2; w = -1; f = 2 * (x * y + max(z, w))'))).toBe(
      'x = 3\ny = -4\nz = 2\nw = -1\nf = 2 * (x * y + max(z, w))',
    );
    expect(toProgram(parse('a = 2; b = 3; c = 2; f = a ^ (b ^ c) - (a - b) - -a^2'))).toBe(
      'a = 2\nb = 3\nc = 2\nf = a ^ b ^ c - (a - b) - -a ^ 2',
    );
    expect(toProgram(parse('x = 1; f = x * -1'))).toBe('x = 1\nf = x * -1');
  });

  it('reprints every gallery program into a circuit with the same numbers', () => {
    for (const example of EXAMPLE_SOURCES) {
      const circuit = parse(example.program);
      const printed = toProgram(circuit);
      expect(printed, example.id).not.toBeNull();
      expectSameNumbers(circuit, printed as string);
    }
  });

  it('gives null for what the language cannot say', () => {
    // A gate with a free port.
    expect(
      toProgram({
        nodes: [{ id: nodeId('g'), op: 'add' }],
        wires: [],
        output: nodeId('g'),
      }),
    ).toBeNull();
    // A NaN value.
    const withNaN = parse('x = 1; f = x * 2');
    const nodes = withNaN.nodes.map((n) =>
      n.id === 'x' ? { ...n, value: scalar(Number.NaN) } : n,
    );
    expect(toProgram({ ...withNaN, nodes })).toBeNull();
  });

  it('round-trips random programs (same values and gradients)', () => {
    const FUNCS = ['sigmoid', 'tanh', 'exp', 'relu', 'abs', 'sin'];
    const program = fc
      .record({
        inputs: fc.array(fc.integer({ min: -30, max: 30 }), { minLength: 1, maxLength: 4 }),
        steps: fc.array(
          fc.record({
            kind: fc.integer({ min: 0, max: 6 }),
            a: fc.nat(),
            b: fc.nat(),
            f: fc.nat(),
            c: fc.integer({ min: -3, max: 3 }),
            named: fc.boolean(),
          }),
          { minLength: 1, maxLength: 10 },
        ),
      })
      .map(({ inputs, steps }) => {
        const lines = inputs.map((v, i) => `x${i} = ${v / 10}`);
        const exprs: string[] = inputs.map((_, i) => `x${i}`);
        steps.forEach((s, i) => {
          const a = exprs[s.a % exprs.length];
          const b = exprs[s.b % exprs.length];
          const e = [
            `(${a}) + (${b})`,
            `(${a}) - (${b})`,
            `(${a}) * (${b})`,
            `${FUNCS[s.f % FUNCS.length]}(${a})`,
            `-(${a})`,
            `(${a}) * ${s.c}`,
            `max(${a}, ${b})`,
          ][s.kind];
          if (s.named || i === steps.length - 1) {
            lines.push(`g${i} = ${e}`);
            exprs.push(`g${i}`);
          } else {
            exprs.push(`(${e})`);
          }
        });
        return lines.join('\n');
      });
    fc.assert(
      fc.property(program, (text) => {
        const circuit = parse(text);
        const printed = toProgram(circuit);
        expect(printed).not.toBeNull();
        expectSameNumbers(circuit, printed as string);
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});

describe('toProgram with a program compiled already', () => {
  it('writes the same program, reading values from the circuit', () => {
    const circuit = parse('x = 3; y = -4; z = 2; w = -1; f = 2 * (x * y + max(z, w))');
    const compiled = compile(circuit, { partial: true });
    expect(toProgram(circuit, compiled)).toBe(toProgram(circuit));
    const nodes = circuit.nodes.map((n) => (n.id === 'x' ? { ...n, value: scalar(5) } : n));
    expect(toProgram({ ...circuit, nodes }, compiled)).toMatch(/^x = 5$/m);
  });

  it('gives null when the compiled program has problems', () => {
    const broken: Circuit = {
      nodes: [{ id: nodeId('g'), op: 'add' }],
      wires: [],
      output: nodeId('g'),
    };
    expect(toProgram(broken, compile(broken, { partial: true }))).toBeNull();
  });
});

describe('toProgram at scale', () => {
  /** A chain of `n` unnamed gates, gate k of op `opOf(k)` reading gate k − 1 (and `also`). */
  function chain(n: number, opOf: (k: number) => string, x: number, also?: string): Circuit {
    const parts = [input('x', x)];
    let previous = 'x';
    for (let k = 1; k <= n; k++) {
      const op = opOf(k);
      const id = `${op}#${k}`;
      const sources = getOp(op)?.ports.length === 2 ? [also ?? 'x', previous] : [previous];
      parts.push(gate(id, op, ...sources));
      previous = id;
    }
    return circuit(previous, ...parts);
  }

  /** Parses the printed program and checks its output value and ∂f/∂x against the circuit's. */
  function expectReadBack(c: Circuit): string {
    const printed = toProgram(c);
    expect(printed).not.toBeNull();
    const ev = compile(c).run();
    const again = compile(parse(printed as string)).run();
    expect(again.outputValue).toBe(ev.outputValue);
    expect(again.grad('x')).toBe(ev.grad('x'));
    return printed as string;
  }

  it('an 11,000-gate chain of signs and calls is written in statements the parser reads', () => {
    const ops = ['neg', 'sigmoid', 'neg', 'tanh', 'exp'];
    const printed = expectReadBack(chain(11_000, (k) => ops[k % ops.length], 0.5));
    // Inline all the way down it would nest 11,000 levels; it is split into named steps.
    expect(printed.split('\n').length).toBeGreaterThan(11_000 / LIMITS.nesting);
    expect(printed).toMatch(/^t1 = /m);
  });

  it('a right-nested chain x - (x - (x - …)) of 11,000 gates reads back', () => {
    // g_k = x − g_(k−1) with g_0 = x alternates 0, x, 0, x…, and ∂g_k/∂x = 1 − ∂g_(k−1)/∂x
    // alternates 0, 1…: after an even number of gates, f = x = 3 and ∂f/∂x = 1.
    const c = chain(11_000, () => 'sub', 3);
    expectReadBack(c);
    const ev = compile(c).run();
    expect(ev.outputValue).toBe(3);
    expect(ev.grad('x')).toBe(1);
  });

  it('a tower of exponents x ^ (x ^ (…)) of 5,000 gates reads back', () => {
    // The printer writes x ^ x ^ …, which the parser nests one level per '^'.
    expectReadBack(chain(5_000, () => 'pow', 1));
  });

  it('a left-nested sum of 11,999 terms is one line', () => {
    // ((x + x) + x) + …: every add reads the sum so far on port a and x on port b.
    const parts = [input('x', 1)];
    let previous = 'x';
    for (let k = 1; k <= 11_999; k++) {
      parts.push(gate(`add#${k}`, 'add', previous, 'x'));
      previous = `add#${k}`;
    }
    const c = circuit(previous, ...parts);
    const printed = expectReadBack(c);
    // The output's id add#11999 is not a name, so it is written as t1.
    expect(printed).toBe(`x = 1\nt1 = ${Array.from({ length: 12_000 }, () => 'x').join(' + ')}`);
  });

  it.each(['constructor', 'toString', '__proto__', 'valueOf'])(
    'an op named %s is not an op: null, not a crash',
    (op) => {
      const c = circuit('g', input('x', 1), node('g', op), wires(wire('x', 'g', 'a')));
      expect(toProgram(c)).toBeNull();
    },
  );
});

/**
 * A circuit as a comparable text: every named node's definition, with unnamed gates written
 * inside the definition that reads them, and literals bit for bit (their port kept). Two
 * circuits with the same text have the same gates, ports, literals and wires.
 */
function structure(c: Circuit): string {
  const byId = new Map(c.nodes.map((n) => [n.id as string, n]));
  const into = new Map<string, Map<string, string>>();
  for (const w of c.wires) {
    if (!into.has(w.to)) into.set(w.to, new Map());
    into.get(w.to)?.set(w.port, w.from);
  }
  const bits = (data: Float64Array) =>
    Array.from(data, (x) => (Object.is(x, -0) ? '-0' : String(x))).join(',');
  const named = (id: string) => !id.includes('#');
  const expr = (id: string): string => {
    const node = byId.get(id);
    if (!node) return `?${id}`;
    const ports = getOp(node.op)?.ports ?? [];
    const args = ports.map((p) => {
      const literal = node.params?.[p];
      if (literal) return `${p}=[${literal.shape.join('×')}:${bits(literal.data)}]`;
      const from = into.get(id)?.get(p) as string;
      return `${p}=${named(from) ? from : expr(from)}`;
    });
    const value = node.value ? `[${node.value.shape.join('×')}:${bits(node.value.data)}]` : '';
    return `${node.op}${value}(${args.join(' ')})`;
  };
  return c.nodes
    .filter((n) => named(n.id))
    .map((n) => `${n.id} := ${expr(n.id)}`)
    .sort()
    .concat(`output ${c.output}`)
    .join('\n');
}

describe('toProgram writes literals where they were', () => {
  it('writes each literal in its gate, on its side', () => {
    const text =
      'x = 3\ny = 4\nsigy = 1 / (1 + exp(-y))\nnum = x + sigy\nsigx = 1 / (1 + exp(-x))\nxpy = x + y\nxpysqr = xpy ^ 2\nden = sigx + xpysqr\ninvden = 1 / den\nf = num * invden';
    expect(toProgram(parse(text))).toBe(text);
    expect(toProgram(parse('x = 2; f = 2 * x - -1'))).toBe('x = 2\nf = 2 * x - -1');
    expect(toProgram(parse('x = 2; f = (-2) ^ x + x ^ -0.5'))).toBe(
      'x = 2\nf = (-2) ^ x + x ^ -0.5',
    );
    expect(toProgram(parse('x = 2; f = max(x, 0) + sum([1, 2] * x)'))).toBe(
      'x = 2\nf = max(x, 0) + sum([1, 2] * x)',
    );
    expect(toProgram(parse('f = 2 + 3'))).toBe('f = 2 + 3');
  });

  it('writes a square gate as x ^ 2 and a reciprocal as 1 / x', () => {
    const c = circuit('f', input('x', 3), gate('s', 'square', 'x'), gate('f', 'inv', 's'));
    expect(toProgram(c)).toBe('x = 3\ns = x ^ 2\nf = 1 / s');
  });

  it('writes a constant node (a circuit of the first format) as a literal in its reader', () => {
    const c = circuit('f', input('x', 3), node('two', 'const', 2), gate('f', 'mul', 'two', 'x'));
    const printed = toProgram(c) as string;
    expect(printed).toBe('x = 3\nf = 2 * x');
    expect(parse(printed).nodes.map((n) => n.op)).toEqual(['input', 'mul']);
  });

  it('reproduces every parsed random program with literals: parse(toProgram(c)) is c', () => {
    const literal = fc.oneof(
      fc.integer({ min: -5, max: 5 }).map(String),
      fc
        .double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })
        .map((x) => (Object.is(x, -0) ? '-0' : String(x))),
      fc.constantFrom('0.5', '1e-3', '2.5e10', '-0', '1.0'),
    );
    const program = fc
      .record({
        inputs: fc.array(literal, { minLength: 1, maxLength: 3 }),
        steps: fc.array(
          fc.record({
            kind: fc.integer({ min: 0, max: 9 }),
            pick: fc.array(fc.nat(), { minLength: 2, maxLength: 2 }),
            lits: fc.array(literal, { minLength: 2, maxLength: 2 }),
            which: fc.integer({ min: 0, max: 2 }),
            named: fc.boolean(),
          }),
          { minLength: 1, maxLength: 8 },
        ),
      })
      .chain(({ inputs, steps }) => {
        const lines = inputs.map((v, i) => `x${i} = ${v}`);
        const exprs: string[] = inputs.map((_, i) => `x${i}`);
        for (const [i, s] of steps.entries()) {
          // Each operand a wire (an earlier expression) or a literal, as `which` says.
          const pick = (k: number) => {
            const wired = s.which === 2 || s.which === k;
            if (wired) return exprs[s.pick[k] % exprs.length];
            const l = s.lits[k];
            return l.startsWith('-') ? `(${l})` : l;
          };
          const [a, b] = [pick(0), pick(1)];
          const e = [
            `(${a}) + (${b})`,
            `(${a}) - (${b})`,
            `(${a}) * (${b})`,
            `(${a}) / (${b})`,
            `(${a}) ^ (${b})`,
            `exp(${a})`,
            `-(${exprs[s.pick[0] % exprs.length]})`,
            `max(${a}, ${b})`,
            `min(${a}, ${b})`,
            `sum([${s.lits[0]}, ${s.lits[1]}] * (${a}))`,
          ][s.kind];
          if (s.named || i === steps.length - 1) {
            lines.push(`g${i} = ${e}`);
            exprs.push(`g${i}`);
          } else {
            exprs.push(`(${e})`);
          }
        }
        return fc.constant(lines.join('\n'));
      });
    fc.assert(
      fc.property(program, (text) => {
        const c = parse(text);
        const printed = toProgram(c);
        expect(printed, text).not.toBeNull();
        const again = parse(printed as string);
        expect(structure(again), `${text}\n---\n${printed}`).toBe(structure(c));
        // And the printed program is where printing stops changing it.
        expect(toProgram(again)).toBe(printed);
      }),
      { seed: 11, numRuns: 1000 },
    );
  });
});
