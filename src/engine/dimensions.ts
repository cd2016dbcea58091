/**
 * Dimension analysis of one backward step, as data for the step panel: for each wired port of
 * a gate, the formula of its gradient (`dW = dD · Xᵀ`), the shapes that line up
 * (`[5×10] = [5×3] · [3×10]`), and one entry worked out with its numbers
 * (`dW[i][j] = Σₖ dD[i][k]·X[j][k]`, each term's factors and their values).
 *
 * "There is exactly one way of achieving this so that the dimensions work out": a gradient has
 * the shape of its value, and the formula is the one product of the upstream gradient and the
 * other operand with that shape.
 *
 * Shapes are shown as matrices: a scalar is 1×1, a vector a row 1×n (the left operand of a
 * matrix product, and every elementwise gate) or a column n×1 (the right operand of a matrix
 * product), and every index is written [row][column], 0-based, as in NumPy.
 */
import { LIMITS } from './limits';
import type { Evaluation } from './program';
import { broadcastIndex, sizeOf } from './tensor';
import type { NodeId, PortName, Shape } from './types';

/** One number in a term: `dD[0][2]` and its value. */
export interface Factor {
  /** What the number is, as written in the entry's formula with the indices filled in. */
  readonly name: string;
  readonly value: number;
}

/** One term of a worked entry: the product of its factors (times `scale`, when there is one). */
export interface Term {
  readonly factors: readonly Factor[];
  /** A constant the product is multiplied by: 1/n for a mean, 1/ties for a max. */
  readonly scale?: number;
  readonly value: number;
}

/** One entry of a port's gradient, worked out term by term. */
export interface WorkedEntry {
  /** The entry, [row, column] of the port's value as a matrix. */
  readonly index: readonly [number, number];
  /** The rule for any entry: `dW[i][j] = Σₖ dD[i][k]·X[j][k]`. */
  readonly formula: string;
  /** The terms, at most `LIMITS.workedTerms` of them, in the order they are summed. */
  readonly terms: readonly Term[];
  /** Terms left out of `terms` (they are in `sum`). */
  readonly omitted: number;
  /** The sum of every term, worked out here. */
  readonly sum: number;
  /** The entry as the run computed it (what the wire carries back): `sum`, up to rounding. */
  readonly value: number;
}

export type DimensionKind =
  | 'matmul'
  | 'transpose'
  | 'sum'
  | 'sum along an axis'
  | 'extremum'
  | 'elementwise'
  | 'broadcast'
  | 'entry'
  | 'assemble';

/** The gradient one wired port receives. */
export interface PortDimensions {
  readonly port: PortName;
  /** The node feeding the port. */
  readonly from: NodeId;
  readonly kind: DimensionKind;
  /** `dW`. */
  readonly grad: string;
  /** The right-hand side, token by token: `['dD', '·', 'Xᵀ']`. */
  readonly formula: readonly string[];
  /** The gradient's shape, and the shapes of the right-hand side's matrices, as matrices. */
  readonly shapes: {
    readonly result: readonly [number, number];
    readonly operands: readonly (readonly [number, number])[];
    /** `[5×10] = [5×3] · [3×10]`. */
    readonly text: string;
  };
  readonly entry: WorkedEntry;
}

export interface StepDimensions {
  readonly node: NodeId;
  readonly op: string;
  /** The upstream gradient's name: `dD`. */
  readonly upstream: string;
  readonly ports: readonly PortDimensions[];
}

export interface DimensionOptions {
  /** How a node is named in the formulas (its label); by default its id. */
  readonly nameOf?: (id: NodeId) => string;
  /**
   * The entry to work out, for each port: [row, column] of its value as a matrix (the entry
   * under the cursor). By default, and for an index outside the value, the first entry.
   */
  readonly entry?: ReadonlyMap<PortName, readonly [number, number]>;
}

type Mat = readonly [number, number];

/** A value's shape as a matrix: a scalar 1×1, a vector a row, or a column when `column`. */
function asMatrix(shape: Shape, column = false): Mat {
  if (shape.length === 2) return shape;
  if (shape.length === 1) return column ? [shape[0], 1] : [1, shape[0]];
  return [1, 1];
}

const box = ([r, c]: Mat) => `[${r}×${c}]`;
const at = (name: string, i: number | string, j: number | string) => `${name}[${i}][${j}]`;

