import { expect, type Page } from '@playwright/test';
import { HOSTILE_NAMES } from '../tests/hostileNames';

/** The element that carries a node's numbers (its stable test attributes: see docs/ARCHITECTURE.md). */
export const node = (page: Page, id: string) => page.locator(`[data-node-id="${id}"]`);

export async function expectNumbers(
  page: Page,
  id: string,
  numbers: { value?: number; grad?: number },
  precision = 1e-12,
): Promise<void> {
  const el = node(page, id);
  if (numbers.value !== undefined) {
    await expect
      .poll(async () => Number(await el.getAttribute('data-value')))
      .toBeCloseTo(numbers.value, -Math.log10(precision));
  }
  if (numbers.grad !== undefined) {
    await expect
      .poll(async () => Number(await el.getAttribute('data-grad')))
      .toBeCloseTo(numbers.grad, -Math.log10(precision));
  }
}

/** Collects console errors and uncaught exceptions; assert it is empty at the end. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export { HOSTILE_NAMES };

/**
 * Records Object.prototype and Array.prototype (their keys and what each holds) before any
 * script of the page runs, for `prototypeChanges`.
 */
export async function watchPrototypes(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const record = (o: object) =>
      new Map(Object.getOwnPropertyNames(o).map((k) => [k, Object.getOwnPropertyDescriptor(o, k)]));
    (window as unknown as { __prototypesBefore: unknown }).__prototypesBefore = [
      record(Object.prototype),
      record(Array.prototype),
    ];
  });
}

/** Keys added to, removed from or changed on Object.prototype or Array.prototype since load. */
export async function prototypeChanges(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Record = Map<string, PropertyDescriptor | undefined>;
    const before = (window as unknown as { __prototypesBefore: [Record, Record] })
      .__prototypesBefore;
    const changes: string[] = [];
    [Object.prototype, Array.prototype].forEach((o, i) => {
      const was = before[i];
      const name = i === 0 ? 'Object.prototype' : 'Array.prototype';
      for (const k of Object.getOwnPropertyNames(o)) {
        const now = Object.getOwnPropertyDescriptor(o, k);
        const then = was.get(k);
        if (!then) changes.push(`${name}.${k} added`);
        else if (now?.value !== then.value || now?.get !== then.get || now?.set !== then.set)
          changes.push(`${name}.${k} changed`);
      }
      for (const k of was.keys()) if (!Object.hasOwn(o, k)) changes.push(`${name}.${k} removed`);
    });
    return changes;
  });
}

/** The page is not blank: the header (outside embed mode) and the canvas are drawn. */
export async function expectAlive(page: Page): Promise<void> {
  await expect(page.getByRole('banner')).toBeVisible();
  await expect(page.getByLabel('Circuit canvas')).toBeVisible();
}

/**
 * Waits until either node `id` shows `value` (the circuit works) or an error or warning is
 * shown in an alert (the app refused, saying why). Returns which, with the alert's text.
 */
