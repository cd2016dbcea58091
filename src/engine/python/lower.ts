/**
 * Pasted Python lowered to the app's expression language, line for line, so that every
 * message (the app parser's too) says the line of what was pasted.
 *
 * The statements are split into the forward pass, which becomes the circuit, and the backward
 * pass (assignments to `d<name>` of a forward name, `dx += …`, and what reads them), which is
 * kept for the backward check. A name assigned again (`c += c + 1`, `h = np.maximum(0, h)`)
 * is a new version: the last one keeps the name, the earlier ones are `c_1`, `c_2`, ….
 *
 * A function (`def softplus(x): …`) is written as a gate definition on its `def` line, its
 * locals substituted into the returned expression; `def dsoftplus_dx(x): …` after it is
 * written as `d/dx = …` right after that definition. Calls of a function are calls of its gate,
 * except in backward lines, where the call is written out as the function's expression.
 */
import { ParseError } from '../errors';
import { nameTaken } from '../gates/scope';
import { LIMITS, overLimit } from '../limits';
import { PRECEDENCE } from '../ops/types';
import { FUNCTIONS, RANDN, RESERVED_NAMES } from '../syntax';
import type { GateDef } from '../types';
import {
  type AssignOp,
  type DefStatement,
  dotted,
  type Expr,
  type Place,
  type Statement,
} from './read';

/**
 * A piece of lowered text and the source column it came from (for mapping errors back); a
 * piece written on another line than the pasted line it came from (a function's body is
 * written as one definition) carries its own line.
 */
interface Segment {
  readonly text: string;
  readonly column: number;
  readonly line?: number;
}

/** A lowered expression: its pieces, and how tightly it binds (PRECEDENCE). */
interface Lowered {
  readonly parts: readonly Segment[];
  readonly prec: number;
}

/** One statement of the forward pass, as the circuit has it. */
export interface ForwardStatement {
  /** The node the statement names (the Python name, or a version of it: `c_1`). */
  readonly node: string;
  /** The Python name assigned. */
  readonly name: string;
  readonly line: number;
  /** The source of the statement's line, trimmed. */
  readonly source: string;
}

/** The right-hand side of a backward line (or one entry of a list), lowered for evaluation. */
export interface BackwardValue {
  /** App-language expression over the placeholders `names` maps, or undefined if not lowerable. */
  readonly text?: string;
  /** Why it could not be lowered. */
  readonly problem?: string;
  /** Placeholder → what it stands for: a forward node, or a backward variable. */
  readonly names: ReadonlyMap<string, BackwardName>;
}

export type BackwardName =
  | { readonly kind: 'forward'; readonly node: string; readonly name: string }
  /** A backward variable; `of` is the forward node when it is `d<name>` of a forward name. */
  | { readonly kind: 'backward'; readonly name: string; readonly of?: string }
  /** A name nothing defines: neither the forward pass nor an earlier backward line. */
  | { readonly kind: 'unknown'; readonly name: string };

export interface BackwardLine {
  readonly line: number;
  /** The variable assigned (`dx`). */
  readonly target: string;
  readonly op: AssignOp;
  /** The forward name whose gradient `target` is (`x` for `dx`), when there is one. */
  readonly of?: { readonly name: string; readonly node: string };
  /** A list right-hand side (`dx = [w[0] * ddot, w[1] * ddot]`) has one value per entry. */
  readonly list: boolean;
  readonly values: readonly BackwardValue[];
  /** The statement's text as pasted. */
  readonly source: string;
  /**
   * Set when the line chooses the output's upstream gradient rather than computing one
   * (`dD = np.random.randn(*D.shape)`, `df = 1.0`, `dD = np.ones_like(D)`).
   */
  readonly upstream?: 'random' | 'ones';
}

export interface LoweredPython {
  /** The forward pass in the app's language, one line per pasted line. */
  readonly program: string;
  readonly forward: readonly ForwardStatement[];
  readonly backward: readonly BackwardLine[];
  /** Notes for the user: what was left out, which output was taken, versions. */
  readonly notes: readonly string[];
  /** The upstream gradient the backward pass asks for (`dD = np.random.randn(*D.shape)`). */
  readonly upstream?: 'random' | 'ones';
  /** Maps an error at (line, column) of `program` back to the column of the pasted text. */
  sourceColumn(line: number, column: number): number;
  /** Maps an error at (line, column) of `program` back to the pasted line and column. */
  sourcePlace(line: number, column: number): Place;
}

export interface LowerOptions {
  /** Gates the paste may call without defining them (the document's own). */
  readonly gates?: readonly GateDef[];
  /** The paste holds definitions only (the palette's New gate): nothing need use them. */
  readonly definitionsOnly?: boolean;
}

const fail = (at: Place, message: string): never => {
  throw new ParseError(message, at.line, at.column);
};

const MATH_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['exp', 'exp'],
  ['log', 'log'],
  ['sqrt', 'sqrt'],
  ['tanh', 'tanh'],
  ['sin', 'sin'],
  ['cos', 'cos'],
  ['fabs', 'abs'],
  ['pow', 'pow'],
]);

const MATH_INSTEAD: ReadonlyMap<string, string> = new Map([
  ['log10', 'write log(x) / log(10)'],
  ['log2', 'write log(x) / log(2)'],
  ['log1p', 'write log(1 + x)'],
  ['expm1', 'write exp(x) - 1'],
  ['exp2', 'write 2 ** x'],
  ['hypot', 'write sqrt(a**2 + b**2)'],
  ['tan', 'write sin(x) / cos(x)'],
  ['cosh', 'write (exp(x) + exp(-x)) / 2'],
  ['sinh', 'write (exp(x) - exp(-x)) / 2'],
  ['floor', 'it has no useful gradient; leave it out'],
  ['ceil', 'it has no useful gradient; leave it out'],
]);

