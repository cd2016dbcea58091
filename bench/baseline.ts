/**
 * The hand-fused baseline: a circuit as Int32Array opcode/operand arrays, and one loop per
 * pass with a switch that inlines each op's math (the "hand-fused typed-array loop"). The
 * formulas are written exactly as the op declarations compute them (`up * (1 / b)` for
 * ∂(a/b)/∂a, not `up / b`), so the engine's gradients can be compared bit for bit.
 *
 * A literal (a gate's parameter) sits in a cell of its own after the nodes' cells, read like
 * any operand; the backward pass has a case for each form a benchmark uses (both ports wired,
 * or one a literal), which computes only the wired side, as a hand-written loop would. x ** 2
 * is written x * x.
 *
 * The nodes are laid out in the same topological order as `compile` uses (Kahn's algorithm,
 * first-in first-out, consumers in node order), so every fork sums its contributions in the
 * same order as the engine does.
 */
import type { Circuit, Tensor } from '../src/engine/types';

// Forward opcodes.
const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MAX = 4;
const RELU = 5;
const EXP = 6;
const TANH = 7;
const SIGMOID = 8;
const NEG = 9;
const POW = 10;
const SQUARE = 11;

const OPCODE: ReadonlyMap<string, number> = new Map([
  ['add', ADD],
  ['sub', SUB],
  ['mul', MUL],
  ['div', DIV],
  ['max', MAX],
  ['relu', RELU],
  ['exp', EXP],
  ['tanh', TANH],
  ['sigmoid', SIGMOID],
  ['neg', NEG],
  ['pow', POW],
]);
const ARITY = [2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 2, 1];
const PORTS: Readonly<Record<string, number>> = { a: 0, b: 1, x: 0 };

// Backward forms of a binary gate: both wired, only a wired (b a literal), only b wired.
const BOTH = 0;
const ONLY_A = 1;
const ONLY_B = 2;

export interface Fused {
  /** Slot (position in topological order) of each circuit node, by node index. */
  readonly slotOfNode: Int32Array;
  /** Per gate, in topological order: opcode, output slot, operand cells. */
  readonly op: Int32Array;
  readonly out: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** Per gate: opcode × 3 + form, for the backward pass. */
  readonly back: Int32Array;
  /** Gates that reach the output, in reverse topological order (indices into the above). */
  readonly backward: Int32Array;
  readonly output: number;
  /** Input values and literals at their cells, zeros elsewhere. */
  readonly initial: Float64Array;
  readonly values: Float64Array;
  readonly grads: Float64Array;
}

const scalarOf = (t: Tensor | undefined, what: string): number => {
  if (t?.data.length !== 1) throw new Error(`the fused baseline takes scalars only (${what})`);
  return t.data[0];
};

