/**
 * Names are data. A name that is also a member of `Object.prototype` (`__proto__`,
 * `constructor`, `toString`…) must work in the expression language exactly like any other
 * name, through the whole engine: parse, compile, run, backward steps, numerical gradients,
 * printing and parsing again. Each program is run twice, once with the hostile name and once
 * with an ordinary one in its place, and every number, step and printed line must agree; the
 * ordinary version is itself checked against numbers worked out by hand.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { ParseError } from '../../src/engine/errors';
import { numericalGradient } from '../../src/engine/numerical';
import { parse } from '../../src/engine/parse';
import { toProgram } from '../../src/engine/print';
import type { Evaluation } from '../../src/engine/program';
import { backwardSteps } from '../../src/engine/steps';
import type { Value } from '../../src/engine/types';
import { HOSTILE_NAMES } from '../hostileNames';
import { num, sigma } from './helpers';

const HOSTILE = HOSTILE_NAMES;

/** A name that means nothing to JavaScript, to compare with. */
const ORDINARY = 'w';

/** Every own key of the shared prototypes, sorted, to see that nothing was added. */
function prototypeKeys(): string[] {
  return [Object.prototype, Array.prototype, Function.prototype].flatMap((p) =>
    Reflect.ownKeys(p).map(String).sort(),
  );
}

let before: string[];
beforeEach(() => {
  before = prototypeKeys();
});
afterEach(() => {
  expect(prototypeKeys()).toEqual(before);
  // The repro from the issue: an `#expr=` program once left `({}).f === 1` behind.
  expect(Object.hasOwn(Object.prototype, 'f')).toBe(false);
  expect(({} as Record<string, unknown>).f).toBeUndefined();
});

/** Everything the engine says about a program, with the name `name` written as `as`. */
function everything(text: string, name: string, as: string) {
  const rename = (id: string) => (id === name ? as : id);
  const parsed = parse(text);
  const program = compile(parsed);
  const ev = program.run();
  const ids = parsed.nodes.map((n) => n.id as string);
  return {
    ids: ids.map(rename),
    inputs: parsed.inputs.map(rename),
    named: parsed.named.map(rename),
    output: rename(parsed.output as string),
    values: ids.map((id) => [rename(id), ev.value(id), ev.grad(id)]),
    steps: backwardSteps(ev).map((s) => ({
      node: rename(s.node),
      op: s.op.name,
      output: s.output,
      upstreamGrad: s.upstreamGrad,
      terms: s.terms.map((t) => ({ ...t, from: rename(t.from) })),
    })),
    checks: numericalGradient(program).map((c) => ({ ...c, node: rename(c.node) })),
    printed: toProgram(parsed),
    ev,
  };
}

/** Values and gradients of every named node after printing and parsing again. */
function reparsed(printed: string, ids: readonly string[]): [string, Value, Value][] {
  const ev: Evaluation = compile(parse(printed)).run();
  return ids.map((id) => [id, ev.value(id), ev.grad(id)]);
}

const word = (name: string) => new RegExp(`\\b${name}\\b`, 'g');

/**
 * The programs, each a function of the name under test, with its f and ∂f/∂(that name)
 * worked out by hand.
 */
const ROLES: readonly {
  readonly role: string;
  readonly program: (n: string) => string;
  readonly f: number;
  readonly grad: number;
}[] = [
  {
    // f = n·(2n + σ(n)) at n = 3; ∂f/∂n = 4n + σ(n) + n·σ(n)(1 − σ(n)).
    role: 'a declared input',
    program: (n) => `${n} = 3\nq = ${n} * 2 + sigmoid(${n})\nf = q * ${n}`,
    f: 3 * (6 + sigma(3)),
    grad: 12 + sigma(3) + 3 * sigma(3) * (1 - sigma(3)),
  },
  {
    // An implicit input has the value 1: f = n·n + 2n = 3; ∂f/∂n = 2n + 2 = 4.
    role: 'an implicit input',
    program: (n) => `f = ${n} * ${n} + 2 * ${n}`,
    f: 3,
    grad: 4,
  },
  {
    // n = 2x at x = 3; f = n·n + x = 39; ∂f/∂n = 2n = 12.
    role: 'a named intermediate',
    program: (n) => `x = 3\n${n} = x * 2\nf = ${n} * ${n} + x`,
    f: 39,
    grad: 12,
  },
  {
    // n = x·y + σ(x) at x = 3, y = 2: the output, whose gradient is 1.
    role: 'the output',
    program: (n) => `x = 3\ny = 2\n${n} = x * y + sigmoid(x)`,
    f: 6 + sigma(3),
    grad: 1,
  },
  {
    // A copy of an input (an identity gate) that is read twice: f = 2·n·n = 18 at x = 3.
    role: 'an identity copy read twice',
    program: (n) => `x = 3\n${n} = x\nf = 2 * ${n} * ${n}`,
    f: 18,
    grad: 12,
  },
];

