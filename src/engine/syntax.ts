/**
 * The expression language's tables, built from the op registry: which token or function name
 * makes which op, how tightly operators bind, which names are reserved, and how each op is
 * written back. `parse` and `toProgram` both read these; adding an op with a `syntax` adds it
 * to the language.
 */
import { ALL_OPS } from './ops';
import {
  type BinaryOp,
  type InfixSyntax,
  type OpDef,
  PRECEDENCE,
  type PrefixSyntax,
  type Rewrite,
  type TensorOp,
  type UnaryOp,
} from './ops/types';

export { PRECEDENCE };

/** `randn(r, c)` declares a random input; it is not an op, but its name is taken. */
export const RANDN = 'randn';

/** An infix operator: the op it makes (of two ports) and how it binds. */
export interface InfixEntry extends InfixSyntax {
  readonly op: BinaryOp | TensorOp;
}

/** A prefix operator: the op it makes (of one port). */
export interface PrefixEntry extends PrefixSyntax {
  readonly op: UnaryOp | TensorOp;
}

/** A function name: the op it makes for each number of arguments. */
export type FunctionEntry = ReadonlyMap<number, OpDef>;

const infix = new Map<string, InfixEntry>();
const prefix = new Map<string, PrefixEntry>();
const functions = new Map<string, Map<number, OpDef>>();
const axisFunctions = new Map<string, Map<number, TensorOp>>();
const subscripts = new Map<number, TensorOp>();
const arrays = new Map<string, TensorOp>();

for (const op of ALL_OPS) {
  const { syntax } = op;
  if (syntax.infix && (op.kind === 'binary' || op.kind === 'tensor')) {
    const entry = { ...syntax.infix, op };
    for (const token of [syntax.infix.token, ...(syntax.infix.aliases ?? [])]) {
      infix.set(token, entry);
    }
  }
  if (syntax.prefix && (op.kind === 'unary' || op.kind === 'tensor')) {
    prefix.set(syntax.prefix.token, { ...syntax.prefix, op });
  }
  if (syntax.subscript && op.kind === 'tensor') subscripts.set(syntax.subscript.indices, op);
  if (syntax.array && op.kind === 'tensor') arrays.set(syntax.array.shape.join('x'), op);
  if (syntax.call) {
    const axis = syntax.call.axis;
    for (const name of [syntax.call.name, ...(syntax.call.aliases ?? [])]) {
      let byArity = functions.get(name);
      if (!byArity) {
        byArity = new Map();
        functions.set(name, byArity);
      }
      if (axis === undefined || op.kind !== 'tensor') {
        byArity.set(op.ports.length, op);
        continue;
      }
      // `sum(t, 0)`: the axis is a number written in the call, so it is one argument more.
      let byAxis = axisFunctions.get(name);
      if (!byAxis) {
        byAxis = new Map();
        axisFunctions.set(name, byAxis);
      }
      byAxis.set(axis, op);
    }
  }
}

/** Infix tokens (and their aliases) → op. */
export const INFIX: ReadonlyMap<string, InfixEntry> = infix;
/** Prefix tokens → op. */
export const PREFIX: ReadonlyMap<string, PrefixEntry> = prefix;
/** Function names (and aliases) → arity → op, in registry order. */
export const FUNCTIONS: ReadonlyMap<string, FunctionEntry> = functions;

/**
 * Function names that also take an axis (`sum(t, 0)`, `mean(t, 1)`) → axis → op. The call has
 * one argument more than the op has ports: the axis, a number written in place.
 */
export const AXIS_FUNCTIONS: ReadonlyMap<string, ReadonlyMap<number, TensorOp>> = axisFunctions;

/** `x[i]` and `x[i, j]`: the number of indices → the op that takes that entry. */
export const SUBSCRIPTS: ReadonlyMap<number, TensorOp> = subscripts;

/**
 * The op that assembles an array of expressions of this shape (`[a, b]`, `[[a, b], [c, d]]`),
 * or undefined when there is none (too large).
 */
export function arrayOp(shape: readonly number[]): TensorOp | undefined {
  return arrays.get(shape.join('x'));
}

/** Every operator token, longest first (so that `**` is read before `*`). */
export const OPERATOR_TOKENS: readonly string[] = [
  ...new Set([...infix.keys(), ...prefix.keys()]),
].sort((a, b) => b.length - a.length);

/** Names that cannot be assigned: every function name, and `randn`. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([...functions.keys(), RANDN]);

/**
 * How many arguments a function takes, in words, for the message when a call has another
 * number: "1 argument", or "1 argument (the largest entry of a tensor) or 2 (the larger of two
 * values)".
 */
export function expectedArguments(name: string): string {
  const byArity = functions.get(name);
  if (!byArity) return '';
  // An axis form counts as one argument more than its op's ports (all its ops agree).
  const forms = new Map<number, OpDef>(byArity);
  for (const op of axisFunctions.get(name)?.values() ?? []) {
    if (!forms.has(op.ports.length + 1)) forms.set(op.ports.length + 1, op);
  }
  const arities = [...forms.keys()].sort((a, b) => a - b);
  const word = (n: number) => `${n} argument${n === 1 ? '' : 's'}`;
  if (arities.length === 1) return word(arities[0]);
  return arities
    .map((n, i) => {
      const hint = (forms.get(n) as OpDef).syntax.call?.hint;
      const count = i === 0 ? word(n) : String(n);
      return hint ? `${count} (${hint})` : count;
    })
    .join(' or ');
}

/** How `toProgram` writes a gate of an op. */
export type PrintForm =
  | { readonly kind: 'infix'; readonly syntax: InfixSyntax }
  | { readonly kind: 'prefix'; readonly syntax: PrefixSyntax }
  | {
      readonly kind: 'call';
      readonly name: string;
      /** Written as one more argument after the ports: `sum(t, 0)`. */
      readonly axis?: number;
    }
  | { readonly kind: 'rewrite'; readonly rewrite: Rewrite }
  | { readonly kind: 'operand' }
  | { readonly kind: 'subscript'; readonly indices: 1 | 2 }
  | { readonly kind: 'array'; readonly shape: readonly [number] | readonly [number, number] };

/** The form an op is written in, or undefined for a source (written as a declaration). */
export function printForm(op: OpDef): PrintForm | undefined {
  const { syntax } = op;
  if (syntax.infix) return { kind: 'infix', syntax: syntax.infix };
  if (syntax.prefix) return { kind: 'prefix', syntax: syntax.prefix };
  if (syntax.call) {
    const { name, axis } = syntax.call;
    return axis === undefined ? { kind: 'call', name } : { kind: 'call', name, axis };
  }
  if (syntax.rewrite === 'operand') return { kind: 'operand' };
  if (syntax.rewrite) return { kind: 'rewrite', rewrite: syntax.rewrite };
  if (syntax.subscript) return { kind: 'subscript', indices: syntax.subscript.indices };
  if (syntax.array) return { kind: 'array', shape: syntax.array.shape };
  return undefined;
}
