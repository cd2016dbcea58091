/**
 * `npm run bench`: the engine beside a hand-fused typed-array loop, in the same run.
 *
 *   node --expose-gc --import tsx bench/engine.ts
 *
 * Prints readable tables, then one JSON summary line (starts with `{"bench":"engine"`).
 * Budgets (README.md, "Performance"): engine ≤ 2× the fused loop; compile + run ≤ 8× one fused
 * run; under 1 GB at 10⁶ gates; the 256×256 · 256×64 matrix product's forward + dW + dX
 * within 1.2× of 10 ms.
 *
 *   node --expose-gc --import tsx bench/engine.ts --matmul   # the matrix product alone
 */
import { cpus, loadavg } from 'node:os';
import { compile } from '../src/engine/compile';
import { parse } from '../src/engine/parse';
import type { Program } from '../src/engine/program';
import { buildFused, type Fused, runFused } from './baseline';
import {
  type BuiltCircuit,
  MICROGRAD_PROGRAM,
  matmulCircuit,
  mlpCircuit,
  randomCircuit,
  repeatedProgram,
  STAGED_PROGRAM,
  typedRandomCircuit,
} from './circuits';
import { collect, cpuMs, hasGc, median } from './timing';

const wall = () => performance.now();
/** Samples are timed in CPU time (see `cpuMs`). */
const now = cpuMs;
const MB = 1024 * 1024;
const log = (line = '') => process.stdout.write(`${line}\n`);
const progress = (msg: string) => process.stderr.write(`  … ${msg}\n`);

/** Milliseconds per call: `iters` calls back to back. */
function sample(fn: () => void, iters: number): number {
  const t0 = now();
  for (let i = 0; i < iters; i++) fn();
  return (now() - t0) / iters;
}

/** Calls fn until `ms` have passed (at least `min` times); returns ms of the last call. */
function warmUp(fn: () => void, ms: number, min: number): number {
  const end = now() + ms;
  let last = 0;
  for (let i = 0; i < min || now() < end; i++) last = sample(fn, 1);
  return last;
}

interface Plan {
  /** Samples per contender (medians are over these). */
  readonly reps: number;
  /** Minimum warm-up time per contender, ms. */
  readonly warmMs: number;
  /** Each sample runs long enough to be timed well, ms. */
  readonly sampleMs: number;
  /** Untimed compiles first (JIT warm-up), then timed ones. */
  readonly compileWarm: number;
  readonly compileReps: number;
}

interface Comparison {
  readonly exact: boolean;
  readonly maxRel: number;
  readonly mismatches: number;
}

/** Compares engine and fused values and gradients node by node. */
function compare(built: BuiltCircuit, program: Program, fused: Fused): Comparison {
  const ev = program.run();
  runFused(fused);
  const nodes = built.circuit.nodes;
  let exact = true;
  let maxRel = 0;
  let mismatches = 0;
  for (let i = 0; i < nodes.length; i++) {
    const slot = program.slot(nodes[i].id);
    const off = program.offsets[slot];
    const f = fused.slotOfNode[i];
    for (const [x, y] of [
      [ev.values[off], fused.values[f]],
      [ev.grads[off], fused.grads[f]],
    ]) {
      if (Object.is(x, y)) continue;
      exact = false;
      const rel = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), Number.MIN_VALUE);
      if (!(rel <= 1e-12)) mismatches++;
      if (!(rel <= maxRel)) maxRel = rel;
    }
  }
  return { exact, maxRel, mismatches };
}

interface GradStats {
  readonly zero: number;
  readonly nonFinite: number;
  readonly maxAbs: number;
  readonly reach: number;
}

function gradStats(program: Program, fused: Fused): GradStats {
  let zero = 0;
  let nonFinite = 0;
  let maxAbs = 0;
  for (const g of fused.grads) {
    if (g === 0) zero++;
    else if (!Number.isFinite(g)) nonFinite++;
    else maxAbs = Math.max(maxAbs, Math.abs(g));
  }
  return { zero, nonFinite, maxAbs, reach: program.backwardGates.length / program.gates.length };
}

