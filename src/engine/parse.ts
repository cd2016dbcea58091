/**
 * The expression language: a few lines of text in, a circuit out.
 *
 * ```
 * x = 3                 # a bare number, array or randn(r, c) declares an input
 * y = 4
 * sigy = sigmoid(y)     # anything else builds gates; the name goes to the last
 * f = (x + sigy) / (sigmoid(x) + (x + y)^2)   # the last assignment is the output
 * ```
 *
 * The parser is a hand-written lexer plus a recursive-descent parser that builds circuit nodes
 * as it goes (no syntax tree), so a long left-associative chain such as `a + b + c + …` is a
 * loop, not a recursion. Only genuine nesting (parentheses, brackets, calls, unary signs,
 * exponents, calls) recurses, and that is capped at `LIMITS.nesting` levels so a hostile link
 * cannot overflow the stack. The other limits of `LIMITS` (program length, nodes, wires,
 * readers of one value, numbers per value and in all) are checked as the circuit grows, and
 * the lexer only reads as far as the parser has got, so a program far over a limit is refused
 * where it crosses it, without being read to its end. Every error is a `ParseError` at the
 * 1-based line and column of the token that broke the rule, saying what was expected there.
 *
 * Which tokens and function names make which op, how tightly each operator binds, and
 * which names are reserved all come from the op declarations (`syntax.ts`): this file knows
 * the grammar's shape, not the ops. A number or array written inside an expression is a
 * literal: it becomes a parameter of the gate that reads it (`x * -1` is one `mul` gate with
 * `{ b: -1 }`), never a node of its own.
 *
 * Names are data: every table keyed by a name is a Map or a Set, so `__proto__`,
 * `constructor` or `toString` are names like any other.
 */
import { ParseError } from './errors';
import { formatNumber } from './format';
import { gateNameProblem } from './gates/scope';
import { formatCount, LIMITS, overLimit } from './limits';
import { getOp, type OpDef, type TensorOp } from './ops';
import { indexProblem } from './ops/indexing';
import {
  AXIS_FUNCTIONS,
  arrayOp,
  expectedArguments,
  FUNCTIONS,
  type FunctionEntry,
  INFIX,
  OPERATOR_TOKENS,
  PRECEDENCE,
  PREFIX,
  RANDN,
  RESERVED_NAMES,
  SUBSCRIPTS,
} from './syntax';
import { fromNested, randn, scalar } from './tensor';
import {
  type Circuit,
  type CircuitNode,
  type GateDef,
  type NodeId,
  nodeId,
  type PortName,
  portName,
  type Tensor,
  type Wire,
} from './types';

/** What `parse` returns: the circuit, plus the names a UI lists beside it. */
/**
 * What `parse` returns. It is itself a circuit (its `nodes`, `wires` and `output` are the
 * circuit's), so `compile(parse(text))` works, and it also carries the names a UI lists.
 */
export interface ParsedProgram extends Circuit {
  /** Nodes and wires (no positions: the UI lays them out); the output is the last assignment. */
  readonly circuit: Circuit;
  /** Every input node, declared (`x = 3`) or implicit (used, never assigned), by first appearance. */
  readonly inputs: readonly NodeId[];
  /** Every assigned name, in statement order. Each is the id of the node it names. */
  readonly named: readonly NodeId[];
  /** The gates the program defines (`softplus(x) = …`), in order. */
  readonly defined: readonly GateDef[];
}

/** Seed of the first `randn` declaration; the k-th (0-based) uses `RANDN_SEED + k`. */
const RANDN_SEED = 42;

/** `a = x` names a copy of x: this op. */
const IDENTITY = getOp('identity') as OpDef;

/**
 * What a part of an expression is: a node index (≥ 0), or `-1 - k` for the statement's k-th
 * literal (see `Parser.literals`).
 */
type Operand = number;

/** `randn` is not a gate: it may only be the whole right-hand side of a declaration. */
const RANDN_USAGE =
  'randn(…) makes a random input, so it must be a whole right-hand side, as in W = randn(5, 10); then use W in expressions';

const WHOLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `text` can be assigned in the language: a name, not a function's, not too long. */
export function isAssignableName(text: string): boolean {
  return text.length <= LIMITS.idLength && WHOLE_NAME.test(text) && !RESERVED_NAMES.has(text);
}

// ---------------------------------------------------------------------------------------------
// Lexer

type TokenKind = 'name' | 'number' | 'symbol' | 'newline' | 'end';

interface Token {
  readonly kind: TokenKind;
  /** The source text (`'\n'` for a newline, `''` at the end). */
  readonly text: string;
  /** The value of a number token. */
  readonly value: number;
  readonly line: number;
  readonly column: number;
  /** Offsets into the source, for quoting a statement back in a message. */
  readonly start: number;
  readonly end: number;
}

/** Punctuation; the operators come from the op declarations (`OPERATOR_TOKENS`). */
const PUNCTUATION: ReadonlySet<string> = new Set(['(', ')', '[', ']', ',', '=', ';']);
/** The first character of every operator and punctuation mark. */
const SYMBOL_START: ReadonlySet<string> = new Set([
  ...PUNCTUATION,
  ...OPERATOR_TOKENS.map((t) => t[0]),
]);

/** Characters people paste from typeset math, and what to write instead. */
const LOOKALIKES: ReadonlyMap<string, string> = new Map([
  ['×', '*'],
  ['·', '*'],
  ['⋅', '*'],
  ['∗', '*'],
  ['−', '-'],
  ['–', '-'],
  ['÷', '/'],
  ['²', '^2'],
  ['³', '^3'],
]);

/**
 * Characters that cannot be seen, or cannot be told from a plain space, in a message: they are
 * named instead of quoted. Anything else of the same kinds (controls, formatting characters,
 * spaces, combining marks…) is named by its kind, see `describeCharacter`.
 */
const CHARACTER_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, 'null character'],
  [0x7f, 'delete character'],
  [0x85, 'next line character'],
  [0xa0, 'no-break space'],
  [0xad, 'soft hyphen'],
  [0x034f, 'combining grapheme joiner'],
  [0x061c, 'Arabic letter mark'],
  [0x115f, 'Hangul choseong filler'],
  [0x1160, 'Hangul jungseong filler'],
  [0x1680, 'Ogham space mark'],
  [0x180e, 'Mongolian vowel separator'],
  [0x2000, 'en quad'],
  [0x2001, 'em quad'],
  [0x2002, 'en space'],
  [0x2003, 'em space'],
  [0x2004, 'three-per-em space'],
  [0x2005, 'four-per-em space'],
  [0x2006, 'six-per-em space'],
  [0x2007, 'figure space'],
  [0x2008, 'punctuation space'],
  [0x2009, 'thin space'],
  [0x200a, 'hair space'],
  [0x200b, 'zero-width space'],
  [0x200c, 'zero-width non-joiner'],
  [0x200d, 'zero-width joiner'],
  [0x200e, 'left-to-right mark'],
  [0x200f, 'right-to-left mark'],
  [0x2028, 'line separator'],
  [0x2029, 'paragraph separator'],
  [0x202a, 'left-to-right embedding'],
  [0x202b, 'right-to-left embedding'],
  [0x202c, 'pop directional formatting'],
  [0x202d, 'left-to-right override'],
  [0x202e, 'right-to-left override'],
  [0x202f, 'narrow no-break space'],
  [0x205f, 'medium mathematical space'],
  [0x2060, 'word joiner'],
  [0x2061, 'function application'],
  [0x2062, 'invisible times'],
  [0x2063, 'invisible separator'],
  [0x2064, 'invisible plus'],
  [0x2066, 'left-to-right isolate'],
  [0x2067, 'right-to-left isolate'],
  [0x2068, 'first strong isolate'],
  [0x2069, 'pop directional isolate'],
  [0x2800, 'braille pattern blank'],
  [0x3000, 'ideographic space'],
  [0x3164, 'Hangul filler'],
  [0xfeff, 'zero-width no-break space (byte order mark)'],
  [0xffa0, 'halfwidth Hangul filler'],
  [0xfffc, 'object replacement character'],
  [0xfffd, 'replacement character'],
]);

