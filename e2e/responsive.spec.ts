import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { node } from './helpers';

/** The circuit of the notes' first example: f = (x + y) · z = (−2 + 5) · −4 = −12. */
const FIRST = encodeURIComponent('x = -2; y = 5; z = -4; q = x + y; f = q * z');

const TOUCH_SIZES = [
  { name: 'phone upright', width: 390, height: 844, phone: true },
  { name: 'phone on its side', width: 844, height: 390, phone: true },
  { name: 'tablet upright', width: 768, height: 1024, phone: false },
  { name: 'tablet on its side', width: 1024, height: 768, phone: false },
] as const;

type Box = { x: number; y: number; width: number; height: number };

async function open(page: Page, hash = `#expr=${FIRST}`): Promise<void> {
  await page.goto(`./${hash}`);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
}

/** Fails naming the element when it is outside the window, too small, or covered. */
async function expectTappable(page: Page, target: Locator, what: string): Promise<void> {
  await expect(target, what).toBeVisible();
  const box = (await target.boundingBox()) as Box;
  const size = page.viewportSize() as { width: number; height: number };
  expect(box.width, `${what}: width`).toBeGreaterThanOrEqual(44);
  expect(box.height, `${what}: height`).toBeGreaterThanOrEqual(44);
  expect(box.x, `${what}: left edge`).toBeGreaterThanOrEqual(0);
  expect(box.y, `${what}: top edge`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${what}: right edge`).toBeLessThanOrEqual(size.width);
  expect(box.y + box.height, `${what}: bottom edge`).toBeLessThanOrEqual(size.height);
  const onTop = await target.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  });
  expect(onTop, `${what}: nothing covers its centre`).toBe(true);
}

/** The header's controls, each as its box, for the overlap check. */
async function headerBoxes(page: Page): Promise<{ name: string; box: Box }[]> {
  return page.evaluate(() => {
    const header = document.querySelector('header.topbar');
    if (!header) return [];
    const controls = header.querySelectorAll(
      '.brand, .palette-toggle, .expression-label, .expression-field, .expression-row > .btn, .toolbar > .btn, .toolbar > select, .btn-group > .btn, .menu-button',
    );
    return [...controls]
      .map((el) => {
        const r = el.getBoundingClientRect();
        const name =
          el.getAttribute('aria-label') ??
          (el.textContent ?? '').trim().slice(0, 24) ??
          el.className;
        return {
          name: name || el.className,
          box: { x: r.x, y: r.y, width: r.width, height: r.height },
        };
      })
      .filter((c) => c.box.width > 0 && c.box.height > 0);
  });
}

function overlapping(a: Box, b: Box): boolean {
  // Touching edges are fine; half a pixel of rounding is too.
  return (
    a.x + a.width > b.x + 0.5 &&
    b.x + b.width > a.x + 0.5 &&
    a.y + a.height > b.y + 0.5 &&
    b.y + b.height > a.y + 0.5
  );
}

async function expectNoHeaderOverlap(page: Page): Promise<void> {
  const boxes = await headerBoxes(page);
  expect(boxes.length).toBeGreaterThanOrEqual(4);
  const clashes: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      if (overlapping(boxes[i].box, boxes[j].box))
        clashes.push(`${boxes[i].name} × ${boxes[j].name}`);
    }
  }
  expect(clashes).toEqual([]);
}

async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const { scroll, inner } = await page.evaluate(() => ({
    scroll: document.scrollingElement?.scrollWidth ?? 0,
    inner: window.innerWidth,
  }));
  expect(scroll).toBeLessThanOrEqual(inner);
}

for (const size of TOUCH_SIZES) {
  test.describe(`${size.name} (${size.width}×${size.height})`, () => {
    test.use({
      viewport: { width: size.width, height: size.height },
      hasTouch: true,
      isMobile: true,
    });

    test('fits the width; playback and Share are reachable; the header does not overlap', async ({
      page,
    }) => {
      await open(page);
      await expectNoHorizontalScroll(page);
      await expect(page.getByRole('navigation', { name: 'Gate palette' })).toHaveCount(0);
      for (const name of ['Play', 'Step back', 'Step forward', 'Share']) {
        await expectTappable(page, page.getByRole('button', { name, exact: true }), name);
      }
      await expectTappable(page, page.getByRole('button', { name: 'More' }), 'More');
      await expectNoHeaderOverlap(page);
      const canvas = (await page.locator('.canvas-wrap').boundingBox()) as Box;
      if (size.phone) expect(canvas.width).toBeGreaterThanOrEqual(0.9 * size.width);
      await expect(page.getByLabel('Expression')).toBeVisible();
      // The step panel's text is readable: at least 16 px.
      const idle = await page
        .locator('.step-idle')
        .evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
      expect(idle).toBeGreaterThanOrEqual(16);
      // Stepping works by tapping.
      await page.getByRole('button', { name: 'Reset' }).tap();
      await page.getByRole('button', { name: 'Step forward' }).tap();
      await expect(page.getByLabel('Timeline')).toHaveValue('1');
      await page.getByRole('button', { name: 'Step back' }).tap();
      await expect(page.getByLabel('Timeline')).toHaveValue('0');
    });

    test('the palette drawer adds a gate and closes; Escape and a tap outside close it', async ({
      page,
    }) => {
      await open(page);
      const toggle = page.getByRole('button', { name: 'Gates' });
      const palette = page.getByRole('navigation', { name: 'Gate palette' });
      await expectTappable(page, toggle, 'Gates');
      await expect(toggle).toHaveAttribute('aria-expanded', 'false');
      await toggle.tap();
      await expect(palette).toBeVisible();
      await expect(toggle).toHaveAttribute('aria-expanded', 'true');
      // The focus goes to the first gate of the drawer.
      await expect(palette.getByRole('button').first()).toBeFocused();
      await expectNoHorizontalScroll(page);

      const before = await page.locator('[data-node-id]').count();
      await palette.getByRole('button', { name: 'Add multiply' }).tap();
      await expect(page.locator('[data-node-id]')).toHaveCount(before + 1);
      await expect(page.locator('[data-node-id][data-op="mul"]')).toHaveCount(2);
      await expect(palette).toHaveCount(0);
      await expect(toggle).toBeFocused();

      await toggle.tap();
      await expect(palette).toBeVisible();
      await page.keyboard.press('Escape');
      await expect(palette).toHaveCount(0);
      await expect(toggle).toBeFocused();

      await toggle.tap();
      await expect(palette).toBeVisible();
      const box = (await page.locator('.canvas-wrap').boundingBox()) as Box;
      await page.touchscreen.tap(box.x + box.width - 12, box.y + box.height / 2);
      await expect(palette).toHaveCount(0);
    });

    test('the More menu opens, New and Undo work from it, Escape closes it', async ({ page }) => {
      await open(page);
      const more = page.getByRole('button', { name: 'More' });
      await expect(more).toHaveAttribute('aria-haspopup', 'menu');
      await more.tap();
      const menu = page.getByRole('menu', { name: 'More' });
      await expect(menu).toBeVisible();
      await expect(more).toHaveAttribute('aria-expanded', 'true');
      await expectNoHorizontalScroll(page);
      await menu.getByRole('menuitem', { name: 'New' }).tap();
      await expect(menu).toHaveCount(0);
      await expect(page.locator('[data-node-id]')).toHaveCount(0);
      // The old program does not stay in the field after New.
      await expect(page.getByLabel('Expression')).toHaveValue('');

      // Undo: on a phone in the menu, on a tablet beside it.
      await more.tap();
      const undoInMenu = menu.getByRole('menuitem', { name: 'Undo' });
      if (size.phone) {
        await undoInMenu.tap();
      } else {
        await expect(undoInMenu).toHaveCount(0);
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Undo', exact: true }).tap();
      }
      await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');

      // The keyboard: ↓ opens the menu on its first entry, Escape closes it and gives the
      // focus back to the button.
      await more.focus();
      await page.keyboard.press('ArrowDown');
      await expect(menu).toBeVisible();
      await expect(menu.getByRole('menuitem', { name: 'New' })).toBeFocused();
      await page.keyboard.press('ArrowDown');
      // The next entry that can be chosen (a disabled Undo is passed over).
      await expect
        .poll(() =>
          page.evaluate(() => {
            const el = document.activeElement;
            return el?.getAttribute('role')?.startsWith('menuitem') && el.textContent !== 'New';
          }),
        )
        .toBe(true);
      await page.keyboard.press('Escape');
      await expect(menu).toHaveCount(0);
      await expect(more).toBeFocused();
    });
  });
}

test.describe('phone upright: the inspector', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test('is a sheet under the canvas that leaves the canvas in view and closes', async ({
    page,
  }) => {
    await open(page);
    await page.locator('.react-flow__node[data-id="q"]').tap();
    const inspector = page.getByRole('complementary', { name: 'Inspector' });
    await expect(inspector).toBeVisible();
    const sheet = (await inspector.boundingBox()) as Box;
    const canvas = (await page.locator('.canvas-wrap').boundingBox()) as Box;
    expect(sheet.y).toBeGreaterThanOrEqual(canvas.y + canvas.height - 1);
    expect(canvas.height).toBeGreaterThanOrEqual(200);
    expect(sheet.height).toBeLessThan(844 / 2);
    // The selected gate is in view above the sheet.
    const gate = (await page.locator('.react-flow__node[data-id="q"]').boundingBox()) as Box;
    await expect
      .poll(async () => {
        const g = (await page.locator('.react-flow__node[data-id="q"]').boundingBox()) as Box;
        return g.y + g.height <= canvas.y + canvas.height && g.y >= canvas.y;
      })
      .toBe(true);
    expect(gate.width).toBeGreaterThan(0);
    await expectTappable(page, page.getByRole('button', { name: 'Close the inspector' }), 'Close');
    await page.getByRole('button', { name: 'Close the inspector' }).tap();
    await expect(inspector).toHaveCount(0);
  });
});

test.describe('phone upright: accessibility', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test('no violations with the More menu open, nor with the drawer open', async ({ page }) => {
    await open(page);
    const violations = async () =>
      (await new AxeBuilder({ page }).analyze()).violations.map(
        (v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`,
      );
    await page.getByRole('button', { name: 'More' }).tap();
    await expect(page.getByRole('menu', { name: 'More' })).toBeVisible();
    expect(await violations()).toEqual([]);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Gates' }).tap();
    await expect(page.getByRole('navigation', { name: 'Gate palette' })).toBeVisible();
    expect(await violations()).toEqual([]);
  });
});

