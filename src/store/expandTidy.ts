/**
 * Tidy up for a circuit holding expanded products. The general layout tangles an expansion
 * (every entry gate feeds several products, so the wires cross in a way no column order
 * undoes), while Expand's own placement reads well. So Tidy up lays the circuit out with each
 * expansion collapsed back into one product, then expands those products again in place, and
 * gives each gate of the document the place of the gate that has the same role in the new
 * expansion (the entry of the same operand and index, the product of the same two entries,
 * the add of the same two terms). Node ids, names and wiring are untouched: only positions
 * change.
 */
import { getOp, type Position } from '../engine';
import type { Doc } from './document';
import { collapseProduct, expandProduct, findExpanded, type ShapeOf } from './expand';

type Layout = (doc: Doc) => Map<string, Position>;

/** The positions Tidy up gives `doc`: `layout`'s, with expanded products placed as Expand does. */
export function tidyPositions(doc: Doc, shapeOf: ShapeOf, layout: Layout): Map<string, Position> {
  const roots: string[] = [];
  const inside = new Set<string>();
  for (const n of doc.nodes) {
    // An expansion ends in the gate that assembles D from its entries.
    if (inside.has(n.id) || getOp(n.op)?.syntax.array === undefined) continue;
    const found = findExpanded(doc, n.id, shapeOf);
    if (found?.root !== n.id) continue;
    roots.push(n.id);
    for (const m of found.members) inside.add(m);
  }
  if (roots.length === 0) return layout(doc);

  let collapsed = doc;
  for (const root of roots) {
    const next = collapseProduct(collapsed, root, shapeOf);
    if (typeof next === 'string') return layout(doc);
    collapsed = next;
  }
  let again: Doc = { ...collapsed, positions: layout(collapsed) };
  for (const root of roots) {
    const next = expandProduct(again, root, shapeOf);
    if (typeof next === 'string') return layout(doc);
    again = next;
  }

  // Match the gates by role; if any gate has no counterpart (an expansion typed in another
  // order than Expand writes), the plain layout is the honest answer.
  const table = new Map<string, number>();
  const ours = roles(doc, table);
  const theirs = new Map<number, string>();
  for (const [id, role] of roles(again, table)) theirs.set(role, id);
  const positions = new Map<string, Position>();
  for (const n of doc.nodes) {
    const role = ours.get(n.id);
    const twin = role === undefined ? undefined : theirs.get(role);
    const at = twin === undefined ? undefined : again.positions.get(twin);
    if (at === undefined) return layout(doc);
    positions.set(n.id, at);
  }
  return positions;
}

/**
 * Each node's role: a source by its id; a gate by its op, its literals and the roles of what
 * feeds each port. Two gates computing the same thing from the same sources share a role.
 * Roles are numbered through `table` (shared by the two documents compared), so a role's text
 * names its inputs' numbers and stays short however deep the circuit.
 */
function roles(doc: Doc, table: Map<string, number>): Map<string, number> {
  const number = (key: string) => {
    let n = table.get(key);
    if (n === undefined) {
      n = table.size;
      table.set(key, n);
    }
    return n;
  };
  const byId = new Map(doc.nodes.map((n) => [n.id as string, n]));
  const feeds = new Map<string, { port: string; from: string }[]>();
  for (const w of doc.wires) {
    const list = feeds.get(w.to) ?? [];
    list.push({ port: w.port, from: w.from });
    feeds.set(w.to, list);
  }
  const out = new Map<string, number>();
  // Iterative, in an order where sources come first (the wiring is acyclic).
  const visit = (start: string) => {
    const stack = [start];
    while (stack.length > 0) {
      const id = stack[stack.length - 1];
      if (out.has(id)) {
        stack.pop();
        continue;
      }
      const node = byId.get(id);
      const inputs = feeds.get(id) ?? [];
      const pending = inputs.filter((i) => !out.has(i.from) && byId.has(i.from));
      if (pending.length > 0) {
        for (const i of pending) stack.push(i.from);
        continue;
      }
      stack.pop();
      if (!node || inputs.length === 0) {
        out.set(id, number(`source ${id}`));
        continue;
      }
      const literals = doc.params.get(id) ?? {};
      const lits = Object.keys(literals)
        .sort()
        .map((port) => `${port}=${Array.from(literals[port].data).join(',')}`);
      const ports = inputs
        .map((i) => `${i.port}<${out.get(i.from) ?? number(`source ${i.from}`)}>`)
        .sort()
        .join(' ');
      out.set(id, number(`${node.op}(${lits.join(' ')}|${ports})`));
    }
  };
  for (const n of doc.nodes) visit(n.id);
  return out;
}
