import { expect, type Page, test } from '@playwright/test';
import { EXAMPLE_SOURCES } from '../src/examples/sources';

/**
 * Every number must be legible: for each gallery example, opened from a link of its program
 * (so it gets the app's own layout), no wire label covers another wire label or a node, none
 * is cut off by the canvas, and the smallest label is still readable at the fitted zoom.
 */

interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly what: string;
}

interface Picture {
  readonly labels: Rect[];
  readonly nodes: Rect[];
  readonly canvas: Rect;
}

/** Boxes of every wire label text and every node, in page pixels. */
async function picture(page: Page): Promise<Picture> {
  return page.evaluate(() => {
    const rect = (el: Element, what: string) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height, what };
    };
    const labels = [...document.querySelectorAll('.react-flow .wire-label')].map((el) =>
      // The text drawn (the last child; the first is its <title>).
      rect(el, `label "${el.lastChild?.textContent ?? ''}"`),
    );
    const nodes = [...document.querySelectorAll('.react-flow .react-flow__node')].map((el) =>
      rect(el, `node ${el.getAttribute('data-id') ?? '?'}`),
    );
    const flow = document.querySelector('.react-flow');
    const canvas = flow ? rect(flow, 'canvas') : { x: 0, y: 0, width: 0, height: 0, what: 'none' };
    return { labels, nodes, canvas };
  });
}

/** How far two boxes overlap in the smaller of the two directions (0 when apart). */
function overlap(a: Rect, b: Rect): number {
  const dx = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const dy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return dx > 0 && dy > 0 ? Math.min(dx, dy) : 0;
}

/** Everything wrong with a picture, one line each. */
function problems(p: Picture): string[] {
  const found: string[] = [];
  const TOLERANCE = 1;
  for (let i = 0; i < p.labels.length; i++) {
    const a = p.labels[i];
    for (let j = i + 1; j < p.labels.length; j++) {
      const d = overlap(a, p.labels[j]);
      if (d > TOLERANCE) found.push(`${a.what} covers ${p.labels[j].what} by ${d.toFixed(1)}px`);
    }
    for (const n of p.nodes) {
      const d = overlap(a, n);
      if (d > TOLERANCE) found.push(`${a.what} covers ${n.what} by ${d.toFixed(1)}px`);
    }
    const c = p.canvas;
    if (
      a.x < c.x - TOLERANCE ||
      a.y < c.y - TOLERANCE ||
      a.x + a.width > c.x + c.width + TOLERANCE ||
      a.y + a.height > c.y + c.height + TOLERANCE
    )
      found.push(`${a.what} is cut off by the canvas`);
  }
  return found;
}

const SIZES = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
] as const;

for (const size of SIZES) {
  for (const example of EXAMPLE_SOURCES) {
    test(`${example.id} at ${size.width}×${size.height}: wire labels cover nothing and are readable`, async ({
      page,
    }) => {
      await page.setViewportSize(size);
      await page.goto(`./#expr=${encodeURIComponent(example.program)}`);
      await expect(page.locator('.react-flow .react-flow__node').first()).toBeVisible();
      await expect(page.locator('.react-flow .wire-label').first()).toBeVisible();
      // Wait for the fit to settle: two reads in a row give the same boxes.
      let last = '';
      await expect
        .poll(async () => {
          const now = JSON.stringify(await picture(page));
          const settled = now === last;
          last = now;
          return settled;
        })
        .toBe(true);
      const p = await picture(page);
      const smallest = Math.min(...p.labels.map((l) => l.height));
      console.log(
        `${example.id} ${size.width}×${size.height}: ${p.labels.length} labels, ` +
          `smallest ${smallest.toFixed(1)}px, problems ${problems(p).length}`,
      );
      expect(problems(p)).toEqual([]);
      expect(smallest).toBeGreaterThanOrEqual(12);
    });
  }
}