/** Characters that look like a space (or like nothing where a space would be). */
const SPACE_LIKE = /^[\p{Zs}\u115f\u1160\u2800\u3164\uffa0]$/u;
/** Characters a message names by their kind (with `u`, a lone surrogate is `\p{Cs}`). */
const CHARACTER_KINDS: readonly (readonly [RegExp, string])[] = [
  [/^\p{Cc}$/u, 'control character'],
  [/^[\ufe00-\ufe0f\u{e0100}-\u{e01ef}]$/u, 'variation selector'],
  [/^[\u{e0000}-\u{e007f}]$/u, 'tag character'],
  [/^\p{Cf}$/u, 'invisible formatting character'],
  [/^\p{Zs}$/u, 'space'],
  [/^[\p{Zl}\p{Zp}]$/u, 'line separator'],
  [/^\p{M}$/u, 'combining mark'],
  [/^\p{Cs}$/u, 'lone surrogate'],
  [/^\p{Co}$/u, 'private-use character'],
  [/^\p{Cn}$/u, 'unassigned character'],
];

/**
 * A character as a message shows it: quoted when it can be seen (`'$'`, `'α'`), otherwise by
 * code point and name (`U+00A0 no-break space`, `U+200B zero-width space`), so a message
 * about an invisible character does not quote something invisible.
 */
export function describeCharacter(char: string): string {
  const code = char.codePointAt(0) as number;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHARACTER_NAMES.get(code);
  if (name !== undefined) return `${hex} ${name}`;
  for (const [kind, what] of CHARACTER_KINDS) if (kind.test(char)) return `${hex} ${what}`;
  return `'${char}'`;
}

/** What to do about an unexpected character, after the colon of the message. */
function characterHint(char: string): string {
  const instead = LOOKALIKES.get(char);
  if (instead !== undefined) return `: write ${instead} instead`;
  if (SPACE_LIKE.test(char)) return ': write a plain space instead';
  if (/^[\p{Zl}\p{Zp}\u0085]$/u.test(char)) return ': start a new line with Enter instead';
  if (describeCharacter(char).startsWith('U+')) return ': delete it';
  return '';
}

/** Source text as a message shows it, shortened when long (a number can be a megabyte). */
function shorten(text: string): string {
  return text.length <= 40 ? text : `${text.slice(0, 30)}…`;
}

function quote(text: string): string {
  return `'${shorten(text)}'`;
}

const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
// What directly follows a number but cannot belong to one: `2x`, `1e`, `1.2.3`.
const NUMBER_TAIL = /[A-Za-z0-9_.]+/y;

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

/**
 * Splits the text into tokens, one at a time as the parser asks for them, so a program that
 * breaks a rule (or a limit) early is not read to its end. Whitespace and `#` comments vanish;
 * newlines stay as tokens (the parser decides whether a newline ends a statement). After the
 * last token it answers an `end` token, again and again.
 */
class Lexer {
  private readonly text: string;
  private i = 0;
  private line = 1;
  private lineStart = 0;

  constructor(text: string) {
    this.text = text;
  }

  /** A second lexer that reads on from where this one is, leaving this one where it is. */
  fork(): Lexer {
    const copy = new Lexer(this.text);
    copy.i = this.i;
    copy.line = this.line;
    copy.lineStart = this.lineStart;
    return copy;
  }

  next(): Token {
    const text = this.text;
    while (this.i < text.length) {
      const i = this.i;
      const ch = text[i];
      if (ch === '\n') {
        const t = this.token('newline', '\n');
        this.line++;
        this.lineStart = this.i;
        return t;
      }
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
        this.i++;
      } else if (ch === '#') {
        const end = text.indexOf('\n', i);
        this.i = end < 0 ? text.length : end;
      } else if ((ch >= '0' && ch <= '9') || ch === '.') {
        return this.number();
      } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_') {
        const name = matchAt(NAME, text, i) as string;
        if (name.length > LIMITS.idLength) {
          this.fail(
            overLimit(`the name ${quote(name)}`, name.length, LIMITS.idLength, 'characters'),
          );
        }
        return this.token('name', name);
      } else if (SYMBOL_START.has(ch)) {
        // The longest operator that starts here (`**` before `*`), else one mark.
        const operator = OPERATOR_TOKENS.find((t) => text.startsWith(t, i));
        return this.token('symbol', operator ?? ch);
      } else {
        const char = String.fromCodePoint(text.codePointAt(i) as number);
        this.fail(`unexpected character ${describeCharacter(char)}${characterHint(char)}`);
      }
    }
    return this.token('end', '');
  }

  private number(): Token {
    const text = this.text;
    const num = matchAt(NUMBER, text, this.i);
    if (num === undefined) this.fail(`unexpected '.': a number needs a digit, as in .5 or 0.5`);
    const digits = num as string;
    const tail = matchAt(NUMBER_TAIL, text, this.i + digits.length);
    if (tail !== undefined) {
      const whole = quote(`${digits}${tail}`);
      if (/^[eE]$/.test(tail)) {
        this.fail(`${whole} is not a number: an exponent needs digits, as in 1e-3`);
      }
      if (/^[A-Za-z_]/.test(tail) && digits.length + tail.length <= 40) {
        this.fail(`${whole} is not a number or a name: to multiply, write ${digits} * ${tail}`);
      }
      this.fail(`${whole} is not a number`);
    }
    const value = Number(digits);
    if (!Number.isFinite(value)) this.fail(`the number ${shorten(digits)} is too large`);
    return this.token('number', digits, value);
  }

  /** The token `text` at the current place; moves past it. */
  private token(kind: TokenKind, text: string, value = 0): Token {
    const start = this.i;
    this.i += text.length;
    return {
      kind,
      text,
      value,
      line: this.line,
      column: start - this.lineStart + 1,
      start,
      end: this.i,
    };
  }

  private fail(message: string): never {
    throw new ParseError(message, this.line, this.i - this.lineStart + 1);
  }
}

const isSymbol = (t: Token, s: string) => t.kind === 'symbol' && t.text === s;
const endsStatement = (t: Token) => t.kind === 'newline' || t.kind === 'end' || isSymbol(t, ';');

