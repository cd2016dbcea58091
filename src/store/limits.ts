/**
 * The editor's side of the one table of limits (src/engine/limits.ts): whether a circuit the
 * user is about to build fits. The store refuses anything that does not, so every circuit it
 * holds can be autosaved, shared and opened again.
 */
import type { Tensor } from '../engine';
import { LIMITS, overLimit } from '../engine/limits';

interface Sized {
  readonly nodes: readonly { readonly id: string; readonly label?: string }[];
  readonly wires: readonly { readonly from: string }[];
}

/** An id as a message quotes it: in quotes, cut short if long. */
function quoted(id: string): string {
  return JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}…` : id);
}

/**
 * The first limit the circuit is over, as a sentence ("the circuit has 12,001 nodes; the limit
 * is 12,000"), or undefined if it fits. `values` are the values of its inputs and constants.
 */
export function limitProblem(circuit: Sized, values: Iterable<Tensor>): string | undefined {
  const { nodes, wires } = circuit;
  if (nodes.length > LIMITS.nodes) {
    return overLimit('the circuit', nodes.length, LIMITS.nodes, 'nodes');
  }
  if (wires.length > LIMITS.wires) {
    return overLimit('the circuit', wires.length, LIMITS.wires, 'wires');
  }
  for (const node of nodes) {
    if (node.id.length > LIMITS.idLength) {
      return overLimit(
        `the name ${quoted(node.id)}`,
        node.id.length,
        LIMITS.idLength,
        'characters',
      );
    }
    if (node.label !== undefined && node.label.length > LIMITS.labelLength) {
      return overLimit(
        `the label of ${quoted(node.id)}`,
        node.label.length,
        LIMITS.labelLength,
        'characters',
      );
    }
  }
  const fanOut = fanOutProblem(wires);
  if (fanOut) return fanOut;
  let total = 0;
  for (const value of values) {
    const n = value.data.length;
    if (n > LIMITS.valueEntries) {
      return overLimit('a value', n, LIMITS.valueEntries, 'numbers');
    }
    total += n;
  }
  if (total > LIMITS.totalEntries) {
    return overLimit('the circuit', total, LIMITS.totalEntries, 'numbers in its values');
  }
  return undefined;
}

/** The fan-out limit: how many wires may leave one node. */
function fanOutProblem(wires: readonly { readonly from: string }[]): string | undefined {
  if (wires.length <= LIMITS.fanOut) return undefined;
  const count = new Map<string, number>();
  for (const w of wires) count.set(w.from, (count.get(w.from) ?? 0) + 1);
  for (const [id, n] of count) if (n > LIMITS.fanOut) return fanOutMessage(id, n);
  return undefined;
}

/** The fan-out sentence, for a node with `count` wires going out. */
export function fanOutMessage(id: string, count: number): string {
  return overLimit(`node ${quoted(id)}`, count, LIMITS.fanOut, 'wires going out (its fan-out)');
}

/** The limit on one value, for a value about to be set. */
export function valueProblem(value: Tensor): string | undefined {
  const n = value.data.length;
  return n > LIMITS.valueEntries
    ? overLimit('the value', n, LIMITS.valueEntries, 'numbers')
    : undefined;
}
