import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { node, watchErrors } from './helpers';

/** The smallest zoom fit to view goes down to (src/ui/canvas/fit.ts). */
const FIT_MIN_ZOOM = 0.5;

/** `x = 1`, then `terms` gates each adding 1: a chain of `terms` gates. */
const chain = (terms: number) => `x=1;f=x${'+1'.repeat(terms)}`;

/** A number as the canvas writes it for reading (a real minus sign) back to a number. */
const read = (text: string) => Number(text.replace(/\u2212/g, '-'));

/** The canvas's zoom, from the viewport's transform. */
async function zoomOf(page: Page): Promise<number> {
  const transform = await page
    .locator('.react-flow__viewport')
    .evaluate((el) => (el as HTMLElement).style.transform);
  const m = /scale\(([\d.e-]+)\)/.exec(transform);
  if (!m) throw new Error(`no scale in the viewport's transform "${transform}"`);
  return Number(m[1]);
}

/** Whether the element is drawn and its box lies wholly inside the canvas's box. */
async function insideCanvas(page: Page, el: Locator): Promise<boolean> {
  // Far off screen, a large circuit's node is not in the DOM at all.
  if ((await el.count()) === 0) return false;
  const canvas = await page.getByLabel('Circuit canvas').boundingBox();
  const b = await el.boundingBox({ timeout: 1000 });
  if (!b || !canvas) return false;
  return (
    b.x >= canvas.x &&
    b.y >= canvas.y &&
    b.x + b.width <= canvas.x + canvas.width &&
    b.y + b.height <= canvas.y + canvas.height
  );
}

async function openStaged(page: Page) {
  await page.goto('./');
  await page.getByLabel('Example').selectOption('staged');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '0.07971588771237584');
}

/**
 * Counts renders of the canvas's node and wire components, by node id and wire id, through
 * the hook React offers developer tools (present in production builds as well): after each
 * commit, the components that did work in it. Nothing of this is in the app.
 */
async function countRenders(page: Page) {
  await page.addInitScript(() => {
    type Fiber = {
      tag: number;
      flags: number;
      child: Fiber | null;
      sibling: Fiber | null;
      alternate: Fiber | null;
      memoizedProps: Record<string, unknown> | null;
    };
    const counts = new Map<string, number>();
    const PERFORMED_WORK = 1;
    // Function components, forwardRef, memo and simple memo.
    const COMPONENT_TAGS = new Set([0, 11, 14, 15]);
    const record = (f: Fiber) => {
      if (!COMPONENT_TAGS.has(f.tag)) return;
      const p = f.memoizedProps;
      if (!p || typeof p.id !== 'string') return;
      let key = '';
      if ((p.type === 'gate' || p.type === 'inputNode') && 'positionAbsoluteX' in p) {
        key = `node:${p.id}`;
      } else if (p.type === 'wire' && 'sourceX' in p) key = `wire:${p.id}`;
      if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    const mount = (f: Fiber) => {
      record(f);
      for (let c = f.child; c; c = c.sibling) mount(c);
    };
    const update = (next: Fiber, prev: Fiber) => {
      if (next.flags & PERFORMED_WORK) record(next);
      if (next.child === prev.child) return; // the whole subtree bailed out
      for (let c = next.child; c; c = c.sibling) {
        if (c.alternate) update(c, c.alternate);
        else mount(c);
      }
    };
    const w = window as unknown as Record<string, unknown>;
    w.__renders = counts;
    w.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
      supportsFiber: true,
      isDisabled: false,
      renderers: new Map(),
      inject: () => 1,
      checkDCE: () => {},
      onScheduleFiberRoot: () => {},
      onCommitFiberUnmount: () => {},
      onPostCommitFiberRoot: () => {},
      onCommitFiberRoot: (_id: number, root: { current: Fiber }) => {
        const current = root.current;
        if (current.alternate) update(current, current.alternate);
        else mount(current);
      },
    };
  });
  return {
    reset: () =>
      page.evaluate(() =>
        (window as unknown as { __renders: Map<string, number> }).__renders.clear(),
      ),
    read: () =>
      page.evaluate(() =>
        Object.fromEntries((window as unknown as { __renders: Map<string, number> }).__renders),
      ),
  };
}

