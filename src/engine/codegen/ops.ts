/**
 * How each op is written as code: one declaration per op, keyed by the op's name. An
 * elementwise op gives its forward expression and the local gradient of each port in a
 * `Dialect` (scalar Python, NumPy, PyTorch, TypeScript), and code generation multiplies the
 * local gradient by the upstream one (summing over a broadcast axis). A tensor op gives its
 * NumPy and PyTorch forward expressions and its NumPy backward expression. A test checks that
 * every op of the registry (`ALL_OPS`) has an entry here.
 *
 * Every argument is an atom (a variable name or a parenthesized number), so expressions can be
 * put together without looking at precedence.
 */
import { ALL_OPS } from '../ops';
import type { Shape } from '../types';

export type Language = 'python' | 'numpy' | 'pytorch' | 'typescript';

/** The spelling of the few things elementwise formulas need, in one language. */
export interface Dialect {
  readonly language: Language;
  /** A number as a literal of the language, wrapped in parentheses when negative. */
  num(x: number): string;
  /** `exp`, `log`, `sqrt`, `tanh`, `sin`, `cos`, `abs`, `maximum`, `minimum`, applied. */
  fn(name: MathFunction, ...args: string[]): string;
  /** `cond ? a : b`, entry by entry for arrays. */
  where(cond: string, a: string, b: string): string;
  /** Logical and of two conditions (entry by entry for arrays). */
  and(a: string, b: string): string;
}

export type MathFunction =
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'tanh'
  | 'sin'
  | 'cos'
  | 'abs'
  | 'maximum'
  | 'minimum';

/** An op computed entry by entry (scalars, or arrays of one shape with broadcasting). */
export interface ElementwiseCode {
  readonly kind: 'elementwise';
  /** The comment on its backward lines: `add gate: distributes`. */
  readonly pattern: string;
  readonly forward: (d: Dialect, x: readonly string[]) => string;
  /** ∂y/∂x[port], given the inputs `x` and the output `y` (all atoms). */
  readonly local: (d: Dialect, port: number, x: readonly string[], y: string) => string;
  /** PyTorch's own spelling of the forward, when it differs from the dialect's. */
  readonly torch?: (x: readonly string[]) => string;
}

/** An op on whole arrays: NumPy and PyTorch only. */
export interface TensorCode {
  readonly kind: 'tensor';
  readonly pattern: string;
  readonly numpy: (x: readonly string[], shapes: readonly Shape[]) => string;
  readonly torch: (x: readonly string[], shapes: readonly Shape[]) => string;
  /**
   * What port `port` receives, in NumPy, from the upstream gradient `up` (an atom of the
   * output's shape), the inputs `x` and the output `y`.
   */
  readonly backward: (
    port: number,
    up: string,
    x: readonly string[],
    y: string,
    shapes: readonly Shape[],
  ) => string;
}

/** `input` and `const`: a number written as it is. */
export interface SourceCode {
  readonly kind: 'source';
}

export type OpCode = ElementwiseCode | TensorCode | SourceCode;

const elementwise = (code: Omit<ElementwiseCode, 'kind'>): ElementwiseCode => ({
  kind: 'elementwise',
  ...code,
});

const tensor = (code: Omit<TensorCode, 'kind'>): TensorCode => ({ kind: 'tensor', ...code });

const one = (d: Dialect) => d.num(1);

/** `a > b ? 1 : a < b ? 0 : 0.5`: the larger input takes the gradient, a tie splits it. */
const larger = (d: Dialect, a: string, b: string) =>
  d.where(`${a} > ${b}`, d.num(1), d.where(`${a} < ${b}`, d.num(0), d.num(0.5)));

/** Written as a number in place (a literal), the number; otherwise NaN. */
const literalNumber = (atom: string) => Number(atom.replace(/^T?\(|\)$/g, ''));

