/**
 * The hand-fused baseline: a circuit as Int32Array opcode/operand arrays, and one loop per
 * pass with a switch that inlines each op's math (PERFORMANCE.md's "hand-fused typed-array
 * loop"). The formulas are written exactly as the op declarations compute them (`up * (1 / b)`
 * for ∂(a/b)/∂a, not `up / b`), so the engine's gradients can be compared bit for bit.
 *
 * The nodes are laid out in the same topological order as `compile` uses (Kahn's algorithm,
 * first-in first-out, consumers in node order), so every fork sums its contributions in the
 * same order as the engine does.
 */
import type { Circuit } from '../src/engine/types';

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

const OPCODE: Record<string, number> = {
  add: ADD,
  sub: SUB,
  mul: MUL,
  div: DIV,
  max: MAX,
  relu: RELU,
  exp: EXP,
  tanh: TANH,
  sigmoid: SIGMOID,
  neg: NEG,
};
const ARITY = [2, 2, 2, 2, 2, 1, 1, 1, 1, 1];
const PORTS: Record<string, number> = { a: 0, b: 1, x: 0 };

export interface Fused {
  /** Slot (position in topological order) of each circuit node, by node index. */
  readonly slotOfNode: Int32Array;
  /** Per gate, in topological order: opcode, output slot, operand slots. */
  readonly op: Int32Array;
  readonly out: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** Gates that reach the output, in reverse topological order (indices into the above). */
  readonly backward: Int32Array;
  readonly output: number;
  /** Input values at their slots, zeros elsewhere. */
  readonly initial: Float64Array;
  readonly values: Float64Array;
  readonly grads: Float64Array;
}

export function buildFused(circuit: Circuit): Fused {
  const nodes = circuit.nodes;
  const n = nodes.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(nodes[i].id, i);
  const code = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const op = nodes[i].op;
    if (op === 'input' || op === 'const') {
      const v = nodes[i].value;
      if (v?.data.length !== 1) throw new Error('the fused baseline takes scalar inputs only');
      continue;
    }
    const c = OPCODE[op];
    if (c === undefined) throw new Error(`the fused baseline has no op '${op}'`);
    code[i] = c;
  }
  const src = new Int32Array(2 * n).fill(-1);
  for (const w of circuit.wires) {
    const to = index.get(w.to) as number;
    src[2 * to + PORTS[w.port]] = index.get(w.from) as number;
  }

  // Kahn's algorithm, exactly as compile() orders nodes.
  const count = new Int32Array(n + 1);
  const indegree = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const arity = code[i] < 0 ? 0 : ARITY[code[i]];
    for (let p = 0; p < arity; p++) {
      count[src[2 * i + p] + 1]++;
      indegree[i]++;
    }
  }
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  const consumers = new Int32Array(count[n]);
  const fill = count.slice(0, n);
  for (let i = 0; i < n; i++) {
    const arity = code[i] < 0 ? 0 : ARITY[code[i]];
    for (let p = 0; p < arity; p++) consumers[fill[src[2 * i + p]]++] = i;
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
  const initial = new Float64Array(n);
  let gates = 0;
  for (let s = 0; s < n; s++) {
    const i = order[s];
    if (code[i] < 0) initial[s] = (nodes[i].value as { data: Float64Array }).data[0];
    else gates++;
  }
  const output = slotOfNode[index.get(circuit.output as string) as number];
  const op = new Int32Array(gates);
  const out = new Int32Array(gates);
  const a = new Int32Array(gates);
  const b = new Int32Array(gates);
  let k = 0;
  for (let s = 0; s < n; s++) {
    const i = order[s];
    if (code[i] < 0) continue;
    op[k] = code[i];
    out[k] = s;
    a[k] = slotOfNode[src[2 * i]];
    b[k] = ARITY[code[i]] === 2 ? slotOfNode[src[2 * i + 1]] : 0;
    k++;
  }
  // Only gates that reach the output take part in the backward pass.
  const reaches = new Uint8Array(n);
  reaches[output] = 1;
  const backward: number[] = [];
  for (let g = gates - 1; g >= 0; g--) {
    if (!reaches[out[g]]) continue;
    backward.push(g);
    reaches[a[g]] = 1;
    if (ARITY[op[g]] === 2) reaches[b[g]] = 1;
  }
  return {
    slotOfNode,
    op,
    out,
    a,
    b,
    backward: Int32Array.from(backward),
    output,
    initial,
    values: new Float64Array(n),
    grads: new Float64Array(n),
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

export function fusedForward(f: Fused): void {
  const { op, out, a, b } = f;
  const v = f.values;
  const n = op.length;
  for (let k = 0; k < n; k++) {
    const x = v[a[k]];
    switch (op[k]) {
      case ADD:
        v[out[k]] = x + v[b[k]];
        break;
      case SUB:
        v[out[k]] = x - v[b[k]];
        break;
      case MUL:
        v[out[k]] = x * v[b[k]];
        break;
      case DIV:
        v[out[k]] = x / v[b[k]];
        break;
      case MAX:
        v[out[k]] = Math.max(x, v[b[k]]);
        break;
      case RELU:
        // biome-ignore lint/complexity/useMathMinMax: written as relu.f is, NaN stays NaN.
        v[out[k]] = x > 0 ? x : x <= 0 ? 0 : x;
        break;
      case EXP:
        v[out[k]] = Math.exp(x);
        break;
      case TANH:
        v[out[k]] = Math.tanh(x);
        break;
      case SIGMOID:
        if (x >= 0) {
          v[out[k]] = 1 / (1 + Math.exp(-x));
        } else {
          const e = Math.exp(x);
          v[out[k]] = e / (1 + e);
        }
        break;
      default:
        v[out[k]] = -x;
    }
  }
}

export function fusedBackward(f: Fused): void {
  const { op, out, a, b, backward } = f;
  const v = f.values;
  const g = f.grads;
  const nb = backward.length;
  for (let j = 0; j < nb; j++) {
    const k = backward[j];
    const o = out[k];
    const up = g[o];
    const ia = a[k];
    switch (op[k]) {
      case ADD:
        g[ia] += up;
        g[b[k]] += up;
        break;
      case SUB:
        g[ia] += up;
        g[b[k]] -= up;
        break;
      case MUL: {
        const ib = b[k];
        const x = v[ia];
        g[ia] += up * v[ib];
        g[ib] += up * x;
        break;
      }
      case DIV: {
        const ib = b[k];
        const x = v[ia];
        const y = v[ib];
        g[ia] += up * (1 / y);
        g[ib] += up * (-x / (y * y));
        break;
      }
      case MAX: {
        const ib = b[k];
        const x = v[ia];
        const y = v[ib];
        if (x > y) g[ia] += up;
        else if (x < y) g[ib] += up;
        else {
          g[ia] += up * 0.5;
          g[ib] += up * 0.5;
        }
        break;
      }
      case RELU:
        if (v[ia] > 0) g[ia] += up;
        break;
      case EXP:
        g[ia] += up * v[o];
        break;
      case TANH: {
        const y = v[o];
        g[ia] += up * (1 - y * y);
        break;
      }
      case SIGMOID: {
        const y = v[o];
        g[ia] += up * ((1 - y) * y);
        break;
      }
      default:
        g[ia] -= up;
    }
  }
}
