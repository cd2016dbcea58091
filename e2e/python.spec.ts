import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { STAGED } from '../tests/engine/python-programs';
import { expectNumbers, watchErrors } from './helpers';

// The staged function of the notes, worked out directly at x = 3, y = −4.
const s = (t: number) => 1 / (1 + Math.exp(-t));
const [X, Y] = [3, -4];
const NUM = X + s(Y);
const DEN = s(X) + (X + Y) ** 2;
const F = NUM / DEN;
const DFDX = 1 / DEN - (NUM * (s(X) * (1 - s(X)) + 2 * (X + Y))) / DEN ** 2;
const DFDY = (s(Y) * (1 - s(Y))) / DEN - (NUM * 2 * (X + Y)) / DEN ** 2;
/** The line of the notes' slip, `dy = ((1 - sigy) * sigy) * dsigy`, in the pasted text. */
const SLIP = STAGED.split('\n').findIndex((l) => l.startsWith('dy = ((1 - sigy)')) + 1;

test("paste the notes' staged code with its backward pass: the circuit is the forward pass and the check finds the slip", async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill(STAGED);
  await field.press('Enter');

  // The circuit's output is f with the notes' numbers; no backward name became a node.
  await expectNumbers(page, 'f', { value: F, grad: 1 });
  await expectNumbers(page, 'x', { grad: DFDX });
  await expectNumbers(page, 'y', { grad: DFDY });
  await expect(page.locator('[data-node-id="dnum"]')).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Messages' })).toContainText(
    'its output is f (line 14: f = num * invden)',
  );

  const check = page.getByRole('region', { name: 'Backward check' });
  await expect(check).toBeVisible();
  const findings = check.locator('li');
  await expect(findings).toHaveCount(12);
  // Every finding starts with its line; only the dy = line is wrong.
  const texts = await findings.allTextContents();
  for (const text of texts) expect(text).toMatch(/^[✓✗?]line \d+: /);
  const wrong = check.locator('li[data-status="wrong"]');
  await expect(wrong).toHaveCount(1);
  await expect(wrong).toHaveAttribute('data-line', String(SLIP));
  await expect(wrong).toContainText(
    'overwrites the gradient y already got from xpy (line 10): gradients add up at forks, so write dy += …',
  );
  await expect(check.locator('li[data-status="correct"]')).toHaveCount(11);
  await expect(check).toContainText('11 correct, 1 to fix');

  // The check follows the inputs: at x = 1 the expected dy is that point's.
  const before = await wrong.textContent();
  await page.getByLabel('Value of x').fill('1');
  await expect(wrong).not.toHaveText(before ?? '');
  await expect(check.locator('li[data-status="wrong"]')).toHaveCount(1);

  // Fixed with +=, every line is correct.
  await field.fill(STAGED.replace('dy = ((1 - sigy)', 'dy += ((1 - sigy)'));
  await field.press('Enter');
  await expect(check.locator('li[data-status="correct"]')).toHaveCount(12);
  await expect(check.locator('li[data-status="wrong"]')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('Python the app cannot take is refused at its line; the circuit stays; another circuit clears the check', async ({
  page,
}) => {
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill(STAGED);
  await field.press('Enter');
  await expectNumbers(page, 'f', { value: F });
  await field.fill('import math\nx = 2\ny = math.log10(x)');
  await field.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'math.log10' })).toContainText(
    'line 3, column 5: math.log10 is not supported: write log(x) / log(10)',
  );
  await expectNumbers(page, 'f', { value: F });
  await expect(page.getByRole('region', { name: 'Backward check' })).toBeVisible();

  await field.fill('a = 2; b = 3; f = a * b');
  await field.press('Enter');
  await expectNumbers(page, 'f', { value: 6 });
  await expect(page.getByRole('region', { name: 'Backward check' })).toHaveCount(0);
});

test('a link carrying the Python (#expr=) opens the forward pass and its Backward check', async ({
  page,
}) => {
  await page.goto(`./#expr=${encodeURIComponent(STAGED)}`);
  await expectNumbers(page, 'f', { value: F });
  await expect(page.getByLabel('Expression')).toHaveValue(STAGED);
  const check = page.getByRole('region', { name: 'Backward check' });
  await expect(check.locator('li[data-status="wrong"]')).toHaveAttribute('data-line', String(SLIP));
  // Folded, the check keeps its summary line only.
  await check.getByRole('button', { name: 'Hide' }).click();
  await expect(check.locator('li')).toHaveCount(0);
  await expect(check).toContainText('11 correct, 1 to fix');
});

for (const scheme of ['light', 'dark'] as const) {
  test(`the Backward check has no accessibility violations (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`./#expr=${encodeURIComponent(STAGED)}`);
    const check = page.getByRole('region', { name: 'Backward check' });
    await expect(check.locator('li')).toHaveCount(12);
    const result = await new AxeBuilder({ page }).include('.backward-check').analyze();
    expect(
      result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`),
    ).toEqual([]);
  });
}
