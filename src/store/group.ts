/**
 * Group, open and close composite gates, and define and delete the document's own gates: pure
 * functions of the document, on top of the engine's `groupGates` / `expandGate`.
 */
import {
  type Circuit,
  type GateDef,
  isComposite,
  type KnownFunction,
  type NodeId,
  parseGates,
  resolveOp,
} from '../engine';
import { expandGate, groupGates } from '../engine/gates/group';
import { type Doc, docFromCircuit, docToCircuit, type OpenedGate } from './document';

/** The document with a new circuit in place of its nodes, wires and gates. */
function withCircuit(doc: Doc, circuit: Circuit, opened: readonly OpenedGate[] | undefined): Doc {
  const next = docFromCircuit(circuit);
  return {
    ...next,
    expression: null,
    ...(doc.seed ? { seed: doc.seed } : {}),
    ...(opened && opened.length > 0 ? { opened } : {}),
  };
}

/** The gates of `ids`, without the inputs (a group holds gates only). */
export function groupableIds(doc: Doc, ids: readonly string[]): string[] {
  const inputs = new Set(
    doc.nodes.filter((n) => n.op === 'input' || n.op === 'const').map((n) => n.id as string),
  );
  return ids.filter((id) => !inputs.has(id));
}

/** What a selection would make: the reason it cannot be grouped, or what it computes. */
export function groupPreview(
  doc: Doc,
  ids: readonly string[],
):
  | { readonly error: string }
  | { readonly known?: KnownFunction; readonly suggested: string; readonly ports: number } {
  const probe = groupGates(docToCircuit(doc), groupableIds(doc, ids), freeName(doc, 'probe'));
  if ('error' in probe) return probe;
  const op = resolveOp(probe.def.name, probe.circuit.gates);
  const known = isComposite(op) ? op.composite.known : undefined;
  const suggested = freeName(doc, known?.suggestedName ?? 'gate');
  return known
    ? { known, suggested, ports: probe.def.ports.length }
    : { suggested, ports: probe.def.ports.length };
}

/** `base`, or `base2`, `base3`…: the first that names no gate yet. */
export function freeName(doc: Doc, base: string): string {
  const taken = new Set((doc.gates ?? []).map((g) => g.name));
  if (!taken.has(base)) return base;
  for (let k = 2; ; k++) if (!taken.has(`${base}${k}`)) return `${base}${k}`;
}

/** The selected gates as one composite named `name`; the reason when they cannot be. */
export function groupDoc(
  doc: Doc,
  ids: readonly string[],
  name: string,
): { readonly doc: Doc; readonly id: NodeId; readonly def: GateDef } | string {
  const circuit = docToCircuit(doc);
  const result = groupGates(circuit, groupableIds(doc, ids), name.trim());
  if ('error' in result) return result.error;
  return { doc: withCircuit(doc, result.circuit, doc.opened), id: result.id, def: result.def };
}

/** Composite `id` opened in place: its gates put back, in a frame that Collapse folds again. */
export function openDoc(
  doc: Doc,
  id: string,
): { readonly doc: Doc; readonly members: readonly NodeId[] } | string {
  const node = doc.nodes.find((n) => n.id === id);
  if (!node) return `there is no node '${id}'`;
  const result = expandGate(docToCircuit(doc), id);
  if ('error' in result) return result.error;
  const opened = (doc.opened ?? []).filter((o) => o.id !== id);
  opened.push({ id: node.id, gate: node.op, members: result.ids });
  return { doc: withCircuit(doc, result.circuit, opened), members: result.ids };
}

/** The opened composite that gate `id` belongs to (or is), if any. */
export function openedOf(doc: Doc, id: string): OpenedGate | undefined {
  return (doc.opened ?? []).find((o) => o.id === id || o.members.includes(id as NodeId));
}

/** The opened composite `id` belongs to, folded back into one gate of its definition. */
export function closeDoc(
  doc: Doc,
  id: string,
): { readonly doc: Doc; readonly id: NodeId } | string {
  const frame = openedOf(doc, id);
  if (!frame) return `${id} is not inside an opened gate`;
  const def = (doc.gates ?? []).find((g) => g.name === frame.gate);
  const rest = (doc.opened ?? []).filter((o) => o !== frame);
  const present = new Set(doc.nodes.map((n) => n.id as string));
  const members = frame.members.filter((m) => present.has(m));
  if (members.length === 0) return `the gates of ${frame.gate} are no longer on the canvas`;
  const circuit = docToCircuit(doc);
  const position = doc.positions.get(frame.id);
  // The gate goes back where the frame's output is, so Expand then Collapse moves nothing.
  const at = def?.anchor && position ? anchorFor(doc, frame, def) : undefined;
  const options = def ? { reuse: def, ...(at ? { position: at } : {}) } : {};
  let result = groupGates(circuit, members, frame.gate, options);
  if ('error' in result && def && result.error.includes('no longer compute')) {
    // Edited while open: it becomes a gate of its own, with a new name.
    result = groupGates(circuit, members, freeName(doc, frame.gate));
  }
  if ('error' in result) return result.error;
  return { doc: withCircuit(doc, result.circuit, rest), id: result.id };
}

/** Where the composite was when it was opened: its inside was shifted by as much from its anchor. */
function anchorFor(doc: Doc, frame: OpenedGate, def: GateDef) {
  const anchor = def.anchor;
  if (!anchor) return undefined;
  const out = def.body.output;
  const inner = def.body.nodes.find((n) => n.id === out);
  const now = doc.positions.get(frame.id);
  if (!inner?.position || !now) return undefined;
  return { x: anchor.x + (now.x - inner.position.x), y: anchor.y + (now.y - inner.position.y) };
}

/** Gates defined by a program of definitions, added to the document (same names replaced). */
export function defineDoc(
  doc: Doc,
  text: string,
): { readonly doc: Doc; readonly names: readonly string[] } {
  const defined = parseGates(text, { gates: doc.gates ?? [] });
  const names = new Set(defined.map((d) => d.name));
  const gates = (doc.gates ?? []).filter((g) => !names.has(g.name)).concat(defined);
  return { doc: { ...doc, gates }, names: defined.map((d) => d.name) };
}

/** Where gate `name` is used: nodes of the circuit, and other gates made with it. */
export function gateUses(
  doc: Doc,
  name: string,
): { readonly nodes: number; readonly gates: readonly string[] } {
  const nodes = doc.nodes.filter((n) => n.op === name).length;
  const gates = (doc.gates ?? [])
    .filter((g) => g.name !== name && g.body.nodes.some((n) => n.op === name))
    .map((g) => g.name);
  return { nodes, gates };
}

/**
 * Gate `name` removed from the document. Every gate of it on the canvas is expanded first
 * (the circuit computes the same), so nothing the user built is lost; refused while another
 * gate is made with it.
 */
export function deleteGateDoc(doc: Doc, name: string): Doc | string {
  const uses = gateUses(doc, name);
  if (uses.gates.length > 0) {
    return `${name} is used inside ${uses.gates.join(', ')}: delete ${uses.gates.length === 1 ? 'that gate' : 'those gates'} first`;
  }
  let next = doc;
  for (const node of doc.nodes) {
    if (node.op !== name) continue;
    const opened = openDoc(next, node.id);
    if (typeof opened === 'string') return opened;
    // Expanded for good: no frame to fold back into a gate that is gone.
    next = { ...opened.doc, opened: (opened.doc.opened ?? []).filter((o) => o.id !== node.id) };
  }
  return { ...next, gates: (next.gates ?? []).filter((g) => g.name !== name) };
}