interface CircuitResult {
  readonly name: string;
  readonly gates: number;
  readonly inputs: number;
  readonly runs: number;
  readonly buildMs: number;
  readonly compileMs: number;
  readonly fusedBuildMs: number;
  readonly engineNs: number;
  readonly engineInPlaceNs: number;
  readonly fusedNs: number;
  readonly fusedRunMs: number;
  readonly engineRunMs: number;
  readonly ratio: number;
  readonly compileRunRatio: number;
  readonly grads: Comparison;
  readonly stats: GradStats;
  readonly memory?: {
    readonly rssMB: number;
    readonly heapUsedMB: number;
    readonly peakRssMB: number;
  };
}

function benchCircuit(make: () => BuiltCircuit, plan: Plan, measureMemory: boolean): CircuitResult {
  collect();
  let t0 = now();
  const built = make();
  const buildMs = now() - t0;
  progress(`${built.name}: built ${built.gates} gates in ${buildMs.toFixed(0)} ms`);

  // Compile: `compileWarm` untimed calls, then `compileReps` timed ones; the last program is
  // kept. The previous program is dropped first, so only one is alive at a time.
  const compileTimes: number[] = [];
  let program: Program | undefined;
  for (let r = 0; r < plan.compileWarm + plan.compileReps; r++) {
    program = undefined;
    collect();
    t0 = now();
    program = compile(built.circuit);
    if (r >= plan.compileWarm) compileTimes.push(now() - t0);
  }
  if (!program) throw new Error('no program');
  const compileMs = median(compileTimes);
  progress(`${built.name}: compile ${compileTimes.map((t) => t.toFixed(1)).join(', ')} ms`);

  // The fused arrays are built from the same Circuit (id map, Kahn's order), timed alike.
  const fusedBuildTimes: number[] = [];
  let fusedOrNone: Fused | undefined;
  for (let r = 0; r < plan.compileWarm + plan.compileReps; r++) {
    fusedOrNone = undefined;
    collect();
    t0 = now();
    fusedOrNone = buildFused(built.circuit);
    if (r >= plan.compileWarm) fusedBuildTimes.push(now() - t0);
  }
  const fused = fusedOrNone as Fused;
  const fusedBuildMs = median(fusedBuildTimes);
  const grads = compare(built, program, fused);
  const stats = gradStats(program, fused);

  const init = program.initialArray();
  const v = new Float64Array(program.valueSize);
  const gr = new Float64Array(program.size);
  const c = new Float64Array(program.contributionSize);
  const engineRun = () => {
    program.run();
  };
  const engineInPlace = () => {
    v.set(init);
    gr.fill(0);
    program.forward(v);
    program.backward(v, gr, c);
  };
  const fusedRun = () => runFused(fused);

  collect();
  const contenders = [engineRun, engineInPlace, fusedRun];
  const iters = contenders.map((fn) => {
    const last = warmUp(fn, plan.warmMs, 3);
    return Math.max(1, Math.round(plan.sampleMs / Math.max(last, 1e-3)));
  });
  const times: number[][] = [[], [], []];
  // Interleaved, so drift in machine load hits every contender alike.
  for (let r = 0; r < plan.reps; r++) {
    for (let c = 0; c < contenders.length; c++) times[c].push(sample(contenders[c], iters[c]));
  }
  const [engineRunMs, engineInPlaceMs, fusedRunMs] = times.map(median);
  const ns = (ms: number) => (ms * 1e6) / built.gates;

  let memory: CircuitResult['memory'];
  if (measureMemory) {
    collect();
    const m = process.memoryUsage();
    memory = {
      rssMB: m.rss / MB,
      heapUsedMB: m.heapUsed / MB,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
    };
  }

  return {
    name: built.name,
    gates: built.gates,
    inputs: built.inputs,
    runs: plan.reps,
    buildMs,
    compileMs,
    fusedBuildMs,
    engineNs: ns(engineRunMs),
    engineInPlaceNs: ns(engineInPlaceMs),
    fusedNs: ns(fusedRunMs),
    fusedRunMs,
    engineRunMs,
    ratio: engineRunMs / fusedRunMs,
    compileRunRatio: (compileMs + engineRunMs) / fusedRunMs,
    grads,
    stats,
    memory,
  };
}

