import { expect, test } from '@playwright/test';
import { expectNumbers, node, watchErrors } from './helpers';

test('opens on the (x + y) · z example with every value and gradient', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await expect(node(page, 'f')).toBeVisible();
  // DOMAIN.md reference case: x=-2, y=5, z=-4 → q=3, f=-12; ∂x=-4, ∂y=-4, ∂z=3.
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  await expect(node(page, 'f')).toHaveAttribute('data-grad', '1');
  await expect(node(page, 'q')).toHaveAttribute('data-value', '3');
  await expect(node(page, 'q')).toHaveAttribute('data-grad', '-4');
  await expect(node(page, 'x')).toHaveAttribute('data-grad', '-4');
  await expect(node(page, 'y')).toHaveAttribute('data-grad', '-4');
  await expect(node(page, 'z')).toHaveAttribute('data-grad', '3');
  await expectNumbers(page, 'x', { value: -2 });
  expect(errors).toEqual([]);
});
