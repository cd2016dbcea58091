/**
 * Circuit builders and random circuits shared by the codec tests (file, link) and the
 * autosave tests.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { ALL_OPS, getOp, isSource } from '../../src/engine/ops';
import {
  type Circuit,
  type CircuitNode,
  nodeId,
  portName,
  type Shape,
  type Tensor,
  type Wire,
} from '../../src/engine/types';

export const t = (shape: Shape, data: number[]): Tensor => ({
  shape,
  data: Float64Array.from(data),
});

export function node(
  id: string,
  op: string,
  extra: { label?: string; position?: { x: number; y: number }; value?: Tensor } = {},
): CircuitNode {
  return { id: nodeId(id), op, ...extra };
}

export function wire(from: string, to: string, port: string): Wire {
  return { from: nodeId(from), to: nodeId(to), port: portName(port) };
}

/**
 * The same circuit, number for number: Object.is on every value and position entry (so NaN,
 * -0 and ±Infinity count), the same fields on every node, the same wires and output.
 */
export function expectSameCircuit(actual: Circuit, expected: Circuit): void {
  expect(actual.output).toBe(expected.output);
  expect(actual.nodes.length).toBe(expected.nodes.length);
  expected.nodes.forEach((want, i) => {
    const got = actual.nodes[i];
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(got.id).toBe(want.id);
    expect(got.op).toBe(want.op);
    expect(got.label).toBe(want.label);
    if (want.position) {
      expect(Object.is(got.position?.x, want.position.x), `${want.id}.position.x`).toBe(true);
      expect(Object.is(got.position?.y, want.position.y), `${want.id}.position.y`).toBe(true);
    }
    if (want.value) {
      expect(got.value?.shape).toEqual(want.value.shape);
      expect(got.value?.data).toBeInstanceOf(Float64Array);
      expect(got.value?.data.length).toBe(want.value.data.length);
      want.value.data.forEach((x, j) => {
        if (!Object.is(got.value?.data[j], x)) {
          throw new Error(`node ${want.id} value[${j}]: expected ${x}, got ${got.value?.data[j]}`);
        }
      });
    }
  });
  expect(actual.wires).toEqual(expected.wires);
}

/** How big and how strange the random circuits of `circuitArbitrary` are. */
export interface CircuitLimits {
  readonly maxNodes: number;
  readonly maxWires: number;
  /** Longest printable and binary (any UTF-16 unit) ids, and labels. */
  readonly maxId: number;
  readonly maxBinaryId: number;
  readonly maxLabel: number;
  readonly coordinate: fc.Arbitrary<number>;
  /** How much likelier a scalar value is than a vector or a matrix. */
  readonly scalarWeight: number;
  readonly maxVector: number;
  readonly maxSide: number;
}

/**
 * Random circuits for round trips: any op, hostile ids (`__proto__`…), values holding NaN,
 * ±Infinity, -0 and subnormals, wires into real ports (not necessarily a valid circuit).
 */
export function circuitArbitrary(limits: CircuitLimits): fc.Arbitrary<Circuit> {
  const anyNumber = fc.double(); // includes NaN, ±Infinity, -0, subnormals and the extremes
  const tensorArb: fc.Arbitrary<Tensor> = fc.oneof(
    { weight: limits.scalarWeight, arbitrary: anyNumber.map((x) => t([], [x])) },
    {
      weight: 1,
      arbitrary: fc
        .array(anyNumber, { minLength: 1, maxLength: limits.maxVector })
        .map((xs) => t([xs.length], xs)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.integer({ min: 1, max: limits.maxSide }),
          fc.integer({ min: 1, max: limits.maxSide }),
        )
        .chain(([rows, cols]) =>
          fc
            .array(anyNumber, { minLength: rows * cols, maxLength: rows * cols })
            .map((xs) => t([rows, cols], xs)),
        ),
    },
  );
  const idArb = fc.oneof(
    fc.string({ minLength: 1, maxLength: limits.maxId }),
    fc.string({ minLength: 1, maxLength: limits.maxBinaryId, unit: 'binary' }),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
  );
  const nodeArb = fc.record(
    {
      id: idArb,
      op: fc.constantFrom(...ALL_OPS.map((op) => op.name)),
      label: fc.string({ maxLength: limits.maxLabel, unit: 'binary' }),
      position: fc.record({ x: limits.coordinate, y: limits.coordinate }),
      value: tensorArb,
    },
    { requiredKeys: ['id', 'op', 'value'] },
  );
  return fc
    .uniqueArray(nodeArb, { selector: (n) => n.id, maxLength: limits.maxNodes })
    .chain((raw) => {
      const nodes: CircuitNode[] = raw.map(({ value, ...rest }) => ({
        ...rest,
        id: nodeId(rest.id),
        ...(isSource(rest.op) ? { value } : {}),
      }));
      const targets = nodes.filter((n) => (getOp(n.op)?.ports.length ?? 0) > 0);
      const wires =
        nodes.length === 0 || targets.length === 0
          ? fc.constant([] as Wire[])
          : fc.array(
              fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([a, b, c]): Wire => {
                const to = targets[b % targets.length];
                const ports = getOp(to.op)?.ports ?? [];
                return {
                  from: nodes[a % nodes.length].id,
                  to: to.id,
                  port: ports[c % ports.length],
                };
              }),
              { maxLength: limits.maxWires },
            );
      const output =
        nodes.length === 0
          ? fc.constant(null)
          : fc.option(fc.nat().map((i) => nodes[i % nodes.length].id));
      return fc.record({ nodes: fc.constant(nodes), wires, output });
    });
}

