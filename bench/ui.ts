/**
 * `npm run bench:ui`: the app in headless Chromium beside a minimal plain React Flow page
 * (bench/plain/), measured in the same run, on seeded random scalar circuits of 200, 500 and
 * 1,000 gates.
 *
 *   1. load: navigation (or Enter in the Expression field) → every on-screen gate painted;
 *   2. edit: an input value typed → every on-screen value updated and painted;
 *   3. scrub: frames per second while an input is scrubbed;
 *   4. playback: frames per second while the backward pass plays at the fastest speed (Speed
 *      select, Timeline at the step after the seed, Play) beside ONE pulse dot moved along one
 *      edge by requestAnimationFrame on the plain page; and how many `.pulse` elements are left
 *      at the end (only the current step's wires should carry one). Median of --reps runs of
 *      PLAYBACK_MS each, interleaved with the plain page;
 *   5. camera-follow playback: the same backward pass with the camera following the current
 *      gate at zoom FOLLOW_ZOOM (the app's own follow when moving the Timeline moves the
 *      camera; otherwise the bench glides the camera to each step's gate), beside the same dot;
 *   6. layout: layoutCircuit (as Tidy up runs it) at 20, 300 and 2,000 gates, in Node.
 *
 * A large circuit may not fit the canvas at the smallest zoom fit goes to, and then shows from
 * one end with its inputs off screen: the edit and the scrub first bring the busiest input into
 * the middle of the canvas.
 *
 * Both pages are production builds (kept in node_modules/.cache/bench-ui/, out of git and out of
 * Biome's reach), served by `vite preview`. All times are taken inside the page with
 * performance.now() (bench/ui-runtime.js). Prints a table, then one JSON line.
 *
 * Options: --no-build (reuse the last builds), --sizes=200,500 (fewer sizes), --reps=3,
 * --follow=app|bench (who moves the camera in 5; found out by default),
 * --profile (instead: CPU profiles of load, edit, scrub and playback on an unminified build,
 * summarised by src/ file and function; sizes 200 and 1,000 unless --sizes is given).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test';
import { build, type PreviewServer, preview } from 'vite';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/chromium';
import { compile, parse, playbackSteps } from '../src/engine';
import { docFromCircuit } from '../src/store/document';
import { layoutCircuit } from '../src/store/layout';
import { STEP_MS } from '../src/store/store';
import { mulberry32 } from './prng';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = resolve(ROOT, 'node_modules/.cache/bench-ui');
const APP_DIST = resolve(CACHE, 'app');
const PLAIN_DIST = resolve(CACHE, 'plain');
const RUNTIME = fileURLToPath(new URL('./ui-runtime.js', import.meta.url));
const VIEWPORT = { width: 1280, height: 720 };

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const SIZES = (flag('sizes') ?? '200,500,1000').split(',').map(Number);
const REPS = Number(flag('reps') ?? 3);
const EDITS = 5;
const SCRUB_MS = 2000;
const SCRUB_TARGET_GATES = 200;
const PLAYBACK_MS = 3000;
const PLAYBACK_TARGET_GATES = 1000;
const PLAYBACK_TARGET_FPS = 55;
/** The zoom the camera keeps while following playback: 16 px labels at 16 px. */
const FOLLOW_ZOOM = 1;
/** Circuit sizes whose layout (the store's layoutCircuit, as Tidy up runs it) is timed. */
const LAYOUT_SIZES = [20, 300, 2000];

// ---------------------------------------------------------------------------------------------
// Circuits

type OpSpec = {
  weight: number;
  arity: 1 | 2;
  text: (a: string, b: string) => string;
  f: (a: number, b: number) => number;
  ok?: (a: number) => boolean;
};

const OPS: OpSpec[] = [
  { weight: 18, arity: 2, text: (a, b) => `${a} + ${b}`, f: (a, b) => a + b },
  { weight: 16, arity: 2, text: (a, b) => `${a} * ${b}`, f: (a, b) => a * b },
  { weight: 8, arity: 2, text: (a, b) => `${a} - ${b}`, f: (a, b) => a - b },
  { weight: 12, arity: 1, text: (a) => `sigmoid(${a})`, f: (a) => 1 / (1 + Math.exp(-a)) },
  { weight: 12, arity: 1, text: (a) => `tanh(${a})`, f: (a) => Math.tanh(a) },
  { weight: 8, arity: 2, text: (a, b) => `max(${a}, ${b})`, f: (a, b) => Math.max(a, b) },
  { weight: 6, arity: 2, text: (a, b) => `min(${a}, ${b})`, f: (a, b) => Math.min(a, b) },
  { weight: 6, arity: 1, text: (a) => `relu(${a})`, f: (a) => Math.max(0, a) },
  { weight: 4, arity: 1, text: (a) => `abs(${a})`, f: (a) => Math.abs(a) },
  { weight: 4, arity: 1, text: (a) => `exp(${a})`, f: (a) => Math.exp(a), ok: (a) => a < 3 },
  { weight: 3, arity: 1, text: (a) => `log(${a})`, f: (a) => Math.log(a), ok: (a) => a > 0.05 },
  { weight: 3, arity: 1, text: (a) => `sqrt(${a})`, f: (a) => Math.sqrt(a), ok: (a) => a > 0.01 },
];
const TOTAL_WEIGHT = OPS.reduce((s, o) => s + o.weight, 0);

export interface BenchCircuit {
  readonly gates: number;
  readonly inputs: readonly string[];
  readonly program: string;
}

/**
 * A random scalar circuit of exactly `gates` gates over about gates/10 inputs, in the expression
 * language. Each gate reads one or two earlier names, preferring ones nothing reads yet; what
 * still dangles at the end (gates and inputs) is summed into the output `out`, so every gate
 * and every input reaches it and every gradient is a real one. Values stay within ±1,000.
 */
export function generateCircuit(gates: number, seed: number): BenchCircuit {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines: string[] = [];
  const names: string[] = [];
  const value = new Map<string, number>();
  const inputs: string[] = [];
  const inputCount = Math.max(2, Math.round(gates / 10));
  for (let i = 1; i <= inputCount; i++) {
    const name = `x${i}`;
    const v = Math.round((rand() * 4 - 2) * 100) / 100;
    lines.push(`${name} = ${v}`);
    names.push(name);
    inputs.push(name);
    value.set(name, v);
  }
  // Names nothing reads yet, inputs included: the final sum picks up whatever is left.
  const dangling = new Set<string>(names);
  const finalCost = (d: number) => (d >= 2 ? d - 1 : 1);
  let made = 0;
  const operand = (taken: string | null, mustDangle: boolean): string => {
    const free = [...dangling].filter((n) => n !== taken);
    if (free.length > 0 && (mustDangle || rand() < 0.45)) return pick(free);
    for (;;) {
      // Mostly recent names, so the circuit gets deep as well as wide.
      const recent = rand() < 0.7;
      const i = recent
        ? Math.max(0, names.length - 1 - Math.floor(rand() * 24))
        : Math.floor(rand() * names.length);
      if (names[i] !== taken) return names[i];
    }
  };
  while (made + finalCost(dangling.size) < gates) {
    const mustDangle = gates - (made + finalCost(dangling.size)) === 1;
    for (let attempt = 0; ; attempt++) {
      let r = rand() * TOTAL_WEIGHT;
      let op = OPS[0];
      for (const o of OPS) {
        r -= o.weight;
        if (r < 0) {
          op = o;
          break;
        }
      }
      const a = operand(null, mustDangle);
      const b = op.arity === 2 ? operand(a, false) : a;
      const va = value.get(a) as number;
      const vb = value.get(b) as number;
      if (op.ok && !op.ok(va) && attempt < 20) continue;
      const v = op.f(va, vb);
      if ((!Number.isFinite(v) || Math.abs(v) > 1000) && attempt < 20) continue;
      made++;
      const name = `g${made}`;
      lines.push(`${name} = ${op.text(a, b)}`);
      names.push(name);
      value.set(name, Number.isFinite(v) ? v : 0);
      dangling.delete(a);
      dangling.delete(b);
      dangling.add(name);
      break;
    }
  }
  const rest = [...dangling];
  lines.push(rest.length >= 2 ? `out = ${rest.join(' + ')}` : `out = tanh(${rest[0]})`);
  return { gates, inputs, program: `${lines.join('\n')}\n` };
}

