/**
 * The parser builds nothing over the one table of limits: it refuses the program where a
 * limit is crossed, with the limit's sentence and that place's line and column, and it stops
 * there (the rest of the text is not read). Programs right at a limit parse and run.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/engine/compile';
import { ParseError } from '../../src/engine/errors';
import { LIMITS } from '../../src/engine/limits';
import { parse } from '../../src/engine/parse';
import { toProgram } from '../../src/engine/print';
import { num } from './helpers';

function parseError(text: string): ParseError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error(`expected a ParseError for a program of ${text.length} characters`);
}

/** `x = 1`, then `f = x + x + … + x` with `terms` terms. */
function fanOut(terms: number): string {
  return `x = 1\nf = ${Array.from({ length: terms }, () => 'x').join(' + ')}`;
}

/** Column of the k-th `+` (1-based) on the line `f = x + x + …`: `f = x` then ` + x` each. */
const plusColumn = (k: number) => 'f = x'.length + 4 * (k - 1) + 2;

describe('nodes', () => {
  it('the table says 12,000', () => {
    expect(LIMITS.nodes).toBe(12_000);
  });

  it('x read by 10,000 gates (10,000 nodes) parses, runs and prints back', () => {
    const text = fanOut(10_000);
    const parsed = parse(text);
    expect(parsed.nodes.length).toBe(10_000);
    expect(parsed.wires.length).toBe(2 * 9_999);
    const program = compile(parsed);
    const ev = program.run();
    expect(ev.outputValue).toBe(10_000);
    expect(num(ev.grad('x'))).toBe(10_000);
    const printed = toProgram(parsed, program);
    expect(printed).toBe(text);
    const again = compile(parse(printed as string)).run();
    expect(again.outputValue).toBe(10_000);
    expect(num(again.grad('x'))).toBe(10_000);
  });

  it('exactly 12,000 nodes parse', () => {
    // x, then 11,999 adds.
    const parsed = parse(fanOut(12_000));
    expect(parsed.nodes.length).toBe(12_000);
    expect(compile(parsed).run().outputValue).toBe(12_000);
  });

  it('the 12,001st node is refused at the operator that makes it', () => {
    const e = parseError(fanOut(12_001));
    // x and 11,999 adds make 12,000 nodes; the 12,000th '+' would make the 12,001st.
    expect(e.message).toBe(
      `line 2, column ${plusColumn(12_000)}: the circuit has 12,001 nodes; the limit is 12,000 (every input and gate is a node): make the program smaller`,
    );
    expect([e.line, e.column]).toEqual([2, plusColumn(12_000)]);
  });

  it('a 250,000-term program (a megabyte) gives the limit message, not a stack overflow', () => {
    const text = fanOut(250_000);
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(text.length).toBeLessThan(LIMITS.programLength);
    const e = parseError(text);
    expect(e.message).toContain('the circuit has 12,001 nodes; the limit is 12,000');
    expect([e.line, e.column]).toEqual([2, plusColumn(12_000)]);
  });

  it('stops where the limit is crossed: a bad character further on is never reached', () => {
    const e = parseError(`${fanOut(250_000)} $`);
    expect(e.message).toContain('the circuit has 12,001 nodes');
  });

  it('numbers in expressions are part of their gates, not nodes', () => {
    // Each `+ 1` is one add gate holding its 1: x and 11,999 adds are 12,000 nodes.
    const terms = (n: number) => Array.from({ length: n }, () => '1').join(' + ');
    expect(parse(`x = 1\nf = x + ${terms(11_999)}`).nodes.length).toBe(12_000);
    const e = parseError(`x = 1\nf = x + ${terms(12_000)}`);
    expect(e.message).toContain('the circuit has 12,001 nodes');
    expect(e.line).toBe(2);
  });

  it('statements count together', () => {
    // 1 input, then one add (holding its 1) per line: line k + 1 holds node k + 1.
    const lines = ['x0 = 1'];
    for (let i = 1; i <= 12_000; i++) lines.push(`x${i} = x${i - 1} + 1`);
    const e = parseError(lines.join('\n'));
    expect(e.message).toContain('the circuit has 12,001 nodes');
    // Node 12,001 is made on line 12,001 (x12000 = x11999 + 1): the add is refused.
    expect(e.line).toBe(12_001);
    expect(e.column).toBe('x12000 = x11999 '.length + 1);
  });
});

