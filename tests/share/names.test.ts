/**
 * Names that are members of `Object.prototype` (`__proto__`, `constructor`, `toString`…) are
 * ordinary names in every codec: as node ids, labels and the output of a file, a `#c=` link
 * and an `#expr=` link, they come back as they went in, and nothing reaches the prototype.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from '../../src/engine/parse';
import { type Circuit, nodeId } from '../../src/engine/types';
import { decodeCircuitObject, parseCircuitFile, serializeCircuit } from '../../src/share/file';
import { decodeHash, encodeExprLink, encodeFullLink, type LinkDecoded } from '../../src/share/link';
import {
  expectPrototypeUntouched,
  expectSameCircuit,
  HOSTILE_NAMES,
  node,
  prototypeChange,
  t,
  wire,
} from './circuits';

afterEach(() => {
  expectPrototypeUntouched();
});

function full(decoded: LinkDecoded): Extract<LinkDecoded, { kind: 'full' }> {
  if (!decoded.ok) throw new Error(`expected a circuit, got the error: ${decoded.error}`);
  if (decoded.kind !== 'full') throw new Error(`expected a full link, got ${decoded.kind}`);
  return decoded;
}

function expr(decoded: LinkDecoded): Extract<LinkDecoded, { kind: 'expr' }> {
  if (!decoded.ok) throw new Error(`expected a program, got the error: ${decoded.error}`);
  if (decoded.kind !== 'expr') throw new Error(`expected an expr link, got ${decoded.kind}`);
  return decoded;
}

/**
 * An input named `name` read twice by a gate named `other` (labelled `name`), which is the
 * output; a second gate `isAdmin` reads both, the way a polluting link would wire it.
 */
function circuitNamed(name: string, other: string): Circuit {
  return {
    nodes: [
      node(name, 'input', { label: name, position: { x: 0, y: 40 }, value: t([2], [3, -0]) }),
      node(other, 'mul', { label: name, position: { x: 200, y: 40 } }),
      node('isAdmin', 'add', { position: { x: 400, y: 40 } }),
    ],
    wires: [
      wire(name, other, 'a'),
      wire(name, other, 'b'),
      wire(other, 'isAdmin', 'a'),
      wire(name, 'isAdmin', 'b'),
    ],
    output: nodeId(other),
  };
}

/** Every hostile name in one chain: each gate reads the one before. */
const allNames: Circuit = {
  nodes: HOSTILE_NAMES.map((name, i) =>
    i === 0 ? node(name, 'input', { value: t([], [1]) }) : node(name, 'neg', { label: name }),
  ),
  wires: HOSTILE_NAMES.slice(1).map((name, i) => wire(HOSTILE_NAMES[i], name, 'x')),
  output: nodeId(HOSTILE_NAMES[HOSTILE_NAMES.length - 1]),
};

const cases = HOSTILE_NAMES.map((name, i) => {
  const other = HOSTILE_NAMES[(i + 1) % HOSTILE_NAMES.length];
  return [name, other, circuitNamed(name, other)] as const;
});

