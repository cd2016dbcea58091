import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { expectNumbers, node, watchErrors } from './helpers';

/** The four gates of the primitive neuron that spell out its sigmoid: ×−1, exp, +1, 1/x. */
const SIGMOID_GATES = ['mul#4', 'exp#5', 'add#6', 'f'];

/** σ(1) for the neuron (w·x + b = 1), and its local gradient (1 − σ)·σ, worked out here. */
const SIGMA = 1 / (1 + Math.exp(-1));
const LOCAL = (1 - SIGMA) * SIGMA;

async function gateCount(page: Page): Promise<number> {
  return page.locator('.react-flow__node-gate').count();
}

/** Every node's value and gradient, by id. */
async function numbers(page: Page): Promise<Map<string, { value: number; grad: number }>> {
  const out = new Map<string, { value: number; grad: number }>();
  for (const el of await page.locator('[data-node-id]').all()) {
    const id = (await el.getAttribute('data-node-id')) as string;
    out.set(id, {
      value: Number(await el.getAttribute('data-value')),
      grad: Number(await el.getAttribute('data-grad')),
    });
  }
  return out;
}

function expectSame(got: number, want: number) {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
}

/** Selects gates as a user does: a click on the first, Shift+click on the others (on their rim). */
async function selectGates(page: Page, ids: readonly string[]) {
  await node(page, ids[0]).click({ position: { x: 4, y: 4 } });
  for (const id of ids.slice(1)) {
    await node(page, id).click({ modifiers: ['Shift'], position: { x: 4, y: 4 } });
  }
}

test('the primitive neuron: Group its four sigmoid gates, step through the composite, Expand and Collapse', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await page.getByLabel('Example').selectOption('neuron-primitive');
  await expectNumbers(page, 'f', { value: SIGMA });
  const before = await numbers(page);
  const gatesBefore = await gateCount(page);

  // The app offers the grouping on its own, naming the function.
  await expect(page.getByRole('region', { name: 'Suggested grouping' })).toContainText(
    '4 gates compute the sigmoid of dot',
  );

  await selectGates(page, SIGMOID_GATES);
  await page.keyboard.press('Control+g');
  const dialog = page.getByRole('dialog', { name: 'Group into one gate' });
  await expect(dialog).toContainText('the sigmoid');
  await expect(dialog.getByLabel('Name of the gate')).toHaveValue('sigma');
  const axe = await new AxeBuilder({ page }).include('dialog[open]').analyze();
  expect(axe.violations).toEqual([]);
  await dialog.getByRole('button', { name: 'Group' }).click();

  // Three fewer gates; f is now the composite; every other number is unchanged.
  await expect.poll(() => gateCount(page)).toBe(gatesBefore - 3);
  await expect(node(page, 'f')).toHaveAttribute('data-op', 'sigma');
  const grouped = await numbers(page);
  for (const [id, n] of grouped) {
    const was = before.get(id);
    expect(was, id).toBeDefined();
    expectSame(n.value, (was as { value: number }).value);
    expectSame(n.grad, (was as { grad: number }).grad);
  }
  await expect(page.getByRole('region', { name: 'Suggested grouping' })).toHaveCount(0);

  // Expand: the four gates come back in place, in a frame, with the same numbers.
  await node(page, 'f').click({ position: { x: 4, y: 4 } });
  await page.keyboard.press('x');
  await expect.poll(() => gateCount(page)).toBe(gatesBefore);
  await expect(page.locator('[data-opened="sigma"]')).toBeVisible();
  const opened = await numbers(page);
  for (const [id, n] of before) {
    expect(opened.get(id), id).toBeDefined();
    expectSame((opened.get(id) as { grad: number }).grad, n.grad);
  }
  // Collapse from the frame: one gate again. Undo opens it again; Redo closes it.
  await page.getByRole('button', { name: 'Collapse sigma' }).click();
  await expect.poll(() => gateCount(page)).toBe(gatesBefore - 3);
  await page.keyboard.press('Control+z');
  await expect.poll(() => gateCount(page)).toBe(gatesBefore);
  await page.keyboard.press('Control+z');
  await expect.poll(() => gateCount(page)).toBe(gatesBefore - 3);
  await page.keyboard.press('Control+z');
  await expect.poll(() => gateCount(page)).toBe(gatesBefore);
  await expect(node(page, 'f')).toHaveAttribute('data-op', 'div');

  // Group again, then play: 5 forward steps (mul, mul, add, dot, sigma), the seed, then
  // back through sigma, whose local gradient is written in closed form.
  await page.keyboard.press('Control+y');
  await expect.poll(() => gateCount(page)).toBe(gatesBefore - 3);
  await page.keyboard.press('Control+y');
  await expect.poll(() => gateCount(page)).toBe(gatesBefore);
  await page.keyboard.press('Control+y');
  await expect.poll(() => gateCount(page)).toBe(gatesBefore - 3);
  await page.getByRole('button', { name: 'Reset' }).click();
  for (let i = 0; i < 7; i++) await page.getByRole('button', { name: 'Step forward' }).click();
  const live = page.locator('[aria-live="polite"]');
  await expect(live).toContainText('Backward through f (sigma gate, which computes the sigmoid)');
  const local = LOCAL.toFixed(4);
  const sigma = SIGMA.toFixed(4);
  await expect(live).toContainText(`local gradient ${local} = (1 − ${sigma})·${sigma}`);
  await expect(page.locator('.step-tex .katex').first()).toBeVisible();
  expect(errors).toEqual([]);
});