/** What the bench needs to know about a circuit, worked out in Node with the app's engine. */
function analyse(c: BenchCircuit) {
  const parsed = parse(c.program);
  const circuit = parsed.circuit;
  const gateCount = circuit.nodes.filter((n) => n.op !== 'input' && n.op !== 'const').length;
  if (gateCount !== c.gates) throw new Error(`generated ${gateCount} gates, wanted ${c.gates}`);
  const program = compile(circuit, { partial: true });
  const ids = circuit.nodes.map((n) => n.id as string);
  const doc = docFromCircuit(circuit);
  const positions = layoutCircuit(doc.nodes, doc.wires);
  const graph = {
    nodes: ids.map((id) => {
      const p = positions.get(id) ?? { x: 0, y: 0 };
      return [id, p.x, p.y] as [string, number, number];
    }),
    edges: circuit.wires.map((w) => [w.from, w.to] as [string, string]),
  };
  // Gates downstream of each input: the edit and the scrub use the input that moves the most.
  const next = new Map<string, string[]>();
  for (const w of circuit.wires) next.set(w.from, [...(next.get(w.from) ?? []), w.to]);
  const reach = (from: string) => {
    const seen = new Set<string>([from]);
    const stack = [from];
    while (stack.length > 0) {
      for (const to of next.get(stack.pop() as string) ?? []) {
        if (!seen.has(to)) {
          seen.add(to);
          stack.push(to);
        }
      }
    }
    return seen.size - 1;
  };
  const downstream = new Map(c.inputs.map((name) => [name, reach(name)]));
  const initial = new Map(
    c.inputs.map((name) => [name, program.run().value(name) as number] as const),
  );
  /** Every node's value once `name` is set to `x`. */
  const valuesWith = (name: string, x: number) => {
    const evaluation = program.run({ [name]: x });
    const out: Record<string, number> = {};
    for (const id of ids) out[id] = evaluation.value(id) as number;
    return out;
  };
  const grads = program.run();
  const zeroGrads = c.inputs.filter((name) => grads.grad(name) === 0).length;
  // Playback's step list: step k (1-based cursor) is steps[k - 1]; wires into each node.
  const steps = playbackSteps(grads).map((s) => ({ kind: s.kind, node: s.node as string }));
  const wiresInto = new Map<string, number>();
  for (const w of circuit.wires) wiresInto.set(w.to, (wiresInto.get(w.to) ?? 0) + 1);
  return {
    ids,
    graph,
    downstream,
    initial,
    valuesWith,
    zeroGrads,
    nodes: ids.length,
    gateCount,
    steps,
    wiresInto,
  };
}

// ---------------------------------------------------------------------------------------------
// Build, serve, browse

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