describe.each(cases)('the name %s (with %s)', (name, other, circuit) => {
  it('comes back from a file, as text and as an object', () => {
    const text = serializeCircuit(circuit);
    const decoded = parseCircuitFile(text);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.warnings).toEqual([]);
    expectSameCircuit(decoded.circuit, circuit);
    expect(serializeCircuit(decoded.circuit)).toBe(text);
    const fromObject = decodeCircuitObject(JSON.parse(text));
    if (!fromObject.ok) throw new Error(fromObject.error);
    expectSameCircuit(fromObject.circuit, circuit);
  });

  it('comes back from a #c= link, with the program it came from', () => {
    const program = `${name} = [3, -0]\n${other} = ${name} * ${name}`;
    const decoded = full(
      decodeHash(`#${encodeFullLink({ circuit, view: {}, expression: program })}`),
    );
    expect(decoded.warnings).toEqual([]);
    expectSameCircuit(decoded.circuit, circuit);
    expect(decoded.expression).toBe(program);
    expect(Object.getPrototypeOf(decoded.view)).toBe(Object.prototype);
    expect(Object.keys(decoded.view)).toEqual([]);
  });

  it('comes back from an #expr= link, and the program builds a circuit with that name', () => {
    const program = `${name} = 3\n${other} = ${name} * ${name}\nisAdmin = ${other} + ${name}`;
    const decoded = expr(decodeHash(`#${encodeExprLink(program, { step: 2 })}`));
    expect(decoded.expression).toBe(program);
    expect(decoded.view).toEqual({ step: 2 });
    expect(decoded.warnings).toEqual([]);
    const built = parse(decoded.expression).circuit;
    const ids = built.nodes.map((n) => n.id);
    expect(ids).toContain(name);
    expect(ids).toContain(other);
    expect(built.output).toBe('isAdmin');
    // And the circuit the program builds travels in a #c= link too.
    expectSameCircuit(
      full(decodeHash(encodeFullLink({ circuit: built, view: {} }))).circuit,
      built,
    );
  });

  it('is an unknown key, not a flag, in a hash', () => {
    const decoded = decodeHash(`#${name}=1&${encodeURIComponent(name)}[x]=2`);
    if (!decoded.ok || decoded.kind !== 'none') throw new Error('expected view flags only');
    expect(decoded.view).toEqual({});
    expect(decoded.warnings).toEqual([
      `the link part "${name}=1" is not one this app reads; it was ignored`,
      `the link part "${encodeURIComponent(name)}[x]=2" is not one this app reads; it was ignored`,
    ]);
  });
});

describe('all the names in one circuit', () => {
  it('come back from a file and a link', () => {
    const fromFile = parseCircuitFile(serializeCircuit(allNames));
    if (!fromFile.ok) throw new Error(fromFile.error);
    expectSameCircuit(fromFile.circuit, allNames);
    expectSameCircuit(
      full(decodeHash(encodeFullLink({ circuit: allNames, view: {} }))).circuit,
      allNames,
    );
  });

  it('are ordinary keys in the JSON of a file: fields named like them are ignored or read', () => {
    const fields = HOSTILE_NAMES.map((name) => `"${name}": {"polluted": "${name}"}`).join(', ');
    const text = `{ ${fields}, "format": "backprop-circuit", "version": 1,
      "nodes": [{ ${fields}, "id": "__proto__", "op": "input", "value": 1 },
                { "id": "valueOf", "op": "neg", "position": { ${fields}, "x": 1, "y": 2 } }],
      "wires": [{ ${fields}, "from": "__proto__", "to": "valueOf", "port": "x" }],
      "output": "valueOf" }`;
    const decoded = parseCircuitFile(text);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.warnings).toEqual([]);
    expect(decoded.circuit.nodes.map((n) => n.id)).toEqual(['__proto__', 'valueOf']);
    expect(decoded.circuit.nodes[1].position).toEqual({ x: 1, y: 2 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('are refused as ops and ports with the usual message', () => {
    for (const name of HOSTILE_NAMES) {
      const op = decodeCircuitObject({
        format: 'backprop-circuit',
        version: 1,
        nodes: [{ id: 'x', op: name }],
      });
      expect(op).toEqual({ ok: false, error: `node 1 (id 'x'): unknown op '${name}'` });
      const port = decodeCircuitObject({
        format: 'backprop-circuit',
        version: 1,
        nodes: [
          { id: 'x', op: 'input', value: 1 },
          { id: 'f', op: 'neg' },
        ],
        wires: [{ from: 'x', to: 'f', port: name }],
      });
      expect(port).toEqual({
        ok: false,
        error: `wire 1: node 'f' (neg) has no port '${name}'; its ports are 'x'`,
      });
    }
  });
});

describe('the prototype check itself', () => {
  it('notices a key added to Object.prototype, and one replaced', () => {
    const proto = Object.prototype as unknown as Record<string, unknown>;
    try {
      proto.isAdmin = 1;
      expect(prototypeChange()).toBe('Object.prototype gained isAdmin (and lost nothing)');
    } finally {
      delete proto.isAdmin;
    }
    const original = Object.prototype.valueOf;
    try {
      Object.prototype.valueOf = function replaced() {
        return 0;
      };
      expect(prototypeChange()).toBe('Object.prototype.valueOf changed');
    } finally {
      Object.prototype.valueOf = original;
    }
    expect(prototypeChange()).toBeUndefined();
  });
});