// ---------------------------------------------------------------------------------------
// Matmul: 256×256 · 256×64, forward + dW + dX.

interface MatmulResult {
  /** program.run(): new value, gradient and contribution arrays every run. */
  readonly engineMs: number;
  /** program.run(undefined, { reuse }): the previous run's arrays written again. */
  readonly reuseMs: number;
  /** forward(v) + backward(v, g, c) on preallocated arrays. */
  readonly inPlaceMs: number;
  readonly naiveMs: number;
  readonly compileMs: number;
  readonly maxRel: number;
  readonly exact: boolean;
}

/** Naive triple loops: D = W·X, f = ΣD, dW = dD·Xᵀ, dX = Wᵀ·dD with dD = 1. */
function naiveMatmul(
  W: Float64Array,
  X: Float64Array,
  m: number,
  k: number,
  n: number,
  out: { D: Float64Array; dW: Float64Array; dX: Float64Array },
): number {
  const { D, dW, dX } = out;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += W[i * k + p] * X[p * n + j];
      D[i * n + j] = s;
    }
  }
  let f = 0;
  for (let i = 0; i < m * n; i++) f += D[i];
  const dD = new Float64Array(m * n).fill(1);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += dD[i * n + j] * X[p * n + j];
      dW[i * k + p] = s;
    }
  }
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += W[i * k + p] * dD[i * n + j];
      dX[p * n + j] = s;
    }
  }
  return f;
}

function benchMatmul(reps: number): MatmulResult {
  const m = 256;
  const k = 256;
  const n = 64;
  const circuit = matmulCircuit(m, k, n, 7);
  const t0 = now();
  const program = compile(circuit);
  const compileMs = now() - t0;
  const W = (circuit.nodes[0].value as { data: Float64Array }).data;
  const X = (circuit.nodes[1].value as { data: Float64Array }).data;
  const out = {
    D: new Float64Array(m * n),
    dW: new Float64Array(m * k),
    dX: new Float64Array(k * n),
  };

  const ev = program.run();
  naiveMatmul(W, X, m, k, n, out);
  let maxRel = 0;
  let exact = true;
  const check = (engine: Float64Array, naive: Float64Array) => {
    for (let i = 0; i < naive.length; i++) {
      if (Object.is(engine[i], naive[i])) continue;
      exact = false;
      const rel =
        Math.abs(engine[i] - naive[i]) / Math.max(Math.abs(engine[i]), Math.abs(naive[i]));
      if (!(rel <= maxRel)) maxRel = rel;
    }
  };
  const view = (id: string, arr: Float64Array) => program.view(program.slot(id), arr).data;
  check(view('D', ev.values), out.D);
  check(view('W', ev.grads), out.dW);
  check(view('X', ev.grads), out.dX);

  let last = ev;
  const engine = () => {
    program.run();
  };
  const reuse = () => {
    last = program.run(undefined, { reuse: last });
  };
  const init = program.initialArray();
  const v = new Float64Array(program.valueSize);
  const g = new Float64Array(program.size);
  const c = new Float64Array(program.contributionSize);
  const inPlace = () => {
    v.set(init);
    g.fill(0);
    program.forward(v);
    program.backward(v, g, c);
  };
  const naive = () => {
    naiveMatmul(W, X, m, k, n, out);
  };
  const contenders = [engine, reuse, inPlace, naive];
  for (const fn of contenders) warmUp(fn, 300, 5);
  const times: number[][] = contenders.map(() => []);
  // Interleaved, in a rotating order, so machine load and the garbage collector's work after
  // `collect` hit every contender alike.
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = (r + i) % contenders.length;
      collect();
      times[c].push(sample(contenders[c], 3));
    }
  }
  const [engineMs, reuseMs, inPlaceMs, naiveMs] = times.map(median);
  return { engineMs, reuseMs, inPlaceMs, naiveMs, compileMs, maxRel, exact };
}

