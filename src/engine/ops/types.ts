import type { PortName, Shape, Tensor } from '../types';

export type OpFamily = 'source' | 'arithmetic' | 'function' | 'matrix';

interface OpBase {
  /** The op's name: the key in the registry, in files and links. Never change it. */
  readonly name: string;
  /** What a user reads: "multiply", "sigmoid". */
  readonly title: string;
  readonly family: OpFamily;
  /** Shown on the gate: "+", "×", "σ", "exp". */
  readonly symbol: string;
  /** Input port names, in order. They are also the canvas handle ids. */
  readonly ports: readonly PortName[];
  /** The forward formula in TeX, written with the port names: `a \cdot b`. */
  readonly formula: string;
  /** The local gradient with respect to each port, in TeX, in port order. */
  readonly localGradFormulas: readonly string[];
  /** The backprop pattern this gate shows, if it has a name ("a multiply gate swaps"). */
  readonly pattern?: string;
}

/** `input` and `const`: no ports, the value comes from the node. */
export interface SourceOp extends OpBase {
  readonly kind: 'source';
}

/**
 * An elementwise op of one input. `f` is the forward function; `df(x, y)` is the local
 * gradient ∂y/∂x, given the input x and the cached output y = f(x).
 */
export interface UnaryOp extends OpBase {
  readonly kind: 'unary';
  readonly f: (x: number) => number;
  readonly df: (x: number, y: number) => number;
  /**
   * A routing gate (relu, abs) passes exactly 0 where its local gradient is 0, even when the
   * upstream gradient is ±∞ or NaN.
   */
  readonly routes?: boolean;
  /** Which side of a kink x is on; used to flag numerical checks that straddle one. */
  readonly branch?: (x: number) => number;
  /** Why an input gives a non-finite output, if it does ("log of a negative number"). */
  readonly domain?: (x: number) => string | undefined;
}

/**
 * An elementwise op of two inputs (a scalar broadcasts against a tensor). `da` and `db` are
 * the local gradients, given the inputs and the cached output.
 */
export interface BinaryOp extends OpBase {
  readonly kind: 'binary';
  readonly f: (a: number, b: number) => number;
  readonly da: (a: number, b: number, y: number) => number;
  readonly db: (a: number, b: number, y: number) => number;
  readonly routes?: boolean;
  readonly branch?: (a: number, b: number) => number;
  readonly domain?: (a: number, b: number) => string | undefined;
}

/**
 * An op on whole tensors (matrix product, sums, transpose). `vjp` adds the contribution to
 * the gradient of input `port` into `acc` (which has that input's shape): acc += upstream · J.
 */
export interface TensorOp extends OpBase {
  readonly kind: 'tensor';
  /** The output shape, or a message saying why these input shapes do not fit. */
  readonly inferShape: (inputs: readonly Shape[]) => Shape | string;
  readonly forward: (inputs: readonly Tensor[], out: Tensor) => void;
  readonly vjp: (
    inputs: readonly Tensor[],
    out: Tensor,
    upstream: Tensor,
    port: number,
    acc: Float64Array,
  ) => void;
  /** Routing reductions (max/min over a tensor) pass exactly 0 to the entries they skip. */
  readonly branch?: (inputs: readonly Tensor[]) => number;
}

export type OpDef = SourceOp | UnaryOp | BinaryOp | TensorOp;
