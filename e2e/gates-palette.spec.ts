import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { expectNumbers, watchErrors } from './helpers';

// softplus(2) = log(1 + e²) and its local gradient σ(2), worked out directly.
const SOFTPLUS_2 = Math.log(1 + Math.exp(2));
const SIGMOID_2 = 1 / (1 + Math.exp(-2));

const palette = (page: Page) => page.getByRole('navigation', { name: 'Gate palette' });
const gatesOnCanvas = (page: Page) => page.locator('[data-node-id]');

/** Opens New gate from the palette, types `text` and presses Define. */
async function define(page: Page, text: string): Promise<void> {
  await palette(page).getByRole('button', { name: 'New gate' }).click();
  const dialog = page.getByRole('dialog', { name: 'New gate' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Gate definition').fill(text);
  await dialog.getByRole('button', { name: 'Define' }).click();
}

test('New gate defines softplus: it is in the palette, a click adds it, programs use it, deleting it in use asks and expands it', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await expect(gatesOnCanvas(page).first()).toBeVisible();

  await define(page, 'softplus(x) = log(1 + exp(x))');
  await expect(page.getByRole('dialog', { name: 'New gate' })).toHaveCount(0);
  const entry = palette(page).locator('button[data-op="softplus"]');
  await expect(entry).toBeVisible();
  await expect(entry).toContainText('softplus(x)');
  await expect(entry).toHaveAttribute('title', /softplus\(x\) = log\(1 \+ exp\(x\)\)/);
  // The registry recognises what it computes.
  await expect(entry).toHaveAttribute('data-known', 'softplus');

  // A click adds one gate of it.
  const before = await gatesOnCanvas(page).count();
  await entry.click();
  await expect(gatesOnCanvas(page)).toHaveCount(before + 1);

  // A typed program calls it by name.
  const field = page.getByLabel('Expression');
  await field.fill('y = 2\nf = softplus(y)');
  await field.press('Enter');
  await expectNumbers(page, 'f', { value: SOFTPLUS_2, grad: 1 }, 1e-9);
  await expectNumbers(page, 'y', { grad: SIGMOID_2 }, 1e-9);
  await expect(gatesOnCanvas(page)).toHaveCount(2);

  // Deleting it while f uses it asks first; confirmed, f is expanded into exp, +1 and log.
  await palette(page).getByRole('button', { name: 'Delete gate softplus' }).click();
  const ask = page.getByRole('dialog', { name: 'Delete softplus?' });
  await expect(ask).toContainText('1 gate on the canvas uses softplus');
  await expect(ask).toContainText('expands that gate into the gates it is made of');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  await expect(entry).toBeVisible();

  await palette(page).getByRole('button', { name: 'Delete gate softplus' }).click();
  await page
    .getByRole('dialog', { name: 'Delete softplus?' })
    .getByRole('button', { name: 'Delete and expand' })
    .click();
  await expect(entry).toHaveCount(0);
  await expect.poll(() => gatesOnCanvas(page).count()).toBeGreaterThan(2);
  await expectNumbers(page, 'f', { value: SOFTPLUS_2, grad: 1 }, 1e-9);
  await expectNumbers(page, 'y', { grad: SIGMOID_2 }, 1e-9);
  expect(errors).toEqual([]);
});

test('a gate of your own is dragged from the palette onto the canvas', async ({ page }) => {
  await page.goto('./');
  await expect(gatesOnCanvas(page).first()).toBeVisible();
  await define(page, 'softplus(x) = log(1 + exp(x))');
  const before = await gatesOnCanvas(page).count();
  const pane = page.locator('.react-flow__pane');
  const box = await pane.boundingBox();
  await palette(page)
    .locator('button[data-op="softplus"]')
    .dragTo(pane, { targetPosition: { x: (box?.width ?? 400) / 2, y: (box?.height ?? 300) - 60 } });
  await expect(gatesOnCanvas(page)).toHaveCount(before + 1);
});

test('a definition that reads an unknown name is refused at its place and keeps the text; a gate not in use is deleted at once', async ({
  page,
}) => {
  await page.goto('./');
  await palette(page).getByRole('button', { name: 'New gate' }).click();
  const dialog = page.getByRole('dialog', { name: 'New gate' });
  const text = dialog.getByLabel('Gate definition');
  await expect(text).toBeFocused();
  await text.fill('g(x) = x + y');
  // Ctrl+Enter applies, as Define does.
  await text.press('Control+Enter');
  const alert = dialog.getByRole('alert');
  await expect(alert).toContainText(/line 1, column \d+: .*'y'/);
  await expect(text).toHaveValue('g(x) = x + y');
  await expect(palette(page).locator('button[data-op="g"]')).toHaveCount(0);

  // Fixed, it is defined; Escape had not been needed. Not in use, it is deleted at once.
  await text.fill('g(x, y) = x + y');
  await dialog.getByRole('button', { name: 'Define' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(palette(page).locator('button[data-op="g"]')).toContainText('g(x, y)');
  await palette(page).getByRole('button', { name: 'Delete gate g' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(palette(page).locator('button[data-op="g"]')).toHaveCount(0);
});

test('a gate used inside another is not deleted, saying why; hostile names are ordinary names', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await define(page, '__proto__(x) = exp(x)');
  await define(page, 'constructor(x) = __proto__(x) + 1');
  await expect(palette(page).locator('button[data-op="constructor"]')).toContainText(
    'constructor(x)',
  );
  await palette(page).getByRole('button', { name: 'Delete gate __proto__' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Messages' })).toContainText(
    '__proto__ is used inside constructor',
  );
  await expect(palette(page).locator('button[data-op="__proto__"]')).toBeVisible();

  // Dragged onto the canvas and clicked, each adds its gate.
  const before = await gatesOnCanvas(page).count();
  await palette(page).locator('button[data-op="constructor"]').click();
  await palette(page)
    .locator('button[data-op="__proto__"]')
    .dragTo(page.locator('.react-flow__pane'));
  await expect(gatesOnCanvas(page)).toHaveCount(before + 2);
  // Not in use inside another gate once constructor is gone (its canvas gate is expanded).
  await palette(page).getByRole('button', { name: 'Delete gate constructor' }).click();
  await page
    .getByRole('dialog', { name: 'Delete constructor?' })
    .getByRole('button', { name: 'Delete and expand' })
    .click();
  await expect(palette(page).locator('button[data-op="constructor"]')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a wrong hand-written gradient is flagged in the palette with the two numbers', async ({
  page,
}) => {
  await page.goto('./');
  await define(page, 'h(x) = x * x\nd/dx = 3 * x');
  const entry = palette(page).locator('button[data-op="h"]');
  await expect(entry).toHaveAttribute('data-flagged', 'true');
  await expect(entry).toContainText('⚠');
  await expect(entry).toContainText('d/dx wrong');
  await expect(entry).toHaveAttribute(
    'title',
    /d\/dx = 3 \* x is wrong: at x = .* it gives .*, numerical differences give /,
  );

  // A right one is not flagged; a known function is marked.
  await define(page, 'k(x) = x * x\nd/dx = 2 * x');
  await define(page, 'sig(x) = 1 / (1 + exp(-x))');
  await expect(palette(page).locator('button[data-op="sig"]')).toContainText('= sigmoid');
  // The marks are readable (contrast) and named, in light and dark mode.
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const violations = (await new AxeBuilder({ page }).include('.palette-gates').analyze())
      .violations;
    expect(
      violations.map((v) => `${scheme} ${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`),
    ).toEqual([]);
  }
  await expect(palette(page).locator('button[data-op="k"]')).toBeVisible();
  await expect(palette(page).locator('button[data-op="k"]')).not.toHaveAttribute(
    'data-flagged',
    'true',
  );
});

test('Python definitions are read too, with their hand-written gradient', async ({ page }) => {
  await page.goto('./');
  await define(
    page,
    'import numpy as np\ndef softplus(x):\n    return np.log(1 + np.exp(x))\ndef dsoftplus_dx(x):\n    return 1 / (1 + np.exp(-x))',
  );
  const entry = palette(page).locator('button[data-op="softplus"]');
  await expect(entry).toBeVisible();
  await expect(entry).toHaveAttribute('title', /d\/dx = /);
  await expect(entry).not.toHaveAttribute('data-flagged', 'true');

  // A mistake in the Python is shown at the pasted line.
  await palette(page).getByRole('button', { name: 'New gate' }).click();
  const dialog = page.getByRole('dialog', { name: 'New gate' });
  await dialog.getByLabel('Gate definition').fill('\ndef g(x):\n    return x + y');
  await dialog.getByRole('button', { name: 'Define' }).click();
  await expect(dialog.getByRole('alert')).toContainText(/line 3, column \d+: .*y/);
});

test('the New gate dialog has no accessibility violations and Escape closes it, keeping the text', async ({
  page,
}) => {
  await page.goto('./');
  await palette(page).getByRole('button', { name: 'New gate' }).click();
  const dialog = page.getByRole('dialog', { name: 'New gate' });
  await dialog.getByLabel('Gate definition').fill('g(x) = x + y');
  await dialog.getByRole('button', { name: 'Define' }).click();
  await expect(dialog.getByRole('alert')).not.toBeEmpty();
  const violations = (await new AxeBuilder({ page }).include('dialog[open]').analyze()).violations;
  expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await palette(page).getByRole('button', { name: 'New gate' }).click();
  await expect(dialog.getByLabel('Gate definition')).toHaveValue('g(x) = x + y');
});

test.describe('phone upright', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test('the drawer opens New gate; Escape closes the dialog and not the drawer; the gate is added from the drawer', async ({
    page,
  }) => {
    await page.goto('./');
    await page.getByRole('button', { name: 'Gates' }).tap();
    await expect(palette(page)).toBeVisible();
    await palette(page).getByRole('button', { name: 'New gate' }).tap();
    const dialog = page.getByRole('dialog', { name: 'New gate' });
    await expect(dialog).toBeVisible();
    const box = await dialog.boundingBox();
    expect(box?.width ?? 0).toBeLessThanOrEqual(390);
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(palette(page)).toBeVisible();

    await palette(page).getByRole('button', { name: 'New gate' }).tap();
    await dialog.getByLabel('Gate definition').fill('softplus(x) = log(1 + exp(x))');
    await dialog.getByRole('button', { name: 'Define' }).tap();
    await expect(dialog).toHaveCount(0);
    const entry = palette(page).locator('button[data-op="softplus"]');
    await expect(entry).toBeVisible();
    const before = await gatesOnCanvas(page).count();
    await entry.tap();
    // Adding closes the drawer, as for any gate.
    await expect(palette(page)).toHaveCount(0);
    await expect(gatesOnCanvas(page)).toHaveCount(before + 1);
  });
});
