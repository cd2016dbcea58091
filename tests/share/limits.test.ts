/**
 * Circuits at the limits of `LIMITS` travel by link and by file and come back exactly: what a
 * user may build can be shared and opened again.
 */
import { describe, expect, it } from 'vitest';
import { formatCount, LIMITS } from '../../src/engine/limits';
import { ALL_OPS } from '../../src/engine/ops';
import { parse } from '../../src/engine/parse';
import { type Circuit, type CircuitNode, nodeId, type Wire } from '../../src/engine/types';
import { parseCircuitFile, serializeCircuit } from '../../src/share/file';
import {
  decodeHash,
  encodeExprLink,
  encodeFullLink,
  encodePayload,
  type LinkDecoded,
  UNPACKED_CAP,
} from '../../src/share/link';
import { expectSameCircuit, node, randomGates, seededRandom, t, wire } from './circuits';

function full(decoded: LinkDecoded): Extract<LinkDecoded, { kind: 'full' }> {
  if (!decoded.ok) throw new Error(`expected a circuit, got the error: ${decoded.error}`);
  if (decoded.kind !== 'full') throw new Error(`expected a full link, got ${decoded.kind}`);
  return decoded;
}

/** Sends the circuit through a `#c=` link and through a file; both must give it back. */
function expectBothWays(circuit: Circuit): { link: string; file: string } {
  const link = encodeFullLink({ circuit, view: {} });
  expect(link.length).toBeLessThanOrEqual(LIMITS.hashLength);
  const fromLink = full(decodeHash(`#${link}`));
  expect(fromLink.warnings).toEqual([]);
  expectSameCircuit(fromLink.circuit, circuit);

  const file = serializeCircuit(circuit);
  const fromFile = parseCircuitFile(file);
  if (!fromFile.ok) throw new Error(fromFile.error);
  expect(fromFile.warnings).toEqual([]);
  expectSameCircuit(fromFile.circuit, circuit);
  return { link, file };
}

/** `x` read by `gates` add gates in a chain, as `f = x + x + … + x` builds it. */
function fanOut(gates: number): Circuit {
  const nodes: CircuitNode[] = [
    node('x', 'input', { value: t([], [1]), position: { x: 0, y: 0 } }),
  ];
  const wires: Wire[] = [];
  for (let i = 1; i <= gates; i++) {
    const id = `add${i}`;
    nodes.push(node(id, 'add', { position: { x: 200 * (i % 100), y: 120 * Math.floor(i / 100) } }));
    wires.push(wire(i === 1 ? 'x' : `add${i - 1}`, id, 'a'), wire('x', id, 'b'));
  }
  return { nodes, wires, output: nodeId(`add${gates}`) };
}

/** Numbers like `randn` gives: every one a full-precision double. */
function normals(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from(
    { length: count },
    () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
  );
}

