/**
 * Builders for op declarations: each op is written once, with its math, its spelling and how
 * its literal forms look; these fill in what follows from that (the gradient formulas in both
 * registers, the labels of every literal form).
 */
import { formatLiteral, scalarOf, texLiteral } from '../format';
import { type PortName, portName, type Tensor } from '../types';
import type { BinaryOp, OpSyntax, Params, SourceOp, TensorOp, UnaryOp } from './types';

/** Port names used across the op families. They are also the canvas handle ids. */
export const X = portName('x');
export const A = portName('a');
export const B = portName('b');

/** ∂/∂port in TeX. */
const partial = (port: string) => `\\frac{\\partial}{\\partial ${port}}`;

/** `\frac{\partial}{\partial x}\left(x^{2}\right) = 2x`. */
export const gradTex = (port: string, f: string, df: string) =>
  `${partial(port)}\\left(${f}\\right) = ${df}`;

function literalAt(params: Params, port: PortName): Tensor | undefined {
  return Object.hasOwn(params, port) ? params[port] : undefined;
}

// ---------------------------------------------------------------------------------------------

type Presentation = 'paramLabel' | 'paramSpeech' | 'paramGradTex' | 'localGradFormulas';

export function source(spec: Omit<SourceOp, Presentation | 'presets' | 'syntax'>): SourceOp {
  return {
    ...spec,
    localGradFormulas: [],
    syntax: {},
    presets: [],
    paramLabel: () => spec.symbol,
    paramSpeech: () => spec.title,
    paramGradTex: () => [],
  };
}

/** A unary op: its gradient `df` (TeX, in x) and how it shows a literal operand. */
export interface UnarySpec extends Omit<UnaryOp, Presentation | 'kind' | 'ports' | 'presets'> {
  /** ∂y/∂x in TeX, in terms of x (and of the op's own value, as the formula names it). */
  readonly grad: string;
  /** The op applied to x in TeX, where `formula` says more (sigmoid: `\sigma(x)`). */
  readonly applied?: string;
  /** The gate with a literal operand: `exp(2)`; by default the symbol, then the literal in parentheses. */
  readonly show?: (literal: string) => string;
}

export function unary(spec: UnarySpec): UnaryOp {
  const { grad, show, applied, ...rest } = spec;
  const shown = show ?? ((c: string) => `${spec.symbol}(${c})`);
  return {
    ...rest,
    kind: 'unary',
    ports: [X],
    presets: [],
    localGradFormulas: [`${partial('x')} = ${grad}`],
    paramLabel: (params) => {
      const c = literalAt(params, X);
      return c === undefined ? spec.symbol : shown(formatLiteral(c));
    },
    paramSpeech: (params) => {
      const c = literalAt(params, X);
      return c === undefined ? spec.title : `${spec.title} of ${formatLiteral(c)}`;
    },
    paramGradTex: (params) =>
      literalAt(params, X) === undefined ? [gradTex('x', applied ?? spec.formula, grad)] : [null],
  };
}

/**
 * One literal form of a binary op: the other port is wired and called x. Each function gets the
 * literal as shown (`−1`, `[2×3]`) and, for a scalar, its number.
 */
export interface LiteralForm {
  /** What the gate shows: `×−1`. */
  readonly label: (c: string, value: number | undefined) => string;
  /** Read aloud: "times -1". */
  readonly speech: (c: string, value: number | undefined) => string;
  /** The gate as a function of x in TeX, and its derivative, with the literal (TeX) folded in. */
  readonly tex: (c: string, value: number | undefined) => readonly [f: string, df: string];
}

export interface BinarySpec extends Omit<BinaryOp, Presentation | 'kind' | 'ports' | 'presets'> {
  /** ∂y/∂a and ∂y/∂b in TeX, in terms of a and b. */
  readonly grads: readonly [string, string];
  /** Port a holds the literal; b is wired. */
  readonly withA: LiteralForm;
  /** Port b holds the literal; a is wired. */
  readonly withB: LiteralForm;
  /** Both ports hold literals (a constant gate): what it shows. */
  readonly both: (a: string, b: string) => string;
  readonly presets?: readonly Readonly<Record<string, number>>[];
}