/** A token as a message names it: `'*'`, `'sigmoid'`, "the end of the line". */
function tokenName(t: Token): string {
  if (t.kind === 'newline') return 'the end of the line';
  if (t.kind === 'end') return 'the end of the input';
  return quote(t.text);
}

// ---------------------------------------------------------------------------------------------
// Names and suggestions

/** Levenshtein distance (insertions, deletions, substitutions), two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The known functions closest to a misspelled one, within distance 2 (and within half the
 * name's length, so `x(…)` is not "corrected" to `exp`). Case is ignored: `Sigmoid` → sigmoid.
 */
function suggest(name: string): string[] {
  const lower = name.toLowerCase();
  const limit = Math.min(2, Math.floor(name.length / 2));
  let best = limit + 1;
  let found: string[] = [];
  for (const known of FUNCTIONS.keys()) {
    const d = editDistance(lower, known);
    if (d < best) {
      best = d;
      found = [known];
    } else if (d === best) {
      found.push(known);
    }
  }
  return best <= limit ? found : [];
}

/** Where something is, for a message that names two places: the line, or line and column. */
interface Place {
  readonly line: number;
  readonly column: number;
}

/** "line 1 and line 3", or with columns when both are on the same line. */
function placePair(a: Place, b: Place): [string, string] {
  if (a.line !== b.line) return [`line ${a.line}`, `line ${b.line}`];
  return [`line ${a.line}, column ${a.column}`, `line ${b.line}, column ${b.column}`];
}

// ---------------------------------------------------------------------------------------------
// Parser

/** A node under construction. `id` stays undefined until its statement ends. */
interface Draft {
  id: string | undefined;
  op: string;
  value?: Tensor;
  /** The literals written in this gate, by port name. */
  params?: Record<string, Tensor>;
  label?: string;
  /** Wires that read this node so far (its fan-out). */
  readers: number;
}

interface DraftWire {
  readonly from: number;
  readonly to: number;
  readonly port: PortName;
}

/** A name's node and where the name was first bound (assigned, or used as an implicit input). */
interface Binding extends Place {
  readonly node: number;
}

/**
 * Parses a program in the expression language into a circuit.
 *
 * A right-hand side that is only a number (optionally signed), a nested array of numbers or
 * `randn(r, c)` declares an input whose id is the assigned name. Any other right-hand side
 * becomes gates; the gate that computes the whole of it takes the assigned name as its id
 * (`a = x` makes an identity gate), the others get ids such as `mul#3` that no name can equal.
 * A number or array inside an expression is a literal of the gate that reads it, in the port
 * where it was written (`1 / d` is `div` with `{ a: 1 }`); a gate may hold literals only
 * (`2 + 3`). A name that is used but never assigned is an input with value 1.
 *
 * @throws ParseError at the offending token's line and column.
 */
export function parse(text: string, options: ParseOptions = {}): ParsedProgram {
  return new Parser(text, options).program();
}

/**
 * Reads gate definitions alone (`softplus(x) = log(1 + exp(x))`, each optionally followed by
 * `d/dx = …` lines), as the palette's New gate takes them.
 *
 * @throws ParseError at the offending token, as `parse` does.
 */
export function parseGates(text: string, options: ParseOptions = {}): readonly GateDef[] {
  return new Parser(text, options, true).program().defined;
}

export interface ParseOptions {
  /**
   * Gates the program may call without defining them (the document's own). A definition in
   * the program with the same name replaces one of these.
   */
  readonly gates?: readonly GateDef[];
}

class Parser {
  private readonly text: string;
  private readonly lexer: Lexer;
  /** Tokens read so far, from token number `base` on (those before it are no longer needed). */
  private readonly tokens: Token[] = [];
  private base = 0;
  /** The number of the next token. */
  private pos = 0;
  /** The last token consumed, for "after '+'" and for where a missing ')' belongs. */
  private prev: Token;
  /** Open `(` and `[`: inside them a newline is only whitespace. */
  private brackets = 0;
  /** Current recursion depth, checked against `LIMITS.nesting`. */
  private nesting = 0;

  private nodes: Draft[] = [];
  private wires: DraftWire[] = [];
  private assigned = new Map<string, Binding>();
  private implicit = new Map<string, Binding>();
  private inputs: number[] = [];
  private named: string[] = [];
  /** The gates a program can call: the document's, then those it defines, by name. */
  private readonly gateDefs = new Map<string, GateDef>();
  /** The definitions this program writes, in order. */
  private readonly defined: GateDef[] = [];
  /** While reading a definition's inside: its name and ports (names other than ports are errors). */
  private defining:
    | { readonly name: string; readonly ports: readonly string[]; readonly derivative?: string }
    | undefined;
  /** The definition just read, which `d/dx = …` lines after it belong to. */
  private lastDefinition: { def: GateDef; line: number } | undefined;
  private randnCount = 0;
  private generated = 0;
  /** Numbers in all values so far (inputs and literals). */
  private entries = 0;
  /** Numbers in the array literal being read. */
  private arrayEntries = 0;
  /**
   * The literals of the statement being read. An operand (what an expression part returns) is
   * a node index ≥ 0, or `-1 - k` for `literals[k]`.
   */
  private literals: Tensor[] = [];

  /** Read definitions only (`parseGates`). */
  private readonly gatesOnly: boolean;

  constructor(text: string, options: ParseOptions = {}, gatesOnly = false) {
    this.text = text;
    this.gatesOnly = gatesOnly;
    for (const def of options.gates ?? []) this.gateDefs.set(def.name, def);
    if (text.length > LIMITS.programLength) {
      const at = placeOf(text, LIMITS.programLength);
      throw this.error(
        at,
        overLimit('the program', text.length, LIMITS.programLength, 'characters'),
      );
    }
    this.lexer = new Lexer(text);
    this.prev = this.at(0);
  }

  program(): ParsedProgram {
    for (;;) {
      this.forgetConsumed();
      const t = this.peek();
      if (t.kind === 'end') break;
      if (endsStatement(t)) {
        this.next();
        continue;
      }
      this.statementAt(t);
    }
    if (this.named.length === 0 && !this.gatesOnly) {
      const def = this.defined[this.defined.length - 1];
      throw new ParseError(
        def
          ? `${def.name} is defined, but nothing uses it yet: add a line such as ${def.name === 'y' ? 'z' : 'y'} = ${def.name}(${def.ports.map(() => '2').join(', ')})`
          : 'there is nothing to compute: write at least one assignment, such as f = x * y',
        1,
        1,
      );
    }
    if (this.named.length > 0 && this.gatesOnly) {
      const first = this.assigned.get(this.named[0]) as Binding;
      throw this.error(
        first,
        `only gate definitions go here (such as softplus(x) = log(1 + exp(x))); ${this.named[0]} = … belongs in the expression`,
      );
    }
    const { nodes, wires } = this.draftCircuit();
    const gates = this.libraryUsed();
    const circuit: Circuit = {
      nodes,
      wires,
      output: this.named.length > 0 ? nodeId(this.named[this.named.length - 1]) : null,
      ...(gates.length > 0 ? { gates } : {}),
    };
    return {
      ...circuit,
      circuit,
      defined: this.defined,
      inputs: this.inputs.map((i) => nodes[i].id),
      named: this.named.map(nodeId),
    };
  }

