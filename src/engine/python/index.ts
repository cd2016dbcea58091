/**
 * One door for a program typed or pasted into the Expression field (or carried by an
 * `#expr=` link): the app's own language, read exactly as `parse` reads it, or Python as the
 * notes write it (`import math`, `math.exp`, `w[0]`, `+=`, `print(…)`), lowered to the app's
 * language line for line. Python is recognised by cues the app's language never has: import
 * lines, attributes (`math.exp`, `X.T`), augmented assignments, `print(`, strings, Python's
 * keywords, and a backward pass (`dden = … * dinvden`). Text without such a cue is the app's
 * language, read as before. A Python function (`def softplus(x): return np.log(1 + np.exp(x))`)
 * becomes a gate definition of the app's language (`softplus(x) = log(1 + exp(x))`), and
 * `def dsoftplus_dx(x): return …` after it the gate's hand-written local gradient (`d/dx = …`).
 */
import { ParseError } from '../errors';
import { type ParsedProgram, type ParseOptions, parse } from '../parse';
import { type LoweredPython, lowerPython } from './lower';
import { readStatements, tokenize } from './read';

export { type BackwardFinding, checkBackward, type FindingStatus } from './check';
export type {
  BackwardLine,
  BackwardName,
  BackwardValue,
  ForwardStatement,
  LoweredPython,
  LowerOptions,
} from './lower';

export type ProgramRead =
  | { readonly kind: 'app'; readonly parsed: ParsedProgram; readonly notes: readonly string[] }
  | {
      readonly kind: 'python';
      readonly parsed: ParsedProgram;
      readonly python: LoweredPython;
      readonly notes: readonly string[];
    };

const CUES: readonly RegExp[] = [
  /^[ \t]*(?:import|from)[ \t]+[A-Za-z_]/m,
  /[A-Za-z_)\]][ \t]*\.[ \t]*[A-Za-z_]/,
  /(?:\*\*|[-+*/@])=/,
  /\bprint[ \t]*\(/,
  /['"]/,
  /^[ \t]*(?:def|for|while|if|elif|else|class|return|with|try|lambda)\b/m,
];

/** The text without `#` comments (a cue inside a comment is no cue). */
function withoutComments(text: string): string {
  return text.replace(/#[^\n]*/g, '');
}

/**
 * A backward pass written in the notes' style: a `d<name> = …` of an assigned name that reads
 * another such `d<name>` (as `dden = (-1.0 / (den**2)) * dinvden` reads `dinvden`).
 */
function hasBackwardPass(text: string): boolean {
  const assigned = new Set<string>();
  const gradients = new Set<string>();
  for (const statement of text.split(/[\n;]/)) {
    const m = /^\s*([A-Za-z_]\w*)\s*=(.*)$/.exec(statement);
    if (!m) continue;
    const [, target, rhs] = m;
    if (target.length > 1 && target.startsWith('d') && assigned.has(target.slice(1))) {
      const reads = rhs.match(/[A-Za-z_]\w*/g) ?? [];
      if (reads.some((n) => gradients.has(n))) return true;
      gradients.add(target);
    }
    assigned.add(target);
  }
  return false;
}

/** Whether the text reads as Python rather than the app's own language. */
export function looksLikePython(text: string): boolean {
  const code = withoutComments(text);
  return CUES.some((cue) => cue.test(code)) || hasBackwardPass(code);
}

/**
 * Parses Python (see `lowerPython`) into a circuit; throws a ParseError at the pasted line.
 * `options.gates` are the gates it may call without defining them (the document's).
 */
export function parsePython(
  text: string,
  options: ParseOptions = {},
): ProgramRead & { kind: 'python' } {
  const python = lowerPython(readStatements(tokenize(text)), text, options);
  let parsed: ParsedProgram;
  try {
    parsed = parse(python.program, options);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    const message = error.message.replace(/^line \d+, column \d+: /, '');
    const at = python.sourcePlace(error.line, error.column);
    throw new ParseError(message, at.line, at.column);
  }
  return { kind: 'python', parsed, python, notes: python.notes };
}

/**
 * Reads a program: Python when it looks like Python, else the app's language. Python that
 * fails but reads as the app's language is the app's language. Throws a ParseError.
 */
export function readProgram(text: string, options: ParseOptions = {}): ProgramRead {
  if (!looksLikePython(text)) return { kind: 'app', parsed: parse(text, options), notes: [] };
  try {
    return parsePython(text, options);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    try {
      return { kind: 'app', parsed: parse(text, options), notes: [] };
    } catch {
      throw error;
    }
  }
}
