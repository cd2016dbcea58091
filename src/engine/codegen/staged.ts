/**
 * The staged lines of one program: the circuit itself, or the inside of a composite gate.
 * The forward line of a gate (`num = x + sigy`) and its backward lines (`dx = 1.0 * dnum`,
 * `=` for a variable's first contribution and `+=` for every later one), written the same way
 * wherever the program is. A composite gate is a call of its functions: `f, sigma_cache =
 * sigma_forward(dot)` forward, `ddot = sigma_backward(df, sigma_cache)` backward.
 */
import type { CompositeOp } from '../gates/composite';
import { isComposite } from '../gates/composite';
import type { Params } from '../ops';
import type { Program } from '../program';
import type { Shape, Value } from '../types';
import { type Dialect, type Language, opCode } from './ops';
import { arrayText, asData, paren, reduceTo } from './text';

/** A statement and the comment at its end, if any. */
export interface Stmt {
  readonly code: string;
  readonly note?: string;
}

/** How one language writes statements. */
export interface Style {
  readonly language: Language;
  readonly d: Dialect;
  /** Python's syntax (Python, NumPy, PyTorch), else TypeScript's. */
  readonly py: boolean;
  /** What ends a statement: `;` or nothing. */
  readonly end: string;
  comment(text: string): string;
}

/** What a use of a composite gate calls. */
export interface GateCall {
  /** `sigma_forward` (PyTorch: `sigma`, or `softplus_fn.apply` for a hand-written gradient). */
  readonly forward: string;
  /** `sigma_backward` (none in PyTorch: autograd calls it). */
  readonly backward: string;
  /** The stem of the variables a use gets: `sigma` for `sigma_cache`. */
  readonly stem: string;
  /** The gate's name as an identifier, for comments: `sigma`. */
  readonly title: string;
  /** The note on its backward lines: `sigma gate: its own backward (the sigmoid: (1 − σ)·σ)`. */
  readonly pattern: string;
}

export interface GateCalls {
  of(op: CompositeOp, shapes: readonly Shape[]): GateCall;
}

/** A program being written. */
export interface Scope {
  readonly p: Program;
  /** The variable of each slot's value. */
  readonly value: readonly string[];
  /** The literal in a port (what the run uses). */
  literal(slot: number, port: number): Value;
  /** Vectors written as lists (scalar Python and TypeScript, the circuit only). */
  readonly lists: Uint8Array;
  /** A new variable, unique in this program's code. */
  fresh(wanted: string): string;
  /** The cache variable of each composite slot, given when its forward line is written. */
  readonly cache: Map<number, string>;
  /** Only the values are computed (a hand-written gradient's formula): no caches. */
  readonly valuesOnly: boolean;
  /** Added to the note of each line of a gate: its stage (`  (5)`), or nothing. */
  stage(slot: number): string;
}

/** The literals of a program as compiled (the inside of a composite: they never change). */
export function compiledLiteral(p: Program) {
  return (slot: number, port: number): Value => (p.params[slot] as Params)[p.ops[slot].ports[port]];
}

export const indexOf = (sc: Scope, slot: number) => Number(sc.literal(slot, 1));

export const readsList = (sc: Scope, slot: number) =>
  sc.p.ops[slot].name === 'index' && sc.lists[sc.p.portSource[sc.p.portStart[slot]]] === 1;

export const gradOf = (sc: Scope, slot: number) => `d${sc.value[slot]}`;

const portShapes = (p: Program, slot: number) =>
  p.ops[slot].ports.map((_, k) => p.portShape(slot, k));

/** The atoms a gate reads: its sources' variables, or its literals written in place. */
export function atomsOf(st: Style, sc: Scope, slot: number): string[] {
  const { p } = sc;
  const out: string[] = [];
  for (let port = 0; port < p.ops[slot].ports.length; port++) {
    const src = p.portSource[p.portStart[slot] + port];
    if (src >= 0) out.push(sc.value[src]);
    else {
      const lit = sc.literal(slot, port);
      out.push(arrayText(st.language, asData(lit, p.portShape(slot, port))));
    }
  }
  return out;
}

/** What a gate computes, as an expression (a composite: the call of its forward function). */
export function forwardExpr(st: Style, sc: Scope, calls: GateCalls, slot: number): string {
  const { p, language } = { p: sc.p, language: st.language };
  const op = p.ops[slot];
  const x = atomsOf(st, sc, slot);
  const shapes = portShapes(p, slot);
  if (isComposite(op)) return `${calls.of(op, shapes).forward}(${x.join(', ')})`;
  const code = opCode(op.name);
  if (readsList(sc, slot)) return `${x[0]}[${indexOf(sc, slot)}]`;
  if (code?.kind === 'elementwise') {
    return language === 'pytorch' && code.torch ? code.torch(x) : code.forward(st.d, x);
  }
  if (code?.kind === 'tensor') {
    return language === 'pytorch' ? code.torch(x, shapes) : code.numpy(x, shapes);
  }
  return '';
}

/** What a gate computes, for a comment: a composite as its gate (`sigma(dot)`). */
export function describeGate(st: Style, sc: Scope, calls: GateCalls, slot: number): string {
  const op = sc.p.ops[slot];
  if (isComposite(op)) {
    const call = calls.of(op, portShapes(sc.p, slot));
    return `${call.title}(${atomsOf(st, sc, slot).join(', ')})`;
  }
  return forwardExpr(st, sc, calls, slot);
}

