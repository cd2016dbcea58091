/**
 * Circuit builders and random circuits shared by the codec tests (file, link) and the
 * autosave tests.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { ALL_OPS, getOp, isSource } from '../../src/engine/ops';
import { mulberry32 } from '../../src/engine/random';
import {
  type Circuit,
  type CircuitNode,
  nodeId,
  portName,
  type Shape,
  type Tensor,
  type Wire,
} from '../../src/engine/types';
import { encodeTensor, FILE_FORMAT } from '../../src/share/file';
import { HOSTILE_NAMES } from '../hostileNames';

export const t = (shape: Shape, data: number[]): Tensor => ({
  shape,
  data: Float64Array.from(data),
});

export function node(
  id: string,
  op: string,
  extra: {
    label?: string;
    position?: { x: number; y: number };
    value?: Tensor;
    params?: Record<string, Tensor>;
  } = {},
): CircuitNode {
  return { id: nodeId(id), op, ...extra };
}

/** A scalar literal for a gate's params: `params: { b: lit(2) }`. */
export const lit = (x: number): Tensor => t([], [x]);

export function wire(from: string, to: string, port: string): Wire {
  return { from: nodeId(from), to: nodeId(to), port: portName(port) };
}

/**
 * The same circuit, number for number: Object.is on every value, parameter and position entry
 * (so NaN, -0 and ±Infinity count), the same fields on every node, the same parameter ports,
 * the same wires and output. Throws once with the first difference (plain code, no `expect`:
 * property tests call it thousands of times).
 */
export function expectSameCircuit(actual: Circuit, expected: Circuit): void {
  const difference = circuitDifference(actual, expected);
  if (difference !== undefined) throw new Error(difference);
}

/** The first difference between two circuits, as a sentence; undefined when they are the same. */
export function circuitDifference(actual: Circuit, expected: Circuit): string | undefined {
  if (actual.output !== expected.output) return `output: ${actual.output} ≠ ${expected.output}`;
  if (actual.nodes.length !== expected.nodes.length) {
    return `node count: ${actual.nodes.length} ≠ ${expected.nodes.length}`;
  }
  for (let i = 0; i < expected.nodes.length; i++) {
    const got = actual.nodes[i];
    const want = expected.nodes[i];
    const where = `node ${i} (${JSON.stringify(want.id)})`;
    const gotKeys = Object.keys(got).sort().join();
    const wantKeys = Object.keys(want).sort().join();
    if (gotKeys !== wantKeys) return `${where} fields: ${gotKeys} ≠ ${wantKeys}`;
    if (got.id !== want.id || got.op !== want.op || got.label !== want.label) {
      return `${where}: ${got.id}/${got.op}/${got.label} ≠ ${want.id}/${want.op}/${want.label}`;
    }
    if (want.position) {
      if (
        !Object.is(got.position?.x, want.position.x) ||
        !Object.is(got.position?.y, want.position.y)
      ) {
        return `${where} position: ${JSON.stringify(got.position)} ≠ ${JSON.stringify(want.position)}`;
      }
    }
    if (want.value) {
      const difference = tensorDifference(got.value, want.value);
      if (difference) return `${where} value: ${difference}`;
    }
    if (want.params) {
      // The ports holding parameters, in any order (a file writes them in the op's order).
      const gotPorts = Object.keys(got.params ?? {})
        .sort()
        .join();
      const wantPorts = Object.keys(want.params).sort().join();
      if (gotPorts !== wantPorts) return `${where} params: ports ${gotPorts} ≠ ${wantPorts}`;
      for (const port of Object.keys(want.params)) {
        const difference = tensorDifference(got.params?.[port], want.params[port]);
        if (difference) return `${where} parameter ${port}: ${difference}`;
      }
    }
  }
  if (actual.wires.length !== expected.wires.length) {
    return `wire count: ${actual.wires.length} ≠ ${expected.wires.length}`;
  }
  for (let i = 0; i < expected.wires.length; i++) {
    const got = actual.wires[i];
    const want = expected.wires[i];
    if (
      Object.keys(got).length !== 3 ||
      got.from !== want.from ||
      got.to !== want.to ||
      got.port !== want.port
    ) {
      return `wire ${i}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`;
    }
  }
  return undefined;
}

