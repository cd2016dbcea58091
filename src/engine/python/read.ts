/**
 * Reading pasted Python: a tokenizer and a parser for the small part of Python that the notes'
 * staged code uses (assignments of arithmetic, calls, attributes, indexing and lists), into a
 * list of statements with their lines, and functions (`def softplus(x): return …`, on one line
 * or as an indented block of assignments ending in `return`). What falls outside that part
 * (loops, `if`, classes, comparisons, strings outside `print(…)` and docstrings) is refused here
 * with a `ParseError` at its line and column that names the construct and says what to write
 * instead.
 *
 * Nothing here knows the app's language: `lower.ts` turns the statements into it.
 */
import { ParseError } from '../errors';
import { LIMITS, overLimit } from '../limits';

export type TokenKind = 'name' | 'number' | 'string' | 'op' | 'newline' | 'end';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

/** Operators and punctuation, longest first. */
const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '**',
  '//',
  '+=',
  '-=',
  '*=',
  '/=',
  '@=',
  '%=',
  '&=',
  '|=',
  '^=',
  '==',
  '!=',
  '<=',
  '>=',
  '<<',
  '>>',
  '->',
  ':=',
  '+',
  '-',
  '*',
  '/',
  '@',
  '%',
  '&',
  '|',
  '^',
  '~',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  ';',
  '=',
];

