/**
 * The two passes over a compiled program: forward in topological order, backward in reverse.
 *
 * A scalar gate with a fast case (see `fastpath.ts`) runs from a numbered case of a switch;
 * every other gate (tensors, ops outside the registry) from `forwardGeneral` and
 * `backwardGeneral`, which read and write the flat arrays through offsets computed at compile
 * time, with no view objects.
 *
 * The numbered cases are written out, one per slot of `SLOTS`, because only a call site that
 * always calls the same function gets it inlined; the case labels are number literals, since
 * V8 makes a jump table only of those. The registry test (tests/engine/registry.test.ts)
 * checks them against `SLOTS` and writes out the cases a change of `SLOTS` needs.
 *
 * The backward pass records, as it goes, what each wired port receives (upstream × local
 * gradient) in the contributions array `c`, then adds it into the gradient of the node feeding
 * that port: the canvas and the step list read contributions from there, with no second pass.
 */
import { B_END, BDA, BDAR, BDB, BDBR, BF, F_BINARY, SLOTS, UD, UDR, UF } from './fastpath';
import type { OpDef, TensorGate } from './ops/types';
import { broadcastStrides, rowsAndCols } from './tensor';
import type { Shape } from './types';

// The cases below are written for these numbers (a changed SLOTS needs new cases).
if (F_BINARY !== 16 || SLOTS.binary !== 8 || B_END !== 40) {
  throw new Error('engine: the hot loop cases do not match the fast-path slots');
}

/** A gate that runs outside the numbered cases: where its operands are, and what it is. */
export interface GeneralGate extends TensorGate {
  readonly op: OpDef;
  /** Entries of each port's value, and of the gate's own. */
  readonly sizes: Int32Array;
  readonly outSize: number;
  /**
   * For each port, where its contribution goes in the contributions array, or -1 for a port
   * holding a literal (or a gate outside the backward pass).
   */
  readonly contributions: Int32Array;
  /**
   * How an elementwise gate reads its ports, worked out once at compile time (see
   * `broadcastStrides`): the output's rows and columns, then each port's row and column
   * stride, `[rows, cols, aRow, aCol, bRow, bCol]` (a unary gate's b strides are 0).
   */
  readonly broadcast: Int32Array;
}

/** A gate's `broadcast`: its output as rows × columns, and each port's strides. */
export function broadcastPlan(outShape: Shape, shapes: readonly Shape[]): Int32Array {
  const [rows, cols] = rowsAndCols(outShape);
  const [ar, ac] = shapes.length > 0 ? broadcastStrides(shapes[0]) : [0, 0];
  const [br, bc] = shapes.length > 1 ? broadcastStrides(shapes[1]) : [0, 0];
  return Int32Array.of(rows, cols, ar, ac, br, bc);
}

/** The forward pass: per gate, in topological order. */
export interface ForwardPlan {
  /** The case of each gate: a fast case, or GENERAL. */
  readonly code: Uint8Array;
  /** Offsets in the value array: the gate's value, and its ports a (or x) and b. */
  readonly out: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** The descriptor of each GENERAL gate (undefined for the others). */
  readonly general: readonly (GeneralGate | undefined)[];
}

/** The backward pass: per gate with a wired port that reaches the output, in reverse order. */
export interface BackwardPlan {
  readonly code: Uint8Array;
  readonly out: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** The contribution cell of the gate's first wired port (the second, if any, is next). */
  readonly p: Int32Array;
  readonly general: readonly (GeneralGate | undefined)[];
}