export function buildFused(circuit: Circuit): Fused {
  const nodes = circuit.nodes;
  const n = nodes.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(nodes[i].id, i);
  const code = new Int32Array(n).fill(-1);
  // Literal cells come after the n node cells; lit[2i + p] is the cell of port p, or -1.
  const lit = new Int32Array(2 * n).fill(-1);
  const literals: number[] = [];
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (node.op === 'input' || node.op === 'const') {
      scalarOf(node.value, node.id);
      continue;
    }
    let c = OPCODE.get(node.op);
    if (c === undefined) throw new Error(`the fused baseline has no op '${node.op}'`);
    const params = node.params ?? {};
    for (const [port, t] of Object.entries(params)) {
      lit[2 * i + PORTS[port]] = n + literals.length;
      literals.push(scalarOf(t, `${node.id}.${port}`));
    }
    if (c === POW && lit[2 * i] < 0 && lit[2 * i + 1] >= 0 && literals[lit[2 * i + 1] - n] === 2) {
      c = SQUARE;
    }
    code[i] = c;
  }
  const src = new Int32Array(2 * n).fill(-1);
  for (const w of circuit.wires) {
    const to = index.get(w.to) as number;
    src[2 * to + PORTS[w.port]] = index.get(w.from) as number;
  }

  // Kahn's algorithm over the wires, exactly as compile() orders nodes.
  const count = new Int32Array(n + 1);
  const indegree = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 2; p++) {
      if (src[2 * i + p] < 0) continue;
      count[src[2 * i + p] + 1]++;
      indegree[i]++;
    }
  }
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  const consumers = new Int32Array(count[n]);
  const fill = count.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 2; p++) if (src[2 * i + p] >= 0) consumers[fill[src[2 * i + p]]++] = i;
  }
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order[tail++] = i;
  while (head < tail) {
    const v = order[head++];
    for (let c = count[v]; c < count[v + 1]; c++) {
      const w = consumers[c];
      if (--indegree[w] === 0) order[tail++] = w;
    }
  }
  if (tail < n) throw new Error('the circuit has a cycle');

  const slotOfNode = new Int32Array(n);
  for (let s = 0; s < n; s++) slotOfNode[order[s]] = s;
  const initial = new Float64Array(n + literals.length);
  initial.set(literals, n);
  let gates = 0;
  for (let s = 0; s < n; s++) {
    const i = order[s];
    if (code[i] < 0) initial[s] = (nodes[i].value as Tensor).data[0];
    else gates++;
  }
  const output = slotOfNode[index.get(circuit.output as string) as number];
  const op = new Int32Array(gates);
  const out = new Int32Array(gates);
  const a = new Int32Array(gates);
  const b = new Int32Array(gates);
  const back = new Int32Array(gates);
  const wired = new Uint8Array(gates);
  let k = 0;
  const cell = (i: number, p: number) =>
    src[2 * i + p] >= 0 ? slotOfNode[src[2 * i + p]] : lit[2 * i + p];
  for (let s = 0; s < n; s++) {
    const i = order[s];
    if (code[i] < 0) continue;
    op[k] = code[i];
    out[k] = s;
    a[k] = cell(i, code[i] === SQUARE && src[2 * i] < 0 ? 1 : 0);
    b[k] = ARITY[code[i]] === 2 ? cell(i, 1) : 0;
    const wa = src[2 * i] >= 0;
    const wb = src[2 * i + 1] >= 0;
    back[k] = code[i] * 3 + (ARITY[code[i]] === 1 || (wa && wb) ? BOTH : wa ? ONLY_A : ONLY_B);
    wired[k] = wa || wb ? 1 : 0;
    k++;
  }
  // Only gates that reach the output (along wires) take part in the backward pass.
  const reaches = new Uint8Array(n);
  reaches[output] = 1;
  const backward: number[] = [];
  for (let g = gates - 1; g >= 0; g--) {
    if (!reaches[out[g]] || !wired[g]) continue;
    backward.push(g);
    const form = back[g] % 3;
    if (form !== ONLY_B) reaches[a[g]] = 1;
    if (ARITY[op[g]] === 2 && form !== ONLY_A) reaches[b[g]] = 1;
  }
  return {
    slotOfNode,
    op,
    out,
    a,
    b,
    back,
    backward: Int32Array.from(backward),
    output,
    initial,
    values: new Float64Array(n + literals.length),
    grads: new Float64Array(n + literals.length),
  };
}

/**
 * Forward, then backward from the output seeded with 1, into `f.values` and `f.grads`.
 * The two passes are separate functions: V8 optimises each hot loop on its own and never
 * runs one pass from code compiled before the other had run.
 */
export function runFused(f: Fused): void {
  f.values.set(f.initial);
  f.grads.fill(0);
  fusedForward(f);
  f.grads[f.output] = 1;
  fusedBackward(f);
}