const NUMBER =
  /(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?)[jJ]?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const STRING_START = /(?:[rRbBuUfF]{0,2})('''|"""|'|")/y;

/** Splits Python text into tokens; newlines inside brackets and after `\` are whitespace. */
export function tokenize(text: string): Token[] {
  if (text.length > LIMITS.programLength) {
    throw new ParseError(
      overLimit('the program', text.length, LIMITS.programLength, 'characters'),
      1,
      1,
    );
  }
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let depth = 0;
  const push = (kind: TokenKind, t: string, at: number) => {
    tokens.push({ kind, text: t, line, column: at - lineStart + 1 });
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      if (depth === 0) push('newline', '\n', i);
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
      i++;
      continue;
    }
    if (ch === '#') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (ch === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      line++;
      lineStart = i;
      continue;
    }
    STRING_START.lastIndex = i;
    const quoteMatch = STRING_START.exec(text);
    if (quoteMatch) {
      // A string (its prefix letters included): read to its closing quote.
      const quote = quoteMatch[1];
      const startLine = line;
      const startCol = i - lineStart + 1;
      let j = i + quoteMatch[0].length;
      for (;;) {
        if (j >= text.length || (quote.length === 1 && text[j] === '\n')) {
          throw new ParseError(
            'this string is not closed: end it with the same quote it starts with',
            startLine,
            startCol,
          );
        }
        if (text[j] === '\\') {
          j += 2;
          continue;
        }
        if (text.startsWith(quote, j)) {
          j += quote.length;
          break;
        }
        if (text[j] === '\n') {
          line++;
          lineStart = j + 1;
        }
        j++;
      }
      tokens.push({ kind: 'string', text: text.slice(i, j), line: startLine, column: startCol });
      i = j;
      continue;
    }
    if ((ch >= '0' && ch <= '9') || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const num = (NUMBER.exec(text) as RegExpExecArray)[0];
      push('number', num, i);
      i += num.length;
      continue;
    }
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_') {
      NAME.lastIndex = i;
      const name = (NAME.exec(text) as RegExpExecArray)[0];
      if (name.length > LIMITS.idLength) {
        throw new ParseError(
          overLimit(`the name '${name.slice(0, 30)}…'`, name.length, LIMITS.idLength, 'characters'),
          line,
          i - lineStart + 1,
        );
      }
      push('name', name, i);
      i += name.length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op !== undefined) {
      if (op === '(' || op === '[' || op === '{') depth++;
      if ((op === ')' || op === ']' || op === '}') && depth > 0) depth--;
      push('op', op, i);
      i += op.length;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i) as number);
    const shown = /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char)
      ? `'${char}'`
      : `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new ParseError(
      `unexpected character ${shown}: Python code uses plain ASCII operators (* - / **), delete it or write one of them`,
      line,
      i - lineStart + 1,
    );
  }
  push('newline', '\n', i);
  tokens.push({ kind: 'end', text: '', line, column: i - lineStart + 1 });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Expressions

export interface Place {
  readonly line: number;
  readonly column: number;
}

export type Expr =
  | { readonly k: 'num'; readonly text: string; readonly at: Place }
  | { readonly k: 'name'; readonly name: string; readonly at: Place }
  | { readonly k: 'str'; readonly at: Place }
  /** `*args` in a call. */
  | { readonly k: 'star'; readonly x: Expr; readonly at: Place }
  | {
      readonly k: 'bin';
      readonly op: '+' | '-' | '*' | '/' | '@' | '**';
      readonly a: Expr;
      readonly b: Expr;
      readonly at: Place;
    }
  /**
   * A left-to-right chain of operators of one level (`a + b - c`, `a * b / c @ d`), kept flat
   * so that a sum of ten thousand terms is a loop, not ten thousand levels of nesting.
   */
  | {
      readonly k: 'chain';
      readonly level: 'additive' | 'multiplicative';
      readonly first: Expr;
      readonly rest: readonly {
        readonly op: '+' | '-' | '*' | '/' | '@';
        readonly x: Expr;
        readonly at: Place;
      }[];
      readonly at: Place;
    }
  | { readonly k: 'neg'; readonly x: Expr; readonly at: Place }
  | {
      readonly k: 'call';
      readonly fn: Expr;
      readonly args: readonly Expr[];
      readonly kwargs: ReadonlyMap<string, Expr>;
      readonly at: Place;
    }
  | { readonly k: 'attr'; readonly obj: Expr; readonly name: string; readonly at: Place }
  | {
      readonly k: 'index';
      readonly obj: Expr;
      /** `W[i, j]` has two indices in one bracket; `W[i][j]` is an index of an index. */
      readonly indices: readonly Expr[];
      readonly at: Place;
    }
  | {
      readonly k: 'list';
      readonly items: readonly Expr[];
      readonly at: Place;
      /** Written `(a, b)`: Python's tuple, which the app does not take. */
      readonly tuple?: boolean;
    };

/** One statement of the pasted code. */
export type Statement =
  | {
      readonly k: 'assign';
      readonly target: string;
      /** `=`, or the operator of an augmented assignment (`+` for `+=`). */
      readonly op: AssignOp;
      readonly value: Expr;
      readonly at: Place;
    }
  /** `import math`, `from math import exp`: accepted without a word. */
  | { readonly k: 'import'; readonly at: Place }
  /** A line the app leaves out and says so: `print(…)`, `g.backward()`, `np.random.seed(0)`. */
  | { readonly k: 'ignored'; readonly what: string; readonly at: Place }
  | DefStatement;

/** An assignment, at the top level or inside a function. */
export type AssignStatement = Statement & { readonly k: 'assign' };

/** A statement inside a function: an assignment to a local, or its `return`. */
export type BodyStatement =
  | AssignStatement
  | { readonly k: 'return'; readonly value: Expr; readonly at: Place };

/** `def name(params): body`; docstrings and comments in the body are left out. */
export interface DefStatement {
  readonly k: 'def';
  readonly name: string;
  /** Where the function's name is written. */
  readonly nameAt: Place;
  readonly params: readonly { readonly name: string; readonly at: Place }[];
  readonly body: readonly BodyStatement[];
  /** Where `def` is written. */
  readonly at: Place;
}

/** Python's keywords that start a statement the app does not take, and what to write. */
const STATEMENT_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['for', 'loops (for) are not supported: write each step as its own assignment'],
  ['while', 'loops (while) are not supported: write each step as its own assignment'],
  ['if', 'if statements are not supported: write the branch you want as plain assignments'],
  ['elif', 'if statements are not supported: write the branch you want as plain assignments'],
  ['else', 'if statements are not supported: write the branch you want as plain assignments'],
  ['def', 'def starts a function on a line of its own, as in def softplus(x): return …'],
  [
    'class',
    'classes are not supported: write the computation as assignments of numbers and expressions',
  ],
  [
    'return',
    'return is only allowed inside a function (def): indent it under its def, or assign the value to a name instead',
  ],
  ['lambda', 'lambda is not supported: write the expression itself'],
  ['with', 'with blocks are not supported: write the assignments on their own'],
  ['try', 'try blocks are not supported: write the assignments on their own'],
  ['except', 'try blocks are not supported: write the assignments on their own'],
  ['finally', 'try blocks are not supported: write the assignments on their own'],
  ['raise', 'raise is not supported: leave it out'],
  ['assert', 'assert is not supported: leave it out (the app checks gradients itself)'],
  ['global', 'global is not supported: leave it out'],
  ['nonlocal', 'nonlocal is not supported: leave it out'],
  ['del', 'del is not supported: leave it out'],
  ['pass', 'pass is not supported: leave it out'],
  ['break', 'break is not supported: write each step as its own assignment'],
  ['continue', 'continue is not supported: write each step as its own assignment'],
  ['yield', 'yield is not supported: assign the value to a name instead'],
  ['async', 'async code is not supported: write plain assignments'],
  ['await', 'async code is not supported: write plain assignments'],
]);

/** Keywords that may not appear inside an expression, and what to write instead. */
const EXPRESSION_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['if', 'conditional expressions (a if c else b) are not supported: write the branch you want'],
  ['else', 'conditional expressions (a if c else b) are not supported: write the branch you want'],
  ['and', 'boolean operators (and) are not supported: a circuit computes numbers'],
  ['or', 'boolean operators (or) are not supported: a circuit computes numbers'],
  ['not', 'boolean operators (not) are not supported: a circuit computes numbers'],
  ['in', 'the in operator is not supported: a circuit computes numbers'],
  ['is', 'the is operator is not supported: a circuit computes numbers'],
  ['lambda', 'lambda is not supported: write the expression itself'],
  ['for', 'comprehensions (… for … in …) are not supported: write each entry out'],
  ['await', 'async code is not supported: write plain assignments'],
  ['yield', 'yield is not supported: assign the value to a name instead'],
]);

/** Binary operators Python has and the app does not, and what to write instead. */
const UNSUPPORTED_OPERATORS: ReadonlyMap<string, string> = new Map([
  ['^', "'^' is Python's bitwise xor, not a power: write ** for a power, as in x**2"],
  ['//', "floor division '//' is not supported: write / (a circuit computes real numbers)"],
  ['%', "the remainder '%' is not supported: a circuit computes with differentiable gates"],
  ['&', "the bitwise operator '&' is not supported: a circuit computes real numbers"],
  ['|', "the bitwise operator '|' is not supported: a circuit computes real numbers"],
  ['<<', "the shift '<<' is not supported: multiply by a power of 2 instead"],
  ['>>', "the shift '>>' is not supported: divide by a power of 2 instead"],
  ['==', 'comparisons (==) are not supported: a circuit computes numbers, not True or False'],
  ['!=', 'comparisons (!=) are not supported: a circuit computes numbers, not True or False'],
  ['<', 'comparisons (<) are not supported: for the smaller of two values write min(a, b)'],
  ['>', 'comparisons (>) are not supported: for the larger of two values write max(a, b)'],
  ['<=', 'comparisons (<=) are not supported: for the smaller of two values write min(a, b)'],
  ['>=', 'comparisons (>=) are not supported: for the larger of two values write max(a, b)'],
  [':=', "the walrus ':=' is not supported: write a separate assignment"],
]);

export type AssignOp = '=' | '+' | '-' | '*' | '/' | '**' | '@';

const AUGMENTED: ReadonlyMap<string, AssignOp> = new Map([
  ['+=', '+'],
  ['-=', '-'],
  ['*=', '*'],
  ['/=', '/'],
  ['**=', '**'],
  ['@=', '@'],
]);

const fail = (at: Place, message: string): never => {
  throw new ParseError(message, at.line, at.column);
};

/** Reads tokens into statements (see `Statement`), refusing what the app does not take. */
export function readStatements(tokens: readonly Token[]): Statement[] {
  return new Reader(tokens).statements();
}

class Reader {
  private pos = 0;
  private nesting = 0;
  private readonly tokens: readonly Token[];

  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  private isOp(t: Token, text: string): boolean {
    return t.kind === 'op' && t.text === text;
  }

  private endsStatement(t: Token): boolean {
    return t.kind === 'newline' || t.kind === 'end' || this.isOp(t, ';');
  }

  statements(): Statement[] {
    const out: Statement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'end') return out;
      if (this.endsStatement(t)) {
        this.next();
        continue;
      }
      const s = this.statement();
      if (s) out.push(s);
      this.expectEnd();
    }
  }

  /** Refuses what follows a statement on its line, unless it is `;` or the line's end. */
  private expectEnd(): void {
    const after = this.peek();
    if (this.endsStatement(after)) return;
    if (this.isOp(after, ':')) {
      fail(after, "unexpected ':': blocks (if, for, while …) are not supported");
    }
    if (this.isOp(after, '=')) {
      fail(after, "unexpected '=': a statement assigns one name, as in f = x * y");
    }
    fail(
      after,
      `unexpected ${tokenText(after)}: expected an operator (such as * to multiply) or the end of the statement`,
    );
  }

  private statement(): Statement | undefined {
    const first = this.peek();
    const at: Place = first;
    if (first.kind === 'name') {
      if (first.text === 'import' || first.text === 'from') return this.importStatement();
      if (first.text === 'def') return this.defStatement();
      const keyword = STATEMENT_KEYWORDS.get(first.text);
      if (keyword !== undefined) fail(first, keyword);
      // `print(…)`: skipped, strings and all.
      if (first.text === 'print' && this.isOp(this.peek(1), '(')) {
        this.skipCall();
        return { k: 'ignored', what: 'print(…)', at };
      }
    }
    if (first.kind === 'op' && /^[@]$/.test(first.text)) {
      fail(first, 'decorators (@…) are not supported: write plain assignments');
    }
    if (first.kind === 'name' && this.isAssignment(this.peek(1))) return this.assignment();
    // Not `name = …`: an expression statement, or an assignment to something else.
    const expr = this.expression();
    const after = this.peek();
    if (this.isOp(after, ',')) {
      fail(
        first,
        'assigning several names at once (a, b = …) is not supported: write one assignment per name, as in a = 1; b = 2',
      );
    }
    if (this.isAssignment(after)) {
      if (expr.k === 'index') {
        fail(
          first,
          'assigning into an entry (w[0] = …) is not supported: write the whole list, as in w = [2, -3, -3]',
        );
      }
      if (expr.k === 'attr') {
        fail(first, 'assigning to an attribute (a.b = …) is not supported: assign to a name');
      }
      fail(first, 'the left side of an assignment must be a single name, such as f');
    }
    // `g.backward()` (micrograd) and `np.random.seed(…)`: left out, with a note.
    if (expr.k === 'call' && expr.fn.k === 'attr') {
      const path = dotted(expr.fn);
      if (expr.fn.name === 'backward' && expr.args.length === 0) {
        return { k: 'ignored', what: `${path ?? 'backward'}()`, at };
      }
      if (path === 'np.random.seed' || path === 'numpy.random.seed' || path === 'random.seed') {
        return { k: 'ignored', what: `${path}(…)`, at };
      }
    }
    return fail(
      first,
      `this expression is not assigned to a name: write f = … to compute it (the last assignment of the forward pass is the output)`,
    );
  }

  /** `name = …` or `name += …` (the next token is the name). */
  private assignment(): AssignStatement {
    const target = this.next();
    const at: Place = target;
    const opTok = this.next();
    const op = opTok.text === '=' ? '=' : AUGMENTED.get(opTok.text);
    if (op === undefined) {
      fail(
        opTok,
        `the augmented assignment ${opTok.text} is not supported: write ${target.text} = ${target.text} ${opTok.text.slice(0, -1)} … as plain arithmetic if the app has the operator`,
      );
    }
    const value = this.expression();
    if (this.isOp(this.peek(), '=')) {
      fail(
        this.peek(),
        `chained assignment (a = b = …) is not supported: write one assignment per name`,
      );
    }
    return { k: 'assign', target: target.text, op: op as AssignOp, value, at };
  }

  /**
   * `def name(a, b): …`: the body on the same line (statements separated by `;`) or on the
   * lines below it, indented further than `def`, up to the first line that is not.
   */
  private defStatement(): DefStatement {
    const def = this.next();
    const nameTok = this.next();
    if (nameTok.kind !== 'name' || isKeyword(nameTok.text)) {
      fail(nameTok, `expected the function's name after def, as in def softplus(x):`);
    }
    const name = nameTok.text;
    const open = this.next();
    if (!this.isOp(open, '(')) {
      fail(open, `expected '(' and the parameters after def ${name}, as in def ${name}(x):`);
    }
    const params: { name: string; at: Place }[] = [];
    while (!this.isOp(this.peek(), ')')) {
      const p = this.next();
      if (this.isOp(p, '*') || this.isOp(p, '**')) {
        fail(
          p,
          `*args and **kwargs are not supported in def ${name}: name each parameter, as in def ${name}(x, y):`,
        );
      }
      if (p.kind !== 'name' || isKeyword(p.text)) {
        fail(p, `expected a parameter's name in def ${name}(…), found ${tokenText(p)}`);
      }
      if (params.some((q) => q.name === p.text)) {
        fail(p, `the parameter ${p.text} is named twice in def ${name}(…)`);
      }
      const after = this.peek();
      if (this.isOp(after, '=')) {
        fail(
          after,
          `default values (${p.text}=…) are not supported: every parameter of ${name} is a port, given at each call`,
        );
      }
      if (this.isOp(after, ':')) {
        fail(
          after,
          `type annotations (${p.text}: float) are not supported: write the parameter's name alone`,
        );
      }
      params.push({ name: p.text, at: p });
      if (!this.isOp(this.peek(), ',')) break;
      this.next();
    }
    this.close(')', open);
    if (this.isOp(this.peek(), '->')) {
      fail(this.peek(), 'return annotations (-> float) are not supported: leave them out');
    }
    const colon = this.peek();
    if (!this.isOp(colon, ':')) {
      fail(colon, `expected ':' after def ${name}(…), found ${tokenText(colon)}`);
    }
    this.next();
    const body: BodyStatement[] = [];
    const lineOf = () => {
      for (;;) {
        const s = this.bodyStatement(name);
        if (s) body.push(s);
        this.expectEnd();
        if (!this.isOp(this.peek(), ';')) return;
        this.next();
        if (this.peek().kind === 'newline' || this.peek().kind === 'end') return;
      }
    };
    const rest = this.peek();
    if (rest.kind !== 'newline' && rest.kind !== 'end') {
      // One line: def softplus(x): return np.log(1 + np.exp(x))
      lineOf();
    } else {
      // A block: the lines indented further than `def`, all at the same column.
      let column: number | undefined;
      for (;;) {
        let ahead = 0;
        while (this.peek(ahead).kind === 'newline') ahead++;
        const t = this.peek(ahead);
        if (t.kind === 'end' || t.column <= def.column) break;
        if (column === undefined) column = t.column;
        else if (t.column !== column) {
          fail(
            t,
            `this line is indented differently from the lines above it in def ${name} (column ${column}): line them up`,
          );
        }
        for (let i = 0; i < ahead; i++) this.next();
        lineOf();
      }
      if (column === undefined) {
        fail(
          nameTok,
          `def ${name}(…): has no body: indent its lines under it, ending with return …`,
        );
      }
    }
    return { k: 'def', name, nameAt: nameTok, params, body, at: def };
  }

  /** One statement inside `def fn`: an assignment, `return …`, or a docstring (left out). */
  private bodyStatement(fn: string): BodyStatement | undefined {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return undefined;
    }
    if (t.kind === 'name') {
      if (t.text === 'return') {
        this.next();
        if (this.endsStatement(this.peek())) {
          fail(t, `return needs a value: return what ${fn} computes, as in return x * y`);
        }
        const value = this.expression();
        if (this.isOp(this.peek(), ',')) {
          fail(this.peek(), `${fn} returns several values: a gate has one output, return one`);
        }
        return { k: 'return', value, at: t };
      }
      if (t.text === 'def') {
        fail(
          t,
          `a def inside def ${fn} is not supported: define it at the top level, before ${fn}`,
        );
      }
      if (t.text === 'import' || t.text === 'from') {
        fail(t, `import inside def ${fn} is not supported: import at the top of the paste`);
      }
      if (t.text === 'print' && this.isOp(this.peek(1), '(')) {
        fail(
          t,
          `print(…) inside def ${fn} is not supported: leave it out (the numbers are on the canvas)`,
        );
      }
      const keyword = STATEMENT_KEYWORDS.get(t.text);
      if (keyword !== undefined) {
        fail(t, `${keyword} (inside def ${fn}, a line assigns a name or returns the result)`);
      }
      if (this.isAssignment(this.peek(1))) return this.assignment();
    }
    return fail(
      t,
      `inside def ${fn}, a line assigns a name (e = np.exp(x)) or returns the result (return …)`,
    );
  }

  private isAssignment(t: Token): boolean {
    return (
      t.kind === 'op' &&
      (t.text === '=' ||
        (t.text.endsWith('=') && t.text.length >= 2 && !['==', '!=', '<=', '>='].includes(t.text)))
    );
  }

  private importStatement(): Statement {
    const first = this.next();
    const at: Place = first;
    // The modules the app understands; anything else is refused at its name.
    const modules: Token[] = [];
    if (first.text === 'from') {
      modules.push(this.dottedName());
      const imp = this.next();
      if (!(imp.kind === 'name' && imp.text === 'import')) {
        fail(imp, `expected 'import' after 'from ${modules[0].text}'`);
      }
      while (!this.endsStatement(this.peek())) this.next();
    } else {
      for (;;) {
        modules.push(this.dottedName());
        if (this.peek().kind === 'name' && this.peek().text === 'as') {
          this.next();
          this.next();
        }
        if (!this.isOp(this.peek(), ',')) break;
        this.next();
      }
    }
    for (const m of modules) {
      const root = m.text.split('.')[0];
      if (root !== 'math' && root !== 'numpy' && root !== 'micrograd') {
        fail(
          m,
          `the module ${m.text} is not supported: the app understands math, numpy (as np) and micrograd's Value`,
        );
      }
    }
    return { k: 'import', at };
  }

  private dottedName(): Token {
    const first = this.next();
    if (first.kind !== 'name') fail(first, `expected a module name, found ${tokenText(first)}`);
    let text = first.text;
    while (this.isOp(this.peek(), '.') && this.peek(1).kind === 'name') {
      this.next();
      text += `.${this.next().text}`;
    }
    return { ...first, text };
  }

  /** Skips `name(…)` to its closing parenthesis (strings inside are fine). */
  private skipCall(): void {
    this.next();
    let depth = 0;
    for (;;) {
      const t = this.next();
      if (t.kind === 'end') fail(t, "expected ')' to close print(");
      if (t.kind === 'op' && (t.text === '(' || t.text === '[' || t.text === '{')) depth++;
      if (t.kind === 'op' && (t.text === ')' || t.text === ']' || t.text === '}')) {
        depth--;
        if (depth === 0) return;
      }
    }
  }

  private enter(at: Place): void {
    if (++this.nesting > LIMITS.nesting) {
      fail(
        at,
        `the expression is too deeply nested (more than ${LIMITS.nesting} levels): split it into named steps`,
      );
    }
  }

  private leave(): void {
    this.nesting--;
  }

  // Python's precedence, lowest first: + -, then * / @, then unary - +, then **, then calls,
  // attributes and indexing. The operators below these (comparisons, and, or…) are refused.

  expression(): Expr {
    const e = this.additive();
    const t = this.peek();
    if (t.kind === 'name' && EXPRESSION_KEYWORDS.has(t.text)) {
      fail(t, EXPRESSION_KEYWORDS.get(t.text) as string);
    }
    if (t.kind === 'op' && UNSUPPORTED_OPERATORS.has(t.text)) {
      fail(t, UNSUPPORTED_OPERATORS.get(t.text) as string);
    }
    return e;
  }

  private additive(): Expr {
    const first = this.multiplicative();
    const rest: { op: '+' | '-'; x: Expr; at: Place }[] = [];
    for (;;) {
      const t = this.peek();
      if (!(this.isOp(t, '+') || this.isOp(t, '-'))) break;
      this.next();
      rest.push({ op: t.text as '+', x: this.multiplicative(), at: t });
    }
    return rest.length === 0 ? first : { k: 'chain', level: 'additive', first, rest, at: first.at };
  }

  private multiplicative(): Expr {
    const first = this.unary();
    const rest: { op: '*' | '/' | '@'; x: Expr; at: Place }[] = [];
    for (;;) {
      const t = this.peek();
      if (!(this.isOp(t, '*') || this.isOp(t, '/') || this.isOp(t, '@'))) {
        if (t.kind === 'op' && (t.text === '//' || t.text === '%')) {
          fail(t, UNSUPPORTED_OPERATORS.get(t.text) as string);
        }
        break;
      }
      this.next();
      rest.push({ op: t.text as '*', x: this.unary(), at: t });
    }
    return rest.length === 0
      ? first
      : { k: 'chain', level: 'multiplicative', first, rest, at: first.at };
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isOp(t, '-') || this.isOp(t, '+')) {
      this.next();
      this.enter(t);
      const x = this.unary();
      this.leave();
      return t.text === '-' ? { k: 'neg', x, at: t } : x;
    }
    if (this.isOp(t, '~'))
      fail(t, "the bitwise '~' is not supported: write -x - 1 if you mean that");
    if (t.kind === 'name' && t.text === 'not') fail(t, EXPRESSION_KEYWORDS.get('not') as string);
    return this.power();
  }

  private power(): Expr {
    const base = this.postfix();
    const t = this.peek();
    if (!this.isOp(t, '**')) return base;
    this.next();
    this.enter(t);
    const exponent = this.unary();
    this.leave();
    return { k: 'bin', op: '**', a: base, b: exponent, at: t };
  }

  private postfix(): Expr {
    let e = this.atom();
    // Each attribute, call or index nests the expression one level more.
    const depth = this.nesting;
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, '.') || this.isOp(t, '(') || this.isOp(t, '[')) this.enter(t);
      if (this.isOp(t, '.')) {
        this.next();
        const name = this.next();
        if (name.kind !== 'name') fail(name, `expected a name after '.', found ${tokenText(name)}`);
        e = { k: 'attr', obj: e, name: name.text, at: e.at };
      } else if (this.isOp(t, '(')) {
        this.next();
        this.enter(t);
        const args: Expr[] = [];
        const kwargs = new Map<string, Expr>();
        while (!this.isOp(this.peek(), ')')) {
          const a = this.peek();
          if (this.isOp(a, '*') || this.isOp(a, '**')) {
            // Refused where it is lowered: a backward line may use it (`np.random.randn(*D.shape)`).
            this.next();
            args.push({ k: 'star', x: this.expression(), at: a });
            if (!this.isOp(this.peek(), ',')) break;
            this.next();
            continue;
          }
          if (a.kind === 'name' && this.isOp(this.peek(1), '=')) {
            this.next();
            this.next();
            kwargs.set(a.text, this.expression());
          } else {
            if (kwargs.size > 0) fail(a, 'a positional argument cannot follow a keyword argument');
            args.push(this.expression());
          }
          if (!this.isOp(this.peek(), ',')) break;
          this.next();
        }
        this.close(')', t);
        this.leave();
        e = { k: 'call', fn: e, args, kwargs, at: e.at };
      } else if (this.isOp(t, '[')) {
        this.next();
        this.enter(t);
        const indices: Expr[] = [];
        for (;;) {
          const a = this.peek();
          if (this.isOp(a, ':') || this.isOp(a, '...')) {
            fail(
              a,
              'slices (w[1:3], W[:, 0]) are not supported: index one entry at a time, as in w[0] or W[1, 2]',
            );
          }
          indices.push(this.expression());
          if (this.isOp(this.peek(), ':')) {
            fail(
              this.peek(),
              'slices (w[1:3], W[:, 0]) are not supported: index one entry at a time, as in w[0] or W[1, 2]',
            );
          }
          if (!this.isOp(this.peek(), ',')) break;
          this.next();
        }
        this.close(']', t);
        this.leave();
        e = { k: 'index', obj: e, indices, at: t };
      } else {
        this.nesting = depth;
        return e;
      }
    }
  }

  private atom(): Expr {
    const t = this.next();
    if (t.kind === 'number') return { k: 'num', text: t.text, at: t };
    if (t.kind === 'string') return { k: 'str', at: t };
    if (t.kind === 'name') {
      const keyword = EXPRESSION_KEYWORDS.get(t.text) ?? STATEMENT_KEYWORDS.get(t.text);
      if (keyword !== undefined) fail(t, keyword);
      return { k: 'name', name: t.text, at: t };
    }
    if (this.isOp(t, '(')) {
      this.enter(t);
      if (this.isOp(this.peek(), ')'))
        fail(this.peek(), 'empty parentheses () are not a value: write a number or a name');
      const inner = this.expression();
      if (this.isOp(this.peek(), ',')) {
        // A tuple: read on, and refuse it where it is used (np.zeros((2, 2)) has its own message).
        const items = [inner];
        while (this.isOp(this.peek(), ',')) {
          this.next();
          if (this.isOp(this.peek(), ')')) break;
          items.push(this.expression());
        }
        this.close(')', t);
        this.leave();
        return { k: 'list', items, at: t, tuple: true };
      }
      this.close(')', t);
      this.leave();
      return inner;
    }
    if (this.isOp(t, '[')) {
      this.enter(t);
      const items: Expr[] = [];
      while (!this.isOp(this.peek(), ']')) {
        items.push(this.expression());
        if (
          this.isOp(this.peek(), 'for') ||
          (this.peek().kind === 'name' && this.peek().text === 'for')
        ) {
          fail(this.peek(), EXPRESSION_KEYWORDS.get('for') as string);
        }
        if (!this.isOp(this.peek(), ',')) break;
        this.next();
      }
      this.close(']', t);
      this.leave();
      return { k: 'list', items, at: t };
    }
    if (this.isOp(t, '{'))
      fail(t, 'dictionaries and sets ({…}) are not supported: write a list [a, b] for a vector');
    if (t.kind === 'newline' || t.kind === 'end' || this.isOp(t, ';')) {
      fail(t, `expected a number, a name or '(', found ${tokenText(t)}`);
    }
    return fail(t, `unexpected ${tokenText(t)}: expected a number, a name or '('`);
  }

  private close(text: ')' | ']', open: Token): void {
    const t = this.peek();
    if (this.isOp(t, text)) {
      this.next();
      return;
    }
    fail(
      t,
      `expected '${text}' to close '${open.text}' opened at line ${open.line}, column ${open.column}, found ${tokenText(t)}`,
    );
  }
}

function isKeyword(name: string): boolean {
  return (
    STATEMENT_KEYWORDS.has(name) ||
    EXPRESSION_KEYWORDS.has(name) ||
    name === 'import' ||
    name === 'from' ||
    name === 'as'
  );
}

/** A token as a message names it. */
function tokenText(t: Token): string {
  if (t.kind === 'newline') return 'the end of the line';
  if (t.kind === 'end') return 'the end of the input';
  if (t.kind === 'string') return 'a string';
  return `'${t.text.length > 40 ? `${t.text.slice(0, 30)}…` : t.text}'`;
}

/** `np.random.randn` for an attribute chain of names, or undefined. */
export function dotted(e: Expr): string | undefined {
  if (e.k === 'name') return e.name;
  if (e.k === 'attr') {
    const left = dotted(e.obj);
    return left === undefined ? undefined : `${left}.${e.name}`;
  }
  return undefined;
}