const NUMPY_UNARY: ReadonlyMap<string, string> = new Map([
  ['exp', 'exp'],
  ['log', 'log'],
  ['tanh', 'tanh'],
  ['sqrt', 'sqrt'],
  ['abs', 'abs'],
  ['absolute', 'abs'],
  ['sin', 'sin'],
  ['cos', 'cos'],
  ['transpose', 'transpose'],
]);

const NUMPY_INSTEAD: ReadonlyMap<string, string> = new Map([
  ['zeros', 'write the numbers as a list, as in [[0, 0], [0, 0]]'],
  ['ones', 'write the numbers as a list, as in [[1, 1], [1, 1]]'],
  ['zeros_like', 'write the numbers as a list of the same shape'],
  ['ones_like', 'write the numbers as a list of the same shape'],
  ['log10', 'write np.log(x) / np.log(10)'],
  ['log2', 'write np.log(x) / np.log(2)'],
  ['square', 'write x ** 2'],
  ['power', 'write x ** p'],
  ['matmul', 'write W @ X'],
  ['where', 'it has no gradient of its own: for max(x, 0) write np.maximum(0, x)'],
  ['reshape', 'write the numbers as a list of the shape you want'],
]);

const METHOD_UNARY: ReadonlyMap<string, string> = new Map([
  ['relu', 'relu'],
  ['tanh', 'tanh'],
  ['exp', 'exp'],
  ['log', 'log'],
  ['sigmoid', 'sigmoid'],
]);

const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['pi', Math.PI],
  ['e', Math.E],
]);

const MODULES = new Set(['math', 'np', 'numpy']);

/** The app functions a bare call may name (`exp(x)` after `from math import exp`). */
const BUILTINS: ReadonlyMap<string, string> = new Map([
  ['abs', 'abs'],
  ['max', 'max'],
  ['min', 'min'],
  ['pow', 'pow'],
]);

const ATOM = PRECEDENCE.atom;

function seg(text: string, at: Place): Segment {
  return { text, column: at.column };
}

function atom(parts: readonly Segment[]): Lowered {
  return { parts, prec: ATOM };
}

/** The parts of `x`, in parentheses when it binds less tightly than `min`. */
function wrap(x: Lowered, min: number, at: Place): Segment[] {
  if (x.prec >= min) return [...x.parts];
  return [seg('(', at), ...x.parts, seg(')', at)];
}

/** Adds `parts` to `out` (a loop: a list of a hundred thousand numbers is no call's arguments). */
function append(out: Segment[], parts: readonly Segment[]): void {
  for (const p of parts) out.push(p);
}

function textOf(parts: readonly Segment[]): string {
  return parts.map((p) => p.text).join('');
}

/**
 * How one name reads in an expression: its lowered text (or, for a function's local, the
 * lowered expression it stands for), or a message saying why not.
 */
type Resolve = (name: string, at: Place) => string | Lowered;

/** A function the paste defines (or a gate the document has), as a call reads it. */
interface Callable {
  /** The name the paste calls it by. */
  readonly python: string;
  /** The gate's name in the app's language. */
  readonly name: string;
  /** Its parameters as the paste names them, in order. */
  readonly params: readonly string[];
  /** Writes the call as the function's own expression instead of a gate (backward lines). */
  readonly inline?: (args: readonly Lowered[]) => Lowered;
}

/**
 * The function a bare call names, if the paste defines one (or the document has the gate);
 * undefined for the app's and Python's own functions. Throws at the call for one that cannot
 * be called there (itself, or one defined further down).
 */
type Calls = (name: string, at: Place) => Callable | undefined;

/** A number's text as the app reads it (Python's `1_000`, `0x10` written plainly). */
function numberText(text: string, at: Place): string {
  if (/[jJ]$/.test(text)) fail(at, `complex numbers (${text}) are not supported`);
  const plain = text.replace(/_/g, '');
  if (/^0[xXoObB]/.test(plain)) {
    const value = Number(plain);
    if (!Number.isFinite(value)) fail(at, `${text} is not a number the app can read`);
    return String(value);
  }
  if (!Number.isFinite(Number(plain))) fail(at, `the number ${text.slice(0, 30)} is too large`);
  return plain;
}

/** A whole-number index written out (`0`, `2`), or a message at it. */
function indexText(e: Expr): string {
  if (e.k === 'neg' && e.x.k === 'num') {
    return fail(e.at, 'negative indices (w[-1]) are not supported: count from 0, as in w[2]');
  }
  if (e.k !== 'num' || !/^\d+$/.test(e.text.replace(/_/g, ''))) {
    return fail(e.at, 'an index must be a whole number written out, as in w[0] or W[1, 2]');
  }
  return e.text.replace(/_/g, '');
}

/** The axis of a NumPy reduction: none (the whole array) or 0 / 1. */
function axisOf(e: Expr | undefined, fn: string): number | undefined {
  if (e === undefined) return undefined;
  if (e.k === 'name' && e.name === 'None') return undefined;
  const negative = e.k === 'neg' && e.x.k === 'num';
  const num = negative ? (e as { x: Expr }).x : e;
  if (num.k !== 'num' || !/^\d+$/.test(num.text)) {
    return fail(e.at, `the axis of ${fn} is written as a number, 0 or 1`);
  }
  let axis = Number(num.text);
  if (negative) axis = 2 - axis;
  if (axis !== 0 && axis !== 1)
    fail(e.at, `${fn} takes axis=0 (down the rows) or axis=1 (across the columns)`);
  return axis;
}

