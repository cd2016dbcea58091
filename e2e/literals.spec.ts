import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { expectNumbers, node, watchErrors } from './helpers';

/** The staged example as the notes write it, one statement a line. */
const STAGED = [
  'x = 3',
  'y = 4',
  'sigy = 1.0 / (1 + exp(-y))',
  'num = x + sigy',
  'sigx = 1.0 / (1 + exp(-x))',
  'xpy = x + y',
  'xpysqr = xpy**2',
  'den = sigx + xpysqr',
  'invden = 1.0 / den',
  'f = num * invden',
];

/**
 * The operations each statement writes: the literals (1.0, 1, 2) are part of their gates.
 * `1.0 / (1 + exp(-y))` is a negate, an exp, a +1 and a 1/x.
 */
const OPERATIONS = [0, 0, 4, 1, 4, 1, 1, 1, 1, 1];
const INPUTS = 2;

const sigma = (t: number) => 1 / (1 + Math.exp(-t));

/** f and its gradients for x, y and the power k of xpy ** k, by the quotient rule. */
function staged(x: number, y: number, k = 2) {
  const num = x + sigma(y);
  const den = sigma(x) + (x + y) ** k;
  // num' and den' with respect to x and y; x and y each feed several gates, and the sums
  // over those forks are these derivatives.
  const dnum = { x: 1, y: sigma(y) * (1 - sigma(y)) };
  const dden = {
    x: sigma(x) * (1 - sigma(x)) + k * (x + y) ** (k - 1),
    y: k * (x + y) ** (k - 1),
  };
  return {
    f: num / den,
    x: (dnum.x * den - num * dden.x) / den ** 2,
    y: (dnum.y * den - num * dden.y) / den ** 2,
  };
}

/** Types a program into the Expression field and builds it. */
async function build(page: Page, lines: readonly string[]) {
  const field = page.getByLabel('Expression');
  await field.fill(lines.join('\n'));
  await field.press('Enter');
}

async function openEmpty(page: Page) {
  await page.goto('./');
  await expect(node(page, 'f')).toBeVisible();
}

/** Every data-value and data-grad on the page. */
async function numbersOnPage(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-node-id]')).flatMap((el) => [
      el.getAttribute('data-value') ?? '',
      el.getAttribute('data-grad') ?? '',
    ]),
  );
}

/** A literal gradient would be named by its number: ∂f/∂2, ∂f/∂(−1), "1 receives …". */
const LITERAL_GRADIENT = /∂f\/∂\(?[−-]?\d|(^|[.;:] )[−-]?\d[\d.e−]* receives/;

test('the staged program as the notes write it: one gate per operation, no literal anywhere', async ({
  page,
}) => {
  // 29 playback steps, each read back from the page.
  test.setTimeout(90_000);
  const errors = watchErrors(page);
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  await openEmpty(page);
  await build(page, STAGED);

  const expected = staged(3, 4);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '0.07971588771237584');
  expect(Number(await node(page, 'f').getAttribute('data-value'))).toBeCloseTo(expected.f, 15);
  await expect(page.locator('[data-node-id]')).toHaveCount(
    INPUTS + OPERATIONS.reduce((a, b) => a + b, 0),
  );
  // Inputs and gates only: no node of its own for any literal.
  await expect(page.locator('.const')).toHaveCount(0);
  const kinds = await page
    .locator('[data-node-id]')
    .evaluateAll((els) =>
      els.map((el) =>
        el.classList.contains('input-node')
          ? 'input'
          : el.classList.contains('gate')
            ? 'gate'
            : '?',
      ),
    );
  expect(kinds.filter((k) => k === 'input')).toHaveLength(INPUTS);
  expect(kinds).not.toContain('?');
  await expectNumbers(page, 'x', { grad: expected.x }, 1e-13);
  await expectNumbers(page, 'y', { grad: expected.y }, 1e-13);

  // The literals are drawn inside their gates.
  await expect(node(page, 'xpysqr').locator('.gate-literal')).toHaveText('x²');
  await expect(node(page, 'invden').locator('.gate-literal')).toHaveText('1/x');
  await expect(node(page, 'sigy').locator('.gate-literal')).toHaveText('1/x');
  // A port holding a literal has no handle: x² has one input port, 1/x has one.
  await expect(node(page, 'xpysqr').locator('.react-flow__handle.target')).toHaveCount(1);
  await expect(node(page, 'invden').locator('.react-flow__handle.target')).toHaveCount(1);

  // Every step of the playback: no step names a gradient of a literal.
  await page.getByRole('button', { name: 'Reset' }).click();
  const label = page.locator('.timeline-label');
  const live = page.locator('[aria-live="polite"]');
  const forward = page.getByRole('button', { name: 'Step forward' });
  const seen: string[] = [];
  let steps = 0;
  while (await forward.isEnabled()) {
    await forward.click();
    steps += 1;
    await expect(label).toHaveText(new RegExp(`^${steps}/\\d+ `));
    const text = `${await label.textContent()} | ${await live.textContent()}`;
    expect(text, `step ${steps}`).not.toMatch(LITERAL_GRADIENT);
    expect(text).not.toContain('NaN');
    seen.push(text);
  }
  // 14 forward steps, the seed, 14 backward steps.
  expect(steps).toBe(29);
  expect(seen.some((t) => t.includes('forward: xpysqr = xpy ^ 2 = 49'))).toBe(true);
  expect(seen.some((t) => t.includes('Backward through xpysqr (squared)'))).toBe(true);
  expect(warnings.filter((w) => /Unicode|KaTeX|LaTeX/i.test(w))).toEqual([]);
  expect(errors).toEqual([]);
});

