/**
 * The step panel's dimension analysis in words and in TeX, from the engine's `stepDimensions`:
 * for each port the gradient's formula (`dW = dD · Xᵀ`), the shapes lined up
 * (`[5×10] = [5×3] · [3×10]`), the rule for one entry and that entry's numbers worked out.
 *
 * Names come from users: every name (and every token that carries one) goes through `texText`,
 * which shows it literally.
 */
import {
  type Evaluation,
  type PlaybackStep,
  type PortDimensions,
  type PortName,
  type StepDimensions,
  stepDimensions,
  type Tensor,
  type Term,
  type Value,
  type WorkedEntry,
} from '../../engine';
import { formatValue } from '../format';
import { texNumber, texText } from '../Tex';
import { stepParams } from './describe';

/** A worked entry with more terms than this shows the first `LEAD_TERMS`, then "…". */
export const SHOWN_TERMS = 4;
export const LEAD_TERMS = 3;

type Mat = readonly [number, number];

const box = ([r, c]: Mat) => `[${r}×${c}]`;
const words = ([r, c]: Mat) => `${r} by ${c}`;

/** A number as the panel prints it in words: a real minus, 4 significant digits. */
export function spoken(x: number): string {
  return formatValue(x);
}

/**
 * Names as the formulas write them: a name of several words (`max gate`) in parentheses, so
 * `d(max gate)` and `(@ gate)ᵀ` read as one thing.
 */
export function formulaNames(nameOf: (id: string) => string): (id: string) => string {
  return (id) => {
    const name = nameOf(id);
    return /\s/.test(name) ? `(${name})` : name;
  };
}

/** The tokens of a formula that are operators, as TeX; anything else is a name. */
const TOKEN_TEX: ReadonlyMap<string, string> = new Map([
  ['·', '\\cdot'],
  ['⊙', '\\odot'],
  ['(', '\\left('],
  [')', '\\right)'],
  ['/', '/'],
  ['Σᵢ', '\\sum_{i}'],
  ['Σⱼ', '\\sum_{j}'],
  ['Σᵢⱼ', '\\sum_{i,j}'],
]);

function tokenTex(token: string): string {
  const op = TOKEN_TEX.get(token);
  if (op !== undefined) return op;
  if (/^[0-9]+$/.test(token)) return token;
  if (token === '1ᵀ') return '\\mathbf{1}^{\\top}';
  if (token === '1') return '\\mathbf{1}';
  // A token of words (`at [0][2]`) follows a name: TeX drops the space between them.
  if (/^[a-z]+ /.test(token)) return `\\ ${texText(token)}`;
  return texText(token);
}

/** `dW = dD · Xᵀ` in TeX. */
export function formulaTex(port: PortDimensions): string {
  return `${texText(port.grad)} = ${port.formula.map(tokenTex).join(' ')}`;
}

/** `dW = dD · Xᵀ` as plain text. */
export function formulaText(port: PortDimensions): string {
  const spaced = port.formula.map((t) => (t === '(' || t === ')' ? t : ` ${t} `)).join('');
  return `${port.grad} = ${spaced.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim()}`;
}

/** Which terms of a worked entry are written out: all of a short one, the first few of a long. */
export function shownTerms(entry: WorkedEntry): { terms: readonly Term[]; total: number } {
  const total = entry.terms.length + entry.omitted;
  if (total <= SHOWN_TERMS) return { terms: entry.terms, total };
  return { terms: entry.terms.slice(0, LEAD_TERMS), total };
}

/** A factor's value in TeX, in parentheses when negative (so `2 · (−1)` reads right). */
function factorTex(x: number): string {
  const t = texNumber(x, 3);
  return t.startsWith('-') || t.includes('\\times') ? `\\left(${t}\\right)` : t;
}

function scaleTex(scale: number): string {
  const inverse = 1 / scale;
  return Number.isInteger(Math.round(inverse)) && Math.abs(inverse - Math.round(inverse)) < 1e-9
    ? `\\tfrac{1}{${Math.round(inverse)}}`
    : factorTex(scale);
}

function termTex(term: Term): string {
  const parts = term.factors.map((f) => factorTex(f.value));
  if (term.scale !== undefined) parts.push(scaleTex(term.scale));
  return parts.join(' \\cdot ');
}

