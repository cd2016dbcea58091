import type { PortName, Shape, Tensor } from '../types';

export type OpFamily = 'source' | 'arithmetic' | 'function' | 'matrix' | 'custom';

/**
 * The literals written inside a gate, keyed by the port they take the place of: `x ** 2` is a
 * `pow` gate with `{ b: 2 }`. A port holds either a wire or a literal, never both.
 */
export type Params = Readonly<Record<string, Tensor>>;

// ---------------------------------------------------------------------------------------------
// How the expression language spells an op

/** Binding strengths, weakest first: an operand weaker than its place needs parentheses. */
export const PRECEDENCE = {
  additive: 1,
  multiplicative: 2,
  /** A leading minus: `-x^2` is `-(x^2)`, and `2 * -x` needs no parentheses. */
  prefix: 3,
  power: 4,
  /** Names, numbers, calls and parenthesized expressions. */
  atom: 5,
} as const;

/** Written between its two operands: `a + b`. */
export interface InfixSyntax {
  readonly token: string;
  /** Other tokens that mean the same (`**` for `^`); the printer writes `token`. */
  readonly aliases?: readonly string[];
  readonly precedence: number;
  /** `left`: `a - b - c` is `(a - b) - c`; `right`: `a ^ b ^ c` is `a ^ (b ^ c)`. */
  readonly associativity: 'left' | 'right';
}

/** Written before its operand: `-x`. */
export interface PrefixSyntax {
  readonly token: string;
  readonly precedence: number;
}

/** Called by name, with one argument per port: `sigmoid(x)`, `max(a, b)`. */
export interface CallSyntax {
  readonly name: string;
  readonly aliases?: readonly string[];
  /**
   * What this op computes, for the message when a call has the wrong number of arguments and
   * several ops share the name: `max` of 1 argument is "the largest entry of a tensor".
   */
  readonly hint?: string;
  /**
   * For a reduction along one axis: the call takes the axis as a second argument, a number
   * written in place (`sum(t, 0)`), and this op is the one for that axis. The op itself has
   * one port; the parser picks the op by the number and the printer writes it back.
   */
  readonly axis?: number;
}

/**
 * How an op the language has no spelling of its own is written: as another op with literals in
 * some of its ports (`square` as `x ^ 2`), or as its operand alone (`identity`: `a = x`).
 */
export interface Rewrite {
  readonly op: string;
  /** For each port of this op, in order, the port of `op` it becomes. */
  readonly ports: readonly PortName[];
  /** The other ports of `op`, and the numbers written there. */
  readonly params: Readonly<Record<string, number>>;
}

/**
 * How an op is read and written. The parser's operator and function tables, the names it
 * reserves, and the printer's tables are all built from these (see `syntax.ts`). The printer
 * writes the first of `infix`, `prefix`, `call`, `rewrite` an op has.
 */
export interface OpSyntax {
  readonly infix?: InfixSyntax;
  readonly prefix?: PrefixSyntax;
  readonly call?: CallSyntax;
  readonly rewrite?: Rewrite | 'operand';
  /**
   * Written after its operand in brackets, with whole numbers written in place: `w[1]` (one
   * index), `W[1, 2]` or `W[1][2]` (two). The op's first port is the operand; the others hold
   * the indices as literals.
   */
  readonly subscript?: { readonly indices: 1 | 2 };
  /**
   * Written as an array of expressions, one per port in row-major order: `[a, b, c]` for a
   * vector of this length, `[[a, b], [c, d]]` for a matrix of this shape. (An array of
   * numbers alone is a literal, not this op.)
   */
  readonly array?: { readonly shape: readonly [number] | readonly [number, number] };
}

// ---------------------------------------------------------------------------------------------
// The declaration