function tensorDifference(got: Tensor | undefined, want: Tensor): string | undefined {
  if (!got || !(got.data instanceof Float64Array)) return 'not a tensor';
  if (got.shape.length !== want.shape.length || got.shape.join() !== want.shape.join()) {
    return `shape [${got.shape}] ≠ [${want.shape}]`;
  }
  if (got.data.length !== want.data.length) return 'length differs';
  for (let j = 0; j < want.data.length; j++) {
    if (!Object.is(got.data[j], want.data[j])) return `[${j}]: ${got.data[j]} ≠ ${want.data[j]}`;
  }
  return undefined;
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
  /**
   * How likely each port of a gate is to hold a parameter instead of taking wires, in tenths
   * (0 … 10); 3 when not given, 0 for circuits without parameters.
   */
  readonly paramTenths?: number;
}

/** The most ports any op has. */
const MAX_PORTS = Math.max(...ALL_OPS.map((op) => op.ports.length));

/**
 * Random circuits of the current format for round trips: any op but the first format's
 * `const`, hostile ids (`__proto__`…), values and parameters holding NaN, ±Infinity, -0 and
 * subnormals, parameters in some ports of some gates, wires into the other ports (not
 * necessarily a valid circuit).
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
  const paramTenths = limits.paramTenths ?? 3;
  const nodeArb = fc.record(
    {
      id: idArb,
      op: fc.constantFrom(...ALL_OPS.filter((op) => op.name !== 'const').map((op) => op.name)),
      label: fc.string({ maxLength: limits.maxLabel, unit: 'binary' }),
      position: fc.record({ x: limits.coordinate, y: limits.coordinate }),
      value: tensorArb,
      params: fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), tensorArb), {
        minLength: MAX_PORTS,
        maxLength: MAX_PORTS,
      }),
    },
    { requiredKeys: ['id', 'op', 'value', 'params'] },
  );
  return fc
    .uniqueArray(nodeArb, { selector: (n) => n.id, maxLength: limits.maxNodes })
    .chain((raw) => {
      const nodes: CircuitNode[] = raw.map(({ value, params: drawn, ...rest }) => {
        const ports = getOp(rest.op)?.ports ?? [];
        const params: Record<string, Tensor> = {};
        ports.forEach((port, i) => {
          if (drawn[i][0] < paramTenths) params[port] = drawn[i][1];
        });
        return {
          ...rest,
          id: nodeId(rest.id),
          ...(isSource(rest.op) ? { value } : {}),
          ...(Object.keys(params).length > 0 ? { params } : {}),
        };
      });
      // Wires go into the ports that hold no parameter.
      const openPorts = nodes.flatMap((n) =>
        (getOp(n.op)?.ports ?? [])
          .filter((port) => !n.params || !Object.hasOwn(n.params, port))
          .map((port) => ({ to: n.id, port })),
      );
      const wires =
        nodes.length === 0 || openPorts.length === 0
          ? fc.constant([] as Wire[])
          : fc.array(
              fc.tuple(fc.nat(), fc.nat()).map(([a, b]): Wire => {
                const { to, port } = openPorts[b % openPorts.length];
                return { from: nodes[a % nodes.length].id, to, port };
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
 * A file object of format version 1, as the first version of the app wrote it: numbers as
 * `const` nodes, no params. (The app itself now writes version 2 only.)
 */
export function toV1FileObject(circuit: Circuit): Record<string, unknown> {
  return {
    format: FILE_FORMAT,
    version: 1,
    nodes: circuit.nodes.map((n) => ({
      id: n.id,
      op: n.op,
      ...(n.label === undefined ? {} : { label: n.label }),
      ...(n.position ? { position: { x: n.position.x, y: n.position.y } } : {}),
      ...(n.value ? { value: encodeTensor(n.value) } : {}),
    })),
    wires: circuit.wires.map((w) => ({ from: w.from, to: w.to, port: w.port })),
    output: circuit.output,
  };
}

const UNARY = [
  'neg',
  'square',
  'inv',
  'identity',
  'exp',
  'log',
  'sqrt',
  'abs',
  'relu',
  'sigmoid',
  'tanh',
  'sin',
  'cos',
];
const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min'];
const REDUCE = ['sum', 'mean', 'reducemax', 'reducemin'];

/**
 * A random circuit of the first format that compiles: inputs and `const` nodes of scalars,
 * vectors and matrices (a few of them NaN, ±Infinity or -0), and gates of every kind whose
 * operands fit. Constants are read by one gate, by several, by both ports of one gate, or by
 * none, and now and then the output is a constant. For the version 1 → 2 migration.
 */