/** Every gate's value from its operands' values, in place. */
export function forwardPass(plan: ForwardPlan, v: Float64Array): void {
  const { code, out, a: aOff, b: bOff } = plan;
  const n = code.length;
  for (let k = 0; k < n; k++) {
    const o = out[k];
    const a = aOff[k];
    switch (code[k]) {
      case 0:
        v[o] = UF[0](v[a]);
        break;
      case 1:
        v[o] = UF[1](v[a]);
        break;
      case 2:
        v[o] = UF[2](v[a]);
        break;
      case 3:
        v[o] = UF[3](v[a]);
        break;
      case 4:
        v[o] = UF[4](v[a]);
        break;
      case 5:
        v[o] = UF[5](v[a]);
        break;
      case 6:
        v[o] = UF[6](v[a]);
        break;
      case 7:
        v[o] = UF[7](v[a]);
        break;
      case 8:
        v[o] = UF[8](v[a]);
        break;
      case 9:
        v[o] = UF[9](v[a]);
        break;
      case 10:
        v[o] = UF[10](v[a]);
        break;
      case 11:
        v[o] = UF[11](v[a]);
        break;
      case 12:
        v[o] = UF[12](v[a]);
        break;
      case 13:
        v[o] = UF[13](v[a]);
        break;
      case 14:
        v[o] = UF[14](v[a]);
        break;
      case 15:
        v[o] = UF[15](v[a]);
        break;
      case 16:
        v[o] = BF[0](v[a], v[bOff[k]]);
        break;
      case 17:
        v[o] = BF[1](v[a], v[bOff[k]]);
        break;
      case 18:
        v[o] = BF[2](v[a], v[bOff[k]]);
        break;
      case 19:
        v[o] = BF[3](v[a], v[bOff[k]]);
        break;
      case 20:
        v[o] = BF[4](v[a], v[bOff[k]]);
        break;
      case 21:
        v[o] = BF[5](v[a], v[bOff[k]]);
        break;
      case 22:
        v[o] = BF[6](v[a], v[bOff[k]]);
        break;
      case 23:
        v[o] = BF[7](v[a], v[bOff[k]]);
        break;
      default:
        forwardGeneral(plan.general[k] as GeneralGate, v);
    }
  }
}

/**
 * The backward pass into `g` (zeroed, with the output's seed already in place) and `c` (any
 * contents: every cell of a gate in the pass is written).
 */