test.describe('phone upright: touch gestures', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test('one finger on the empty canvas pans, two fingers pinch to zoom', async ({ page }) => {
    await open(page);
    const cdp = await page.context().newCDPSession(page);
    const touch = async (
      type: 'touchStart' | 'touchMove' | 'touchEnd',
      points: { x: number; y: number }[],
    ) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints: points.map((p, id) => ({ x: p.x, y: p.y, id })),
      });
    const transform = () =>
      page
        .locator('.react-flow__viewport')
        .evaluate((el) => new DOMMatrix(getComputedStyle(el).transform));
    const canvas = (await page.locator('.canvas-wrap').boundingBox()) as Box;
    const x = canvas.x + canvas.width / 2;
    /** A row of the canvas where everything from x − 120 to x + 120 is empty pane. */
    const emptyRow = () =>
      page.evaluate(
        ({ x, top, bottom }) => {
          for (let y = top; y < bottom; y += 10) {
            let empty = true;
            for (let dx = -120; dx <= 120 && empty; dx += 20) {
              empty = !!document
                .elementFromPoint(x + dx, y)
                ?.classList.contains('react-flow__pane');
            }
            if (empty) return y;
          }
          return null;
        },
        { x, top: canvas.y + 40, bottom: canvas.y + canvas.height - 20 },
      );
    const y = (await emptyRow()) as number;
    expect(y).not.toBeNull();
    const before = await transform();
    await touch('touchStart', [{ x, y }]);
    for (let i = 1; i <= 8; i++) await touch('touchMove', [{ x: x + i * 10, y: y + i * 5 }]);
    await touch('touchEnd', []);
    await expect.poll(async () => (await transform()).e - before.e).toBeGreaterThan(40);
    const panned = await transform();
    expect(panned.a).toBeCloseTo(before.a, 5);

    const cy = (await emptyRow()) as number;
    expect(cy).not.toBeNull();
    await touch('touchStart', [
      { x: x - 30, y: cy },
      { x: x + 30, y: cy },
    ]);
    for (let i = 1; i <= 8; i++) {
      await touch('touchMove', [
        { x: x - 30 - i * 10, y: cy },
        { x: x + 30 + i * 10, y: cy },
      ]);
    }
    await touch('touchEnd', []);
    await expect.poll(async () => (await transform()).a / panned.a).toBeGreaterThan(1.3);
  });
});