test('dragging one gate re-renders that gate and its wires only', async ({ page }) => {
  const renders = await countRenders(page);
  await openStaged(page);
  // The counter sees the canvas: every node rendered at least once so far.
  const first = await renders.read();
  for (const id of ['x', 'y', 'den', 'f']) expect(first[`node:${id}`] ?? 0).toBeGreaterThan(0);

  const den = node(page, 'den');
  const box = await den.boundingBox();
  if (!box) throw new Error('gate den is not on screen');
  await renders.reset();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) {
    await page.mouse.move(box.x + box.width / 2 + i * 8, box.y + box.height / 2 + i * 5);
  }
  await expect.poll(async () => (await den.boundingBox())?.x ?? 0).toBeGreaterThan(box.x + 20);
  const during = await renders.read();
  await page.mouse.up();

  expect(during['node:den'] ?? 0, 'the dragged gate re-renders').toBeGreaterThan(0);
  const others = Object.entries(during).filter(
    ([key, n]) => key.startsWith('node:') && key !== 'node:den' && n > 0,
  );
  expect(others, 'no other node re-renders during the drag').toEqual([]);
  // The wires into and out of den: from sigx and xpysqr (den:a, den:b), into invden (1 / den).
  const wires = Object.keys(during).filter((key) => key.startsWith('wire:'));
  expect(wires.length).toBeGreaterThan(0);
  for (const key of wires)
    expect(key, 'only wires of den re-render').toMatch(/^wire:(den:[ab]|invden:b)$/);

  // After the drop, still no other node has re-rendered.
  await expect.poll(async () => (await den.boundingBox())?.x ?? 0).toBeGreaterThan(box.x + 20);
  const after = await renders.read();
  const othersAfter = Object.entries(after).filter(
    ([key, n]) => key.startsWith('node:') && key !== 'node:den' && n > 0,
  );
  expect(othersAfter).toEqual([]);
});

test('selecting a gate re-renders that gate only', async ({ page }) => {
  const renders = await countRenders(page);
  await openStaged(page);
  await renders.reset();
  await node(page, 'num').click();
  await expect(page.locator('.react-flow__node.selected')).toHaveCount(1);
  const counts = await renders.read();
  expect(counts['node:num'] ?? 0).toBeGreaterThan(0);
  const others = Object.entries(counts).filter(
    ([key, n]) => key.startsWith('node:') && key !== 'node:num' && n > 0,
  );
  expect(others).toEqual([]);
});

test('accessible names carry each node’s value and gradient', async ({ page }) => {
  const errors = watchErrors(page);
  await openStaged(page);
  const wrappers = page.locator('.react-flow__node');
  await expect(wrappers).toHaveCount(10);
  const found = await wrappers.evaluateAll((els) =>
    els.map((el) => {
      const inner = el.querySelector('[data-node-id]');
      return {
        id: inner?.getAttribute('data-node-id') ?? '',
        name: el.getAttribute('aria-label') ?? '',
        value: inner?.getAttribute('data-value') ?? '',
        grad: inner?.getAttribute('data-grad') ?? '',
      };
    }),
  );
  for (const n of found) {
    const value = /value ([^,]+)/.exec(n.name);
    const grad = /gradient ([^,]+)/.exec(n.name);
    expect(value, `${n.id}: "${n.name}" names a value`).not.toBeNull();
    expect(grad, `${n.id}: "${n.name}" names a gradient`).not.toBeNull();
    const v = Number(n.value);
    const g = Number(n.grad);
    // Written to four significant digits.
    expect(Math.abs(read(value?.[1] ?? '') - v), `${n.id} value`).toBeLessThanOrEqual(
      Math.abs(v) * 1e-3 + 1e-12,
    );
    expect(Math.abs(read(grad?.[1] ?? '') - g), `${n.id} gradient`).toBeLessThanOrEqual(
      Math.abs(g) * 1e-3 + 1e-12,
    );
  }
  await expect(page.getByRole('group', { name: /^multiply gate f, / })).toHaveAccessibleName(
    /multiply gate f, the output, value 0\.07972, gradient 1$/,
  );
  await expect(page.getByRole('group', { name: /^input x,/ })).toHaveAccessibleName(
    /^input x, value 3, gradient /,
  );
  expect(errors).toEqual([]);
});