interface OpBase {
  /** The op's name: the key in the registry, in files and links. Never change it. */
  readonly name: string;
  /** What a user reads: "multiply", "sigmoid". */
  readonly title: string;
  readonly family: OpFamily;
  /** Shown on a gate without literals: "+", "×", "σ", "exp". */
  readonly symbol: string;
  /** Input port names, in order. They are also the canvas handle ids and the keys of params. */
  readonly ports: readonly PortName[];
  /** The forward formula in TeX, written with the port names: `a \cdot b`. */
  readonly formula: string;
  /** The local gradient with respect to each port, in TeX, in port order. */
  readonly localGradFormulas: readonly string[];
  /** The backprop pattern this gate shows, if it has a name ("a multiply gate swaps"). */
  readonly pattern?: string;
  readonly syntax: OpSyntax;
  /**
   * What a gate with these literals shows: `×−1` for `mul` with `{ b: -1 }`, `+1`, `1/x`, `x²`,
   * `max(·, 0)`. With no literals, the symbol.
   */
  readonly paramLabel: (params: Params) => string;
  /** The same, as words to be read aloud: "times -1", "plus 1", "1 over x", "squared". */
  readonly paramSpeech: (params: Params) => string;
  /**
   * The local gradient with respect to each port, in port order, in TeX, with the literals
   * folded in: `\frac{\partial}{\partial x}\left(x^{2}\right) = 2x` for `pow` with `{ b: 2 }`.
   * `null` for a port that holds a literal (it has no gradient).
   */
  readonly paramGradTex: (params: Params) => readonly (string | null)[];
  /** The literal settings a palette offers for this op, such as `{ b: 2 }` (x²); may be empty. */
  readonly presets: readonly Readonly<Record<string, number>>[];
}

/** `input` and `const`: no ports, the value comes from the node. */
export interface SourceOp extends OpBase {
  readonly kind: 'source';
}

/**
 * An elementwise op of one input. `f` is the forward function; `df(x, y)` is the local
 * gradient ∂y/∂x, given the input x and the cached output y = f(x).
 *
 * Its fast path: on scalars the hot loop calls `f` and `df` from a case of their own, where V8
 * inlines them (see `fastpath.ts`), so both are plain functions of numbers.
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
 *
 * Its fast path: on scalars the hot loop calls `f`, `da` and `db` from cases of their own (one
 * for both ports wired, one for each port holding a literal, which computes only the wired
 * side), and `lower` may name a cheaper op for a literal form.
 */
export interface BinaryOp extends OpBase {
  readonly kind: 'binary';
  readonly f: (a: number, b: number) => number;
  readonly da: (a: number, b: number, y: number) => number;
  readonly db: (a: number, b: number, y: number) => number;
  readonly routes?: boolean;
  readonly branch?: (a: number, b: number) => number;
  readonly domain?: (a: number, b: number) => string | undefined;
  /**
   * A unary op that computes exactly what this gate computes with these literals, on its one
   * wired port (values and local gradient, bit for bit): `pow` with `{ b: 2 }` is `square`.
   * The hot loop runs the gate as that op; what is drawn and stepped stays this op.
   */
  readonly lower?: (params: Params) => UnaryOp | undefined;
}

/**
 * Where a tensor gate's operands live in the program's flat arrays. Compile makes one per
 * tensor gate, once: the passes read and write the flat arrays directly, with no view objects.
 */
export interface TensorGate {
  /** Offset of each port's value (its wire's source, or its literal) in the value array. */
  readonly inputs: Int32Array;
  /** The shape of each port's value. */
  readonly shapes: readonly Shape[];
  /** Offset of the gate's own value (and of its upstream gradient, in the gradient array). */
  readonly out: number;
  readonly outShape: Shape;
}

/**
 * An op on whole tensors (matrix product, sums, transpose). `forward` writes the output from
 * the values `v`; `vjp` adds the contribution to port `port` (upstream · J, the upstream
 * gradient read from `g` at `gate.out`) into `acc[at …]`, which has that port's shape.
 */
export interface TensorOp extends OpBase {
  readonly kind: 'tensor';
  /**
   * The output shape, or a message saying why these input shapes do not fit. `literals` holds
   * each port's literal (undefined for a wired port), for an op whose literals are part of
   * what it computes (the indices of `W[1, 2]`).
   */
  readonly inferShape: (
    inputs: readonly Shape[],
    literals?: readonly (Tensor | undefined)[],
  ) => Shape | string;
  readonly forward: (v: Float64Array, gate: TensorGate) => void;
  readonly vjp: (
    v: Float64Array,
    g: Float64Array,
    gate: TensorGate,
    port: number,
    acc: Float64Array,
    at: number,
  ) => void;
  /** Routing reductions (max/min over a tensor) pass exactly 0 to the entries they skip. */
  readonly branch?: (v: Float64Array, gate: TensorGate) => number;
  /**
   * The local gradient of port `port` entrywise (∂out[i]/∂in[i]), for an op that has one as a
   * number per entry (a composite of elementwise gates); otherwise the step shows only the
   * contribution.
   */
  readonly local?: (inputs: readonly Tensor[], port: number) => Float64Array | null;
}

export type OpDef = SourceOp | UnaryOp | BinaryOp | TensorOp;