test('x = -3; f = x^2 shows no NaN anywhere', async ({ page }) => {
  const errors = watchErrors(page);
  await openEmpty(page);
  await build(page, ['x = -3', 'f = x^2']);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '9');
  await expectNumbers(page, 'x', { grad: -6 });
  await expect(page.locator('[data-node-id]')).toHaveCount(2);
  for (const n of await numbersOnPage(page)) expect(n).not.toContain('NaN');
  await expect(page.locator('body')).not.toContainText('NaN');
  // Nor in any step of the playback.
  await page.getByRole('button', { name: 'Reset' }).click();
  const forward = page.getByRole('button', { name: 'Step forward' });
  while (await forward.isEnabled()) {
    await forward.click();
    await expect(page.locator('body')).not.toContainText('NaN');
  }
  expect(errors).toEqual([]);
});

test('a literal is edited in place: f follows, Undo restores it, bad text keeps the old value', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await openEmpty(page);
  await build(page, STAGED);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '0.07971588771237584');

  const literal = page.getByRole('button', { name: /^Change literal b of xpysqr/ });
  // The field that opens in the gate (the inspector has one of its own).
  const field = page
    .locator('.react-flow__node[data-id="xpysqr"]')
    .getByRole('textbox', { name: 'Literal b of xpysqr' });
  await literal.click();
  await expect(field).toBeFocused();
  await expect(field).toHaveValue('2');
  await field.fill('3');
  await field.press('Enter');
  await expect(field).toHaveCount(0);
  await expect(literal).toHaveText('x³');
  await expectNumbers(page, 'f', { value: staged(3, 4, 3).f }, 1e-15);
  await expectNumbers(page, 'x', { grad: staged(3, 4, 3).x }, 1e-13);
  await expectNumbers(page, 'xpysqr', { value: 343 });

  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(node(page, 'f')).toHaveAttribute('data-value', '0.07971588771237584');
  await expect(literal).toHaveText('x²');

  // Text that is not a number, and empty text: a message at the field, the old value kept.
  for (const bad of ['abc', '']) {
    await literal.click();
    await field.fill(bad);
    await field.press('Enter');
    await expect(field).toBeVisible();
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    const message = page.locator('.literal-error');
    await expect(message).toContainText('Literal b of xpysqr not changed');
    await expect(message).toContainText(bad === '' ? 'empty' : 'not a number');
    await expect(message).toContainText('It stays 2');
    await expect(node(page, 'f')).toHaveAttribute('data-value', '0.07971588771237584');
    await field.press('Escape');
    await expect(field).toHaveCount(0);
    await expect(literal).toHaveText('x²');
  }

  // Keyboard: Enter on the focused gate opens the field; Escape leaves the literal as it was.
  await page.locator('.react-flow__node[data-id="xpysqr"]').focus();
  await page.keyboard.press('Enter');
  await expect(field).toBeFocused();
  await field.fill('5');
  await field.press('Escape');
  await expect(literal).toHaveText('x²');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '0.07971588771237584');

  // The inspector edits the same literal.
  await page.locator('.react-flow__node[data-id="xpysqr"]').click({ position: { x: 4, y: 4 } });
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await expect(inspector).toContainText('A literal is part of its gate');
  const side = inspector.getByRole('textbox', { name: 'Literal b of xpysqr' });
  await side.fill('3');
  await side.press('Enter');
  await expect(literal).toHaveText('x³');
  await expectNumbers(page, 'f', { value: staged(3, 4, 3).f }, 1e-15);

  // The literal's button, its field and its message pass an accessibility scan.
  await literal.click();
  await field.fill('x');
  await field.press('Enter');
  await expect(page.locator('.literal-error')).toBeVisible();
  const scan = await new AxeBuilder({ page }).analyze();
  expect(scan.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual(
    [],
  );
  expect(errors).toEqual([]);
});

