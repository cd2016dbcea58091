/**
 * The other direction of `parse`: a circuit written as a program in the expression language,
 * so a circuit built by hand can be read as code, typed into slides or shared as an `#expr=`
 * link. Parsing the printed program gives a circuit that computes the same values and
 * gradients (gates with one reader are written inline, so unnamed gates get new ids), and a
 * circuit that `parse` made comes back as the same circuit.
 *
 * How each op is written comes from its declaration (`syntax.ts`): an operator with its
 * precedence, a function call, or another op with literals (`square` as `x ^ 2`). A gate's
 * literals are written where its wires would be.
 *
 * Ids are data: every table keyed by an id, a name or an op is a Map or a Set. Nothing here
 * recurses or spreads an array into a call, so a circuit of any size is written in one pass;
 * an expression is only written inline while the parser can read it back within
 * `LIMITS.nesting`, and deeper ones get a name of their own.
 */
import { compile } from './compile';
import { CircuitError } from './errors';
import { formatNumber, literalCode } from './format';
import { resolveOp } from './gates/scope';
import { LIMITS } from './limits';
import { getOp, type OpDef } from './ops';
import { isAssignableName } from './parse';
import type { Program } from './program';
import { PRECEDENCE, printForm } from './syntax';
import type { Circuit, CircuitNode, GateDef, Tensor } from './types';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * An expression written out, and how tightly it binds (a `PRECEDENCE`: an operand weaker than
 * its place gets parentheses). `nesting` is how deep the parser will nest reading it back: one
 * level per parenthesis, bracket, sign, right-hand operand of `^`, and call, as
 * `LIMITS.nesting` counts them.
 */
interface Printed {
  readonly text: string;
  readonly strength: number;
  readonly nesting: number;
}

/**
 * An unnamed gate's expression deeper than this gets a statement of its own instead of being
 * written inline. A gate adds at most two levels to its deepest input, so every statement
 * stays far within what the parser reads.
 */
const INLINE_NESTING = Math.floor(LIMITS.nesting / 4);

/**
 * The circuit as a program, or `null` when it cannot be written as one: it does not compile
 * (a gate is missing an input, there is a loop, no output…), or a value is not a finite number
 * (the language has no literal for NaN or ∞).
 *
 * `compiled` may pass a program already compiled from this circuit's structure (values and
 * literals may have changed since: they are read from `circuit`), so the order need not be
 * worked out again.
 */
export function toProgram(circuit: Circuit, compiled?: Program): string | null {
  let program: Program;
  if (compiled) {
    if (compiled.problems.length > 0) return null;
    program = compiled;
  } else {
    try {
      program = compile(circuit);
    } catch (error) {
      if (error instanceof CircuitError) return null;
      throw error;
    }
  }
  const byId = new Map(circuit.nodes.map((n) => [n.id as string, n]));
  const readers = new Map<string, number>();
  for (const w of circuit.wires) readers.set(w.from, (readers.get(w.from) ?? 0) + 1);

  // Every statement needs a name the language accepts; ids that are not get fresh ones.
  const taken = new Set<string>();
  for (const n of circuit.nodes) if (IDENTIFIER.test(n.id)) taken.add(n.id);
  const names = new Map<string, string>();
  let fresh = 0;
  const nameOf = (id: string): string => {
    const known = names.get(id);
    if (known !== undefined) return known;
    let name = id;
    if (!isAssignableName(id)) {
      do name = `t${++fresh}`;
      while (taken.has(name));
      taken.add(name);
    }
    names.set(id, name);
    return name;
  };

  const output = circuit.output as string;
  // The output must be the last assignment: a circuit whose output feeds other gates cannot
  // be written that way.
  if ((readers.get(output) ?? 0) > 0) return null;
  const lines: string[] = [];
  let outputLine = '';
  const inline = new Map<string, Printed>();
  for (const slot of statementOrder(circuit, program)) {
    const id = program.ids[slot];
    const node = byId.get(id);
    const op = resolveOp(node?.op ?? '', circuit.gates);
    if (!node || !op) return null;
    if (op.kind === 'source') {
      const value = node.value ? literalCode(node.value) : null;
      if (value === null) return null;
      if (node.op === 'const') inline.set(id, literalOf(node.value as Tensor, value));
      else if (id === output) outputLine = `${nameOf(id)} = ${value}`;
      else lines.push(`${nameOf(id)} = ${value}`);
      continue;
    }
    const args: Printed[] = [];
    for (let k = program.portStart[slot]; k < program.portStart[slot + 1]; k++) {
      const src = program.portSource[k];
      if (src >= 0) {
        const srcId = program.ids[src];
        args.push(
          inline.get(srcId) ?? { text: nameOf(srcId), strength: PRECEDENCE.atom, nesting: 0 },
        );
        continue;
      }
      const literal = literalArgument(node, op.ports[k - program.portStart[slot]]);
      if (literal === null) return null;
      args.push(literal);
    }
    const expression = printGate(op, args);
    if (expression === null) return null;
    // A gate read once, unnamed and not the output, is written where it is read.
    const unnamed = node.label === undefined && !IDENTIFIER.test(id);
    const onceRead = (readers.get(id) ?? 0) === 1 && unnamed && id !== output;
    if (onceRead && expression.nesting <= INLINE_NESTING) inline.set(id, expression);
    else if (id === output) outputLine = `${nameOf(id)} = ${expression.text}`;
    else lines.push(`${nameOf(id)} = ${expression.text}`);
  }
  lines.push(outputLine);
  const definitions: string[] = [];
  for (const def of circuit.gates ?? []) {
    const written = printDefinition(def, circuit.gates ?? []);
    if (written === null) return null;
    definitions.push(...written);
  }
  return definitions.concat(lines).join('\n');
}

