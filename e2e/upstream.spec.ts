import { expect, type Page, test } from '@playwright/test';
import { node, watchErrors } from './helpers';

type Matrix = number[][];

const PROGRAM = 'W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X';

async function read(page: Page, id: string, what: 'value' | 'grad'): Promise<Matrix> {
  const text = await node(page, id).getAttribute(`data-${what}`);
  return JSON.parse(text ?? 'null') as Matrix;
}

const control = (page: Page) => page.getByRole('group', { name: 'Upstream gradient' });

async function seedOf(page: Page): Promise<Matrix> {
  return JSON.parse((await control(page).getAttribute('data-seed')) ?? 'null') as Matrix;
}

const transpose = (a: Matrix): Matrix => a[0].map((_, j) => a.map((row) => row[j]));
function matmul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
}
function expectClose(got: Matrix, want: Matrix): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    expect(got[i].length).toBe(want[i].length);
    for (let j = 0; j < got[i].length; j++) expect(got[i][j]).toBeCloseTo(want[i][j], 10);
  }
}

/** dW = dD·Xᵀ and dX = Wᵀ·dD, from the page's own W, X, dD and gradients. */
async function expectProductGradients(page: Page): Promise<Matrix> {
  const [W, X, dD] = [
    await read(page, 'W', 'value'),
    await read(page, 'X', 'value'),
    await seedOf(page),
  ];
  expect(await read(page, 'D', 'grad')).toEqual(dD);
  expectClose(await read(page, 'W', 'grad'), matmul(dD, transpose(X)));
  expectClose(await read(page, 'X', 'grad'), matmul(transpose(W), dD));
  return dD;
}

async function openProgram(page: Page): Promise<void> {
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill(PROGRAM);
  await field.press('Enter');
  await expect(node(page, 'D')).toHaveAttribute('data-value', /^\[\[/);
  await node(page, 'D').click();
  await expect(control(page)).toBeVisible();
}

test('a random dD with seed 7: dW = dD·Xᵀ and dX = Wᵀ·dD; it survives a reload and a link', async ({
  page,
  browser,
}) => {
  const errors = watchErrors(page);
  await openProgram(page);
  // Ones by default.
  expect(await seedOf(page)).toEqual(Array.from({ length: 5 }, () => [1, 1, 1]));
  await expectProductGradients(page);

  await control(page).getByLabel('Kind').selectOption('random');
  await expect(control(page).getByLabel('Seed')).toHaveValue('7');
  await expect(control(page)).toHaveAttribute('data-seed-kind', 'random');
  const dD = await expectProductGradients(page);
  expect(dD.flat().some((x) => x !== 1)).toBe(true);
  // Another seed, another dD; back to 7, the same one.
  await control(page).getByLabel('Seed').fill('8');
  await expect.poll(async () => JSON.stringify(await seedOf(page))).not.toBe(JSON.stringify(dD));
  await expectProductGradients(page);
  await control(page).getByLabel('Seed').fill('7');
  await expect.poll(async () => seedOf(page)).toEqual(dD);

  // The autosave keeps the choice across a reload.
  await page.reload();
  await node(page, 'D').click();
  await expect(control(page)).toHaveAttribute('data-seed-kind', 'random');
  await expect(control(page).getByLabel('Seed')).toHaveValue('7');
  expect(await seedOf(page)).toEqual(dD);
  await expectProductGradients(page);

  // A share link opens it elsewhere with the same dD.
  await page.getByRole('button', { name: 'Share' }).click();
  const link = await page
    .getByRole('dialog', { name: 'Share' })
    .getByLabel(/Link to this circuit/)
    .inputValue();
  expect(link).toMatch(/&seed=random:7$/);
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(link);
  await node(fresh, 'D').click();
  await expect(control(fresh)).toHaveAttribute('data-seed-kind', 'random');
  expect(await seedOf(fresh)).toEqual(dD);
  await expectProductGradients(fresh);
  await other.close();
  expect(errors).toEqual([]);
});

test('a one-hot entry (i, j) follows one number back: dW row i = X[:, j]ᵀ', async ({ page }) => {
  const errors = watchErrors(page);
  await openProgram(page);
  await control(page).getByLabel('Kind').selectOption('onehot');
  await control(page).getByLabel('Row i').fill('2');
  await control(page).getByLabel('Column j').fill('1');
  await expect.poll(async () => (await seedOf(page))[2][1]).toBe(1);
  const dD = await seedOf(page);
  expect(dD.flat().reduce((a, b) => a + b, 0)).toBe(1);
  const X = await read(page, 'X', 'value');
  const dW = await read(page, 'W', 'grad');
  expect(dW[2]).toEqual(X.map((row) => row[1]));
  for (const i of [0, 1, 3, 4]) expect(dW[i].every((x) => x === 0)).toBe(true);
  await expectProductGradients(page);

  // An entry outside the 5×3 output is refused in place; the previous one stays.
  await control(page).getByLabel('Row i').fill('5');
  await expect(control(page).getByRole('alert')).toContainText('outside the 5×3 output');
  expect(await seedOf(page)).toEqual(dD);
  expect(errors).toEqual([]);
});

test('typed values: a wrong-shaped dD is refused in place and the previous gradient stays', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await openProgram(page);
  await control(page).getByLabel('Kind').selectOption('values');
  const field = control(page).getByLabel(/^dD, as rows/);
  const typed = [
    [1, 0, 0],
    [0, 2, 0],
    [0, 0, -1],
    [0.5, 0, 0],
    [0, 0, 3],
  ];
  await field.fill(JSON.stringify(typed));
  await control(page).getByRole('button', { name: 'Apply' }).click();
  await expect.poll(async () => seedOf(page)).toEqual(typed);
  await expectProductGradients(page);
  const dW = await read(page, 'W', 'grad');

  await field.fill('[[1, 2], [3, 4]]');
  await control(page).getByRole('button', { name: 'Apply' }).click();
  const alert = control(page).getByRole('alert');
  await expect(alert).toContainText('2×2');
  await expect(alert).toContainText('5×3');
  await expect(alert).toContainText('previous upstream gradient stays');
  expect(await seedOf(page)).toEqual(typed);
  expect(await read(page, 'W', 'grad')).toEqual(dW);

  await field.fill('[[1, 2, "a"], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]');
  await control(page).getByRole('button', { name: 'Apply' }).click();
  await expect(control(page).getByRole('alert')).toContainText(/number/);
  expect(await seedOf(page)).toEqual(typed);
  expect(await read(page, 'W', 'grad')).toEqual(dW);
  expect(errors).toEqual([]);
});

test('a scalar output has no upstream gradient control (its seed is 1)', async ({ page }) => {
  await page.goto('./#expr=x%20%3D%202%0Af%20%3D%20x%20*%20x');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '4');
  await node(page, 'f').click();
  await expect(page.getByRole('complementary', { name: 'Inspector' })).toBeVisible();
  await expect(control(page)).toHaveCount(0);
});