/** ∂(a ** b)/∂a, with a literal exponent folded in (`2.0 * xpy` for `xpy ** 2`). */
function powerLocal(d: Dialect, a: string, b: string): string {
  const k = literalNumber(b);
  if (Number.isFinite(k)) {
    if (k === 0) return d.num(0);
    if (k === 1) return d.num(1);
    if (k === 2) return `${d.num(2)} * ${a}`;
    return `${b} * ${a} ** ${d.num(k - 1)}`;
  }
  return d.where(`${b} == 0`, d.num(0), `${b} * ${a} ** (${b} - 1)`);
}

/** A reduction's output broadcast back to its input's shape, for the backward pass. */
const ones = (x: string) => `np.ones_like(${x})`;

function extremum(word: 'max' | 'min'): TensorCode {
  return tensor({
    pattern: `${word} gate: routes to the ${word === 'max' ? 'largest' : 'smallest'} entry (ties share)`,
    numpy: ([x]) => `np.${word}(${x})`,
    torch: ([x]) => `torch.${word}(${x})`,
    backward: (_port, up, [x], y) => `(${x} == ${y}) / np.sum(${x} == ${y}) * ${up}`,
  });
}

function alongAxis(kind: 'sum' | 'mean', axis: 0 | 1): TensorCode {
  const what = axis === 0 ? 'column' : 'row';
  return tensor({
    pattern: `${kind} along axis ${axis}: distributes to every entry of its ${what}${kind === 'mean' ? ', divided by its length' : ''}`,
    numpy: ([x]) => `np.${kind}(${x}, axis=${axis}, keepdims=True)`,
    torch: ([x]) => `torch.${kind}(${x}, ${axis}, keepdim=True)`,
    backward: (_port, up, [x]) =>
      kind === 'sum' ? `${ones(x)} * ${up}` : `${ones(x)} * ${up} / ${x}.shape[${axis}]`,
  });
}

/** A whole number written in place (an index), as Python writes it: `2`. */
const whole = (atom: string) => String(Math.trunc(literalNumber(atom)));

/**
 * The NumPy index of the entry a gate picks: `i` in a vector, `i, 0` in a column, `0, i` in a
 * row, `i, j` in a matrix.
 */
function entryIndex([x, , j]: readonly Shape[], atoms: readonly string[]): string {
  if (j !== undefined) return `${whole(atoms[1])}, ${whole(atoms[2])}`;
  if (x.length === 2) return x[0] === 1 ? `0, ${whole(atoms[1])}` : `${whole(atoms[1])}, 0`;
  return whole(atoms[1]);
}

/** `w[i]` and `W[i, j]`: one entry; its gradient is zero everywhere but there. */
const entryCode = tensor({
  pattern: 'an entry: routes the gradient to that one entry',
  numpy: (x, shapes) => `${x[0]}[${entryIndex(shapes, x)}]`,
  torch: (x, shapes) => `${x[0]}[${entryIndex(shapes, x)}]`,
  backward: (_port, up, x, _y, shapes) => {
    const at = entryIndex(shapes, x);
    return `entry(${x[0]}, ${at.includes(',') ? `(${at})` : `(${at},)`}, ${up})`;
  },
});

/** `[a, b]`, `[[a, b], [c, d]]`: a vector or matrix made of numbers; each gets its entry back. */
function assembleCode(shape: Shape): TensorCode {
  const cols = shape.length === 2 ? shape[1] : 1;
  const rows = (x: readonly string[]) =>
    Array.from({ length: shape[0] ?? 0 }, (_, r) => x.slice(r * cols, (r + 1) * cols));
  return tensor({
    pattern: 'assembled from entries: each entry gets its own entry of the gradient',
    numpy: (x) =>
      shape.length === 2
        ? `np.array([${rows(x)
            .map((r) => `[${r.join(', ')}]`)
            .join(', ')}])`
        : `np.array([${x.join(', ')}])`,
    torch: (x) =>
      shape.length === 2
        ? `torch.stack([${rows(x)
            .map((r) => `torch.stack([${r.join(', ')}])`)
            .join(', ')}])`
        : `torch.stack([${x.join(', ')}])`,
    backward: (port, up) =>
      shape.length === 2 ? `${up}[${Math.floor(port / cols)}, ${port % cols}]` : `${up}[${port}]`,
  });
}