/** `dW[0][1]`: a port's gradient entry by its indices. */
export const entryName = (port: PortDimensions) =>
  `${port.grad}[${port.entry.index[0]}][${port.entry.index[1]}]`;

/** The entry's rule in TeX: `dW[i][j] = Σₖ dD[i][k]·X[j][k]`. */
export function ruleTex(port: PortDimensions): string {
  // The sums are typeset as sums; everything between them (names, indices) is text.
  return port.entry.formula
    .split(/(Σᵢⱼ|Σᵢ|Σⱼ|Σₖ)/)
    .filter((part) => part !== '')
    .map((part) => SUM_TEX.get(part) ?? texText(part))
    .join(' ');
}

const SUM_TEX: ReadonlyMap<string, string> = new Map([
  ['Σₖ', '\\sum_{k}'],
  ['Σᵢ', '\\sum_{i}'],
  ['Σⱼ', '\\sum_{j}'],
  ['Σᵢⱼ', '\\sum_{i,j}'],
]);

/**
 * The entry worked out: `dW[0][1] = 1 · 2 + (−1) · 0 + … = 3.21`, the first terms of a long
 * sum then "…" and the total; the total is the entry as the run computed it.
 */
export function workedTex(port: PortDimensions): string {
  const { entry } = port;
  const { terms, total } = shownTerms(entry);
  const result = texNumber(entry.value);
  const name = texText(entryName(port));
  if (total === 1 && terms.length === 1) {
    // One term: what it is by name (`dT[2][0]`), then its numbers when there is a product.
    const [term] = terms;
    const names = term.factors.map((f) => texText(f.name));
    if (term.scale !== undefined) names.push(scaleTex(term.scale));
    const product = names.length > 1 ? ` = ${termTex(term)}` : '';
    return `${name} = ${names.join(' \\cdot ')}${product} = ${result}`;
  }
  const sum = terms.map(termTex);
  if (terms.length < total) sum.push('\\cdots');
  const count = total > 1 ? `\\quad\\text{(${total} terms)}` : '';
  return `${name} = ${sum.join(' + ')} = ${result}${count}`;
}

/** The same in words, for the screen reader: the first few terms, how many, and the total. */
function workedWords(port: PortDimensions): string {
  const { entry } = port;
  const { terms, total } = shownTerms(entry);
  const said = terms.map((t) => {
    const parts = t.factors.map((f) => spoken(f.value));
    if (t.scale !== undefined) parts.push(spoken(t.scale));
    return parts.join(' times ');
  });
  const more = terms.length < total ? `, and ${total - terms.length} more` : '';
  const at = `row ${entry.index[0]}, column ${entry.index[1]}`;
  if (total === 1 && terms.length === 1) {
    const names = terms[0].factors.map((f) => f.name);
    if (terms[0].scale !== undefined) names.push(spoken(terms[0].scale));
    const product = names.length > 1 ? `: ${said[0]}` : '';
    return `Its entry at ${at} is ${names.join(' times ')}${product}, which gives ${spoken(entry.value)}.`;
  }
  return `Its entry at ${at} adds ${total} products, ${said.join(', ')}${more}, which gives ${spoken(entry.value)}.`;
}

/** What `Σᵢ`, `Σⱼ` and `Σᵢⱼ` sum over, in words. */
const OVER: ReadonlyMap<string, string> = new Map([
  ['Σᵢ', 'rows'],
  ['Σⱼ', 'columns'],
  ['Σᵢⱼ', 'every entry'],
]);

/** Everything the panel writes for one port. */
export interface PortText {
  readonly port: PortDimensions;
  /** `dW = dD · Xᵀ`, typeset. */
  readonly formula: string;
  /** `[5×10] = [5×3] · [3×10]`, plain text. */
  readonly shapes: string;
  /** One sentence of what the step does for this port, plain text (shown and read aloud). */
  readonly explanation: string;
  /** The entry rule and its numbers, typeset. */
  readonly rule: string;
  readonly worked: string;
  /** The explanation and the worked entry in words. */
  readonly speech: string;
}