test.describe('desktop 1280×720', () => {
  test('the title is whole, the header does not overlap, the inspector sits beside the canvas', async ({
    page,
  }) => {
    await open(page);
    const brand = page.getByRole('heading', { name: 'Backprop Circuits' });
    await expect(brand).toBeVisible();
    const { scroll, client } = await brand.evaluate((el) => ({
      scroll: el.scrollWidth,
      client: el.clientWidth,
    }));
    expect(scroll).toBeLessThanOrEqual(client);
    await expectNoHeaderOverlap(page);
    await expectNoHorizontalScroll(page);

    // The palette is a column; when it is taller than the window it says there is more.
    const palette = page.getByRole('navigation', { name: 'Gate palette' });
    await expect(palette).toBeVisible();
    const scrollable = await palette.evaluate((el) => el.scrollHeight > el.clientHeight);
    if (scrollable) await expect(palette.locator('.palette-more')).toBeVisible();

    // The inspector docks beside the canvas: no gate is under it.
    await page.locator('.react-flow__node[data-id="f"]').click();
    const inspector = page.getByRole('complementary', { name: 'Inspector' });
    await expect(inspector).toBeVisible();
    const panel = (await inspector.boundingBox()) as Box;
    const canvas = (await page.locator('.canvas-wrap').boundingBox()) as Box;
    expect(canvas.x + canvas.width).toBeLessThanOrEqual(panel.x + 1);
    const boxes = await page
      .locator('.react-flow__node')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
    for (const b of boxes) expect(overlapping(b, panel)).toBe(false);
  });

  test('shortcut hints come from the command list', async ({ page }) => {
    await open(page);
    await expect(page.getByRole('button', { name: 'Undo', exact: true })).toHaveAttribute(
      'title',
      'Undo (Ctrl+Z)',
    );
    await page.getByRole('button', { name: 'View', exact: true }).click();
    const item = page.getByRole('menuitem', { name: /Tidy up/ });
    await expect(item.locator('kbd')).toHaveText('T');
    await expect(page.getByRole('menuitemcheckbox', { name: /Dark mode/ })).toHaveAttribute(
      'aria-checked',
      'false',
    );
  });
});