// ---------------------------------------------------------------------------------------
// Output.

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

const fmt = (x: number, digits = 1) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const gradText = (c: Comparison) =>
  c.mismatches > 0
    ? `MISMATCH (${c.mismatches}, max rel ${c.maxRel.toExponential(1)})`
    : c.exact
      ? 'gradients match (exact)'
      : `gradients match (max rel ${c.maxRel.toExponential(1)})`;

const RATIO_TARGET = 2;
/** The matrix product's forward + dW + dX: within 1.2× of 10 ms. */
const MATMUL_TARGET_MS = 12;

function logMatmul(mm: MatmulResult): void {
  log(`Matmul 256×256 · 256×64: forward + dW + dX (median of ${MATMUL_REPS}, 3 runs per sample)`);
  const check = mm.exact ? 'gradients match (exact)' : `max rel ${mm.maxRel.toExponential(1)}`;
  log(
    table(
      ['contender', 'ms', `≤ ${MATMUL_TARGET_MS} ms`, 'check'],
      [
        [
          'engine program.run()',
          fmt(mm.engineMs, 2),
          verdict(mm.engineMs <= MATMUL_TARGET_MS),
          check,
        ],
        ['engine run({ reuse })', fmt(mm.reuseMs, 2), verdict(mm.reuseMs <= MATMUL_TARGET_MS), ''],
        ['engine in place', fmt(mm.inPlaceMs, 2), verdict(mm.inPlaceMs <= MATMUL_TARGET_MS), ''],
        ['naive triple-loop JS (same run)', fmt(mm.naiveMs, 2), '', ''],
        ['engine run() ÷ naive', `${fmt(mm.engineMs / mm.naiveMs, 2)}×`, '', 'no target'],
      ],
    ),
  );
  log(
    'run({ reuse }) writes into the previous evaluation’s arrays; in place = forward + backward on preallocated arrays.',
  );
  log('');
}

const MATMUL_REPS = 15;
const COMPILE_RUN_TARGET = 8;
const MEMORY_TARGET_MB = 1024;

/** `--matmul`: only the matrix product, for a quick figure. */
function matmulOnly(): void {
  log(
    `Backprop Circuits engine benchmark, matrix product only — Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at start`,
  );
  const mm = benchMatmul(MATMUL_REPS);
  logMatmul(mm);
  log(
    JSON.stringify({
      bench: 'engine-matmul',
      loadAverage: Number(loadavg()[0].toFixed(2)),
      engineMs: Number(mm.engineMs.toFixed(3)),
      reuseMs: Number(mm.reuseMs.toFixed(3)),
      inPlaceMs: Number(mm.inPlaceMs.toFixed(3)),
      naiveMs: Number(mm.naiveMs.toFixed(3)),
      targetMs: MATMUL_TARGET_MS,
      maxRel: mm.maxRel,
    }),
  );
}