  /** The drafts so far as nodes and wires. */
  private draftCircuit(): { nodes: CircuitNode[]; wires: Wire[] } {
    const ids = this.nodes.map((d) => nodeId(d.id as string));
    const nodes: CircuitNode[] = this.nodes.map((d, i) => {
      const node: {
        id: NodeId;
        op: string;
        label?: string;
        value?: Tensor;
        params?: Record<string, Tensor>;
      } = { id: ids[i], op: d.op };
      if (d.label !== undefined) node.label = d.label;
      if (d.value !== undefined) node.value = d.value;
      if (d.params !== undefined) node.params = d.params;
      return node;
    });
    const wires: Wire[] = this.wires.map((w) => ({
      from: ids[w.from],
      to: ids[w.to],
      port: w.port,
    }));
    return { nodes, wires };
  }

  /** The document's gates (less those the program defines again), then the program's. */
  private libraryUsed(): GateDef[] {
    const mine = new Set(this.defined.map((d) => d.name));
    const kept: GateDef[] = [];
    for (const def of this.gateDefs.values()) if (!mine.has(def.name)) kept.push(def);
    return kept.concat(this.defined);
  }

  // --- gate definitions ---------------------------------------------------------------------

  /** `name(a, b) =` ahead: a definition (a call would not be followed by '='). */
  private isDefinition(): boolean {
    let k = this.pos + 2;
    if (isSymbol(this.at(k), ')')) return isSymbol(this.at(k + 1), '=');
    for (;;) {
      if (this.at(k).kind !== 'name') return false;
      k++;
      if (isSymbol(this.at(k), ')')) return isSymbol(this.at(k + 1), '=');
      if (!isSymbol(this.at(k), ',')) return false;
      k++;
    }
  }

  /** `softplus(x) = log(1 + exp(x))`: a gate whose inside is one expression over its ports. */
  private definition(): void {
    const nameTok = this.next();
    const name = nameTok.text;
    this.next(); // '('
    const portToks: Token[] = [];
    while (!isSymbol(this.peek(), ')')) {
      portToks.push(this.next());
      if (isSymbol(this.peek(), ',')) this.next();
    }
    this.next(); // ')'
    this.next(); // '='
    const taken = gateNameProblem(name);
    if (taken) throw this.error(nameTok, taken);
    const twice = this.defined.find((d) => d.name === name);
    if (twice) throw this.error(nameTok, `the gate ${name} is defined twice in this program`);
    const bound = this.assigned.get(name) ?? this.implicit.get(name);
    if (bound) {
      throw this.error(
        nameTok,
        `${name} is already a value on line ${bound.line}: give the gate another name`,
      );
    }
    if (portToks.length === 0) {
      throw this.error(nameTok, `a gate takes at least one input: write ${name}(x) = …`);
    }
    const ports: string[] = [];
    for (const t of portToks) {
      if (RESERVED_NAMES.has(t.text) || getOp(t.text)) {
        throw this.error(
          t,
          `${t.text} is the name of a function: call the input something else, such as x`,
        );
      }
      if (t.text === name) throw this.error(t, `an input of ${name} cannot be called ${name}`);
      if (ports.includes(t.text)) throw this.error(t, `${name} has two inputs called ${t.text}`);
      ports.push(t.text);
    }
    const body = this.inside(name, ports, portToks, undefined, nameTok);
    const def: GateDef = { name, ports: ports.map(portName), body: body.circuit };
    this.gateDefs.delete(name);
    this.gateDefs.set(name, def);
    this.defined.push(def);
    this.lastDefinition = { def, line: nameTok.line };
  }

  /** `d/dx = sigmoid(x)` after a definition: the local gradient of its port x, written by hand. */
  private derivative(): void {
    const dTok = this.next();
    this.next(); // '/'
    const portTok = this.next();
    const usage =
      'write a local gradient as d/dx = … on the line right after its gate, such as softplus(x) = log(1 + exp(x))';
    if (portTok.kind !== 'name' || !portTok.text.startsWith('d') || !isSymbol(this.peek(), '=')) {
      throw this.error(dTok, usage);
    }
    this.next(); // '='
    const last = this.lastDefinition;
    if (!last) throw this.error(dTok, `d/${portTok.text} = … has no gate before it: ${usage}`);
    const { def } = last;
    const port = portTok.text.slice(1);
    const p = def.ports.indexOf(port as PortName);
    if (p < 0) {
      throw this.error(
        portTok,
        `${def.name} has no input ${port || '(none named)'}: its inputs are ${def.ports.join(', ')}, so write d/d${def.ports[0]} = …`,
      );
    }
    if (def.derivatives?.[p]) throw this.error(portTok, `d/d${port} of ${def.name} is given twice`);
    const start = this.peek();
    const body = this.inside(def.name, def.ports, [], port, start);
    const text = this.text.slice(start.start, body.end).trim();
    const derivatives = def.ports.map((_, q) => def.derivatives?.[q] ?? null);
    derivatives[p] = { text, body: body.circuit };
    const next: GateDef = { ...def, derivatives };
    this.gateDefs.set(def.name, next);
    this.defined[this.defined.indexOf(def)] = next;
    this.lastDefinition = { def: next, line: last.line };
  }

  /**
   * Reads one expression over `ports` (the right side of a definition or of `d/dx =`) into a
   * circuit of its own: the program's nodes are set aside meanwhile.
   */
  private inside(
    name: string,
    ports: readonly string[],
    portToks: readonly Token[],
    derivative: string | undefined,
    at: Place,
  ): { circuit: Circuit; end: number } {
    const saved = {
      nodes: this.nodes,
      wires: this.wires,
      assigned: this.assigned,
      implicit: this.implicit,
      inputs: this.inputs,
      named: this.named,
    };
    this.nodes = [];
    this.wires = [];
    this.assigned = new Map();
    this.implicit = new Map();
    this.inputs = [];
    this.named = [];
    this.defining = derivative === undefined ? { name, ports } : { name, ports, derivative };
    try {
      ports.forEach((port, i) => {
        const place = portToks[i] ?? at;
        const node = this.addNode(
          { id: port, op: 'input', value: scalar(0), label: port, readers: 0 },
          place,
        );
        this.assigned.set(port, { node, line: place.line, column: place.column });
      });
      this.literals = [];
      const start = this.peek();
      let root = this.expression();
      const end = this.prev.end;
      this.expectStatementEnd();
      const what =
        derivative === undefined ? `the inside of ${name}` : `d/d${derivative} of ${name}`;
      if (root < 0) {
        if (derivative === undefined) {
          throw this.error(
            start,
            `${what} is only a number: a gate computes something from its inputs`,
          );
        }
        // A constant local gradient (d/dx = 2) is a gate of literals only.
        root = this.gate(IDENTITY, [root], start);
      }
      if (this.nodes[root].op === 'input') root = this.gate(IDENTITY, [root], start);
      for (const d of this.nodes) {
        if (d.id === undefined) d.id = `${d.op}#${++this.generated}`;
      }
      const { nodes, wires } = this.draftCircuit();
      return { circuit: { nodes, wires, output: nodeId(this.nodes[root].id as string) }, end };
    } finally {
      this.nodes = saved.nodes;
      this.wires = saved.wires;
      this.assigned = saved.assigned;
      this.implicit = saved.implicit;
      this.inputs = saved.inputs;
      this.named = saved.named;
      this.defining = undefined;
    }
  }

