import { expect, test } from '@playwright/test';
import { AUTOSAVE_KEY } from '../src/store/autosave';
import { expectNumbers, node, watchErrors } from './helpers';

const PATTERNS = 'x = 3; y = -4; z = 2; w = -1; f = 2 * (x * y + max(z, w))';

test('an #expr= link opens that program with live values', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('./#expr=x%3D-2%3By%3D5%3Bz%3D-4%3Bf%3D(x%2By)*z');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  await expect(node(page, 'x')).toHaveAttribute('data-grad', '-4');
  await expect(node(page, 'z')).toHaveAttribute('data-grad', '3');
  expect(errors).toEqual([]);
});

test('Share gives a link that reopens the same circuit and numbers elsewhere', async ({
  page,
  browser,
}) => {
  await page.goto(`./#expr=${encodeURIComponent(PATTERNS)}`);
  await page.getByLabel('Value of z').fill('5');
  await page.getByLabel('Value of z').press('Enter');
  await expectNumbers(page, 'f', { value: -14 });
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share' });
  const link = await dialog.getByLabel(/Link to this circuit/).inputValue();
  expect(link).toMatch(/#c=2\./);
  expect(link.startsWith('http')).toBe(true);
  await expect(dialog.getByRole('textbox', { name: /Embed/ })).toHaveValue(/<iframe/);

  // A fresh browser context: no autosave, nothing shared but the link.
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(link);
  await expectNumbers(fresh, 'f', { value: -14 });
  await expectNumbers(fresh, 'z', { value: 5, grad: 2 });
  await expectNumbers(fresh, 'x', { grad: -8 });
  await expectNumbers(fresh, 'w', { grad: 0 });
  await other.close();
});

test('a broken link shows an alert and keeps the circuit in hand', async ({ page }) => {
  await page.goto(`./#expr=${encodeURIComponent(PATTERNS)}`);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-20');
  for (const bad of ['#c=1.AAAA%%%', '#c=9.abc', '#expr=f%3D(x%2B', `#c=1.${'A'.repeat(50)}`]) {
    await page.evaluate((h) => {
      window.location.hash = h;
    }, bad);
    await expect(page.getByRole('alert')).toContainText('could not be opened');
    await expect(node(page, 'f')).toHaveAttribute('data-value', '-20');
    await page.getByRole('button', { name: 'Dismiss message' }).click();
  }
});

test('a link pasted into an open tab loads, and the previous circuit can be restored', async ({
  page,
}) => {
  await page.goto('./');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  await page.getByLabel('Value of x').fill('1');
  await page.getByLabel('Value of x').press('Enter');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-24');
  await page.evaluate((p) => {
    window.location.hash = `expr=${encodeURIComponent(p)}`;
  }, PATTERNS);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-20');
  await page.getByRole('button', { name: 'Restore previous circuit' }).click();
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-24');
});

test('reload restores the autosaved work', async ({ page }) => {
  await page.goto('./');
  await page.getByLabel('Value of y').fill('7');
  await page.getByLabel('Value of y').press('Enter');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-20');
  await page.reload();
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-20');
  await expect(node(page, 'y')).toHaveAttribute('data-value', '7');
});

test('two tabs never overwrite each other’s newer work', async ({ context }) => {
  const a = await context.newPage();
  await a.goto('./');
  await expect(node(a, 'f')).toHaveAttribute('data-value', '-12');
  const b = await context.newPage();
  await b.goto('./');
  await expect(node(b, 'f')).toHaveAttribute('data-value', '-12');
  // B saves newer work; A, which has not seen it, edits too.
  const saved = () => b.evaluate((key) => localStorage.getItem(key), AUTOSAVE_KEY);
  const before = await saved();
  await b.getByLabel('Value of z').fill('2');
  await b.getByLabel('Value of z').press('Enter');
  await expect(node(b, 'f')).toHaveAttribute('data-value', '6');
  // Wait until B's autosave has written its new record.
  await expect.poll(saved).not.toBe(before);
  await a.getByLabel('Value of z').fill('3');
  await a.getByLabel('Value of z').press('Enter');
  await expect(a.getByRole('alert')).toContainText('Another tab saved a newer circuit');
  // B's work is what a new visit restores.
  const c = await context.newPage();
  await c.goto('./');
  await expect(node(c, 'f')).toHaveAttribute('data-value', '6');
});

test('embed mode shows the canvas and playback only', async ({ page }) => {
  await page.goto(`./#expr=${encodeURIComponent(PATTERNS)}&embed=1`);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-20');
  await expect(page.getByLabel('Expression')).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Gate palette' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(page.getByRole('link', { name: /Open in Backprop Circuits/ })).toBeVisible();
});

test('present mode opens at the step the link names, with large type', async ({ page }) => {
  await page.goto(`./#expr=${encodeURIComponent(PATTERNS)}&present=1&step=3`);
  await expect(page.locator('.app--present')).toBeVisible();
  await expect(page.getByLabel('Timeline')).toHaveValue('3');
  // Step 3 of the patterns circuit: three gates computed, no gradient yet.
  await expect(node(page, 'f')).toHaveAttribute('data-value', '');
  await page.keyboard.press('PageDown');
  await expect(page.getByLabel('Timeline')).toHaveValue('4');
});

test('a hostile label is shown as text and runs no script', async ({ page }) => {
  const hostile = '<img src=x onerror="window.__pwned=1">';
  const file = {
    format: 'backprop-circuit',
    version: 1,
    nodes: [
      { id: 'x', op: 'input', label: hostile, value: 2 },
      { id: 'f', op: 'square', label: '<script>window.__pwned=2</script>' },
    ],
    wires: [{ from: 'x', to: 'f', port: 'x' }],
    output: 'f',
  };
  await page.goto('./');
  await page.getByRole('button', { name: 'Share' }).click();
  await page.getByLabel('Open a circuit file').setInputFiles({
    name: 'hostile.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(file)),
  });
  await expect(node(page, 'f')).toHaveAttribute('data-value', '4');
  await expect(page.getByText(hostile).first()).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBe(
    undefined,
  );
  expect(await page.locator('img[src="x"]').count()).toBe(0);
});

test('PNG export produces an image of the whole circuit', async ({ page }, testInfo) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Share' }).click();
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: /Picture \(\.png/ }).click();
  const file = await downloading;
  const path = testInfo.outputPath('circuit.png');
  await file.saveAs(path);
  const { readFileSync } = await import('node:fs');
  const bytes = readFileSync(path);
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  // The drawing fills the picture: what differs from the corner's colour spans most of it.
  const extent = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, img.width, img.height);
    let minX = img.width;
    let maxX = 0;
    for (let y = 0; y < img.height; y += 2) {
      for (let x = 0; x < img.width; x += 2) {
        const i = (y * img.width + x) * 4;
        if (
          Math.abs(data[i] - data[0]) +
            Math.abs(data[i + 1] - data[1]) +
            Math.abs(data[i + 2] - data[2]) >
          60
        ) {
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
        }
      }
    }
    return { width: img.width, drawn: maxX - minX };
  }, bytes.toString('base64'));
  expect(extent.width).toBeGreaterThan(800);
  expect(extent.drawn / extent.width).toBeGreaterThan(0.7);
});

