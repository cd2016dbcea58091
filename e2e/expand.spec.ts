import { expect, type Page, test } from '@playwright/test';
import { node, watchErrors } from './helpers';

type Matrix = number[][];

async function read(page: Page, id: string, what: 'value' | 'grad'): Promise<unknown> {
  return JSON.parse((await node(page, id).getAttribute(`data-${what}`)) ?? 'null');
}

const transpose = (a: Matrix): Matrix => a[0].map((_, j) => a.map((row) => row[j]));
function matmul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
}

test('the matmul example expands into scalar gates with the same numbers, collapses back, and undoes', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await page.getByLabel('Example').selectOption('matmul');
  await expect(node(page, 'D')).toHaveAttribute('data-op', 'matmul');
  const W = (await read(page, 'W', 'value')) as Matrix;
  const X = (await read(page, 'X', 'value')) as Matrix;
  expect([W.length, W[0].length, X.length, X[0].length]).toEqual([2, 3, 3, 2]);
  // f = sum(D): dD is ones, so dW = ones · Xᵀ and dX = Wᵀ · ones.
  const D = matmul(W, X);
  const ones = D.map((row) => row.map(() => 1));
  const dW = matmul(ones, transpose(X));
  const dX = matmul(transpose(W), ones);
  const f = D.flat().reduce((a, b) => a + b, 0);
  expect(await read(page, 'f', 'value')).toBeCloseTo(f, 12);

  // Expand: select the @ gate and press X.
  await node(page, 'D').click();
  await page.keyboard.press('x');
  await expect(node(page, 'D')).toHaveAttribute('data-op', 'matrix2x2');
  await expect(node(page, 'D_0_0')).toBeVisible();
  // Every entry gate, every entry of D, and the gradients, entry by entry.
  for (let i = 0; i < 2; i++) {
    for (let p = 0; p < 3; p++) {
      expect(await read(page, `W_${i}_${p}`, 'value')).toBe(W[i][p]);
      expect(await read(page, `W_${i}_${p}`, 'grad')).toBeCloseTo(dW[i][p], 12);
    }
  }
  for (let p = 0; p < 3; p++) {
    for (let j = 0; j < 2; j++) {
      expect(await read(page, `X_${p}_${j}`, 'value')).toBe(X[p][j]);
      expect(await read(page, `X_${p}_${j}`, 'grad')).toBeCloseTo(dX[p][j], 12);
    }
  }
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      expect(await read(page, `D_${i}_${j}`, 'value')).toBeCloseTo(D[i][j], 12);
      expect(await read(page, `D_${i}_${j}`, 'grad')).toBe(1);
    }
  }
  // The tensors around it are unchanged.
  const close = (got: unknown, want: Matrix) => {
    const g = got as Matrix;
    want.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(g[i][j]).toBeCloseTo(v, 12);
      });
    });
  };
  close(await read(page, 'D', 'value'), D);
  close(await read(page, 'W', 'grad'), dW);
  close(await read(page, 'X', 'grad'), dX);
  expect(await read(page, 'f', 'value')).toBeCloseTo(f, 12);
  // The entry gates draw their indices and carry their names.
  await expect(node(page, 'W_1_2')).toContainText('[1,2]');
  await expect(node(page, 'W_1_2')).toContainText('W[1,2]');

  // Collapse from the assembled D with Shift+X: one @ gate again, the same numbers.
  await node(page, 'D').click();
  await page.keyboard.press('Shift+X');
  await expect(node(page, 'D')).toHaveAttribute('data-op', 'matmul');
  await expect(node(page, 'D_0_0')).toHaveCount(0);
  close(await read(page, 'D', 'value'), D);
  close(await read(page, 'W', 'grad'), dW);

  // Undo brings the expansion back in one step, and again the product.
  await page.keyboard.press('Control+z');
  await expect(node(page, 'D')).toHaveAttribute('data-op', 'matrix2x2');
  await expect(node(page, 'D_1_1')).toBeVisible();
  await page.keyboard.press('Control+z');
  await expect(node(page, 'D')).toHaveAttribute('data-op', 'matmul');
  await expect(node(page, 'W_0_0')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a product larger than 3×3 · 3×3 is refused with both shapes', async ({ page }) => {
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill('W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X');
  await field.press('Enter');
  await expect(node(page, 'D')).toHaveAttribute('data-value', /^\[\[/);
  await node(page, 'D').click();
  await page.keyboard.press('x');
  await expect(
    page.getByText('Expand works on products up to 3×3 · 3×3; this one is 5×10 · 10×3'),
  ).toBeVisible();
  await expect(node(page, 'D')).toHaveAttribute('data-op', 'matmul');
});