/** Lowers one expression, reading names through `resolve` and functions through `calls`. */
function lowerExpr(e: Expr, resolve: Resolve, calls?: Calls): Lowered {
  const go = (x: Expr) => lowerExpr(x, resolve, calls);
  switch (e.k) {
    case 'num':
      return atom([seg(numberText(e.text, e.at), e.at)]);
    case 'str':
      return fail(e.at, 'strings are only allowed inside print(…): a circuit computes numbers');
    case 'star':
      return fail(
        e.at,
        'unpacking arguments (*args) is not supported: write the arguments out, as in np.random.randn(5, 3)',
      );
    case 'name': {
      if (e.name === 'True' || e.name === 'False') {
        return fail(e.at, `${e.name} is not supported: write ${e.name === 'True' ? 1 : 0}`);
      }
      if (e.name === 'None') return fail(e.at, 'None is not supported: write a number');
      if (MODULES.has(e.name)) {
        return fail(
          e.at,
          `${e.name} is a module: call one of its functions, as in ${e.name}.exp(x)`,
        );
      }
      const read = resolve(e.name, e.at);
      return typeof read === 'string' ? atom([seg(read, e.at)]) : read;
    }
    case 'neg': {
      const x = go(e.x);
      return {
        parts: [seg('-', e.at), ...wrap(x, PRECEDENCE.power, e.at)],
        prec: PRECEDENCE.prefix,
      };
    }
    case 'bin': {
      const a = go(e.a);
      const b = go(e.b);
      if (e.op === '**') {
        return {
          parts: [...wrap(a, ATOM, e.at), seg(' ** ', e.at), ...wrap(b, PRECEDENCE.prefix, e.at)],
          prec: PRECEDENCE.power,
        };
      }
      const prec = e.op === '+' || e.op === '-' ? PRECEDENCE.additive : PRECEDENCE.multiplicative;
      return {
        parts: [...wrap(a, prec, e.at), seg(` ${e.op} `, e.at), ...wrap(b, prec + 1, e.at)],
        prec,
      };
    }
    case 'chain': {
      const prec = e.level === 'additive' ? PRECEDENCE.additive : PRECEDENCE.multiplicative;
      const parts = wrap(go(e.first), prec, e.at);
      for (const { op, x, at } of e.rest) {
        parts.push(seg(` ${op} `, at));
        append(parts, wrap(go(x), prec + 1, at));
      }
      return { parts, prec };
    }
    case 'list': {
      if (e.tuple) fail(e.at, 'tuples (a, b) are not supported: write a list [a, b] for a vector');
      if (e.items.length === 0)
        fail(e.at, 'an empty list is not a value: write its numbers, as in [1, 2]');
      const parts: Segment[] = [seg('[', e.at)];
      e.items.forEach((item, i) => {
        if (i > 0) parts.push(seg(', ', item.at));
        append(parts, go(item).parts);
      });
      parts.push(seg(']', e.at));
      return atom(parts);
    }
    case 'index': {
      const obj = go(e.obj);
      const indices = e.indices.map(indexText);
      return atom([...wrap(obj, ATOM, e.at), seg(`[${indices.join(', ')}]`, e.at)]);
    }
    case 'attr': {
      const path = dotted(e);
      const root = path?.split('.')[0];
      if (path !== undefined && root !== undefined && MODULES.has(root)) {
        const constant = CONSTANTS.get(path.slice(root.length + 1));
        if (constant !== undefined) return atom([seg(String(constant), e.at)]);
        return fail(
          e.at,
          `${path} is not supported: the app knows ${root}.pi and ${root}.e, and the functions listed in the README`,
        );
      }
      if (e.name === 'T') {
        return atom([seg('transpose(', e.at), ...go(e.obj).parts, seg(')', e.at)]);
      }
      return fail(
        e.at,
        `the attribute .${e.name} is not supported: the app reads .T (transpose) and methods such as .dot(X)`,
      );
    }
    case 'call':
      return lowerCall(e, resolve, calls);
  }
}