test.describe('on a Mac', () => {
  test.use({
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36',
  });

  test('shortcut hints say ⌘', async ({ page }) => {
    await page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'platform', { get: () => 'MacIntel' });
      Object.defineProperty(Navigator.prototype, 'userAgentData', { get: () => undefined });
    });
    await open(page);
    await expect(page.getByRole('button', { name: 'Undo', exact: true })).toHaveAttribute(
      'title',
      'Undo (⌘Z)',
    );
    await expect(page.getByRole('button', { name: 'Redo', exact: true })).toHaveAttribute(
      'title',
      'Redo (⌘⇧Z)',
    );
  });
});

test.describe('presentation mode', () => {
  test('the step panel is not clipped and the chain-rule line is large', async ({ page }) => {
    await open(page, `#expr=${FIRST}&present=1&step=5`);
    const tex = page.locator('.step-tex .katex').first();
    await expect(tex).toBeVisible();
    const fontSize = await tex.evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
    expect(fontSize).toBeGreaterThanOrEqual(28);
    const { height } = (await tex.boundingBox()) as Box;
    expect(height).toBeGreaterThanOrEqual(28);
    const panel = page.locator('.step-panel');
    const { scroll, client } = await panel.evaluate((el) => ({
      scroll: el.scrollHeight,
      client: el.clientHeight,
    }));
    expect(scroll).toBeLessThanOrEqual(client + 1);
    await expectNoHorizontalScroll(page);
  });

  test('outside presentation the chain-rule line is about 20 px', async ({ page }) => {
    await open(page, `#expr=${FIRST}&step=5`);
    const tex = page.locator('.step-tex .katex').first();
    await expect(tex).toBeVisible();
    const fontSize = await tex.evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
    expect(fontSize).toBeGreaterThanOrEqual(19.5);
  });
});