test('a link with an unreadable seed= opens the circuit with ones and says what it ignored', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await openProgram(page);
  await control(page).getByLabel('Kind').selectOption('random');
  await page.getByRole('button', { name: 'Share' }).click();
  const link = await page
    .getByRole('dialog', { name: 'Share' })
    .getByLabel(/Link to this circuit/)
    .inputValue();
  const broken = link.replace(/&seed=random:7$/, '&seed=values:%5B%5B1%2C');
  expect(broken).not.toBe(link);
  const fresh = await page.context().browser()?.newContext();
  if (!fresh) throw new Error('no browser');
  const other = await fresh.newPage();
  await other.goto(broken);
  await expect(other.getByText(/Not everything in the link was used: seed=/)).toBeVisible();
  await expect(node(other, 'D')).toHaveAttribute('data-grad', /^\[\[1,1,1\],/);
  await node(other, 'D').click();
  await expect(control(other)).toHaveAttribute('data-seed-kind', 'ones');
  await expectProductGradients(other);
  await fresh.close();
  expect(errors).toEqual([]);
});

test('a program link carries the upstream gradient too', async ({ page, browser }) => {
  const errors = watchErrors(page);
  await openProgram(page);
  await control(page).getByLabel('Kind').selectOption('random');
  await expect(control(page)).toHaveAttribute('data-seed-kind', 'random');
  const dD = await seedOf(page);
  await page.getByRole('button', { name: 'Share' }).click();
  const link = await page
    .getByRole('dialog', { name: 'Share' })
    .getByLabel(/As a program/)
    .inputValue();
  expect(link).toMatch(/#expr=.*&seed=random:7/);
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(link);
  await node(fresh, 'D').click();
  await expect(control(fresh)).toHaveAttribute('data-seed-kind', 'random');
  expect(await seedOf(fresh)).toEqual(dD);
  await expectProductGradients(fresh);
  await other.close();
  expect(errors).toEqual([]);
});
