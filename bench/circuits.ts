/**
 * Seeded benchmark circuits, built directly as engine `Circuit` objects.
 */

import { mulberry32 } from '../src/engine/random';
import { randn, scalar } from '../src/engine/tensor';
import type { Circuit, CircuitNode, NodeId, PortName, Tensor, Wire } from '../src/engine/types';
import { nodeId, portName } from '../src/engine/types';

const A = portName('a');
const B = portName('b');
const X = portName('x');

export interface BuiltCircuit {
  readonly name: string;
  readonly circuit: Circuit;
  /** Nodes that are neither input nor const. */
  readonly gates: number;
  readonly inputs: number;
}

/** Appends nodes and wires; ids are `n0`, `n1`, … in creation order. */
class Builder {
  readonly nodes: CircuitNode[] = [];
  readonly wires: Wire[] = [];
  readonly ids: NodeId[] = [];
  gates = 0;
  inputs = 0;

  input(value: Tensor): number {
    const i = this.nodes.length;
    const id = nodeId(`n${i}`);
    this.ids.push(id);
    this.nodes.push({ id, op: 'input', value });
    this.inputs++;
    return i;
  }

  unary(op: string, x: number): number {
    const i = this.add(op);
    this.wires.push({ from: this.ids[x], to: this.ids[i], port: X });
    return i;
  }

  binary(op: string, a: number, b: number): number {
    const i = this.add(op);
    this.wires.push({ from: this.ids[a], to: this.ids[i], port: A });
    this.wires.push({ from: this.ids[b], to: this.ids[i], port: B });
    return i;
  }

  /** A binary gate with a literal `c` in one port (`side`) and node `x` wired into the other. */
  literal(op: string, x: number, c: number, side: 'a' | 'b'): number {
    const i = this.add(op, { [side]: scalar(c) });
    this.wires.push({ from: this.ids[x], to: this.ids[i], port: side === 'a' ? B : A });
    return i;
  }

  /** Appends a whole circuit, ids suffixed with `_k`; returns the index of its output. */
  append(c: Circuit, k: number): number {
    const at = new Map<string, number>();
    for (const node of c.nodes) {
      const i = this.nodes.length;
      const id = nodeId(`${node.id}_${k}`);
      at.set(node.id, i);
      this.ids.push(id);
      this.nodes.push({ ...node, id });
      if (node.op === 'input') this.inputs++;
      else this.gates++;
    }
    for (const w of c.wires) {
      this.wires.push({
        from: this.ids[at.get(w.from) as number],
        to: this.ids[at.get(w.to) as number],
        port: w.port,
      });
    }
    return at.get(c.output as string) as number;
  }

  private add(op: string, params?: Record<string, Tensor>): number {
    const i = this.nodes.length;
    const id = nodeId(`n${i}`);
    this.ids.push(id);
    this.nodes.push(params ? { id, op, params } : { id, op });
    this.gates++;
    return i;
  }

  build(name: string, output: number): BuiltCircuit {
    return {
      name,
      circuit: { nodes: this.nodes, wires: this.wires, output: this.ids[output] },
      gates: this.gates,
      inputs: this.inputs,
    };
  }
}

const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'max'] as const;
const UNARY_OPS = ['relu', 'exp', 'tanh', 'sigmoid', 'neg'] as const;
const MIX = [...BINARY_OPS, ...UNARY_OPS];

const sigmoid = (x: number) => {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
};

function evalBinary(op: string, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    default:
      return Math.max(a, b);
  }
}