async function buildAll(): Promise<void> {
  const t = performance.now();
  await build({
    root: ROOT,
    configFile: resolve(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: {
      outDir: APP_DIST,
      emptyOutDir: true,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 100_000,
    },
  });
  await build({ configFile: resolve(ROOT, 'bench/plain/vite.config.ts'), logLevel: 'warn' });
  log(`built app and plain page in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

async function serve(outDir: string): Promise<{ server: PreviewServer; url: string }> {
  const port = await freePort();
  const server = await preview({
    root: ROOT,
    configFile: false,
    base: './',
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return { server, url: `http://127.0.0.1:${port}/` };
}

async function newPage(context: BrowserContext, config: object, extra = ''): Promise<Page> {
  const page = await context.newPage();
  await page.addInitScript({
    content: `window.__BENCH_CONFIG__ = ${JSON.stringify(config)};${extra}`,
  });
  await page.addInitScript({ path: RUNTIME });
  page.on('pageerror', (e) => log(`  page error: ${e.message}`));
  return page;
}

type Paint = { ms: number; nodes: number; edges: number; timeout?: boolean; sig?: string };
type Edit = { dom: number; painted: number; checked?: number; timeout?: boolean };
type Frames = { fps: number; frames: number; longest: number; error?: string };

const evaluate = <T>(page: Page, expression: string) => page.evaluate(expression) as Promise<T>;

// ---------------------------------------------------------------------------------------------
// Measurements

type Analysed = ReturnType<typeof analyse>;

/** Plain page: navigation start → every node and edge painted, fitted. */
async function plainLoad(context: BrowserContext, url: string, a: Analysed): Promise<Page> {
  const page = await newPage(
    context,
    { watchNavigation: { minNodes: a.nodes } },
    `window.__BENCH_GRAPH__ = ${JSON.stringify(a.graph)};`,
  );
  await page.goto(`${url}#n=${a.nodes}`);
  return page;
}

/** App: a fresh navigation to a `#expr=` link → every on-screen gate painted. */
async function appLinkLoad(
  context: BrowserContext,
  url: string,
  c: BenchCircuit,
  a: Analysed,
): Promise<Page> {
  const page = await newPage(context, { watchNavigation: { ids: a.ids } });
  await page.goto(`${url}#expr=${encodeURIComponent(c.program)}`);
  return page;
}

async function loaded(page: Page): Promise<Paint> {
  return evaluate<Paint>(page, 'window.__bench.loaded');
}

/** Does the app load `#expr=` links? Tries a two-line one. */
async function hasLinkLoader(context: BrowserContext, url: string): Promise<boolean> {
  const page = await newPage(context, {});
  const program = 'benchprobe = 2\nbenchout = benchprobe * 3';
  await page.goto(`${url}#expr=${encodeURIComponent(program)}`);
  const found = await page
    .locator('[data-node-id="benchout"]')
    .waitFor({ timeout: 4000 })
    .then(() => true)
    .catch(() => false);
  await page.close();
  return found;
}

const RESET = 'r1 = 1\nr2 = r1 * 2';
const RESET_IDS = parse(RESET).circuit.nodes.map((n) => n.id as string);

/** App, page already open: Enter in the Expression field → every on-screen gate painted. */
async function appExpressionLoad(page: Page, c: BenchCircuit, a: Analysed): Promise<Paint> {
  const field = page.getByLabel('Expression', { exact: true });
  // First a tiny circuit, so that the big one is built from scratch every time.
  await field.fill(RESET);
  await evaluate(page, `window.__bench.armLoad(${JSON.stringify({ ids: RESET_IDS })})`);
  await field.press('Enter');
  await evaluate(page, 'window.__bench.load');
  await field.fill(c.program);
  await evaluate(page, `window.__bench.armLoad(${JSON.stringify({ ids: a.ids })})`);
  await field.press('Enter');
  return evaluate<Paint>(page, 'window.__bench.load');
}

/** The input to edit or scrub: the one on screen that moves the most gates. */
async function busiestInput(page: Page, a: Analysed): Promise<string> {
  const shown = await evaluate<string[]>(
    page,
    `[...document.querySelectorAll('input[aria-label^="Value of "]')].map((e) => e.getAttribute('aria-label').slice(9))`,
  );
  const byReach = (x: string, y: string) => (a.downstream.get(y) ?? 0) - (a.downstream.get(x) ?? 0);
  const candidates = shown.filter((name) => a.downstream.has(name)).sort(byReach);
  if (candidates.length > 0) return candidates[0];
  // A circuit wider than the canvas at the smallest zoom fit goes down to is shown from one
  // end, and its inputs (on the left) may all be off screen: bring the busiest input into the
  // middle of the canvas, at the zoom the canvas has, and wait for its field to be drawn.
  const name = [...a.downstream.keys()].sort(byReach)[0];
  const moved = await evaluate<{ error?: string }>(
    page,
    `window.__bench.centerOn(${JSON.stringify(name)})`,
  );
  if (moved.error) {
    throw new Error(
      `no input field on screen, and ${name} could not be brought there: ${moved.error}`,
    );
  }
  await page.locator(`input[aria-label="Value of ${name}"]`).waitFor({ timeout: 15_000 });
  return name;
}

async function measureEdit(
  page: Page,
  label: string,
  values: number[],
  expectedFor: (x: number) => Record<string, number | string>,
  mode: 'app' | 'plain',
): Promise<Edit[]> {
  // A CSS locator: getByLabel's label search would run in the page while the edit is timed.
  const field = page.locator(`input[aria-label="${label}"]`);
  const out: Edit[] = [];
  for (const x of values) {
    await evaluate(
      page,
      `window.__bench.armEdit(${JSON.stringify({ expected: expectedFor(x), mode })})`,
    );
    await field.fill(String(x));
    await field.press('Enter');
    out.push(await evaluate<Edit>(page, 'window.__bench.edit'));
  }
  return out;
}

async function scrubByEvents(page: Page, label: string, start: number): Promise<Frames> {
  const options = { label, start, step: 0.01, durationMs: SCRUB_MS };
  return evaluate<Frames>(page, `window.__bench.scrubField(${JSON.stringify(options)})`);
}

/**
 * Drags the field's scrub handle with the mouse for SCRUB_MS: button down, then one move after
 * another, each sent once the page has taken the previous one (a flood of unacknowledged CDP
 * moves is not coalesced the way a real mouse's are, and only measures a backlog). Counts
 * frames, and how often the input's value changed: the updates a user sees.
 */
async function scrubByPointer(page: Page, name: string): Promise<Frames & { updates: number }> {
  const handle = page.locator(`input[aria-label="Value of ${name}"] + .scrub-handle`);
  const box = await handle.boundingBox();
  if (!box) return { fps: Number.NaN, frames: 0, longest: 0, updates: 0, error: 'no handle' };
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await evaluate(page, `window.__bench.countFrames(${JSON.stringify(`[data-node-id="${name}"]`)})`);
  await page.mouse.down();
  const begin = performance.now();
  for (let i = 1; performance.now() - begin < SCRUB_MS; i++) {
    await page.mouse.move(x + (i % 200) - 100, y);
  }
  await page.mouse.up();
  return evaluate<Frames & { updates: number }>(page, 'window.__bench.stopFrames()');
}

type Playback = Frames & {
  /** The fastest option of the Speed select, and the pulse duration it gives. */
  speed: number;
  pulseMs: number;
  total: number;
  fromCursor: number;
  toCursor: number;
  /** Steps taken while measured, and how many the timer would take at that speed. */
  stepsPlayed: number;
  stepsScheduled: number;
  /** At the end: the current step, its wires, and the `.pulse` elements in the DOM. */
  stepKind: string;
  stepNode: string;
  stepWires: number;
  stepWiresInDom: number;
  pulses: number;
  strayPulses: number;
  maxPulses: number;
  /** Frames over 25 ms, and how many of those saw a step change (a React commit). */
  longFrames: number;
  longFramesAtStep: number;
};

/** 'g12:a' → 'g12': a wire's id is `${to}:${port}` (src/store/document.ts wireKey). */
const wireTarget = (id: string) => id.slice(0, Math.max(0, id.lastIndexOf(':')));

/**
 * App: Speed at its fastest option, the Timeline at the first backward step's start (Reset,
 * then the range set to gates + 1: the forward steps, then the seed), Play, frames counted for
 * PLAYBACK_MS from the click, then Pause.
 */
async function measurePlayback(page: Page, a: Analysed): Promise<Playback> {
  const failed = (error: string): Playback => ({
    fps: Number.NaN,
    frames: 0,
    longest: Number.NaN,
    error,
    speed: Number.NaN,
    pulseMs: Number.NaN,
    total: a.steps.length,
    fromCursor: Number.NaN,
    toCursor: Number.NaN,
    stepsPlayed: Number.NaN,
    stepsScheduled: Number.NaN,
    stepKind: '',
    stepNode: '',
    stepWires: 0,
    stepWiresInDom: 0,
    pulses: Number.NaN,
    strayPulses: Number.NaN,
    maxPulses: Number.NaN,
    longFrames: Number.NaN,
    longFramesAtStep: Number.NaN,
  });
  try {
    const bar = page.locator('section[aria-label="Playback"]');
    const select = bar.locator('select[aria-label="Speed"]');
    const speeds = (await select
      .locator('option')
      .evaluateAll((os) => os.map((o) => Number((o as HTMLOptionElement).value)))) as number[];
    const speed = Math.max(...speeds.filter((s) => Number.isFinite(s)));
    await select.selectOption(String(speed));
    await bar.getByRole('button', { name: 'Reset', exact: true }).click();
    const total = a.steps.length;
    // Once in playback the range's max is the step count; before, it is 1 and would clamp.
    await page.waitForFunction(
      (n) =>
        (document.querySelector('input[aria-label="Timeline"]') as HTMLInputElement)?.max === n,
      String(total),
      { timeout: 10_000 },
    );
    const from = a.gateCount + 1;
    if (a.steps[from - 1]?.kind !== 'seed' || a.steps[from]?.kind !== 'backward') {
      return failed(`step ${from} is ${a.steps[from - 1]?.kind}, not the seed`);
    }
    const set = await evaluate<{ value: number; max: number; error?: string }>(
      page,
      `window.__bench.setRange('Timeline', ${from})`,
    );
    if (set.error) return failed(set.error);
    await page.waitForFunction(
      (label) =>
        document
          .querySelector('input[aria-label="Timeline"]')
          ?.getAttribute('aria-valuetext')
          ?.startsWith(label),
      `${from}/${total} `,
      { timeout: 10_000 },
    );
    await evaluate(
      page,
      `window.__bench.armPlayback(${JSON.stringify({ durationMs: PLAYBACK_MS })})`,
    );
    await bar.getByRole('button', { name: 'Play', exact: true }).click();
    const r = await evaluate<
      Frames & {
        startCursor: number;
        endCursor: number;
        pulseEdges: string[];
        maxPulses: number;
        edgeIds: string[];
        longFrames: number;
        longAtStep: number;
        fieldReplaced: boolean;
      }
    >(page, 'window.__bench.playback');
    await bar.getByRole('button', { name: 'Pause', exact: true }).click();
    if (r.fieldReplaced) log('  the Timeline input was replaced during playback');
    const step = a.steps[r.endCursor - 1];
    const stepNode = step?.node ?? '';
    const stray = r.pulseEdges.filter(
      (id) => step?.kind !== 'backward' || wireTarget(id) !== stepNode,
    );
    return {
      fps: r.fps,
      frames: r.frames,
      longest: r.longest,
      speed,
      pulseMs: Math.round((STEP_MS * 0.75) / speed),
      total,
      fromCursor: r.startCursor,
      toCursor: r.endCursor,
      stepsPlayed: r.endCursor - r.startCursor,
      stepsScheduled: Math.floor(PLAYBACK_MS / (STEP_MS / speed)),
      stepKind: step?.kind ?? '',
      stepNode,
      stepWires: a.wiresInto.get(stepNode) ?? 0,
      stepWiresInDom: r.edgeIds.filter((id) => wireTarget(id) === stepNode).length,
      pulses: r.pulseEdges.length,
      strayPulses: stray.length,
      maxPulses: r.maxPulses,
      longFrames: r.longFrames,
      longFramesAtStep: r.longAtStep,
    };
  } catch (e) {
    return failed(e instanceof Error ? e.message.split('\n')[0] : String(e));
  }
}

type Follow = Frames & {
  /** Who moved the camera: the app's own follow, or the bench (one glide per step). */
  mode: 'app' | 'bench';
  zoom: number;
  stepsPlayed: number;
  /** Frames in which the camera had moved since the frame before. */
  cameraFrames: number;
  /** Whether the gate of the last step was on screen at the end. */
  activeOnScreen: boolean;
};

/** Who moves the camera in camera-follow playback, once found out. */
let appFollowMode: 'app' | 'bench' | undefined;

/**
 * Does the app move the camera to the current step by itself? With the camera on the first
 * gate at FOLLOW_ZOOM, the Timeline is moved to the seed (the output, at the far end of a
 * large circuit): if the camera then moves within 5 s, the app follows.
 */
async function appFollows(page: Page, a: Analysed, from: number): Promise<boolean> {
  await evaluate(
    page,
    `window.__bench.centerOn(${JSON.stringify(a.steps[0].node)}, ${FOLLOW_ZOOM})`,
  );
  const before = await evaluate<string>(page, 'window.__bench.viewTransform()');
  await evaluate(page, `window.__bench.setRange('Timeline', ${from})`);
  return page
    .waitForFunction(
      (t) =>
        (window as unknown as { __bench: { viewTransform(): string } }).__bench.viewTransform() !==
        t,
      before,
      {
        timeout: 5000,
      },
    )
    .then(() => true)
    .catch(() => false);
}

/**
 * App: the backward pass played at the fastest speed with the camera following the current
 * gate at a readable zoom (FOLLOW_ZOOM): the app's own follow when it has one (or
 * --follow=app), otherwise the bench glides the camera to each step's gate as the cursor moves
 * (--follow=bench forces that). Frames counted for PLAYBACK_MS from the click on Play.
 */
async function measureFollow(page: Page, a: Analysed): Promise<Follow> {
  const failed = (error: string): Follow => ({
    fps: Number.NaN,
    frames: 0,
    longest: Number.NaN,
    error,
    mode: 'bench',
    zoom: FOLLOW_ZOOM,
    stepsPlayed: Number.NaN,
    cameraFrames: Number.NaN,
    activeOnScreen: false,
  });
  try {
    const bar = page.locator('section[aria-label="Playback"]');
    const select = bar.locator('select[aria-label="Speed"]');
    const speeds = (await select
      .locator('option')
      .evaluateAll((os) => os.map((o) => Number((o as HTMLOptionElement).value)))) as number[];
    const speed = Math.max(...speeds.filter((x) => Number.isFinite(x)));
    await select.selectOption(String(speed));
    await bar.getByRole('button', { name: 'Reset', exact: true }).click();
    const total = a.steps.length;
    await page.waitForFunction(
      (n) =>
        (document.querySelector('input[aria-label="Timeline"]') as HTMLInputElement)?.max === n,
      String(total),
      { timeout: 10_000 },
    );
    const from = a.gateCount + 1;
    const forced = flag('follow');
    // Found out once: when the app follows at one size it follows at all (a large circuit can
    // be slow enough to miss the probe's time limit).
    if (forced === 'app' || forced === 'bench') appFollowMode = forced;
    else if (appFollowMode !== 'app' && (await appFollows(page, a, from))) appFollowMode = 'app';
    const mode: 'app' | 'bench' = appFollowMode ?? 'bench';
    await evaluate(page, `window.__bench.setRange('Timeline', ${from})`);
    await page.waitForFunction(
      (label) =>
        document
          .querySelector('input[aria-label="Timeline"]')
          ?.getAttribute('aria-valuetext')
          ?.startsWith(label),
      `${from}/${total} `,
      { timeout: 10_000 },
    );
    const moved = await evaluate<{ error?: string }>(
      page,
      `window.__bench.centerOn(${JSON.stringify(a.steps[from].node)}, ${FOLLOW_ZOOM})`,
    );
    if (moved.error) return failed(moved.error);
    const glideMs = Math.round(Math.min(150, (STEP_MS / speed) * 0.6));
    await evaluate(
      page,
      `window.__bench.armFollow(${JSON.stringify({
        durationMs: PLAYBACK_MS,
        stepNodes: a.steps.map((x) => x.node),
        mode,
        zoom: FOLLOW_ZOOM,
        glideMs,
      })})`,
    );
    await bar.getByRole('button', { name: 'Play', exact: true }).click();
    const r = await evaluate<
      Frames & {
        startCursor: number;
        endCursor: number;
        cameraFrames: number;
        activeOnScreen: boolean;
        errors: number;
      }
    >(page, 'window.__bench.follow');
    await bar.getByRole('button', { name: 'Pause', exact: true }).click();
    if (r.errors > 0) log(`  the camera could not be moved to ${r.errors} steps' gates`);
    return {
      fps: r.fps,
      frames: r.frames,
      longest: r.longest,
      mode,
      zoom: FOLLOW_ZOOM,
      stepsPlayed: r.endCursor - r.startCursor,
      cameraFrames: r.cameraFrames,
      activeOnScreen: r.activeOnScreen,
    };
  } catch (e) {
    return failed(e instanceof Error ? e.message.split('\n')[0] : String(e));
  }
}

/** Plain page: ONE dot moved along one edge by requestAnimationFrame for PLAYBACK_MS. */
async function plainPulseDot(page: Page, periodMs: number): Promise<Frames> {
  const options = { durationMs: PLAYBACK_MS, periodMs };
  return evaluate<Frames>(page, `window.__bench.pulseDot(${JSON.stringify(options)})`);
}

// ---------------------------------------------------------------------------------------------
// Reporting

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x: number, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—';
const round1 = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);
const started = performance.now();
function log(text: string): void {
  const at = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
  process.stderr.write(`[${at} s] ${text}\n`);
}

interface SizeResult {
  gates: number;
  inputs: number;
  nodes: number;
  wires: number;
  app: {
    linkLoadMs: number | null;
    expressionLoadMs: number | null;
    nodesOnScreen: number;
    editMs: number | null;
    editDomMs: number | null;
    editValuesChecked: number;
    scrubFps: number | null;
    scrubLongestFrameMs: number | null;
    pointerScrubFps: number | null;
    pointerUpdatesPerS: number | null;
    playback: {
      speed: number;
      fps: number | null;
      fpsRuns: (number | null)[];
      longestFrameMs: number | null;
      frames: number;
      fromCursor: number;
      toCursor: number;
      totalSteps: number;
      stepsPlayed: number;
      stepsScheduled: number;
      stepKind: string;
      stepNode: string;
      stepWires: number;
      stepWiresInDom: number;
      pulsesAtEnd: number;
      strayPulsesAtEnd: number;
      maxPulsesSampled: number;
      longFrames: number;
      longFramesAtStep: number;
      error?: string;
    };
    /** Backward-pass playback with the camera following the current gate. */
    follow: {
      mode: 'app' | 'bench';
      zoom: number;
      fps: number | null;
      fpsRuns: (number | null)[];
      longestFrameMs: number | null;
      stepsPlayed: number;
      cameraFrames: number;
      activeOnScreen: boolean;
      error?: string;
    };
  };
  plain: {
    loadMs: number | null;
    nodesOnScreen: number;
    editMs: number | null;
    editDomMs: number | null;
    scrubFps: number | null;
    scrubLongestFrameMs: number | null;
    pulseDotFps: number | null;
    pulseDotFpsRuns: (number | null)[];
    pulseDotLongestFrameMs: number | null;
  };
}

async function benchSize(
  gates: number,
  appContext: BrowserContext,
  plainContext: BrowserContext,
  appUrl: string,
  plainUrl: string,
  linkLoader: boolean,
): Promise<SizeResult> {
  const circuit = generateCircuit(gates, 0xb5 + gates);
  const a = analyse(circuit);
  log(
    `${gates} gates: ${circuit.inputs.length} inputs, ${a.nodes} nodes, ${a.graph.edges.length} wires` +
      (a.zeroGrads ? ` (${a.zeroGrads} inputs with gradient 0 at the start)` : ''),
  );

  const plainLoads: Paint[] = [];
  const linkLoads: Paint[] = [];
  const expressionLoads: Paint[] = [];
  const appPage = await newPage(appContext, {});
  await appPage.goto(appUrl);
  await appPage.getByLabel('Expression', { exact: true }).waitFor();
  let plainPage: Page | null = null;
  for (let rep = 0; rep < REPS; rep++) {
    // Interleaved, so drift in the machine's load hits both pages alike.
    await plainPage?.close();
    plainPage = await plainLoad(plainContext, plainUrl, a);
    plainLoads.push(await loaded(plainPage));
    if (linkLoader) {
      const page = await appLinkLoad(appContext, appUrl, circuit, a);
      linkLoads.push(await loaded(page));
      await page.close();
    }
    expressionLoads.push(await appExpressionLoad(appPage, circuit, a));
  }
  for (const p of [...plainLoads, ...linkLoads, ...expressionLoads]) {
    if (p.timeout) log(`  a load timed out: ${p.sig}`);
  }

  log(`  loads done`);
  // Edits.
  const name = await busiestInput(appPage, a);
  const start = a.initial.get(name) as number;
  const xs = Array.from(
    { length: EDITS },
    (_, k) => Math.round((start + 0.1 * (k + 1)) * 100) / 100,
  );
  const appEdits = await measureEdit(
    appPage,
    `Value of ${name}`,
    xs,
    (x) => a.valuesWith(name, x),
    'app',
  );
  const plainXs = Array.from({ length: EDITS }, (_, k) => 1 + 0.1 * (k + 1));
  const plainEdits = await measureEdit(
    plainPage as Page,
    'Value of x',
    plainXs,
    (x) =>
      Object.fromEntries(
        a.graph.nodes.map(([id], i) => [id, `${id} ${(x * (i + 1)).toFixed(3)}`] as const),
      ),
    'plain',
  );
  for (const e of [...appEdits, ...plainEdits]) if (e.timeout) log('  an edit timed out');

  log(`  edits done`);
  // Scrubbing.
  const appScrub = await scrubByEvents(appPage, `Value of ${name}`, xs[xs.length - 1]);
  const pointer = await scrubByPointer(appPage, name);
  const plainScrub = await scrubByEvents(plainPage as Page, 'Value of x', 2);
  const onScreen = await evaluate<number>(
    appPage,
    `document.querySelectorAll('.react-flow__node').length`,
  );

  log(`  scrubs done`);
  // Backward-pass playback, and its plain counterpart: one pulse dot. Interleaved, REPS times.
  const playbacks: Playback[] = [];
  const dots: Frames[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const p = await measurePlayback(appPage, a);
    playbacks.push(p);
    if (p.error) log(`  playback failed: ${p.error}`);
    else if (p.strayPulses > 0) {
      log(`  ${p.strayPulses} .pulse elements outside the wires of step ${p.toCursor}`);
    }
    const dot = await plainPulseDot(
      plainPage as Page,
      Number.isFinite(p.pulseMs) ? p.pulseMs : Math.round((STEP_MS * 0.75) / 8),
    );
    dots.push(dot);
    if (dot.error) log(`  plain pulse dot failed: ${dot.error}`);
  }
  log(`  playback done`);
  // The same, with the camera following the current gate at a readable zoom.
  const follows: Follow[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const f = await measureFollow(appPage, a);
    follows.push(f);
    if (f.error) log(`  camera-follow playback failed: ${f.error}`);
  }
  log(`  camera-follow playback done (camera moved by the ${follows[0]?.mode ?? '?'})`);
  const followMedian = [...follows].sort((x, y) => (x.fps || 0) - (y.fps || 0))[
    Math.floor((follows.length - 1) / 2)
  ];
  // The run with the median fps speaks for the others; worst frame and stray pulses: all runs.
  const byFps = [...playbacks].sort((x, y) => (x.fps || 0) - (y.fps || 0));
  const playback = byFps[Math.floor((byFps.length - 1) / 2)];
  const worst = (xs: Frames[]) => Math.max(...xs.map((x) => x.longest));
  await appPage.close();
  await plainPage?.close();

  return {
    gates,
    inputs: circuit.inputs.length,
    nodes: a.nodes,
    wires: a.graph.edges.length,
    app: {
      linkLoadMs: linkLoader ? round1(median(linkLoads.map((p) => p.ms))) : null,
      expressionLoadMs: round1(median(expressionLoads.map((p) => p.ms))),
      nodesOnScreen: onScreen,
      editMs: round1(median(appEdits.map((e) => e.painted))),
      editDomMs: round1(median(appEdits.map((e) => e.dom))),
      editValuesChecked: appEdits[0]?.checked ?? 0,
      scrubFps: round1(appScrub.fps),
      scrubLongestFrameMs: round1(appScrub.longest),
      pointerScrubFps: round1(pointer.fps),
      pointerUpdatesPerS: round1(pointer.updates),
      playback: {
        speed: playback.speed,
        fps: round1(median(playbacks.map((p) => p.fps))),
        fpsRuns: playbacks.map((p) => round1(p.fps)),
        longestFrameMs: round1(worst(playbacks)),
        frames: playback.frames,
        fromCursor: playback.fromCursor,
        toCursor: playback.toCursor,
        totalSteps: playback.total,
        stepsPlayed: playback.stepsPlayed,
        stepsScheduled: playback.stepsScheduled,
        stepKind: playback.stepKind,
        stepNode: playback.stepNode,
        stepWires: playback.stepWires,
        stepWiresInDom: playback.stepWiresInDom,
        pulsesAtEnd: playback.pulses,
        strayPulsesAtEnd: playbacks.reduce((sum, p) => sum + p.strayPulses, 0),
        maxPulsesSampled: playback.maxPulses,
        longFrames: playback.longFrames,
        longFramesAtStep: playback.longFramesAtStep,
        ...(playback.error ? { error: playback.error } : {}),
      },
      follow: {
        mode: followMedian.mode,
        zoom: followMedian.zoom,
        fps: round1(median(follows.map((f) => f.fps))),
        fpsRuns: follows.map((f) => round1(f.fps)),
        longestFrameMs: round1(worst(follows)),
        stepsPlayed: followMedian.stepsPlayed,
        cameraFrames: followMedian.cameraFrames,
        activeOnScreen: follows.every((f) => f.activeOnScreen),
        ...(followMedian.error ? { error: followMedian.error } : {}),
      },
    },
    plain: {
      loadMs: round1(median(plainLoads.map((p) => p.ms))),
      nodesOnScreen: plainLoads[0]?.nodes ?? 0,
      editMs: round1(median(plainEdits.map((e) => e.painted))),
      editDomMs: round1(median(plainEdits.map((e) => e.dom))),
      scrubFps: round1(plainScrub.fps),
      scrubLongestFrameMs: round1(plainScrub.longest),
      pulseDotFps: round1(median(dots.map((d) => d.fps))),
      pulseDotFpsRuns: dots.map((d) => round1(d.fps)),
      pulseDotLongestFrameMs: round1(worst(dots)),
    },
  };
}

function table(results: SizeResult[], linkLoader: boolean): string {
  const rows: string[][] = [];
  const ratio = (x: number | null, y: number | null) =>
    x !== null && y !== null && y > 0 ? `${(x / y).toFixed(2)}×` : '—';
  const n = (x: number | null, digits = 0) => (x === null ? '—' : fmt(x, digits));
  const spread = (xs: (number | null)[]) => {
    const ok = xs.filter((x): x is number => x !== null);
    return ok.length > 1 ? `(${fmt(Math.min(...ok), 1)}–${fmt(Math.max(...ok), 1)})` : '';
  };
  for (const r of results) {
    const g = `${fmt(r.gates)} (${r.inputs} in)`;
    rows.push([
      g,
      linkLoader
        ? 'load: navigation to #expr= link → painted (ms)'
        : 'load: navigation → painted (ms)',
      linkLoader ? n(r.app.linkLoadMs) : 'n/a: no #expr= loader',
      n(r.plain.loadMs),
      ratio(r.app.linkLoadMs, r.plain.loadMs),
    ]);
    rows.push([
      g,
      'load: Enter in Expression → painted (ms)',
      n(r.app.expressionLoadMs),
      `${n(r.plain.loadMs)} (navigation)`,
      ratio(r.app.expressionLoadMs, r.plain.loadMs),
    ]);
    rows.push([
      g,
      'nodes on screen after fit',
      n(r.app.nodesOnScreen),
      n(r.plain.nodesOnScreen),
      '',
    ]);
    rows.push([
      g,
      `edit an input → painted (ms; DOM only: ${n(r.app.editDomMs, 1)} / ${n(r.plain.editDomMs, 1)})`,
      n(r.app.editMs, 1),
      n(r.plain.editMs, 1),
      ratio(r.app.editMs, r.plain.editMs),
    ]);
    rows.push([
      g,
      `scrub, one input event a frame (fps; worst frame ${n(r.app.scrubLongestFrameMs)} / ${n(r.plain.scrubLongestFrameMs)} ms)`,
      n(r.app.scrubFps, 1),
      n(r.plain.scrubFps, 1),
      ratio(r.app.scrubFps, r.plain.scrubFps),
    ]);
    rows.push([
      g,
      `scrub, mouse drag on ⇔ (value updates/s; fps ${n(r.app.pointerScrubFps, 1)})`,
      n(r.app.pointerUpdatesPerS, 1),
      '—',
      '',
    ]);
    const pb = r.app.playback;
    rows.push([
      g,
      `backward-pass playback at ${fmt(pb.speed)}× vs one pulse dot moved by requestAnimationFrame ` +
        `(fps, median (range); worst frame ${n(pb.longestFrameMs)} / ${n(r.plain.pulseDotLongestFrameMs)} ms)`,
      pb.error ? `failed: ${pb.error}` : `${n(pb.fps, 1)} ${spread(pb.fpsRuns)}`,
      `${n(r.plain.pulseDotFps, 1)} ${spread(r.plain.pulseDotFpsRuns)}`,
      ratio(pb.fps, r.plain.pulseDotFps),
    ]);
    rows.push([
      g,
      `playback, median run: steps in ${PLAYBACK_MS / 1000} s (timer's pace ${fmt(pb.stepsScheduled)}); ` +
        'frames > 25 ms (of them at a step change); ' +
        `.pulse at end (wires of step ${fmt(pb.toCursor)}: ${pb.stepWires}, ${pb.stepWiresInDom} in DOM; stray in all runs ${n(pb.strayPulsesAtEnd)}; most sampled ${n(pb.maxPulsesSampled)})`,
      pb.error
        ? '—'
        : `${fmt(pb.stepsPlayed)} steps; ${fmt(pb.longFrames)} (${fmt(pb.longFramesAtStep)}); ${fmt(pb.pulsesAtEnd)} .pulse`,
      '—',
      '',
    ]);
    const fo = r.app.follow;
    rows.push([
      g,
      `backward-pass playback at ${fmt(pb.speed)}×, camera following the current gate at zoom ${fo.zoom} ` +
        `(moved by the ${fo.mode === 'app' ? 'app' : 'bench, one glide per step'}) vs one pulse dot ` +
        `(fps, median (range); worst frame ${n(fo.longestFrameMs)} ms; ${fmt(fo.stepsPlayed)} steps; ` +
        `last gate on screen: ${fo.activeOnScreen ? 'yes' : 'NO'})`,
      fo.error ? `failed: ${fo.error}` : `${n(fo.fps, 1)} ${spread(fo.fpsRuns)}`,
      `${n(r.plain.pulseDotFps, 1)} ${spread(r.plain.pulseDotFpsRuns)}`,
      ratio(fo.fps, r.plain.pulseDotFps),
    ]);
  }
  const head = ['gates', 'measure', 'app', 'plain React Flow', 'app / plain'];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// --profile: where the time goes, by src/ file and function

const PROFILE_DIST = resolve(CACHE, 'app-profile');

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** Maps a line of the unminified bundle to its module (`// src/...` marks each one). */
function moduleMap(): (url: string, line: number) => string {
  const files = new Map<string, { line: number; path: string }[]>();
  for (const name of readdirSync(resolve(PROFILE_DIST, 'assets'))) {
    if (!name.endsWith('.js')) continue;
    const marks: { line: number; path: string }[] = [];
    readFileSync(resolve(PROFILE_DIST, 'assets', name), 'utf8')
      .split('\n')
      .forEach((text, line) => {
        const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(text);
        if (m) marks.push({ line, path: m[1] });
      });
    files.set(name, marks);
  }
  return (url, line) => {
    const name = url.slice(url.lastIndexOf('/') + 1);
    const marks = files.get(name);
    if (!marks) return name || '(native)';
    let path = '(bundle)';
    for (const mark of marks) {
      if (mark.line > line) break;
      path = mark.path;
    }
    const pkg = /^node_modules\/(?:.*\/node_modules\/)?(@[^/]+\/[^/]+|[^/]+)/.exec(path);
    return pkg ? pkg[1] : path;
  };
}

/** Self time by file:function and by file, and time inside each src/ function (inclusive). */
function hotspots(profile: CpuProfile, fileOf: (url: string, line: number) => string): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (id: number) => {
    const { functionName, url, lineNumber } = (byId.get(id) as CpuProfile['nodes'][0]).callFrame;
    const fn = functionName || '(anonymous)';
    return url
      ? { file: fileOf(url, lineNumber), key: `${fileOf(url, lineNumber)}:${fn}` }
      : { file: fn, key: fn };
  };
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, dt: number) => m.set(k, (m.get(k) ?? 0) + dt);
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const top = label(id);
    if (top.key === '(idle)') return;
    total += dt;
    add(self, top.key, dt);
    add(byFile, top.file, dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { key } = label(at);
      if (key.startsWith('src/') && !seen.has(key)) {
        seen.add(key);
        add(inclusive, key, dt);
      }
    }
  });
  const top = (m: Map<string, number>, k: number) =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, k)
      .map(
        ([key, ms]) =>
          `    ${fmt(ms, 1).padStart(8)} ms  ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${key}`,
      )
      .join('\n');
  return [
    `  busy ${fmt(total, 1)} ms (idle excluded)`,
    '  self time by file / package ("(program)" is mostly style, layout and paint):',
    top(byFile, 10),
    '  self time by function:',
    top(self, 12),
    '  time inside src/ functions (inclusive):',
    top(inclusive, 14),
  ].join('\n');
}