/**
 * A random scalar circuit: 10 inputs with small whole values, then `gates` gates, each wired
 * to earlier nodes, ids as the editor makes them (`mul3`), positions anywhere on a 2000×1500
 * canvas (the worst case for compression: a laid-out circuit gives a shorter link).
 */
export function randomGates(gates: number, seed: number): Circuit {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const nodes: CircuitNode[] = [];
  const wires: Wire[] = [];
  for (let i = 1; i <= 10; i++) {
    const value = t([], [Math.floor(random() * 11) - 5]);
    nodes.push(node(`x${i}`, 'input', { label: `x${i}`, position: { x: 20, y: 102 * i }, value }));
  }
  const ops = ['add', 'sub', 'mul', 'div', 'max', 'sigmoid', 'tanh', 'relu', 'exp', 'neg'];
  const counts = new Map<string, number>();
  for (let g = 0; g < gates; g++) {
    const op = pick(ops);
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const id = `${op}${counts.get(op)}`;
    const earlier = nodes.length;
    const position = { x: Math.floor(random() * 2000), y: Math.floor(random() * 1500) };
    nodes.push(node(id, op, { position }));
    for (const port of getOp(op)?.ports ?? []) {
      wires.push(wire(nodes[Math.floor(random() * earlier)].id, id, port));
    }
  }
  return { nodes, wires, output: nodes[nodes.length - 1].id };
}

/** A small deterministic generator of numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Names that are members of `Object.prototype`: as ids, labels, keys or flags they must work
 * like any other name (or be refused), and never reach the prototype.
 */
export const HOSTILE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isPrototypeOf',
] as const;

/** `Object.prototype` as it was when this module loaded: its own keys and their values. */
const PROTOTYPE_BEFORE = Object.getOwnPropertyDescriptors(Object.prototype);

/**
 * Whether `Object.prototype` has gained, lost or changed a property since this module loaded;
 * a sentence saying what, or undefined. Plain code (no `expect`), so fuzz tests can call it
 * on every case.
 */
export function prototypeChange(): string | undefined {
  const now = Object.getOwnPropertyDescriptors(Object.prototype);
  const before = Reflect.ownKeys(PROTOTYPE_BEFORE);
  const after = Reflect.ownKeys(now);
  if (after.length !== before.length) {
    const added = after.filter((k) => !before.includes(k)).map(String);
    return `Object.prototype gained ${added.join(', ') || 'nothing'} (and lost ${
      before
        .filter((k) => !after.includes(k))
        .map(String)
        .join(', ') || 'nothing'
    })`;
  }
  for (const key of before) {
    const was = (PROTOTYPE_BEFORE as Record<PropertyKey, PropertyDescriptor>)[key];
    const is = (now as Record<PropertyKey, PropertyDescriptor | undefined>)[key];
    if (!is || !Object.is(was.value, is.value) || was.get !== is.get || was.set !== is.set) {
      return `Object.prototype.${String(key)} changed`;
    }
  }
  return undefined;
}

/** Fails the test if `Object.prototype` changed since this module loaded. */
export function expectPrototypeUntouched(): void {
  expect(prototypeChange()).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(
    Object.getOwnPropertyNames(PROTOTYPE_BEFORE).sort(),
  );
}

/** One hostile change to a JSON tree; see `applyHostileEdit`. */
export interface HostileEdit {
  readonly kind: 'key' | 'string' | 'value';
  readonly at: number;
  readonly name: number;
  readonly junk: unknown;
}

export const hostileEditArb: fc.Arbitrary<HostileEdit> = fc.record({
  kind: fc.constantFrom('key' as const, 'string' as const, 'value' as const),
  at: fc.nat(),
  name: fc.nat(),
  junk: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ polluted: true })),
});

/**
 * Changes a JSON tree in place, the way a hostile file or link would:
 * - `key`: gives one of its objects an own property named like a member of Object.prototype
 *   (`__proto__` included: defined, not assigned, so JSON.stringify writes it);
 * - `string`: turns one of its strings (an id, an op, a port, a label) into such a name;
 * - `value`: puts such a name in place of any one value.
 * `at` picks the place (depth-first, modulo the count) and `name` the name.
 */
export function applyHostileEdit(root: object, edit: HostileEdit): void {
  const names = [...HOSTILE_NAMES, 'prototype'];
  const name = names[edit.name % names.length];
  const objects: object[] = [];
  const slots: { holder: Record<string, unknown>; key: string; isString: boolean }[] = [];
  const visit = (holder: object): void => {
    if (!Array.isArray(holder)) objects.push(holder);
    for (const key of Object.keys(holder)) {
      const child = (holder as Record<string, unknown>)[key];
      slots.push({
        holder: holder as Record<string, unknown>,
        key,
        isString: typeof child === 'string',
      });
      if (typeof child === 'object' && child !== null) visit(child);
    }
  };
  visit(root);
  if (edit.kind === 'key') {
    const target = objects[edit.at % objects.length];
    Object.defineProperty(target, name, {
      value: structuredClone(edit.junk), // a copy: the same junk may be used twice
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return;
  }
  const candidates = edit.kind === 'string' ? slots.filter((s) => s.isString) : slots;
  if (candidates.length === 0) return;
  const { holder, key } = candidates[edit.at % candidates.length];
  holder[key] = name;
}