/** Builds a worked entry, keeping the first `LIMITS.workedTerms` terms and summing them all. */
class Worker {
  readonly terms: Term[] = [];
  omitted = 0;
  sum = 0;
  /** One term: the product of `values` (in order), times `scale`; `factors` names them. */
  add(factors: () => Factor[], values: readonly number[], scale?: number): void {
    let value = values[0];
    for (let k = 1; k < values.length; k++) value *= values[k];
    if (scale !== undefined) value *= scale;
    this.sum += value;
    if (this.terms.length >= LIMITS.workedTerms) {
      this.omitted++;
      return;
    }
    const term: Term =
      scale === undefined ? { factors: factors(), value } : { factors: factors(), scale, value };
    this.terms.push(term);
  }
}

/**
 * The dimension analysis of gate `slot`'s backward step in `evaluation`, or undefined for a
 * gate outside the backward pass. A port holding a literal has no gradient and no entry.
 */
export function stepDimensions(
  evaluation: Evaluation,
  slot: number,
  options: DimensionOptions = {},
): StepDimensions | undefined {
  const p = evaluation.program;
  const op = p.ops[slot];
  if (op.kind === 'source' || !p.reachesOutput[slot]) return undefined;
  const nameOf = options.nameOf ?? ((id: NodeId) => id as string);
  const y = nameOf(p.ids[slot]);
  const dy = `d${y}`;
  const up = p.view(slot, evaluation.grads).data;
  const outShape = p.shapes[slot];
  const ports: PortDimensions[] = [];
  const count = p.portStart[slot + 1] - p.portStart[slot];
  // Names of every port's value: its source's name, or the port's for a literal.
  const names: string[] = [];
  for (let port = 0; port < count; port++) {
    const src = p.portSource[p.portStart[slot] + port];
    names.push(src >= 0 ? nameOf(p.ids[src]) : op.ports[port].toUpperCase());
  }
  for (let port = 0; port < count; port++) {
    const cell = p.portStart[slot] + port;
    const src = p.portSource[cell];
    const at0 = p.contributionOffset[cell];
    if (src < 0 || at0 < 0) continue;
    const portName = op.ports[port];
    const shape = p.portShape(slot, port);
    const value = (index: number) => evaluation.contributions[at0 + index];
    const x = names[port];
    const base = { port: portName, from: p.ids[src], grad: `d${x}` };
    const wanted = options.entry?.get(portName);

    if (op.kind === 'tensor' && op.name === 'matmul') {
      const [sa, sb] = [p.portShape(slot, 0), p.portShape(slot, 1)];
      const [m, k] = asMatrix(sa);
      const n = asMatrix(sb, true)[1];
      const A = p.portView(slot, 0, evaluation.values).data;
      const B = p.portView(slot, 1, evaluation.values).data;
      const [a, b] = names;
      const w = new Worker();
      if (port === 0) {
        // dA[i][j] = Σₖ dD[i][k]·B[j][k], over the n columns of D.
        const [i, j] = pick(wanted, [m, k]);
        for (let q = 0; q < n; q++) {
          w.add(
            () => [
              { name: at(dy, i, q), value: up[i * n + q] },
              { name: at(b, j, q), value: B[j * n + q] },
            ],
            [up[i * n + q], B[j * n + q]],
          );
        }
        ports.push({
          ...base,
          kind: 'matmul',
          formula: [dy, '·', `${b}ᵀ`],
          shapes: lineUp(
            [m, k],
            [
              [m, n],
              [n, k],
            ],
            ' · ',
          ),
          entry: worked(
            [i, j],
            `${at(`d${a}`, 'i', 'j')} = Σₖ ${at(dy, 'i', 'k')}·${at(b, 'j', 'k')}`,
            w,
            value(i * k + j),
          ),
        });
      } else {
        // dB[i][j] = Σₖ A[k][i]·dD[k][j], over the m rows of D.
        const [i, j] = pick(wanted, [k, n]);
        for (let q = 0; q < m; q++) {
          w.add(
            () => [
              { name: at(a, q, i), value: A[q * k + i] },
              { name: at(dy, q, j), value: up[q * n + j] },
            ],
            [A[q * k + i], up[q * n + j]],
          );
        }
        ports.push({
          ...base,
          kind: 'matmul',
          formula: [`${a}ᵀ`, '·', dy],
          shapes: lineUp(
            [k, n],
            [
              [k, m],
              [m, n],
            ],
            ' · ',
          ),
          entry: worked(
            [i, j],
            `${at(`d${b}`, 'i', 'j')} = Σₖ ${at(a, 'k', 'i')}·${at(dy, 'k', 'j')}`,
            w,
            value(i * n + j),
          ),
        });
      }
      continue;
    }

    if (op.kind === 'tensor' && (op.name === 'index' || op.name === 'index2')) {
      // dX is the upstream gradient (one number) at the entry taken, 0 elsewhere.
      const [m, n] = asMatrix(shape);
      const literal = (k: number) => p.portView(slot, k, evaluation.values).data[0];
      const flat = op.name === 'index' ? literal(1) : literal(1) * n + literal(2);
      const taken: Mat = [Math.floor(flat / n), flat % n];
      const [i, j] = wanted ? pick(wanted, [m, n]) : taken;
      const w = new Worker();
      const hit = i === taken[0] && j === taken[1];
      if (hit) w.add(() => [{ name: dy, value: up[0] }], [up[0]]);
      else w.add(() => [{ name: '0', value: 0 }], [0]);
      const where = at('', taken[0], taken[1]);
      ports.push({
        ...base,
        kind: 'entry',
        formula: [dy, `at ${where}`],
        shapes: lineUp([m, n], [[1, 1]], '', ` at ${where}, 0 elsewhere`),
        entry: worked(
          [i, j],
          `${at(`d${x}`, 'i', 'j')} = ${dy} at ${where}, 0 elsewhere`,
          w,
          value(i * n + j),
        ),
      });
      continue;
    }

    if (op.kind === 'tensor' && op.syntax.array !== undefined) {
      // Each entry's gradient is its own entry of the upstream gradient.
      const [, cols] = asMatrix(outShape);
      const r = Math.floor(port / cols);
      const c = port % cols;
      const name = at(dy, r, c);
      const w = new Worker();
      w.add(() => [{ name, value: up[port] }], [up[port]]);
      ports.push({
        ...base,
        kind: 'assemble',
        formula: [name],
        shapes: lineUp([1, 1], [asMatrix(outShape)], '', '', `entry [${r}][${c}] of `),
        entry: worked([0, 0], `d${x} = ${name}`, w, value(0)),
      });
      continue;
    }

    const [m, n] = asMatrix(shape);
    const [i, j] = pick(wanted, [m, n]);
    const w = new Worker();
    const dx = `d${x}`;

    if (op.kind === 'tensor' && op.name === 'transpose') {
      // dX[i][j] = dY[j][i] (a vector is its own transpose: dX[0][j] = dY[0][j]).
      const matrix = shape.length === 2;
      const u = matrix ? up[j * m + i] : up[j];
      w.add(() => [{ name: matrix ? at(dy, j, i) : at(dy, 0, j), value: u }], [u]);
      ports.push({
        ...base,
        kind: 'transpose',
        formula: [`${dy}ᵀ`],
        shapes: lineUp([m, n], [asMatrix(outShape)], '', 'ᵀ'),
        entry: worked([i, j], `${at(dx, 'i', 'j')} = ${at(dy, 'j', 'i')}`, w, value(i * n + j)),
      });
      continue;
    }

    if (op.kind === 'tensor' && (op.name === 'sum' || op.name === 'mean')) {
      const mean = op.name === 'mean';
      const size = sizeOf(shape);
      w.add(() => [{ name: dy, value: up[0] }], [up[0]], mean ? 1 / size : undefined);
      ports.push({
        ...base,
        kind: 'sum',
        formula: mean ? [dy, '·', '1', '/', String(size)] : [dy, '·', '1'],
        shapes: lineUp(
          [m, n],
          [
            [1, 1],
            [m, n],
          ],
          ' · ',
        ),
        entry: worked(
          [i, j],
          `${at(dx, 'i', 'j')} = ${mean ? `${dy} / ${size}` : dy}`,
          w,
          value(i * n + j),
        ),
      });
      continue;
    }

    if (op.kind === 'tensor' && /^(sum|mean)[01]$/.test(op.name)) {
      const mean = op.name.startsWith('mean');
      const axis = op.name.endsWith('0') ? 0 : 1;
      // Axis 0: Y is 1×n, dX[i][j] = dY[0][j]; axis 1: Y is m×1, dX[i][j] = dY[i][0].
      const u = axis === 0 ? up[j] : up[i];
      const length = axis === 0 ? m : n;
      const name = axis === 0 ? at(dy, 0, j) : at(dy, i, 0);
      w.add(() => [{ name, value: u }], [u], mean ? 1 / length : undefined);
      const scale = mean ? ['/', String(length)] : [];
      ports.push({
        ...base,
        kind: 'sum along an axis',
        formula: axis === 0 ? ['1', '·', dy, ...scale] : [dy, '·', '1ᵀ', ...scale],
        shapes: lineUp(
          [m, n],
          axis === 0
            ? [
                [m, 1],
                [1, n],
              ]
            : [
                [m, 1],
                [1, n],
              ],
          ' · ',
        ),
        entry: worked(
          [i, j],
          `${at(dx, 'i', 'j')} = ${axis === 0 ? at(dy, 0, 'j') : at(dy, 'i', 0)}${mean ? ` / ${length}` : ''}`,
          w,
          value(i * n + j),
        ),
      });
      continue;
    }

    if (op.kind === 'tensor') {
      // reducemax / reducemin: the upstream gradient goes to the winning entries, split evenly.
      const X = p.portView(slot, port, evaluation.values).data;
      const best = p.view(slot, evaluation.values).data[0];
      let ties = 0;
      for (const v of X) if (v === best) ties++;
      const wins = X[i * n + j] === best ? 1 : 0;
      const word = op.name === 'reducemax' ? 'max' : 'min';
      w.add(
        () => [
          { name: dy, value: up[0] },
          { name: `[${at(x, i, j)} = ${word}]`, value: wins },
        ],
        [up[0], wins],
        ties > 1 ? 1 / ties : undefined,
      );
      ports.push({
        ...base,
        kind: 'extremum',
        formula: [dy, '·', `[${x} = ${word}]`],
        shapes: lineUp(
          [m, n],
          [
            [1, 1],
            [m, n],
          ],
          ' · ',
        ),
        entry: worked(
          [i, j],
          `${at(dx, 'i', 'j')} = ${dy}·[${at(x, 'i', 'j')} = ${word}]${ties > 1 ? ` / ${ties}` : ''}`,
          w,
          value(i * n + j),
        ),
      });
      continue;
    }

    // Elementwise (unary or binary): upstream times the local gradient, entry by entry; a port
    // repeated along an axis (a row, a column, a scalar) receives the sum over that axis.
    const local = p.localGradient(slot, port, evaluation.values) as Float64Array;
    const [rows, cols] = asMatrix(outShape);
    const localName = `∂${y}/∂${x}`;
    const full = rows === m && cols === n;
    const entryOf = (r: number, c: number) => broadcastIndex(shape, outShape, r * cols + c);
    const target = i * n + j;
    const sumRows = !full && m === 1 && rows > 1;
    const sumCols = !full && n === 1 && cols > 1;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        if (entryOf(r, c) !== target) continue;
        const u = up[r * cols + c];
        const l = local[r * cols + c];
        w.add(
          () => [
            { name: at(dy, r, c), value: u },
            { name: at(localName, r, c), value: l },
          ],
          [u, l],
        );
      }
    }
    const over = sumRows && sumCols ? 'Σᵢⱼ' : sumRows ? 'Σᵢ' : sumCols ? 'Σⱼ' : '';
    const ij = `${at(dy, 'i', 'j')}·${at(localName, 'i', 'j')}`;
    const lhs = at(dx, sumRows ? 0 : 'i', sumCols ? 0 : 'j');
    ports.push({
      ...base,
      kind: full ? 'elementwise' : 'broadcast',
      formula: full ? [dy, '⊙', localName] : [over, '(', dy, '⊙', localName, ')'],
      shapes: full
        ? lineUp(
            [m, n],
            [
              [rows, cols],
              [rows, cols],
            ],
            ' ⊙ ',
          )
        : lineUp([m, n], [[rows, cols]], '', '', `${over} `),
      entry: worked([i, j], `${lhs} = ${over ? `${over} ` : ''}${ij}`, w, value(target)),
    });
  }
  return { node: p.ids[slot], op: op.name, upstream: dy, ports };
}

/** The requested entry if it lies inside a rows × cols value, else the first. */
function pick(wanted: readonly [number, number] | undefined, [rows, cols]: Mat): [number, number] {
  if (!wanted) return [0, 0];
  const [i, j] = wanted;
  const inside = (v: number, size: number) => Number.isInteger(v) && v >= 0 && v < size;
  return inside(i, rows) && inside(j, cols) ? [i, j] : [0, 0];
}

/** `[5×10] = [5×3] · [3×10]`; `[3×2] = [2×3]ᵀ`; `[5×1] = Σⱼ [5×3]`. */
function lineUp(
  result: Mat,
  operands: readonly Mat[],
  between: string,
  after = '',
  before = '',
): PortDimensions['shapes'] {
  return {
    result,
    operands,
    text: `${box(result)} = ${before}${operands.map(box).join(between)}${after}`,
  };
}

function worked(index: [number, number], formula: string, w: Worker, value: number): WorkedEntry {
  return { index, formula, terms: w.terms, omitted: w.omitted, sum: w.sum, value };
}
