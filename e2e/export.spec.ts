/**
 * Pictures for slides: the SVG is a vector drawing carrying, as text, every number the canvas
 * shows; the PNG is that drawing at twice its size; "copy this step as an image" puts a PNG
 * on the clipboard (or says why not and offers a download).
 */
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { watchErrors } from './helpers';

/** The text a canvas label shows, without its <title> (the full-precision tooltip). */
async function canvasLabels(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((els) =>
    els.map((el) =>
      [...el.childNodes]
        .filter((c) => c.nodeType === Node.TEXT_NODE)
        .map((c) => c.textContent)
        .join(''),
    ),
  );
}

interface SvgSummary {
  error: string | null;
  width: number;
  height: number;
  texts: { cls: string; text: string }[];
  paths: number;
  wireGroups: number;
  foreignObjects: number;
  images: number;
  background: string | null;
}

/** Parses SVG text in the page (DOMParser, as an image viewer or vector tool reads XML). */
async function readSvg(page: Page, svg: string): Promise<SvgSummary> {
  return page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const error = doc.querySelector('parsererror');
    const root = doc.documentElement;
    const own = (el: Element) =>
      [...el.childNodes]
        .filter((c) => c.nodeType === Node.TEXT_NODE)
        .map((c) => c.textContent)
        .join('');
    return {
      error: error ? error.textContent : root.localName === 'svg' ? null : root.localName,
      width: Number(root.getAttribute('width')),
      height: Number(root.getAttribute('height')),
      texts: [...doc.getElementsByTagName('text')].map((t) => ({
        cls: t.getAttribute('class') ?? '',
        text: own(t),
      })),
      paths: doc.querySelectorAll('#wires path').length,
      wireGroups: doc.querySelectorAll('#wires > g').length,
      foreignObjects: doc.getElementsByTagName('foreignObject').length,
      images: doc.getElementsByTagName('image').length,
      background: doc.getElementById('background')?.getAttribute('fill') ?? null,
    };
  }, svg);
}

async function openShare(page: Page) {
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(page.getByRole('button', { name: /Picture \(\.svg/ })).toBeVisible();
}

async function downloadFrom(page: Page, name: RegExp, path: string): Promise<Buffer> {
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name }).click();
  const file = await downloading;
  await file.saveAs(path);
  return readFileSync(path);
}

/** Width and height from a PNG's header. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Removes each of `wanted` from `pool` once; returns what could not be found. */
function missing(pool: string[], wanted: string[]): string[] {
  const left = [...pool];
  const out: string[] = [];
  for (const w of wanted) {
    const at = left.indexOf(w);
    if (at < 0) out.push(w);
    else left.splice(at, 1);
  }
  return out;
}

test.beforeEach(async ({ page }) => {
  await page.goto('./');
  await expect(page.locator('.react-flow__node').first()).toBeVisible();
  await expect(page.locator('.wire-value').first()).toBeVisible();
});

test('the SVG is a vector drawing with every number of the canvas as text', async ({
  page,
}, testInfo) => {
  const errors = watchErrors(page);
  const values = await canvasLabels(page, '.wire-value');
  const grads = await canvasLabels(page, '.wire-grad');
  const portNames = await page.locator('.port-name').allTextContents();
  const inputs = await page
    .locator('.react-flow__node-inputNode [data-node-id]')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-value') ?? ''));
  const wires = await page.locator('.react-flow__edge').count();
  expect(values.length).toBeGreaterThan(3);
  expect(portNames.length).toBeGreaterThan(0);

  await openShare(page);
  const bytes = await downloadFrom(page, /Picture \(\.svg/, testInfo.outputPath('circuit.svg'));
  expect(bytes.length).toBeLessThan(30_000);
  const svg = await readSvg(page, bytes.toString('utf8'));
  expect(svg.error).toBeNull();
  expect(svg.foreignObjects).toBe(0);
  expect(svg.images).toBe(0);
  expect(svg.wireGroups).toBe(wires);
  expect(svg.paths).toBe(wires);
  const of = (cls: string) => svg.texts.filter((t) => t.cls === cls).map((t) => t.text);
  expect(missing(of('wire-value'), values)).toEqual([]);
  expect(missing(of('wire-grad'), grads)).toEqual([]);
  expect(missing(of('port-name'), portNames)).toEqual([]);
  // Each input's value, as its field shows it (its data-value, full precision).
  expect(inputs.length).toBeGreaterThan(0);
  expect(missing(of('input-value'), inputs)).toEqual([]);
  expect(errors).toEqual([]);

  // Rendered by the browser as an image, to look at.
  await page.setContent(
    `<img id="pic" src="data:image/svg+xml;base64,${bytes.toString('base64')}">`,
  );
  await expect
    .poll(() =>
      page.evaluate(() => (document.getElementById('pic') as HTMLImageElement).naturalWidth),
    )
    .toBe(svg.width);
  await page.locator('#pic').screenshot({ path: testInfo.outputPath('svg-rendered.png') });
});

test('the PNG is the same drawing at twice its size, ports and all', async ({ page }, testInfo) => {
  await openShare(page);
  const svgBytes = await downloadFrom(page, /Picture \(\.svg/, testInfo.outputPath('c.svg'));
  const svg = await readSvg(page, svgBytes.toString('utf8'));
  const png = await downloadFrom(page, /Picture \(\.png/, testInfo.outputPath('circuit.png'));
  const size = pngSize(png);
  expect(size).toEqual({ width: svg.width * 2, height: svg.height * 2 });
  // Not blank: the gates' borders and the wires differ from the background.
  const distinct = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, img.width, img.height);
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 97) {
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    return colours.size;
  }, png.toString('base64'));
  expect(distinct).toBeGreaterThan(5);
});