export function binary(spec: BinarySpec): BinaryOp {
  const { grads, withA, withB, both, presets, ...rest } = spec;
  const form = (params: Params) => {
    const a = literalAt(params, A);
    const b = literalAt(params, B);
    if (a !== undefined && b !== undefined) return { kind: 'both' as const, a, b };
    if (a !== undefined) return { kind: 'a' as const, c: a, shape: withA };
    if (b !== undefined) return { kind: 'b' as const, c: b, shape: withB };
    return { kind: 'none' as const };
  };
  return {
    ...rest,
    kind: 'binary',
    ports: [A, B],
    presets: presets ?? [],
    localGradFormulas: [`${partial('a')} = ${grads[0]}`, `${partial('b')} = ${grads[1]}`],
    paramLabel: (params) => {
      const p = form(params);
      if (p.kind === 'none') return spec.symbol;
      if (p.kind === 'both') return both(formatLiteral(p.a), formatLiteral(p.b));
      return p.shape.label(formatLiteral(p.c), scalarOf(p.c));
    },
    paramSpeech: (params) => {
      const p = form(params);
      if (p.kind === 'none') return spec.title;
      if (p.kind === 'both') {
        return `${spec.title} of ${formatLiteral(p.a)} and ${formatLiteral(p.b)}`;
      }
      return p.shape.speech(formatLiteral(p.c), scalarOf(p.c));
    },
    paramGradTex: (params) => {
      const p = form(params);
      if (p.kind === 'none') {
        return [gradTex('a', spec.formula, grads[0]), gradTex('b', spec.formula, grads[1])];
      }
      if (p.kind === 'both') return [null, null];
      const [f, df] = p.shape.tex(texLiteral(p.c), scalarOf(p.c));
      return p.kind === 'a' ? [null, gradTex('x', f, df)] : [gradTex('x', f, df), null];
    },
  };
}

/** A tensor op: its gradients (TeX) and its literal forms, one per port. */
export interface TensorSpec extends Omit<TensorOp, Presentation | 'kind' | 'presets'> {
  readonly grads: readonly string[];
  /**
   * For each port, the gate when that port holds a literal and the others are wired: its label,
   * and its local gradients (TeX) for the wired ports, in port order.
   */
  readonly withLiteral: readonly {
    readonly label: (c: string) => string;
    readonly grads: (c: string) => readonly string[];
  }[];
}

export function tensorOp(spec: TensorSpec): TensorOp {
  const { grads, withLiteral, ...rest } = spec;
  const held = (params: Params) => spec.ports.map((p) => literalAt(params, p));
  return {
    ...rest,
    kind: 'tensor',
    presets: [],
    localGradFormulas: grads,
    paramLabel: (params) => {
      const lits = held(params);
      const count = lits.filter((l) => l !== undefined).length;
      if (count === 0) return spec.symbol;
      if (count === 1) {
        const at = lits.findIndex((l) => l !== undefined);
        return withLiteral[at].label(formatLiteral(lits[at] as Tensor));
      }
      return `${spec.symbol}(${lits.map((l) => (l ? formatLiteral(l) : '·')).join(', ')})`;
    },
    paramSpeech: (params) => {
      const lits = held(params).filter((l): l is Tensor => l !== undefined);
      return lits.length === 0
        ? spec.title
        : `${spec.title} with ${lits.map(formatLiteral).join(' and ')}`;
    },
    paramGradTex: (params) => {
      const lits = held(params);
      const count = lits.filter((l) => l !== undefined).length;
      if (count === 0) return grads;
      if (count > 1) return lits.map(() => null);
      const at = lits.findIndex((l) => l !== undefined);
      const wired = withLiteral[at].grads(texLiteral(lits[at] as Tensor));
      let next = 0;
      return lits.map((l) => (l === undefined ? wired[next++] : null));
    },
  };
}

export type { OpSyntax };