/**
 * A gate's definition as the language writes it: `softplus(x) = log(1 + exp(x))`, then a
 * `d/dx = …` line for each hand-written local gradient. The inside is written as one
 * expression: a value it uses twice is written twice. Null when a gate inside has no spelling.
 */
export function printDefinition(def: GateDef, gates: readonly GateDef[]): string[] | null {
  const inside = printInside(def.body, gates);
  if (inside === null) return null;
  const lines = [`${def.name}(${def.ports.join(', ')}) = ${inside}`];
  def.derivatives?.forEach((d, p) => {
    if (d) lines.push(`d/d${def.ports[p]} = ${d.text}`);
  });
  return lines;
}

/** A definition's inside as one expression over its ports (every gate written inline). */
function printInside(body: Circuit, gates: readonly GateDef[]): string | null {
  const byId = new Map(body.nodes.map((n) => [n.id as string, n]));
  const into = new Map<string, Map<string, string>>();
  const indegree = new Map<string, number>();
  const readers = new Map<string, string[]>();
  for (const n of body.nodes) indegree.set(n.id, 0);
  for (const w of body.wires) {
    const ports = into.get(w.to) ?? new Map<string, string>();
    ports.set(w.port, w.from);
    into.set(w.to, ports);
    indegree.set(w.to, (indegree.get(w.to) ?? 0) + 1);
    const r = readers.get(w.from) ?? [];
    r.push(w.to);
    readers.set(w.from, r);
  }
  const queue = body.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id as string);
  const printed = new Map<string, Printed>();
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head];
    const node = byId.get(id);
    if (!node) return null;
    if (node.op === 'input') {
      printed.set(id, { text: id, strength: PRECEDENCE.atom, nesting: 0 });
    } else {
      const op = resolveOp(node.op, gates);
      if (!op) return null;
      const args: Printed[] = [];
      for (const port of op.ports) {
        const from = into.get(id)?.get(port);
        if (from !== undefined) {
          const arg = printed.get(from);
          if (!arg) return null;
          args.push(arg);
          continue;
        }
        const literal = literalArgument(node, port);
        if (literal === null) return null;
        args.push(literal);
      }
      const expression = printGate(op, args);
      if (expression === null) return null;
      printed.set(id, expression);
    }
    for (const r of readers.get(id) ?? []) {
      const left = (indegree.get(r) ?? 0) - 1;
      indegree.set(r, left);
      if (left === 0) queue.push(r);
    }
  }
  const out = body.output === null ? undefined : printed.get(body.output);
  return out ? out.text : null;
}

/**
 * The order to write the nodes in: the circuit's own when every wire goes from an earlier node
 * to a later one (a parsed program's is its statement order, so it is written back as it was
 * typed), else the topological order of the program.
 */
function statementOrder(circuit: Circuit, program: Program): Iterable<number> {
  const nodes = circuit.nodes;
  const position = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) position.set(nodes[i].id, i);
  for (const w of circuit.wires) {
    if ((position.get(w.from) as number) >= (position.get(w.to) as number)) {
      return program.ids.keys();
    }
  }
  const slots: number[] = [];
  for (const node of nodes) slots.push(program.slot(node.id));
  return slots;
}

