/**
 * Group and Expand: a connected set of gates with one output becomes one composite gate, and
 * a composite gate becomes the gates it is made of again. Pure functions of a circuit.
 *
 * The composite takes the id (and name) of the group's output gate, so whatever read that
 * gate reads the composite, and the output and its upstream gradient stay where they were.
 * The inside keeps the gates' ids, names, literals and positions (with the place the
 * composite was put, `anchor`), so expanding a composite that has not moved puts every gate
 * back exactly where it was: expand(group(c)) is c.
 */
import { getOp } from '../ops';
import { scalar } from '../tensor';
import type {
  Circuit,
  CircuitNode,
  GateDef,
  NodeId,
  PortName,
  Position,
  Tensor,
  Wire,
} from '../types';
import { nodeId, portName } from '../types';
import { isComposite } from './composite';
import { gateNameProblem, resolveOp } from './scope';

export interface Grouped {
  readonly circuit: Circuit;
  /** The composite gate (it has the output gate's id). */
  readonly id: NodeId;
  readonly def: GateDef;
}

export type GroupOutcome = Grouped | { readonly error: string };

export interface GroupOptions {
  /** Where to put the composite (by default, the middle of the gates it replaces). */
  readonly position?: Position;
  /**
   * A definition to reuse when the gates compute exactly its inside (Collapse after Expand);
   * otherwise the group gets a new definition named `name`.
   */
  readonly reuse?: GateDef;
}

const list = (ids: Iterable<string>, max = 4) => {
  const all = [...ids];
  return all.length <= max
    ? all.join(', ')
    : `${all.slice(0, max).join(', ')} and ${all.length - max} more`;
};

/** Why these gates cannot be grouped, or what goes in and comes out of the group. */
export function groupShape(
  circuit: Circuit,
  ids: readonly string[],
):
  | { readonly error: string }
  | { readonly members: ReadonlySet<string>; readonly output: NodeId; readonly sources: NodeId[] } {
  const byId = new Map<string, CircuitNode>();
  for (const node of circuit.nodes) byId.set(node.id, node);
  const members = new Set<string>();
  for (const id of ids) {
    const node = byId.get(id);
    if (node === undefined) return { error: `there is no node '${id}' to group` };
    if (node.op === 'input' || node.op === 'const') {
      return {
        error: `${id} is an input: a group holds gates only (leave ${id} out of the selection)`,
      };
    }
    members.add(id);
  }
  if (members.size === 0) return { error: 'select the gates to group first (two or more)' };
  if (members.size < 2) return { error: 'a group needs two gates or more: select the others too' };

  // Outputs: members read from outside, or the circuit's output.
  const outputs = new Map<string, string[]>();
  const sources: NodeId[] = [];
  const sourceSet = new Set<string>();
  const links = new Map<string, Set<string>>();
  for (const id of members) links.set(id, new Set());
  // Sources in the order the members read them (members in node order, ports in wire order).
  const wiresInto = new Map<string, Wire[]>();
  for (const w of circuit.wires) {
    const fromIn = members.has(w.from);
    const toIn = members.has(w.to);
    if (fromIn && !toIn) {
      const readers = outputs.get(w.from) ?? [];
      readers.push(w.to);
      outputs.set(w.from, readers);
    }
    if (fromIn && toIn) {
      links.get(w.from)?.add(w.to);
      links.get(w.to)?.add(w.from);
    }
    if (toIn) {
      const into = wiresInto.get(w.to) ?? [];
      into.push(w);
      wiresInto.set(w.to, into);
    }
  }
  for (const node of circuit.nodes) {
    if (!members.has(node.id)) continue;
    const op = resolveOp(node.op, circuit.gates);
    const into = wiresInto.get(node.id) ?? [];
    const ports = op?.ports ?? [];
    const ordered = [...into].sort((a, b) => ports.indexOf(a.port) - ports.indexOf(b.port));
    for (const w of ordered) {
      if (!members.has(w.from) && !sourceSet.has(w.from)) {
        sourceSet.add(w.from);
        sources.push(w.from);
      }
    }
  }
  if (circuit.output !== null && members.has(circuit.output) && !outputs.has(circuit.output)) {
    outputs.set(circuit.output, ['the output']);
  }
  // Connected, ignoring the direction of the wires.
  const first = members.values().next().value as string;
  const reached = new Set([first]);
  const stack = [first];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    for (const next of links.get(id) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        stack.push(next);
      }
    }
  }
  if (reached.size < members.size) {
    const apart = [...members].filter((id) => !reached.has(id));
    return {
      error: `these gates are not connected: ${list(apart)} ${apart.length === 1 ? 'is' : 'are'} not wired to ${list(reached)}; group gates that form one piece`,
    };
  }
  if (outputs.size === 0) {
    return { error: `nothing outside the group reads ${list(members)}: a group needs one output` };
  }
  if (outputs.size > 1) {
    const named = [...outputs].map(([id, readers]) => `${id} (read by ${list(readers, 2)})`);
    return {
      error: `the group has ${outputs.size} outputs: ${list(named, 3)}; a gate has one output, so select the gates up to one value`,
    };
  }
  if (sources.length === 0) {
    return {
      error: `the group has no inputs: ${list(members)} read no value from outside, so they would be a constant; select gates that read an input`,
    };
  }
  const output = nodeId([...outputs.keys()][0]);
  // A path that leaves the group and comes back would make the composite feed itself.
  const cycle = leavesAndReturns(circuit, members, sourceSet);
  if (cycle) {
    return {
      error: `${cycle} is computed from the group and feeds it too: grouping would make a cycle; include ${cycle} or leave out what reads it`,
    };
  }
  return { members, output, sources };
}

