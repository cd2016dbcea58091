/**
 * Suggested groupings: sets of gates that together compute a function the app knows (the
 * four gates `×−1, exp, +1, 1/x` of a sigmoid, tanh written with exps, a softplus), found so
 * the app can offer to collapse each into one gate named after what it computes.
 *
 * A set is suggested when it could be grouped as it is (what `groupShape` asks: one output,
 * read by something or f, connected, no cycle through it), it reads exactly one value from
 * outside (its literals aside), and its output, as a function of that value, is a known
 * function at every probe point (`recognise`), run with the ops' own functions. The search is bounded: a set holds at
 * most `LIMITS.suggestGates` gates, and a circuit of more than `LIMITS.suggestNodes` nodes is
 * not searched at all, so asking costs little at every edit.
 */
import { compile } from '../compile';
import { CircuitError } from '../errors';
import { LIMITS } from '../limits';
import type { OpDef } from '../ops';
import type { Program } from '../program';
import type { Circuit, CircuitNode, NodeId, Wire } from '../types';
import { isComposite } from './composite';
import { KNOWN_FUNCTIONS, type KnownFunction, recognise } from './known';
import { resolveOp } from './scope';

export interface Suggestion {
  /** The gates to group, in circuit node order. */
  readonly ids: readonly NodeId[];
  /** The gate whose value the group computes (the composite would take its id). */
  readonly output: NodeId;
  /** The one value the gates read from outside. */
  readonly input: NodeId;
  /** What they compute, as a function of `input`. */
  readonly known: KnownFunction;
}

export interface SuggestOptions {
  /** Only sets made of these gates (a selection); ids of inputs in it are ignored. */
  readonly within?: readonly string[];
}

/** A set that computes a known function, before overlapping sets are settled. */
interface Match {
  /** Node indices, the output first. */
  readonly members: readonly number[];
  readonly output: number;
  readonly input: number;
  readonly known: KnownFunction;
}

/**
 * Two loose first looks at a candidate set: the whole circuit's current values, then the
 * gates run at two points. The real test is `recognise` at its probe points, much stricter;
 * these only spare it the many sets that plainly compute something else.
 */
const LOOK_AT = [-0.7, 1.2];

/** Whether `y` is roughly `want` (both infinite the same way counts). */
const roughly = (y: number, want: number) =>
  Number.isFinite(want) ? Math.abs(y - want) <= 1e-6 * Math.max(1, Math.abs(want)) : y === want;

/** What feeds each port of a gate: a node index, or -1 for a literal (its value in `literal`). */
interface Feeds {
  readonly from: Int32Array;
  readonly literal: Float64Array;
}

/**
 * The sets of gates in `circuit` (or within `options.within`) that compute a known function
 * of one value, the largest where sets overlap (only one of overlapping sets is kept), in the
 * circuit's order of their outputs. Only scalar gates are considered.
 */
