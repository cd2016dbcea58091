import {
  formatLiteral,
  getOp,
  isComposite,
  type OpDef,
  type Params,
  type PlaybackStep,
  PREFIX,
  type StepLiteral,
  scalar,
  type Tensor,
  texLiteral,
  type Value,
} from '../../engine';
import { formatValue } from '../format';
import { texNumber, texText } from '../Tex';

/** How a node is called in sentences: its name, or for an unnamed gate, what it is. */
export type NameOf = (id: string) => string;

/** The literals of a step as the op declarations take them: port name → tensor. */
export function stepParams(literals: readonly StepLiteral[]): Params {
  const record: Record<string, Tensor> = Object.create(null);
  for (const { port, value } of literals) {
    record[port] = typeof value === 'number' ? scalar(value) : value;
  }
  return record;
}

/**
 * One operand of a gate, as it is written: `text` (plain) and `tex`, and whether it needs
 * parentheses as the operand of an operator (a name of several words, a negative number).
 */
interface Operand {
  readonly text: string;
  readonly tex: string;
  readonly compound: boolean;
}

const MINUS = '\u2212';

/**
 * An infix operator that binds tighter than a leading minus is a power (`x ^ 2`): it is
 * typeset as a superscript.
 */
const PREFIX_PRECEDENCE = Math.max(...Array.from(PREFIX.values(), (p) => p.precedence));

/** A display form of an operator token: the op's own symbol when it is one character. */
function shownToken(op: OpDef, token: string): string {
  if ([...op.symbol].length === 1) return op.symbol;
  return token.replaceAll('-', MINUS);
}

const wrapText = (o: Operand) => (o.compound ? `(${o.text})` : o.text);
const wrapTex = (o: Operand) => (o.compound ? `\\left(${o.tex}\\right)` : o.tex);

/**
 * The gate written with its operands in place, as the expression language spells the op (from
 * its declaration): `x + y`, `xpy ^ 2`, `exp(y)`, `1 ÷ den`. `operands` has one entry per port
 * of the op, wired or literal. Returns plain text and TeX.
 */
function written(op: OpDef, operands: readonly Operand[]): { text: string; tex: string } {
  const { syntax } = op;
  if (syntax.infix && operands.length === 2) {
    const [a, b] = operands;
    if (syntax.infix.precedence > PREFIX_PRECEDENCE) {
      return {
        text: `${wrapText(a)} ^ ${wrapText(b)}`,
        tex: `{${wrapTex(a)}}^{${b.tex}}`,
      };
    }
    const token = shownToken(op, syntax.infix.token);
    return {
      text: `${wrapText(a)} ${token} ${wrapText(b)}`,
      tex: `${wrapTex(a)} ${texText(token)} ${wrapTex(b)}`,
    };
  }
  if (syntax.prefix && operands.length === 1) {
    const token = shownToken(op, syntax.prefix.token);
    return {
      text: `${token}${wrapText(operands[0])}`,
      tex: `${texText(token)}${wrapTex(operands[0])}`,
    };
  }
  const name = syntax.call?.name;
  if (name !== undefined) {
    return {
      text: `${name}(${operands.map((o) => o.text).join(', ')})`,
      tex: `\\operatorname{${name}}(${operands.map((o) => o.tex).join(', ')})`,
    };
  }
  if (syntax.rewrite === 'operand' && operands.length === 1) {
    return { text: operands[0].text, tex: operands[0].tex };
  }
  if (syntax.rewrite && syntax.rewrite !== 'operand') {
    const { rewrite } = syntax;
    const target = getOp(rewrite.op);
    if (target) {
      const placed = target.ports.map((port) => {
        const at = rewrite.ports.indexOf(port);
        if (at >= 0 && at < operands.length) return operands[at];
        const n = Object.hasOwn(rewrite.params, port) ? rewrite.params[port] : Number.NaN;
        return numberOperand(n);
      });
      return written(target, placed);
    }
  }
  if (syntax.subscript && operands.length >= 2) {
    // `W[1, 2]`: the operand, then its indices (whole numbers written in place).
    const [x, ...indices] = operands;
    return {
      text: `${wrapText(x)}[${indices.map((o) => o.text).join(', ')}]`,
      tex: `${wrapTex(x)}${texText(`[${indices.map((o) => o.text).join(', ')}]`)}`,
    };
  }
  if (syntax.array) {
    // `[[a, b], [c, d]]`, typeset as a matrix.
    const { shape } = syntax.array;
    const cols = shape.length === 2 ? shape[1] : shape[0];
    const rows: Operand[][] = [];
    for (let k = 0; k < operands.length; k += cols) rows.push(operands.slice(k, k + cols));
    const rowText = rows.map((r) => `[${r.map((o) => o.text).join(', ')}]`);
    return {
      text: shape.length === 2 ? `[${rowText.join(', ')}]` : rowText[0],
      tex: `\\begin{bmatrix} ${rows.map((r) => r.map((o) => o.tex).join(' & ')).join(' \\\\ ')} \\end{bmatrix}`,
    };
  }
  return {
    text: `${op.symbol}(${operands.map((o) => o.text).join(', ')})`,
    tex: `${texText(op.symbol)}(${operands.map((o) => o.tex).join(', ')})`,
  };
}