describe('readers of one value', () => {
  it('x may be read 12,000 times, not 12,001', () => {
    // Each line `aK = x * x` is one gate reading x twice, so fan-out overtakes the node count.
    const lines = (n: number) => [
      'x = 1',
      ...Array.from({ length: n }, (_, k) => `a${k + 1} = x * x`),
    ];
    const ok = parse(lines(6_000).join('\n'));
    expect(ok.wires.filter((w) => w.from === 'x').length).toBe(12_000);
    const e = parseError(lines(6_001).join('\n'));
    // The second x of line 6,002 (a6001 = x * x) is the 12,001st read; the '*' reads it.
    expect([e.line, e.column]).toEqual([6_002, 'a6001 = x '.length + 1]);
    expect(e.message).toBe(
      'line 6002, column 11: x has 12,001 readers; the limit is 12,000 (gates reading one value)',
    );
  });

  it('a hostile name over the limit is named like any other', () => {
    const lines = [
      '__proto__ = 1',
      ...Array.from({ length: 6_001 }, (_, k) => `a${k} = __proto__ * __proto__`),
    ];
    expect(parseError(lines.join('\n')).message).toContain(
      '__proto__ has 12,001 readers; the limit is 12,000',
    );
  });
});

describe('numbers in a value', () => {
  it('W = randn(400, 400) is refused on its own line: 160,000 numbers', () => {
    const e = parseError('x = 1\ny = 2\nW = randn(400, 400)\nf = sum(W)');
    expect(e.message).toBe(
      'line 3, column 5: W = randn(400, 400) has 160,000 numbers; the limit is 100,000 numbers in one value',
    );
  });

  it('randn(316, 316) (99,856 numbers) is within the limit', () => {
    const parsed = parse('W = randn(316, 316)\nf = sum(W)');
    expect(parsed.nodes[0].value?.data.length).toBe(99_856);
  });

  it('an array of 100,000 numbers parses; the 100,001st is refused where it stands', () => {
    const numbers = (n: number) => Array.from({ length: n }, () => '1').join(',');
    const ok = parse(`v = [${numbers(100_000)}]\nf = sum(v)`);
    expect(compile(ok).run().outputValue).toBe(100_000);
    const e = parseError(`v = [${numbers(100_001)}]`);
    // `v = [` then `1,` per number: the 100,001st starts at column 6 + 2 × 100,000.
    expect([e.line, e.column]).toEqual([1, 6 + 2 * 100_000]);
    expect(e.message).toContain(
      'the array has 100,001 numbers; the limit is 100,000 numbers in one value',
    );
  });

  it('a matrix literal counts all its rows', () => {
    const row = `[${Array.from({ length: 1_000 }, () => '1').join(',')}]`;
    const e = parseError(`M = [${Array.from({ length: 101 }, () => row).join(',')}]`);
    expect(e.message).toContain('the array has 100,001 numbers');
  });

  it('all values together may hold 120,000 numbers', () => {
    // 99,856 + 20,000 = 119,856 numbers fit; another 200 × 1 vector crosses 120,000.
    const two = 'A = randn(316, 316)\nB = randn(200, 100)';
    expect(parse(`${two}\nf = sum(A) + sum(B)`).nodes.length).toBe(5);
    const e = parseError(`${two}\nC = randn(200, 1)`);
    expect(e.message).toBe(
      'line 3, column 5: the circuit has 120,056 numbers in its values; the limit is 120,000',
    );
  });
});

describe('length of the program and of a name', () => {
  it('a program one character over the limit is refused at that character', () => {
    const head = 'f = x\n';
    const text = head + ' '.repeat(LIMITS.programLength + 1 - head.length);
    expect(text.length).toBe(1_400_001);
    const e = parseError(text);
    expect(e.message).toBe(
      `line 2, column ${LIMITS.programLength - head.length + 1}: the program has 1,400,001 characters; the limit is 1,400,000`,
    );
  });

  it('a program of exactly the limit is read', () => {
    const head = 'f = x\n';
    const text = head + ' '.repeat(LIMITS.programLength - head.length);
    expect(compile(parse(text)).run().outputValue).toBe(1);
  });

  it('a name of 200 characters is fine; 201 are refused at the name', () => {
    const long = 'n'.repeat(200);
    expect(compile(parse(`${long} = 2\nf = ${long} * 3`)).run().outputValue).toBe(6);
    const e = parseError(`x = 1\nf = x + ${'n'.repeat(201)}`);
    expect(e.message).toBe(
      `line 2, column 9: the name '${'n'.repeat(30)}…' has 201 characters; the limit is 200`,
    );
  });
});

describe('nesting', () => {
  it('the limit comes from the table', () => {
    expect(LIMITS.nesting).toBe(500);
    const inner = `${'('.repeat(LIMITS.nesting)}x${')'.repeat(LIMITS.nesting)}`;
    expect(compile(parse(`f = ${inner}`)).run().outputValue).toBe(1);
    expect(parseError(`f = (${inner})`).message).toContain(
      'the expression is too deeply nested (more than 500 levels): split it into named steps',
    );
  });

  it('250,000 opening parentheses are refused, not a stack overflow', () => {
    const e = parseError(`f = ${'('.repeat(250_000)}x`);
    expect([e.line, e.column]).toEqual([1, 5 + 500]);
  });
});
