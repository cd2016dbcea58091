/**
 * `npm run bench:store`: an edit in the store beside the engine's `run()`, in the same
 * process, on the same program.
 *
 *   node --expose-gc --import tsx bench/store.ts
 *
 * Measured from the call of the action to its return, when the store holds the new view:
 * `setInputValue` on an input (as a scrub does, inside a gesture, and as single edits, each
 * an undo step) and `setParam` on a literal. Target: at most 2× `program.run()` at 1,000 and
 * 5,000 gates. Prints a table, then one JSON summary line (starts with `{"bench":"store"`).
 */
import { cpus, loadavg } from 'node:os';
import { type Circuit, parse, scalar } from '../src/engine';
import { docFromCircuit } from '../src/store/document';
import { type AppStore, createAppStore } from '../src/store/store';
import { randomCircuit } from './circuits';
import { collect, cpuMs, hasGc, median } from './timing';

const now = () => performance.now();
const cpu = cpuMs;
const log = (line = '') => process.stdout.write(`${line}\n`);
const TARGET = 2;

/** Milliseconds per call: `iters` calls back to back. */
function sample(fn: () => void, iters: number): number {
  const t0 = cpu();
  for (let i = 0; i < iters; i++) fn();
  return (cpu() - t0) / iters;
}

/**
 * A typed program with literals in most gates, `copies` blocks of seven gates over two inputs
 * each, summed: what `parse` makes of text written the way a user writes it.
 */
function typedProgram(copies: number): string {
  const lines: string[] = [];
  for (let k = 0; k < copies; k++) {
    lines.push(`x${k} = ${((k % 7) - 3) / 4}`, `y${k} = ${((k % 5) - 2) / 3}`);
    lines.push(
      `u${k} = x${k} * 0.5`,
      `v${k} = u${k} + 1`,
      `w${k} = v${k} ** 2`,
      `s${k} = 1 / w${k}`,
      `r${k} = max(s${k}, 0.1)`,
      `t${k} = tanh(r${k} - y${k})`,
    );
    lines.push(k === 0 ? `a0 = t0 * 1` : `a${k} = a${k - 1} + t${k}`);
  }
  lines.push(`f = a${copies - 1} * 1`);
  return lines.join('\n');
}

interface Case {
  readonly name: string;
  readonly circuit: Circuit;
  /** An input to scrub and (if any) a gate and port with a literal to edit. */
  readonly input: string;
  readonly literal?: { readonly id: string; readonly port: string };
}

interface Result {
  readonly name: string;
  readonly gates: number;
  readonly inputs: number;
  readonly runUs: number;
  readonly scrubUs: number;
  readonly editUs: number;
  readonly paramUs: number | null;
  readonly scrubRatio: number;
  readonly editRatio: number;
  readonly paramRatio: number | null;
  readonly programKept: boolean;
}

function benchCase(c: Case, reps: number): Result {
  const store: AppStore = createAppStore(docFromCircuit(c.circuit));
  const program = store.getState().program;
  if (program.problems.length > 0) throw new Error(`${c.name}: ${program.problems[0].message}`);
  const gates = program.gates.length;
  let k = 0;
  // Each call sets a different value, so every run has new numbers to compute.
  const next = () => ((k++ % 97) - 48) / 64;
  const run = () => {
    program.run();
  };
  const scrub = () => store.getState().setInputValue(c.input, scalar(next()));
  const edit = () => {
    store.getState().endGesture();
    store.getState().setInputValue(c.input, scalar(next()));
  };
  const literal = c.literal;
  const param = literal
    ? () => {
        store.getState().setParam(literal.id, literal.port, scalar(0.25 + next() / 8));
      }
    : undefined;

  // Warm up every contender, then size the batches to about 10 ms each.
  store.getState().beginGesture();
  const contenders: (() => void)[] = [run, scrub, edit, ...(param ? [param] : [])];
  const iters = contenders.map((fn) => {
    const end = now() + 400;
    let last = 1;
    while (now() < end) last = sample(fn, 20);
    return Math.max(5, Math.round(10 / Math.max(last, 1e-4)));
  });
  collect();
  const times: number[][] = contenders.map(() => []);
  // Interleaved, so drift in machine load hits every contender alike.
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < contenders.length; i++) {
      if (contenders[i] === scrub) store.getState().beginGesture();
      times[i].push(sample(contenders[i], iters[i]));
    }
  }
  const [runMs, scrubMs, editMs, paramMs] = times.map(median);

  // The store holds the numbers of its last edit: the same as a run with them.
  const s = store.getState();
  const output = s.program.ids[s.program.output];
  const fresh = s.program.run(
    { [c.input]: s.doc.values.get(c.input) ?? scalar(0) },
    { params: s.doc.params },
  );
  if (!Object.is(s.view.values.get(output), fresh.value(output))) {
    throw new Error(`${c.name}: the store's output differs from a run with its values`);
  }
  const us = (ms: number) => ms * 1000;
  return {
    name: c.name,
    gates,
    inputs: program.inputs.length,
    runUs: us(runMs),
    scrubUs: us(scrubMs),
    editUs: us(editMs),
    paramUs: paramMs === undefined ? null : us(paramMs),
    scrubRatio: scrubMs / runMs,
    editRatio: editMs / runMs,
    paramRatio: paramMs === undefined ? null : paramMs / runMs,
    programKept: s.program === program,
  };
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function main(): void {
  log(
    `Backprop Circuits store benchmark — Node ${process.version}, ${process.arch}, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} at start`,
  );
  if (!hasGc) log('note: run with --expose-gc (npm run bench:store does) for steadier figures');
  const cases: Case[] = [];
  for (const gates of [1_000, 5_000]) {
    const built = randomCircuit(gates, gates);
    cases.push({ name: built.name, circuit: built.circuit, input: built.circuit.nodes[0].id });
    const text = typedProgram(Math.round(gates / 7));
    cases.push({
      name: `typed program with literals, ${gates.toLocaleString('en-US')}`,
      circuit: parse(text).circuit,
      input: 'x0',
      literal: { id: 'u0', port: 'b' },
    });
  }
  const results = cases.map((c) => benchCase(c, 31));
  const fmt = (x: number | null, digits = 1) => (x === null ? '—' : x.toFixed(digits));
  log('');
  log(
    'Edit → the store holds the new view, beside program.run() (µs of CPU time, medians of interleaved samples)',
  );
  log(
    table(
      [
        'circuit',
        'gates',
        'inputs',
        'run()',
        'scrub',
        '÷ run',
        'edit',
        '÷ run',
        'setParam',
        '÷ run',
        `≤ ${TARGET}×`,
      ],
      results.map((r) => [
        r.name,
        r.gates.toLocaleString('en-US'),
        r.inputs.toLocaleString('en-US'),
        fmt(r.runUs),
        fmt(r.scrubUs),
        `${fmt(r.scrubRatio, 2)}×`,
        fmt(r.editUs),
        `${fmt(r.editRatio, 2)}×`,
        fmt(r.paramUs),
        r.paramRatio === null ? '—' : `${fmt(r.paramRatio, 2)}×`,
        Math.max(r.scrubRatio, r.editRatio, r.paramRatio ?? 0) <= TARGET ? 'yes' : 'NO',
      ]),
    ),
  );
  log('');
  log('scrub = setInputValue inside a gesture (one undo step for all); edit = one undo step each;');
  log('setParam = a literal edited in place (re-run without compiling).');
  log(JSON.stringify({ bench: 'store', results }));
}

main();
