import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { expectNumbers, node, watchErrors } from './helpers';

/** The centre of a handle: a gate's output handle, or one of its input ports. */
function handle(page: Page, id: string, port: string) {
  const selector =
    port === 'out'
      ? `.react-flow__node[data-id="${id}"] .react-flow__handle.source`
      : `.react-flow__node[data-id="${id}"] .react-flow__handle[data-handleid="${port}"]`;
  return page.locator(selector);
}

/** A handle's box once the canvas has stopped moving (fitting the view animates). */
async function settledBox(page: Page, from: string, port: string) {
  const locator = handle(page, from, port);
  let box = await locator.boundingBox();
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(50);
    const next = await locator.boundingBox();
    if (box && next && box.x === next.x && box.y === next.y) return next;
    box = next;
  }
  return box;
}

async function dragWire(page: Page, from: string, to: string, port: string) {
  const a = await settledBox(page, from, 'out');
  const b = await settledBox(page, to, port);
  if (!a || !b) throw new Error(`handle not found: ${from} → ${to}.${port}`);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

async function startEmpty(page: Page) {
  await page.goto('./');
  await expect(node(page, 'f')).toBeVisible();
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(page.locator('[data-node-id]')).toHaveCount(0);
}

test('build (x + y) · z with the mouse and read the gradients', async ({ page }) => {
  const errors = watchErrors(page);
  await startEmpty(page);
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Add input' }).click();
  await page.getByRole('button', { name: 'Add add' }).click();
  await page.getByRole('button', { name: 'Add multiply' }).click();
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('f');
  await expect(page.locator('[data-node-id]')).toHaveCount(5);

  await page.getByLabel('Value of x').fill('-2');
  await page.getByLabel('Value of y').fill('5');
  await page.getByLabel('Value of z').fill('-4');
  await page.getByLabel('Value of z').press('Enter');

  await dragWire(page, 'x', 'add1', 'a');
  await dragWire(page, 'y', 'add1', 'b');
  await dragWire(page, 'add1', 'mul1', 'a');
  await dragWire(page, 'z', 'mul1', 'b');

  await expectNumbers(page, 'mul1', { value: -12, grad: 1 });
  await expectNumbers(page, 'add1', { value: 3, grad: -4 });
  await expectNumbers(page, 'x', { value: -2, grad: -4 });
  await expectNumbers(page, 'y', { value: 5, grad: -4 });
  await expectNumbers(page, 'z', { value: -4, grad: 3 });
  expect(errors).toEqual([]);
});

test('build (x + y) · z with the keyboard only', async ({ page }) => {
  await startEmpty(page);
  // Palette buttons take Enter; "a" jumps to the palette.
  await page.keyboard.press('a');
  const addInput = page.getByRole('button', { name: 'Add input' });
  await expect(addInput).toBeFocused();
  for (let i = 0; i < 3; i++) await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Add add' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Add multiply' }).focus();
  await page.keyboard.press('Enter');

  for (const [name, v] of [
    ['x', '-2'],
    ['y', '5'],
    ['z', '-4'],
  ]) {
    await page.getByLabel(`Value of ${name}`).focus();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(v);
    await page.keyboard.press('Enter');
  }

  const connect = async (from: string, target: string) => {
    await page.locator('body').focus();
    await page.keyboard.press('c');
    const dialog = page.getByRole('dialog', { name: 'Connect' });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel('Output of').selectOption(from);
    await dialog.getByLabel('Into').selectOption(target);
    await dialog.getByLabel('Into').press('Enter');
    await expect(dialog).toBeHidden();
  };
  await connect('x', 'add1:a');
  await connect('y', 'add1:b');
  await connect('add1', 'mul1:a');
  await connect('z', 'mul1:b');

  await expectNumbers(page, 'mul1', { value: -12, grad: 1 });
  await expectNumbers(page, 'x', { grad: -4 });
  await expectNumbers(page, 'y', { grad: -4 });
  await expectNumbers(page, 'z', { grad: 3 });
  // The circuit built by hand reads back as a program.
  await expect(page.getByLabel('Expression')).toHaveValue(
    'x = -2\ny = 5\nz = -4\nadd1 = x + y\nmul1 = add1 * z',
  );
});

test('type the staged program and get gradients that add up at forks', async ({ page }) => {
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill(
    [
      'x = 3',
      'y = 4',
      'sigy = sigmoid(y)',
      'num = x + sigy',
      'sigx = sigmoid(x)',
      'xpy = x + y',
      'xpysqr = xpy^2',
      'den = sigx + xpysqr',
      'invden = 1 / den',
      'f = num * invden',
    ].join('\n'),
  );
  await field.press('Enter');
  // Independent numbers: the closed-form derivative of
  // f = (x + σ(y)) / (σ(x) + (x + y)²) at x = 3, y = 4.
  const s = (t: number) => 1 / (1 + Math.exp(-t));
  const [x, y] = [3, 4];
  const num = x + s(y);
  const den = s(x) + (x + y) ** 2;
  const dfdx = 1 / den - (num * (s(x) * (1 - s(x)) + 2 * (x + y))) / den ** 2;
  const dfdy = (s(y) * (1 - s(y))) / den - (num * 2 * (x + y)) / den ** 2;
  await expectNumbers(page, 'f', { value: 0.07971588771237584 });
  await expectNumbers(page, 'x', { grad: dfdx });
  await expectNumbers(page, 'y', { grad: dfdy });
  for (const id of ['sigy', 'num', 'sigx', 'xpy', 'xpysqr', 'den', 'invden']) {
    await expect(node(page, id)).toBeVisible();
  }
});