/** A call: a module function, a method, or a bare function. */
function lowerCall(e: Expr & { k: 'call' }, resolve: Resolve, calls?: Calls): Lowered {
  const go = (x: Expr) => lowerExpr(x, resolve, calls);
  const call = (name: string, args: readonly Expr[], at: Place, extra = ''): Lowered => {
    const parts: Segment[] = [seg(`${name}(`, at)];
    args.forEach((a, i) => {
      if (i > 0) parts.push(seg(', ', a.at));
      append(parts, go(a).parts);
    });
    parts.push(seg(`${extra})`, at));
    return atom(parts);
  };
  const arity = (name: string, n: number, usage: string) => {
    if (e.args.length !== n)
      fail(e.at, `${name} takes ${n === 1 ? '1 argument' : `${n} arguments`}, as in ${usage}`);
  };
  const noKeywords = (name: string) => {
    for (const key of e.kwargs.keys()) fail(e.at, `${name} takes no keyword argument ${key}=`);
  };
  const product = (a: Expr, b: Expr): Lowered => ({
    parts: [
      ...wrap(go(a), PRECEDENCE.multiplicative, e.at),
      seg(' @ ', e.at),
      ...wrap(go(b), PRECEDENCE.multiplicative + 1, e.at),
    ],
    prec: PRECEDENCE.multiplicative,
  });
  const reduce = (fn: string, app: string, x: Expr, axisArg: Expr | undefined): Lowered => {
    for (const key of e.kwargs.keys()) {
      if (key !== 'axis' && key !== 'keepdims')
        fail(e.at, `${fn} takes axis= and keepdims= only, not ${key}=`);
    }
    const axis = axisOf(axisArg ?? e.kwargs.get('axis'), fn);
    const keep = e.kwargs.get('keepdims');
    if (
      keep !== undefined &&
      !(keep.k === 'name' && (keep.name === 'True' || keep.name === 'False'))
    ) {
      fail(keep.at, `keepdims is True or False`);
    }
    return call(app, [x], e.at, axis === undefined ? '' : `, ${axis}`);
  };

  const path = dotted(e.fn);
  const root = path?.split('.')[0];
  if (path !== undefined && root !== undefined && MODULES.has(root) && path.includes('.')) {
    const name = path.slice(root.length + 1);
    if (root === 'math') {
      const app = MATH_FUNCTIONS.get(name);
      noKeywords(path);
      if (name === 'log' && e.args.length === 2) {
        fail(e.at, 'math.log(x, base) is not supported: write log(x) / log(base)');
      }
      if (app !== undefined) {
        arity(path, app === 'pow' ? 2 : 1, app === 'pow' ? `${path}(x, 2)` : `${path}(x)`);
        return call(app, e.args, e.at);
      }
      const instead = MATH_INSTEAD.get(name);
      if (instead !== undefined) return fail(e.at, `${path} is not supported: ${instead}`);
      return fail(
        e.at,
        `${path} is not supported: the math functions the app knows are math.exp, math.log, math.sqrt, math.tanh, math.sin, math.cos, math.pow and math.fabs`,
      );
    }
    // NumPy.
    const unary = NUMPY_UNARY.get(name);
    if (unary !== undefined) {
      noKeywords(path);
      arity(path, 1, `${path}(x)`);
      return call(unary, e.args, e.at);
    }
    if (name === 'maximum' || name === 'minimum') {
      noKeywords(path);
      arity(path, 2, `${path}(0, x)`);
      return call(name === 'maximum' ? 'max' : 'min', e.args, e.at);
    }
    if (name === 'sum' || name === 'mean') {
      if (e.args.length < 1 || e.args.length > 2)
        fail(e.at, `${path} takes an array and maybe an axis, as in ${path}(x, axis=0)`);
      return reduce(path, name, e.args[0], e.args[1]);
    }
    if (name === 'max' || name === 'min') {
      noKeywords(path);
      arity(path, 1, `${path}(x)`);
      return call(name, e.args, e.at);
    }
    if (name === 'dot') {
      noKeywords(path);
      arity(path, 2, `${path}(W, X)`);
      return product(e.args[0], e.args[1]);
    }
    if (name === 'array') {
      noKeywords(path);
      arity(path, 1, `${path}([[1, 2], [3, 4]])`);
      const list = e.args[0];
      if (list.k !== 'list')
        fail(list.at, `${path} takes a list of numbers, as in ${path}([[1, 2], [3, 4]])`);
      return go(list);
    }
    if (name === 'random.randn') {
      noKeywords(path);
      if (e.args.length !== 2) {
        fail(
          e.at,
          `${path} takes rows and columns here, as in ${path}(5, 10) (for a column write ${path}(5, 1))`,
        );
      }
      return call(RANDN, e.args, e.at);
    }
    const instead = NUMPY_INSTEAD.get(name);
    if (instead !== undefined) return fail(e.at, `${path} is not supported: ${instead}`);
    return fail(
      e.at,
      `${path} is not supported: the NumPy functions the app knows are np.exp, np.log, np.tanh, np.sqrt, np.maximum, np.sum, np.mean, np.dot, np.array and np.random.randn`,
    );
  }

  if (e.fn.k === 'attr') {
    // A method of a value: W.dot(X), x.relu(), x.sum(axis=0).
    const method = e.fn.name;
    const obj = e.fn.obj;
    if (method === 'dot') {
      noKeywords('.dot');
      arity('.dot', 1, 'W.dot(X)');
      return product(obj, e.args[0]);
    }
    const unary = METHOD_UNARY.get(method);
    if (unary !== undefined) {
      noKeywords(`.${method}()`);
      arity(`.${method}()`, 0, `x.${method}()`);
      return call(unary, [obj], e.at);
    }
    if (method === 'sum' || method === 'mean') {
      if (e.args.length > 1)
        fail(e.at, `.${method}() takes at most an axis, as in x.${method}(axis=0)`);
      return reduce(`.${method}()`, method, obj, e.args[0]);
    }
    if (method === 'max' || method === 'min') {
      noKeywords(`.${method}()`);
      arity(`.${method}()`, 0, `x.${method}()`);
      return call(method, [obj], e.at);
    }
    const where = path === undefined ? 'a value' : path.split('.').slice(0, -1).join('.');
    return fail(
      e.at,
      `${path ?? `.${method}`}(…) is not supported: ${MODULES.has(where) || where.includes('.') ? 'the app understands math, numpy (as np) and micrograd' : 'the methods the app knows are .dot, .sum, .mean, .max, .min, .relu, .tanh, .exp and .log'}`,
    );
  }

  if (e.fn.k === 'name') {
    const name = e.fn.name;
    const own = calls?.(name, e.at);
    if (own?.inline !== undefined) return own.inline(gateArguments(e, own).map(go));
    if (own !== undefined) return call(own.name, gateArguments(e, own), e.at);
    noKeywords(name);
    if (name === 'Value') {
      // micrograd's Value(x) is x.
      arity('Value', 1, 'Value(2.0)');
      return go(e.args[0]);
    }
    if (name === 'float' || name === 'int') {
      arity(name, 1, `${name}(x)`);
      return go(e.args[0]);
    }
    const builtin = BUILTINS.get(name);
    if (builtin !== undefined || FUNCTIONS.has(name) || name === RANDN) {
      return call(builtin ?? name, e.args, e.at);
    }
    return fail(
      e.at,
      `${name}(…) is not supported: the app knows math.exp, math.log, math.sqrt, math.tanh, the NumPy functions np.exp … np.dot, and its own ${[...FUNCTIONS.keys()].sort().join(', ')}`,
    );
  }
  return fail(e.at, 'only a function or a method can be called, as in math.exp(x) or W.dot(X)');
}

/** The arguments of a call of a defined function, in parameter order (keywords placed). */
function gateArguments(e: Expr & { k: 'call' }, own: Callable): Expr[] {
  const n = own.params.length;
  const takes = `${own.python} takes ${n === 1 ? '1 argument' : `${n} arguments`} (${own.params.join(', ')})`;
  const given = e.args.length + e.kwargs.size;
  if (given !== n) fail(e.at, `${takes}, but this call gives ${given}`);
  const args: (Expr | undefined)[] = [...e.args];
  for (const [key, value] of e.kwargs) {
    const i = own.params.indexOf(key);
    if (i < 0) fail(value.at, `${own.python} has no parameter ${key}: ${takes}`);
    if (args[i] !== undefined)
      fail(value.at, `${key} is given twice in this call of ${own.python}`);
    args[i] = value;
  }
  return args as Expr[];
}

