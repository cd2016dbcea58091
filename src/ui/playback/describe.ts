import type { OpDef, PlaybackStep, Value } from '../../engine';
import { formatValue } from '../format';
import { texNumber, texText } from '../Tex';

/** How a node is called in sentences: its name, or for an unnamed gate, what it computes. */
export type NameOf = (id: string) => string;

const INFIX: Record<string, string> = {
  add: '+',
  sub: '−',
  mul: '×',
  div: '/',
  pow: '^',
  matmul: '@',
};
const INFIX_TEX: Record<string, string> = {
  add: '+',
  sub: '-',
  mul: '\\times',
  div: '/',
  pow: '^',
  matmul: '\\,@\\,',
};

const num = (v: Value) => formatValue(v);

/** The gate's formula written with its inputs' names: "x + y", "σ(y)". */
export function callText(op: OpDef, args: readonly string[]): string {
  const infix = INFIX[op.name];
  if (infix && args.length === 2) return `${args[0]} ${infix} ${args[1]}`;
  return `${op.symbol.length <= 4 ? op.symbol : op.name}(${args.join(', ')})`;
}

function isNamed(id: string): boolean {
  return !id.includes('#');
}

/** One line for the timeline: "forward: q = x + y = 3", "backward: ∂f/∂x += −4". */
export function stepLabel(step: PlaybackStep, nameOf: NameOf, outputName: string): string {
  if (step.kind === 'forward') {
    const call = callText(
      step.op,
      step.inputs.map((i) => nameOf(i.from)),
    );
    const lhs = isNamed(step.node) ? `${nameOf(step.node)} = ` : '';
    return `forward: ${lhs}${call} = ${num(step.output)}`;
  }
  if (step.kind === 'seed') return `seed: ∂${outputName}/∂${outputName} = 1`;
  return `backward: ${step.terms
    .map((t) => `∂${outputName}/∂${nameOf(t.from)} += ${num(t.contribution)}`)
    .join(', ')}`;
}

/** The whole sentence a screen reader hears for a step. */
export function stepSentence(step: PlaybackStep, nameOf: NameOf, outputName: string): string {
  if (step.kind === 'forward') return `${stepLabel(step, nameOf, outputName)}.`;
  if (step.kind === 'seed') {
    return `The backward pass starts at the output: the gradient of ${outputName} with respect to itself is 1.`;
  }
  const parts = step.terms.map((t) => {
    const local = t.localGrad === null ? 'its Jacobian' : num(t.localGrad);
    const fork = isZero(t.before)
      ? ''
      : `, added to ${num(t.before)} from another branch gives ${num(t.after)}`;
    const done = t.complete ? ' (complete)' : ' (more to come)';
    return `${nameOf(t.from)} receives ${num(step.upstreamGrad)} times ${local} = ${num(t.contribution)}${fork}${done}`;
  });
  return `Backward through ${nameOf(step.node)} (${step.op.title}): upstream gradient ${num(step.upstreamGrad)}. ${parts.join('; ')}.`;
}

function isZero(v: Value): boolean {
  return typeof v === 'number' ? v === 0 : v.data.every((x) => x === 0);
}

function texValue(v: Value): string {
  if (typeof v === 'number') return texNumber(v);
  return `\\text{${v.shape.join('×')} matrix}`;
}

/** The chain rule of a step, typeset: one line per input of the gate. */
export function stepTex(step: PlaybackStep, nameOf: NameOf, outputName: string): string[] {
  const f = texText(outputName);
  if (step.kind === 'forward') {
    const args = step.inputs.map((i) => texText(nameOf(i.from)));
    const infix = INFIX_TEX[step.op.name];
    const call =
      infix && args.length === 2
        ? `${args[0]} ${infix} ${args[1]}`
        : `\\operatorname{${step.op.name}}(${args.join(', ')})`;
    const values = step.inputs.map((i) => texValue(i.value));
    const callValues =
      infix && values.length === 2
        ? `${values[0]} ${infix} ${wrapNegative(values[1])}`
        : `\\operatorname{${step.op.name}}(${values.join(', ')})`;
    return [`${texText(nameOf(step.node))} = ${call} = ${callValues} = ${texValue(step.output)}`];
  }
  if (step.kind === 'seed') return [`\\frac{\\partial ${f}}{\\partial ${f}} = 1`];
  return step.terms.map((t) => {
    const target = `\\frac{\\partial ${f}}{\\partial ${texText(nameOf(t.from))}}`;
    const product =
      t.localGrad === null
        ? `\\text{(vector–Jacobian product)}`
        : `\\underbrace{${texValue(step.upstreamGrad)}}_{\\text{upstream}} \\times \\underbrace{${wrapNegative(texValue(t.localGrad))}}_{\\text{local}}`;
    const sum = isZero(t.before)
      ? ''
      : `\\quad\\Rightarrow\\quad ${texValue(t.before)} + ${wrapNegative(texValue(t.contribution))} = ${texValue(t.after)}`;
    return `${target} \\mathrel{+}= ${product} = ${texValue(t.contribution)}${sum}`;
  });
}

function wrapNegative(tex: string): string {
  return tex.startsWith('-') ? `(${tex})` : tex;
}