/** The forward cases are the opcodes, written as numbers (see the backward pass). */
export function fusedForward(f: Fused): void {
  const { op, out, a, b } = f;
  const v = f.values;
  const n = op.length;
  for (let k = 0; k < n; k++) {
    const x = v[a[k]];
    switch (op[k]) {
      case 0: // add
        v[out[k]] = x + v[b[k]];
        break;
      case 1: // sub
        v[out[k]] = x - v[b[k]];
        break;
      case 2: // mul
        v[out[k]] = x * v[b[k]];
        break;
      case 3: // div
        v[out[k]] = x / v[b[k]];
        break;
      case 4: // max
        v[out[k]] = Math.max(x, v[b[k]]);
        break;
      case 5: // relu
        // biome-ignore lint/complexity/useMathMinMax: written as relu.f is, NaN stays NaN.
        v[out[k]] = x > 0 ? x : x <= 0 ? 0 : x;
        break;
      case 6: // exp
        v[out[k]] = Math.exp(x);
        break;
      case 7: // tanh
        v[out[k]] = Math.tanh(x);
        break;
      case 8: // sigmoid
        if (x >= 0) {
          v[out[k]] = 1 / (1 + Math.exp(-x));
        } else {
          const e = Math.exp(x);
          v[out[k]] = e / (1 + e);
        }
        break;
      case 9: // neg
        v[out[k]] = -x;
        break;
      case 10: // pow
        v[out[k]] = x ** v[b[k]];
        break;
      default:
        v[out[k]] = x * x;
    }
  }
}

// The backward cases are opcode × 3 + form, written as numbers: V8 makes a jump table only
// of a switch whose cases are number literals (as the engine's hot loop is).
const B_MAX = MAX * 3;

export function fusedBackward(f: Fused): void {
  const { back, out, a, b, backward } = f;
  const v = f.values;
  const g = f.grads;
  const nb = backward.length;
  for (let j = 0; j < nb; j++) {
    const k = backward[j];
    const o = out[k];
    const up = g[o];
    const ia = a[k];
    switch (back[k]) {
      case 0: // add
        g[ia] += up;
        g[b[k]] += up;
        break;
      case 1:
        g[ia] += up;
        break;
      case 2:
        g[b[k]] += up;
        break;
      case 3: // sub
        g[ia] += up;
        g[b[k]] -= up;
        break;
      case 4:
        g[ia] += up;
        break;
      case 5:
        g[b[k]] -= up;
        break;
      case 6: {
        // mul
        const ib = b[k];
        const x = v[ia];
        g[ia] += up * v[ib];
        g[ib] += up * x;
        break;
      }
      case 7:
        g[ia] += up * v[b[k]];
        break;
      case 8:
        g[b[k]] += up * v[ia];
        break;
      case 9: {
        // div
        const ib = b[k];
        const x = v[ia];
        const y = v[ib];
        g[ia] += up * (1 / y);
        g[ib] += up * (-x / (y * y));
        break;
      }
      case 10:
        g[ia] += up * (1 / v[b[k]]);
        break;
      case 11: {
        const y = v[b[k]];
        g[b[k]] += up * (-v[ia] / (y * y));
        break;
      }
      case 12: // max
      case 13: {
        const ib = b[k];
        const x = v[ia];
        const y = v[ib];
        const both = back[k] === B_MAX;
        if (x > y) g[ia] += up;
        else if (x < y) {
          if (both) g[ib] += up;
        } else {
          g[ia] += up * 0.5;
          if (both) g[ib] += up * 0.5;
        }
        break;
      }
      case 15: // relu
        if (v[ia] > 0) g[ia] += up;
        break;
      case 18: // exp
        g[ia] += up * v[o];
        break;
      case 21: {
        // tanh
        const y = v[o];
        g[ia] += up * (1 - y * y);
        break;
      }
      case 24: {
        // sigmoid
        const y = v[o];
        g[ia] += up * ((1 - y) * y);
        break;
      }
      case 27: // neg
        g[ia] -= up;
        break;
      case 31: {
        // pow, b a literal
        const c = v[b[k]];
        g[ia] += up * (c === 0 ? 0 : c * v[ia] ** (c - 1));
        break;
      }
      case 33: // x ** 2
        g[ia] += up * (2 * v[ia]);
        break;
      default:
        throw new Error(`the fused baseline has no backward case ${back[k]}`);
    }
  }
}