  /** A gate of the document or defined above, as inside is; the derivative may call its own gate. */
  private definingSelf(name: string): GateDef | undefined {
    return this.defining?.derivative !== undefined && this.defining.name === name
      ? this.gateDefs.get(name)
      : undefined;
  }

  /**
   * The arguments of a call, from its `(` through the `)`, and where each starts (for a
   * message about one of them).
   */
  private callArguments(): { args: Operand[]; starts: Token[] } {
    const open = this.next();
    this.brackets++;
    this.enter(open);
    const args: Operand[] = [];
    const starts: Token[] = [];
    if (!isSymbol(this.peek(), ')')) {
      for (;;) {
        starts.push(this.peek());
        args.push(this.expression());
        if (!isSymbol(this.peek(), ',')) break;
        this.next();
      }
    }
    this.leave();
    this.expectClose(')', open);
    this.brackets--;
    return { args, starts };
  }

  /** `softplus(y)`: one gate of a definition, fed by its arguments in port order. */
  private callGate(fnTok: Token, def: GateDef): number {
    const { args } = this.callArguments();
    if (args.length !== def.ports.length) {
      const n = def.ports.length;
      throw this.error(
        fnTok,
        `${def.name} takes ${n} input${n === 1 ? '' : 's'} (${def.ports.join(', ')}), got ${args.length}`,
      );
    }
    // The parser needs only an op's name and ports to place a gate.
    return this.gate({ name: def.name, ports: def.ports } as unknown as OpDef, args, fnTok);
  }

  // --- tokens -------------------------------------------------------------------------------

  /** Token number `k` (not before `base`), read from the text when first asked for. */
  private at(k: number): Token {
    while (k - this.base >= this.tokens.length) this.tokens.push(this.lexer.next());
    return this.tokens[k - this.base];
  }

  /** Drops the tokens already consumed, so memory holds about one statement's tokens. */
  private forgetConsumed(): void {
    if (this.pos === this.base) return;
    this.tokens.splice(0, this.pos - this.base);
    this.base = this.pos;
  }

  /** The next token; inside brackets, newlines are skipped as whitespace. */
  private peek(): Token {
    if (this.brackets > 0) {
      while (this.at(this.pos).kind === 'newline') this.pos++;
    }
    return this.at(this.pos);
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    this.prev = t;
    return t;
  }

  private error(at: Place, message: string): ParseError {
    return new ParseError(message, at.line, at.column);
  }

  /**
   * Enters one level of nesting, refusing to go deeper than `LIMITS.nesting`; `leave` steps
   * back out. (Not a wrapper taking a callback: that would cost two stack frames per level.
   * When a level throws, the whole parse is over, so nothing needs to leave then.)
   */
  private enter(at: Token): void {
    if (++this.nesting > LIMITS.nesting) {
      throw this.error(
        at,
        `the expression is too deeply nested (more than ${LIMITS.nesting} levels): split it into named steps`,
      );
    }
  }

  private leave(): void {
    this.nesting--;
  }

  /** Consumes the `)` or `]` that closes `open`, or says where it was expected. */
  private expectClose(close: ')' | ']', open: Token): void {
    const t = this.peek();
    if (isSymbol(t, close)) {
      this.next();
      return;
    }
    // When the expression simply stops at the end of a line, the closer belongs right there.
    const at =
      t.line > this.prev.line
        ? { line: this.prev.line, column: this.prev.column + this.prev.text.length }
        : t;
    const opened =
      at.line === open.line ? `column ${open.column}` : `line ${open.line}, column ${open.column}`;
    const found = at === t ? `, found ${tokenName(t)}` : '';
    throw this.error(at, `expected '${close}' to close '${open.text}' opened at ${opened}${found}`);
  }

  // --- building -----------------------------------------------------------------------------

  /** Adds a node made by the token at `at`, refusing one node (or number) over the limits. */
  private addNode(draft: Draft, at: Place): number {
    if (this.nodes.length >= LIMITS.nodes) {
      throw this.error(
        at,
        `${overLimit('the circuit', this.nodes.length + 1, LIMITS.nodes, 'nodes')} (every input and gate is a node): make the program smaller`,
      );
    }
    if (draft.value) this.countEntries(draft.value, at);
    this.nodes.push(draft);
    return this.nodes.length - 1;
  }

  /**
   * A gate of op `op` fed by `args`, in port order: a node is wired into its port, a literal
   * becomes the gate's parameter there. `at` is the operator or function.
   */
  private gate(op: OpDef, args: readonly Operand[], at: Place): number {
    if (op.ports.length !== args.length) {
      throw new Error(`parse: op '${op.name}' does not take ${args.length} inputs`);
    }
    const draft: Draft = { id: undefined, op: op.name, readers: 0 };
    const to = this.addNode(draft, at);
    for (let p = 0; p < args.length; p++) {
      const from = args[p];
      if (from < 0) {
        const value = this.literals[-1 - from];
        this.countEntries(value, at);
        draft.params ??= {};
        draft.params[op.ports[p]] = value;
        continue;
      }
      if (this.wires.length >= LIMITS.wires) {
        throw this.error(
          at,
          overLimit('the circuit', this.wires.length + 1, LIMITS.wires, 'wires'),
        );
      }
      const source = this.nodes[from];
      if (++source.readers > LIMITS.fanOut) {
        // Only a name can be read twice, so the source has its id already.
        throw this.error(
          at,
          `${overLimit(source.id ?? 'a value', source.readers, LIMITS.fanOut, 'readers')} (gates reading one value)`,
        );
      }
      this.wires.push({ from, to, port: op.ports[p] });
    }
    return to;
  }

  /** A value's numbers, counted against the numbers a circuit may hold (`at` made it). */
  private countEntries(value: Tensor, at: Place): void {
    this.entries += value.data.length;
    if (this.entries > LIMITS.totalEntries) {
      throw this.error(
        at,
        overLimit('the circuit', this.entries, LIMITS.totalEntries, 'numbers in its values'),
      );
    }
  }

  /** A literal operand (its numbers count once it is placed: in a gate, or as an input). */
  private literal(value: Tensor): Operand {
    this.literals.push(value);
    return -this.literals.length;
  }

  // --- statements ---------------------------------------------------------------------------