/** A broadcast operand's gradient: `db = Σ over columns of dD, [5×1]`, and why. */
function broadcastSentence(port: PortDimensions, upstream: string, plainAdd: boolean): string {
  const over = OVER.get(port.formula[0]) ?? 'the broadcast axis';
  const inner = plainAdd ? upstream : `(${port.formula.slice(2, -1).join(' ')})`;
  const x = port.grad.slice(1);
  const why =
    over === 'every entry'
      ? `${x} was used at every entry (broadcast), so its gradient sums what comes back from all of them`
      : `${x} was repeated along the ${over} (broadcast), so its gradient sums what comes back along them`;
  return `${port.grad} = Σ over ${over} of ${inner}, ${box(port.shapes.result)}: ${why}`;
}

/**
 * One port's explanation. `values` gives the port's input value (for a max, where the
 * arg-max entries are); `op` is the gate's op name.
 */
function explain(port: PortDimensions, dims: StepDimensions, input: Value | undefined): string {
  const [result, ...operands] = [port.shapes.result, ...port.shapes.operands];
  const x = port.grad.slice(1);
  const up = dims.upstream;
  switch (port.kind) {
    case 'matmul': {
      const [first, second] = operands;
      const said =
        port.port === 'a'
          ? `${up} times ${port.formula[2].replace(/ᵀ$/, '')} transposed`
          : `${port.formula[0].replace(/ᵀ$/, '')} transposed times ${up}`;
      return `The gradient of ${x} is ${said}: a ${words(first)} times a ${words(second)} gives ${words(result)}, the shape of ${x}.`;
    }
    case 'transpose':
      return `A transpose sends its gradient back transposed: ${up} is ${words(operands[0])}, so ${port.grad} is ${words(result)}.`;
    case 'sum': {
      const mean = port.formula.includes('/');
      return mean
        ? `A mean distributes: every entry of ${x} receives ${up} divided by ${port.formula[4]}, so ${port.grad} is ${words(result)} of ${up} / ${port.formula[4]}.`
        : `A sum distributes ones: every entry of ${x} receives ${up}, so ${port.grad} is ${words(result)} of ${up}.`;
    }
    case 'sum along an axis': {
      const axis0 = port.formula[0] === '1';
      const mean = port.formula.includes('/');
      const scale = mean ? `, divided by ${port.formula[port.formula.length - 1]}` : '';
      return axis0
        ? `Every entry of a column receives that column's upstream gradient${scale}: a ${words(operands[0])} column of ones times the ${words(operands[1])} row ${up} gives ${words(result)}.`
        : `Every entry of a row receives that row's upstream gradient${scale}: the ${words(operands[0])} column ${up} times a ${words(operands[1])} row of ones gives ${words(result)}.`;
    }
    case 'extremum': {
      const word = dims.op === 'reducemin' ? 'min' : 'max';
      const wins = winners(input, port.shapes.result, word === 'min');
      const where =
        wins.length === 0
          ? ''
          : ` (${wins
              .slice(0, 3)
              .map(([i, j]) => `[${i}][${j}]`)
              .join(', ')}${wins.length > 3 ? `, … ${wins.length} entries in all` : ''})`;
      const split = wins.length > 1 ? `, split evenly between ${wins.length} ties` : '';
      return `A ${word} routes: ${up} goes to the arg-${word} ${wins.length > 1 ? 'entries' : 'entry'} of ${x}${where}${split}; every other entry gets 0.`;
    }
    case 'elementwise':
      return `An elementwise gate multiplies entry by entry: each entry of ${up} times the same entry of the local gradient; a ${words(operands[0])} times a ${words(operands[1])}, entry by entry, gives ${words(result)}.`;
    case 'broadcast':
      return `${broadcastSentence(port, up, dims.op === 'add')}.`;
    case 'entry': {
      const where = port.formula[1].replace(/^at /, '');
      return `An entry gate routes: ${up} goes back to entry ${where} of ${x}, the one it took, and every other entry of ${x} gets 0; ${port.grad} is ${words(result)}, the shape of ${x}.`;
    }
    case 'assemble':
      return `A matrix assembled from entries routes: ${x} is ${port.shapes.text.replace(/^\[1×1\] = /, '')}, so it gets back that entry of ${up}, ${port.formula[0]}.`;
    default:
      return '';
  }
}