test('the picture takes the colours of the theme in use', async ({ page }, testInfo) => {
  await page.evaluate(() => localStorage.setItem('backprop-circuits:theme', 'dark'));
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.locator('.wire-value').first()).toBeVisible();
  const colours = await page.evaluate(() => {
    const style = getComputedStyle(document.documentElement);
    return {
      bg: style.getPropertyValue('--bg').trim(),
      value: style.getPropertyValue('--value').trim(),
    };
  });
  await openShare(page);
  const bytes = await downloadFrom(page, /Picture \(\.svg/, testInfo.outputPath('dark.svg'));
  const svg = await readSvg(page, bytes.toString('utf8'));
  expect(svg.background).toBe(colours.bg);
  expect(bytes.toString('utf8')).toContain(`fill="${colours.value}"`);
});

/** Steps forward until the Timeline is at a backward step; returns its label. */
async function toBackwardStep(page: Page): Promise<string> {
  const timeline = page.getByLabel('Timeline');
  const forward = page.getByRole('button', { name: 'Step forward', exact: true });
  for (let i = 0; i < 60; i++) {
    const before = (await timeline.getAttribute('aria-valuetext')) ?? '';
    if (/^\d+\/\d+ backward/.test(before)) return before;
    await forward.click();
    await expect(timeline).not.toHaveAttribute('aria-valuetext', before);
  }
  throw new Error('no backward step within 60 steps');
}

test('copy this step as an image puts a PNG with the chain rule on the clipboard', async ({
  page,
  context,
}, testInfo) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const label = await toBackwardStep(page);
  expect(label).toMatch(/backward/);
  await openShare(page);
  const svg = await readSvg(
    page,
    (await downloadFrom(page, /Picture \(\.svg/, testInfo.outputPath('s.svg'))).toString('utf8'),
  );
  // The picture of the step: its active gate is highlighted, some gradients not there yet.
  expect(svg.texts.filter((t) => t.cls === 'wire-grad').length).toBeLessThan(
    svg.texts.filter((t) => t.cls === 'wire-value').length,
  );
  await page.getByRole('button', { name: 'Copy this step as an image' }).click();
  await expect(page.locator('.share [role="status"]')).toContainText('Copied');
  const copied = await page.evaluate(async () => {
    const items = await navigator.clipboard.read();
    const item = items.find((i) => i.types.includes('image/png'));
    if (!item) return { types: items.flatMap((i) => i.types), width: 0, height: 0 };
    const blob = await item.getType('image/png');
    const bitmap = await createImageBitmap(blob);
    return { types: item.types, width: bitmap.width, height: bitmap.height };
  });
  expect(copied.types).toContain('image/png');
  // The picture, twice as large, with room under it for the chain rule.
  expect(copied.width).toBeGreaterThanOrEqual(svg.width * 2);
  expect(copied.height).toBeGreaterThan(svg.height * 2 + 40);
});

test('without a clipboard for images, copy says so and offers a download', async ({
  page,
}, testInfo) => {
  await page.evaluate(() => {
    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
  });
  await toBackwardStep(page);
  await openShare(page);
  await page.getByRole('button', { name: 'Copy this step as an image' }).click();
  await expect(page.locator('.share [role="status"]')).toContainText('clipboard');
  const png = await downloadFrom(
    page,
    /Download the step picture instead/,
    testInfo.outputPath('step.png'),
  );
  const size = pngSize(png);
  expect(size.width).toBeGreaterThan(100);
  expect(size.height).toBeGreaterThan(100);
});