test('a partial sum at a fork is tagged and announced "so far"', async ({ page }) => {
  await openStaged(page);
  const live = await node(page, 'x').getAttribute('data-grad');
  await page.getByRole('button', { name: 'Reset' }).click();
  const x = node(page, 'x');
  // x feeds num, sigx and xpy: step until it has some of its gradient but not all.
  let partial = false;
  for (let i = 0; i < 30 && !partial; i++) {
    await page.getByRole('button', { name: 'Step forward' }).click();
    partial =
      (await x.getAttribute('data-grad')) !== '' &&
      (await x.getAttribute('data-grad-done')) === 'false';
  }
  expect(partial, 'x shows a partial gradient during the backward pass').toBe(true);
  const sum = Number(await x.getAttribute('data-grad'));
  expect(sum).not.toBe(Number(live));
  await expect(x.locator('.so-far-tag')).toBeVisible();
  await expect(x.locator('.so-far-tag')).toHaveText(/so far/);
  await expect(x.locator('.input-grad')).toHaveClass(/is-partial/);
  const wrapper = page.locator('.react-flow__node', { has: x });
  await expect(wrapper).toHaveAttribute('aria-label', /gradient so far /);
  const said = /gradient so far ([^,]+)/.exec((await wrapper.getAttribute('aria-label')) ?? '');
  expect(Math.abs(read(said?.[1] ?? '') - sum)).toBeLessThanOrEqual(Math.abs(sum) * 1e-3 + 1e-12);
  // The number in the header is whole, not cut off.
  const grad = x.locator('.input-grad');
  const clipped = await grad.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
  expect(clipped).toBe(false);
  await expect(grad).not.toHaveText(/…/);

  // Once every reader has sent its part, the tag goes and the name says "gradient".
  const forward = page.getByRole('button', { name: 'Step forward' });
  for (let i = 0; i < 30 && (await x.getAttribute('data-grad-done')) !== 'true'; i++) {
    await forward.click();
  }
  await expect(x).toHaveAttribute('data-grad-done', 'true');
  await expect(x.locator('.so-far-tag')).toHaveCount(0);
  await expect(wrapper).toHaveAttribute('aria-label', /, gradient /);
});

test('embed mode is for playback only: no input value or literal can be edited', async ({
  page,
}) => {
  await page.goto(`./#expr=${encodeURIComponent('x = 3; y = -4; f = 2 * (x * y) + 1')}&embed=1`);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-23');
  const canvas = page.getByLabel('Circuit canvas');
  await expect(canvas.locator('[data-node-id="x"]')).toContainText('3');
  await expect(canvas.locator('input, textarea, [contenteditable="true"]')).toHaveCount(0);
  await expect(canvas.locator('.gate-literal')).toHaveCount(0);
  await expect(canvas.locator('.scrub-handle')).toHaveCount(0);
  // Keyboard: Enter on a gate with a literal opens nothing.
  const literalGate = page.locator('.react-flow__node', {
    has: page.locator('[data-node-id][data-op="mul"]'),
  });
  await literalGate.first().focus();
  await page.keyboard.press('Enter');
  await expect(canvas.locator('input')).toHaveCount(0);
  // Playback still works.
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(node(page, 'f')).toHaveAttribute('data-value', '');
});

test('an unfinished circuit shows no "f = —" readout; a finished one does', async ({ page }) => {
  await page.goto('./');
  await page.getByLabel('Expression').fill('x = 2\ny = 5\nf = x * y');
  await page.getByLabel('Expression').press('Enter');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '10');
  await expect(page.locator('.output-readout')).toContainText('f = 10');
  // Without the wire into its port a, f has nothing to compute: no readout hangs on it.
  await page.locator('.react-flow__edge[data-id="f:a"]').click({ force: true });
  await page.keyboard.press('Delete');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '');
  await expect(page.locator('.output-readout')).toHaveCount(0);
  await expect(page.locator('.output-readout', { hasText: '—' })).toHaveCount(0);
});