/** The entries (row, column) of a matrix equal to its max (or min), as the forward pass found it. */
export function winners(
  input: Value | undefined,
  [rows, cols]: Mat,
  min: boolean,
): [number, number][] {
  if (input === undefined || typeof input === 'number' || rows * cols !== input.data.length) {
    return [];
  }
  const data = input.data;
  let best = data[0];
  for (const v of data) if (min ? v < best : v > best) best = v;
  const out: [number, number][] = [];
  for (let k = 0; k < data.length; k++) {
    if (data[k] === best) out.push([Math.floor(k / cols), k % cols]);
  }
  return out;
}

/**
 * Everything the panel writes for a backward step's ports. `inputOf(id)` gives a node's value
 * in this run (a max names its arg-max entries from it).
 */
export function dimensionTexts(
  dims: StepDimensions,
  inputOf: (id: string) => Value | undefined = () => undefined,
): PortText[] {
  return dims.ports.map((port) => {
    const explanation = explain(port, dims, inputOf(port.from));
    return {
      port,
      formula: formulaTex(port),
      shapes: port.shapes.text,
      explanation,
      rule: ruleTex(port),
      worked: workedTex(port),
      speech: `${explanation} ${workedWords(port)}`,
    };
  });
}

/** The whole backward step in words, for the screen reader. */
export function dimensionSentence(
  step: PlaybackStep,
  texts: readonly PortText[],
  nodeName: string,
): string {
  const speech = step.kind === 'backward' ? step.op.paramSpeech(stepParams(step.params)) : '';
  return `Backward through ${nodeName}${speech ? ` (${speech})` : ''}. ${texts.map((t) => t.speech).join(' ')}`;
}

/** A matrix product's operand as a matrix: a vector is a row on the left, a column on the right. */
function asMatrix(shape: readonly number[], column: boolean): Mat {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length === 1) return column ? [shape[0], 1] : [1, shape[0]];
  return [1, 1];
}

const shapeOf = (v: Value | Tensor): readonly number[] => (typeof v === 'number' ? [] : v.shape);

/**
 * A forward matrix product's shapes: `[5×3] = [5×10] · [10×3]`, and the same in words; or
 * undefined for any other step.
 */
export function forwardShapes(step: PlaybackStep): { text: string; words: string } | undefined {
  if (step.kind !== 'forward' || step.op.name !== 'matmul') return undefined;
  const params = stepParams(step.params);
  const shapes = step.op.ports.map((port) => {
    const input = step.inputs.find((i) => i.port === port);
    if (input) return shapeOf(input.value);
    return Object.hasOwn(params, port) ? params[port].shape : [];
  });
  if (shapes.length !== 2) return undefined;
  const a = asMatrix(shapes[0], false);
  const b = asMatrix(shapes[1], true);
  const out: Mat = [a[0], b[1]];
  return {
    text: `${box(out)} = ${box(a)} · ${box(b)}`,
    words: `A ${words(a)} times a ${words(b)} gives ${words(out)}: the inner sizes, ${a[1]} and ${b[0]}, match and are summed over.`,
  };
}

/**
 * The dimension analysis of gate `slot`'s backward step, as the panel shows it: names of
 * several words in parentheses, the entries picked (`entry`, per port), and for a max or min
 * with none picked its winning entry (the first entry would most often show a 0).
 */
export function analyseStep(
  evaluation: Evaluation,
  slot: number,
  nameOf: (id: string) => string,
  picked: ReadonlyMap<PortName, readonly [number, number]>,
): { dims: StepDimensions; texts: PortText[] } | undefined {
  const inputValue = (id: string): Value | undefined => {
    const at = evaluation.program.slot(id);
    return at < 0 ? undefined : evaluation.valueAt(at);
  };
  const names = formulaNames(nameOf);
  const entry = new Map(picked);
  let dims = stepDimensions(evaluation, slot, { nameOf: names, entry });
  if (!dims) return undefined;
  const first = dims.ports[0];
  if (first?.kind === 'extremum' && !entry.has(first.port)) {
    const win = winners(inputValue(first.from), first.shapes.result, dims.op === 'reducemin');
    if (win.length > 0) {
      entry.set(first.port, win[0]);
      dims = stepDimensions(evaluation, slot, { nameOf: names, entry }) ?? dims;
    }
  }
  return { dims, texts: dimensionTexts(dims, inputValue) };
}
