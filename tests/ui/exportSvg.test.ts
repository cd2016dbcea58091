/**
 * The SVG picture is a real vector drawing: well-formed XML with a path per wire, a text for
 * every value and gradient the canvas shows (checked against the cs231n example's numbers,
 * worked out by hand), port names, no foreignObject or image, small, and safe with any name.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/engine/parse';
import type { Circuit } from '../../src/engine/types';
import { wireKey } from '../../src/store/document';
import { type AppStore, createAppStore } from '../../src/store/store';
import {
  circuitSvg,
  DARK_PALETTE,
  escapeXml,
  LIGHT_PALETTE,
  stepCaption,
  xmlId,
} from '../../src/ui/exportSvg';
import { makeNameOf } from '../../src/ui/playback/names';
import { HOSTILE_NAMES } from '../hostileNames';

// ---------------------------------------------------------------------------------------------
// A small XML reader: enough to check well-formedness and to query what was drawn.

interface XmlElement {
  readonly tag: string;
  readonly attrs: Map<string, string>;
  readonly children: XmlElement[];
  /** Text directly inside, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decode(raw: string, where: string): string {
  if (/[<]/.test(raw)) throw new Error(`raw < in ${where}`);
  return raw.replace(/&([^;]*);|&/g, (m, name: string | undefined) => {
    if (name === undefined) throw new Error(`bare & in ${where}`);
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    const e = ENTITIES[name];
    if (e === undefined) throw new Error(`unknown entity ${m} in ${where}`);
    return e;
  });
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** Parses an XML document (declaration, comments, elements, attributes, text); throws if not well-formed. */
function parseXml(xml: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const rest = () => xml.slice(i);
  if (rest().startsWith('<?xml')) {
    const end = xml.indexOf('?>', i);
    if (end < 0) throw new Error('unterminated declaration');
    i = end + 2;
  }
  while (i < xml.length) {
    if (xml[i] === '<') {
      if (xml.startsWith('<!--', i)) {
        const end = xml.indexOf('-->', i);
        if (end < 0) throw new Error('unterminated comment');
        i = end + 3;
        continue;
      }
      if (xml[i + 1] === '/') {
        const end = xml.indexOf('>', i);
        const tag = xml.slice(i + 2, end).trim();
        const open = stack.pop();
        if (!open || open.tag !== tag) throw new Error(`</${tag}> closes <${open?.tag}>`);
        i = end + 1;
        continue;
      }
      // A start tag: name, then attributes, then > or />.
      const m = /^<([^\s/>]+)/.exec(rest());
      if (!m || !NAME.test(m[1])) throw new Error(`bad tag at ${i}: ${rest().slice(0, 30)}`);
      if (root && stack.length === 0) throw new Error('content after the root element');
      i += m[0].length;
      const element: XmlElement = { tag: m[1], attrs: new Map(), children: [], text: '' };
      for (;;) {
        const space = /^\s*/.exec(rest());
        i += space ? space[0].length : 0;
        if (xml.startsWith('/>', i)) {
          i += 2;
          break;
        }
        if (xml[i] === '>') {
          i += 1;
          stack.push(element);
          break;
        }
        const a = /^([^\s=/>]+)="([^"]*)"/.exec(rest());
        if (!a || !NAME.test(a[1])) throw new Error(`bad attribute in <${element.tag}> at ${i}`);
        if (element.attrs.has(a[1])) throw new Error(`attribute ${a[1]} twice in <${element.tag}>`);
        element.attrs.set(a[1], decode(a[2], `attribute ${a[1]}`));
        i += a[0].length;
      }
      const parent = stack[stack.length - (stack[stack.length - 1] === element ? 2 : 1)];
      if (parent) parent.children.push(element);
      else root = element;
      continue;
    }
    const next = xml.indexOf('<', i);
    const raw = xml.slice(i, next < 0 ? xml.length : next);
    const top = stack[stack.length - 1];
    if (top) top.text += decode(raw, `text of <${top.tag}>`);
    else if (raw.trim() !== '') throw new Error('text outside the root element');
    i = next < 0 ? xml.length : next;
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1].tag}> is not closed`);
  if (!root) throw new Error('no root element');
  return root;
}

function all(e: XmlElement, tag?: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (x: XmlElement) => {
    for (const c of x.children) {
      if (tag === undefined || c.tag === tag) out.push(c);
      walk(c);
    }
  };
  walk(e);
  return out;
}

/** What a <text> shows: its own text, without its <title>. */
const shown = (t: XmlElement) => t.text;
const byClass = (e: XmlElement, cls: string) =>
  all(e).filter((x) => (x.attrs.get('class') ?? '').split(' ').includes(cls));
const byId = (e: XmlElement, id: string) => all(e).find((x) => x.attrs.get('id') === id);

// ---------------------------------------------------------------------------------------------

/** cs231n's first example: q = x + y, f = q · z at x = −2, y = 5, z = −4. */
const CS231N = 'x = -2; y = 5; z = -4; q = x + y; f = q * z';
const STAGED =
  'x = 3; y = 4; sigy = 1.0 / (1 + exp(-y)); num = x + sigy; sigx = 1.0 / (1 + exp(-x)); xpy = x + y; xpysqr = xpy**2; den = sigx + xpysqr; invden = 1.0 / den; f = num * invden';

function storeWith(program: string): AppStore {
  const store = createAppStore();
  expect(store.getState().tryLoadCircuit(parse(program).circuit, { expression: program })).toBe(
    undefined,
  );
  return store;
}

function draw(store: AppStore, options: Partial<Parameters<typeof circuitSvg>[1]> = {}) {
  const picture = circuitSvg(store.getState(), { palette: LIGHT_PALETTE, ...options });
  return { ...picture, root: parseXml(picture.svg) };
}

const M = '\u2212';

describe('SVG export', () => {
  it('draws every wire as a path with its value above and gradient below, as hand-worked', () => {
    const store = storeWith(CS231N);
    const { root, svg, width, height } = draw(store);
    expect(root.tag).toBe('svg');
    expect(root.attrs.get('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(Number(root.attrs.get('width'))).toBe(width);
    expect(Number(root.attrs.get('height'))).toBe(height);
    expect(svg).not.toMatch(/foreignObject|<image|xlink:href|@font-face|data:/);

    // The value each wire carries and the gradient flowing back along it.
    const expected = new Map([
      ['q:a', { value: `${M}2`, grad: `${M}4` }],
      ['q:b', { value: '5', grad: `${M}4` }],
      ['f:a', { value: '3', grad: `${M}4` }],
      ['f:b', { value: `${M}4`, grad: '+3' }],
    ]);
    const wires = store.getState().doc.wires;
    expect(wires.map(wireKey).sort()).toEqual([...expected.keys()].sort());
    for (const w of wires) {
      const g = byId(root, xmlId('wire', wireKey(w)));
      expect(g, wireKey(w)).toBeDefined();
      const group = g as XmlElement;
      expect(all(group, 'path')).toHaveLength(1);
      expect(all(group, 'path')[0].attrs.get('d')).toMatch(/^M[\d.\-,\s]+C/);
      const want = expected.get(wireKey(w));
      expect(byClass(group, 'wire-value').map(shown)).toEqual([want?.value]);
      expect(byClass(group, 'wire-grad').map(shown)).toEqual([want?.grad]);
      // Value above the wire's label point, gradient below it.
      const [v] = byClass(group, 'wire-value');
      const [gr] = byClass(group, 'wire-grad');
      expect(Number(v.attrs.get('y'))).toBeLessThan(Number(gr.attrs.get('y')));
    }
    expect(all(byId(root, 'wires') as XmlElement, 'path')).toHaveLength(4);

    // Inputs show their value as typed and their gradient; the output its readout.
    const inputText = (id: string, cls: string) =>
      byClass(byId(root, xmlId('node', id)) as XmlElement, cls).map(shown);
    expect(inputText('x', 'input-value')).toEqual(['-2']);
    expect(inputText('y', 'input-value')).toEqual(['5']);
    expect(inputText('z', 'input-value')).toEqual(['-4']);
    expect(inputText('x', 'input-grad')).toEqual([`∂ ${M}4`]);
    expect(inputText('z', 'input-grad')).toEqual(['∂ +3']);
    const readout = all(byClass(root, 'readout')[0], 'text').map(shown);
    expect(readout).toEqual([`f = ${M}12`, '∂ +1']);

    // Gates: a rect, the op's symbol, the name, and each port with its name.
    for (const [id, symbol] of [
      ['q', '+'],
      ['f', '×'],
    ]) {
      const node = byId(root, xmlId('node', id)) as XmlElement;
      expect(all(node, 'rect').length).toBeGreaterThanOrEqual(1);
      expect(byClass(node, 'gate-symbol').map(shown)).toEqual([symbol]);
      expect(byClass(node, 'gate-name').map(shown)).toEqual([id]);
      expect(byClass(node, 'port-name').map(shown)).toEqual(['a', 'b']);
      // Two input ports and the output port.
      expect(byClass(node, 'port')).toHaveLength(3);
    }
  });

  it('keeps the staged example small, with a text for every label', () => {
    const store = storeWith(STAGED);
    const { root, svg } = draw(store);
    expect(new TextEncoder().encode(svg).length).toBeLessThan(30_000);
    const wires = store.getState().doc.wires.length;
    expect(byClass(root, 'wire-value')).toHaveLength(wires);
    expect(byClass(root, 'wire-grad')).toHaveLength(wires);
    expect(all(root, 'foreignObject')).toHaveLength(0);
    expect(all(root, 'image')).toHaveLength(0);
    // Fonts by generic family only.
    const families = new Set(all(root, 'text').map((t) => t.attrs.get('font-family')));
    families.add(root.attrs.get('font-family'));
    families.delete(undefined);
    expect([...families].sort()).toEqual(['monospace', 'sans-serif']);
  });

  it('draws the playback step: only the numbers computed so far, the step highlighted', () => {
    const store = storeWith(CS231N);
    store.getState().seek(0);
    let { root } = draw(store);
    // Reset: the inputs' values only, no gradient anywhere.
    expect(byClass(root, 'wire-value').map(shown).sort()).toEqual([`${M}2`, `${M}4`, '5'].sort());
    expect(byClass(root, 'wire-grad')).toHaveLength(0);
    expect(byClass(root, 'active-step')).toHaveLength(0);

    // Steps: forward q, forward f, seed, backward through f.
    const steps = store.getState().timeline?.steps ?? [];
    const back = steps.findIndex((s) => s.kind === 'backward' && s.node === 'f');
    expect(back).toBeGreaterThan(0);
    store.getState().seek(back + 1);
    ({ root } = draw(store));
    const f = byId(root, xmlId('node', 'f')) as XmlElement;
    expect(byClass(f, 'active-step')).toHaveLength(1);
    expect(byClass(root, 'active-step')).toHaveLength(1);
    // The wires into f carry their gradients now and are drawn in the gradient's colour.
    for (const key of ['f:a', 'f:b']) {
      const g = byId(root, xmlId('wire', key)) as XmlElement;
      expect(all(g, 'path')[0].attrs.get('stroke')).toBe(LIGHT_PALETTE.grad);
      expect(byClass(g, 'wire-grad')).toHaveLength(1);
    }
    const qa = byId(root, xmlId('wire', 'q:a')) as XmlElement;
    expect(byClass(qa, 'wire-grad')).toHaveLength(0);
    expect(all(qa, 'path')[0].attrs.get('stroke')).toBe(LIGHT_PALETTE.wire);

    // A forward step's caption: the timeline's line, then the same with the values.
    store.getState().seek(1);
    expect(stepCaption(store.getState(), makeNameOf(store.getState().doc))).toEqual([
      `Step 1/${steps.length} · forward: q = x + y = 3`,
      `q = ${M}2 + 5 = 3`,
    ]);
    store.getState().seek(back + 1);

    // The caption: the step's chain rule, one line per input.
    const lines = stepCaption(store.getState(), makeNameOf(store.getState().doc));
    expect(lines[0]).toMatch(new RegExp(`^Step ${back + 1}/${steps.length} · backward through f`));
    expect(lines).toContain(`∂f/∂q += 1 (upstream) × ${M}4 (local) = ${M}4`);
    expect(lines).toContain('∂f/∂z += 1 (upstream) × 3 (local) = 3');
    ({ root } = draw(store, { caption: lines }));
    const caption = all(byId(root, 'caption') as XmlElement, 'text').map(shown);
    expect(caption).toEqual(lines);
  });

  it('uses the theme colours', () => {
    const store = storeWith(CS231N);
    const dark = draw(store, { palette: DARK_PALETTE }).root;
    expect(byId(dark, 'background')?.attrs.get('fill')).toBe(DARK_PALETTE.bg);
    expect(byClass(dark, 'wire-value')[0].attrs.get('fill')).toBe(DARK_PALETTE.value);
    const clear = draw(store, { transparent: true }).root;
    expect(byId(clear, 'background')).toBeUndefined();
  });

  it('escapes every name: Object.prototype names and markup characters', () => {
    const hostileLabel = 'a<b & "c" \'d\' ]]> </svg>';
    const circuit: Circuit = parse(
      `${HOSTILE_NAMES.map((name, i) => `${name} = ${i + 1}`).join('; ')}; out = ${HOSTILE_NAMES.join(' + ')}`,
    ).circuit;
    const store = createAppStore();
    expect(store.getState().tryLoadCircuit(circuit)).toBe(undefined);
    const out = store.getState().doc.nodes.find((n) => n.id === 'out');
    expect(out).toBeDefined();
    expect(store.getState().rename('out', 'total')).toBe(undefined);
    const { root, svg } = draw(store);
    for (const name of HOSTILE_NAMES) {
      const node = byId(root, xmlId('node', name));
      expect(node, name).toBeDefined();
      expect(all(node as XmlElement, 'title')[0].text).toBe(name);
    }
    // Ids are XML names, all different.
    const ids = all(root)
      .map((e) => e.attrs.get('id'))
      .filter((id): id is string => id !== undefined);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z][A-Za-z0-9_-]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('total');

    // A label with markup in it (a file can carry any label) stays text.
    const state = store.getState();
    const doc = {
      ...state.doc,
      nodes: state.doc.nodes.map((n) =>
        n.id === HOSTILE_NAMES[0] ? { ...n, label: hostileLabel } : n,
      ),
    };
    const picture = circuitSvg({ ...state, doc }, { palette: LIGHT_PALETTE });
    const parsed = parseXml(picture.svg);
    const node = byId(parsed, xmlId('node', HOSTILE_NAMES[0])) as XmlElement;
    expect(all(node, 'title')[0].text).toBe(hostileLabel);
    expect(picture.svg).not.toContain('</svg> ');
    expect(svg.match(/<svg/g)).toHaveLength(1);
  });

  it('spells ids so that different names never share one', () => {
    expect(xmlId('node', '__proto__')).toBe('node-__proto__');
    expect(xmlId('node', 'add#3')).toBe('node-add-23-3');
    expect(xmlId('node', 'a-b')).not.toBe(xmlId('node', 'a_b'));
    expect(xmlId('node', 'a-2d-')).not.toBe(xmlId('node', 'a-'));
    expect(escapeXml('<&>"\'')).toBe('&lt;&amp;&gt;&quot;&apos;');
    expect(escapeXml('a\u0001b')).toBe('a\uFFFDb');
  });
});
