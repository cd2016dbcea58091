import { expect, type Page } from '@playwright/test';

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
