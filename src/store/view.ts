import type { Evaluation, PortName, Program, Value } from '../engine';

/**
 * Numbers the canvas reads by key: a node id for values and gradients, a wire key
 * (`${to}:${port}`, see `wireKey`) for what wires carry back.
 */
export interface NumbersById {
  get(key: string): Value | undefined;
  has(key: string): boolean;
}

/** Whether each node's gradient is complete, by node id. */
export interface DoneById {
  get(id: string): boolean | undefined;
}

/**
 * What the canvas shows. Nothing is copied out of the run when a view is made: every number
 * is read from the evaluation's arrays when asked for, by slot (`valueAt`, `gradAt`,
 * `wireGradAt`) or by id through the readers (`values`, `grads`, `wireGrads`), which look the
 * slot up in the program's index (built once per compile). A tensor read is copied once and
 * then the same object is handed out, so a selector that reads it sees no change until the
 * next run.
 */
export interface View {
  /** Values of nodes (inputs, constants and computed gates), by node id. */
  readonly values: NumbersById;
  /** Gradients ∂f/∂node, by node id. */
  readonly grads: NumbersById;
  /** What each wire carries back (its gate's contribution to its source), by wire key. */
  readonly wireGrads: NumbersById;
  /** Nodes where a NaN or ±∞ first appeared, with the reason (worked out on first use). */
  readonly nonFinite: ReadonlyMap<string, string>;
  /** Problems attached to nodes (missing inputs, shape mismatches…). */
  readonly nodeProblems: ReadonlyMap<string, string>;
  /** Whether each node's gradient is complete; absent means complete (the live view). */
  readonly done?: DoneById;
  /** The program the slots belong to. */
  readonly program: Program;
  /** The slot of a node id, or -1. */
  slot(id: string): number;
  /** The value at a slot, or undefined (not computed yet, or no such slot). */
  valueAt(slot: number): Value | undefined;
  gradAt(slot: number): Value | undefined;
  /** What port `port` (an index into the op's ports) of gate `slot` sends back, if anything. */
  wireGradAt(slot: number, port: number): Value | undefined;
}

/** The problems of a compile, by the first node each names: made once per program. */
export function problemsByNode(program: Program): ReadonlyMap<string, string> {
  const byNode = new Map<string, string>();
  for (const problem of program.problems) {
    const id = problem.nodes[0];
    if (id !== undefined && !byNode.has(id)) byNode.set(id, problem.message);
  }
  return byNode;
}

/** The slot and port index a wire key names, or undefined. */
export function wireSlot(
  program: Program,
  key: string,
): { slot: number; port: number } | undefined {
  // Port names hold no ':', so the last one separates the gate's id from the port.
  const colon = key.lastIndexOf(':');
  if (colon < 0) return undefined;
  const slot = program.slot(key.slice(0, colon));
  if (slot < 0) return undefined;
  const port = program.ops[slot].ports.indexOf(key.slice(colon + 1) as PortName);
  return port < 0 ? undefined : { slot, port };
}

/** By-id readers over a view's slot accessors. */
export abstract class SlotView implements View {
  abstract readonly program: Program;
  abstract readonly nonFinite: ReadonlyMap<string, string>;
  abstract readonly nodeProblems: ReadonlyMap<string, string>;
  readonly done?: DoneById;
  abstract valueAt(slot: number): Value | undefined;
  abstract gradAt(slot: number): Value | undefined;
  abstract wireGradAt(slot: number, port: number): Value | undefined;

  readonly values: NumbersById = {
    get: (id) => this.valueAt(this.slot(id)),
    has: (id) => this.valueAt(this.slot(id)) !== undefined,
  };
  readonly grads: NumbersById = {
    get: (id) => this.gradAt(this.slot(id)),
    has: (id) => this.gradAt(this.slot(id)) !== undefined,
  };
  readonly wireGrads: NumbersById = {
    get: (key) => this.wireGrad(key),
    has: (key) => this.wireGrad(key) !== undefined,
  };

  slot(id: string): number {
    return this.program.slot(id);
  }

  private wireGrad(key: string): Value | undefined {
    const at = wireSlot(this.program, key);
    return at ? this.wireGradAt(at.slot, at.port) : undefined;
  }
}

/** The view of one run, every number of the forward and backward pass. */
export class LiveView extends SlotView {
  readonly program: Program;
  readonly evaluation: Evaluation;
  readonly nodeProblems: ReadonlyMap<string, string>;
  // Tensors read so far, by slot (by port cell for wires); made on the first tensor read.
  private valueCache: (Value | undefined)[] | undefined;
  private gradCache: (Value | undefined)[] | undefined;
  private wireCache: (Value | undefined)[] | undefined;
  private nonFiniteMap: ReadonlyMap<string, string> | undefined;

  constructor(evaluation: Evaluation, nodeProblems: ReadonlyMap<string, string>) {
    super();
    this.program = evaluation.program;
    this.evaluation = evaluation;
    this.nodeProblems = nodeProblems;
  }

  valueAt(slot: number): Value | undefined {
    const p = this.program;
    if (slot < 0 || slot >= p.ids.length) return undefined;
    if (p.shapes[slot].length === 0) return this.evaluation.values[p.offsets[slot]];
    this.valueCache ??= new Array(p.ids.length);
    this.valueCache[slot] ??= this.evaluation.valueAt(slot);
    return this.valueCache[slot];
  }

  gradAt(slot: number): Value | undefined {
    const p = this.program;
    if (slot < 0 || slot >= p.ids.length) return undefined;
    if (p.shapes[slot].length === 0) return this.evaluation.grads[p.offsets[slot]];
    this.gradCache ??= new Array(p.ids.length);
    this.gradCache[slot] ??= this.evaluation.gradAt(slot);
    return this.gradCache[slot];
  }

  wireGradAt(slot: number, port: number): Value | undefined {
    const p = this.program;
    if (slot < 0 || slot >= p.ids.length) return undefined;
    const cell = p.portStart[slot] + port;
    if (port < 0 || cell >= p.portStart[slot + 1]) return undefined;
    const at = p.contributionOffset[cell];
    if (at < 0) return undefined;
    if (p.shapes[p.portSource[cell]].length === 0) return this.evaluation.contributions[at];
    this.wireCache ??= new Array(p.portSource.length);
    this.wireCache[cell] ??= this.evaluation.contribution(slot, port);
    return this.wireCache[cell];
  }

  get nonFinite(): ReadonlyMap<string, string> {
    if (this.nonFiniteMap) return this.nonFiniteMap;
    // Usually every number is finite: one pass over the array says so without a lookup.
    const values = this.evaluation.values;
    let finite = true;
    for (let i = 0; i < values.length && finite; i++) finite = Number.isFinite(values[i]);
    const map = new Map<string, string>();
    if (!finite) {
      for (const origin of this.evaluation.nonFiniteOrigins()) map.set(origin.node, origin.reason);
    }
    this.nonFiniteMap = map;
    return map;
  }
}