test('a 300-gate circuit: fitted at a readable zoom, colours far out, the camera follows', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const errors = watchErrors(page);
  await page.goto(`./#expr=${encodeURIComponent(chain(300))}`);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '301', { timeout: 30_000 });
  // Fit: never below the floor, and the output end in view.
  await page
    .getByLabel('Circuit canvas')
    .getByRole('button', { name: /fit view/i })
    .click();
  await expect.poll(() => zoomOf(page)).toBeGreaterThanOrEqual(FIT_MIN_ZOOM - 1e-6);
  await expect(node(page, 'f')).toBeInViewport();
  const flow = page.locator('.react-flow');
  await expect(flow).toHaveAttribute('data-zoom', 'near');

  // Far out: the canvas switches to colour, and wires carry the gradient's sign.
  const zoomOut = page.getByRole('button', { name: /zoom out/i });
  for (let i = 0; i < 6 && (await zoomOf(page)) >= 0.38; i++) await zoomOut.click();
  await expect(flow).toHaveAttribute('data-zoom', 'far');
  await expect(flow).toHaveClass(/canvas--far/);
  // (A straight wire has a box of no height, which Playwright counts as hidden: attached.)
  const wire = page.locator('.react-flow__edge-path.wire--grad-pos').first();
  await expect(wire).toBeAttached();
  const stroke = await wire.evaluate((el) => getComputedStyle(el).stroke);
  const flowPos = await page.evaluate(() => {
    const probe = document.createElement('div');
    probe.style.color = 'var(--flow-pos)';
    document.body.append(probe);
    const c = getComputedStyle(probe).color;
    probe.remove();
    return c;
  });
  expect(stroke).toBe(flowPos);

  // Back to fit, then playback from the start: the first gate is at the far (left) end, off
  // screen; the camera brings it into view.
  await page
    .getByLabel('Circuit canvas')
    .getByRole('button', { name: /fit view/i })
    .click();
  await expect(flow).toHaveAttribute('data-zoom', 'near');
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.getByRole('button', { name: 'Step forward' }).click();
  const active = page.locator('.gate.is-active-step');
  await expect(active).toHaveCount(1);
  await expect(active).toBeInViewport();
  await expect.poll(() => insideCanvas(page, active)).toBe(true);
  expect(await zoomOf(page)).toBeGreaterThanOrEqual(FIT_MIN_ZOOM - 1e-6);
  expect(errors).toEqual([]);
});

test('messages of several gates missing inputs do not pile up: each shows when selected', async ({
  page,
}) => {
  await page.goto('./');
  await page.getByLabel('Expression').fill('x = 2\ny = 5\nq = x * y\nf = q + x');
  await page.getByLabel('Expression').press('Enter');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '12');
  for (const wire of ['q:a', 'f:b']) {
    await page.locator(`.react-flow__edge[data-id="${wire}"]`).click({ force: true });
    await page.keyboard.press('Delete');
  }
  await expect(node(page, 'q')).toHaveClass(/gate--problem/);
  await expect(node(page, 'f')).toHaveClass(/gate--problem/);
  // Two gates with problems: flags only, no message drawn over the other's.
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.mouse.move(2, 2);
  await expect(page.locator('.gate-problem').filter({ visible: true })).toHaveCount(0);
  await expect(page.locator('.gate-flag')).toHaveCount(2);
  // The selected gate shows its message, and its accessible name says it.
  await node(page, 'q').click();
  const shown = page.locator('.gate-problem').filter({ visible: true });
  await expect(shown).toHaveCount(1);
  await expect(node(page, 'q').locator('.gate-problem')).toBeVisible();
  await expect(page.locator('.react-flow__node', { has: node(page, 'q') })).toHaveAttribute(
    'aria-label',
    /multiply gate q, no value yet, .*a/,
  );
});