test('the palette adds a ×2 gate with its literal inside', async ({ page }) => {
  const errors = watchErrors(page);
  await openEmpty(page);
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(page.locator('[data-node-id]')).toHaveCount(0);
  await page.getByRole('button', { name: 'Add times 2', exact: true }).click();
  const gate = page.locator('[data-node-id][data-op="mul"]');
  await expect(gate).toHaveCount(1);
  const id = (await gate.getAttribute('data-node-id')) as string;
  await expect(gate.locator('.gate-literal')).toHaveText('×2');
  // One input port (a); b holds the literal.
  await expect(gate.locator('.react-flow__handle.target')).toHaveCount(1);
  await expect(gate.locator('.react-flow__handle[data-handleid="a"]')).toHaveCount(1);

  // Wire an input into it: f = 2x.
  await page.getByRole('button', { name: 'Add input' }).click();
  await page.getByLabel('Value of x').fill('1.5');
  await page.getByLabel('Value of x').press('Enter');
  await page.locator('body').focus();
  await page.keyboard.press('c');
  const dialog = page.getByRole('dialog', { name: 'Connect' });
  await dialog.getByLabel('Output of').selectOption('x');
  await dialog.getByLabel('Into').selectOption(`${id}:a`);
  await dialog.getByLabel('Into').press('Enter');
  await expect(dialog).toBeHidden();
  await expect(node(page, id)).toHaveAttribute('data-value', '3');
  await expect(node(page, 'x')).toHaveAttribute('data-grad', '2');
  expect(errors).toEqual([]);
});

test('a preset dragged from the palette keeps its literal, and its literal port takes no wire', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await openEmpty(page);
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(page.locator('[data-node-id]')).toHaveCount(0);
  await page
    .getByRole('button', { name: 'Add times 2', exact: true })
    .dragTo(page.locator('.react-flow__pane'), { targetPosition: { x: 400, y: 250 } });
  const gate = page.locator('[data-node-id][data-op="mul"]');
  await expect(gate).toHaveCount(1);
  await expect(gate.locator('.gate-literal')).toHaveText('×2');
  // The canvas has a handle for the wired port only, centred on the gate's left side.
  const handles = gate.locator('.react-flow__handle.target');
  await expect(handles).toHaveCount(1);
  const box = await gate.boundingBox();
  const handle = await handles.first().boundingBox();
  if (!box || !handle) throw new Error('the gate or its port is not on screen');
  expect(Math.abs(handle.y + handle.height / 2 - (box.y + box.height / 2))).toBeLessThan(3);
  expect(errors).toEqual([]);
});
