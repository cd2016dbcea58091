/**
 * Entries in and out of tensors: taking one entry of a vector or a matrix as a scalar gate
 * (`w[1]`, `W[1, 2]`), and assembling a small vector or matrix from scalar gates
 * (`[a, b, c]`, `[[a, b], [c, d]]`). Together they take a matrix product apart into the
 * scalar gates it is made of, and put it back together (Expand and Collapse).
 *
 * An index is a whole number written in place, stored as a literal in the ports `i` (and
 * `j`): it is part of the gate, has no gradient and cannot be wired.
 */
import { formatLiteral, formatShort } from '../format';
import { LIMITS } from '../limits';
import { formatShape, shapeInWords } from '../tensor';
import { type PortName, portName, type Shape, type Tensor } from '../types';
import { X } from './define';
import type { Params, TensorGate, TensorOp } from './types';

export const I = portName('i');
export const J = portName('j');

/** The literal number in `port`, or undefined when it holds none (or not a scalar). */
function literalNumber(params: Params, port: PortName): number | undefined {
  if (!Object.hasOwn(params, port)) return undefined;
  const t = params[port];
  return t.shape.length === 0 ? t.data[0] : undefined;
}

/** An index as a gate shows it; one not written in place yet by its port's name. */
const shown = (n: number | undefined, port: string) => (n === undefined ? port : formatShort(n));

/** A vector of any orientation: its length, or undefined for a scalar or a true matrix. */
export function vectorLength(shape: Shape): number | undefined {
  if (shape.length === 1) return shape[0];
  if (shape.length === 2 && (shape[0] === 1 || shape[1] === 1)) return shape[0] * shape[1];
  return undefined;
}

/** `0 to 2`, or `only 0` for a dimension of one. */
const range = (size: number) => (size === 1 ? 'only 0' : `0 to ${size - 1}`);

/**
 * What is wrong with one index (`what`: "row", "column" or "index") into a dimension of
 * `size` of `of` ("W, a 2×3 matrix"), or undefined when it fits.
 */
function badIndex(what: string, value: number, size: number, of: string): string | undefined {
  const plural = what === 'index' ? 'indices' : `${what}s`;
  const fits = `${plural} of ${of}, go from ${range(size)}`;
  if (!Number.isInteger(value))
    return `${what} ${formatShort(value)} is not a whole number: ${fits}`;
  if (value < 0) {
    return `${what} ${formatShort(value)} is negative: indices count from 0, and ${fits}`;
  }
  if (value >= size) return `${what} ${value} is outside ${of}: ${plural} go from ${range(size)}`;
  return undefined;
}

/**
 * Why an index gate with these indices (one or two, each a number or undefined for one not
 * known yet) cannot take an entry of `name`, a value of shape `shape`, or undefined when it
 * can. Shared by compile (through `inferShape`) and the parser (which knows the shape of a
 * declared input, and says so at the line and column).
 */
export function indexProblem(
  shape: Shape,
  indices: readonly (number | undefined)[],
  name?: string,
): string | undefined {
  const count = indices.length;
  // Unnamed (a gate's output, as compile sees it), the fix is written without a name.
  const written = name ?? '';
  name ??= 'its input';
  if (shape.length === 0) {
    return `${name} is a scalar (one number) and has no entries to pick: use ${name} without [ ]`;
  }
  const length = vectorLength(shape);
  if (count === 1 && length === undefined) {
    const [r, c] = shape as readonly [number, number];
    return `${name} is a ${formatShape(shape)} matrix, so an entry takes two indices: write ${written}[i, j] with the row i from ${range(r)} and the column j from ${range(c)}`;
  }
  if (count === 2 && shape.length === 1) {
    return `${name} is ${shapeInWords(shape)}, so an entry takes one index: write ${written}[i] with i from ${range(shape[0])}`;
  }
  if (count === 1) {
    const of = `${name}, ${shape.length === 1 ? shapeInWords(shape) : `a ${formatShape(shape)} ${shape[0] === 1 ? 'row' : 'column'}`}`;
    return indices[0] === undefined
      ? undefined
      : badIndex('index', indices[0], length as number, of);
  }
  const [r, c] = shape as readonly [number, number];
  const of = `${name}, a ${formatShape(shape)} matrix`;
  return (
    (indices[0] === undefined ? undefined : badIndex('row', indices[0], r, of)) ??
    (indices[1] === undefined ? undefined : badIndex('column', indices[1], c, of))
  );
}