/**
 * What a line that only chooses the output's upstream gradient asks for: random
 * (`np.random.randn(*D.shape)`, `np.random.randn(5, 3)`, `np.random.standard_normal(…)`),
 * ones (`1`, `1.0`, `np.ones_like(D)`, `np.ones(D.shape)`), or undefined for anything else.
 */
function upstreamOf(e: Expr): 'random' | 'ones' | undefined {
  if (e.k === 'num' && Number(e.text) === 1) return 'ones';
  if (e.k !== 'call') return undefined;
  const path = dotted(e.fn);
  if (path === undefined) return undefined;
  const name = path.replace(/^(np|numpy)\./, '');
  if (name === path) return undefined;
  if (name === 'random.randn' || name === 'random.standard_normal') return 'random';
  if (name === 'ones_like' || name === 'ones') return 'ones';
  return undefined;
}

/** Every name an expression reads, in order. */
function namesRead(e: Expr, out: string[]): string[] {
  switch (e.k) {
    case 'name':
      out.push(e.name);
      break;
    case 'neg':
      namesRead(e.x, out);
      break;
    case 'bin':
      namesRead(e.a, out);
      namesRead(e.b, out);
      break;
    case 'chain':
      namesRead(e.first, out);
      for (const { x } of e.rest) namesRead(x, out);
      break;
    case 'list':
      for (const x of e.items) namesRead(x, out);
      break;
    case 'index':
      namesRead(e.obj, out);
      break;
    case 'attr':
      namesRead(e.obj, out);
      break;
    case 'call':
      if (e.fn.k !== 'name') namesRead(e.fn, out);
      for (const x of e.args) namesRead(x, out);
      for (const x of e.kwargs.values()) namesRead(x, out);
      break;
    default:
      break;
  }
  return out;
}

const OP_TEXT: Readonly<Record<Exclude<AssignOp, '='>, '+' | '-' | '*' | '/' | '**' | '@'>> = {
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '**': '**',
  '@': '@',
};

/**
 * What an assignment gives its target: its value, or for `x += v` (and the other augmented
 * forms) `x + v`, refused when x has no value yet (`known`).
 */
function assignedValue(s: Extract<Statement, { k: 'assign' }>, known: boolean): Expr {
  if (s.op === '=') return s.value;
  if (!known) {
    fail(
      s.at,
      `${s.target} ${s.op}= … needs a value of ${s.target} first: write ${s.target} = … before it`,
    );
  }
  return {
    k: 'bin',
    op: OP_TEXT[s.op],
    a: { k: 'name', name: s.target, at: s.at },
    b: s.value,
    at: s.at,
  };
}

/** "line 4" or "lines 15–33" */
function lineRange(lines: readonly number[]): string {
  const first = Math.min(...lines);
  const last = Math.max(...lines);
  return first === last ? `line ${first}` : `lines ${first}–${last}`;
}

/** "lines 3, 5 and 9" */
function linesText(lines: readonly number[]): string {
  const unique = [...new Set(lines)];
  if (unique.length === 1) return `line ${unique[0]}`;
  return `lines ${unique.slice(0, -1).join(', ')} and ${unique[unique.length - 1]}`;
}

/**
 * Lowers the statements of pasted Python (see `readStatements`). `source` is the pasted text,
 * for quoting lines back. Throws a ParseError at the first line it cannot take.
 */