export function suggestGroupings(circuit: Circuit, options: SuggestOptions = {}): Suggestion[] {
  const nodes = circuit.nodes;
  const n = nodes.length;
  if (n > LIMITS.suggestNodes || n < 3) return [];
  const within = options.within === undefined ? undefined : new Set<string>(options.within);
  if (within !== undefined && within.size < 2) return [];
  // Nodes by index from here on: ids are looked up once.
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    // A repeated id is a circuit compile refuses: nothing to suggest in it.
    if (index.has(nodes[i].id)) return [];
    index.set(nodes[i].id, i);
  }

  // The whole circuit's shapes and current values (its problems leave nodes out).
  let program: Program;
  try {
    program = compile(circuit, { partial: true });
  } catch (e) {
    if (e instanceof CircuitError) return [];
    throw e;
  }
  const values = program.initialArray();
  program.forward(values);
  /** Topological rank of each node that is a scalar the program computes, else -1. */
  const rank = new Int32Array(n).fill(-1);
  const current = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const slot = program.slot(nodes[i].id);
    if (slot < 0 || program.shapes[slot].length !== 0) continue;
    rank[i] = slot;
    current[i] = values[program.offsets[slot]];
  }

  const readers: number[][] = Array.from({ length: n }, () => []);
  const wiresInto: Wire[][] = Array.from({ length: n }, () => []);
  for (const w of circuit.wires) {
    const from = index.get(w.from);
    const to = index.get(w.to);
    if (from === undefined || to === undefined) continue;
    readers[from].push(to);
    wiresInto[to].push(w);
  }

  // The gates that may be in a set: scalar, in the selection, and of an op run entry by entry
  // (or a composite), each port holding exactly one wire or one literal.
  const ops: (OpDef | undefined)[] = new Array(n);
  const feeds: (Feeds | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (rank[i] < 0 || node.op === 'input' || node.op === 'const') continue;
    if (within !== undefined && !within.has(node.id)) continue;
    const op = resolveOp(node.op, circuit.gates);
    if (op === undefined || !(op.kind === 'unary' || op.kind === 'binary' || isComposite(op))) {
      continue;
    }
    ops[i] = op;
    feeds[i] = feedsOf(node, op, wiresInto[i], index);
  }
  const joinable = (i: number) => feeds[i] !== undefined;

  const cap = LIMITS.suggestGates;
  const f = circuit.output === null ? -1 : (index.get(circuit.output) ?? -1);
  // Marks for the searches below: a node is marked when mark[i] equals the current stamp.
  const inSet = new Int32Array(n);
  const seen = new Int32Array(n);
  let stamp = 0;

  /**
   * The gates on the paths from `source` to `output`, output first, when every wire into
   * them comes from them or from `source`, only `output` is read from outside, and something
   * reads it (or it is f); else undefined. Leaves its members marked in `inSet`.
   */
  const setBetween = (output: number, source: number): number[] | undefined => {
    stamp++;
    inSet[output] = stamp;
    const members = [output];
    let reached = false;
    for (let k = 0; k < members.length; k++) {
      for (const from of (feeds[members[k]] as Feeds).from) {
        if (from < 0) continue;
        if (from === source) {
          reached = true;
          continue;
        }
        if (inSet[from] === stamp) continue;
        if (!joinable(from) || members.length === cap) return undefined;
        inSet[from] = stamp;
        members.push(from);
      }
    }
    if (!reached || members.length < 2) return undefined;
    if (output !== f && readers[output].length === 0) return undefined;
    for (let k = 1; k < members.length; k++) {
      const m = members[k];
      if (m === f) return undefined;
      for (const r of readers[m]) if (inSet[r] !== stamp) return undefined;
    }
    return members;
  };

  /**
   * Nodes that may be the one source of a set ending at `output`. Every path from a set's
   * output back to a node outside it passes through its source, so the source is nearer the
   * output than anything behind it: searching back breadth first, it comes within the first
   * `cap` nodes after the output (the set's other gates are all that can come before it).
   */
  const sourcesOf = (output: number): number[] => {
    stamp++;
    seen[output] = stamp;
    const found: number[] = [];
    const queue = [output];
    for (let head = 0; head < queue.length && found.length < cap; head++) {
      const i = queue[head];
      if (i !== output && !joinable(i)) continue;
      for (const from of (feeds[i] as Feeds).from) {
        if (from < 0 || seen[from] === stamp) continue;
        seen[from] = stamp;
        if (rank[from] >= 0) found.push(from);
        queue.push(from);
        if (found.length === cap) break;
      }
    }
    return found;
  };

  /**
   * The output's value computed from the source = x by the members one by one, in
   * topological order, with the ops' own functions: what the compiled program's scalar cases
   * call, so the same numbers as running the group.
   */
  const scratch = new Float64Array(n);
  const argOf = (f: Feeds, p: number) => (f.from[p] < 0 ? f.literal[p] : scratch[f.from[p]]);
  const byHand = (ordered: readonly number[], output: number, source: number, x: number) => {
    scratch[source] = x;
    for (const i of ordered) {
      const f = feeds[i] as Feeds;
      const op = ops[i] as OpDef;
      if (op.kind === 'unary') scratch[i] = op.f(argOf(f, 0));
      else if (op.kind === 'binary') scratch[i] = op.f(argOf(f, 0), argOf(f, 1));
      else if (isComposite(op)) {
        scratch[i] = op.composite.evaluate(Array.from(f.from, (_, p) => argOf(f, p)));
      }
    }
    return scratch[output];
  };

  // Which known functions are still possible, as bits (bit k: KNOWN_FUNCTIONS[k]).
  const K = KNOWN_FUNCTIONS.length;
  const all = (1 << K) - 1;
  /** The known functions whose value (`want(k)`) is roughly y, as bits. */
  const fitting = (y: number, want: (k: number) => number) => {
    let bits = 0;
    for (let k = 0; k < K; k++) if (roughly(y, want(k))) bits |= 1 << k;
    return bits;
  };
  // Each known function at each node's current value, worked out once per node.
  const wantNow = new Float64Array(n * K).fill(Number.NaN);
  const wantAt = (source: number, k: number) => {
    const cell = source * K + k;
    if (Number.isNaN(wantNow[cell])) wantNow[cell] = KNOWN_FUNCTIONS[k].f(current[source]);
    return wantNow[cell];
  };
  const wantLook = LOOK_AT.map((at) => KNOWN_FUNCTIONS.map((known) => known.f(at)));
  // A set holding a gate that alone computes the function would simplify nothing.
  const alone = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    const own = op === undefined ? undefined : computesAlone(op);
    if (own !== undefined) alone[i] = 1 << KNOWN_FUNCTIONS.indexOf(own);
  }

  const matches: Match[] = [];
  for (let output = 0; output < n; output++) {
    if (!joinable(output)) continue;
    const y = current[output];
    for (const source of sourcesOf(output)) {
      let bits = fitting(y, (k) => wantAt(source, k));
      if (bits === 0) continue;
      const members = setBetween(output, source);
      if (members === undefined) continue;
      for (const m of members) bits &= all & ~alone[m];
      if (bits === 0) continue;
      // Topological order, for running them (a dozen at most: insertion sort).
      const ordered = members.slice();
      for (let a = 1; a < ordered.length; a++) {
        const v = ordered[a];
        let b = a - 1;
        for (; b >= 0 && rank[ordered[b]] > rank[v]; b--) ordered[b + 1] = ordered[b];
        ordered[b + 1] = v;
      }
      for (let l = 0; l < LOOK_AT.length && bits !== 0; l++) {
        const got = byHand(ordered, output, source, LOOK_AT[l]);
        bits &= fitting(got, (k) => wantLook[l][k]);
      }
      if (bits === 0) continue;
      // The real test: the known functions' probe points.
      const known = recognise((at) => byHand(ordered, output, source, at));
      if (known === undefined || !(bits & (1 << KNOWN_FUNCTIONS.indexOf(known)))) continue;
      matches.push({ members, output, input: source, known });
    }
  }

  // Largest sets first; of overlapping sets only the first is kept.
  matches.sort((a, b) => b.members.length - a.members.length || a.output - b.output);
  const taken = new Uint8Array(n);
  const kept: Match[] = [];
  for (const m of matches) {
    if (m.members.some((i) => taken[i])) continue;
    for (const i of m.members) taken[i] = 1;
    kept.push(m);
  }
  kept.sort((a, b) => a.output - b.output);
  return kept.map((m) => ({
    ids: [...m.members].sort((a, b) => a - b).map((i) => nodes[i].id),
    output: nodes[m.output].id,
    input: nodes[m.input].id,
    known: m.known,
  }));
}