test('a corrupted save is set aside and reported, and the app still opens', async ({ page }) => {
  await page.addInitScript(() => {
    if (!sessionStorage.getItem('seeded')) {
      sessionStorage.setItem('seeded', '1');
      localStorage.setItem(
        'backprop-circuits:autosave:v1',
        '{"format":"backprop-autosave",garbage',
      );
    }
  });
  await page.goto('./');
  await expect(page.getByRole('alert')).toContainText('could not be read');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  const keys = await page.evaluate(() => Object.keys(localStorage));
  const aside = keys.find((k) => k.includes(':corrupt:'));
  expect(aside).toBeDefined();
  expect(await page.evaluate((k) => localStorage.getItem(k), aside as string)).toBe(
    '{"format":"backprop-autosave",garbage',
  );
});

test('a full storage warns and keeps working in memory', async ({ page }) => {
  await page.addInitScript(() => {
    Storage.prototype.setItem = () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  });
  await page.goto('./');
  await page.getByLabel('Value of x').fill('1');
  await page.getByLabel('Value of x').press('Enter');
  await expect(page.getByRole('alert')).toContainText('Autosave failed');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-24');
});

test('dark=1 opens in the dark theme, also when pasted into an open tab', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`./#expr=${encodeURIComponent(PATTERNS)}&dark=1`);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Shift+D');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.evaluate(() => {
    window.location.hash = 'expr=x%3D1%3Bf%3Dx*2&dark=1';
  });
  await expect(node(page, 'f')).toHaveAttribute('data-value', '2');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});