function numberOperand(x: number): Operand {
  return { text: formatValue(x), tex: texNumber(x), compound: x < 0 };
}

function valueOperand(v: Value): Operand {
  if (typeof v === 'number') return numberOperand(v);
  return { text: formatValue(v), tex: texShape(v), compound: false };
}

function literalOperand(t: Tensor): Operand {
  const scalarValue = t.shape.length === 0 ? t.data[0] : undefined;
  return {
    text: formatLiteral(t),
    tex: texLiteral(t),
    compound: scalarValue !== undefined && scalarValue < 0,
  };
}

function nameOperand(name: string): Operand {
  return { text: name, tex: texText(name), compound: /\s/.test(name) };
}

/** A forward step's operands, one per port: the input's name (or value), or the literal. */
function operandsOf(
  step: Extract<PlaybackStep, { kind: 'forward' }>,
  of: (input: { from: string; value: Value }) => Operand,
): Operand[] {
  const params = stepParams(step.params);
  return step.op.ports.map((port) => {
    const input = step.inputs.find((i) => i.port === port);
    if (input) return of(input);
    if (Object.hasOwn(params, port)) return literalOperand(params[port]);
    return nameOperand('?');
  });
}

const num = (v: Value) => formatValue(v);

/**
 * One line for the timeline: "forward: q = x + y = 3", "backward: ∂f/∂x += −4". `upstream`
 * names a tensor output's chosen upstream gradient ("random dD (seed 7)") for the seed step.
 */
export function stepLabel(
  step: PlaybackStep,
  nameOf: NameOf,
  outputName: string,
  upstream?: string,
): string {
  if (step.kind === 'forward') {
    const call = written(
      step.op,
      operandsOf(step, (i) => nameOperand(nameOf(i.from))),
    ).text;
    return `forward: ${nameOf(step.node)} = ${call} = ${num(step.output)}`;
  }
  if (step.kind === 'seed') {
    if (typeof step.grad !== 'number') {
      const ones = step.grad.data.every((x) => x === 1);
      return `seed: d${outputName} = ${step.grad.shape.join('×')} ${ones ? 'ones' : (upstream ?? 'upstream gradient')}`;
    }
    return `seed: ∂${outputName}/∂${outputName} = 1`;
  }
  // Only wired inputs have terms: a literal is part of its gate and receives no gradient.
  return `backward: ${step.terms
    .map(
      (t) => `∂${outputName}/∂${wrapText(nameOperand(nameOf(t.from)))} += ${num(t.contribution)}`,
    )
    .join(', ')}`;
}

/** The whole sentence a screen reader hears for a step (`upstream` as for `stepLabel`). */
export function stepSentence(
  step: PlaybackStep,
  nameOf: NameOf,
  outputName: string,
  upstream?: string,
): string {
  if (step.kind === 'forward') return `${stepLabel(step, nameOf, outputName)}.`;
  if (step.kind === 'seed') {
    return (
      seedWords(step, outputName, upstream) ??
      `The backward pass starts at the output: the gradient of ${outputName} with respect to itself is 1.`
    );
  }
  const known = isComposite(step.op) ? step.op.composite.known : undefined;
  const speech = `${step.op.paramSpeech(stepParams(step.params))}${known ? `, which computes the ${known.name}` : ''}`;
  const closed = closedForm(step);
  const parts = step.terms.map((t) => {
    const local =
      t.localGrad === null
        ? 'its Jacobian'
        : closed
          ? `the local gradient ${num(t.localGrad)} = ${closed.text}`
          : num(t.localGrad);
    const fork = isZero(t.before)
      ? ''
      : `, added to ${num(t.before)} from another branch gives ${num(t.after)}`;
    const done = t.complete ? ' (complete)' : ' (more to come)';
    const product = closed
      ? `${num(step.upstreamGrad)} times ${local}, giving ${num(t.contribution)}`
      : `${num(step.upstreamGrad)} times ${local} = ${num(t.contribution)}`;
    return `${nameOf(t.from)} receives ${product}${fork}${done}`;
  });
  return `Backward through ${nameOf(step.node)} (${speech}): upstream gradient ${num(step.upstreamGrad)}. ${parts.join('; ')}.`;
}