  private statementAt(first: Token): void {
    const second = this.at(this.pos + 1);
    if (first.kind === 'name' && isSymbol(second, '=')) {
      this.lastDefinition = undefined;
      this.assignment();
      return;
    }
    if (first.kind === 'name' && isSymbol(second, '(') && this.isDefinition()) {
      this.definition();
      return;
    }
    if (first.kind === 'name' && first.text === 'd' && isSymbol(second, '/')) {
      this.derivative();
      return;
    }
    if (isSymbol(first, '=')) throw this.error(first, `expected a name before '='`);

    // Not `name = …`: find out whether it has an '=' at all, to say the right thing. The
    // tokens read ahead already come first, then a second lexer that keeps none of them.
    let depth = 0;
    let last = first;
    const buffered = this.base + this.tokens.length;
    const ahead = this.lexer.fork();
    for (let k = this.pos; ; k++) {
      const t = k < buffered ? this.at(k) : ahead.next();
      if (t.kind === 'end' || isSymbol(t, ';') || (t.kind === 'newline' && depth <= 0)) break;
      if (isSymbol(t, '(') || isSymbol(t, '[')) depth++;
      if (isSymbol(t, ')') || isSymbol(t, ']')) depth--;
      if (isSymbol(t, '=') && depth <= 0) {
        throw this.error(
          first,
          `expected a name before '=': the left side of an assignment is a single name, such as f`,
        );
      }
      if (t.kind !== 'newline') last = t;
    }
    const source = this.text.slice(first.start, last.end).replace(/\s+/g, ' ');
    const shown = source.length <= 40 && !source.includes('#') ? source : '…';
    throw this.error(first, `this expression is not assigned to a name: write f = ${shown}`);
  }

  /** `name = rhs`: an input declaration or a named wire. */
  private assignment(): void {
    const nameTok = this.next();
    const name = nameTok.text;
    this.next(); // '='
    if (RESERVED_NAMES.has(name)) {
      throw this.error(
        nameTok,
        `${name} is the name of a function and cannot be assigned: choose another name, such as ${name}_`,
      );
    }
    if (this.gateDefs.has(name)) {
      throw this.error(
        nameTok,
        `${name} is the name of a gate: choose another name for the value, such as ${name}_out`,
      );
    }
    const earlier = this.assigned.get(name);
    if (earlier) {
      const [a, b] = placePair(earlier, nameTok);
      throw this.error(nameTok, `${name} is assigned twice: on ${a} and ${b}`);
    }
    const used = this.implicit.get(name);
    if (used) {
      const [a, b] = placePair(used, nameTok);
      throw this.error(used, `${name} is used on ${a} before it is assigned on ${b}`);
    }

    const first = this.nodes.length;
    const start = this.peek();
    this.literals = [];
    let root: number;
    let isInput = false;
    if (start.kind === 'name' && start.text === RANDN && isSymbol(this.at(this.pos + 1), '(')) {
      const value = this.randnDeclaration(name);
      root = this.addNode({ id: undefined, op: 'input', value, readers: 0 }, start);
      isInput = true;
      if (!endsStatement(this.peek())) throw this.error(start, RANDN_USAGE);
    } else {
      const rhs = this.expression();
      // A right-hand side that is only a literal (signed, maybe parenthesized) is an input.
      if (rhs < 0) {
        const value = this.literals[-1 - rhs];
        root = this.addNode({ id: undefined, op: 'input', value, readers: 0 }, start);
        isInput = true;
      } else {
        root = rhs;
      }
    }
    this.expectStatementEnd();

    const self = this.implicit.get(name);
    if (self) {
      throw this.error(
        self,
        `${name} is used in its own definition on line ${nameTok.line}: a wire cannot feed itself (use a new name, such as ${name}2 = … ${name} …)`,
      );
    }

    // `a = x`, `a = (x)`, `a = +x`: the root is an existing node, so the name gets a copy gate.
    if (this.nodes[root].id !== undefined) root = this.gate(IDENTITY, [root], nameTok);
    const draft = this.nodes[root];
    draft.id = name;
    draft.label = name;
    for (let i = first; i < this.nodes.length; i++) {
      const d = this.nodes[i];
      if (d.id === undefined) d.id = `${d.op}#${++this.generated}`;
    }
    if (isInput) this.inputs.push(root);
    this.assigned.set(name, { node: root, line: nameTok.line, column: nameTok.column });
    this.named.push(name);
  }

  private expectStatementEnd(): void {
    const t = this.peek();
    if (endsStatement(t)) return;
    if (isSymbol(t, ')') || isSymbol(t, ']')) {
      throw this.error(
        t,
        `unexpected '${t.text}': there is no '${t.text === ')' ? '(' : '['}' for it to close`,
      );
    }
    if (isSymbol(t, '=')) {
      throw this.error(t, `unexpected '=': a statement assigns one name, as in f = x * y`);
    }
    throw this.error(
      t,
      `unexpected ${tokenName(t)}: expected an operator (such as * to multiply) or the end of the statement`,
    );
  }

  /** `randn(r, c)` as the whole right-hand side of `name = …`: a seeded r×c matrix of normal samples. */
  private randnDeclaration(name: string): Tensor {
    const fn = this.next();
    const open = this.next();
    this.brackets++;
    const args: Token[] = [];
    if (!isSymbol(this.peek(), ')')) {
      for (;;) {
        const t = this.next();
        if (t.kind !== 'number') {
          throw this.error(
            t,
            `randn takes its rows and columns as whole numbers, such as randn(5, 10); found ${tokenName(t)}`,
          );
        }
        args.push(t);
        if (!isSymbol(this.peek(), ',')) break;
        this.next();
      }
    }
    this.expectClose(')', open);
    this.brackets--;
    if (args.length !== 2) {
      throw this.error(fn, `randn takes 2 arguments (rows and columns), got ${args.length}`);
    }
    for (const t of args) {
      if (!Number.isInteger(t.value) || t.value < 1) {
        throw this.error(
          t,
          `randn needs whole numbers ≥ 1 for its rows and columns, got ${t.text}`,
        );
      }
    }
    const [rows, cols] = args.map((t) => t.value);
    const count = rows * cols;
    if (count > LIMITS.valueEntries) {
      const call = `${name} = randn(${shorten(args[0].text)}, ${shorten(args[1].text)})`;
      // Beyond 10¹⁵ the count would be a wall of digits; the limit is what matters.
      const message =
        count <= 1e15
          ? overLimit(call, count, LIMITS.valueEntries, 'numbers')
          : `${call} has far too many numbers; the limit is ${formatCount(LIMITS.valueEntries)}`;
      throw this.error(fn, `${message} numbers in one value`);
    }
    return randn(rows, cols, RANDN_SEED + this.randnCount++);
  }

  // --- expressions --------------------------------------------------------------------------

  /** A whole expression: every operator binds. */
  private expression(): Operand {
    return this.operators(PRECEDENCE.additive);
  }

  /**
   * An expression of operators that bind at least as tightly as `min` (precedence climbing,
   * with the precedences the op declarations give). A chain of operators of one level
   * (`a + b + c + …`) is a loop; only a right-associative operator (`^`: `a ^ b ^ c` is
   * `a ^ (b ^ c)`) and a leading sign nest. Any operand may start with a sign: `2 * -x`,
   * `2 ^ -1`; a sign binds less tightly than `^` (`-x ^ 2` is `-(x ^ 2)`).
   */
  private operators(min: number): Operand {
    let left = this.signed();
    for (;;) {
      const t = this.peek();
      const infix = t.kind === 'symbol' ? INFIX.get(t.text) : undefined;
      if (infix === undefined || infix.precedence < min) return left;
      this.next();
      let right: Operand;
      if (infix.associativity === 'right') {
        this.enter(t);
        right = this.operators(infix.precedence);
        this.leave();
      } else {
        right = this.operators(infix.precedence + 1);
      }
      left = this.gate(infix.op, [left, right], t);
    }
  }