export function randomV1Circuit(random: () => number): Circuit {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const nodes: CircuitNode[] = [];
  const shapes: Shape[] = [];
  const wires: Wire[] = [];
  const number = () => {
    const r = random();
    if (r < 0.03) return pick([Number.NaN, Number.POSITIVE_INFINITY, -0, 0]);
    if (r < 0.4) return pick([1, 2, -1, 0.5, 3, -2]);
    return Math.round((random() * 8 - 4) * 1000) / 1000;
  };
  const shapeArb = (): Shape => {
    const r = random();
    if (r < 0.6) return [];
    if (r < 0.8) return [1 + Math.floor(random() * 3)];
    return [1 + Math.floor(random() * 3), 1 + Math.floor(random() * 3)];
  };
  const add = (id: string, op: string, shape: Shape, extra: Partial<CircuitNode> = {}) => {
    nodes.push({ id: nodeId(id), op, ...extra });
    shapes.push(shape);
    return nodes.length - 1;
  };
  const source = (op: 'input' | 'const', shape: Shape) => {
    const size = shape.reduce((a: number, b: number) => a * b, 1);
    const id = `${op === 'input' ? 'x' : 'c'}${nodes.length}`;
    return add(id, op, shape, {
      value: t(shape, Array.from({ length: size }, number)),
      ...(random() < 0.5 ? { position: { x: nodes.length * 40, y: 0 } } : {}),
    });
  };
  const same = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);
  /** An earlier node of this shape (a constant, more often than not), or a new one. */
  const operand = (shape: Shape): number => {
    const fits = shapes.flatMap((s, i) => (same(s, shape) ? [i] : []));
    const constants = fits.filter((i) => nodes[i].op === 'const');
    const r = random();
    if (r < 0.35 && constants.length > 0) return pick(constants);
    if (r < 0.55) return source('const', shape);
    if (fits.length > 0) return pick(fits);
    return source(random() < 0.5 ? 'const' : 'input', shape);
  };
  const connect = (from: number, to: number, port: string) => {
    wires.push({ from: nodes[from].id, to: nodes[to].id, port: portName(port) });
  };

  const inputs = 1 + Math.floor(random() * 3);
  for (let i = 0; i < inputs; i++) source('input', shapeArb());
  const gates = 2 + Math.floor(random() * 8);
  for (let g = 0; g < gates; g++) {
    const a = pick(nodes.map((_, i) => i));
    const sa = shapes[a];
    const kind = random();
    const id = `g${nodes.length}`;
    if (kind < 0.45) {
      const op = pick(BINARY);
      // The other operand: the same shape, or a scalar; now and then the same node twice.
      const b = random() < 0.08 ? a : operand(random() < 0.3 ? [] : sa);
      const swap = random() < 0.3;
      const gate = add(id, op, shapes[b].length === 0 ? sa : shapes[b]);
      connect(swap ? b : a, gate, 'a');
      connect(swap ? a : b, gate, 'b');
    } else if (kind < 0.8) {
      const gate = add(id, pick(UNARY), sa);
      connect(a, gate, 'x');
    } else if (kind < 0.9 && sa.length === 2) {
      const cols = 1 + Math.floor(random() * 3);
      const b = operand([sa[1], cols]);
      const gate = add(id, 'matmul', [sa[0], cols]);
      connect(a, gate, 'a');
      connect(b, gate, 'b');
    } else if (kind < 0.95 && sa.length === 2) {
      const gate = add(id, 'transpose', [sa[1], sa[0]]);
      connect(a, gate, 'x');
    } else {
      const gate = add(id, pick(REDUCE), []);
      connect(a, gate, 'x');
    }
  }
  // Now and then a constant no gate reads, and now and then the output is a constant.
  if (random() < 0.3) source('const', shapeArb());
  const constants = nodes.flatMap((n, i) => (n.op === 'const' ? [i] : []));
  const output = random() < 0.08 && constants.length > 0 ? pick(constants) : nodes.length - 1;
  return { nodes, wires, output: nodes[output].id };
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

/** A small deterministic generator of numbers in [0, 1): the engine's own (mulberry32). */
export const seededRandom = mulberry32;

export { HOSTILE_NAMES };

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
