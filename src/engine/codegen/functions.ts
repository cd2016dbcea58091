/**
 * Composite gates as functions, as the notes write a gate of their own: a forward function
 * that returns the gate's value and what its backward needs (`return f, cache`), and a
 * backward function that takes the upstream gradient and returns the gradient of each port
 * (`return dx`). Inside, the same staged lines as the circuit's. A hand-written local
 * gradient that passed its check replaces backprop inside for its port, as it does in the
 * app. One pair per definition and shapes of its ports, the definitions a gate uses before it.
 *
 * In PyTorch a composite is a plain function (autograd differentiates its inside), or, when a
 * hand-written gradient is used, a `torch.autograd.Function` whose backward is that formula.
 */
import type { Body, CompositeOp } from '../gates/composite';
import { isComposite } from '../gates/composite';
import type { Evaluation, Program } from '../program';
import { statementOrder } from '../steps';
import type { Shape, Tensor } from '../types';
import { identifier, NameTable } from './names';
import {
  backwardStmts,
  compiledLiteral,
  countContributions,
  describeGate,
  forwardStmt,
  type GateCall,
  type GateCalls,
  type Scope,
  type Stmt,
  type Style,
  stmtText,
} from './staged';
import {
  arrayText,
  commentText,
  nestedText,
  numberText,
  paren,
  reduceTo,
  torchReduceTo,
} from './text';

/** One definition at one set of port shapes, and the names of its functions. */
export interface GateFunction {
  readonly op: CompositeOp;
  readonly shapes: readonly Shape[];
  readonly body: Body;
  /** For each port: the program of its hand-written gradient, when the gate uses it. */
  readonly written: readonly (Program | null)[];
  call: GateCall;
  /** PyTorch: the plain function, and the autograd class when a written gradient is used. */
  plain: string;
  klass: string;
}

const keyOf = (op: CompositeOp, shapes: readonly Shape[]) =>
  `${shapes.map((s) => s.join('x')).join(',')}|${op.name}`;

/** Every composite gate a circuit uses, inside others too, each before the gates using it. */
export class GateFunctions implements GateCalls {
  readonly list: GateFunction[] = [];
  /** Why one of them cannot be written (its inside does not compile for its shapes). */
  problem: string | undefined;
  private readonly byKey = new Map<string, GateFunction | null>();

  /** Collects the composites `p` uses (and those they use), dependencies first. */
  collect(p: Program): void {
    for (const slot of statementOrder(p).forward) {
      const op = p.ops[slot];
      if (!isComposite(op)) continue;
      const shapes = op.ports.map((_, k) => p.portShape(slot, k));
      const key = keyOf(op, shapes);
      if (this.byKey.has(key)) continue;
      const body = op.composite.bodyFor(shapes);
      if (typeof body === 'string') {
        this.problem ??= body;
        continue;
      }
      // Taken before its inside is visited: a written gradient may call the gate itself.
      this.byKey.set(key, null);
      this.collect(body.program);
      const written = op.ports.map((_, k) =>
        op.composite.written[k] ? (body.derivatives[k]?.program ?? null) : null,
      );
      for (const w of written) if (w) this.collect(w);
      const fn: GateFunction = {
        op,
        shapes,
        body,
        written,
        call: { forward: '', backward: '', stem: '', title: '', pattern: '' },
        plain: '',
        klass: '',
      };
      this.byKey.set(key, fn);
      this.list.push(fn);
    }
  }

  /** Every program whose lines are written: each inside and each written gradient. */
  programs(): { program: Program; where: string }[] {
    const out: { program: Program; where: string }[] = [];
    for (const fn of this.list) {
      const gate = identifier(fn.op.name);
      out.push({ program: fn.body.program, where: `inside ${gate}` });
      fn.written.forEach((w, k) => {
        if (w) out.push({ program: w, where: `in ${gate}'s d/d${fn.op.ports[k]}` });
      });
    }
    return out;
  }

  /** Gives each function its names in the circuit's table (after the circuit's own names). */
  name(names: NameTable, pytorch: boolean): void {
    for (const fn of this.list) {
      const title = identifier(fn.op.name);
      const stem = names.fresh(fn.op.name, ['_forward', '_backward', '_fn']);
      const known = fn.op.composite.known;
      const knownNote = known ? ` (${known.name}: ${known.localText('x', 'σ')})` : '';
      const anyWritten = fn.written.some((w) => w !== null);
      fn.plain = stem;
      fn.klass = anyWritten ? `${stem}_fn` : '';
      fn.call = {
        forward: pytorch ? (anyWritten ? `${fn.klass}.apply` : fn.plain) : `${stem}_forward`,
        backward: `${stem}_backward`,
        stem,
        title,
        pattern: `${title} gate: its own backward${knownNote}`,
      };
    }
  }