describe('at the limits', () => {
  it(`${LIMITS.nodes.toLocaleString('en-US')} nodes travel by link and by file`, () => {
    const circuit = randomGates(LIMITS.nodes - 10, 3);
    expect(circuit.nodes.length).toBe(12_000);
    const { link } = expectBothWays(circuit);
    // Long enough that the streaming, capped inflater unpacks it.
    expect(link.length).toBeGreaterThan(((UNPACKED_CAP / 1032) * 4) / 3);
  });

  it('a value read by 10,000 gates travels by link and by file', () => {
    const circuit = fanOut(10_000);
    expect(circuit.wires.filter((w) => w.from === 'x').length).toBe(10_001);
    expectBothWays(circuit);
  });

  it('the program f = x + x + … (10,001 terms) travels by #expr= link, and its circuit by #c=', () => {
    const program = `x = 1\nf = ${new Array(10_001).fill('x').join(' + ')}`;
    const decoded = decodeHash(encodeExprLink(program));
    if (!decoded.ok || decoded.kind !== 'expr') throw new Error('expected a program link');
    expect(decoded.expression).toBe(program);
    const { circuit } = parse(decoded.expression);
    expect(circuit.wires.filter((w) => w.from === 'x').length).toBe(10_001);
    const fromLink = full(decodeHash(encodeFullLink({ circuit, view: {}, expression: program })));
    expectSameCircuit(fromLink.circuit, circuit);
    expect(fromLink.expression).toBe(program);
  });

  it(`a value of ${LIMITS.valueEntries.toLocaleString('en-US')} random numbers travels by link and by file`, () => {
    const circuit: Circuit = {
      nodes: [
        node('W', 'input', { value: t([250, 400], normals(LIMITS.valueEntries, 5)) }),
        node('f', 'neg', { position: { x: 200, y: 0 } }),
      ],
      wires: [wire('W', 'f', 'x')],
      output: nodeId('f'),
    };
    const { link } = expectBothWays(circuit);
    console.info(`a link holding 100,000 random numbers: ${link.length} characters`);
  });

  it(`${LIMITS.totalEntries.toLocaleString('en-US')} random numbers in values and parameters, beside ${LIMITS.nodes.toLocaleString('en-US')} nodes, travel by link and by file`, () => {
    // 10 small inputs and their gates, a 250×400 input, and a gate holding a 10×1999 parameter:
    // every number a full-precision double except the 10 small ones.
    const base = randomGates(LIMITS.nodes - 13, 11);
    const param = LIMITS.totalEntries - LIMITS.valueEntries - 10;
    expect(param).toBe(19_990);
    const circuit: Circuit = {
      nodes: [
        ...base.nodes,
        node('W', 'input', { value: t([250, 400], normals(LIMITS.valueEntries, 5)) }),
        node('scaled', 'mul', {
          position: { x: 200, y: 0 },
          params: { b: t([10, 1999], normals(param, 6)) },
        }),
        node('total', 'sum', { position: { x: 400, y: 0 } }),
      ],
      wires: [...base.wires, wire('x1', 'scaled', 'a'), wire('W', 'total', 'x')],
      output: nodeId('total'),
    };
    expect(circuit.nodes).toHaveLength(LIMITS.nodes);
    const { link } = expectBothWays(circuit);
    console.info(
      `a link holding 120,000 random numbers and 12,000 nodes: ${link.length} characters`,
    );

    // One number more, in a value or in a parameter, is refused by both, with the same message.
    const over = `the circuit has ${formatCount(LIMITS.totalEntries + 1)} numbers in its values and parameters together; the limit is ${formatCount(LIMITS.totalEntries)}`;
    for (const grown of [
      {
        ...circuit,
        nodes: circuit.nodes.map((n) => (n.id === 'x1' ? { ...n, value: t([2], [1, 2]) } : n)),
      },
      {
        ...circuit,
        nodes: circuit.nodes.map((n) =>
          n.id === 'scaled' ? { ...n, params: { b: t([param + 1], normals(param + 1, 6)) } } : n,
        ),
      },
    ]) {
      const fromFile = parseCircuitFile(serializeCircuit(grown));
      expect(fromFile.ok ? 'opened' : fromFile.error).toBe(over);
      const fromLink = decodeHash(encodeFullLink({ circuit: grown, view: {} }));
      expect(fromLink.ok ? 'opened' : fromLink.error).toBe(
        `the link's circuit is not valid: ${over}`,
      );
    }
  });

  it('the unpacking cap holds the largest payload a circuit within the limits can write', () => {
    // Every string as long as allowed and written at 6 bytes a character (control characters
    // become \u0001), every number as long as a double prints, a matrix of one column.
    const controls = (length: number, n: number) => {
      let tail = '';
      for (let k = n; tail.length < 5; k = Math.floor(k / 32)) tail += String.fromCharCode(k % 32);
      return '\u0001'.repeat(length - 5) + tail;
    };
    const longestNumber = -2.2250738585072014e-308;
    expect(String(longestNumber)).toHaveLength(24);
    const column = (count: number) => t([count, 1], new Array(count).fill(longestNumber));
    const longestOp = ALL_OPS.reduce((a, b) => (b.name.length > a.name.length ? b : a));
    // Every gate holds a parameter in every port; the values take the rest of the numbers.
    const paramEntries = (LIMITS.nodes - 2) * longestOp.ports.length;
    const half = Math.floor((LIMITS.totalEntries - paramEntries) / 2);
    const params = Object.fromEntries(longestOp.ports.map((port) => [port, column(1)]));
    const nodes: CircuitNode[] = [];
    for (let i = 0; i < LIMITS.nodes; i++) {
      const source = i < 2;
      nodes.push({
        id: nodeId(controls(LIMITS.idLength, i)),
        op: source ? 'input' : longestOp.name,
        label: controls(LIMITS.labelLength, i),
        position: { x: -LIMITS.position, y: -LIMITS.position },
        ...(source ? { value: column(half) } : { params }),
      });
    }
    const wires: Wire[] = [];
    for (let i = 0; wires.length < LIMITS.wires; i++) {
      const to = nodes[2 + (i % (LIMITS.nodes - 2))];
      wires.push({ from: nodes[i % LIMITS.nodes].id, to: to.id, port: longestOp.ports[0] });
    }
    const expression = '\u0001'.repeat(LIMITS.programLength);
    const payload = encodePayload({
      circuit: { nodes, wires, output: nodes[0].id },
      view: {},
      expression,
    });
    const bytes = new TextEncoder().encode(payload).length;
    expect(bytes).toBeLessThanOrEqual(UNPACKED_CAP);
    // And the cap is not slack: the worst case takes most of it.
    expect(bytes).toBeGreaterThan(0.9 * UNPACKED_CAP);
  });
});
