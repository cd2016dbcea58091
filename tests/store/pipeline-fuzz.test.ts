/**
 * Circuits decoded from random and mutated links and files, run through the whole app
 * pipeline the way the app runs them: the store opens them (layout, compile, run), playback
 * steps through them, they are written out as a program, autosaved, and encoded again as a
 * link and a file that must read back. Any exception, and any change to Object.prototype,
 * fails.
 */
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ParseError, toProgram } from '../../src/engine';
import { LIMITS } from '../../src/engine/limits';
import { parse } from '../../src/engine/parse';
import type { Circuit } from '../../src/engine/types';
import { encodeBase64Url } from '../../src/share/base64url';
import { parseCircuitFile, serializeCircuit } from '../../src/share/file';
import {
  decodeHash,
  encodeExprLink,
  encodeFullLink,
  encodePayload,
  LINK_VERSION,
  type ViewState,
} from '../../src/share/link';
import { Autosave } from '../../src/store/autosave';
import { docToCircuit } from '../../src/store/document';
import { createAppStore } from '../../src/store/store';
import {
  applyHostileEdit,
  circuitArbitrary,
  HOSTILE_NAMES,
  hostileEditArb,
  prototypeChange,
} from '../share/circuits';
import { FakeStorage } from './fakeStorage';

const circuitArb = circuitArbitrary({
  maxNodes: 10,
  maxWires: 14,
  maxId: 8,
  maxBinaryId: 12,
  maxLabel: 12,
  coordinate: fc.oneof(
    fc.integer({ min: -3000, max: 3000 }),
    fc.double({ noNaN: true, min: -2 * LIMITS.position, max: 2 * LIMITS.position }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e308),
  ),
  scalarWeight: 4,
  maxVector: 4,
  maxSide: 3,
});

/** One edit of a text: delete, insert or replace a character somewhere. */
const textEditArb = fc.record({
  kind: fc.constantFrom('delete' as const, 'insert' as const, 'replace' as const),
  at: fc.nat(),
  char: fc.constantFrom(...'{}[]":,0123456789-.eE ntfalsrux_'.split(''), '__proto__'),
});

function editText(text: string, edits: readonly fc.Arbitrary<unknown>[] | readonly TextEdit[]) {
  let out = text;
  for (const e of edits as readonly TextEdit[]) {
    const at = out.length === 0 ? 0 : e.at % out.length;
    if (e.kind === 'delete') out = out.slice(0, at) + out.slice(at + 1);
    else if (e.kind === 'insert') out = out.slice(0, at) + e.char + out.slice(at);
    else out = out.slice(0, at) + e.char + out.slice(at + 1);
  }
  return out;
}
type TextEdit = { kind: 'delete' | 'insert' | 'replace'; at: number; char: string };

/** A `#c=` hash for this compact JSON payload, packed the way the link encoder packs. */
function packed(payload: string): string {
  return `#c=${LINK_VERSION}.${encodeBase64Url(deflateSync(new TextEncoder().encode(payload)))}`;
}