test('a parse error points at the place and keeps the circuit', async ({ page }) => {
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill('x = 2\nf = (x + ');
  await field.press('Enter');
  await expect(page.getByRole('alert')).toContainText('line 2');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
});

test('a connection that would make a loop is refused with a message', async ({ page }) => {
  await page.goto('./');
  await expect(node(page, 'f')).toBeVisible();
  // f is fed by q; wiring f's output back into q would close a loop. q's ports are taken,
  // so free one first by deleting the wire x → q.a.
  await page.locator('.react-flow__edge[data-id="q:a"]').click({ force: true });
  await page.keyboard.press('Delete');
  await expect(page.locator('.react-flow__edge[data-id="q:a"]')).toHaveCount(0);
  await dragWire(page, 'f', 'q', 'a');
  await expect(page.getByRole('alert')).toContainText('loop');
  await expect(page.locator('.react-flow__edge[data-id="q:a"]')).toHaveCount(0);
});

test('a port that already has a wire refuses a second one', async ({ page }) => {
  await page.goto('./');
  await expect(node(page, 'f')).toBeVisible();
  await dragWire(page, 'z', 'q', 'a');
  await expect(page.getByRole('alert')).toContainText('already has a wire');
});

test('undo and redo a delete', async ({ page }) => {
  await page.goto('./');
  await node(page, 'z').click({ position: { x: 10, y: 10 } });
  await page.keyboard.press('Delete');
  await expect(node(page, 'z')).toHaveCount(0);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(node(page, 'z')).toBeVisible();
  await expect(node(page, 'z')).toHaveAttribute('data-grad', '3');
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(node(page, 'z')).toHaveCount(0);
  await page.keyboard.press('ControlOrMeta+z');
  await expect(node(page, 'z')).toBeVisible();
});

test('editing a value re-evaluates at once, and undo restores it', async ({ page }) => {
  await page.goto('./');
  const field = page.getByLabel('Value of z');
  await field.fill('2');
  await field.press('Enter');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '6');
  await expect(node(page, 'x')).toHaveAttribute('data-grad', '2');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
});

/** The notes' neuron, whichever way its sigmoid is built: the same numbers. */
const NEURON = {
  f: { value: 0.7310585786300049 },
  x0: { grad: 0.3932238664829637 },
  x1: { grad: -0.5898357997244456 },
  w0: { grad: -0.19661193324148185 },
  w1: { grad: -0.3932238664829637 },
  w2: { grad: 0.19661193324148185 },
};

const GALLERY: { id: string; check: Record<string, { value?: number; grad?: number }> }[] = [
  {
    id: 'add-multiply',
    check: { f: { value: -12 }, x: { grad: -4 }, y: { grad: -4 }, z: { grad: 3 } },
  },
  {
    id: 'neuron',
    check: NEURON,
  },
  {
    id: 'neuron-primitive',
    check: NEURON,
  },
  {
    id: 'neuron-gate',
    check: NEURON,
  },
  {
    id: 'patterns',
    check: { f: { value: -20 }, x: { grad: -8 }, y: { grad: 6 }, z: { grad: 2 }, w: { grad: 0 } },
  },
  { id: 'staged', check: { f: { value: 0.07971588771237584 } } },
];

for (const example of GALLERY) {
  test(`gallery: ${example.id} matches the reference numbers`, async ({ page }) => {
    await page.goto('./');
    await page.getByLabel('Example').selectOption(example.id);
    for (const [id, numbers] of Object.entries(example.check)) {
      await expectNumbers(page, id, numbers, 1e-12);
    }
  });
}

test('gallery: D = W · X shows matrix values and gradients of the right shapes', async ({
  page,
}) => {
  await page.goto('./');
  await page.getByLabel('Example').selectOption('matmul');
  // W = [[1,2,0],[-1,0.5,3]], X = [[2,-1],[0,1],[1,1]], f = sum(W·X) so dD = ones:
  // dW = ones(2×2)·Xᵀ = row sums of X in every row; dX = Wᵀ·ones = column sums of W.
  await expect(node(page, 'W')).toHaveAttribute(
    'data-grad',
    JSON.stringify([
      [1, 1, 2],
      [1, 1, 2],
    ]),
  );
  await expect(node(page, 'X')).toHaveAttribute(
    'data-grad',
    JSON.stringify([
      [0, 0],
      [2.5, 2.5],
      [3, 3],
    ]),
  );
  await expect(node(page, 'D')).toHaveAttribute(
    'data-value',
    JSON.stringify([
      [2, 1],
      [1, 4.5],
    ]),
  );
});

test('the inspector shows formulas and the gradient check', async ({ page }) => {
  await page.goto('./');
  await node(page, 'x').click({ position: { x: 10, y: 10 } });
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await expect(inspector).toContainText('Gradient check');
  await expect(inspector).toContainText('agrees');
  await node(page, 'f').click();
  await expect(inspector.locator('.katex').first()).toBeVisible();
  await expect(inspector).toContainText('multiply gate swaps');
});

test('no accessibility violations on the main screen and with the inspector open', async ({
  page,
}) => {
  await page.goto('./');
  await expect(node(page, 'f')).toBeVisible();
  const main = await new AxeBuilder({ page }).analyze();
  expect(main.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await node(page, 'f').click();
  await expect(page.getByRole('complementary', { name: 'Inspector' })).toBeVisible();
  await expect(page.locator('.inspector .katex').first()).toBeVisible();
  const withInspector = await new AxeBuilder({ page }).analyze();
  expect(withInspector.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
});