/** The flat offset of the entry a gate picks, or -1 when its indices do not fit (after an edit). */
function entryOffset(v: Float64Array, g: TensorGate): number {
  const shape = g.shapes[0];
  const i = v[g.inputs[1]];
  if (g.inputs.length === 2) {
    const n = shape.length === 1 ? shape[0] : shape.length === 2 ? shape[0] * shape[1] : 0;
    return Number.isInteger(i) && i >= 0 && i < n ? i : -1;
  }
  const j = v[g.inputs[2]];
  if (shape.length !== 2) return -1;
  const [r, c] = shape;
  if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= r || j >= c) {
    return -1;
  }
  return i * c + j;
}

const NO_GRADIENT = '\\text{none: a whole number written in place}';

function indexOp(count: 1 | 2): TensorOp {
  const matrix = count === 2;
  const ports = matrix ? [X, I, J] : [X, I];
  const sub = matrix ? 'ij' : 'i';
  const indicesOf = (params: Params) =>
    matrix ? [literalNumber(params, I), literalNumber(params, J)] : [literalNumber(params, I)];
  const at = (params: Params) =>
    `[${indicesOf(params)
      .map((n, k) => shown(n, ports[k + 1]))
      .join(',')}]`;
  return {
    kind: 'tensor',
    name: matrix ? 'index2' : 'index',
    title: matrix ? 'entry of a matrix' : 'entry of a vector',
    family: 'matrix',
    symbol: matrix ? '[i,j]' : '[i]',
    ports,
    formula: `X_{${sub}}`,
    localGradFormulas: [
      `\\frac{\\partial X_{${sub}}}{\\partial X} = E_{${sub}}\\ \\text{(1 at that entry, 0 elsewhere)}`,
      ...ports.slice(1).map(() => NO_GRADIENT),
    ],
    pattern:
      'An entry gate routes: its gradient goes back to the one entry it took, and every other entry of the tensor gets 0.',
    syntax: { subscript: { indices: count } },
    presets: [matrix ? { i: 0, j: 0 } : { i: 0 }],
    // A literal operand is written before its indices (`[1, 2, 3][0]`).
    paramLabel: (params) =>
      Object.hasOwn(params, X) ? `${formatLiteral(params[X])}${at(params)}` : at(params),
    paramSpeech: (params) => {
      const [i, j] = indicesOf(params).map((n, k) => shown(n, ports[k + 1]));
      return matrix ? `entry at row ${i}, column ${j}` : `entry ${i}`;
    },
    paramGradTex: (params) => {
      const where = at(params);
      const x = Object.hasOwn(params, X)
        ? null
        : `\\frac{\\partial}{\\partial X}\\left(X${where}\\right) = \\text{1 at ${where}, 0 elsewhere}`;
      return [x, ...ports.slice(1).map((p) => (Object.hasOwn(params, p) ? null : NO_GRADIENT))];
    },
    inferShape(inputs, literals) {
      const wired = ports.slice(1).find((_, k) => literals?.[k + 1] === undefined);
      if (wired !== undefined) {
        return `the index ${wired} is a whole number written in place, as in W[1, 2], not a wire`;
      }
      const indices: (number | undefined)[] = [];
      for (let k = 1; k < ports.length; k++) {
        const t = literals?.[k] as Tensor;
        if (t.shape.length !== 0) {
          return `the index ${ports[k]} is one whole number, got ${shapeInWords(t.shape)}`;
        }
        indices.push(t.data[0]);
      }
      return indexProblem(inputs[0], indices) ?? [];
    },
    forward(v, g) {
      const k = entryOffset(v, g);
      v[g.out] = k < 0 ? Number.NaN : v[g.inputs[0] + k];
    },
    vjp(v, gr, g, port, acc, at0) {
      if (port !== 0) return;
      const k = entryOffset(v, g);
      if (k >= 0) acc[at0 + k] += gr[g.out];
    },
  };
}

/** `w[i]`: entry i of a vector (of length n, n×1 or 1×n). */
export const index = indexOp(1);
/** `W[i, j]` (or `W[i][j]`): the entry at row i, column j of a matrix. */
export const index2 = indexOp(2);

// ---------------------------------------------------------------------------------------------
// Assembling