test('a pan by the user stops the camera following until Play is pressed again', async ({
  page,
}) => {
  test.setTimeout(60_000);
  await page.goto(`./#expr=${encodeURIComponent(chain(300))}`);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '301', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.getByRole('button', { name: 'Step forward' }).click();
  const active = page.locator('.gate.is-active-step');
  await expect.poll(() => insideCanvas(page, active)).toBe(true);
  // Wait for the camera to settle: the same transform on two reads in a row.
  let last = '';
  await expect
    .poll(async () => {
      const now = await page
        .locator('.react-flow__viewport')
        .evaluate((el) => (el as HTMLElement).style.transform);
      const same = now === last;
      last = now;
      return same;
    })
    .toBe(true);
  // Drag the view to the left: the start of the chain leaves the screen.
  const canvas = await page.getByLabel('Circuit canvas').boundingBox();
  if (!canvas) throw new Error('no canvas on screen');
  // On empty canvas, above the chain and clear of the panels in the corners.
  const y = canvas.y + canvas.height * 0.3;
  const x = canvas.x + canvas.width * 0.8;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(x - i * 80, y);
  await page.mouse.up();
  await expect.poll(() => insideCanvas(page, active)).toBe(false);
  const transform = () =>
    page.locator('.react-flow__viewport').evaluate((el) => (el as HTMLElement).style.transform);
  const panned = await transform();
  // Stepping on: the camera stays where the user put it.
  for (const step of ['2', '3', '4']) {
    await page.getByRole('button', { name: 'Step forward' }).click();
    await expect(page.getByLabel('Timeline')).toHaveValue(step);
  }
  expect(await transform()).toBe(panned);
  // Play follows again.
  await page.getByRole('button', { name: 'Play' }).click();
  await expect.poll(() => insideCanvas(page, active)).toBe(true);
  await page.getByRole('button', { name: 'Pause' }).click();
});

/** A number with every digit, as a matrix cell's title writes it (a real minus sign). */
const exact = (x: number, signed = false) =>
  `${signed && x > 0 ? '+' : ''}${String(x).replace('-', '\u2212')}`;

