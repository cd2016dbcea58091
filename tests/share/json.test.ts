import { readdirSync, readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Circuit, nodeId } from '../../src/engine/types';
import { decodeBase64Url } from '../../src/share/base64url';
import { serializeCircuit } from '../../src/share/file';
import { writeCompactJson, writeJson } from '../../src/share/json';
import { encodeFullLink } from '../../src/share/link';
import { HOSTILE_NAMES, node, t, wire } from './circuits';

describe('the JSON writers', () => {
  it('keep -0 and lay rows out on one line', () => {
    expect(writeCompactJson({ a: [-0, 1.5, 'x'], b: null, c: undefined, d: true })).toBe(
      '{"a":[-0,1.5,"x"],"b":null,"d":true}',
    );
    expect(writeJson({ m: [[1, -0]] })).toBe('{\n  "m": [\n    [1, -0]\n  ]\n}');
  });

  it('write an object without a prototype like any other', () => {
    const bare = Object.assign(Object.create(null), { x: 1 });
    expect(writeCompactJson(bare)).toBe('{"x":1}');
    expect(writeJson(bare)).toBe('{\n  "x": 1\n}');
  });

  it('refuse a Map, a typed array or a class instance instead of losing it', () => {
    expect(() => writeJson({ byId: new Map([['__proto__', 1]]) })).toThrow(
      new TypeError('writeJson takes plain data, not a Map'),
    );
    expect(() => writeCompactJson([Float64Array.of(1)])).toThrow(
      new TypeError('writeJson takes plain data, not a Float64Array'),
    );
    expect(() => writeCompactJson(new Date(0))).toThrow(TypeError);
  });
});

/** Every key of every object in a JSON text, however deep (array indices left out). */
function keysIn(text: string): Set<string> {
  const keys = new Set<string>();
  JSON.parse(text, function collect(this: unknown, key: string, value: unknown) {
    if (key !== '' && !Array.isArray(this)) keys.add(key);
    return value;
  });
  return keys;
}

describe('what the codecs write', () => {
  // Ids, labels and the program name every node; none of them may become a key.
  const circuit: Circuit = {
    nodes: [
      ...HOSTILE_NAMES.map((name) =>
        node(name, 'input', { label: name, position: { x: 1, y: 2 }, value: t([2], [1, 2]) }),
      ),
      node('isAdmin', 'add', { label: 'polluted' }),
    ],
    wires: [wire('__proto__', 'isAdmin', 'a'), wire('constructor', 'isAdmin', 'b')],
    output: nodeId('isAdmin'),
  };

  it('files carry ids as values only: the keys are the format’s own field names', () => {
    expect([...keysIn(serializeCircuit(circuit))].sort()).toEqual(
      ['format', 'version', 'nodes', 'wires', 'output', 'id', 'op', 'label', 'position', 'x', 'y']
        .concat(['value', 'from', 'to', 'port'])
        .sort(),
    );
  });

  it('links carry ids as values only: the keys are the payload’s own field names', () => {
    const hash = encodeFullLink({ circuit, view: { dark: true, step: 2 }, expression: 'x = 1' });
    const bytes = decodeBase64Url(hash.slice('c=1.'.length));
    if (typeof bytes === 'string') throw new Error(bytes);
    const json = new TextDecoder().decode(inflateRawSync(bytes));
    expect([...keysIn(json)].sort()).toEqual(
      ['nodes', 'wires', 'output', 'expression', 'view', 'id', 'op', 'x', 'y', 'value', 'label']
        .concat(['from', 'to', 'port', 'dark', 'step'])
        .sort(),
    );
  });
});

describe('the codec sources', () => {
  // A spread into a call (`Math.max(...xs)`, `push(...xs)`) overflows the stack once the list
  // is long enough: a circuit's lists are as long as a link can make them.
  it('spread no list into a call', () => {
    const dir = new URL('../../src/share/', import.meta.url);
    const spreads: string[] = [];
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.ts')) continue;
      const text = readFileSync(new URL(file, dir), 'utf8');
      // `f(...xs)`, `f(a, ...xs)`, `new X(\n  ...xs)`; array and object literals are fine.
      for (const match of text.matchAll(/[\w)\]]\s*\((?:[^()[\]{}]*,)?\s*\.\.\./g)) {
        const line = text.slice(0, match.index).split('\n').length;
        spreads.push(`${file}:${line}: ${match[0]}`);
      }
    }
    expect(spreads).toEqual([]);
  });
});