function isZero(v: Value): boolean {
  return typeof v === 'number' ? v === 0 : v.data.every((x) => x === 0);
}

function texShape(v: Exclude<Value, number>): string {
  return `${v.shape.join(' \\times ')}\\ \\text{matrix}`;
}

function texValue(v: Value): string {
  return typeof v === 'number' ? texNumber(v) : texShape(v);
}

/**
 * The chain rule of a step, typeset. A forward step: the gate with its inputs' names, then
 * with their values. A backward step: the gate's local gradients with its literals folded in
 * (`∂/∂x (x²) = 2x`), then one line per wired input.
 */
export function stepTex(
  step: PlaybackStep,
  nameOf: NameOf,
  outputName: string,
  upstream?: string,
): string[] {
  const f = texText(outputName);
  if (step.kind === 'forward') {
    const byName = written(
      step.op,
      operandsOf(step, (i) => nameOperand(nameOf(i.from))),
    ).tex;
    const byValue = written(
      step.op,
      operandsOf(step, (i) => valueOperand(i.value)),
    ).tex;
    return [`${texText(nameOf(step.node))} = ${byName} = ${byValue} = ${texValue(step.output)}`];
  }
  if (step.kind === 'seed') {
    if (typeof step.grad !== 'number') {
      const ones = step.grad.data.every((x) => x === 1);
      const what = texText(ones ? 'ones' : (upstream ?? 'upstream gradient'));
      return [`${texText(`d${outputName}`)} = ${what}\\ [${step.grad.shape.join('\\times ')}]`];
    }
    return [`\\frac{\\partial ${f}}{\\partial ${f}} = 1`];
  }
  const formulas = step.op.paramGradTex(stepParams(step.params));
  const local = step.terms
    .map((t) => formulas[step.op.ports.indexOf(t.port)])
    .filter((tex, i, all): tex is string => typeof tex === 'string' && all.indexOf(tex) === i);
  const lines = step.terms.map((t) => {
    const target = `\\frac{\\partial ${f}}{\\partial ${wrapTex(nameOperand(nameOf(t.from)))}}`;
    const product =
      t.localGrad === null
        ? `\\text{(vector-Jacobian product)}`
        : `\\underbrace{${texValue(step.upstreamGrad)}}_{\\text{upstream}} \\times \\underbrace{${wrapNegative(texValue(t.localGrad))}}_{\\text{local}}`;
    const sum = isZero(t.before)
      ? ''
      : `\\quad\\Rightarrow\\quad ${texValue(t.before)} + ${wrapNegative(texValue(t.contribution))} = ${texValue(t.after)}`;
    return `${target} \\mathrel{+}= ${product} = ${texValue(t.contribution)}${sum}`;
  });
  const closed = closedForm(step);
  const worked =
    closed && step.terms.length === 1 && typeof step.terms[0].localGrad === 'number'
      ? [`\\text{local} = ${texNumber(step.terms[0].localGrad)} = ${closed.tex}`]
      : [];
  return [...local, ...worked, ...lines];
}

/**
 * A composite the app recognises (a grouped sigmoid) has a local gradient it can write in
 * one line from its own output: `(1 − 0.7311)·0.7311`. Undefined for anything else.
 */
export function closedForm(step: PlaybackStep): { text: string; tex: string } | undefined {
  if (step.kind !== 'backward' || !isComposite(step.op)) return undefined;
  const known = step.op.composite.known;
  if (!known || typeof step.output !== 'number') return undefined;
  const y = step.output;
  const x = step.terms[0]?.from;
  if (x === undefined) return undefined;
  return {
    text: known.localText('x', formatValue(y)),
    tex: known.localTexAt('x', texNumber(y)),
  };
}

function wrapNegative(tex: string): string {
  return tex.startsWith('-') ? `(${tex})` : tex;
}

/**
 * The seed step of a tensor output, in words: what dD is (`upstream` names the choice).
 * Undefined for a scalar output.
 */
export function seedWords(
  step: PlaybackStep,
  outputName: string,
  upstream?: string,
): string | undefined {
  if (step.kind !== 'seed' || typeof step.grad === 'number') return undefined;
  const { shape } = step.grad;
  const size = shape.length === 2 ? `${shape[0]} by ${shape[1]} matrix` : `vector of ${shape[0]}`;
  const ones = step.grad.data.every((x) => x === 1);
  const what = ones
    ? `a ${size} of ones (the gradient of the sum of ${outputName}'s entries)`
    : `the ${size} chosen as the upstream gradient${upstream ? `: ${upstream}` : ''}`;
  return `The backward pass starts at the output ${outputName} with its upstream gradient d${outputName}, ${what}.`;
}