function main(): void {
  if (process.argv.includes('--matmul')) {
    matmulOnly();
    return;
  }
  const started = wall();
  if (!hasGc) log('note: run with --expose-gc (npm run bench does) for stable memory figures');
  log(
    `Backprop Circuits engine benchmark — Node ${process.version}, ${process.arch}, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} at start`,
  );
  log(
    'Every figure is a median of interleaved samples of CPU time; the ratios are what to compare.',
  );
  log('');

  const results: CircuitResult[] = [];
  const small: Plan = { reps: 31, warmMs: 400, sampleMs: 10, compileWarm: 5, compileReps: 15 };
  results.push(benchCircuit(() => randomCircuit(1_000, 1), small, false));
  results.push(benchCircuit(() => randomCircuit(10_000, 2), small, false));
  results.push(
    benchCircuit(
      () => randomCircuit(100_000, 3),
      { reps: 21, warmMs: 500, sampleMs: 15, compileWarm: 1, compileReps: 3 },
      false,
    ),
  );
  results.push(
    benchCircuit(
      () => randomCircuit(1_000_000, 4),
      { reps: 7, warmMs: 600, sampleMs: 1, compileWarm: 0, compileReps: 2 },
      true,
    ),
  );
  collect();
  results.push(
    benchCircuit(
      () => mlpCircuit([64, 128, 128, 128, 64, 1], 5),
      { reps: 21, warmMs: 500, sampleMs: 15, compileWarm: 1, compileReps: 3 },
      false,
    ),
  );
  // Typed programs: what parse makes of programs as people write them, literals in their gates.
  const staged = parse(STAGED_PROGRAM);
  const micrograd = parse(MICROGRAD_PROGRAM);
  const typedPlan: Plan = { reps: 21, warmMs: 500, sampleMs: 15, compileWarm: 2, compileReps: 5 };
  for (const make of [
    () => repeatedProgram('staged program', staged, 100),
    () => repeatedProgram('staged program', staged, 10_000),
    () => repeatedProgram("micrograd's README expression", micrograd, 100),
    () => repeatedProgram("micrograd's README expression", micrograd, 10_000),
    () => typedRandomCircuit(1_000, 6),
    () => typedRandomCircuit(10_000, 7),
    () => typedRandomCircuit(100_000, 8),
  ]) {
    collect();
    results.push(benchCircuit(make, typedPlan, false));
  }
  collect();
  const mm = benchMatmul(MATMUL_REPS);

  log('Forward + backward, ns per gate (median; the same circuit, the same run)');
  log(
    table(
      [
        'circuit',
        'gates',
        'inputs',
        'runs',
        'engine run()',
        'engine in place',
        'fused loop',
        'engine ÷ fused',
        `≤ ${RATIO_TARGET}×`,
        'check',
      ],
      results.map((r) => [
        r.name,
        r.gates.toLocaleString('en-US'),
        r.inputs.toLocaleString('en-US'),
        String(r.runs),
        fmt(r.engineNs),
        fmt(r.engineInPlaceNs),
        fmt(r.fusedNs),
        `${fmt(r.ratio, 2)}×`,
        verdict(r.ratio <= RATIO_TARGET),
        gradText(r.grads),
      ]),
    ),
  );
  log('');
  log(
    'engine run() = program.run(): copies the inputs, allocates values and gradients, forward, backward.',
  );
  log(
    'engine in place = forward(v) + backward(v, g) on preallocated arrays (reset each run), like the fused loop.',
  );
  log('');
  log('Compile + one run, against one fused run');
  log(
    table(
      [
        'circuit',
        'build circuit ms',
        'compile ms',
        'compile ns/gate',
        'engine run ms',
        'fused run ms',
        '(compile + run) ÷ fused',
        `≤ ${COMPILE_RUN_TARGET}×`,
        'fused build ms',
        '(compile + run) ÷ (fused build + run)',
      ],
      results.map((r) => [
        r.name,
        fmt(r.buildMs),
        fmt(r.compileMs, 2),
        fmt((r.compileMs * 1e6) / r.gates, 0),
        fmt(r.engineRunMs, 3),
        fmt(r.fusedRunMs, 3),
        `${fmt(r.compileRunRatio, 2)}×`,
        verdict(r.compileRunRatio <= COMPILE_RUN_TARGET),
        fmt(r.fusedBuildMs, 2),
        `${fmt((r.compileMs + r.engineRunMs) / (r.fusedBuildMs + r.fusedRunMs), 2)}×`,
      ]),
    ),
  );
  log(
    'fused build = the fused arrays made from the same Circuit (id map, topological order): for scale, no target.',
  );
  log('');
  log('Gradients (fused loop; the engine matches): share of gates in the backward pass, range');
  log(
    table(
      ['circuit', 'gates reaching f', 'zero gradients', 'non-finite', 'max |gradient|'],
      results.map((r) => [
        r.name,
        `${fmt(r.stats.reach * 100)}%`,
        r.stats.zero.toLocaleString('en-US'),
        String(r.stats.nonFinite),
        r.stats.maxAbs.toExponential(2),
      ]),
    ),
  );
  log('');
  const big = results.find((r) => r.memory) as CircuitResult;
  const mem = big.memory as NonNullable<CircuitResult['memory']>;
  const memoryOk = mem.rssMB < MEMORY_TARGET_MB;
  log(
    `Memory at ${big.gates.toLocaleString('en-US')} gates: circuit, program and fused arrays alive, after gc`,
  );
  log(
    table(
      ['rss MB', 'heapUsed MB', '< 1 GB (rss)', 'transient peak: maxRSS so far, MB'],
      [[fmt(mem.rssMB, 0), fmt(mem.heapUsedMB, 0), verdict(memoryOk), fmt(mem.peakRssMB, 0)]],
    ),
  );
  log(
    'maxRSS is the process high-water mark; it includes garbage from building and compiling the circuit.',
  );
  log('');
  logMatmul(mm);
  const ratioOk = results.every((r) => r.ratio <= RATIO_TARGET);
  const compileOk = results.every((r) => r.compileRunRatio <= COMPILE_RUN_TARGET);
  const gradsOk = results.every((r) => r.grads.mismatches === 0) && mm.maxRel <= 1e-12;
  const matmulOk = mm.engineMs <= MATMUL_TARGET_MS;
  log('Targets');
  log(
    table(
      ['target', 'result'],
      [
        [`engine ÷ fused ≤ ${RATIO_TARGET}× (every circuit)`, verdict(ratioOk)],
        [`(compile + run) ÷ fused ≤ ${COMPILE_RUN_TARGET}× (every circuit)`, verdict(compileOk)],
        ['memory at 10^6 gates < 1 GB (rss after gc)', verdict(memoryOk)],
        ['engine gradients equal the fused loop’s', gradsOk ? 'met' : 'MISSED'],
        [`matmul forward + dW + dX, program.run() ≤ ${MATMUL_TARGET_MS} ms`, verdict(matmulOk)],
      ],
    ),
  );
  log('');
  log(
    `total ${fmt((wall() - started) / 1000)} s, load average ${loadavg()[0].toFixed(1)} at the end`,
  );

  const round = (x: number, d = 3) => Number(x.toFixed(d));
  const summary = {
    bench: 'engine',
    node: process.version,
    loadAverage: round(loadavg()[0], 2),
    circuits: results.map((r) => ({
      name: r.name,
      gates: r.gates,
      inputs: r.inputs,
      engineNsPerGate: round(r.engineNs, 2),
      engineInPlaceNsPerGate: round(r.engineInPlaceNs, 2),
      fusedNsPerGate: round(r.fusedNs, 2),
      ratio: round(r.ratio),
      compileMs: round(r.compileMs),
      compileRunOverFused: round(r.compileRunRatio),
      fusedBuildMs: round(r.fusedBuildMs),
      gradientsMatch: r.grads.mismatches === 0,
      gradientsExact: r.grads.exact,
    })),
    memory: {
      gates: big.gates,
      ...Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, round(v, 1)])),
    },
    matmul: {
      engineMs: round(mm.engineMs),
      reuseMs: round(mm.reuseMs),
      inPlaceMs: round(mm.inPlaceMs),
      targetMs: MATMUL_TARGET_MS,
      naiveMs: round(mm.naiveMs),
      compileMs: round(mm.compileMs),
      gradientsExact: mm.exact,
      maxRel: mm.maxRel,
    },
    targets: {
      ratio: ratioOk,
      compileRun: compileOk,
      memory: memoryOk,
      gradients: gradsOk,
      matmul: matmulOk,
    },
    seconds: round((wall() - started) / 1000, 1),
  };
  log(JSON.stringify(summary));
}

main();