test('the first click on the timeline with every step shown goes to the step clicked', async ({
  page,
}) => {
  await open(page);
  const range = page.getByLabel('Timeline');
  const label = page.locator('.timeline-label');
  await expect(label).toHaveText('all steps shown');
  const box = (await range.boundingBox()) as Box;
  const at = async (fraction: number) => {
    await page.mouse.click(box.x + 8 + (box.width - 16) * fraction, box.y + box.height / 2);
    await expect(label).toHaveText(/^\d+\/\d+ /);
    const [k, n] = ((await label.textContent()) ?? '').split(' ')[0].split('/').map(Number);
    return { k, n };
  };
  // (x + y) · z has 5 steps: 30% along is step 1 or 2, 80% along is step 4.
  const early = await at(0.3);
  expect(early.n).toBe(5);
  expect(early.k).toBeGreaterThanOrEqual(1);
  expect(early.k).toBeLessThanOrEqual(2);
  await page.getByRole('button', { name: 'Show all' }).click();
  await expect(label).toHaveText('all steps shown');
  const late = await at(0.8);
  expect(late.k).toBe(4);
});

test('a parse error shows below the field, not over the text', async ({ page }) => {
  await open(page);
  const field = page.getByLabel('Expression');
  await field.fill('x = 1\ny = (x +\nf = y');
  await field.press('Enter');
  const error = page.locator('#expression-error');
  await expect(error).toBeVisible();
  const f = (await field.boundingBox()) as Box;
  const e = (await error.boundingBox()) as Box;
  expect(e.y).toBeGreaterThanOrEqual(f.y + f.height - 1);
});

test('messages stack, stay small, sit outside the canvas and can be dismissed', async ({
  page,
}) => {
  await open(page);
  const canvasBefore = (await page.locator('.canvas-wrap').boundingBox()) as Box;
  await page.evaluate(() => {
    window.location.hash = '#c=1.AAAA%%%';
  });
  await expect(page.getByRole('alert')).toContainText('could not be opened');
  await page.evaluate(() => {
    window.location.hash = '#expr=f%3D(x%2B';
  });
  const messages = page.getByRole('region', { name: 'Messages' }).locator('.notice');
  await expect(messages).toHaveCount(2);
  const strip = (await page.getByRole('region', { name: 'Messages' }).boundingBox()) as Box;
  const canvas = (await page.locator('.canvas-wrap').boundingBox()) as Box;
  expect(strip.y + strip.height).toBeLessThanOrEqual(canvas.y + 1);
  expect(strip.height).toBeLessThan(120);
  expect(canvasBefore.width).toBe(canvas.width);
  await page.getByRole('button', { name: 'Dismiss message' }).click();
  await expect(messages).toHaveCount(1);
  await page.getByRole('button', { name: 'Dismiss this earlier message' }).click();
  await expect(messages).toHaveCount(0);
});

test.describe('phone upright: matrices', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test('the notes’ W·X fits the canvas, and the inspector lists W’s entries without widening the page', async ({
    page,
  }) => {
    const program = 'W = randn(5, 10)\nX = randn(10, 3)\nD = W @ X';
    await page.goto(`./#expr=${encodeURIComponent(program)}&seed=random:7`);
    await expect(page.locator('[data-node-id="D"] .output-readout--matrix')).toBeVisible();
    const canvas = (await page.locator('.react-flow').boundingBox()) as Box;
    // Every node and the output's readout are wholly on the canvas once fitted.
    await expect
      .poll(async () =>
        page.evaluate(
          (c) =>
            [...document.querySelectorAll('.react-flow__node, .output-readout')].every((el) => {
              const r = el.getBoundingClientRect();
              return (
                r.x >= c.x - 1 &&
                r.y >= c.y - 1 &&
                r.x + r.width <= c.x + c.width + 1 &&
                r.y + r.height <= c.y + c.height + 1
              );
            }),
          canvas,
        ),
      )
      .toBe(true);
    await page.locator('.react-flow__node[data-id="W"] .input-head').tap();
    const inspector = page.getByRole('complementary', { name: 'Inspector' });
    await expect(inspector.locator('.entry-table--value tbody td')).toHaveCount(50);
    const w = JSON.parse(
      (await page.locator('[data-node-id="W"]').getAttribute('data-value')) ?? '[]',
    ) as number[][];
    await expect(
      inspector.locator('.entry-table--value tbody tr').nth(3).locator('td').nth(7),
    ).toHaveText(String(w[3][7]).replace('-', '\u2212'));
    // The table scrolls inside its box: the page itself is no wider than the phone.
    const width = await page.evaluate(() => document.scrollingElement?.scrollWidth ?? 0);
    expect(width).toBeLessThanOrEqual(390);
  });
});
