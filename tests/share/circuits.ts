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