  /**
   * A leading sign, then its operand (which takes every operator binding more tightly than a
   * sign). A prefix operator on a literal (`-2`, `-[1, 2]`) is folded into the literal; on
   * anything else it is a gate (`-x` is `neg`). `+` changes nothing.
   */
  private signed(): Operand {
    const t = this.peek();
    const prefix = t.kind === 'symbol' ? PREFIX.get(t.text) : undefined;
    if (prefix === undefined && !isSymbol(t, '+')) return this.primary();
    this.next();
    this.enter(t);
    const operand = this.operators(PRECEDENCE.prefix + 1);
    this.leave();
    if (prefix === undefined) return operand;
    const op = prefix.op;
    if (operand < 0 && op.kind === 'unary') {
      const value = this.literals[-1 - operand];
      this.literals[-1 - operand] = { shape: value.shape, data: value.data.map(op.f) };
      return operand;
    }
    return this.gate(op, [operand], t);
  }

  /**
   * An atom and the indices written after it: `w[1]`, `W[1, 2]`, `W[1][2]` (each a gate that
   * takes one entry).
   */
  private primary(): Operand {
    const operand = this.atom();
    if (!isSymbol(this.peek(), '[')) return operand;
    const open = this.next();
    const indices = this.indices(open);
    // `W[1][2]` is `W[1, 2]`.
    while (isSymbol(this.peek(), '[')) indices.push(...this.indices(this.next()));
    if (indices.length > 2) {
      throw this.error(
        indices[2].at,
        `at most two indices: W[i, j] is the entry at row i, column j (${indices.length} given)`,
      );
    }
    return this.entryGate(operand, indices, open);
  }

  /** The whole numbers inside `[ … ]` after `open` (already read), through the `]`. */
  private indices(open: Token): { value: number; at: Token }[] {
    this.brackets++;
    const found: { value: number; at: Token }[] = [];
    for (;;) {
      const start = this.next();
      let sign = 1;
      let t = start;
      if ((isSymbol(t, '-') || isSymbol(t, '+')) && this.peek().kind === 'number') {
        sign = t.text === '-' ? -1 : 1;
        t = this.next();
      }
      if (t.kind !== 'number') {
        throw this.error(
          t,
          `an index is a whole number written in place, as in W[1, 2] (counting from 0); found ${tokenName(t)}`,
        );
      }
      found.push({ value: sign * t.value, at: start });
      if (!isSymbol(this.peek(), ',')) break;
      this.next();
    }
    this.expectClose(']', open);
    this.brackets--;
    return found;
  }

  /**
   * The gate taking entry `indices` of `operand`. When the operand's shape is known here (a
   * declared input, a literal), an index that does not fit is refused at its place; otherwise
   * compile says so.
   */
  private entryGate(
    operand: Operand,
    indices: readonly { value: number; at: Token }[],
    open: Token,
  ): Operand {
    const op = SUBSCRIPTS.get(indices.length) as TensorOp;
    const known =
      operand < 0
        ? { name: 'the array', value: this.literals[-1 - operand] }
        : this.nodes[operand].op === 'input'
          ? { name: this.nodes[operand].label ?? 'this input', value: this.nodes[operand].value }
          : undefined;
    const shape = known?.value?.shape;
    if (known && shape) {
      const problem = indexProblem(
        shape,
        indices.map((i) => i.value),
        known.name,
      );
      if (problem) {
        // Point at the index that is wrong: the row's problem comes first, then the column's.
        const alone = (k: number) => indices.map((ix, m) => (m === k ? ix.value : undefined));
        const which = indices.findIndex(
          (_, k) => indexProblem(shape, alone(k), known.name) !== undefined,
        );
        const at = which >= 0 ? indices[which].at : open;
        throw this.error(at, problem);
      }
    }
    const args = [operand, ...indices.map((i) => this.literal(scalar(i.value)))];
    return this.gate(op, args, open);
  }