/** A node outside the group that is downstream of it and feeds it, if any. */
function leavesAndReturns(
  circuit: Circuit,
  members: ReadonlySet<string>,
  sources: ReadonlySet<string>,
): string | undefined {
  const readers = new Map<string, string[]>();
  for (const w of circuit.wires) {
    const r = readers.get(w.from) ?? [];
    r.push(w.to);
    readers.set(w.from, r);
  }
  const seen = new Set<string>();
  const stack: string[] = [];
  for (const id of members) {
    for (const r of readers.get(id) ?? []) if (!members.has(r)) stack.push(r);
  }
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    if (sources.has(id)) return id;
    for (const r of readers.get(id) ?? []) if (!members.has(r)) stack.push(r);
  }
  return undefined;
}

/** Port names for n inputs: x for one, a, b, c… for more; never an id used inside. */
function portNames(n: number, taken: ReadonlySet<string>): PortName[] {
  const base =
    n === 1 ? ['x'] : Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26)));
  const names: PortName[] = [];
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    let name = n > 26 ? `${base[i]}${Math.floor(i / 26) || ''}` : base[i];
    let k = 1;
    while (taken.has(name) || used.has(name)) name = `${base[i]}${k++}`;
    used.add(name);
    names.push(portName(name));
  }
  return names;
}

const GATE_SIZE = { width: 96, height: 56 };

/** Where a composite replacing these nodes goes: the middle of their box. */
function middleOf(nodes: readonly CircuitNode[]): Position | undefined {
  const placed = nodes.filter((n) => n.position !== undefined);
  if (placed.length === 0) return undefined;
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const n of placed) {
    const p = n.position as Position;
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + GATE_SIZE.width);
    y1 = Math.max(y1, p.y + GATE_SIZE.height);
  }
  return {
    x: Math.round((x0 + x1) / 2 - GATE_SIZE.width / 2),
    y: Math.round((y0 + y1) / 2 - GATE_SIZE.height / 2),
  };
}

/**
 * The selected gates as one composite gate named `name` (a new definition, added after the
 * circuit's others), or why they cannot be grouped.
 */