export function lowerPython(
  statements: readonly Statement[],
  source: string,
  options: LowerOptions = {},
): LoweredPython {
  const sourceLines = source.split('\n');
  const assigns = statements.filter((s): s is Statement & { k: 'assign' } => s.k === 'assign');
  const everyName = new Set<string>();
  for (const s of assigns) {
    everyName.add(s.target);
    for (const n of namesRead(s.value, [])) everyName.add(n);
  }

  // Which statements are backward: `dN = …` of a forward name N, any `d…` once the backward
  // pass has begun, and whatever reads a variable the backward pass assigned.
  const forwardSoFar = new Set<string>();
  const backwardSoFar = new Set<string>();
  const isBackward = new Map<Statement, boolean>();
  for (const s of assigns) {
    const of = s.target.length > 1 && s.target.startsWith('d') ? s.target.slice(1) : undefined;
    const reads = namesRead(s.value, []);
    const backward =
      (of !== undefined && forwardSoFar.has(of) && !forwardSoFar.has(s.target)) ||
      (of !== undefined && backwardSoFar.size > 0 && !forwardSoFar.has(s.target)) ||
      backwardSoFar.has(s.target) ||
      reads.some((n) => backwardSoFar.has(n));
    isBackward.set(s, backward);
    (backward ? backwardSoFar : forwardSoFar).add(s.target);
  }

  // Versions: how often each forward name is assigned, and the node each assignment names.
  const assignedCount = new Map<string, number>();
  for (const s of assigns) {
    if (!isBackward.get(s)) assignedCount.set(s.target, (assignedCount.get(s.target) ?? 0) + 1);
  }
  const taken = new Set<string>(everyName);
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 2; taken.has(name) || RESERVED_NAMES.has(name); k++) name = `${base}${k}`;
    taken.add(name);
    return name;
  };
  /** The node name of a name's last version: the name itself unless the app reserves it. */
  const finalName = new Map<string, string>();
  for (const name of assignedCount.keys()) {
    finalName.set(name, RESERVED_NAMES.has(name) ? fresh(`${name}_`) : name);
  }

  const lines: Segment[][] = sourceLines.map(() => []);
  const forward: ForwardStatement[] = [];
  const backward: BackwardLine[] = [];
  const current = new Map<string, string>();
  const versionIndex = new Map<string, number>();
  const versioned: string[] = [];
  const ignored = new Map<string, number[]>();
  let placeholderCount = 0;

  // A statement's line as pasted, without its comment.
  const sourceOf = (at: Place): string =>
    (sourceLines[at.line - 1] ?? '').replace(/#.*$/, '').replace(/\s+/g, ' ').trim();

  // Functions: the gates the paste defines, by the name it calls them, and the hand-written
  // derivatives (`def dsoftplus_dx`), which are not gates of their own.
  const defs = statements.filter((s): s is DefStatement => s.k === 'def');
  const defLine = new Map<string, number>();
  for (const d of defs) {
    const before = defLine.get(d.name);
    if (before !== undefined) {
      fail(
        d.nameAt,
        `${d.name} is defined twice (lines ${before} and ${d.nameAt.line}): give one of them another name`,
      );
    }
    defLine.set(d.name, d.nameAt.line);
    const value = assigns.find((a) => a.target === d.name);
    if (value !== undefined) {
      fail(
        d.nameAt,
        `${d.name} is both a function (line ${d.nameAt.line}) and a value (line ${value.at.line}): give one of them another name`,
      );
    }
    taken.add(d.name);
  }
  const gates = new Map<string, GateInfo>();
  for (const g of options.gates ?? []) {
    gates.set(g.name, { python: g.name, name: g.name, params: [...g.ports], ports: [...g.ports] });
  }
  const derivativeOf = new Map<string, { gate: GateInfo; port: string }>();
  /** The functions lowered so far, by the name the paste calls them. */
  const lowered = new Map<string, DefStatement>();
  /** Characters that writing locals out (and inlining calls) may still add. */
  const budget = { left: LIMITS.programLength };
  const defNotes: string[] = [];
  const calls =
    (inside?: string, self?: string): Calls =>
    (name, at) => {
      if (name === inside) {
        return fail(
          at,
          `${name} calls itself: a gate cannot be made of itself (recursion), write its expression without the call`,
        );
      }
      const gate = gates.get(name);
      if (gate !== undefined && (gate.line === undefined || gate.line < at.line || name === self)) {
        return gate;
      }
      const d = derivativeOf.get(name);
      if (d !== undefined) {
        return fail(
          at,
          `${name} is the hand-written d/d${d.port} of ${d.gate.python}, which the app uses as its local gradient: call ${d.gate.python} instead`,
        );
      }
      const line = defLine.get(name);
      if (line !== undefined) {
        return fail(
          at,
          `${name} is called on line ${at.line} before it is defined on line ${line}: put def ${name} above its first use`,
        );
      }
      return undefined;
    };

  /** Writes `def` as a gate definition (or as `d/dx = …` of an earlier gate) on its line. */
  function lowerDef(d: DefStatement): void {
    if (d.params.length === 0) {
      fail(
        d.nameAt,
        `def ${d.name}() has no parameters: a gate takes at least one input, as in def ${d.name}(x):`,
      );
    }
    const derivative = derivativeFor(d);
    const ports = new Map<string, string>();
    if (derivative !== undefined) {
      const { gate } = derivative;
      for (const p of d.params) {
        const i = gate.params.indexOf(p.name);
        if (i < 0) {
          fail(
            p.at,
            `${d.name} is the d/d${derivative.port} of ${gate.python}, so its parameters are ${gate.python}'s (${gate.params.join(', ')}), not ${p.name}`,
          );
        }
        ports.set(p.name, gate.ports[i]);
      }
    } else {
      const used = new Set(d.params.map((p) => p.name));
      for (const p of d.params) {
        let port = p.name;
        if (RESERVED_NAMES.has(port) || nameTaken(port)) {
          for (let k = 1; used.has(port) || RESERVED_NAMES.has(port) || nameTaken(port); k++) {
            port = `${p.name}${'_'.repeat(k)}`;
          }
          used.add(port);
        }
        ports.set(p.name, port);
      }
    }
    const params = d.params.map((p) => p.name);
    const inner = calls(d.name, derivative?.gate.python);
    const value = lowerBody(
      d,
      ports,
      inner,
      (name) => assignedCount.has(name) || defLine.has(name),
      budget,
    );
    const header: Segment = {
      text:
        derivative === undefined
          ? `${gateNameOf(d)}(${[...ports.values()].join(', ')}) = `
          : `d/d${ports.get(derivative.port) ?? derivative.port} = `,
      column: d.nameAt.column,
      line: d.nameAt.line,
    };
    if (derivative === undefined) {
      const info: GateInfo = {
        python: d.name,
        name: header.text.slice(0, header.text.indexOf('(')),
        params,
        ports: [...ports.values()],
        line: d.nameAt.line,
        derivatives: new Map(),
      };
      gates.set(d.name, info);
      const line = lines[d.at.line - 1];
      if (line.length > 0) line.push({ ...header, text: '; ' });
      line.push(header);
      append(line, value.parts);
      lowered.set(d.name, d);
      const early = defs.find(
        (e) => e.nameAt.line < d.nameAt.line && e.name.startsWith(`d${d.name}_d`),
      );
      if (early !== undefined && params.includes(early.name.slice(d.name.length + 3))) {
        defNotes.push(
          `def ${early.name} (line ${early.nameAt.line}) comes before def ${d.name} (line ${d.nameAt.line}), so it is a gate of its own, not ${d.name}'s local gradient: put it below def ${d.name} to make it one.`,
        );
      }
      return;
    }
    // `d/dx = …` goes right after the gate's definition, on the definition's line.
    const { gate, port } = derivative;
    const given = gate.derivatives?.get(port);
    if (given !== undefined) {
      fail(d.nameAt, `d/d${port} of ${gate.python} is already written on line ${given}`);
    }
    gate.derivatives?.set(port, d.nameAt.line);
    derivativeOf.set(d.name, derivative);
    const line = lines[(gate.line as number) - 1];
    line.push({ ...header, text: '; ' }, header);
    append(line, value.parts);
    lowered.set(d.name, d);
    defNotes.push(
      `def ${d.name} (line ${d.nameAt.line}) is ${gate.python}'s local gradient d/d${port}, written by hand: it is checked against numerical differences, and the gate says so if they disagree.`,
    );
  }

  /**
   * A call in a backward line (`dx = dsoftplus_dx(x) * dy`): the function's expression with
   * the arguments in place of its parameters, so the line computes a number without gates.
   */
  const inlineCalls: Calls = (name, at) => {
    const d = lowered.get(name);
    if (d === undefined) {
      const line = defLine.get(name);
      if (line !== undefined) {
        fail(
          at,
          `${name} is called on line ${at.line} before it is defined on line ${line}: put def ${name} above its first use`,
        );
      }
      return undefined;
    }
    const params = d.params.map((p) => p.name);
    return {
      python: d.name,
      name: d.name,
      params,
      inline: (args) =>
        lowerBody(
          d,
          new Map(params.map((p, i) => [p, args[i]])),
          inlineCalls,
          (n) => assignedCount.has(n) || defLine.has(n),
          budget,
        ),
    };
  };

  /** `def dsoftplus_dx` after `def softplus(x)`: the gate and port it is the derivative of. */
  function derivativeFor(d: DefStatement): { gate: GateInfo; port: string } | undefined {
    for (const gate of gates.values()) {
      if (gate.derivatives === undefined) continue;
      const prefix = `d${gate.python}_d`;
      if (!d.name.startsWith(prefix)) continue;
      const port = d.name.slice(prefix.length);
      if (gate.params.includes(port)) return { gate, port };
    }
    return undefined;
  }

  /** The gate's name in the app: the function's, unless the app already has a gate of that name. */
  function gateNameOf(d: DefStatement): string {
    if (!nameTaken(d.name) && !RESERVED_NAMES.has(d.name)) return d.name;
    const name = fresh(`my_${d.name}`);
    defNotes.push(
      `def ${d.name} (line ${d.nameAt.line}) is the gate ${name}: the app already has a gate called ${d.name}.`,
    );
    return name;
  }

  for (const s of statements) {
    if (s.k === 'import') continue;
    if (s.k === 'ignored') {
      const list = ignored.get(s.what) ?? [];
      list.push(s.at.line);
      ignored.set(s.what, list);
      continue;
    }
    if (s.k === 'def') {
      lowerDef(s);
      continue;
    }
    if (isBackward.get(s)) {
      backward.push(lowerBackward(s));
      continue;
    }
    const resolve: Resolve = (name, at) => {
      const node = current.get(name);
      if (node !== undefined) return node;
      if (assignedCount.has(name)) {
        const first = assigns.find((a) => a.target === name && !isBackward.get(a)) as Statement;
        return fail(
          at,
          `${name} is used on line ${at.line} before it is assigned on line ${first.at.line}`,
        );
      }
      if (backwardSoFar.has(name)) {
        return fail(
          at,
          `${name} is assigned in the backward pass: the forward pass cannot read it`,
        );
      }
      return fail(at, `${name} is not defined: assign it first, as in ${name} = 1`);
    };
    const value = assignedValue(s, current.has(s.target));
    const rhs = lowerExpr(value, resolve, calls());
    const k = (versionIndex.get(s.target) ?? 0) + 1;
    versionIndex.set(s.target, k);
    const total = assignedCount.get(s.target) as number;
    const node = k === total ? (finalName.get(s.target) as string) : fresh(`${s.target}_${k}`);
    if (total > 1 && k === 1) versioned.push(s.target);
    current.set(s.target, node);
    forward.push({ node, name: s.target, line: s.at.line, source: sourceOf(s.at) });
    const line = lines[s.at.line - 1];
    if (line.length > 0) line.push(seg('; ', s.at));
    line.push(seg(`${node} = `, s.at));
    append(line, rhs.parts);
  }

  function lowerBackward(s: Statement & { k: 'assign' }): BackwardLine {
    const of = s.target.length > 1 && s.target.startsWith('d') ? s.target.slice(1) : undefined;
    const ofNode = of === undefined ? undefined : current.get(of);
    const entries = s.value.k === 'list' ? s.value.items : [s.value];
    const values = entries.map((entry): BackwardValue => {
      const names = new Map<string, BackwardName>();
      const byName = new Map<string, string>();
      const resolve: Resolve = (name) => {
        const known = byName.get(name);
        if (known !== undefined) return known;
        const placeholder = `v${placeholderCount++}_`;
        byName.set(name, placeholder);
        const node = current.get(name);
        if (node !== undefined) names.set(placeholder, { kind: 'forward', node, name });
        else if (backwardSoFar.has(name) || /^d./.test(name)) {
          const of = current.get(name.slice(1));
          names.set(
            placeholder,
            of === undefined ? { kind: 'backward', name } : { kind: 'backward', name, of },
          );
        } else names.set(placeholder, { kind: 'unknown', name });
        return placeholder;
      };
      try {
        return { text: textOf(lowerExpr(entry, resolve, inlineCalls).parts), names };
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
        return { problem: error.message.replace(/^line \d+, column \d+: /, ''), names };
      }
    });
    const upstream =
      of !== undefined && ofNode !== undefined && ofNode === forward[forward.length - 1]?.node
        ? upstreamOf(s.value)
        : undefined;
    return {
      ...(upstream === undefined ? {} : { upstream }),
      line: s.at.line,
      target: s.target,
      op: s.op,
      ...(of !== undefined && ofNode !== undefined ? { of: { name: of, node: ofNode } } : {}),
      list: s.value.k === 'list',
      values,
      source: sourceOf(s.at),
    };
  }

  const onlyDefinitions =
    options.definitionsOnly === true && defs.length > 0 && backward.length === 0;
  if (forward.length === 0 && !onlyDefinitions) {
    const at = statements[0]?.at ?? { line: 1, column: 1 };
    const def = defs.find((d) => !derivativeOf.has(d.name));
    if (def !== undefined && backward.length === 0) {
      const name = gates.get(def.name)?.python ?? def.name;
      fail(
        def.nameAt,
        `${name} is defined, but nothing uses it yet: add a line such as y = ${name}(${def.params.map(() => '2').join(', ')})`,
      );
    }
    fail(
      at,
      backward.length > 0
        ? 'there is no forward pass to build: every assignment here is part of a backward pass (d… = …)'
        : 'there is nothing to compute: write at least one assignment, such as f = x * y',
    );
  }

  const notes: string[] = [...defNotes];
  const last = forward[forward.length - 1];
  if (backward.length > 0) {
    notes.push(
      `The circuit is the forward pass; its output is ${last.node} (line ${last.line}: ${last.source}). The backward pass (${lineRange(backward.map((b) => b.line))}) is checked line by line under Backward check.`,
    );
  }
  for (const name of versioned) {
    const nodes = forward.filter((f) => f.name === name).map((f) => f.node);
    notes.push(
      `${name} is assigned ${nodes.length} times: each assignment is a new value, named ${nodes.slice(0, -1).join(', ')} and ${nodes[nodes.length - 1]} on the canvas.`,
    );
  }
  for (const [what, at] of ignored) {
    const why =
      what === 'print(…)'
        ? 'the numbers are on the canvas'
        : what.endsWith('backward()')
          ? 'the app runs the backward pass itself'
          : 'the app uses its own fixed seed';
    notes.push(`Left out ${what} on ${linesText(at)}: ${why}.`);
  }
  if (forward.some((f) => /np\.random\.randn|numpy\.random\.randn/.test(f.source))) {
    notes.push(
      'np.random.randn draws from the app’s own fixed seed, so its numbers differ from NumPy’s (they are the same on every paste).',
    );
  }

  const program = lines.map(textOf).join('\n');
  const upstream = backward.find((b) => b.upstream !== undefined)?.upstream;
  if (upstream === 'random') {
    notes.push(
      `The backward pass starts from a random upstream gradient, as line ${(backward.find((b) => b.upstream) as BackwardLine).line} asks: random dD with the app’s fixed seed.`,
    );
  }
  return {
    ...(upstream === undefined ? {} : { upstream }),
    program,
    forward,
    backward,
    notes,
    sourceColumn(line, column) {
      return this.sourcePlace(line, column).column;
    },
    sourcePlace(line, column) {
      const parts = lines[line - 1];
      if (parts === undefined || parts.length === 0) return { line, column };
      let start = 0;
      for (const p of parts) {
        if (column - 1 < start + p.text.length) return { line: p.line ?? line, column: p.column };
        start += p.text.length;
      }
      const p = parts[parts.length - 1];
      return { line: p.line ?? line, column: p.column };
    },
  };
}