/** A small program over hostile names and a few ordinary ones. */
const programArb = fc
  .array(
    fc.record({
      name: fc.constantFrom(...HOSTILE_NAMES, 'x', 'y', 'f', 'prototype'),
      op: fc.constantFrom('+', '-', '*', '/', 'max', 'tanh', 'sigmoid', '^'),
      a: fc.nat(),
      b: fc.nat(),
      value: fc.integer({ min: -4, max: 4 }),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((lines) => {
    const names: string[] = [];
    const out: string[] = [];
    for (const line of lines) {
      if (names.length === 0 || line.a % 3 === 0) {
        out.push(`${line.name} = ${line.value}`);
      } else {
        const a = names[line.a % names.length];
        const b = names[line.b % names.length];
        const rhs =
          line.op === 'max'
            ? `max(${a}, ${b})`
            : line.op === 'tanh' || line.op === 'sigmoid'
              ? `${line.op}(${a})`
              : `${a} ${line.op} ${line.op === '^' ? 2 : b}`;
        out.push(`${line.name} = ${rhs}`);
      }
      names.push(line.name);
    }
    return out.join('\n');
  });

const counts = { opened: 0, refused: 0 };

/** A circuit the codecs produced, through everything the app does with one. */
function throughThePipeline(circuit: Circuit, expression: string | null, view: ViewState = {}) {
  const store = createAppStore();
  const problem = store.getState().tryLoadCircuit(circuit, {
    expression: expression ?? undefined,
  });
  // What the codecs read, the store can hold: the same limits.
  if (problem !== undefined) throw new Error(`the store refused a decoded circuit: ${problem}`);
  counts.opened++;
  const s = store.getState();
  for (const n of s.doc.nodes) {
    const p = s.doc.positions.get(n.id);
    if (!p || !(Math.abs(p.x) <= LIMITS.position && Math.abs(p.y) <= LIMITS.position)) {
      throw new Error(`node ${JSON.stringify(n.id)} is placed at ${JSON.stringify(p)}`);
    }
  }
  // Playback at several steps, as a link's step= would open it, and stepping about.
  if (view.step !== undefined) store.getState().seek(view.step);
  store.getState().resetPlayback();
  store.getState().stepForward();
  store.getState().stepForward();
  const total = store.getState().timeline?.steps.length ?? 0;
  store.getState().seek(Math.floor(total / 2));
  store.getState().toEnd();
  store.getState().stepBack();
  store.getState().exitPlayback();
  store.getState().tidyUp();

  const held = docToCircuit(store.getState().doc);
  const program = store.getState().program;
  if (program) toProgram(held, program);

  // Autosave, a link and a file: each reads back what the store holds.
  const storage = new FakeStorage();
  const saved = new Autosave(storage, { tabId: 'A' }).save(held, expression);
  if (saved.kind !== 'saved') throw new Error(`autosave: ${JSON.stringify(saved)}`);
  const loaded = new Autosave(storage, { tabId: 'B' }).load();
  if (loaded.kind !== 'ok') throw new Error(`autosave read back: ${JSON.stringify(loaded)}`);
  sameCircuit(loaded.saved.circuit, held, 'autosave');

  const link = decodeHash(`#${encodeFullLink({ circuit: held, view: {}, expression })}`);
  if (!link.ok || link.kind !== 'full') throw new Error(`link read back: ${JSON.stringify(link)}`);
  if (link.circuit.nodes.some((n, i) => n.id !== held.nodes[i].id)) {
    throw new Error('the link read back other ids');
  }
  const file = parseCircuitFile(serializeCircuit(held));
  if (!file.ok) throw new Error(`file read back: ${file.error}`);
  sameCircuit(file.circuit, held, 'file');
}

/**
 * The same circuit, number for number: compared as circuit files, which write every number so
 * that it reads back bit for bit (-0, NaN and ±Infinity by name). Plain code, no `expect`: it
 * runs thousands of times.
 */
function sameCircuit(actual: Circuit, expected: Circuit, where: string): void {
  if (serializeCircuit(actual) !== serializeCircuit(expected)) {
    throw new Error(`${where}: the circuit read back differs from the one written`);
  }
}

/** Decodes a hash as the app does (parsing a program link) and runs what opens. */
function openHash(hash: string): void {
  const decoded = decodeHash(hash);
  if (!decoded.ok) {
    if (decoded.unexpected) throw new Error(`the link reader threw: ${decoded.error}`);
    counts.refused++;
    return;
  }
  if (decoded.kind === 'none') return;
  if (decoded.kind === 'full') {
    throughThePipeline(decoded.circuit, decoded.expression ?? null, decoded.view);
    return;
  }
  let circuit: Circuit;
  try {
    circuit = parse(decoded.expression).circuit;
  } catch (error) {
    // Only a message about the program is an answer; anything else is a crash.
    if (!(error instanceof ParseError)) throw error;
    counts.refused++;
    return;
  }
  throughThePipeline(circuit, decoded.expression, decoded.view);
}

function openFile(text: string): void {
  const decoded = parseCircuitFile(text);
  if (!decoded.ok) {
    if (decoded.unexpected) throw new Error(`the file reader threw: ${decoded.error}`);
    counts.refused++;
    return;
  }
  throughThePipeline(decoded.circuit, null);
}

/** Fails on any change to Object.prototype, checked after every case. */
function untouched(): void {
  const change = prototypeChange();
  if (change) throw new Error(change);
}

describe('decoded circuits through the whole pipeline', () => {
  it('random circuits as links and files, and mutated links and files', () => {
    fc.assert(
      fc.property(
        circuitArb,
        fc.array(textEditArb, { maxLength: 3 }),
        fc.array(hostileEditArb, { maxLength: 2 }),
        fc.integer({ min: 0, max: 40 }),
        (circuit, textEdits, hostileEdits, step) => {
          const view: ViewState = { step };
          // The link as written, then its payload mutated (as JSON and as text) and packed.
          openHash(`#${encodeFullLink({ circuit, view, expression: null })}`);
          const payload = JSON.parse(encodePayload({ circuit, view, expression: null }));
          for (const edit of hostileEdits) applyHostileEdit(payload, edit);
          openHash(packed(editText(JSON.stringify(payload), textEdits)));
          // The file as written, then mutated the same ways.
          const file = serializeCircuit(circuit);
          openFile(file);
          const tree = JSON.parse(file);
          for (const edit of hostileEdits) applyHostileEdit(tree, edit);
          openFile(editText(JSON.stringify(tree), textEdits));
          untouched();
        },
      ),
      { seed: 13, numRuns: 500 },
    );
    // Both kinds of outcome were met often: the fuzz reached the pipeline.
    expect(counts.opened).toBeGreaterThan(900);
    expect(counts.refused).toBeGreaterThan(100);
  });

  it('program links over names of Object.prototype members, mutated', () => {
    const before = counts.opened;
    fc.assert(
      fc.property(
        programArb,
        fc.array(textEditArb, { maxLength: 2 }),
        fc.integer({ min: 0, max: 20 }),
        (program, edits, step) => {
          openHash(`#${encodeExprLink(program, { step })}`);
          openHash(`#${encodeExprLink(editText(program, edits), { step })}`);
          untouched();
        },
      ),
      { seed: 13, numRuns: 600 },
    );
    expect(counts.opened - before).toBeGreaterThan(400);
  });
});
