import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { expectNumbers, node, watchErrors } from './helpers';

/** Golden version-1 links and files, as the version-1 writer made them. */
const FIXTURES = new URL('../tests/share/fixtures/', import.meta.url);
const v1Links: { name: string; hash: string }[] = JSON.parse(
  readFileSync(new URL('links-v1-constants.json', FIXTURES), 'utf8'),
);
const v1File = (name: string): string =>
  readFileSync(new URL(`files-v1/${name}.json`, FIXTURES), 'utf8');

function link(name: string): string {
  const found = v1Links.find((l) => l.name === name);
  if (!found) throw new Error(`no golden v1 link named "${name}"`);
  expect(found.hash.startsWith('#c=1.')).toBe(true);
  return found.hash;
}

const sigma = (t: number) => 1 / (1 + Math.exp(-t));

/** The constants of version 1 are parameters of their gates now: no node of their own. */
async function expectNoConstantNodes(page: Page) {
  await expect(page.locator('.const')).toHaveCount(0);
  await expect(page.locator('[data-node-id^="const"]')).toHaveCount(0);
}

test('a v1 link with a constant read by three gates opens with its numbers', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`./${link('a constant read by three gates')}`);
  // x = 3, y = −1.5, f = x·2 + y² + (2 − x) = x + y² + 2.
  const x = 3;
  const y = -1.5;
  await expectNumbers(page, 'f', { value: x + y * y + 2, grad: 1 });
  await expectNumbers(page, 'x', { value: x, grad: 2 - 1 });
  await expectNumbers(page, 'y', { value: y, grad: 2 * y });
  await expectNumbers(page, 'a', { value: 2 * x, grad: 1 });
  await expectNoConstantNodes(page);
  // The constant 2 went into each gate that read it.
  await expect(node(page, 'a').locator('.gate-literal')).toHaveText('×2');
  await expect(node(page, 'b').locator('.gate-literal')).toHaveText('x²');
  await expect(node(page, 'c').locator('.gate-literal')).toHaveText('2−x');
  expect(errors).toEqual([]);
});

test('a v1 link of the primitive neuron opens with its numbers', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`./${link('gallery: 2-D neuron, primitive gates')}`);
  // The link opens playback at step 2 (its view flag); Show all gives every number.
  await expect(page.getByLabel('Timeline')).toHaveValue('2');
  await page.getByRole('button', { name: 'Show all' }).click();
  // dot = w0·x0 + w1·x1 + w2 = −2 + 6 − 3 = 1; f = σ(dot), and ∂f/∂dot = σ(1)(1 − σ(1)).
  const w = [2, -3, -3];
  const xs = [-1, -2];
  const dot = w[0] * xs[0] + w[1] * xs[1] + w[2];
  const local = sigma(dot) * (1 - sigma(dot));
  await expectNumbers(page, 'f', { value: sigma(dot) }, 1e-15);
  await expectNumbers(page, 'dot', { value: dot, grad: local }, 1e-15);
  await expectNumbers(page, 'w0', { grad: xs[0] * local }, 1e-15);
  await expectNumbers(page, 'x0', { grad: w[0] * local }, 1e-15);
  await expectNumbers(page, 'x1', { grad: w[1] * local }, 1e-15);
  await expectNumbers(page, 'w2', { grad: local }, 1e-15);
  await expectNoConstantNodes(page);
  // ×−1, exp, +1 and 1/x: the three constants are inside their gates.
  const literals = await page.locator('.gate-literal').allTextContents();
  expect(literals.sort()).toEqual(['+1', '1/x', '×−1'].sort());
  await expect(page.locator('[data-node-id]')).toHaveCount(5 + 8);
  expect(errors).toEqual([]);
});

test('a v1 autosave record opens with its numbers', async ({ page }) => {
  const errors = watchErrors(page);
  // A record as version 1 of the app wrote it, holding a version-1 file of the staged example.
  const record = `{"format":"backprop-autosave","version":1,"rev":3,"tab":"an-older-tab","savedAt":1700000000000,"expression":null,"file":${v1File('staged')}}`;
  await page.addInitScript(
    ([key, value]) => {
      if (!sessionStorage.getItem('seeded')) {
        sessionStorage.setItem('seeded', '1');
        localStorage.setItem(key, value);
      }
    },
    ['backprop-circuits:autosave:v1', record] as const,
  );
  await page.goto('./');
  const [x, y] = [3, 4];
  const num = x + sigma(y);
  const den = sigma(x) + (x + y) ** 2;
  await expectNumbers(page, 'f', { value: num / den }, 1e-15);
  await expectNumbers(
    page,
    'x',
    { grad: (den - num * (sigma(x) * (1 - sigma(x)) + 2 * (x + y))) / den ** 2 },
    1e-13,
  );
  await expectNumbers(
    page,
    'y',
    { grad: (sigma(y) * (1 - sigma(y)) * den - num * 2 * (x + y)) / den ** 2 },
    1e-13,
  );
  await expectNoConstantNodes(page);
  await expect(node(page, 'xpysqr').locator('.gate-literal')).toHaveText('x²');
  await expect(node(page, 'invden').locator('.gate-literal')).toHaveText('1/x');
  // Not set aside as unreadable.
  const keys = await page.evaluate(() => Object.keys(localStorage));
  expect(keys.filter((k) => k.includes(':corrupt:'))).toEqual([]);
  expect(errors).toEqual([]);
});