/**
 * A function's body as one expression: each local is the lowered expression it was assigned
 * (substituted where it is read, parenthesised as precedence needs), the parameters read
 * through `bound` (a port's name, or an argument's expression when a call is inlined).
 * `outer(name)` says whether the paste defines the name outside the function. Each use of a
 * local writes its expression out again, so `budget` bounds the characters written that way
 * in the whole paste (locals that each use the one before twice would double at every line).
 */
function lowerBody(
  d: DefStatement,
  bound: ReadonlyMap<string, string | Lowered>,
  inner: Calls,
  outer: (name: string) => boolean,
  budget: { left: number },
): Lowered {
  const what = `def ${d.name}`;
  const paramsText = d.params.map((p) => p.name).join(', ');
  const locals = new Map<string, Lowered>();
  const resolve: Resolve = (name, at) => {
    const local = locals.get(name) ?? bound.get(name);
    if (typeof local === 'string') return local;
    if (local !== undefined) {
      let length = 0;
      for (const p of local.parts) length += p.text.length;
      budget.left -= length;
      if (budget.left < 0) {
        fail(
          at,
          `${overLimit(`the expression of ${d.name}, with each use of a local written out,`, LIMITS.programLength - budget.left, LIMITS.programLength, 'characters')}: use each local fewer times, or split the function into smaller ones`,
        );
      }
      return local;
    }
    const later = d.body.find((b) => b.k === 'assign' && b.target === name);
    if (later !== undefined) {
      return fail(
        at,
        `${name} is used on line ${at.line} before it is assigned on line ${later.at.line} in ${what}`,
      );
    }
    if (outer(name)) {
      return fail(
        at,
        `${name} is not a parameter of ${d.name}: a gate reads only its parameters (${paramsText}) and the names it assigns; add ${name} as a parameter and pass it at each call`,
      );
    }
    return fail(
      at,
      `${name} is not defined in ${what}: a gate reads only its parameters (${paramsText}) and the names it assigns`,
    );
  };
  // Each piece keeps the pasted line it came from, so a message about the definition
  // points at the line of the body that wrote it.
  const onLine = (x: Lowered, line: number): Lowered => ({
    parts: x.parts.map((p) => (p.line === undefined ? { ...p, line } : p)),
    prec: x.prec,
  });
  let result: { value: Lowered; at: Place } | undefined;
  for (const b of d.body) {
    if (result !== undefined) {
      fail(
        b.at,
        `line ${b.at.line} comes after the return of ${d.name} (line ${result.at.line}), so it never runs: move it above the return or delete it`,
      );
    }
    if (b.k === 'return') {
      result = { value: onLine(lowerExpr(b.value, resolve, inner), b.at.line), at: b.at };
      continue;
    }
    const value = assignedValue(b, locals.has(b.target) || bound.has(b.target));
    locals.set(b.target, onLine(lowerExpr(value, resolve, inner), b.at.line));
  }
  return (
    result?.value ??
    fail(
      d.nameAt,
      `${what} has no return: end it with return and what it computes, as in return np.log(1 + np.exp(x))`,
    )
  );
}

/** A function of the paste (or a gate of the document) as the lowering keeps it. */
interface GateInfo extends Callable {
  /** Its ports in the app's language, one per parameter. */
  readonly ports: readonly string[];
  /** The line of its `def` (none for a gate of the document). */
  readonly line?: number;
  /** The ports given a hand-written derivative, and the line of its `def`. */
  readonly derivatives?: Map<string, number>;
}