describe.each(HOSTILE)('the name %s', (name) => {
  it.each(ROLES)('works as $role', ({ program, f, grad }) => {
    const hostile = everything(program(name), name, ORDINARY);
    const ordinary = everything(program(ORDINARY), ORDINARY, ORDINARY);

    // The ordinary program gives the numbers worked out by hand…
    expect(ordinary.ev.outputValue).toBeCloseTo(f, 12);
    expect(num(ordinary.ev.grad(ORDINARY))).toBeCloseTo(grad, 12);
    // …and the hostile name the very same, through every door of the engine.
    expect(num(hostile.ev.value(name))).toBe(num(ordinary.ev.value(ORDINARY)));
    expect(num(hostile.ev.grad(name))).toBe(num(ordinary.ev.grad(ORDINARY)));
    expect(hostile.ids).toContain(ORDINARY);
    expect(hostile.ids).toEqual(ordinary.ids);
    expect(hostile.inputs).toEqual(ordinary.inputs);
    expect(hostile.named).toEqual(ordinary.named);
    expect(hostile.output).toEqual(ordinary.output);
    expect(hostile.values).toEqual(ordinary.values);
    expect(hostile.steps.length).toBeGreaterThan(0);
    expect(hostile.steps).toEqual(ordinary.steps);
    expect(hostile.checks.length).toBeGreaterThan(0);
    expect(hostile.checks).toEqual(ordinary.checks);
    for (const check of hostile.checks) expect(check.verdict).toBe('ok');

    // Printed, it is the same program with the name in place, and it parses back to the
    // same numbers.
    expect(hostile.printed).not.toBeNull();
    expect(ordinary.printed).not.toBeNull();
    expect(hostile.printed).toBe((ordinary.printed as string).replace(word(ORDINARY), name));
    expect(hostile.printed).toMatch(word(name));
    const named = parse(program(name)).named.map((id) => id as string);
    const renamed = named.map((id) => (id === name ? ORDINARY : id));
    expect(reparsed(hostile.printed as string, named)).toEqual(
      reparsed(ordinary.printed as string, renamed).map(([, v, g], i) => [named[i], v, g]),
    );
  });

  it('can be given a value when run', () => {
    const program = compile(parse(`${name} = 3\nf = ${name} * ${name}`));
    const ev = program.run(Object.fromEntries([[name, 5]]));
    expect(ev.outputValue).toBe(25);
    expect(num(ev.grad(name))).toBe(10);
  });

  it('is refused like any other name when assigned twice or used before it is assigned', () => {
    expect(() => parse(`${name} = 1\n${name} = 2`)).toThrow(
      new RegExp(`${name} is assigned twice: on line 1 and line 2`),
    );
    const e = (() => {
      try {
        parse(`f = ${name} * 2\n${name} = 3`);
      } catch (error) {
        return error;
      }
    })();
    expect(e).toBeInstanceOf(ParseError);
    expect((e as ParseError).message).toContain(
      `${name} is used on line 1 before it is assigned on line 2`,
    );
  });

  it('is an ordinary unknown function when called', () => {
    const text = `f = ${name}(2)`;
    expect(() => parse(text)).toThrow(ParseError);
    expect(() => parse(text)).toThrow(`unknown function '${name}'`);
  });
});

describe('the programs of the issue', () => {
  it('__proto__ = 3; f = __proto__ * 2 computes 6 and leaves Object.prototype alone', () => {
    const parsed = parse('__proto__ = 3\nf = __proto__ * 2');
    expect(parsed.inputs).toEqual(['__proto__']);
    expect(parsed.named).toEqual(['__proto__', 'f']);
    const ev = compile(parsed).run();
    expect(ev.outputValue).toBe(6);
    expect(num(ev.grad('__proto__'))).toBe(2);
    expect(toProgram(parsed)).toBe('__proto__ = 3\nf = __proto__ * 2');
    // A later circuit with a node f still builds.
    expect(compile(parse('x = 1\nf = x + 1')).run().outputValue).toBe(2);
  });

  it('an input __proto__ feeding a gate isAdmin adds no isAdmin to every object', () => {
    const ev = compile(parse('__proto__ = 1\nisAdmin = __proto__ * 1')).run();
    expect(ev.outputValue).toBe(1);
    expect(Object.hasOwn(Object.prototype, 'isAdmin')).toBe(false);
  });
});

describe('every member of the built-in prototypes is a name like any other', () => {
  const names = [
    ...new Set(
      [Object.prototype, Array.prototype, Function.prototype]
        .flatMap((p) => Object.getOwnPropertyNames(p))
        .filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)),
    ),
  ];
  // Those that are also functions of the language stay reserved.
  const reserved = new Set(['max', 'min', 'sum', 'exp', 'log']);

  it('includes the usual suspects', () => {
    for (const n of ['__lookupGetter__', 'propertyIsEnumerable', 'toLocaleString', 'length']) {
      expect(names).toContain(n);
    }
  });

  it.each(names.filter((n) => !reserved.has(n)))('%s', (n) => {
    const text = `${n} = 2\nh = ${n} * ${n}\nf = h + ${n}`;
    const parsed = parse(text);
    const ev = compile(parsed).run();
    expect(ev.outputValue).toBe(6);
    expect(num(ev.grad(n))).toBe(5);
    const printed = toProgram(parsed);
    expect(printed).toBe(text);
    expect(compile(parse(printed as string)).run().outputValue).toBe(6);
  });
});