/** The port of entry (r, c) of an assembled matrix (`e12`), or of entry r of a vector (`e1`). */
export function entryPort(r: number, c?: number): PortName {
  return portName(c === undefined ? `e${r}` : `e${r}${c}`);
}

/** The name of the op that assembles a value of this shape from scalars, if there is one. */
export function assembleOpName(shape: Shape): string | undefined {
  const side = LIMITS.assembleSide;
  if (shape.length === 1) return shape[0] <= side ? `vector${shape[0]}` : undefined;
  if (shape.length === 2) {
    return shape[0] <= side && shape[1] <= side ? `matrix${shape[0]}x${shape[1]}` : undefined;
  }
  return undefined;
}

/**
 * `[a, b, c]` (a vector) or `[[a, b], [c, d]]` (a matrix, row by row): a value made of
 * scalars, one port per entry. Each entry's gradient is the upstream gradient's entry.
 */
function assembleOp(shape: readonly [number] | readonly [number, number]): TensorOp {
  const matrix = shape.length === 2;
  const rows = shape[0];
  const cols = matrix ? shape[1] : 1;
  const ports: PortName[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) ports.push(matrix ? entryPort(r, c) : entryPort(r));
  }
  const size = formatShape(shape);
  /** The subscript of port k: `01` for row 0, column 1 of a matrix, `1` for a vector. */
  const sub = (k: number) => (matrix ? `${Math.floor(k / cols)}${k % cols}` : `${k}`);
  const entry = (k: number) => `D_{${sub(k)}}`;
  const symbol = `[${size}]`;
  const grads = ports.map(
    (_, k) =>
      `\\frac{\\partial f}{\\partial e_{${sub(k)}}} = \\frac{\\partial f}{\\partial ${entry(k)}}`,
  );
  return {
    kind: 'tensor',
    name: matrix ? `matrix${rows}x${cols}` : `vector${rows}`,
    title: matrix ? `${size} matrix from entries` : `vector of ${rows} from entries`,
    family: 'matrix',
    symbol,
    ports,
    formula: matrix
      ? `D = \\begin{bmatrix} ${Array.from({ length: rows }, (_, r) =>
          Array.from({ length: cols }, (_, c) => `e_{${r}${c}}`).join(' & '),
        ).join(' \\\\ ')} \\end{bmatrix}`
      : `D = \\begin{bmatrix} ${ports.map((_, k) => `e_{${k}}`).join(' & ')} \\end{bmatrix}`,
    localGradFormulas: grads,
    pattern:
      'A matrix assembled from entries routes: each entry gets back its own entry of the upstream gradient.',
    syntax: { array: { shape } },
    presets: [],
    paramLabel: (params) => {
      const held = ports.filter((p) => Object.hasOwn(params, p)).length;
      return held === 0 ? symbol : `${symbol} ${held} fixed`;
    },
    paramSpeech: (params) => {
      const held = ports.filter((p) => Object.hasOwn(params, p));
      return held.length === 0
        ? `${size} from entries`
        : `${size} from entries, ${held.length} of them numbers written in place`;
    },
    paramGradTex: (params) => ports.map((p, k) => (Object.hasOwn(params, p) ? null : grads[k])),
    inferShape(inputs) {
      for (let k = 0; k < inputs.length; k++) {
        if (inputs[k].length !== 0) {
          const where = matrix ? `[${Math.floor(k / cols)}][${k % cols}]` : `[${k}]`;
          return `entry ${where} of the ${size} ${matrix ? 'matrix' : 'vector'} must be one number, got ${shapeInWords(inputs[k])}`;
        }
      }
      return shape;
    },
    forward(v, g) {
      const o = g.out;
      const inputs = g.inputs;
      for (let k = 0; k < inputs.length; k++) v[o + k] = v[inputs[k]];
    },
    vjp(_v, gr, g, port, acc, at) {
      acc[at] += gr[g.out + port];
    },
  };
}

const assembleShapes: (readonly [number] | readonly [number, number])[] = [];
for (let n = 1; n <= LIMITS.assembleSide; n++) assembleShapes.push([n]);
for (let r = 1; r <= LIMITS.assembleSide; r++) {
  for (let c = 1; c <= LIMITS.assembleSide; c++) assembleShapes.push([r, c]);
}

export const assembleOps: readonly TensorOp[] = assembleShapes.map(assembleOp);

export const indexingOps: readonly TensorOp[] = [index, index2, ...assembleOps];
