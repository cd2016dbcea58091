/**
 * Composite gates in generated code: each definition is a function pair (forward returns the
 * value and a cache, backward returns each port's gradient), the circuit calls them, and the
 * code runs and reproduces the app's gradients (Python, NumPy, PyTorch where installed,
 * TypeScript). A hand-written local gradient is the formula the code uses.
 */
import { describe, expect, it } from 'vitest';
import { type GeneratedCode, generateCode, type Language } from '../../src/engine/codegen';
import { compile } from '../../src/engine/compile';
import { isComposite } from '../../src/engine/gates/composite';
import { groupGates } from '../../src/engine/gates/group';
import { resolveOp } from '../../src/engine/gates/scope';
import { parse } from '../../src/engine/parse';
import type { Evaluation } from '../../src/engine/program';
import { mulberry32 } from '../../src/engine/random';
import { scalar } from '../../src/engine/tensor';
import type { Circuit, GateDef, PortName } from '../../src/engine/types';
import { nodeId, portName } from '../../src/engine/types';
import { EXAMPLE_SOURCES, type ExampleSource } from '../../src/examples/sources';
import { appGradients, checkLanguage, NUMPY, PYTHON, TORCH } from './run';

/** The gallery's primitive neuron: its sigmoid spelled out as ×−1, exp, +1, 1/x. */
const NEURON = (EXAMPLE_SOURCES.find((e) => e.id === 'neuron-primitive') as ExampleSource).program;
const SIGMOID_GATES = ['mul#4', 'exp#5', 'add#6', 'f'];

function grouped(circuit: Circuit, ids: readonly string[], name: string, reuse?: GateDef) {
  const out = groupGates(circuit, ids, name, reuse ? { reuse } : {});
  if ('error' in out) throw new Error(out.error);
  return out;
}

const run = (circuit: Circuit) => compile(circuit).run();

function code(ev: Evaluation, language: Language): GeneratedCode {
  const c = generateCode(ev, language);
  if (!c.available) throw new Error(c.reason);
  return c;
}

const HAVE: Record<Language, string | null> = {
  python: PYTHON,
  numpy: NUMPY,
  pytorch: TORCH,
  typescript: 'node',
};

/** Each language reproduces the app's gradients (scalar ones only for a scalar circuit). */
function reproduces(name: string, ev: () => Evaluation, scalarToo = true) {
  for (const language of ['python', 'numpy', 'pytorch', 'typescript'] as const) {
    if (!scalarToo && (language === 'python' || language === 'typescript')) continue;
    it.skipIf(!HAVE[language])(`${name}: ${language} reproduces the app's gradients`, () => {
      expect(checkLanguage(ev(), language)).toBeNull();
    });
  }
}

