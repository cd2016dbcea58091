import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { node } from './helpers';

const PATTERNS = encodeURIComponent('x = 3; y = -4; z = 2; w = -1; f = 2 * (x * y + max(z, w))');

for (const [name, hash, scheme] of [
  ['dark theme', '', 'dark'],
  ['playback in progress', `#expr=${PATTERNS}&step=7`, 'light'],
  ['presentation mode', `#expr=${PATTERNS}&present=1&step=7`, 'dark'],
  ['embed mode', `#expr=${PATTERNS}&embed=1`, 'light'],
] as const) {
  test(`no accessibility violations: ${name}`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`./${hash}`);
    await expect(node(page, 'f')).toBeAttached();
    await expect(page.locator('.katex').first().or(page.locator('.step-idle'))).toBeVisible();
    const result = await new AxeBuilder({ page }).analyze();
    expect(
      result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`),
    ).toEqual([]);
  });
}