/** Every op's code, by op name (a null-prototype record: op names are data too). */
export const OP_CODE: Readonly<Record<string, OpCode>> = Object.assign(Object.create(null), {
  input: { kind: 'source' },
  const: { kind: 'source' },

  add: elementwise({
    pattern: 'add gate: distributes',
    forward: (_d, [a, b]) => `${a} + ${b}`,
    local: (d) => one(d),
  }),
  sub: elementwise({
    pattern: 'subtract gate: distributes, b with its sign flipped',
    forward: (_d, [a, b]) => `${a} - ${b}`,
    local: (d, port) => d.num(port === 0 ? 1 : -1),
  }),
  mul: elementwise({
    pattern: 'multiply gate: swaps',
    forward: (_d, [a, b]) => `${a} * ${b}`,
    local: (_d, port, [a, b]) => (port === 0 ? b : a),
  }),
  div: elementwise({
    pattern: 'divide gate: 1/b for a, -a/b² for b',
    forward: (_d, [a, b]) => `${a} / ${b}`,
    local: (d, port, [a, b]) => (port === 0 ? `${d.num(1)} / ${b}` : `-${a} / (${b} * ${b})`),
  }),
  pow: elementwise({
    pattern: 'power gate: b·a^(b−1) for a, log(a)·a^b for b',
    forward: (_d, [a, b]) => `${a} ** ${b}`,
    local: (d, port, [a, b], y) =>
      port === 0
        ? powerLocal(d, a, b)
        : d.where(d.and(`${a} == 0`, `${b} >= 0`), d.num(0), `${y} * ${d.fn('log', a)}`),
    torch: ([a, b]) => `torch.pow(${a}, ${b})`,
  }),
  max: elementwise({
    pattern: 'max gate: routes',
    forward: (d, [a, b]) => d.fn('maximum', a, b),
    local: (d, port, [a, b]) => (port === 0 ? larger(d, a, b) : larger(d, b, a)),
  }),
  min: elementwise({
    pattern: 'min gate: routes',
    forward: (d, [a, b]) => d.fn('minimum', a, b),
    local: (d, port, [a, b]) => (port === 0 ? larger(d, b, a) : larger(d, a, b)),
  }),
  neg: elementwise({
    pattern: 'negate gate: flips the sign',
    forward: (_d, [a]) => `-${a}`,
    local: (d) => d.num(-1),
  }),
  square: elementwise({
    pattern: 'square gate: 2x',
    forward: (_d, [a]) => `${a} * ${a}`,
    local: (d, _p, [a]) => `${d.num(2)} * ${a}`,
  }),
  inv: elementwise({
    pattern: '1/x gate: -1/x²',
    forward: (d, [a]) => `${d.num(1)} / ${a}`,
    local: (_d, _p, _x, y) => `-(${y} * ${y})`,
  }),
  identity: elementwise({
    pattern: 'identity gate: passes it on',
    forward: (_d, [a]) => a,
    local: (d) => one(d),
  }),
  exp: elementwise({
    pattern: 'exp gate: its own output',
    forward: (d, [a]) => d.fn('exp', a),
    local: (_d, _p, _x, y) => y,
  }),
  log: elementwise({
    pattern: 'log gate: 1/x',
    forward: (d, [a]) => d.fn('log', a),
    local: (d, _p, [a]) => `${d.num(1)} / ${a}`,
  }),
  sqrt: elementwise({
    pattern: 'sqrt gate: 1/(2·sqrt(x))',
    forward: (d, [a]) => d.fn('sqrt', a),
    local: (d, _p, _x, y) => `${d.num(0.5)} / ${y}`,
  }),
  abs: elementwise({
    pattern: 'abs gate: routes with the sign of x',
    forward: (d, [a]) => d.fn('abs', a),
    local: (d, _p, [a]) => d.where(`${a} > 0`, d.num(1), d.where(`${a} < 0`, d.num(-1), d.num(0))),
  }),
  relu: elementwise({
    pattern: 'ReLU gate: routes where x > 0',
    forward: (d, [a]) => d.fn('maximum', a, d.num(0)),
    local: (d, _p, [a]) => d.where(`${a} > 0`, d.num(1), d.num(0)),
    torch: ([a]) => `torch.relu(${a})`,
  }),
  sigmoid: elementwise({
    pattern: 'sigmoid gate: (1 - σ)·σ',
    forward: (d, [a]) => `${d.num(1)} / (${d.num(1)} + ${d.fn('exp', `-${a}`)})`,
    local: (d, _p, _x, y) => `(${d.num(1)} - ${y}) * ${y}`,
    torch: ([a]) => `torch.sigmoid(${a})`,
  }),
  tanh: elementwise({
    pattern: 'tanh gate: 1 - tanh²',
    forward: (d, [a]) => d.fn('tanh', a),
    local: (d, _p, _x, y) => `${d.num(1)} - ${y} * ${y}`,
  }),
  sin: elementwise({
    pattern: 'sin gate: cos x',
    forward: (d, [a]) => d.fn('sin', a),
    local: (d, _p, [a]) => d.fn('cos', a),
  }),
  cos: elementwise({
    pattern: 'cos gate: -sin x',
    forward: (d, [a]) => d.fn('cos', a),
    local: (d, _p, [a]) => `-${d.fn('sin', a)}`,
  }),

  matmul: tensor({
    pattern: 'matrix product: dA = dD·Bᵀ, dB = Aᵀ·dD (the only shapes that fit)',
    numpy: ([a, b]) => `${a}.dot(${b})`,
    torch: ([a, b]) => `${a} @ ${b}`,
    backward: (port, up, [a, b], _y, [sa, sb]) => {
      if (sa.length === 1 && sb.length === 1) return port === 0 ? `${up} * ${b}` : `${up} * ${a}`;
      if (sa.length === 1) return port === 0 ? `${b}.dot(${up})` : `np.outer(${a}, ${up})`;
      if (sb.length === 1) return port === 0 ? `np.outer(${up}, ${b})` : `${a}.T.dot(${up})`;
      return port === 0 ? `${up}.dot(${b}.T)` : `${a}.T.dot(${up})`;
    },
  }),
  transpose: tensor({
    pattern: 'transpose: the gradient transposed back',
    numpy: ([x]) => `${x}.T`,
    torch: ([x]) => `${x}.t()`,
    backward: (_port, up) => `${up}.T`,
  }),
  sum: tensor({
    pattern: 'sum gate: distributes to every entry',
    numpy: ([x]) => `np.sum(${x})`,
    torch: ([x]) => `torch.sum(${x})`,
    backward: (_port, up, [x]) => `${ones(x)} * ${up}`,
  }),
  mean: tensor({
    pattern: 'mean gate: distributes 1/n to every entry',
    numpy: ([x]) => `np.mean(${x})`,
    torch: ([x]) => `torch.mean(${x})`,
    backward: (_port, up, [x]) => `${ones(x)} * ${up} / np.size(${x})`,
  }),
  sum0: alongAxis('sum', 0),
  sum1: alongAxis('sum', 1),
  mean0: alongAxis('mean', 0),
  mean1: alongAxis('mean', 1),
  reducemax: extremum('max'),
  reducemin: extremum('min'),
  index: entryCode,
  index2: entryCode,
} satisfies Record<string, OpCode>);

// The ops made of entries come as a family, one op per shape: each gets its declaration here.
for (const op of ALL_OPS) {
  const array = (op.syntax as { readonly array?: { readonly shape: Shape } }).array;
  if (array && !Object.hasOwn(OP_CODE, op.name)) {
    (OP_CODE as Record<string, OpCode>)[op.name] = assembleCode(array.shape);
  }
}

/** Whether a circuit's NumPy code needs the `entry` helper (it picks entries). */
export const usesEntry = (op: string) => op === 'index' || op === 'index2';

/** The code declaration of an op, or undefined for an op this table does not know. */
export function opCode(name: string): OpCode | undefined {
  return Object.hasOwn(OP_CODE, name) ? OP_CODE[name] : undefined;
}