function evalUnary(op: string, x: number): number {
  switch (op) {
    case 'relu':
      return Math.max(x, 0);
    case 'exp':
      return Math.exp(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    default:
      return -x;
  }
}

/** Values stay within ±LIMIT (and away from tiny non-zero magnitudes), so nothing overflows. */
const LIMIT = 8;
const TINY = 1e-6;
/** A node left unread for this many creations is read by the next gate. */
const WINDOW = 64;

/**
 * A random mix of scalar gates, about one input per ten gates. Each gate reads earlier nodes,
 * mostly recent ones (geometric distance, mean 8) and sometimes any earlier node; a node left
 * unread for WINDOW creations is read next, so every node reaches the output. Division reads
 * a denominator with |b| ≥ 0.5. The generator tracks values: a gate that would leave
 * [−8, 8] becomes tanh, one that would fall below 1e-6 in magnitude becomes sigmoid. The
 * few nodes still unread at the end are summed into the output with add gates.
 */
export function randomCircuit(targetGates: number, seed: number): BuiltCircuit {
  const rnd = mulberry32(seed);
  const b = new Builder();
  const targetInputs = Math.max(2, Math.round(targetGates / 10));
  const cap = targetGates + targetInputs + WINDOW * 4;
  const val = new Float64Array(cap);
  const read = new Uint8Array(cap);
  let unread = 0;
  let scan = 0; // every node before `scan` has been read

  const markRead = (i: number) => {
    if (!read[i]) {
      read[i] = 1;
      unread--;
    }
  };
  const recent = (): number => {
    const count = b.nodes.length;
    if (rnd() < 0.1) return Math.floor(rnd() * count);
    const d = 1 + Math.floor(-Math.log(1 - rnd()) * 8);
    return Math.max(0, count - d);
  };
  const first = (): number => {
    while (scan < b.nodes.length && read[scan]) scan++;
    if (scan < b.nodes.length - WINDOW) return scan;
    return recent();
  };
  const newInput = () => {
    const x = rnd() * 4 - 2;
    const i = b.input(scalar(x));
    val[i] = x;
    unread++;
  };

  for (let k = 0; k < 4; k++) newInput();
  // Stop when the gates so far plus the add chain for the unread nodes reach the target.
  while (b.gates + unread - 1 < targetGates) {
    if (b.inputs < (targetInputs * b.gates) / targetGates) {
      newInput();
      continue;
    }
    let op: string = MIX[Math.floor(rnd() * MIX.length)];
    const a = first();
    let y: number;
    let i: number;
    if (op === 'div') {
      let d = recent();
      for (let tries = 0; tries < 8 && Math.abs(val[d]) < 0.5; tries++) d = recent();
      if (Math.abs(val[d]) < 0.5) op = 'mul';
      y = evalBinary(op, val[a], val[d]);
      if (Math.abs(y) > LIMIT || !Number.isFinite(y)) {
        op = 'tanh';
      } else if (y !== 0 && Math.abs(y) < TINY) {
        op = 'sigmoid';
      }
      if (op === 'tanh' || op === 'sigmoid') {
        y = evalUnary(op, val[a]);
        i = b.unary(op, a);
        markRead(a);
      } else {
        i = b.binary(op, a, d);
        markRead(a);
        markRead(d);
      }
    } else if ((BINARY_OPS as readonly string[]).includes(op)) {
      const c = recent();
      y = evalBinary(op, val[a], val[c]);
      if (Math.abs(y) > LIMIT || (y !== 0 && Math.abs(y) < TINY)) {
        op = Math.abs(y) > LIMIT ? 'tanh' : 'sigmoid';
        y = evalUnary(op, val[a]);
        i = b.unary(op, a);
        markRead(a);
      } else {
        i = b.binary(op, a, c);
        markRead(a);
        markRead(c);
      }
    } else {
      y = evalUnary(op, val[a]);
      if (Math.abs(y) > LIMIT || (y !== 0 && Math.abs(y) < TINY)) {
        op = Math.abs(y) > LIMIT ? 'tanh' : 'sigmoid';
        y = evalUnary(op, val[a]);
      }
      i = b.unary(op, a);
      markRead(a);
    }
    val[i] = y;
    unread++;
  }
  // Sum whatever is still unread into the output.
  let out = -1;
  const made = b.nodes.length;
  for (let i = 0; i < made; i++) {
    if (read[i]) continue;
    out = out < 0 ? i : b.binary('add', out, i);
  }
  return b.build(`random mix, ${sizeLabel(targetGates)}`, out);
}

/**
 * A multilayer perceptron written out as scalar gates: each neuron is
 * tanh(w₀·x₀ + w₁·x₁ + … + b) built from mul, add and tanh (the last layer has no tanh).
 * Weights and biases are input nodes, so their gradients are what backprop computes.
 */
export function mlpCircuit(layers: readonly number[], seed: number): BuiltCircuit {
  const rnd = mulberry32(seed);
  const gauss = () => {
    const u1 = 1 - rnd();
    const u2 = rnd();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  const b = new Builder();
  let xs: number[] = [];
  for (let j = 0; j < layers[0]; j++) xs.push(b.input(scalar(gauss())));
  for (let l = 1; l < layers.length; l++) {
    const fanIn = layers[l - 1];
    const last = l === layers.length - 1;
    const next: number[] = [];
    for (let n = 0; n < layers[l]; n++) {
      let s = -1;
      for (let j = 0; j < fanIn; j++) {
        const w = b.input(scalar(gauss() / Math.sqrt(fanIn)));
        const p = b.binary('mul', w, xs[j]);
        s = s < 0 ? p : b.binary('add', s, p);
      }
      const bias = b.input(scalar(gauss() * 0.1));
      s = b.binary('add', s, bias);
      next.push(last ? s : b.unary('tanh', s));
    }
    xs = next;
  }
  return b.build(`MLP ${layers.join('-')}`, xs[0]);
}

/** W (256×256) and X (256×64) inputs, D = matmul(W, X), f = sum(D). */
export function matmulCircuit(m: number, k: number, n: number, seed: number): Circuit {
  const W = nodeId('W');
  const Xn = nodeId('X');
  const D = nodeId('D');
  const f = nodeId('f');
  const w = randn(m, k, seed);
  const x = randn(k, n, seed + 1);
  const port = (p: string): PortName => portName(p);
  return {
    nodes: [
      { id: W, op: 'input', value: w },
      { id: Xn, op: 'input', value: x },
      { id: D, op: 'matmul' },
      { id: f, op: 'sum' },
    ],
    wires: [
      { from: W, to: D, port: port('a') },
      { from: Xn, to: D, port: port('b') },
      { from: D, to: f, port: port('x') },
    ],
    output: f,
  };
}

/** The staged example as the notes write it: every number is part of its gate. */
export const STAGED_PROGRAM =
  'x = 3; y = 4; sigy = 1.0 / (1 + exp(-y)); num = x + sigy; sigx = 1.0 / (1 + exp(-x)); xpy = x + y; xpysqr = xpy**2; den = sigx + xpysqr; invden = 1.0 / den; f = num * invden';

/**
 * The expression of micrograd's README, with each `+=` written as a new name (the language
 * assigns a name once): g = 24.7041, ∂g/∂a = 138.8338, ∂g/∂b = 645.5773.
 */
export const MICROGRAD_PROGRAM = [
  'a = -4.0',
  'b = 2.0',
  'c = a + b',
  'd = a * b + b**3',
  'c2 = c + (c + 1)',
  'c3 = c2 + (1 + c2 + (-a))',
  'd2 = d + (d * 2 + relu(b + a))',
  'd3 = d2 + (3 * d2 + relu(b - a))',
  'e = c3 - d3',
  'f = e**2',
  'g = f / 2.0',
  'g2 = g + 10.0 / f',
].join('\n');

/**
 * `copies` copies of a typed program (parsed once), each with its own inputs, their outputs
 * summed into f by a chain of add gates.
 */
export function repeatedProgram(name: string, program: Circuit, copies: number): BuiltCircuit {
  const b = new Builder();
  let out = -1;
  for (let k = 0; k < copies; k++) {
    const o = b.append(program, k);
    out = out < 0 ? o : b.binary('add', out, o);
  }
  return b.build(`${name} ×${copies.toLocaleString('en-US')}`, out);
}

/**
 * A random typed program: the mix of `randomCircuit`, where about half the gates hold a
 * literal as a typed program writes it (`x * -1`, `2 * x`, `x + 1`, `1 - x`, `1 / x`, `x / 2`,
 * `x ** 2`, `x ** 3`, `max(x, 0)`). Values are tracked to stay within ±8 (away from
 * overflow), as in `randomCircuit`; every node reaches the output.
 */
export function typedRandomCircuit(targetGates: number, seed: number): BuiltCircuit {
  const rnd = mulberry32(seed);
  const b = new Builder();
  const val: number[] = [];
  const read: boolean[] = [];
  let unread = 0;
  let scan = 0;
  const targetInputs = Math.max(2, Math.round(targetGates / 10));
  const markRead = (i: number) => {
    if (!read[i]) {
      read[i] = true;
      unread--;
    }
  };
  const made = (i: number, y: number) => {
    val[i] = y;
    read[i] = false;
    unread++;
  };
  const recent = (): number => {
    const count = b.nodes.length;
    if (rnd() < 0.1) return Math.floor(rnd() * count);
    return Math.max(0, count - 1 - Math.floor(-Math.log(1 - rnd()) * 8));
  };
  const first = (): number => {
    while (scan < b.nodes.length && read[scan]) scan++;
    return scan < b.nodes.length - WINDOW ? scan : recent();
  };
  const small = () => [-1, 2, 1, 0.5, 3, -2][Math.floor(rnd() * 6)];
  const ok = (y: number) =>
    Number.isFinite(y) && Math.abs(y) <= LIMIT && (y === 0 || Math.abs(y) >= TINY);
  for (let k = 0; k < 4; k++) {
    const x = rnd() * 4 - 2;
    made(b.input(scalar(x)), x);
  }
  while (b.gates + unread - 1 < targetGates) {
    if (b.inputs < (targetInputs * b.gates) / targetGates) {
      const x = rnd() * 4 - 2;
      made(b.input(scalar(x)), x);
      continue;
    }
    const x = first();
    const vx = val[x];
    const c = small();
    // Literal forms first, then the wired mix; the first that stays in range is taken.
    const forms: [() => number, number][] = [];
    const r = rnd();
    if (r < 0.5) {
      const pick = Math.floor(rnd() * 9);
      const lit: [string, number, 'a' | 'b', number][] = [
        ['mul', -1, 'b', -vx],
        ['mul', c, 'a', c * vx],
        ['add', 1, 'b', vx + 1],
        ['sub', 1, 'a', 1 - vx],
        ['div', 1, 'a', Math.abs(vx) >= 0.5 ? 1 / vx : Number.NaN],
        ['div', 2, 'b', vx / 2],
        ['pow', 2, 'b', vx ** 2],
        ['pow', 3, 'b', vx ** 3],
        ['max', 0, 'b', Math.max(vx, 0)],
      ];
      const [op, lc, side, y] = lit[pick];
      forms.push([() => b.literal(op, x, lc, side), y]);
    } else {
      const y0 = recent();
      const op = MIX[Math.floor(rnd() * MIX.length)];
      if ((BINARY_OPS as readonly string[]).includes(op)) {
        const y =
          op === 'div' && Math.abs(val[y0]) < 0.5 ? Number.NaN : evalBinary(op, vx, val[y0]);
        forms.push([
          () => {
            markRead(y0);
            return b.binary(op, x, y0);
          },
          y,
        ]);
      } else {
        forms.push([() => b.unary(op, x), evalUnary(op, vx)]);
      }
    }
    forms.push([() => b.unary('tanh', x), Math.tanh(vx)]);
    forms.push([() => b.unary('sigmoid', x), sigmoid(vx)]);
    const [build, y] = forms.find(([, y]) => ok(y)) ?? forms[forms.length - 1];
    const i = build();
    markRead(x);
    made(i, y);
  }
  let out = -1;
  const count = b.nodes.length;
  for (let i = 0; i < count; i++) {
    if (read[i]) continue;
    out = out < 0 ? i : b.binary('add', out, i);
  }
  return b.build(`random typed program, ${sizeLabel(targetGates)}`, out);
}

export function sizeLabel(n: number): string {
  const e = Math.round(Math.log10(n));
  return 10 ** e === n ? `10^${e}` : String(n);
}
