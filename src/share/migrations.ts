/**
 * Migrations between versions of the circuit file format. A file is read by the rules of the
 * version it says it is (see file.ts), which gives a circuit; `MIGRATIONS.get(n)` then turns
 * a circuit as version n describes it into one as version n + 1 does, until the current
 * version. Each step only ever sees a circuit its own version's reader has checked.
 *
 * Version 1 → 2: numbers written inside an expression move from `const` nodes into the gates
 * that read them (`params`). What the circuit computes does not change: every node that is not
 * a `const` keeps its value and its gradient.
 */
import { formatCount, LIMITS } from '../engine/limits';
import { getOp } from '../engine/ops';
import type { Params } from '../engine/ops/types';
import type { Circuit, CircuitNode, Tensor, Wire } from '../engine/types';
import { nodePlace } from './untrusted';

/**
 * Lifts a circuit of version n to version n + 1. Messages about what changed visibly go into
 * `warnings`, each starting with the place of the node in the file ("node 3 (id 'c'): …").
 */
export type Migration = (circuit: Circuit, warnings: string[]) => Circuit;

/**
 * Version 1 → 2: each `const` node becomes a parameter of every gate it feeds, in the port its
 * wire went into, and goes away with its wires. A constant read by several gates becomes a
 * parameter of each (a copy of the same number).
 *
 * A constant stays a node, as an `input` (a value the user can see and edit, which now also
 * shows a gradient), with a warning, when turning it into parameters would lose something:
 * - it is the output (f is that number; no gate would hold it);
 * - no gate reads it (its number would vanish);
 * - one of its wires cannot become a parameter: it goes into a port that has another wire too,
 *   or already holds a parameter, or into a node that is not a gate (such a circuit did not
 *   compile in version 1 either, and it is kept as it was);
 * - the copies would take the circuit past `LIMITS.totalEntries` numbers.
 * Kept this way, every other node computes exactly what it did, with the same gradient.
 *
 * Also used when a circuit that still holds `const` nodes is written: files and links of the
 * current version have none.
 */
export function constantsToParams(circuit: Circuit, warnings: string[] = []): Circuit {
  const { nodes, wires } = circuit;
  if (!nodes.some((node) => node.op === 'const')) return circuit;

  // Keyed by ids from the file, so Maps (an id such as "__proto__" is just a key).
  const byId = new Map<string, CircuitNode>();
  for (const node of nodes) if (!byId.has(node.id)) byId.set(node.id, node);
  /** How many wires go into each port of each node. */
  const into = new Map<string, Map<string, number>>();
  /** The wires leaving each constant. */
  const outOf = new Map<string, Wire[]>();
  for (const wire of wires) {
    let ports = into.get(wire.to);
    if (!ports) {
      ports = new Map();
      into.set(wire.to, ports);
    }
    ports.set(wire.port, (ports.get(wire.port) ?? 0) + 1);
    if (byId.get(wire.from)?.op === 'const') {
      const out = outOf.get(wire.from);
      if (out) out.push(wire);
      else outOf.set(wire.from, [wire]);
    }
  }

  let total = 0;
  for (const node of nodes) {
    if (node.value) total += node.value.data.length;
    if (node.params)
      for (const key of Object.keys(node.params)) total += node.params[key].data.length;
  }

  /** The parameters each gate receives, by gate id. */
  const received = new Map<string, Map<string, Tensor>>();
  /** The constants that became parameters (their nodes and wires go). */
  const folded = new Set<CircuitNode>();
  /** The constants kept as inputs. */
  const kept = new Set<CircuitNode>();

  nodes.forEach((node, i) => {
    if (node.op !== 'const' || byId.get(node.id) !== node || !node.value) return;
    const place = nodePlace(i + 1, node.id);
    const out = outOf.get(node.id) ?? [];
    const size = node.value.data.length;
    let why: string | undefined;
    if (circuit.output === node.id) {
      why = 'the output was a constant; it is now an input';
    } else if (out.length === 0) {
      why = 'a constant that no gate reads is now an input';
    } else if (!out.every((wire) => canHold(wire, byId, into, received))) {
      why =
        'a constant wired into a port that cannot hold a number (it has another wire, or is not a gate’s) is now an input';
    } else if (total + size * (out.length - 1) > LIMITS.totalEntries) {
      why =
        `a constant read by ${formatCount(out.length)} gates is now an input: a copy in each ` +
        `would take the circuit past ${formatCount(LIMITS.totalEntries)} numbers`;
    }
    if (why !== undefined) {
      kept.add(node);
      warnings.push(`${place}: ${why}`);
      return;
    }
    total += size * (out.length - 1);
    folded.add(node);
    for (const wire of out) {
      let params = received.get(wire.to);
      if (!params) {
        params = new Map();
        received.set(wire.to, params);
      }
      params.set(wire.port, node.value);
    }
  });

  const lifted: CircuitNode[] = [];
  for (const node of nodes) {
    if (folded.has(node)) continue;
    if (kept.has(node)) {
      lifted.push({ ...node, op: 'input' });
      continue;
    }
    const params = byId.get(node.id) === node ? received.get(node.id) : undefined;
    lifted.push(params ? { ...node, params: withParams(node, params) } : node);
  }
  return {
    nodes: lifted,
    wires: wires.filter((wire) => !folded.has(byId.get(wire.from) as CircuitNode)),
    output: circuit.output,
  };
}

/**
 * Whether the port a constant's wire goes into can hold the constant instead: a port of a
 * gate, with no other wire and no parameter (from the circuit, or from a constant before).
 */
function canHold(
  wire: Wire,
  byId: ReadonlyMap<string, CircuitNode>,
  into: ReadonlyMap<string, ReadonlyMap<string, number>>,
  received: ReadonlyMap<string, ReadonlyMap<string, Tensor>>,
): boolean {
  const target = byId.get(wire.to);
  const op = target && getOp(target.op);
  if (!target || !op || op.kind === 'source') return false;
  if (!op.ports.some((port) => port === wire.port)) return false;
  if (into.get(wire.to)?.get(wire.port) !== 1) return false;
  if (target.params && Object.hasOwn(target.params, wire.port)) return false;
  return !received.get(wire.to)?.has(wire.port);
}

/** The node's parameters and the new ones, in the order of the op's ports. */
function withParams(node: CircuitNode, added: ReadonlyMap<string, Tensor>): Params {
  const all = new Map<string, Tensor>();
  if (node.params) for (const key of Object.keys(node.params)) all.set(key, node.params[key]);
  for (const [port, value] of added) all.set(port, value);
  const ports = getOp(node.op)?.ports ?? [];
  const out: Record<string, Tensor> = Object.create(null);
  for (const port of ports) {
    const value = all.get(port);
    if (value) out[port] = value;
  }
  for (const [key, value] of all) if (!(key in out)) out[key] = value;
  return out;
}

/** Every migration, by the version it starts from. */
export const MIGRATIONS: ReadonlyMap<number, Migration> = new Map<number, Migration>([
  [1, constantsToParams],
]);
