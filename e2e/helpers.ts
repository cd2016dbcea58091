import { expect, type Page } from '@playwright/test';
import { HOSTILE_NAMES } from '../tests/hostileNames';

/** The element that carries a node's numbers (DESIGN.md: stable test attributes). */
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
