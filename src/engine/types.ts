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
  /**
   * The circuit's own gates (composites and custom gates), in definition order: a node whose
   * op is one of these names is one gate computing that definition. A definition may use
   * only the registry's ops and the definitions before it, so none is recursive.
   */
  readonly gates?: readonly GateDef[];
}

/**
 * A gate made of other gates: grouped from a circuit, or defined from an expression
 * (`softplus(x) = log(1 + exp(x))`). Its inside is a circuit of its own whose inputs are the
 * ports (an input node per port, its id the port's name, its value only a placeholder) and
 * whose output is the gate's value. Backpropagation inside it gives its local gradients,
 * unless a hand-written one is given for a port and passes the numerical check.
 */
export interface GateDef {
  /** The name gates use as their op and programs call: an identifier, not an op of the registry. */
  readonly name: string;
  readonly ports: readonly PortName[];
  /** Node ids and positions are kept, so the gates it was grouped from come back as they were. */
  readonly body: Circuit;
  /** One entry per port: a hand-written local gradient ∂gate/∂port, or null. */
  readonly derivatives?: readonly (GateDerivative | null)[];
  /**
   * Where the composite was put when it was grouped: a composite expanded at this position
   * puts every inner gate back exactly where it was (one elsewhere shifts them with it).
   */
  readonly anchor?: Position;
}

/** `d/dx = sigmoid(x)`: the text as written and the circuit it makes (its inputs are the ports). */
export interface GateDerivative {
  readonly text: string;
  readonly body: Circuit;
}
