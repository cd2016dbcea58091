/**
 * Builders and independent numerics for the engine tests. Circuits are built directly as
 * objects (no parser); gradients are checked against the tests' own centered differences,
 * never against the engine's `numericalGradient`.
 */
import { compile } from '../../src/engine/compile';
import { getOp } from '../../src/engine/ops';
import type { Evaluation, InputValues } from '../../src/engine/program';
import { mulberry32 } from '../../src/engine/random';
import { fromNested, isTensor } from '../../src/engine/tensor';
import {
  type Circuit,
  type CircuitNode,
  type NestedNumbers,
  nodeId,
  portName,
  type Tensor,
  type Value,
  type Wire,
} from '../../src/engine/types';

/** A piece of a circuit: some nodes and the wires into them. */
export interface Part {
  readonly nodes: readonly CircuitNode[];
  readonly wires: readonly Wire[];
}

function toTensor(value: NestedNumbers | Tensor): Tensor {
  if (typeof value === 'object' && 'data' in value) return value;
  const t = fromNested(value);
  if (typeof t === 'string') throw new Error(t);
  return t;
}

export function input(id: string, value: NestedNumbers | Tensor): Part {
  return { nodes: [{ id: nodeId(id), op: 'input', value: toTensor(value) }], wires: [] };
}

export function constant(id: string, value: NestedNumbers | Tensor): Part {
  return { nodes: [{ id: nodeId(id), op: 'const', value: toTensor(value) }], wires: [] };
}

/** A literal written inside a gate, in place of a wire (see `gate`). */
export interface Literal {
  readonly literal: Tensor;
}

export function lit(value: NestedNumbers | Tensor): Literal {
  return { literal: toTensor(value) };
}

/**
 * A gate of a registered op, with one source per port, in port order: a node id (a wire from
 * that node) or a literal (`lit(2)`, a parameter of the gate).
 */
export function gate(id: string, op: string, ...sources: (string | Literal)[]): Part {
  const def = getOp(op);
  if (!def) throw new Error(`test helper: unknown op '${op}'`);
  if (sources.length !== def.ports.length) {
    throw new Error(`test helper: ${op} takes ${def.ports.length} inputs, got ${sources.length}`);
  }
  const params: Record<string, Tensor> = {};
  const ws: Wire[] = [];
  sources.forEach((source, i) => {
    if (typeof source === 'string') ws.push(wire(source, id, def.ports[i]));
    else params[def.ports[i]] = source.literal;
  });
  const hasParams = Object.keys(params).length > 0;
  return {
    nodes: [hasParams ? { id: nodeId(id), op, params } : { id: nodeId(id), op }],
    wires: ws,
  };
}

/** A bare node (any op name, even an unknown one), for malformed circuits. */
export function node(id: string, op: string, value?: NestedNumbers | Tensor): Part {
  return {
    nodes: [
      value === undefined ? { id: nodeId(id), op } : { id: nodeId(id), op, value: toTensor(value) },
    ],
    wires: [],
  };
}

export function wire(from: string, to: string, port: string): Wire {
  return { from: nodeId(from), to: nodeId(to), port: portName(port) };
}

/** Bare wires, for malformed circuits. */
export function wires(...ws: Wire[]): Part {
  return { nodes: [], wires: ws };
}

export function circuit(output: string | null, ...parts: Part[]): Circuit {
  return {
    nodes: parts.flatMap((p) => p.nodes),
    wires: parts.flatMap((p) => p.wires),
    output: output === null ? null : nodeId(output),
  };
}

export function evaluate(c: Circuit, inputs?: InputValues): Evaluation {
  return compile(c).run(inputs);
}

/** A scalar value as a number; fails loudly on a tensor. */
export function num(v: Value | undefined): number {
  if (v === undefined) throw new Error('expected a number, got undefined');
  if (isTensor(v)) throw new Error(`expected a number, got a ${v.shape.join('×')} tensor`);
  return v;
}

/** The entries of a tensor (row-major) as a plain array; a scalar becomes [x]. */
export function entries(v: Value | undefined): number[] {
  if (v === undefined) throw new Error('expected a value, got undefined');
  return isTensor(v) ? Array.from(v.data) : [v];
}

/** The shape of a value. */
export function shapeOf(v: Value): readonly number[] {
  return isTensor(v) ? v.shape : [];
}

// ---------------------------------------------------------------------------------------------
// Independent numerics
// ---------------------------------------------------------------------------------------------

/** A seeded uniform generator in [0, 1): the engine's own (the one `randn` draws from). */
export function rng(seed: number): () => number {
  return mulberry32(seed);
}

/** Uniform in [lo, hi). */
export function uniformIn(next: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * next();
}

/** A random array of n numbers in [lo, hi). */
export function randomArray(next: () => number, n: number, lo = -2, hi = 2): number[] {
  return Array.from({ length: n }, () => uniformIn(next, lo, hi));
}

/** A random rows×cols matrix as nested arrays. */
export function randomMatrix(next: () => number, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, () => randomArray(next, cols));
}

/** Centered differences (f(x+h) − f(x−h)) / 2h for every entry of x. */
export function centeredDiff(
  f: (x: readonly number[]) => number,
  x: readonly number[],
  h = 1e-5,
): number[] {
  return x.map((_, i) => {
    const plus = x.slice();
    plus[i] += h;
    const minus = x.slice();
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** DOMAIN.md's relative error |a − n| / max(|a| + |n|, floor). */
export function relErr(a: number, n: number, floor = 1e-300): number {
  if (a === n) return 0;
  return Math.abs(a - n) / Math.max(Math.abs(a) + Math.abs(n), floor);
}

/** The largest relative error over two arrays of the same length. */
export function maxRelErr(a: readonly number[], n: readonly number[], floor = 1e-300): number {
  if (a.length !== n.length) throw new Error(`lengths differ: ${a.length} and ${n.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, relErr(a[i], n[i], floor));
  return worst;
}

/** The largest |a − b| over two arrays of the same length. */
export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Naive triple-loop product of nested-array matrices. */
export function matmulNaive(a: readonly number[][], b: readonly number[][]): number[][] {
  const m = a.length;
  const k = b.length;
  const n = b[0].length;
  if (a[0].length !== k) throw new Error('matmulNaive: inner dimensions differ');
  const out: number[][] = [];
  for (let i = 0; i < m; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i][p] * b[p][j];
      row.push(s);
    }
    out.push(row);
  }
  return out;
}

export function transposeNaive(a: readonly number[][]): number[][] {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

/** Splits a flat row-major array into rows of `cols`. */
export function reshape(flat: readonly number[], rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
}

/** σ(t) = 1 / (1 + e^(−t)), written out independently of the engine. */
export function sigma(t: number): number {
  return 1 / (1 + Math.exp(-t));
}