/** A gate of `op` with its ports' expressions, in port order; null for an op with no spelling. */
function printGate(op: OpDef, args: readonly Printed[]): Printed | null {
  const form = printForm(op);
  if (form === undefined) return null;
  switch (form.kind) {
    case 'infix': {
      const { token, precedence, associativity } = form.syntax;
      const right = associativity === 'right';
      const left = wrap(args[0], right ? precedence + 1 : precedence);
      // Any operand may start with a sign, so a signed right-hand operand needs no
      // parentheses: `a * -b`, `a ^ -b`.
      const rightMin = right ? Math.min(precedence, PRECEDENCE.prefix) : precedence + 1;
      const operand = wrap(args[1], rightMin);
      return {
        text: `${left.text} ${token} ${operand.text}`,
        strength: precedence,
        // The parser reads the right-hand operand of a right-associative operator one level in.
        nesting: Math.max(left.nesting, operand.nesting + (right ? 1 : 0)),
      };
    }
    case 'prefix': {
      // `-(-x)` rather than `--x`, and `-(a * b)`: the operand binds more tightly than a sign.
      const operand = wrap(args[0], form.syntax.precedence + 1);
      return {
        text: `${form.syntax.token}${operand.text}`,
        strength: form.syntax.precedence,
        nesting: operand.nesting + 1,
      };
    }
    case 'call': {
      let text = '';
      let nesting = 0;
      for (const a of args) {
        text = text === '' ? a.text : `${text}, ${a.text}`;
        nesting = Math.max(nesting, a.nesting);
      }
      if (form.axis !== undefined) text = `${text}, ${form.axis}`;
      return { text: `${form.name}(${text})`, strength: PRECEDENCE.atom, nesting: nesting + 1 };
    }
    case 'rewrite': {
      // Written as another op, with literals in the ports this op does not have.
      const { rewrite } = form;
      const target = getOp(rewrite.op);
      if (target === undefined) return null;
      const targetArgs = target.ports.map((port) => {
        const mine = rewrite.ports.indexOf(port);
        if (mine >= 0) return args[mine];
        const value = rewrite.params[port];
        return literalOf({ shape: [], data: Float64Array.of(value) }, formatNumber(value));
      });
      return printGate(target, targetArgs);
    }
    case 'operand':
      return args[0];
    case 'subscript': {
      // `W[1, 2]`: the operand binds as an atom (`(a + b)[0]`), the indices are its literals.
      const operand = wrap(args[0], PRECEDENCE.atom);
      const indices = args.slice(1).map((a) => a.text);
      return {
        text: `${operand.text}[${indices.join(', ')}]`,
        strength: PRECEDENCE.atom,
        nesting: operand.nesting + 1,
      };
    }
    case 'array': {
      // `[a, b]`, or `[[a, b], [c, d]]` row by row.
      const { shape } = form;
      const cols = shape.length === 2 ? shape[1] : shape[0];
      const rows: string[] = [];
      let nesting = 0;
      for (let k = 0; k < args.length; k += cols) {
        const row = args.slice(k, k + cols);
        for (const a of row) nesting = Math.max(nesting, a.nesting);
        rows.push(`[${row.map((a) => a.text).join(', ')}]`);
      }
      const text = shape.length === 2 ? `[${rows.join(', ')}]` : rows[0];
      return { text, strength: PRECEDENCE.atom, nesting: nesting + shape.length };
    }
  }
}

/** `p` as an operand that must bind at least `atLeast`: in parentheses if it binds less. */
function wrap(p: Printed, atLeast: number): { readonly text: string; readonly nesting: number } {
  return p.strength >= atLeast ? p : { text: `(${p.text})`, nesting: p.nesting + 1 };
}

/** The literal a gate holds in `port`, written out; null when it has none or it has no spelling. */
function literalArgument(node: CircuitNode, port: string): Printed | null {
  const literal = node.params?.[port];
  const text = literal ? literalCode(literal) : null;
  return literal && text !== null ? literalOf(literal, text) : null;
}

/**
 * A literal inside an expression, written `text`. A negative number reads as a sign on a
 * number (one level of nesting, and as weak as a sign: `(-2) ^ x`); an array is one level per
 * bracket.
 */
function literalOf(value: Tensor, text: string): Printed {
  if (text.startsWith('-')) return { text, strength: PRECEDENCE.prefix, nesting: 1 };
  return { text, strength: PRECEDENCE.atom, nesting: value.shape.length };
}