  of(op: CompositeOp, shapes: readonly Shape[]): GateCall {
    const fn = this.byKey.get(keyOf(op, shapes));
    if (!fn) throw new Error(`code generation: no function for the gate ${op.name}`);
    return fn.call;
  }
}

/** The names of one function pair's variables: ports, the inside, the written gradients. */
function insideNames(fn: GateFunction, all: GateFunctions) {
  const table = new NameTable();
  // Every function's name is taken first, so no variable inside hides one.
  for (const other of all.list) {
    for (const n of [other.call.forward, other.call.backward, other.plain, other.klass]) {
      if (n && !n.includes('.')) table.fresh(n);
    }
  }
  const ports = fn.op.ports.map((port) => table.add(`p:${port}`, port));
  const portOf = new Map<string, string>();
  fn.op.ports.forEach((port, k) => {
    portOf.set(port, ports[k]);
  });
  const scopeNames = (p: Program, prefix: string): string[] => {
    const value: string[] = new Array(p.ids.length).fill('');
    for (let s = 0; s < p.ids.length; s++) {
      const id = p.ids[s];
      if (p.ops[s].name === 'input' && portOf.has(id)) value[s] = portOf.get(id) as string;
    }
    const labels = new Map<string, string>();
    for (const node of p.circuit.nodes) labels.set(node.id, node.label ?? node.id);
    const add = (s: number) => {
      if (value[s] === '')
        value[s] = table.add(`${prefix}${p.ids[s]}`, labels.get(p.ids[s]) ?? p.ids[s]);
    };
    // An inside's output with no name of its own (a typed definition's) is `out`, its
    // gradient `dout`, as the notes write a gate's backward.
    const output = p.output;
    if (prefix === 'b:' && output >= 0 && value[output] === '') {
      const node = p.circuit.nodes.find((n) => n.id === p.ids[output]);
      if (node && node.label === undefined && /#\d+$/.test(node.id)) {
        value[output] = table.claim(`${prefix}${node.id}`, 'out');
      }
    }
    for (let s = 0; s < p.ids.length; s++) if (p.ops[s].kind === 'source') add(s);
    for (const s of statementOrder(p).forward) add(s);
    for (let s = 0; s < p.ids.length; s++) add(s);
    return value;
  };
  return { table, ports, scopeNames };
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;

/** The variables a piece of code reads (every identifier in it). */
function readsIn(stmts: readonly Stmt[]): Set<string> {
  const out = new Set<string>();
  for (const s of stmts) for (const m of s.code.match(IDENT) ?? []) out.add(m);
  return out;
}

function scopeOf(
  p: Program,
  value: readonly string[],
  table: NameTable,
  valuesOnly: boolean,
): Scope {
  return {
    p,
    value,
    literal: compiledLiteral(p),
    lists: new Uint8Array(p.ids.length),
    fresh: (wanted) => table.fresh(wanted),
    cache: new Map(),
    valuesOnly,
    stage: () => '',
  };
}

/** The constants of a program, as statements (a composite's inside rarely has any). */
function constants(st: Style, sc: Scope): Stmt[] {
  const out: Stmt[] = [];
  const { p } = sc;
  for (let s = 0; s < p.ids.length; s++) {
    if (p.ops[s].name !== 'const') continue;
    const t = p.circuit.nodes.find((n) => n.id === p.ids[s])?.value;
    if (!t) continue;
    const rhs =
      st.language === 'pytorch' ? `T(${nestedText(st.language, t)})` : arrayText(st.language, t);
    out.push({
      code: `${st.py ? '' : 'const '}${sc.value[s]} = ${rhs}${st.end}`,
      note: 'a constant',
    });
  }
  return out;
}

/** The lines computing a hand-written gradient's formula, and the variable holding it. */
function writtenLines(
  st: Style,
  k: number,
  program: Program,
  table: NameTable,
  scopeNames: (p: Program, prefix: string) => string[],
  all: GateFunctions,
): { stmts: Stmt[]; local: string } {
  const value = scopeNames(program, `d${k}:`);
  const sc = scopeOf(program, value, table, true);
  const stmts = [...constants(st, sc)];
  for (const s of statementOrder(program).forward) stmts.push(forwardStmt(st, sc, all, s));
  return { stmts, local: value[program.output] };
}

const joinTuple = (py: boolean, vars: readonly string[]) =>
  py ? (vars.length === 1 ? `(${vars[0]},)` : `(${vars.join(', ')})`) : `[${vars.join(', ')}]`;

/** A composite's inside as both writers read it: its program, names and output variable. */
function insideOf(fn: GateFunctions['list'][number], all: GateFunctions) {
  const { op, body } = fn;
  const p = body.program;
  const { table, ports, scopeNames } = insideNames(fn, all);
  const value = scopeNames(p, 'b:');
  const sc = scopeOf(p, value, table, false);
  return {
    op,
    p,
    table,
    ports,
    scopeNames,
    value,
    sc,
    title: fn.call.title,
    outVar: value[p.output],
  };
}

/** The lines of every composite's functions (Python, NumPy, TypeScript), at the top of the file. */
export function functionLines(st: Style, all: GateFunctions): string[] {
  const lines: string[] = [];
  const { py, end } = st;
  const c = (text: string) => st.comment(text);
  for (const fn of all.list) {
    const { op, p, table, ports, scopeNames, value, sc, title, outVar } = insideOf(fn, all);
    const order = statementOrder(p);
    const shapeNote = fn.shapes.some((s) => s.length > 0)
      ? ` (ports of shape ${fn.shapes.map((s) => (s.length === 0 ? 'scalar' : s.join('×'))).join(', ')})`
      : '';

    // Forward
    const forward: Stmt[] = [...constants(st, sc)];
    for (const s of order.forward) forward.push(forwardStmt(st, sc, all, s));
    const defined = [...ports];
    for (const s of [...Array(p.ids.length).keys()].filter((s) => p.ops[s].name === 'const')) {
      defined.push(value[s]);
    }
    for (const s of order.forward) {
      defined.push(value[s]);
      const cache = sc.cache.get(s);
      if (cache) defined.push(cache);
    }

    // Backward: backprop inside for the ports without a written gradient, the formula for the others.
    const portSlot = op.ports.map((port) => {
      const s = p.slot(port);
      return s >= 0 && p.ops[s].name === 'input' ? s : -1;
    });
    const writtenSlot = new Set<number>();
    fn.written.forEach((w, k) => {
      if (w && portSlot[k] >= 0) writtenSlot.add(portSlot[k]);
    });
    const skip = (src: number) => writtenSlot.has(src);
    const backward: Stmt[] = [];
    const counts = countContributions(p, order.backward, skip);
    const backprop = op.ports.some((_, k) => !fn.written[k]);
    if (backprop) {
      for (const s of order.backward) {
        backward.push({ code: '', note: `backprop ${value[s]} = ${describeGate(st, sc, all, s)}` });
        backward.push(...backwardStmts(st, sc, all, s, counts, skip));
      }
    }
    const outShape = p.shapes[p.output];
    const derivatives = op.composite.def.derivatives ?? [];
    const refused = op.ports.filter((_, k) => derivatives[k] && !fn.written[k]);
    if (refused.length > 0) {
      backward.unshift({
        code: '',
        note: `the d/d${refused.join(', d/d')} written by hand disagree${refused.length === 1 ? 's' : ''} with numerical differences (see the app): backprop inside is used instead`,
      });
    }
    fn.written.forEach((w, k) => {
      if (!w) return;
      const text = commentText(op.composite.def.derivatives?.[k]?.text ?? '');
      backward.push({
        code: '',
        note: `d/d${op.ports[k]} = ${text}: written by hand (it passed the app's check), used instead of backprop inside`,
      });
      const { stmts, local } = writtenLines(st, k, w, table, scopeNames, all);
      backward.push(...stmts);
      let expr = `${paren(local)} * d${outVar}`;
      if (st.language === 'numpy') expr = reduceTo(expr, fn.shapes[k], outShape);
      backward.push({ code: `${py ? '' : 'const '}d${ports[k]} = ${expr}${end}` });
      if (portSlot[k] >= 0) counts.received[portSlot[k]]++;
    });
    // A port the output does not depend on: its gradient is zero.
    op.ports.forEach((_, k) => {
      if (fn.written[k] || (portSlot[k] >= 0 && counts.received[portSlot[k]] > 0)) return;
      const zero =
        st.language === 'numpy' ? `np.zeros_like(${ports[k]})` : numberText(st.language, 0);
      backward.push({
        code: `${py ? '' : 'const '}d${ports[k]} = ${zero}${end}`,
        note: `${title}'s value does not depend on ${ports[k]}`,
      });
    });

    const reads = readsIn(backward);
    const cached = defined.filter((v, i) => reads.has(v) && defined.indexOf(v) === i);
    const known = op.composite.known;
    const returned = ports.map((v) => `d${v}`);
    const args = ports.join(', ');
    const indent = py ? '    ' : '  ';
    const emit = (stmts: readonly Stmt[]) => {
      for (const s of stmts) {
        lines.push(s.code === '' ? `${indent}${c(s.note ?? '')}` : stmtText(st, s, indent));
      }
    };

    if (py) {
      lines.push(`def ${fn.call.forward}(${args}):`);
      lines.push(
        `${indent}${c(`the gate ${title}${shapeNote}, forward: its inside, one gate per line`)}`,
      );
      emit(forward);
      lines.push(
        `${indent}cache = ${joinTuple(true, cached)}  ${c(`what ${fn.call.backward} needs`)}`,
      );
      lines.push(`${indent}return ${outVar}, cache`);
      lines.push('');
      lines.push('');
      lines.push(`def ${fn.call.backward}(d${outVar}, cache):`);
    } else {
      lines.push(`function ${fn.call.forward}(${ports.map((v) => `${v}: number`).join(', ')}) {`);
      lines.push(`${indent}${c(`the gate ${title}, forward: its inside, one gate per line`)}`);
      emit(forward);
      lines.push(
        `${indent}const cache = ${joinTuple(false, cached)} as const;  ${c(`what ${fn.call.backward} needs`)}`,
      );
      lines.push(`${indent}return [${outVar}, cache] as const;`);
      lines.push('}');
      lines.push('');
      lines.push(
        `function ${fn.call.backward}(d${outVar}: number, cache: ReturnType<typeof ${fn.call.forward}>[1]) {`,
      );
    }
    lines.push(
      `${indent}${c(`the gate ${title}, backward: from d${outVar}, the gradient of its value, to the gradient of ${ports.length === 1 ? 'its input' : 'each input'}`)}`,
    );
    if (known) {
      lines.push(
        `${indent}${c(`${title} computes ${known.description}: its local gradient is ${known.localText(ports[0], outVar)}${fn.written[0] ? '' : ', the same as backprop inside gives'}`)}`,
      );
    }
    if (cached.length > 0) {
      lines.push(
        py
          ? `${indent}${cached.length === 1 ? `(${cached[0]},)` : cached.join(', ')} = cache`
          : `${indent}const ${joinTuple(false, cached)} = cache;`,
      );
    }
    emit(backward);
    if (py) lines.push(`${indent}return ${returned.join(', ')}`);
    else {
      lines.push(
        `${indent}return ${returned.length === 1 ? returned[0] : `[${returned.join(', ')}] as const`};`,
      );
      lines.push('}');
    }
    lines.push('');
    if (py) lines.push('');
  }
  return lines;
}

/** The lines of every composite as PyTorch: a plain function, or an autograd Function. */
export function torchFunctionLines(st: Style, all: GateFunctions): string[] {
  const lines: string[] = [];
  const c = (text: string) => st.comment(text);
  for (const fn of all.list) {
    const { op, p, table, ports, scopeNames, sc, title, outVar } = insideOf(fn, all);
    const args = ports.join(', ');
    lines.push(`def ${fn.plain}(${args}):`);
    lines.push(
      `    ${c(`the gate ${title}: its inside, one gate per line (autograd differentiates it)`)}`,
    );
    for (const s of constants(st, sc)) lines.push(stmtText(st, s, '    '));
    for (const s of statementOrder(p).forward)
      lines.push(stmtText(st, forwardStmt(st, sc, all, s), '    '));
    lines.push(`    return ${outVar}`);
    lines.push('');
    lines.push('');
    if (!fn.klass) continue;
    const outShape = p.shapes[p.output];
    const backprop = op.ports.some((_, k) => !fn.written[k]);
    lines.push(`class ${fn.klass}(torch.autograd.Function):`);
    lines.push(
      `    ${c(`${title} with its own backward: the local gradients written by hand (the app checked them)`)}`,
    );
    lines.push('    @staticmethod');
    lines.push(`    def forward(ctx, ${args}):`);
    lines.push(`        ctx.save_for_backward(${args})`);
    lines.push(`        return ${fn.plain}(${args})`);
    lines.push('');
    lines.push('    @staticmethod');
    lines.push(`    def backward(ctx, d${outVar}):`);
    lines.push(
      `        ${ports.length === 1 ? `(${ports[0]},)` : ports.join(', ')} = ctx.saved_tensors`,
    );
    if (backprop) {
      lines.push(
        `        ${c('the ports without a written gradient: autograd through the inside')}`,
      );
      lines.push('        with torch.enable_grad():');
      lines.push(
        `            leaves = [v.detach().requires_grad_() for v in ${joinTuple(true, ports)}]`,
      );
      lines.push(
        `            backprop = torch.autograd.grad(${fn.plain}(*leaves), leaves, d${outVar}, allow_unused=True)`,
      );
    }
    fn.written.forEach((w, k) => {
      const port = ports[k];
      if (!w) {
        lines.push(
          `        d${port} = torch.zeros_like(${port}) if backprop[${k}] is None else backprop[${k}]`,
        );
        return;
      }
      const text = commentText(op.composite.def.derivatives?.[k]?.text ?? '');
      lines.push(
        `        ${c(`d/d${op.ports[k]} = ${text}: written by hand, used instead of backprop inside`)}`,
      );
      const { stmts, local } = writtenLines(st, k, w, table, scopeNames, all);
      for (const s of stmts) lines.push(stmtText(st, s, '        '));
      lines.push(
        `        d${port} = ${torchReduceTo(`${paren(local)} * d${outVar}`, fn.shapes[k], outShape)}`,
      );
    });
    lines.push(`        return ${ports.map((v) => `d${v}`).join(', ')}`);
    lines.push('');
    lines.push('');
  }
  return lines;
}

/**
 * The first value inside a composite (at the run's numbers) that is NaN or ±∞, as
 * `exp_5 inside sigma`, or undefined: scalar Python's math module raises an error there.
 */
export function nonFiniteInside(evaluation: Evaluation): string | undefined {
  const p = evaluation.program;
  for (const slot of statementOrder(p).forward) {
    const op = p.ops[slot];
    if (!isComposite(op)) continue;
    const shapes = op.ports.map((_, k) => p.portShape(slot, k));
    const body = op.composite.bodyFor(shapes);
    if (typeof body === 'string') continue;
    const inputs: Record<string, Tensor> = Object.create(null);
    op.ports.forEach((port, k) => {
      const view = p.portView(slot, k, evaluation.values);
      inputs[port] = { shape: view.shape, data: view.data.slice() };
    });
    const given = (q: Program) => {
      const own: Record<string, Tensor> = Object.create(null);
      for (const port of op.ports) {
        const s = q.slot(port);
        if (s >= 0 && q.ops[s].name === 'input') own[port] = inputs[port];
      }
      return own;
    };
    const up = p.view(slot, evaluation.grads);
    const inside = body.program.run(given(body.program), {
      seed: { shape: up.shape, data: up.data.slice() },
    });
    const bad = firstNonFinite(inside, false);
    if (bad) return `${bad} inside ${op.name}`;
    const deeper = nonFiniteInside(inside);
    if (deeper) return deeper;
    for (let k = 0; k < op.ports.length; k++) {
      const d = op.composite.written[k] ? body.derivatives[k]?.program : undefined;
      if (!d) continue;
      const run = d.run(given(d));
      const badD = firstNonFinite(run, true);
      if (badD) return `${badD} in ${op.name}'s d/d${op.ports[k]}`;
    }
  }
  return undefined;
}

function firstNonFinite(ev: Evaluation, valuesOnly: boolean): string | undefined {
  const p = ev.program;
  for (let s = 0; s < p.ids.length; s++) {
    for (let i = p.offsets[s]; i < p.offsets[s + 1]; i++) {
      if (!Number.isFinite(ev.values[i]) || (!valuesOnly && !Number.isFinite(ev.grads[i]))) {
        return p.ids[s];
      }
    }
  }
  return undefined;
}
