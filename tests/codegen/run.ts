/**
 * Running generated code: Python, NumPy and PyTorch with python3 (null where the interpreter
 * or module is missing), TypeScript compiled with esbuild and run with node, each compared
 * with the app's gradients.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { expect } from 'vitest';
import { generateCode, type Language } from '../../src/engine/codegen';
import { compile } from '../../src/engine/compile';
import { parse } from '../../src/engine/parse';
import type { Evaluation } from '../../src/engine/program';
import type { UpstreamSeed } from '../../src/engine/seed';

/** The first interpreter that can import `module` (PYTHON, python3, /usr/bin/python3). */
function pythonWith(module: string | null): string | null {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(
    (c): c is string => !!c,
  );
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', module ? `import ${module}` : 'pass'], { stdio: 'ignore' });
    if (r.status === 0) return exe;
  }
  return null;
}

export const PYTHON = pythonWith(null);
export const NUMPY = pythonWith('numpy');
export const TORCH = pythonWith('torch');
export const dir = mkdtempSync(join(tmpdir(), 'codegen-'));
let fileCount = 0;

/** Runs a generated Python file with a JSON dump of the gradients appended; returns them. */
export function runPython(exe: string, text: string, vars: readonly string[], numpy: boolean) {
  const dump = vars
    .map((v) => `'${v}': ${numpy ? `np.asarray(${v}, dtype=float).tolist()` : v}`)
    .join(', ');
  const file = join(dir, `f${++fileCount}.py`);
  writeFileSync(file, `${text}\nimport json\nprint('JSON' + json.dumps({${dump}}))\n`);
  const out = execFileSync(exe, [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const last = out.split('\n').find((l) => l.startsWith('JSON')) as string;
  return JSON.parse(last.slice(4)) as Record<string, unknown>;
}

export function runTypeScript(text: string, vars: readonly string[]) {
  const dump = vars.map((v) => `'${v}': ${v}`).join(', ');
  const js = transformSync(`${text}\nconsole.log('JSON' + JSON.stringify({${dump}}));\n`, {
    loader: 'ts',
  }).code;
  const file = join(dir, `f${++fileCount}.mjs`);
  writeFileSync(file, js);
  const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
  const last = out.split('\n').find((l) => l.startsWith('JSON')) as string;
  return JSON.parse(last.slice(4)) as Record<string, unknown>;
}

/** The app's gradient of each input, as nested lists. */
export function appGradients(ev: Evaluation): Map<string, unknown> {
  const p = ev.program;
  const out = new Map<string, unknown>();
  for (const s of p.inputs) {
    const g = ev.gradAt(s);
    if (typeof g === 'number') out.set(p.ids[s], g);
    else if (g.shape.length === 1) out.set(p.ids[s], Array.from(g.data));
    else {
      const [r, c] = g.shape as readonly [number, number];
      out.set(
        p.ids[s],
        Array.from({ length: r }, (_, i) => Array.from(g.data.subarray(i * c, (i + 1) * c))),
      );
    }
  }
  return out;
}

export function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x as number];
}

export function expectClose(got: unknown, want: unknown, what: string) {
  const a = flat(got);
  const b = flat(want);
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const tol = 1e-9 * Math.max(1, Math.abs(b[i]));
    expect(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs the app's ${b[i]}`).toBe(true);
  }
}

export function checkLanguage(ev: Evaluation, language: Language, seed?: UpstreamSeed) {
  const code = generateCode(ev, language, { seed });
  if (!code.available) return code.reason;
  const vars = code.gradients.map((g) => g.variable);
  const want = appGradients(ev);
  let got: Record<string, unknown>;
  if (language === 'typescript') got = runTypeScript(code.text, vars);
  else if (language === 'pytorch') {
    // The file asserts by itself; it fails (non-zero exit) when a gradient differs.
    execFileSync(TORCH as string, [join(dir, write(code.text))], { stdio: 'pipe' });
    return null;
  } else
    got = runPython(
      (language === 'numpy' ? NUMPY : PYTHON) as string,
      code.text,
      vars,
      language === 'numpy',
    );
  for (const g of code.gradients) expectClose(got[g.variable], want.get(g.node), g.variable);
  return null;
}

export function write(text: string): string {
  const name = `f${++fileCount}.py`;
  writeFileSync(join(dir, name), text);
  return name;
}

export function evaluateProgram(program: string, seed?: UpstreamSeed): Evaluation {
  return compile(parse(program).circuit).run(undefined, seed ? { seed } : {});
}