describe('the neuron with its sigmoid grouped into one gate', () => {
  const circuit = grouped(parse(NEURON).circuit, SIGMOID_GATES, 'sigma').circuit;
  const ev = run(circuit);

  it('groups as expected (the engine: one gate fewer ×3, the same gradients)', () => {
    const plain = run(parse(NEURON).circuit);
    expect(circuit.nodes.length).toBe(parse(NEURON).circuit.nodes.length - 3);
    expect(ev.grad('w0')).toBeCloseTo(plain.grad('w0') as number, 12);
  });

  it('writes sigma_forward and sigma_backward, the inside staged as the circuit is', () => {
    const c = code(ev, 'python');
    const lines = c.lines.map((l) => l.text);
    expect(lines).toContain('def sigma_forward(x):');
    expect(lines).toContain('def sigma_backward(df, cache):');
    expect(lines).toContain('    mul_4 = x * (-1.0)');
    expect(lines).toContain('    exp_5 = math.exp(mul_4)');
    expect(lines).toContain('    return f, cache');
    expect(lines).toContain('    return dx');
    // The backward reads only what the forward cached, and the cache holds what it reads.
    expect(lines).toContain('    cache = (exp_5, add_6)  # what sigma_backward needs');
    expect(lines).toContain('    exp_5, add_6 = cache');
    expect(lines).toContain('    dmul_4 = exp_5 * dexp_5  # exp gate: its own output');
    // The closed form of the known function, as a comment.
    expect(c.text).toMatch(/# sigma computes the sigmoid .*: its local gradient is \(1 − f\)·f/);
    // The functions come before the circuit that calls them.
    expect(lines.indexOf('def sigma_forward(x):')).toBeLessThan(lines.indexOf('# inputs'));
  });

  it('calls them from the circuit, the lines tagged with the composite’s steps', () => {
    const c = code(ev, 'python');
    const fwd = c.lines.find((l) => l.text.startsWith('f, sigma_cache = sigma_forward(dot)'));
    expect(fwd?.step).toEqual({ kind: 'forward', node: 'f' });
    const bwd = c.lines.find((l) => l.text.startsWith('ddot = sigma_backward(df, sigma_cache)'));
    expect(bwd?.step).toEqual({ kind: 'backward', node: 'f' });
    expect(bwd?.text).toContain('# sigma gate: its own backward');
    // Lines inside the functions belong to no step (they serve every use).
    const inside = c.lines.filter((l) => l.text.startsWith('    '));
    expect(inside.length).toBeGreaterThan(8);
    expect(inside.every((l) => l.step === null)).toBe(true);
    // Every forward and backward step of the circuit still has its lines.
    const steps = new Set(
      c.lines.filter((l) => l.step?.kind === 'backward').map((l) => l.step?.node),
    );
    expect([...steps].sort()).toEqual(['add#3', 'dot', 'f', 'mul#1', 'mul#2']);
  });

  it('TypeScript and NumPy write the same pair; PyTorch a function autograd goes through', () => {
    const ts = code(ev, 'typescript').text;
    expect(ts).toContain('function sigma_forward(x: number) {');
    expect(ts).toContain('const [f, sigma_cache] = sigma_forward(dot);');
    expect(ts).toContain('let ddot = sigma_backward(df, sigma_cache);');
    const np = code(ev, 'numpy').text;
    expect(np).toContain('    exp_5 = np.exp(mul_4)');
    expect(np).toContain('ddot = sigma_backward(df, sigma_cache)');
    const torch = code(ev, 'pytorch').text;
    expect(torch).toContain('def sigma(x):');
    expect(torch).toMatch(/^f = sigma\(dot\) {2}# \(5\)$/m);
  });

  reproduces('grouped sigmoid', () => ev);
});

describe('a composite with two ports, one of them read twice inside, its input forking', () => {
  // q = a * b + exp(b) grouped; a also feeds f directly, so da adds up.
  const source = parse('a = 1.5\nb = -0.7\nc = 2\nq = a * b + exp(b)\nf = q * c + a').circuit;
  const g = grouped(source, ['mul#1', 'exp#2', 'q'], 'mix');
  const ev = run(g.circuit);

  it('returns both gradients and adds each where it goes (= first, += at a fork)', () => {
    expect(g.def.ports).toEqual(['a', 'b']);
    const c = code(ev, 'python');
    expect(c.text).toMatch(/^def mix_forward\(a, b\):$/m);
    expect(c.text).toMatch(/^ {4}return da, db$/m);
    // Inside, b forks (it feeds the product and exp): its gradient adds up there too.
    expect(c.text).toMatch(/^ {4}db \+= .*b forks: its gradients add up$/m);
    const lines = c.lines.map((l) => l.text);
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    // a already has a gradient from f's add when mix's backward runs: partials, then +=.
    expect(at('da_from_q, db_from_q = mix_backward(dq, mix_cache)')).toBeGreaterThan(0);
    expect(
      lines.some((l) => /^da \+= da_from_q {2}# .*a forks: its gradients add up/.test(l)),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('db = db_from_q'))).toBe(true);
  });

  reproduces('two ports', () => ev);
});

describe('composites nest: a gate made of an add and the sigma gate', () => {
  const first = grouped(parse(NEURON).circuit, SIGMOID_GATES, 'sigma').circuit;
  const nested = grouped(first, ['dot', 'f'], 'unit');
  const ev = run(nested.circuit);

  it('writes sigma’s pair before unit’s, and unit’s inside calls and caches sigma', () => {
    expect(nested.def.body.nodes.some((n) => n.op === 'sigma')).toBe(true);
    const c = code(ev, 'python');
    const lines = c.lines.map((l) => l.text);
    const where = (l: string) => lines.indexOf(l);
    expect(where('def sigma_backward(df, cache):')).toBeLessThan(where('def unit_forward(a, b):'));
    expect(lines).toContain('    f, sigma_cache = sigma_forward(dot)');
    expect(lines).toContain(
      '    ddot = sigma_backward(df, sigma_cache)  # sigma gate: its own backward (sigmoid: (1 − σ)·σ)',
    );
    expect(lines.some((l) => /^ {4}cache = \(.*sigma_cache.*\)/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('f, unit_cache = unit_forward(add_3, w2)'))).toBe(true);
  });

  reproduces('nested', () => ev);
});

describe('a composite with a literal in one port', () => {
  // mix(a, b) = a * b + exp(b), used as mix(x, 0.4): the literal goes in as an argument.
  const body = parse('a = 0\nb = 0\nab = a * b\neb = exp(b)\nq = ab + eb').circuit;
  const def: GateDef = { name: 'mix', ports: [portName('a'), portName('b')], body };
  const circuit: Circuit = {
    nodes: [
      { id: nodeId('x'), op: 'input', value: scalar(1.25) },
      { id: nodeId('y'), op: 'input', value: scalar(-2) },
      { id: nodeId('m'), op: 'mix', params: { b: scalar(0.4) } },
      { id: nodeId('f'), op: 'mul' },
    ],
    wires: [
      { from: nodeId('x'), to: nodeId('m'), port: portName('a') },
      { from: nodeId('m'), to: nodeId('f'), port: portName('a') },
      { from: nodeId('y'), to: nodeId('f'), port: portName('b') },
    ],
    output: nodeId('f'),
    gates: [def],
  };
  const ev = run(circuit);

  it('passes the literal and keeps only the wired port’s gradient', () => {
    // The app: df/dx = y · 0.4.
    expect(ev.grad('x')).toBeCloseTo(-2 * 0.4, 12);
    const c = code(ev, 'python');
    expect(c.text).toContain('m, mix_cache = mix_forward(x, 0.4)');
    expect(c.text).toMatch(/^dx_from_m, _ = mix_backward\(dm, mix_cache\)/m);
    expect(c.text).toMatch(/^dx = dx_from_m /m);
    expect(code(ev, 'typescript').text).toContain(
      'const [dx_from_m, ] = mix_backward(dm, mix_cache);',
    );
  });

  reproduces('literal port', () => ev);
});

describe('one definition used twice', () => {
  // p and q are both sigmoids; f reads p twice (p forks).
  const source = parse(
    'x = 0.5\ny = -1.2\np = 1 / (1 + exp(x * -1))\nq = 1 / (1 + exp(y * -1))\nf = p * q + p',
  ).circuit;
  const pGates = ['mul#1', 'exp#2', 'add#3', 'p'];
  const qGates = ['mul#4', 'exp#5', 'add#6', 'q'];
  const once = grouped(source, pGates, 'sigma');
  const twice = grouped(once.circuit, qGates, 'sigma', once.def);
  const ev = run(twice.circuit);

  it('writes the pair once and gives each use its own cache', () => {
    expect(twice.circuit.gates?.length).toBe(1);
    expect(twice.circuit.nodes.filter((n) => n.op === 'sigma').map((n) => n.id)).toEqual([
      'p',
      'q',
    ]);
    const c = code(ev, 'python');
    expect(c.text.match(/^def sigma_forward/gm)?.length).toBe(1);
    expect(c.text).toContain('p, sigma_cache = sigma_forward(x)');
    expect(c.text).toContain('q, sigma_cache_2 = sigma_forward(y)');
    expect(c.text).toContain('dy = sigma_backward(dq, sigma_cache_2)');
    expect(c.text).toContain('dx = sigma_backward(dp, sigma_cache)');
    expect(c.text).toMatch(/^dp \+= .*p forks: its gradients add up {2}\(\d\)$/m);
  });

  reproduces('used twice', () => ev);
});

describe('a composite on a matrix: the sigmoid of a 2×3, entry by entry', () => {
  const source = parse(
    'X = [[1, -2, 0.5], [0.3, 2, -1]]\nW = [[0.2, -0.4, 1], [1.5, 0.1, -0.3]]\nS = 1 / (1 + exp(X * -1))\nf = sum(S * W)',
  ).circuit;
  const g = grouped(source, ['mul#1', 'exp#2', 'add#3', 'S'], 'sigma');
  const ev = run(g.circuit);

  it('writes NumPy on the whole array; scalar Python says why it does not apply', () => {
    expect(ev.program.shapes[ev.program.slot('S')]).toEqual([2, 3]);
    const c = code(ev, 'numpy');
    expect(c.text).toContain('def sigma_forward(x):');
    expect(c.text).toContain('S, sigma_cache = sigma_forward(X)');
    expect(c.text).toMatch(/ports of shape 2×3/);
    const py = generateCode(ev, 'python');
    expect(py.available ? '' : py.reason).toMatch(/plain numbers only: see NumPy or PyTorch/);
  });

  reproduces('matrix', () => ev, false);
});

describe('a composite with a hand-written local gradient', () => {
  // As a typed definition makes it: the output has an id of its own (log#3), no name.
  const named = parse('x = 0\nsp = log(1 + exp(x))').circuit;
  const auto = (id: string) => nodeId(id === 'sp' ? 'log#3' : id);
  const softplusBody: Circuit = {
    nodes: named.nodes.map(({ label: _, ...n }) => ({ ...n, id: auto(n.id) })),
    wires: named.wires.map((w) => ({ ...w, from: auto(w.from), to: auto(w.to) })),
    output: nodeId('log#3'),
  };
  const softplus = (formula: string): GateDef => ({
    name: 'softplus',
    ports: [portName('x')],
    body: softplusBody,
    derivatives: [{ text: formula, body: parse(`x = 0\nlocal = ${formula}`).circuit }],
  });
  const circuit = (def: GateDef): Circuit => ({
    nodes: [
      { id: nodeId('y'), op: 'input', value: scalar(0.8) },
      { id: nodeId('z'), op: 'input', value: scalar(-0.3) },
      { id: nodeId('s'), op: 'softplus' },
      { id: nodeId('f'), op: 'mul' },
    ],
    wires: [
      { from: nodeId('y'), to: nodeId('s'), port: portName('x') },
      { from: nodeId('s'), to: nodeId('f'), port: portName('a') },
      { from: nodeId('z'), to: nodeId('f'), port: portName('b') },
    ],
    output: nodeId('f'),
    gates: [def],
  });
  const exact = circuit(softplus('sigmoid(x)'));
  const ev = run(exact);

  it('the backward uses the written formula, said so in a comment, and no backprop inside', () => {
    const op = resolveOp('softplus', exact.gates);
    expect(isComposite(op) && op.composite.written[0]).toBe(true);
    const c = code(ev, 'python');
    const backward = c.text.slice(
      c.text.indexOf('def softplus_backward'),
      c.text.indexOf('# inputs'),
    );
    expect(backward).toContain(
      "# d/dx = sigmoid(x): written by hand (it passed the app's check), used instead of backprop inside",
    );
    expect(backward).toMatch(/^ {4}local = 1\.0 \/ \(1\.0 \+ math\.exp\(-x\)\)$/m);
    // The inside's output, unnamed, is out, and its gradient dout.
    expect(backward).toContain('def softplus_backward(dout, cache):');
    expect(backward).toMatch(/^ {4}dx = local \* dout$/m);
    expect(backward).not.toContain('# backprop');
    // The known function's closed form is given too.
    expect(backward).toMatch(
      /softplus computes the softplus log\(1 \+ e\^x\): its local gradient is σ\(x\)/,
    );
    const torch = code(ev, 'pytorch').text;
    expect(torch).toContain('class softplus_fn(torch.autograd.Function):');
    expect(torch).toContain('s = softplus_fn.apply(y)  # (1)');
  });

  reproduces('written sigmoid(x)', () => ev);

  // A formula a hair off (1e-7) still passes the check at 1e-4, so the app uses it: the code
  // must use it too, and then its gradient differs from backprop's by more than 1e-9.
  const off = circuit(softplus('sigmoid(x) + 0.0000001'));
  const offEv = run(off);
  it('a slightly different written formula gives the app other numbers than backprop', () => {
    const op = resolveOp('softplus', off.gates);
    expect(isComposite(op) && op.composite.written[0]).toBe(true);
    const backprop = run({ ...off, gates: [{ ...softplus('x'), derivatives: [] }] });
    const a = appGradients(offEv).get('y') as number;
    const b = appGradients(backprop).get('y') as number;
    expect(Math.abs(a - b)).toBeGreaterThan(1e-8);
  });
  reproduces('written formula, slightly off', () => offEv);
});

describe('names stay names', () => {
  // The gate is called constructor; inputs are called sigma_forward-like names and __proto__.
  const source = parse(
    NEURON.replace(/\bw0\b/g, '__proto__')
      .replace(/\bx0\b/g, 'constructor_forward')
      .replace(/\bw1\b/g, 'constructor_cache'),
  ).circuit;
  const g = grouped(source, SIGMOID_GATES, 'constructor');
  const ev = run(g.circuit);

  it('functions and caches get names no input has', () => {
    const c = code(ev, 'python');
    expect(c.text).toMatch(/^constructor_forward = -1\.0$/m);
    expect(c.text).toMatch(/^def constructor_2_forward\(x\):$/m);
    expect(c.text).toContain('f, constructor_2_cache = constructor_2_forward(dot)');
    expect(Object.hasOwn(Object.prototype, 'x')).toBe(false);
  });

  reproduces('hostile names', () => ev);
});

describe('PyTorch with a hand-written gradient in a gate of two ports', () => {
  // pw(a, b) = a * exp(b), with d/da = exp(b) written; d/db comes from autograd inside.
  const body = parse('a = 0\nb = 0\neb = exp(b)\nq = a * eb').circuit;
  const def: GateDef = {
    name: 'pw',
    ports: [portName('a'), portName('b')] as PortName[],
    body,
    derivatives: [{ text: 'exp(b)', body: parse('a = 0\nb = 0\nlocal = exp(b)').circuit }, null],
  };
  const circuit: Circuit = {
    nodes: [
      { id: nodeId('u'), op: 'input', value: scalar(0.6) },
      { id: nodeId('v'), op: 'input', value: scalar(-0.9) },
      { id: nodeId('g'), op: 'pw' },
      { id: nodeId('f'), op: 'mul' },
    ],
    wires: [
      { from: nodeId('u'), to: nodeId('g'), port: portName('a') },
      { from: nodeId('v'), to: nodeId('g'), port: portName('b') },
      { from: nodeId('g'), to: nodeId('f'), port: portName('a') },
      { from: nodeId('u'), to: nodeId('f'), port: portName('b') },
    ],
    output: nodeId('f'),
    gates: [def],
  };
  const ev = run(circuit);

  it('mixes the written formula for a with backprop inside for b', () => {
    const c = code(ev, 'python');
    const backward = c.text.slice(c.text.indexOf('def pw_backward'), c.text.indexOf('# inputs'));
    expect(backward).toContain('# d/da = exp(b): written by hand');
    expect(backward).toMatch(/^ {4}db = /m);
    expect(backward).not.toMatch(/^ {4}da = a/m);
  });

  reproduces('mixed written and backprop', () => ev);
});

describe('a wrong written gradient is not used', () => {
  const g = grouped(parse(NEURON).circuit, SIGMOID_GATES, 'sigma');
  const def: GateDef = {
    ...g.def,
    derivatives: [{ text: 'exp(x)', body: parse('x = 0\nlocal = exp(x)').circuit }],
  };
  const circuit: Circuit = { ...g.circuit, gates: [def] };
  const ev = run(circuit);

  it('the backward says so and backprops inside', () => {
    const c = code(ev, 'python');
    expect(c.text).toContain(
      '# the d/dx written by hand disagrees with numerical differences (see the app): backprop inside is used instead',
    );
    expect(c.text).not.toContain('written by hand (it passed');
    expect(c.text).toMatch(/^ {4}dx = \(-1\.0\) \* dmul_4/m);
  });

  reproduces('wrong written gradient', () => ev);
});

describe('a port the inside never reads, and numbers Python cannot hold', () => {
  // first(a, b) = a * 2, with exp(b) computed but not used: b gets a zero gradient.
  const body = parse('a = 0\nb = 0\ndead = exp(b)\nq = a * 2').circuit;
  const def: GateDef = { name: 'first', ports: [portName('a'), portName('b')], body };
  const circuit = (x: number, y = 3): Circuit => ({
    nodes: [
      { id: nodeId('x'), op: 'input', value: scalar(x) },
      { id: nodeId('y'), op: 'input', value: scalar(y) },
      { id: nodeId('q'), op: 'first' },
      { id: nodeId('f'), op: 'sigmoid' },
    ],
    wires: [
      { from: nodeId('x'), to: nodeId('q'), port: portName('a') },
      { from: nodeId('y'), to: nodeId('q'), port: portName('b') },
      { from: nodeId('q'), to: nodeId('f'), port: portName('x') },
    ],
    output: nodeId('f'),
    gates: [def],
  });
  const ev = run(circuit(0.4));

  it('writes the unread port’s gradient as zero', () => {
    expect(ev.grad('y')).toBe(0);
    const c = code(ev, 'python');
    expect(c.text).toMatch(/^ {4}db = 0\.0 {2}# first's value does not depend on b$/m);
    expect(code(ev, 'numpy').text).toMatch(/^ {4}db = np\.zeros_like\(b\)/m);
  });
  reproduces('unread port', () => ev);

  it('scalar Python refuses a circuit whose inside overflows (math.exp raises there)', () => {
    // exp(1000) inside first is infinite, though nothing the output needs is.
    const e = run(circuit(0.4, 1000));
    expect(Number.isFinite(e.grad('x') as number)).toBe(true);
    const c = generateCode(e, 'python');
    expect(c.available ? '' : c.reason).toMatch(
      /NaN or infinite \(at dead inside first\).*see NumPy/,
    );
    expect(generateCode(e, 'numpy').available).toBe(true);
  });
});

describe('composites on arrays: a layer with a product and a bias, one gate at two shapes', () => {
  // layer(a, b, c) = relu(a @ b + c), with c a column added to every column (broadcast).
  const layerSource = parse(
    'W = [[0.2, -0.4, 1], [1.5, 0.1, -0.3]]\nX = [[1, -2], [0.5, 0.3], [2, -1]]\nb = [[0.5], [-1]]\nH = relu(W @ X + b)\nf = sum(H * H)',
  ).circuit;
  const layer = grouped(layerSource, ['matmul#1', 'add#2', 'H'], 'layer');
  const layerEv = run(layer.circuit);

  it('writes the layer as the notes do: dW = dD.dot(X.T), db summed over the columns', () => {
    const c = code(layerEv, 'numpy');
    expect(c.text).toMatch(/^def layer_forward\(a, b, c\):$/m);
    expect(c.text).toMatch(/^ {4}da = dmatmul_1\.dot\(b\.T\)/m);
    expect(c.text).toMatch(/^ {4}dc = np\.sum\(.*, axis=1, keepdims=True\)/m);
    expect(c.text).toContain('dW, dX, db = layer_backward(dH, layer_cache)');
  });
  reproduces('layer', () => layerEv, false);

  // The sigmoid grouped twice: once over a 2×2, once over a number.
  const twoShapes = parse(
    'X = [[1, -2], [0.5, 0.3]]\nt = 0.7\nS = 1 / (1 + exp(X * -1))\ns = 1 / (1 + exp(t * -1))\nf = sum(S) * s',
  ).circuit;
  const once = grouped(twoShapes, ['mul#1', 'exp#2', 'add#3', 'S'], 'sigma');
  const both = grouped(once.circuit, ['mul#4', 'exp#5', 'add#6', 's'], 'sigma', once.def);
  const bothEv = run(both.circuit);

  it('a definition used at two shapes gets a pair for each', () => {
    const c = code(bothEv, 'numpy');
    expect(c.text).toContain('S, sigma_cache = sigma_forward(X)');
    expect(c.text).toContain('s, sigma_2_cache = sigma_2_forward(t)');
  });
  reproduces('one gate at two shapes', () => bothEv, false);

  // A composite as the output of a matrix circuit, from a random upstream gradient.
  const outSource = parse('X = [[1, -2, 0.5], [0.3, 2, -1]]\nS = 1 / (1 + exp(X * -1))').circuit;
  const outGrouped = grouped(outSource, ['mul#1', 'exp#2', 'add#3', 'S'], 'sigma');
  const seed = { kind: 'random', seed: 7 } as const;
  const outEv = compile(outGrouped.circuit).run(undefined, { seed });
  it.skipIf(!NUMPY)('the output a composite, a random upstream gradient: NumPy', () => {
    expect(checkLanguage(outEv, 'numpy', seed)).toBeNull();
  });
  it.skipIf(!TORCH)('the output a composite, a random upstream gradient: PyTorch', () => {
    expect(checkLanguage(outEv, 'pytorch', seed)).toBeNull();
  });
});

describe("the notes' neuron with lists, its sigmoid grouped", () => {
  const source = parse(
    'w = [2, -3, -3]\nx = [-1, -2]\ndot = w[0]*x[0] + w[1]*x[1] + w[2]\nf = 1.0 / (1 + exp(-dot))',
  ).circuit;
  const g = grouped(source, ['neg#9', 'exp#10', 'add#11', 'f'], 'sigma');
  const ev = run(g.circuit);
  it('Python keeps the lists and calls sigma on dot', () => {
    const c = code(ev, 'python');
    expect(c.text).toContain('dw = [0.0, 0.0, 0.0]');
    expect(c.text).toContain('f, sigma_cache = sigma_forward(dot)');
  });
  reproduces('lists', () => ev);
});

/** A random scalar program: forks, literals and most elementwise ops. */
function randomProgram(seed: number): string {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const lines = ['a = 0.7', 'b = -1.3', 'c = 2.1'];
  const names = ['a', 'b', 'c'];
  for (let i = 0; i < 9; i++) {
    const x = pick(names);
    const y = pick(names);
    lines.push(
      `t${i} = ${pick([
        `${x} + ${y}`,
        `${x} * ${y}`,
        `${x} - ${y} * 2`,
        `tanh(${x})`,
        `exp(${x} * -0.5)`,
        `${x} / (1 + ${y} * ${y})`,
        `max(${x}, ${y})`,
        `sigmoid(${x}) * ${y}`,
        `${x} ** 2`,
      ])}`,
    );
    names.push(`t${i}`);
  }
  lines.push(`f = ${names.slice(-3).join(' + ')}`);
  return lines.join('\n');
}

/** Groups random connected sets of gates (two rounds, so some composites nest). */
function randomlyGrouped(seed: number): Circuit {
  const rand = mulberry32(seed * 7919);
  let circuit = parse(randomProgram(seed)).circuit;
  for (let round = 0; round < 2; round++) {
    for (let attempt = 0; attempt < 40; attempt++) {
      const gates = circuit.nodes.filter((n) => n.op !== 'input');
      const start = gates[Math.floor(rand() * gates.length)];
      const chosen = new Set([start.id as string]);
      const size = 2 + Math.floor(rand() * 3);
      for (let k = 0; k < 10 && chosen.size < size; k++) {
        const next = circuit.wires.filter(
          (w) =>
            (chosen.has(w.to) && !chosen.has(w.from)) || (chosen.has(w.from) && !chosen.has(w.to)),
        );
        if (next.length === 0) break;
        const w = next[Math.floor(rand() * next.length)];
        const id = chosen.has(w.to) ? w.from : w.to;
        if (circuit.nodes.find((n) => n.id === id)?.op !== 'input') chosen.add(id);
      }
      const out = groupGates(circuit, [...chosen], `g${round}`);
      if ('error' in out) continue;
      circuit = out.circuit;
      break;
    }
  }
  return circuit;
}

describe('random circuits with random groupings', () => {
  it('some composites nest (a group taken in a later one)', () => {
    const nested = [1, 2, 3, 4, 5].filter((seed) => {
      const gates = randomlyGrouped(seed).gates ?? [];
      return gates.some((def) => def.body.nodes.some((n) => gates.some((g) => g.name === n.op)));
    });
    expect(nested.length).toBeGreaterThan(0);
  });
  for (let seed = 1; seed <= 5; seed++) {
    const circuit = randomlyGrouped(seed);
    const ev = run(circuit);
    it(`circuit ${seed} has composites, and the same gradients as before grouping`, () => {
      expect(circuit.gates?.length ?? 0).toBeGreaterThan(0);
      const plain = appGradients(run(parse(randomProgram(seed)).circuit));
      for (const [id, g] of appGradients(ev)) {
        expect(Math.abs((g as number) - (plain.get(id) as number))).toBeLessThan(1e-9);
      }
    });
    reproduces(`random grouped circuit ${seed}`, () => ev);
  }
});

describe('one value into both ports of a composite', () => {
  // mix(x, x) = x * x + exp(x): dx gets both ports' gradients.
  const body = parse('a = 0\nb = 0\nab = a * b\neb = exp(b)\nq = ab + eb').circuit;
  const def: GateDef = { name: 'mix', ports: [portName('a'), portName('b')], body };
  const circuit: Circuit = {
    nodes: [
      { id: nodeId('x'), op: 'input', value: scalar(0.75) },
      { id: nodeId('m'), op: 'mix' },
    ],
    wires: [
      { from: nodeId('x'), to: nodeId('m'), port: portName('a') },
      { from: nodeId('x'), to: nodeId('m'), port: portName('b') },
    ],
    output: nodeId('m'),
    gates: [def],
  };
  const ev = run(circuit);
  it('adds the second port’s share with +=', () => {
    // d/dx (x² + eˣ) = 2x + eˣ
    expect(ev.grad('x')).toBeCloseTo(1.5 + Math.exp(0.75), 12);
    const c = code(ev, 'python').text;
    expect(c).toContain('dx_from_m, dx_from_m_2 = mix_backward(dm, mix_cache)');
    expect(c).toMatch(/^dx = dx_from_m {2}#/m);
    expect(c).toMatch(/^dx \+= dx_from_m_2 {2}# .*x forks: its gradients add up/m);
  });
  reproduces('one value into both ports', () => ev);
});
