import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { node, watchErrors } from './helpers';

type Matrix = number[][];

/** A node's value or gradient as the page carries it (JSON in `data-value` / `data-grad`). */
async function read(page: Page, id: string, what: 'value' | 'grad'): Promise<Matrix> {
  const text = await node(page, id).getAttribute(`data-${what}`);
  return JSON.parse(text ?? 'null') as Matrix;
}

const panel = (page: Page) => page.getByRole('region', { name: 'Step explanation' });
const port = (page: Page, name: string) => panel(page).locator(`.dims-port[data-port="${name}"]`);

test('a matrix product: the step panel lines the shapes up and works out the entry picked', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill('W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X');
  await field.press('Enter');
  await expect(node(page, 'D')).toHaveAttribute('data-value', /^\[\[/);

  await page.getByRole('button', { name: 'Reset' }).click();
  // Forward through the product: its shapes.
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(panel(page).locator('[data-shapes="[5×3] = [5×10] · [10×3]"]')).toBeVisible();
  // The seed, then the product's backward step.
  await page.getByRole('button', { name: 'Step forward' }).click();
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(port(page, 'a').locator('.dims-shapes')).toHaveText('[5×10] = [5×3] · [3×10]');
  await expect(port(page, 'b').locator('.dims-shapes')).toHaveText('[10×3] = [10×5] · [5×3]');
  await expect(panel(page).locator('[aria-live]')).toContainText(
    'The gradient of W is dD times X transposed: a 5 by 3 times a 3 by 10 gives 5 by 10',
  );
  await expect(panel(page).locator('[aria-live]')).toContainText(
    'The gradient of X is W transposed times dD: a 10 by 5 times a 5 by 3 gives 10 by 3',
  );

  // Pick dW[3][7]: the worked sum is Σₖ dD[3][k]·X[7][k], worked here from the page's numbers.
  await port(page, 'a')
    .getByLabel(/^Row of the entry of dW/)
    .fill('3');
  await port(page, 'a')
    .getByLabel(/^Column of the entry of dW/)
    .fill('7');
  const worked = port(page, 'a').locator('.dims-worked');
  await expect(worked).toHaveAttribute('data-entry', '3,7');
  await expect(worked).toHaveAttribute('data-entry-terms', '3');
  await expect(worked).toContainText('3 terms');
  const [X, dD, dW] = [
    await read(page, 'X', 'value'),
    await read(page, 'D', 'grad'),
    await read(page, 'W', 'grad'),
  ];
  let expected = 0;
  for (let k = 0; k < 3; k++) expected += dD[3][k] * X[7][k];
  const total = Number(await worked.getAttribute('data-entry-value'));
  expect(total).toBeCloseTo(expected, 12);
  expect(total).toBeCloseTo(dW[3][7], 12);
  await expect(panel(page).locator('[aria-live]')).toContainText(
    'Its entry at row 3, column 7 adds 3 products',
  );

  // dX[9][2] = Σₖ W[k][9]·dD[k][2], five terms: three shown, then "…".
  await port(page, 'b')
    .getByLabel(/^Row of the entry of dX/)
    .fill('9');
  await port(page, 'b')
    .getByLabel(/^Column of the entry of dX/)
    .fill('2');
  const workedX = port(page, 'b').locator('.dims-worked');
  await expect(workedX).toHaveAttribute('data-entry', '9,2');
  await expect(workedX).toContainText('5 terms');
  await expect(workedX).toContainText('⋯');
  const [W, dX] = [await read(page, 'W', 'value'), await read(page, 'X', 'grad')];
  let expectedX = 0;
  for (let k = 0; k < 5; k++) expectedX += W[k][9] * dD[k][2];
  expect(Number(await workedX.getAttribute('data-entry-value'))).toBeCloseTo(expectedX, 12);
  expect(expectedX).toBeCloseTo(dX[9][2], 12);

  // An entry under the cursor on the canvas (a cell marked data-entry inside W's node) picks
  // the same entry of dW.
  await node(page, 'W').evaluate((el) => {
    const cell = document.createElement('span');
    cell.dataset.entry = '2,4';
    cell.className = 'test-entry';
    el.append(cell);
    cell.dispatchEvent(new PointerEvent('pointerover', { bubbles: true }));
  });
  await expect(worked).toHaveAttribute('data-entry', '2,4');
  let expected24 = 0;
  for (let k = 0; k < 3; k++) expected24 += dD[2][k] * X[4][k];
  expect(Number(await worked.getAttribute('data-entry-value'))).toBeCloseTo(expected24, 12);
  await expect(port(page, 'a').getByLabel(/^Row of the entry of dW/)).toHaveValue('2');

  // The panel keeps to the bottom of the window and scrolls inside.
  const box = await panel(page).boundingBox();
  expect(box?.height ?? 0).toBeLessThanOrEqual(720 / 2);
  expect(errors).toEqual([]);
});

test('a bias add: the gradient of b is the sum of the upstream gradient over the columns', async ({
  page,
}) => {
  const errors = watchErrors(page);
  const program =
    'W = randn(5, 10)\nX = randn(10, 3)\nb = randn(5, 1)\nZ = W @ X + b\nf = sum(Z * Z)';
  await page.goto(`./#expr=${encodeURIComponent(program)}`);
  await expect(node(page, 'f')).toHaveAttribute('data-value', /\d/);
  await page.getByRole('button', { name: 'Reset' }).click();
  // Forward: the product, Z, Z·Z, f; then the seed and the backward steps of f and Z·Z; then Z.
  for (let k = 0; k < 8; k++) await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(page.getByLabel('Timeline')).toHaveAttribute('aria-valuetext', /^8\/9 backward: /);
  const db = port(page, 'b');
  await expect(db).toHaveAttribute('data-kind', 'broadcast');
  await expect(db.locator('.dims-shapes')).toHaveText('[5×1] = Σⱼ [5×3]');
  await expect(db.locator('.dims-why')).toContainText('db = Σ over columns of dZ, [5×1]');
  const dZ = await read(page, 'Z', 'grad');
  const grad = await read(page, 'b', 'grad');
  for (let i = 0; i < 5; i++) {
    await db.getByLabel(/^Row of the entry of db/).fill(String(i));
    await expect(db.locator('.dims-worked')).toHaveAttribute('data-entry', `${i},0`);
    const rowSum = dZ[i][0] + dZ[i][1] + dZ[i][2];
    const total = Number(await db.locator('.dims-worked').getAttribute('data-entry-value'));
    expect(total).toBeCloseTo(rowSum, 12);
    expect(grad[i][0]).toBeCloseTo(rowSum, 12);
  }
  expect(errors).toEqual([]);
});

test('a random upstream gradient: the seed step names it, and the worked entry uses it', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill('W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X');
  await field.press('Enter');
  await expect(node(page, 'D')).toHaveAttribute('data-value', /^\[\[/);
  await node(page, 'D').click();
  const control = page.getByRole('group', { name: 'Upstream gradient' });
  await control.getByLabel('Kind').selectOption('random');
  await expect(control.getByLabel('Seed')).toHaveValue('7');
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.getByRole('button', { name: 'Step forward' }).click();
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(panel(page).locator('[aria-live]')).toHaveText(
    'The backward pass starts at the output D with its upstream gradient dD, the 5 by 3 matrix chosen as the upstream gradient: random dD (seed 7).',
  );
  await page.getByRole('button', { name: 'Step forward' }).click();
  const worked = port(page, 'a').locator('.dims-worked');
  await expect(worked).toHaveAttribute('data-entry', '0,0');
  // dD as the Upstream gradient control holds it (the canvas shows D's seed as ones during
  // playback: the store's timeline starts the output's running sum from ones).
  const [X, dD, dW] = [
    await read(page, 'X', 'value'),
    JSON.parse((await control.getAttribute('data-seed')) ?? 'null') as Matrix,
    await read(page, 'W', 'grad'),
  ];
  // A random dD, not ones.
  expect(dD.flat().some((x) => x !== 1)).toBe(true);
  let expected = 0;
  for (let k = 0; k < 3; k++) expected += dD[0][k] * X[0][k];
  expect(Number(await worked.getAttribute('data-entry-value'))).toBeCloseTo(expected, 12);
  expect(expected).toBeCloseTo(dW[0][0], 12);
  expect(errors).toEqual([]);
});

for (const [name, extra, scheme] of [
  ['light', '', 'light'],
  ['presentation, dark', '&present=1', 'dark'],
] as const) {
  test(`the dimension analysis has no accessibility violations: ${name}`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    const program = 'W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X';
    await page.goto(`./#expr=${encodeURIComponent(program)}&step=3${extra}`);
    await expect(port(page, 'a').locator('.katex').first()).toBeVisible();
    const result = await new AxeBuilder({ page }).include('.step-panel').analyze();
    expect(
      result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`),
    ).toEqual([]);
  });
}
