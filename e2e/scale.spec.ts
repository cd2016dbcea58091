import { expect, test } from '@playwright/test';
import { expectAlive, node, watchErrors } from './helpers';

/**
 * `x = 1`, then f adds x to itself `terms` times: x is read by every gate of the chain. Written
 * without spaces, as a long link would be (250,000 terms make a 1 MB link).
 */
const fanOut = (terms: number) => `x=1;f=${Array(terms).fill('x').join('+')}`;

test('a value read by 10,000 gates paints', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  await page.goto(`./#expr=${encodeURIComponent(fanOut(10_000))}`);
  // The chain is far wider than the screen: the gates in view are drawn with their values.
  const gates = page.locator('[data-node-id^="add"][data-value]');
  await expect(gates.first()).toBeVisible({ timeout: 90_000 });
  const shown = await gates.evaluateAll((els) =>
    els.map((e) => [e.getAttribute('data-node-id'), Number(e.getAttribute('data-value'))]),
  );
  // add#k sums the first k + 1 terms.
  for (const [id, value] of shown)
    expect(value, `${id}`).toBe(Number(String(id).split('#')[1]) + 1);
  // The output, off screen at the chain's end, as the inspector reports it.
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('i');
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await expect(inspector).toContainText('10000 nodes');
  await expect(inspector).toContainText('Output f = 10000');
  // The wires in view are drawn; the thousands that only pass across the screen (from x to
  // gates beyond it) are not each a React Flow edge.
  expect(await page.locator('.react-flow__edge').count()).toBeGreaterThan(0);
  expect(await page.locator('.react-flow__edge').count()).toBeLessThan(2_000);
  await expectAlive(page);
  expect(errors).toEqual([]);
});

test('a 250,000-term program gives a circuit or the limit message, never a blank page', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  const link = `expr=${encodeURIComponent(fanOut(250_000))}`;
  await page.goto(`./#${link}`);
  const alert = page.getByRole('alert');
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await expect(alert.or(page.locator('[data-node-id^="add"]')).first()).toBeVisible({
    timeout: 90_000,
  });
  if (await alert.isVisible()) {
    await expect(alert).toContainText(/the limit is [\d,]+/);
    // The app opened its first circuit instead.
    await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  } else {
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('i');
    await expect(inspector).toContainText('Output f = 250000');
  }
  await expectAlive(page);

  // Pasted into an open tab: the same, and the circuit in hand stays.
  await page.goto('./');
  await page.getByLabel('Expression').fill('x = 2\nf = x * 3');
  await page.getByLabel('Expression').press('Enter');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '6');
  await page.evaluate((h) => {
    window.location.hash = h;
  }, link);
  await expect(alert.filter({ hasText: /the limit is|Opened/ })).toBeVisible({ timeout: 90_000 });
  if (await alert.filter({ hasText: /the limit is/ }).isVisible()) {
    await expect(node(page, 'f')).toHaveAttribute('data-value', '6');
  }
  await expectAlive(page);
  expect(errors).toEqual([]);
});