/**
 * What feeds each of the gate's ports, or undefined when a port has no wire and no literal,
 * two wires, or a wire goes into a port the op does not have (compile reports those).
 */
function feedsOf(
  node: CircuitNode,
  op: OpDef,
  wires: readonly Wire[],
  index: ReadonlyMap<string, number>,
): Feeds | undefined {
  const ports = op.ports;
  const from = new Int32Array(ports.length).fill(-2);
  const literal = new Float64Array(ports.length);
  for (const w of wires) {
    const p = ports.indexOf(w.port);
    if (p < 0 || from[p] !== -2) return undefined;
    from[p] = index.get(w.from) as number;
  }
  const params = node.params;
  for (let p = 0; p < ports.length; p++) {
    if (from[p] !== -2) continue;
    if (params === undefined || !Object.hasOwn(params, ports[p])) return undefined;
    const t = params[ports[p]];
    if (t.data.length !== 1) return undefined;
    from[p] = -1;
    literal[p] = t.data[0];
  }
  return { from, literal };
}

/** What each unary op of the registry computes on its own, if a known function (`sigmoid`). */
const opKnown = new Map<string, KnownFunction | null>();

/**
 * The known function one gate of this op computes alone (a `sigmoid` gate, a composite
 * recognised as a sigmoid): a set holding it would simplify nothing by being grouped.
 */
function computesAlone(op: OpDef): KnownFunction | undefined {
  if (isComposite(op)) return op.composite.known;
  if (op.kind !== 'unary') return undefined;
  let own = opKnown.get(op.name);
  if (own === undefined) {
    own = recognise(op.f) ?? null;
    opKnown.set(op.name, own);
  }
  return own ?? undefined;
}