export async function circuitOrMessage(
  page: Page,
  id: string,
  value: string,
  timeout = 10_000,
): Promise<{ outcome: 'circuit' } | { outcome: 'message'; text: string }> {
  const refusal = page.locator('[role="alert"]:not(.notice--info)');
  let result: { outcome: 'circuit' } | { outcome: 'message'; text: string } | null = null;
  await expect
    .poll(
      async () => {
        if (
          (await node(page, id)
            .getAttribute('data-value', { timeout: 50 })
            .catch(() => null)) === value
        ) {
          result = { outcome: 'circuit' };
          return true;
        }
        const texts = (await refusal.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
        if (texts.length > 0) {
          result = { outcome: 'message', text: texts.join(' | ') };
          return true;
        }
        return false;
      },
      { timeout, message: `node ${id} never showed ${value}, and no message said why` },
    )
    .toBe(true);
  return result as unknown as { outcome: 'circuit' } | { outcome: 'message'; text: string };
}

/** A box on the page, in page pixels, with what it is for messages. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly what: string;
}

/** How far two boxes overlap in the smaller of the two directions (0 when apart). */
export function overlapOf(a: Box, b: Box): number {
  const dx = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const dy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return dx > 0 && dy > 0 ? Math.min(dx, dy) : 0;
}

/** What the canvas draws, box by box (as e2e/overlap.spec.ts collects them). */
export interface CanvasBoxes {
  /** Every wire label's text (value above, gradient below), and wire previews. */
  readonly labels: Box[];
  /** Every node's box. */
  readonly nodes: Box[];
  /** Every port name of a gate, with its node's id in `what`. */
  readonly ports: (Box & { readonly node: string })[];
  /** A gate's own texts (symbol, name), with its node's id. */
  readonly gateTexts: (Box & { readonly node: string })[];
}

export async function canvasBoxes(page: Page): Promise<CanvasBoxes> {
  return page.evaluate(() => {
    const rect = (el: Element, what: string) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height, what };
    };
    const labels = [...document.querySelectorAll('.react-flow .wire-label')].map((el) =>
      rect(
        el,
        `label "${el.lastChild?.textContent ?? ''}" of ${el.closest('.react-flow__edge')?.getAttribute('data-id') ?? 'a wire'}`,
      ),
    );
    for (const el of document.querySelectorAll('.react-flow .wire-preview')) {
      labels.push(
        rect(
          el,
          `preview of ${el.closest('.react-flow__edge')?.getAttribute('data-id') ?? 'a wire'}`,
        ),
      );
    }
    const nodes = [];
    const ports = [];
    const gateTexts = [];
    for (const el of document.querySelectorAll('.react-flow .react-flow__node')) {
      const id = el.getAttribute('data-id') ?? '?';
      nodes.push(rect(el, `node ${id}`));
      for (const p of el.querySelectorAll('.port-name')) {
        ports.push({ ...rect(p, `port name ${p.textContent} of ${id}`), node: id });
      }
      for (const t of el.querySelectorAll('.gate-symbol, .gate-name')) {
        gateTexts.push({ ...rect(t, `text "${t.textContent}" of ${id}`), node: id });
      }
    }
    return { labels, nodes, ports, gateTexts };
  });
}

/**
 * Everything that covers something else in `b`, one line each: a wire label over another or
 * over a node, a port name over another port name or over its gate's symbol or name.
 */
export function coverings(b: CanvasBoxes, tolerance = 1): string[] {
  const found: string[] = [];
  for (let i = 0; i < b.labels.length; i++) {
    const a = b.labels[i];
    for (let j = i + 1; j < b.labels.length; j++) {
      const d = overlapOf(a, b.labels[j]);
      if (d > tolerance) found.push(`${a.what} covers ${b.labels[j].what} by ${d.toFixed(1)}px`);
    }
    for (const n of b.nodes) {
      const d = overlapOf(a, n);
      if (d > tolerance) found.push(`${a.what} covers ${n.what} by ${d.toFixed(1)}px`);
    }
  }
  for (let i = 0; i < b.ports.length; i++) {
    const a = b.ports[i];
    for (let j = i + 1; j < b.ports.length; j++) {
      const d = overlapOf(a, b.ports[j]);
      if (d > tolerance) found.push(`${a.what} covers ${b.ports[j].what} by ${d.toFixed(1)}px`);
    }
    for (const t of b.gateTexts) {
      if (t.node !== a.node) continue;
      const d = overlapOf(a, t);
      if (d > tolerance) found.push(`${a.what} covers ${t.what} by ${d.toFixed(1)}px`);
    }
  }
  return found;
}

/** Waits until what the canvas draws stops moving (a fit's animation has ended). */
export async function settledBoxes(page: Page): Promise<CanvasBoxes> {
  let last = '';
  let boxes: CanvasBoxes | undefined;
  await expect
    .poll(async () => {
      boxes = await canvasBoxes(page);
      const now = JSON.stringify(boxes);
      const same = now === last;
      last = now;
      return same;
    })
    .toBe(true);
  return boxes as CanvasBoxes;
}
