/**
 * The shared vocabulary of the engine. Branded ids keep a node id from being passed where a
 * port name is expected (and the other way round).
 */
export type NodeId = string & { readonly __brand: 'NodeId' };
export type PortName = string & { readonly __brand: 'PortName' };

export const nodeId = (id: string): NodeId => id as NodeId;
export const portName = (name: string): PortName => name as PortName;

/** `[]` is a scalar, `[n]` a vector, `[rows, cols]` a matrix. Row-major. */
export type Shape = readonly [] | readonly [number] | readonly [number, number];

export interface Tensor {
  readonly shape: Shape;
  readonly data: Float64Array;
}

/** What a user writes for a value: a number, or nested arrays of numbers (rank ≤ 2). */
export type NestedNumbers = number | readonly number[] | readonly (readonly number[])[];

/** A value as the engine hands it out: a plain number for a scalar, a tensor otherwise. */
export type Value = number | Tensor;

export interface Position {
  readonly x: number;
  readonly y: number;
}

export interface CircuitNode {
  readonly id: NodeId;
  /** An op name from the registry (`input`, `const`, `add`, `mul`, …). */
  readonly op: string;
  readonly label?: string;
  readonly position?: Position;
  /** For `input` and `const` nodes. */
  readonly value?: Tensor;
  /**
   * Literals written inside a gate, keyed by the op's port name: `x ** 2` is a `pow` gate with
   * `{ b: 2 }` (as a scalar tensor) and one wire, into port a. A port has exactly one of a wire
   * or a literal. A literal has no gradient; its shape must fit the op as a wire's would.
   */
  readonly params?: Readonly<Record<string, Tensor>>;
}

/** A wire carries the output of `from` into the port `port` of `to`. */
export interface Wire {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly port: PortName;
}

export interface Circuit {
  readonly nodes: readonly CircuitNode[];
  readonly wires: readonly Wire[];
  /** The node whose value is f. `null` while a circuit is being built. */
  readonly output: NodeId | null;
}