async function profileMode(): Promise<void> {
  await build({
    root: ROOT,
    configFile: resolve(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: {
      outDir: PROFILE_DIST,
      emptyOutDir: true,
      minify: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 100_000,
    },
  });
  const fileOf = moduleMap();
  const app = await serve(PROFILE_DIST);
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: VIEWPORT });
    for (const gates of flag('sizes') ? SIZES : [200, 1000]) {
      const circuit = generateCircuit(gates, 0xb5 + gates);
      const a = analyse(circuit);
      if (await hasLinkLoader(context, app.url)) {
        const linkPage = await newPage(context, { watchNavigation: { ids: a.ids } });
        const linkCdp = await context.newCDPSession(linkPage);
        await linkCdp.send('Profiler.enable');
        await linkCdp.send('Profiler.setSamplingInterval', { interval: 100 });
        await linkCdp.send('Profiler.start');
        await linkPage.goto(`${app.url}#expr=${encodeURIComponent(circuit.program)}`);
        const p = await loaded(linkPage);
        const { profile } = (await linkCdp.send('Profiler.stop')) as unknown as {
          profile: CpuProfile;
        };
        console.log(
          `\n${fmt(gates)} gates — navigation to #expr= link → painted: ${fmt(p.ms)} ms\n${hotspots(profile, fileOf)}`,
        );
        await linkCdp.detach();
        await linkPage.close();
      }
      const page = await newPage(context, {});
      await page.goto(app.url);
      await page.getByLabel('Expression', { exact: true }).waitFor();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      const profiled = async (what: string, run: () => Promise<string>) => {
        await cdp.send('Profiler.start');
        const result = await run();
        const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
        console.log(`\n${fmt(gates)} gates — ${what}: ${result}\n${hotspots(profile, fileOf)}`);
      };
      await profiled('Enter in Expression → painted', async () => {
        const p = await appExpressionLoad(page, circuit, a);
        return `${fmt(p.ms)} ms (includes the reset to a 2-node circuit)`;
      });
      const name = await busiestInput(page, a);
      const start = a.initial.get(name) as number;
      const xs = Array.from(
        { length: EDITS },
        (_, k) => Math.round((start + 0.1 * (k + 1)) * 100) / 100,
      );
      await profiled(`${EDITS} edits of ${name}`, async () => {
        const edits = await measureEdit(
          page,
          `Value of ${name}`,
          xs,
          (x) => a.valuesWith(name, x),
          'app',
        );
        return `median ${fmt(median(edits.map((e) => e.painted)), 1)} ms to painted`;
      });
      await profiled(`scrubbing ${name} for ${SCRUB_MS / 1000} s`, async () => {
        const f = await scrubByEvents(page, `Value of ${name}`, xs[xs.length - 1]);
        return `${fmt(f.fps, 1)} fps`;
      });
      await profiled(`backward-pass playback for ${PLAYBACK_MS / 1000} s`, async () => {
        const p = await measurePlayback(page, a);
        return p.error
          ? `failed: ${p.error}`
          : `${fmt(p.fps, 1)} fps at ${p.speed}×, ${p.stepsPlayed} steps, worst frame ${fmt(p.longest)} ms`;
      });
      await cdp.detach();
      await page.close();
    }
  } finally {
    await browser.close();
    await app.server.close();
  }
}