/** The forward line of a gate (without its note). */
export function forwardStmt(st: Style, sc: Scope, calls: GateCalls, slot: number): Stmt {
  const name = sc.value[slot];
  const op = sc.p.ops[slot];
  const decl = st.py ? '' : 'const ';
  const expr = forwardExpr(st, sc, calls, slot);
  if (isComposite(op) && st.language !== 'pytorch') {
    if (sc.valuesOnly) return { code: `${decl}${name} = ${expr}[0]${st.end}` };
    const call = calls.of(op, portShapes(sc.p, slot));
    const cache = sc.fresh(`${call.stem}_cache`);
    sc.cache.set(slot, cache);
    return {
      code: st.py ? `${name}, ${cache} = ${expr}` : `const [${name}, ${cache}] = ${expr};`,
    };
  }
  return { code: `${decl}${name} = ${expr}${st.end}` };
}

/** How many contributions each slot receives, to write `=` first and `+=` after. */
export interface Counts {
  readonly received: Int32Array;
  readonly total: Int32Array;
}

export function countContributions(
  p: Program,
  backward: ArrayLike<number>,
  skip: (src: number) => boolean = () => false,
): Counts {
  const received = new Int32Array(p.ids.length);
  const total = new Int32Array(p.ids.length);
  for (let k = 0; k < backward.length; k++) {
    const s = backward[k];
    for (let cell = p.portStart[s]; cell < p.portStart[s + 1]; cell++) {
      const src = p.portSource[cell];
      if (src >= 0 && !skip(src)) total[src]++;
    }
  }
  return { received, total };
}

/**
 * The backward lines of a gate, from its gradient to what each wired port sends back. Ports
 * whose source `skip` names get none (a port given a hand-written gradient instead).
 */
export function backwardStmts(
  st: Style,
  sc: Scope,
  calls: GateCalls,
  slot: number,
  counts: Counts,
  skip: (src: number) => boolean = () => false,
): Stmt[] {
  const { p } = sc;
  const { py, end, language, d } = st;
  const op = p.ops[slot];
  const ports = op.ports;
  const x = atomsOf(st, sc, slot);
  const shapes = portShapes(p, slot);
  const name = sc.value[slot];
  const up = gradOf(sc, slot);
  const stage = sc.stage(slot);
  const out: Stmt[] = [];

  const assign = (src: number, expr: string, pattern: string) => {
    const first = counts.received[src] === 0;
    counts.received[src]++;
    const target = gradOf(sc, src);
    const fork = counts.total[src] > 1 ? `; ${sc.value[src]} forks: its gradients add up` : '';
    out.push({
      code: first ? `${py ? '' : 'let '}${target} = ${expr}${end}` : `${target} += ${expr}${end}`,
      note: `${pattern}${first ? '' : fork}${stage}`,
    });
  };

  if (isComposite(op)) {
    const call = calls.of(op, shapes);
    const cache = sc.cache.get(slot) as string;
    const expr = `${call.backward}(${up}, ${cache})`;
    const wired: { port: number; src: number }[] = [];
    for (let port = 0; port < ports.length; port++) {
      const src = p.portSource[p.portStart[slot] + port];
      if (src >= 0 && !skip(src)) wired.push({ port, src });
    }
    if (ports.length === 1) {
      if (wired.length === 1) assign(wired[0].src, expr, call.pattern);
      return out;
    }
    // Several ports: the gradient of each, unpacked, then added where it goes.
    const sources = wired.map((w) => w.src);
    const direct =
      wired.length === ports.length &&
      new Set(sources).size === sources.length &&
      sources.every((s) => counts.received[s] === 0);
    if (direct) {
      const targets = sources.map((s) => gradOf(sc, s));
      for (const s of sources) counts.received[s]++;
      out.push({
        code: py ? `${targets.join(', ')} = ${expr}` : `let [${targets.join(', ')}] = ${expr};`,
        note: `${call.pattern}${stage}`,
      });
      return out;
    }
    const parts: string[] = ports.map(() => '');
    for (const w of wired) parts[w.port] = sc.fresh(`${gradOf(sc, w.src)}_from_${name}`);
    const unpacked = py ? parts.map((v) => v || '_') : parts;
    out.push({
      code: py ? `${unpacked.join(', ')} = ${expr}` : `const [${unpacked.join(', ')}] = ${expr};`,
      note: `${call.pattern}${stage}`,
    });
    for (const w of wired) assign(w.src, parts[w.port], call.pattern);
    return out;
  }

  const code = opCode(op.name);
  for (let port = 0; port < ports.length; port++) {
    const src = p.portSource[p.portStart[slot] + port];
    if (src < 0 || skip(src)) continue;
    if (readsList(sc, slot) && code?.kind === 'tensor') {
      out.push({
        code: `${gradOf(sc, src)}[${indexOf(sc, slot)}] += ${up}${end}`,
        note: `${code.pattern}${stage}`,
      });
      continue;
    }
    let expr: string;
    if (code?.kind === 'elementwise') {
      const local = code.local(d, port, x, name);
      expr = `${paren(local)} * ${up}`;
      if (language === 'numpy') expr = reduceTo(expr, p.shapes[src], p.shapes[slot]);
    } else if (code?.kind === 'tensor') {
      expr = code.backward(port, up, x, name, shapes);
    } else continue;
    assign(src, expr, code.pattern);
  }
  return out;
}

/** A statement as a line of text, with its note as a comment. */
export function stmtText(st: Style, stmt: Stmt, indent = ''): string {
  return stmt.note ? `${indent}${stmt.code}  ${st.comment(stmt.note)}` : `${indent}${stmt.code}`;
}