export function groupGates(
  circuit: Circuit,
  ids: readonly string[],
  name: string,
  options: GroupOptions = {},
): GroupOutcome {
  const shape = groupShape(circuit, ids);
  if ('error' in shape) return shape;
  const { members, output, sources } = shape;
  const gates = circuit.gates ?? [];
  const reuse = options.reuse;
  if (reuse === undefined) {
    const problem = gateNameProblem(name, gates);
    if (problem) return { error: problem };
  }
  const inside = circuit.nodes.filter((n) => members.has(n.id));
  const ports = reuse?.ports ?? portNames(sources.length, members);
  if (ports.length !== sources.length) {
    return {
      error: `these gates read ${sources.length} values, but ${name} takes ${ports.length}`,
    };
  }
  const portOf = new Map<string, PortName>();
  sources.forEach((s, i) => {
    portOf.set(s, ports[i]);
  });
  const bodyWires: Wire[] = [];
  for (const w of circuit.wires) {
    if (!members.has(w.to)) continue;
    const port = portOf.get(w.from);
    bodyWires.push(port === undefined ? w : { from: nodeId(port), to: w.to, port: w.port });
  }
  const portInputs: CircuitNode[] = ports.map((p) => ({
    id: nodeId(p),
    op: 'input',
    value: scalar(0),
  }));
  const body: Circuit = { nodes: [...portInputs, ...inside], wires: bodyWires, output };
  const position = options.position ?? middleOf(inside);
  let def: GateDef;
  if (reuse !== undefined) {
    if (!sameInside(reuse.body, body)) {
      return { error: `these gates no longer compute ${reuse.name}: their inside was changed` };
    }
    def = reuse;
  } else {
    def = position ? { name, ports, body, anchor: position } : { name, ports, body };
  }
  const outputNode = inside.find((n) => n.id === output) as CircuitNode;
  const composite: CircuitNode = {
    id: output,
    op: def.name,
    ...(outputNode.label !== undefined ? { label: outputNode.label } : {}),
    ...(position ? { position } : {}),
  };
  const nodes: CircuitNode[] = [];
  for (const n of circuit.nodes) {
    if (n.id === output) nodes.push(composite);
    else if (!members.has(n.id)) nodes.push(n);
  }
  const wires: Wire[] = [];
  for (const w of circuit.wires) {
    if (members.has(w.to)) continue;
    wires.push(w);
  }
  sources.forEach((s, i) => {
    wires.push({ from: s, to: output, port: ports[i] });
  });
  return {
    circuit: {
      nodes,
      wires,
      output: circuit.output,
      gates: reuse !== undefined ? gates : [...gates, def],
    },
    id: output,
    def,
  };
}

/** Two insides with the same gates, literals and wiring, ids aside (in the same node order). */
export function sameInside(a: Circuit, b: Circuit): boolean {
  if (a.nodes.length !== b.nodes.length || a.wires.length !== b.wires.length) return false;
  const rank = (c: Circuit) => {
    const m = new Map<string, number>();
    c.nodes.forEach((n, i) => {
      m.set(n.id, n.op === 'input' ? -1 - i : i);
    });
    return m;
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < a.nodes.length; i++) {
    const na = a.nodes[i];
    const nb = b.nodes[i];
    if (na.op !== nb.op) return false;
    if (na.op === 'input' && na.id !== nb.id) return false;
    if (!sameParams(na.params, nb.params)) return false;
  }
  const key = (w: Wire, r: Map<string, number>) => `${r.get(w.from)}>${r.get(w.to)}.${w.port}`;
  const wa = new Set(a.wires.map((w) => key(w, ra)));
  if (!b.wires.every((w) => wa.has(key(w, rb)))) return false;
  return a.output !== null && b.output !== null && ra.get(a.output) === rb.get(b.output);
}

function sameParams(a: CircuitNode['params'], b: CircuitNode['params']): boolean {
  const ka = a ? Object.keys(a) : [];
  const kb = b ? Object.keys(b) : [];
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    const ta = (a as Record<string, Tensor>)[k];
    const tb = b && Object.hasOwn(b, k) ? b[k] : undefined;
    if (!tb || ta.data.length !== tb.data.length) return false;
    for (let i = 0; i < ta.data.length; i++) if (!Object.is(ta.data[i], tb.data[i])) return false;
  }
  return true;
}

export interface Expanded {
  readonly circuit: Circuit;
  /** The ids of the gates put back (the last is the composite's id, now its output gate's). */
  readonly ids: readonly NodeId[];
}

/**
 * A composite gate replaced by the gates it is made of, placed where they were around the
 * composite (or in a row, for a definition that was typed), or why not.
 */