interface LayoutTime {
  gates: number;
  nodes: number;
  wires: number;
  ms: number | null;
  runs: number;
}

/**
 * Layout time: the store's layoutCircuit (what Tidy up and a typed program run) on the
 * bench's circuits of LAYOUT_SIZES gates, in this Node process; median of a few runs.
 */
function layoutTimes(): LayoutTime[] {
  return LAYOUT_SIZES.map((gates) => {
    const circuit = parse(generateCircuit(gates, 0xb5 + gates).program).circuit;
    const doc = docFromCircuit(circuit);
    const runs = gates >= 1000 ? 3 : 7;
    const times: number[] = [];
    layoutCircuit(doc.nodes, doc.wires, doc.values);
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      layoutCircuit(doc.nodes, doc.wires, doc.values);
      times.push(performance.now() - t);
    }
    return {
      gates,
      nodes: doc.nodes.length,
      wires: doc.wires.length,
      ms: round1(median(times)),
      runs,
    };
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  if (!args.includes('--no-build') || !existsSync(APP_DIST) || !existsSync(PLAIN_DIST)) {
    await buildAll();
  }
  const layouts = layoutTimes();
  for (const l of layouts)
    log(`layout of ${fmt(l.gates)} gates (${l.nodes} nodes): ${fmt(l.ms ?? Number.NaN, 1)} ms`);
  const app = await serve(APP_DIST);
  const plain = await serve(PLAIN_DIST);
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    const appContext = await browser.newContext({ viewport: VIEWPORT });
    const plainContext = await browser.newContext({ viewport: VIEWPORT });
    // Warm both: the HTTP cache and V8's code cache get the same start.
    for (const [context, url] of [
      [appContext, app.url],
      [plainContext, `${plain.url}#n=50`],
    ] as const) {
      for (let i = 0; i < 2; i++) {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await page.waitForSelector('.react-flow__node', { timeout: 15_000 }).catch(() => {
          throw new Error(`${url} shows no canvas after 15 s. ${errors.join(' ') || ''}`.trim());
        });
        await page.close();
      }
    }
    const linkLoader = await hasLinkLoader(appContext, app.url);
    log(
      linkLoader
        ? 'the app loads #expr= links: load is timed from navigation, as for the plain page'
        : 'the app has no #expr= link loader yet: load is timed from Enter in the Expression field',
    );
    const results: SizeResult[] = [];
    for (const gates of SIZES) {
      results.push(
        await benchSize(gates, appContext, plainContext, app.url, plain.url, linkLoader),
      );
    }

    const largest = results.find((r) => r.gates === 1000) ?? results[results.length - 1];
    const scrubbed = results.find((r) => r.gates === SCRUB_TARGET_GATES) ?? results[0];
    const played = results.find((r) => r.gates === PLAYBACK_TARGET_GATES) ?? largest;
    const appLoad = largest.app.linkLoadMs ?? largest.app.expressionLoadMs;
    const targets = {
      loadNoSlowerThanPlain: {
        gates: largest.gates,
        app: appLoad,
        plain: largest.plain.loadMs,
        basis: linkLoader ? 'navigation to #expr= link' : 'Enter in Expression field',
        met: appLoad !== null && largest.plain.loadMs !== null && appLoad <= largest.plain.loadMs,
      },
      editWithin50ms: {
        gates: largest.gates,
        ms: largest.app.editMs,
        met: largest.app.editMs !== null && largest.app.editMs <= 50,
      },
      scrubAtLeast30fps: {
        gates: scrubbed.gates,
        fps: scrubbed.app.scrubFps,
        pointerUpdates: scrubbed.app.pointerUpdatesPerS,
        met: scrubbed.app.scrubFps !== null && scrubbed.app.scrubFps >= 30,
      },
      followAtLeast55fps: {
        gates: played.gates,
        fps: played.app.follow.fps,
        mode: played.app.follow.mode,
        longestFrameMs: played.app.follow.longestFrameMs,
        plainPulseDotFps: played.plain.pulseDotFps,
        met: played.app.follow.fps !== null && played.app.follow.fps >= PLAYBACK_TARGET_FPS,
      },
      playbackAtLeast55fps: {
        gates: played.gates,
        fps: played.app.playback.fps,
        longestFrameMs: played.app.playback.longestFrameMs,
        plainPulseDotFps: played.plain.pulseDotFps,
        strayPulses: played.app.playback.strayPulsesAtEnd,
        met: played.app.playback.fps !== null && played.app.playback.fps >= PLAYBACK_TARGET_FPS,
      },
    };
    const mark = (met: boolean) => (met ? 'met' : 'MISSED');
    console.log(
      `\nUI benchmark — headless Chromium ${browser.version()}, ${VIEWPORT.width}×${VIEWPORT.height}, ` +
        `production builds, median of ${REPS} loads and ${EDITS} edits, scrubbing ${SCRUB_MS / 1000} s, ` +
        `playback ${REPS} × ${PLAYBACK_MS / 1000} s\n`,
    );
    console.log(table(results, linkLoader));
    console.log(
      `\nLayout (layoutCircuit, as Tidy up runs it; Node ${process.version}, median): ` +
        layouts.map((l) => `${fmt(l.gates)} gates ${fmt(l.ms ?? Number.NaN, 1)} ms`).join(', '),
    );
    if (!linkLoader) {
      console.log(
        '\nThe app has no #expr= link loader yet, so its load is timed from Enter in the ' +
          'Expression field (parse, layout, render), the plain page from navigation start.',
      );
    }
    console.log(
      '\nPlain page: default React Flow nodes at the app’s own layout positions, fitView, no ' +
        'virtualisation; its edit relabels every node. "Painted" = the frame after the DOM ' +
        'reached its final state (double requestAnimationFrame).',
    );
    console.log(
      `\nPlayback: the app at its fastest Speed, from the Timeline at gates + 1 (the seed: the ` +
        `backward pass starts with the next step), frames counted for ${PLAYBACK_MS / 1000} s ` +
        `from the click on Play, ${REPS} runs interleaved with the plain page, which moves one SVG dot along one edge ` +
        '(getPointAtLength every frame, as the app’s Pulse does). "Stray" = .pulse elements on ' +
        'wires that are not the current step’s, in the last measured frame.',
    );
    console.log('\nTargets:');
    const t = targets;
    console.log(
      `- ${fmt(t.loadNoSlowerThanPlain.gates)} gates painted no slower than the plain page: ` +
        `${fmt(t.loadNoSlowerThanPlain.app ?? Number.NaN)} ms (${t.loadNoSlowerThanPlain.basis}) vs ` +
        `${fmt(t.loadNoSlowerThanPlain.plain ?? Number.NaN)} ms — ${mark(t.loadNoSlowerThanPlain.met)}`,
    );
    console.log(
      `- an edit updates visible values within 50 ms at ${fmt(t.editWithin50ms.gates)} gates: ` +
        `${fmt(t.editWithin50ms.ms ?? Number.NaN, 1)} ms — ${mark(t.editWithin50ms.met)}`,
    );
    console.log(
      `- scrubbing ≥ 30 fps at ${t.scrubAtLeast30fps.gates} gates: ` +
        `${fmt(t.scrubAtLeast30fps.fps ?? Number.NaN, 1)} fps ` +
        `(mouse drag: ${fmt(t.scrubAtLeast30fps.pointerUpdates ?? Number.NaN, 1)} value updates/s) — ` +
        `${mark(t.scrubAtLeast30fps.met)}`,
    );
    const pt = t.playbackAtLeast55fps;
    console.log(
      `- backward-pass playback ≥ ${PLAYBACK_TARGET_FPS} fps at ${fmt(pt.gates)} gates: ` +
        `${fmt(pt.fps ?? Number.NaN, 1)} fps (median of ${REPS} runs), worst frame ${fmt(pt.longestFrameMs ?? Number.NaN)} ms ` +
        `(plain page, one pulse dot: ${fmt(pt.plainPulseDotFps ?? Number.NaN, 1)} fps) — ${mark(pt.met)}`,
    );
    const ft = t.followAtLeast55fps;
    console.log(
      `- playback with the camera following ≥ ${PLAYBACK_TARGET_FPS} fps at ${fmt(ft.gates)} gates: ` +
        `${fmt(ft.fps ?? Number.NaN, 1)} fps (camera moved by the ${ft.mode}), worst frame ${fmt(ft.longestFrameMs ?? Number.NaN)} ms ` +
        `(plain page, one pulse dot: ${fmt(ft.plainPulseDotFps ?? Number.NaN, 1)} fps) — ${mark(ft.met)}`,
    );
    console.log(
      JSON.stringify({
        bench: 'ui',
        layouts,
        chromium: browser.version(),
        reps: REPS,
        linkLoader,
        results,
        targets,
        seconds: Math.round((performance.now() - t0) / 100) / 10,
      }),
    );
  } finally {
    await browser?.close();
    await app.server.close();
    await plain.server.close();
  }
}

// Run only as the entry point: other scripts may import the circuit generator.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await (args.includes('--profile') ? profileMode() : main());
}