export function backwardPass(
  plan: BackwardPlan,
  v: Float64Array,
  g: Float64Array,
  c: Float64Array,
): void {
  const { code, out, a: aOff, b: bOff, p: pOff } = plan;
  const n = code.length;
  for (let j = 0; j < n; j++) {
    const o = out[j];
    const up = g[o];
    const a = aOff[j];
    const p = pOff[j];
    switch (code[j]) {
      case 0: {
        const t = up * UD[0](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 1: {
        const t = up * UD[1](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 2: {
        const t = up * UD[2](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 3: {
        const t = up * UD[3](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 4: {
        const t = up * UD[4](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 5: {
        const t = up * UD[5](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 6: {
        const t = up * UD[6](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 7: {
        const t = up * UD[7](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 8: {
        const t = up * UD[8](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 9: {
        const t = up * UD[9](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 10: {
        const t = up * UD[10](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 11: {
        const t = up * UD[11](v[a], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 12: {
        const l = UDR[0](v[a], v[o]);
        if (l !== 0) {
          const t = up * l;
          c[p] = t;
          g[a] += t;
        } else c[p] = 0;
        break;
      }
      case 13: {
        const l = UDR[1](v[a], v[o]);
        if (l !== 0) {
          const t = up * l;
          c[p] = t;
          g[a] += t;
        } else c[p] = 0;
        break;
      }
      case 14: {
        const l = UDR[2](v[a], v[o]);
        if (l !== 0) {
          const t = up * l;
          c[p] = t;
          g[a] += t;
        } else c[p] = 0;
        break;
      }
      case 15: {
        const l = UDR[3](v[a], v[o]);
        if (l !== 0) {
          const t = up * l;
          c[p] = t;
          g[a] += t;
        } else c[p] = 0;
        break;
      }
      case 16: {
        const b = bOff[j];
        const x = v[a];
        const y = v[b];
        const z = v[o];
        const ta = up * BDA[0](x, y, z);
        const tb = up * BDB[0](x, y, z);
        c[p] = ta;
        c[p + 1] = tb;
        g[a] += ta;
        g[b] += tb;
        break;
      }
      case 17: {
        const b = bOff[j];
        const x = v[a];
        const y = v[b];
        const z = v[o];
        const ta = up * BDA[1](x, y, z);
        const tb = up * BDB[1](x, y, z);
        c[p] = ta;
        c[p + 1] = tb;
        g[a] += ta;
        g[b] += tb;
        break;
      }
      case 18: {
        const b = bOff[j];
        const x = v[a];
        const y = v[b];
        const z = v[o];
        const ta = up * BDA[2](x, y, z);
        const tb = up * BDB[2](x, y, z);
        c[p] = ta;
        c[p + 1] = tb;
        g[a] += ta;
        g[b] += tb;
        break;
      }
      case 19: {
        const b = bOff[j];
        const x = v[a];
        const y = v[b];
        const z = v[o];
        const ta = up * BDA[3](x, y, z);
        const tb = up * BDB[3](x, y, z);
        c[p] = ta;
        c[p + 1] = tb;
        g[a] += ta;
        g[b] += tb;
        break;
      }
      case 20: {
        const b = bOff[j];
        const x = v[a];
        const y = v[b];
        const z = v[o];
        const ta = up * BDA[4](x, y, z);
        const tb = up * BDB[4](x, y, z);
        c[p] = ta;
        c[p + 1] = tb;
        g[a] += ta;
        g[b] += tb;
        break;
      }
      case 21: {
        const b = bOff[j];
        const x = v[a];
        const y = v[b];
        const z = v[o];
        const ta = up * BDA[5](x, y, z);
        const tb = up * BDB[5](x, y, z);
        c[p] = ta;
        c[p + 1] = tb;
        g[a] += ta;
        g[b] += tb;
        break;
      }
      case 22: {
        const b = bOff[j];
        const x = v[a];
        const y = v[b];
        const z = v[o];
        const la = BDAR[0](x, y, z);
        const lb = BDBR[0](x, y, z);
        if (la !== 0) {
          const t = up * la;
          c[p] = t;
          g[a] += t;
        } else c[p] = 0;
        if (lb !== 0) {
          const t = up * lb;
          c[p + 1] = t;
          g[b] += t;
        } else c[p + 1] = 0;
        break;
      }
      case 23: {
        const b = bOff[j];
        const x = v[a];
        const y = v[b];
        const z = v[o];
        const la = BDAR[1](x, y, z);
        const lb = BDBR[1](x, y, z);
        if (la !== 0) {
          const t = up * la;
          c[p] = t;
          g[a] += t;
        } else c[p] = 0;
        if (lb !== 0) {
          const t = up * lb;
          c[p + 1] = t;
          g[b] += t;
        } else c[p + 1] = 0;
        break;
      }
      case 24: {
        const t = up * BDA[0](v[a], v[bOff[j]], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 25: {
        const t = up * BDA[1](v[a], v[bOff[j]], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 26: {
        const t = up * BDA[2](v[a], v[bOff[j]], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 27: {
        const t = up * BDA[3](v[a], v[bOff[j]], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 28: {
        const t = up * BDA[4](v[a], v[bOff[j]], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 29: {
        const t = up * BDA[5](v[a], v[bOff[j]], v[o]);
        c[p] = t;
        g[a] += t;
        break;
      }
      case 30: {
        const l = BDAR[0](v[a], v[bOff[j]], v[o]);
        if (l !== 0) {
          const t = up * l;
          c[p] = t;
          g[a] += t;
        } else c[p] = 0;
        break;
      }
      case 31: {
        const l = BDAR[1](v[a], v[bOff[j]], v[o]);
        if (l !== 0) {
          const t = up * l;
          c[p] = t;
          g[a] += t;
        } else c[p] = 0;
        break;
      }
      case 32: {
        const b = bOff[j];
        const t = up * BDB[0](v[a], v[b], v[o]);
        c[p] = t;
        g[b] += t;
        break;
      }
      case 33: {
        const b = bOff[j];
        const t = up * BDB[1](v[a], v[b], v[o]);
        c[p] = t;
        g[b] += t;
        break;
      }
      case 34: {
        const b = bOff[j];
        const t = up * BDB[2](v[a], v[b], v[o]);
        c[p] = t;
        g[b] += t;
        break;
      }
      case 35: {
        const b = bOff[j];
        const t = up * BDB[3](v[a], v[b], v[o]);
        c[p] = t;
        g[b] += t;
        break;
      }
      case 36: {
        const b = bOff[j];
        const t = up * BDB[4](v[a], v[b], v[o]);
        c[p] = t;
        g[b] += t;
        break;
      }
      case 37: {
        const b = bOff[j];
        const t = up * BDB[5](v[a], v[b], v[o]);
        c[p] = t;
        g[b] += t;
        break;
      }
      case 38: {
        const b = bOff[j];
        const l = BDBR[0](v[a], v[b], v[o]);
        if (l !== 0) {
          const t = up * l;
          c[p] = t;
          g[b] += t;
        } else c[p] = 0;
        break;
      }
      case 39: {
        const b = bOff[j];
        const l = BDBR[1](v[a], v[b], v[o]);
        if (l !== 0) {
          const t = up * l;
          c[p] = t;
          g[b] += t;
        } else c[p] = 0;
        break;
      }
      default:
        backwardGeneral(plan.general[j] as GeneralGate, v, g, c);
    }
  }
}

export function forwardGeneral(gate: GeneralGate, v: Float64Array): void {
  const op = gate.op;
  const o = gate.out;
  const n = gate.outSize;
  if (op.kind === 'unary') {
    const x = gate.inputs[0];
    for (let i = 0; i < n; i++) v[o + i] = op.f(v[x + i]);
  } else if (op.kind === 'binary') {
    const a = gate.inputs[0];
    const b = gate.inputs[1];
    const plan = gate.broadcast;
    const rows = plan[0];
    const cols = plan[1];
    const ar = plan[2];
    const ac = plan[3];
    const br = plan[4];
    const bc = plan[5];
    for (let r = 0; r < rows; r++) {
      const ra = a + r * ar;
      const rb = b + r * br;
      const ro = o + r * cols;
      for (let c = 0; c < cols; c++) v[ro + c] = op.f(v[ra + c * ac], v[rb + c * bc]);
    }
  } else if (op.kind === 'tensor') {
    op.forward(v, gate);
  }
}

/**
 * What a general gate sends back along each wired port, into its contribution cells (from
 * zero), then into the gradient of the node feeding the port. A scalar broadcast against a
 * tensor receives the sum over the tensor's entries.
 */
export function backwardGeneral(
  gate: GeneralGate,
  v: Float64Array,
  g: Float64Array,
  c: Float64Array,
): void {
  const ports = gate.inputs.length;
  for (let port = 0; port < ports; port++) {
    const at = gate.contributions[port];
    if (at < 0) continue;
    const size = gate.sizes[port];
    c.fill(0, at, at + size);
    contribute(gate, port, v, g, c, at);
    // A wired port's value offset is also its source's gradient offset.
    const src = gate.inputs[port];
    for (let i = 0; i < size; i++) g[src + i] += c[at + i];
  }
}

/** c[at …] += upstream · local gradient of `port` (c has that port's shape). */
export function contribute(
  gate: GeneralGate,
  port: number,
  v: Float64Array,
  g: Float64Array,
  c: Float64Array,
  at: number,
): void {
  const op = gate.op;
  const o = gate.out;
  const n = gate.outSize;
  if (op.kind === 'unary') {
    const x = gate.inputs[0];
    for (let i = 0; i < n; i++) {
      const l = op.df(v[x + i], v[o + i]);
      if (!op.routes || l !== 0) c[at + i] += g[o + i] * l;
    }
  } else if (op.kind === 'binary') {
    // A port repeated along an axis receives the sum over that axis (its strides revisit
    // the same entry).
    const a = gate.inputs[0];
    const b = gate.inputs[1];
    const plan = gate.broadcast;
    const rows = plan[0];
    const cols = plan[1];
    const ar = plan[2];
    const ac = plan[3];
    const br = plan[4];
    const bc = plan[5];
    const local = port === 0 ? op.da : op.db;
    const pr = port === 0 ? ar : br;
    const pc = port === 0 ? ac : bc;
    for (let r = 0; r < rows; r++) {
      const ra = a + r * ar;
      const rb = b + r * br;
      const ro = o + r * cols;
      const rp = at + r * pr;
      for (let k = 0; k < cols; k++) {
        const l = local(v[ra + k * ac], v[rb + k * bc], v[ro + k]);
        if (!op.routes || l !== 0) c[rp + k * pc] += g[ro + k] * l;
      }
    }
  } else if (op.kind === 'tensor') {
    op.vjp(v, g, gate, port, c, at);
  }
}