export function expandGate(circuit: Circuit, id: string): Expanded | { readonly error: string } {
  const node = circuit.nodes.find((n) => n.id === id);
  if (node === undefined) return { error: `there is no node '${id}'` };
  const op = resolveOp(node.op, circuit.gates);
  if (!isComposite(op)) {
    return {
      error: `${id} is a ${getOp(node.op)?.title ?? node.op} gate, not a composite: there is nothing inside to expand`,
    };
  }
  const def = op.composite.def;
  const ports = new Set<string>(def.ports);
  const taken = new Set<string>(circuit.nodes.map((n) => n.id));
  taken.delete(id);
  // The inside's ids, kept when free, else made unique; its output takes the composite's id.
  const rename = new Map<string, NodeId>();
  for (const inner of def.body.nodes) {
    if (ports.has(inner.id) && inner.op === 'input') continue;
    if (inner.id === def.body.output) {
      rename.set(inner.id, nodeId(id));
      continue;
    }
    let fresh = inner.id as string;
    for (let k = 2; taken.has(fresh) || fresh === id; k++) fresh = `${inner.id}_${k}`;
    taken.add(fresh);
    rename.set(inner.id, nodeId(fresh));
  }
  // What feeds each port of the composite: a wire's source, or its literal.
  const feeds = new Map<string, NodeId>();
  for (const w of circuit.wires) if (w.to === id) feeds.set(w.port, w.from);
  const literals = node.params ?? {};
  const shift = placement(def, node.position);
  const innerNodes: CircuitNode[] = [];
  const params = new Map<string, Record<string, Tensor>>();
  for (const inner of def.body.nodes) {
    const newId = rename.get(inner.id);
    if (newId === undefined) continue;
    const copy: { -readonly [K in keyof CircuitNode]: CircuitNode[K] } = { ...inner, id: newId };
    if (newId === id) {
      if (node.label !== undefined) copy.label = node.label;
      else delete copy.label;
    }
    const at = shift(inner);
    if (at) copy.position = at;
    else delete copy.position;
    innerNodes.push(copy);
  }
  const wires: Wire[] = [];
  for (const w of circuit.wires) if (w.to !== id) wires.push(w);
  for (const w of def.body.wires) {
    const to = rename.get(w.to) as NodeId;
    if (ports.has(w.from) && !rename.has(w.from)) {
      const source = feeds.get(w.from);
      if (source !== undefined) wires.push({ from: source, to, port: w.port });
      else if (Object.hasOwn(literals, w.from)) {
        const record = params.get(to) ?? Object.create(null);
        record[w.port] = literals[w.from];
        params.set(to, record);
      }
      continue;
    }
    wires.push({ from: rename.get(w.from) as NodeId, to, port: w.port });
  }
  const placed = innerNodes.map((n) => {
    const extra = params.get(n.id);
    return extra ? { ...n, params: Object.assign(Object.create(null), n.params ?? {}, extra) } : n;
  });
  const nodes: CircuitNode[] = [];
  for (const n of circuit.nodes) {
    if (n.id === id) nodes.push(...placed);
    else nodes.push(n);
  }
  return {
    circuit: { ...circuit, nodes, wires },
    ids: placed.map((n) => n.id),
  };
}

/**
 * Where each inner gate goes: shifted with the composite from where it was grouped, or, for
 * an inside without positions (a typed definition), in columns by depth around the composite.
 */
function placement(
  def: GateDef,
  at: Position | undefined,
): (inner: CircuitNode) => Position | undefined {
  const anchor = def.anchor;
  if (at === undefined) return () => undefined;
  if (anchor !== undefined && def.body.nodes.every((n) => n.op === 'input' || n.position)) {
    const dx = at.x - anchor.x;
    const dy = at.y - anchor.y;
    return (inner) =>
      inner.position && (dx !== 0 || dy !== 0)
        ? { x: inner.position.x + dx, y: inner.position.y + dy }
        : inner.position;
  }
  // Depth of each inner gate from the ports, for columns.
  const depth = new Map<string, number>();
  for (const n of def.body.nodes) depth.set(n.id, 0);
  for (let pass = 0; pass < def.body.nodes.length; pass++) {
    let changed = false;
    for (const w of def.body.wires) {
      const d = (depth.get(w.from) ?? 0) + 1;
      if (d > (depth.get(w.to) ?? 0)) {
        depth.set(w.to, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const deepest = Math.max(1, ...depth.values());
  const rows = new Map<number, number>();
  return (inner) => {
    const d = depth.get(inner.id) ?? 1;
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    return { x: at.x + (d - deepest) * 150, y: at.y + row * 90 };
  };
}