test('matrices: every entry’s exact number on hover and keyboard focus, the readout as grids', async ({
  page,
}) => {
  const errors = watchErrors(page);
  const program = 'W = randn(5, 10); X = randn(10, 3); D = W @ X';
  await page.goto(`./#expr=${encodeURIComponent(program)}&seed=random:7`);
  const W = node(page, 'W');
  await expect(W).toHaveAttribute('data-value', /^\[\[/);
  const w = JSON.parse((await W.getAttribute('data-value')) ?? '[]') as number[][];
  // 5×10 is past 6×6: a heat map, one cell per entry, each titled with its exact number.
  await expect(W.locator('.matrix-view--value.matrix-view--heat')).toHaveCount(1);
  const cells = W.locator('.matrix-view--value td');
  await expect(cells).toHaveCount(50);
  await expect(cells.nth(13)).toHaveAttribute('title', `W[1][3] = ${exact(w[1][3])}`);
  await expect(cells.nth(13)).toHaveAttribute('data-entry', '1,3');

  // The keyboard: into the grid, then the arrow keys move between entries. The node stays
  // where it is (the canvas would move a selected node) and playback does not step.
  const wrapper = page.locator('.react-flow__node[data-id="W"]');
  const before = await wrapper.evaluate((el) => (el as HTMLElement).style.transform);
  await cells.first().focus();
  for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowDown', 'ArrowDown']) {
    await page.keyboard.press(key);
  }
  await expect(page.locator(':focus')).toHaveAttribute('data-entry', '2,3');
  await expect(page.locator(':focus')).toHaveAttribute('aria-label', `W[2][3] = ${exact(w[2][3])}`);
  await expect(W.locator('.matrix-tip')).toHaveText(`W[2][3] = ${exact(w[2][3])}`);
  expect(await wrapper.evaluate((el) => (el as HTMLElement).style.transform)).toBe(before);
  await expect(page.getByText('all steps shown')).toBeVisible();
  await page.keyboard.press('End');
  await expect(page.locator(':focus')).toHaveAttribute('data-entry', '2,9');

  // The output D (5×3) writes its value and its gradient (the random dD) as grids of numbers.
  const D = node(page, 'D');
  const d = JSON.parse((await D.getAttribute('data-value')) ?? '[]') as number[][];
  const dD = JSON.parse((await D.getAttribute('data-grad')) ?? '[]') as number[][];
  const readout = D.locator('.output-readout--matrix');
  await expect(readout.locator('.readout-head')).toHaveText('D = 5×3');
  await expect(readout.locator('.matrix-view--value.matrix-view--numbers td')).toHaveCount(15);
  await expect(readout.locator('.matrix-view--value td[data-entry="4,2"]')).toHaveAttribute(
    'title',
    `D[4][2] = ${exact(d[4][2])}`,
  );
  await expect(readout.locator('.matrix-view--grad td[data-entry="1,0"]')).toHaveAttribute(
    'title',
    `dD[1][0] = ${exact(dD[1][0], true)}`,
  );
  // Rounded on the canvas, with a real minus sign and a gradient's sign.
  const shown = await readout.locator('.matrix-view--grad td[data-entry="1,0"]').textContent();
  expect(Number((shown ?? '').replace('\u2212', '-'))).toBeCloseTo(dD[1][0], 1);
  if (dD[1][0] > 0) expect(shown).toMatch(/^\+/);
  if (dD[1][0] < 0) expect(shown).toMatch(/^\u2212/);

  // Wires carry their shape, and here a preview of the entries.
  // (The text drawn is a label's last child; the first is its <title>.)
  const labels = await page
    .locator('.react-flow .wire-label')
    .evaluateAll((els) => els.map((el) => el.lastChild?.textContent ?? ''));
  expect(labels).toEqual(expect.arrayContaining(['5×10', '∂ 5×10', '10×3', '∂ 10×3']));
  await expect(page.locator('.react-flow .wire-preview')).not.toHaveCount(0);
  expect(errors).toEqual([]);
});

test('the step panel works out the entry under the pointer or the keyboard in a matrix', async ({
  page,
}) => {
  const program = 'W = randn(5, 10); X = randn(10, 3); D = W @ X';
  // Step 3: the product's backward step (forward, the seed, then backward).
  await page.goto(`./#expr=${encodeURIComponent(program)}&seed=random:7&step=3`);
  const worked = page
    .getByRole('region', { name: 'Step explanation' })
    .locator('.dims-port[data-port="a"] .dims-worked');
  await expect(worked).toHaveAttribute('data-entry', '0,0');
  const dW = node(page, 'W').locator('.matrix-view--grad');
  await dW.locator('td[data-entry="2,4"]').hover();
  await expect(worked).toHaveAttribute('data-entry', '2,4');
  await dW.locator('td[data-entry="1,1"]').focus();
  await page.keyboard.press('ArrowRight');
  await expect(worked).toHaveAttribute('data-entry', '1,2');
  const grad = JSON.parse((await node(page, 'W').getAttribute('data-grad')) ?? '[]') as number[][];
  expect(Number(await worked.getAttribute('data-entry-value'))).toBeCloseTo(grad[1][2], 12);
});

for (const scheme of ['light', 'dark'] as const) {
  test(`matrices have no accessibility violations (${scheme}), a grid focused and the inspector open`, async ({
    page,
  }) => {
    await page.emulateMedia({ colorScheme: scheme });
    const program = 'W = randn(5, 10); X = randn(10, 3); D = W @ X';
    await page.goto(`./#expr=${encodeURIComponent(program)}&seed=random:7`);
    await page.locator('.react-flow__node[data-id="W"] .input-head').click();
    await expect(page.locator('.entry-table--grad')).toBeVisible();
    await page.locator('[data-node-id="D"] .matrix-view--grad td').first().focus();
    await expect(page.locator('[data-node-id="D"] .matrix-tip')).toBeVisible();
    const result = await new AxeBuilder({ page }).analyze();
    expect(
      result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`),
    ).toEqual([]);
  });
}