  /** A number, a name, a call, a parenthesized expression or an array. */
  private atom(): Operand {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return this.literal(scalar(t.value));
    }
    if (t.kind === 'name') return this.nameOrCall();
    if (isSymbol(t, '(')) {
      this.next();
      this.brackets++;
      this.enter(t);
      const inner = this.expression();
      this.leave();
      this.expectClose(')', t);
      this.brackets--;
      return inner;
    }
    if (isSymbol(t, '[')) {
      if (!this.numbersOnly()) return this.expressionArray(this.next());
      this.next();
      this.arrayEntries = 0;
      this.enter(t);
      const value = fromNested(this.arrayItems(t, 1));
      this.leave();
      if (typeof value === 'string') throw this.error(t, value);
      return this.literal(value);
    }
    const expected = `expected a number, a name or '('`;
    if (endsStatement(t) || isSymbol(t, ',')) {
      const after = this.prev.kind === 'symbol' ? ` after '${this.prev.text}'` : '';
      throw this.error(t, `${expected}${after}, found ${tokenName(t)}`);
    }
    throw this.error(t, `unexpected ${tokenName(t)}: ${expected}`);
  }

  private nameOrCall(): Operand {
    const t = this.next();
    const name = t.text;
    const opensCall = isSymbol(this.peek(), '(');
    if (name === RANDN) throw this.error(t, RANDN_USAGE);
    if (this.defining && this.defining.name === name && this.defining.derivative === undefined) {
      throw this.error(
        t,
        `${name} is used in its own definition: a gate cannot be made of itself (write its inside with other gates)`,
      );
    }
    const own = this.gateDefs.get(name) ?? this.definingSelf(name);
    if (own) {
      if (!opensCall)
        throw this.error(t, `${name} is a gate: call it as ${name}(${own.ports.join(', ')})`);
      return this.callGate(t, own);
    }
    const fn = FUNCTIONS.get(name);
    if (fn) {
      if (!opensCall) throw this.error(t, `${name} is a function: call it as ${name}(x)`);
      return this.call(t, fn);
    }
    if (opensCall) {
      const close = suggest(name);
      if (close.length > 0) {
        throw this.error(t, `unknown function '${name}': did you mean ${close.join(' or ')}?`);
      }
      throw this.error(
        t,
        `unknown function '${name}' (the functions are ${[...FUNCTIONS.keys()].sort().join(', ')}); to multiply, write ${name} * (…)`,
      );
    }
    return this.variable(t);
  }

  /** A name in an expression: an assigned name, or else an implicit input with value 1. */
  private variable(t: Token): number {
    const bound = this.assigned.get(t.text) ?? this.implicit.get(t.text);
    if (bound) return bound.node;
    if (this.defining) {
      const { name, ports } = this.defining;
      throw this.error(
        t,
        `${name}(${ports.join(', ')}) uses '${t.text}', which is not one of its inputs: a gate sees only its ports (write ${name}(${[...ports, t.text].join(', ')}) = … to add one)`,
      );
    }
    const node = this.addNode(
      { id: t.text, op: 'input', value: scalar(1), label: t.text, readers: 0 },
      t,
    );
    this.implicit.set(t.text, { node, line: t.line, column: t.column });
    this.inputs.push(node);
    return node;
  }

  private call(fnTok: Token, fn: FunctionEntry): number {
    const { args, starts } = this.callArguments();
    const byAxis = AXIS_FUNCTIONS.get(fnTok.text);
    if (byAxis && !fn.has(args.length) && args.length === 2) {
      return this.gate(this.axisOp(fnTok.text, byAxis, args[1], starts[1]), [args[0]], fnTok);
    }
    const op = fn.get(args.length);
    if (!op) {
      throw this.error(
        fnTok,
        `${fnTok.text} takes ${expectedArguments(fnTok.text)}, got ${args.length}`,
      );
    }
    return this.gate(op, args, fnTok);
  }

  /**
   * The op of `name(t, axis)` for the axis written: a number, one the function has an op for
   * (`sum(t, 0)`: one sum per column). The axis is part of the gate, never a wire.
   */
  private axisOp(
    name: string,
    byAxis: ReadonlyMap<number, TensorOp>,
    axis: Operand,
    at: Token,
  ): TensorOp {
    const axes = [...byAxis.keys()].sort((a, b) => a - b);
    const usage = axes
      .map((a) => `${name}(t, ${a}) gives one per ${a === 0 ? 'column' : 'row'}`)
      .join(', ');
    const value = axis < 0 ? this.literals[-1 - axis] : undefined;
    if (value === undefined || value.shape.length !== 0) {
      throw this.error(
        at,
        `the axis of ${name} is written as a number, ${axes.join(' or ')}: ${usage}`,
      );
    }
    const op = byAxis.get(value.data[0]);
    if (op === undefined) {
      throw this.error(
        at,
        `${name} has axis ${axes.join(' or ')}, got ${formatNumber(value.data[0])}: ${usage}`,
      );
    }
    return op;
  }

  /**
   * The items of an array literal after its `[`, through the closing `]`: signed numbers or
   * rows (at most two levels). A trailing comma is allowed; shape checks are `fromNested`'s.
   */
  private arrayItems(open: Token, level: number): (number | unknown[])[] {
    this.brackets++;
    const items: (number | unknown[])[] = [];
    while (!isSymbol(this.peek(), ']')) {
      const t = this.next();
      if (isSymbol(t, '[')) {
        if (level >= 2) throw this.error(t, 'values have at most two dimensions (a matrix)');
        this.enter(t);
        items.push(this.arrayItems(t, level + 1));
        this.leave();
      } else if (t.kind === 'number') {
        this.countArrayEntry(t);
        items.push(t.value);
      } else if ((isSymbol(t, '-') || isSymbol(t, '+')) && this.peek().kind === 'number') {
        this.countArrayEntry(t);
        const v = this.next().value;
        items.push(t.text === '-' ? -v : v);
      } else {
        throw this.error(
          t,
          `an array holds only numbers (or rows of numbers), found ${tokenName(t)}; use names outside arrays`,
        );
      }
      if (!isSymbol(this.peek(), ',')) break;
      this.next();
    }
    const t = this.peek();
    if (!isSymbol(t, ']') && !endsStatement(t) && t.line === this.prev.line) {
      throw this.error(
        t,
        `expected ',' or ']' in the array opened at column ${open.column}, found ${tokenName(t)}`,
      );
    }
    this.expectClose(']', open);
    this.brackets--;
    return items;
  }

  /**
   * Whether the array that starts at the next token (a `[`) holds numbers only (a literal)
   * rather than expressions (a vector or matrix assembled from gates).
   */
  private numbersOnly(): boolean {
    let depth = 0;
    for (let k = this.pos; ; k++) {
      const t = this.at(k);
      if (t.kind === 'end') return true;
      if (t.kind === 'newline') continue;
      if (t.kind === 'number') continue;
      if (t.kind !== 'symbol') return false;
      if (t.text === '[') depth++;
      else if (t.text === ']') {
        if (--depth === 0) return true;
      } else if (t.text !== ',' && t.text !== '-' && t.text !== '+') {
        // An operator, a parenthesis or '=': an expression (or a mistake the literal path names).
        return t.text === '=' || t.text === ';';
      }
    }
  }

  /**
   * `[a, b, c]` or `[[a, b], [c, d]]` with expressions for entries, after its `[`: a gate
   * that assembles a vector or a matrix (at most `LIMITS.assembleSide` on a side) from them.
   */
  private expressionArray(open: Token): Operand {
    this.brackets++;
    this.enter(open);
    const rows: Operand[][] = [];
    const flat: Operand[] = [];
    let kind: 'rows' | 'entries' | undefined;
    while (!isSymbol(this.peek(), ']')) {
      const t = this.peek();
      // Inside, a `[` opens a row: an entry is one number, never an array.
      const isRow = isSymbol(t, '[');
      if (kind !== undefined && (kind === 'rows') !== isRow) {
        throw this.error(
          t,
          'an array holds either entries or rows of entries, not both: write [a, b] or [[a, b], [c, d]]',
        );
      }
      kind = isRow ? 'rows' : 'entries';
      if (isRow) {
        const rowOpen = this.next();
        this.brackets++;
        this.enter(rowOpen);
        const row: Operand[] = [];
        while (!isSymbol(this.peek(), ']')) {
          row.push(this.expression());
          if (!isSymbol(this.peek(), ',')) break;
          this.next();
        }
        this.leave();
        this.expectClose(']', rowOpen);
        this.brackets--;
        if (rows.length > 0 && row.length !== rows[0].length) {
          throw this.error(
            rowOpen,
            `row ${rows.length + 1} has ${row.length} ${row.length === 1 ? 'entry' : 'entries'} and row 1 has ${rows[0].length}: every row of a matrix has as many entries`,
          );
        }
        rows.push(row);
      } else {
        flat.push(this.expression());
      }
      if (!isSymbol(this.peek(), ',')) break;
      this.next();
    }
    this.leave();
    this.expectClose(']', open);
    this.brackets--;
    const shape = kind === 'rows' ? [rows.length, rows[0].length] : [flat.length];
    const entries = kind === 'rows' ? rows.flat() : flat;
    const side = LIMITS.assembleSide;
    const op = entries.length === 0 ? undefined : arrayOp(shape);
    if (op === undefined) {
      throw this.error(
        open,
        entries.length === 0
          ? 'an empty array has no entries: write at least one, as in [a, b]'
          : `a vector or matrix built from expressions has at most ${side} rows and ${side} columns; this one is ${shape.length === 1 ? `a vector of ${shape[0]}` : shape.join('×')} (an array of numbers alone can be larger)`,
      );
    }
    return this.gate(op, entries, open);
  }

  /** One more number in the array literal being read, refused over `LIMITS.valueEntries`. */
  private countArrayEntry(at: Token): void {
    if (++this.arrayEntries > LIMITS.valueEntries) {
      throw this.error(
        at,
        `${overLimit('the array', this.arrayEntries, LIMITS.valueEntries, 'numbers')} numbers in one value`,
      );
    }
  }
}

/** The 1-based line and column of offset `offset` in `text`. */
function placeOf(text: string, offset: number): Place {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
