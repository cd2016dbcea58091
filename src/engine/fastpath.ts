/**
 * The hot loop's fast cases, derived from the op registry. (The loops are in `hotloop.ts`.)
 *
 * A scalar unary or binary gate runs from a case of the hot loop's switch where the op's own
 * `f` and local gradients are called from a call site that only ever sees that one function,
 * so V8 inlines them (one call site shared by every op could not be inlined, and would pass
 * every number boxed). The switch in `hotloop.ts` has a fixed number of numbered cases per
 * shape of gate; this module gives each registered op its slots, in registry order, and fills
 * the function tables those cases call. Nothing here names an op: an op added to the registry
 * gets its slots here, and the registry test fails if a shape runs out of slots.
 *
 * Shapes of a scalar gate, by what its ports hold:
 * - unary: its one port is wired (a routing op, whose zero local gradient passes exactly 0,
 *   has slots of its own in the backward pass);
 * - binary, both ports wired;
 * - binary, port a wired and b a literal (only a's side is computed backwards);
 * - binary, port b wired and a a literal.
 * A gate whose ports are all literals runs forward like any other and has no backward case.
 * A binary op's `lower` may turn a literal form into a unary op (x ** 2 into square).
 */
import { ALL_OPS } from './ops';
import type { BinaryOp, OpDef, UnaryOp } from './ops/types';

/** Slots per shape; the cases in `hotloop.ts` are written for exactly these counts. */
export const SLOTS = {
  unary: 16,
  unaryPlain: 12,
  unaryRouting: 4,
  binary: 8,
  binaryPlain: 6,
  binaryRouting: 2,
} as const;

// Forward codes: unary slots first, then binary slots.
export const F_BINARY = SLOTS.unary;
/** A gate without a fast case: tensors, and ops outside the registry. */
export const GENERAL = 255;

// Backward codes, one block per shape.
export const B_UNARY = 0;
export const B_UNARY_ROUTING = B_UNARY + SLOTS.unaryPlain;
export const B_BOTH = B_UNARY_ROUTING + SLOTS.unaryRouting;
export const B_BOTH_ROUTING = B_BOTH + SLOTS.binaryPlain;
export const B_ONLY_A = B_BOTH_ROUTING + SLOTS.binaryRouting;
export const B_ONLY_A_ROUTING = B_ONLY_A + SLOTS.binaryPlain;
export const B_ONLY_B = B_ONLY_A_ROUTING + SLOTS.binaryRouting;
export const B_ONLY_B_ROUTING = B_ONLY_B + SLOTS.binaryPlain;
/** One past the last backward code. */
export const B_END = B_ONLY_B_ROUTING + SLOTS.binaryRouting;

type F1 = (x: number) => number;
type D1 = (x: number, y: number) => number;
type F2 = (a: number, b: number) => number;
type D2 = (a: number, b: number, y: number) => number;

const missing = (): number => {
  throw new Error('engine: a fast case ran without an op in its slot');
};

const unaryOps = ALL_OPS.filter((op): op is UnaryOp => op.kind === 'unary');
const binaryOps = ALL_OPS.filter((op): op is BinaryOp => op.kind === 'binary');
const unaryPlain = unaryOps.filter((op) => !op.routes);
const unaryRouting = unaryOps.filter((op) => op.routes);
const binaryPlain = binaryOps.filter((op) => !op.routes);
const binaryRouting = binaryOps.filter((op) => op.routes);

/** The ops that did not get a slot of every shape they need (empty unless SLOTS is too small). */
export const UNSLOTTED: readonly OpDef[] = [
  ...unaryOps.slice(SLOTS.unary),
  ...unaryPlain.slice(SLOTS.unaryPlain),
  ...unaryRouting.slice(SLOTS.unaryRouting),
  ...binaryOps.slice(SLOTS.binary),
  ...binaryPlain.slice(SLOTS.binaryPlain),
  ...binaryRouting.slice(SLOTS.binaryRouting),
];

function table<T, F>(ops: readonly T[], size: number, pick: (op: T) => F): F[] {
  const out: F[] = [];
  for (let i = 0; i < size; i++) out.push(i < ops.length ? pick(ops[i]) : (missing as F));
  return out;
}

// The functions the numbered cases call: UF[i] in forward case i, and so on.
export const UF: readonly F1[] = table(unaryOps, SLOTS.unary, (op) => op.f);
export const BF: readonly F2[] = table(binaryOps, SLOTS.binary, (op) => op.f);
export const UD: readonly D1[] = table(unaryPlain, SLOTS.unaryPlain, (op) => op.df);
export const UDR: readonly D1[] = table(unaryRouting, SLOTS.unaryRouting, (op) => op.df);
export const BDA: readonly D2[] = table(binaryPlain, SLOTS.binaryPlain, (op) => op.da);
export const BDB: readonly D2[] = table(binaryPlain, SLOTS.binaryPlain, (op) => op.db);
export const BDAR: readonly D2[] = table(binaryRouting, SLOTS.binaryRouting, (op) => op.da);
export const BDBR: readonly D2[] = table(binaryRouting, SLOTS.binaryRouting, (op) => op.db);

function slotOf(ops: readonly OpDef[], op: OpDef, size: number): number {
  const i = ops.indexOf(op);
  return i < size ? i : -1;
}

/** The forward case of a scalar gate of `op`, or GENERAL. */
export function forwardCode(op: OpDef): number {
  if (op.kind === 'unary') {
    const i = slotOf(unaryOps, op, SLOTS.unary);
    return i < 0 ? GENERAL : i;
  }
  if (op.kind === 'binary') {
    const i = slotOf(binaryOps, op, SLOTS.binary);
    return i < 0 ? GENERAL : F_BINARY + i;
  }
  return GENERAL;
}

/**
 * The backward case of a scalar gate of `op` whose ports are wired as given (`wired[p]`), or
 * GENERAL. Only called for gates with at least one wired port.
 */
export function backwardCode(op: OpDef, wiredA: boolean, wiredB: boolean): number {
  if (op.kind === 'unary') {
    if (op.routes) {
      const i = slotOf(unaryRouting, op, SLOTS.unaryRouting);
      return i < 0 ? GENERAL : B_UNARY_ROUTING + i;
    }
    const i = slotOf(unaryPlain, op, SLOTS.unaryPlain);
    return i < 0 ? GENERAL : B_UNARY + i;
  }
  if (op.kind === 'binary') {
    const routes = !!op.routes;
    const i = routes
      ? slotOf(binaryRouting, op, SLOTS.binaryRouting)
      : slotOf(binaryPlain, op, SLOTS.binaryPlain);
    if (i < 0) return GENERAL;
    if (wiredA && wiredB) return (routes ? B_BOTH_ROUTING : B_BOTH) + i;
    if (wiredA) return (routes ? B_ONLY_A_ROUTING : B_ONLY_A) + i;
    return (routes ? B_ONLY_B_ROUTING : B_ONLY_B) + i;
  }
  return GENERAL;
}
