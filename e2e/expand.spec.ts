import { expect, type Page, test } from '@playwright/test';
import { coverings, node, settledBoxes, watchErrors } from './helpers';

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

/**
 * Where each wire into gate `id` ends on screen and where the handle it ends at is drawn: the
 * canvas's handle positions (which the wires use) and the gate's own must agree.
 */
async function wireEnds(page: Page, id: string) {
  return page.evaluate((target) => {
    const out: { port: string; end: [number, number]; handle: [number, number, number] }[] = [];
    const gate = document.querySelector(`.react-flow__node[data-id="${CSS.escape(target)}"]`);
    for (const h of gate?.querySelectorAll('.react-flow__handle.target') ?? []) {
      const port = h.getAttribute('data-handleid') ?? '';
      const edge = document.querySelector(
        `.react-flow__edge[data-id="${CSS.escape(`${target}:${port}`)}"] path.react-flow__edge-path`,
      );
      if (!(edge instanceof SVGPathElement)) continue;
      const p = edge.getPointAtLength(edge.getTotalLength());
      const m = edge.getScreenCTM();
      const r = h.getBoundingClientRect();
      out.push({
        port,
        end: m ? [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f] : [Number.NaN, 0],
        // Its left and right edges, and its middle's height.
        handle: [r.x, r.x + r.width, r.y + r.height / 2],
      });
    }
    return out;
  }, id);
}

/**
 * Expands product `id` (and, with `tidy`, tidies the layout up after) and fits the view; then
 * checks the picture is readable.
 */
async function expandAndCheck(
  page: Page,
  id: string,
  products: number,
  assembled: string,
  tidy = false,
) {
  await node(page, id).click();
  await page.keyboard.press('x');
  await expect(node(page, id)).toHaveAttribute('data-op', assembled);
  await page.keyboard.press('Escape');
  if (tidy) {
    const before = await node(page, id).boundingBox();
    // Drag the assembled D away first, so that Tidy up has something to put back.
    if (!before) throw new Error(`${id} is not on screen`);
    await page.mouse.move(before.x + before.width / 2, before.y + 8);
    await page.mouse.down();
    await page.mouse.move(before.x + before.width / 2 + 60, before.y + 120, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.press('Escape');
    await page.keyboard.press('t');
  }
  // Fit to view (down to fit's floor), as a user would to see the whole expansion.
  await page.getByRole('button', { name: 'Fit View' }).click();
  const boxes = await settledBoxes(page);
  // Nothing covers anything: wire labels, nodes, port names.
  expect(coverings(boxes)).toEqual([]);
  // Every number is drawn at least 12 px tall.
  const texts = boxes.labels.filter((b) => b.what.startsWith('label'));
  const smallest = Math.min(...texts.map((b) => b.height));
  // (12 px is fit's floor, 0.5, times the 24 px labels are laid out for: allow its rounding)
  expect(smallest, `smallest wire label ${smallest.toFixed(1)}px`).toBeGreaterThanOrEqual(11.99);
  // The wires into the entry gates do not repeat the matrices' shapes; the wire out of the
  // assembled matrix carries its shape, and every wire out of an entry gate its numbers.
  const entryLabels = texts.filter((b) => /of [A-Z]_\d_\d:x$/.test(b.what));
  expect(entryLabels).toEqual([]);
  expect(texts.filter((b) => /of mul#/.test(b.what)).length).toBe(2 * 2 * products);
  // The assembled matrix has a port per entry, each wire ending at its own handle.
  const ends = await wireEnds(page, id);
  expect(ends.length).toBe(Number(assembled.slice(6, 7)) * Number(assembled.slice(8, 9)));
  for (const e of ends) {
    // A wire ends on its handle (React Flow ends it at the handle's left edge).
    expect(e.end[0], `${e.port} x`).toBeGreaterThan(e.handle[0] - 1);
    expect(e.end[0], `${e.port} x`).toBeLessThan(e.handle[1] + 1);
    expect(Math.abs(e.end[1] - e.handle[2]), `${e.port} y`).toBeLessThan(2);
  }
  const ys = ends.map((e) => e.handle[2]).sort((a, b) => a - b);
  for (let k = 1; k < ys.length; k++) expect(ys[k] - ys[k - 1]).toBeGreaterThan(6);
}

for (const size of [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
]) {
  test(`the expanded matmul example is readable at ${size.width}×${size.height}: no label covers another or a gate, port names apart, numbers 12 px and more`, async ({
    page,
  }) => {
    const errors = watchErrors(page);
    await page.setViewportSize(size);
    await page.goto('./');
    await page.getByLabel('Example').selectOption('matmul');
    await expect(node(page, 'D')).toHaveAttribute('data-op', 'matmul');
    // 2·3·2 products, each with two wires in.
    await expandAndCheck(page, 'D', 12, 'matrix2x2');
    // Collapse puts the product back.
    await node(page, 'D').click();
    await page.keyboard.press('Shift+X');
    await expect(node(page, 'D')).toHaveAttribute('data-op', 'matmul');
    await expect(node(page, 'W_0_0')).toHaveCount(0);
    expect(errors).toEqual([]);
  });
}

test('an expanded 3×3 · 3×3 product is readable at 1280×720 (a pan away in parts), nothing overlapping', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  const field = page.getByLabel('Expression');
  await field.fill(
    'A = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\nB = [[1, 0, 2], [-1, 1, 0], [0.5, 2, 1]]\nC = A @ B\nf = sum(C)',
  );
  await field.press('Enter');
  await expect(node(page, 'C')).toHaveAttribute('data-op', 'matmul');
  await expandAndCheck(page, 'C', 27, 'matrix3x3');
  expect(errors).toEqual([]);
});

test('Tidy up after Expand keeps the expansion readable: nothing overlapping at 1280×720', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await page.getByLabel('Example').selectOption('matmul');
  await expect(node(page, 'D')).toHaveAttribute('data-op', 'matmul');
  await expandAndCheck(page, 'D', 12, 'matrix2x2', true);
  expect(errors).toEqual([]);
});
