/**
 * Variable names for generated code. A circuit's names are data: they may be anything a file
 * or a link carries (`__proto__`, `constructor`, `σ`, a keyword, text with quotes or a line
 * break). Every name written into code goes through `NameTable`, which makes it an ASCII
 * identifier of letters, digits and underscores that is no keyword or helper of any of the
 * four languages, so a name can never change what the code does. Names are also unique, and
 * no variable of a value is the gradient variable (`d` + name) of another.
 */

/** Keywords and names the generated code uses itself, in Python, TypeScript or both. */
const RESERVED = new Set([
  // Python keywords and soft keywords
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'case',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'match',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'type',
  'while',
  'with',
  'yield',
  // TypeScript and JavaScript reserved words and globals
  'any',
  'arguments',
  'boolean',
  'catch',
  'const',
  'debugger',
  'declare',
  'default',
  'delete',
  'do',
  'enum',
  'eval',
  'export',
  'extends',
  'false',
  'function',
  'implements',
  'instanceof',
  'interface',
  'let',
  'module',
  'namespace',
  'never',
  'new',
  'null',
  'number',
  'of',
  'package',
  'private',
  'protected',
  'public',
  'readonly',
  'require',
  'static',
  'string',
  'super',
  'switch',
  'symbol',
  'this',
  'throw',
  'true',
  'typeof',
  'undefined',
  'unknown',
  'var',
  'void',
  'Infinity',
  'NaN',
  'Math',
  'Number',
  'Object',
  'console',
  'globalThis',
  'process',
  // What the generated files use
  'math',
  'np',
  'numpy',
  'torch',
  'print',
  'max',
  'min',
  'abs',
  'sum',
  'float',
  'len',
  'list',
  'range',
  'json',
  'T',
  'check',
  'app',
  'grad',
  'name',
  'tolerance',
  'entry',
  'out',
  'like',
  'index',
  // What composite gates' functions use
  'cache',
  'ctx',
  'self',
  'staticmethod',
  'leaves',
  'backprop',
]);

/**
 * A name made an identifier: ASCII letters, digits and `_` are kept, other ASCII characters
 * become `_` (`mul#3` is `mul_3`), and any other character `u` and its code in hex (`σ` is
 * `u3c3`).
 */
export function identifier(name: string): string {
  let out = '';
  for (const ch of name) {
    if (/^[A-Za-z0-9_]$/.test(ch)) out += ch;
    else if (ch.charCodeAt(0) < 128) out += '_';
    else out += `u${(ch.codePointAt(0) as number).toString(16)}`;
  }
  if (out === '') out = 'v';
  if (/^[0-9]/.test(out)) out = `v${out}`;
  // Module dunders (`__name__`, `__builtins__`, `__proto__`) mean something to Python or JS.
  if (out.startsWith('__')) out = `v${out}`;
  if (RESERVED.has(out)) out = `${out}_`;
  return out;
}

/** One variable per node and one gradient variable per node, all different. */
export class NameTable {
  private readonly taken = new Set<string>();
  private readonly values = new Map<string, string>();

  /** Gives node `id` a variable made from `wanted`; call in the order names should win. */
  add(id: string, wanted: string): string {
    let base = identifier(wanted);
    let k = 1;
    let candidate = base;
    while (this.taken.has(candidate) || this.taken.has(`d${candidate}`)) {
      k += 1;
      candidate = `${base}_${k}`;
    }
    base = candidate;
    this.taken.add(base);
    this.taken.add(`d${base}`);
    this.values.set(id, base);
    return base;
  }

  /**
   * A variable tied to no node (a cache, a function, a partial gradient), unique among the
   * others. With `suffixes`, the stem returned is one for which every `stem + suffix` is free
   * too, and those are taken (`sigma` for `sigma_forward` and `sigma_backward`).
   */
  fresh(wanted: string, suffixes: readonly string[] = []): string {
    const base = identifier(wanted);
    const free = (c: string) =>
      [c, ...suffixes.map((s) => `${c}${s}`)].every(
        (n) => !this.taken.has(n) && !this.taken.has(`d${n}`),
      );
    let candidate = base;
    for (let k = 2; !free(candidate); k++) candidate = `${base}_${k}`;
    for (const n of [candidate, ...suffixes.map((s) => `${candidate}${s}`)]) {
      this.taken.add(n);
      this.taken.add(`d${n}`);
    }
    return candidate;
  }

  /**
   * Gives node `id` exactly `name` (a name of the code's own choosing, such as `out`) when it
   * and its gradient variable are free, else a name made as `add` makes one.
   */
  claim(id: string, name: string): string {
    if (
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) &&
      !this.taken.has(name) &&
      !this.taken.has(`d${name}`)
    ) {
      this.taken.add(name);
      this.taken.add(`d${name}`);
      this.values.set(id, name);
      return name;
    }
    return this.add(id, name);
  }

  value(id: string): string {
    const name = this.values.get(id);
    if (name === undefined) throw new Error(`code generation: no variable for node '${id}'`);
    return name;
  }

  grad(id: string): string {
    return `d${this.value(id)}`;
  }
}