test('a selection that is not one gate is refused with the reason, and nothing changes', async ({
  page,
}) => {
  await page.goto('./');
  await page.getByLabel('Example').selectOption('neuron-primitive');
  const gatesBefore = await gateCount(page);
  // The two products are not wired to each other.
  await selectGates(page, ['mul#1', 'mul#2']);
  await page.getByRole('button', { name: 'Group', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Group into one gate' });
  await expect(dialog.getByRole('alert')).toContainText('not connected');
  await dialog.getByRole('button', { name: 'OK' }).click();
  expect(await gateCount(page)).toBe(gatesBefore);
});

test('a custom softplus typed with its definition, used by name, and reopened from its link', async ({
  page,
  browser,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill('softplus(x) = log(1 + exp(x))\ny = 2\nf = softplus(y) * 3');
  await field.press('Enter');
  // softplus(2) = log(1 + e²); its local gradient is σ(2).
  const softplus2 = Math.log(1 + Math.exp(2));
  const sigmoid2 = 1 / (1 + Math.exp(-2));
  await expectNumbers(page, 'f', { value: 3 * softplus2 }, 1e-9);
  await expectNumbers(page, 'y', { grad: 3 * sigmoid2 }, 1e-9);
  await expect(page.locator('.react-flow__node [data-op="softplus"]')).toHaveCount(1);

  await page.getByRole('button', { name: 'Share' }).click();
  const link = await page
    .getByRole('dialog', { name: 'Share' })
    .getByLabel(/Link to this circuit/)
    .inputValue();
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(link);
  await expectNumbers(fresh, 'f', { value: 3 * softplus2 }, 1e-9);
  await expectNumbers(fresh, 'y', { grad: 3 * sigmoid2 }, 1e-9);
  await expect(fresh.locator('.react-flow__node [data-op="softplus"]')).toHaveCount(1);
  await other.close();
  expect(errors).toEqual([]);
});

test('a wrong hand-written local gradient is flagged on the gate with both numbers and not used', async ({
  page,
}) => {
  await page.goto('./');
  const field = page.getByLabel('Expression');
  // d/dx of x·x is 2x, not 3x.
  await field.fill('sq(x) = x * x\nd/dx = 3 * x\ny = 2\nf = sq(y)');
  await field.press('Enter');
  await expectNumbers(page, 'f', { value: 4 });
  // Backprop inside gives 2·2 = 4, not the written 6.
  await expectNumbers(page, 'y', { grad: 4 });
  const flag = node(page, 'f').locator('.gate-gradient-flag');
  await expect(flag).toBeVisible();
  await expect(flag).toHaveAttribute('title', /numerical differences give/);
});

test('the right-click menu on a selection offers Group, and on a composite Expand', async ({
  page,
}) => {
  await page.goto('./');
  await page.getByLabel('Example').selectOption('neuron-primitive');
  await selectGates(page, SIGMOID_GATES);
  await node(page, 'exp#5').click({ button: 'right' });
  const menu = page.getByRole('menu', { name: /Actions for/ });
  await menu.getByRole('menuitem', { name: /Group/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Group into one gate' });
  await dialog.getByLabel('Name of the gate').fill('logistic');
  await dialog.getByLabel('Name of the gate').press('Enter');
  await expect(node(page, 'f')).toHaveAttribute('data-op', 'logistic');
  await node(page, 'f').click({ button: 'right', position: { x: 4, y: 4 } });
  await page
    .getByRole('menu')
    .getByRole('menuitem', { name: /Expand/ })
    .click();
  await expect(node(page, 'f')).toHaveAttribute('data-op', 'div');
  await expect(page.locator('[data-opened="logistic"]')).toBeVisible();
  // Escape closes the menu without doing anything.
  await node(page, 'f').click({ button: 'right', position: { x: 4, y: 4 } });
  await expect(page.getByRole('menu')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toHaveCount(0);
});
