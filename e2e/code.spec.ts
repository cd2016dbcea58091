/**
 * The Code panel on the staged example: it follows playback (the current step's lines are
 * highlighted), a click on a line seeks to its step, and playback visits the gates in the
 * program's order: forward as the statements read, backward in reverse. Screenshots of the
 * panel beside the staged example go to the folder SHOTS_DIR names, when it is set.
 */
import { expect, type Page, test } from '@playwright/test';
import { EXAMPLE_SOURCES } from '../src/examples/sources';
import { watchErrors } from './helpers';

const FORWARD = ['sigy', 'num', 'sigx', 'xpy', 'xpysqr', 'den', 'invden', 'f'];
const SHOTS = process.env.SHOTS_DIR;
/** The gallery's staged example, as its program. */
const STAGED = (() => {
  const staged = EXAMPLE_SOURCES.find((e) => e.id === 'staged');
  if (!staged) throw new Error('the gallery has no staged example');
  return staged.program;
})();

async function openStaged(page: Page) {
  await page.goto('./');
  await page.getByLabel('Example').selectOption('staged');
  await page.getByRole('button', { name: 'Code', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Code' })).toBeVisible();
}

const current = (page: Page) => page.locator('.code-panel .code-line.is-current');

test('the highlighted lines follow playback, in the statements’ order', async ({ page }) => {
  const errors = watchErrors(page);
  await openStaged(page);
  const panel = page.getByRole('region', { name: 'Code' });
  await expect(
    panel.getByText('dx += ((1.0 - sigx) * sigx) * dsigx', { exact: false }),
  ).toBeVisible();
  // Forward: one step per statement, in order.
  for (const node of FORWARD) {
    await page.getByRole('button', { name: 'Step forward' }).click();
    await expect(current(page)).toHaveCount(1);
    await expect(current(page)).toHaveAttribute('data-step-kind', 'forward');
    await expect(current(page)).toHaveAttribute('data-step-node', node);
    await expect(current(page)).toContainText(`${node} = `);
  }
  // The seed, then the backward pass in reverse statement order.
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(current(page).first()).toHaveAttribute('data-step-kind', 'seed');
  for (const node of [...FORWARD].reverse()) {
    await page.getByRole('button', { name: 'Step forward' }).click();
    await expect(current(page).first()).toHaveAttribute('data-step-kind', 'backward');
    await expect(current(page).first()).toHaveAttribute('data-step-node', node);
    await expect(current(page).first()).toContainText(`# backprop ${node} = `);
  }
  expect(errors).toEqual([]);
});

test('while playing, the highlighted lines are the current step’s', async ({ page }) => {
  await openStaged(page);
  await page.getByRole('button', { name: 'Play' }).click();
  await expect(current(page).first()).toHaveAttribute('data-step-kind', 'forward');
  await page.getByRole('button', { name: 'Pause' }).click();
  const steps = [
    ...FORWARD.map((n) => `forward ${n}`),
    'seed f',
    ...[...FORWARD].reverse().map((n) => `backward ${n}`),
  ];
  const position = await page.getByLabel('Timeline').inputValue();
  const [kind, node] = steps[Number(position) - 1].split(' ');
  await expect(current(page).first()).toHaveAttribute('data-step-kind', kind);
  await expect(current(page).first()).toHaveAttribute('data-step-node', node);
});

test('clicking a line seeks playback to its step; the key B closes the panel', async ({ page }) => {
  await openStaged(page);
  const panel = page.getByRole('region', { name: 'Code' });
  await panel
    .locator('.code-line[data-step-kind="backward"][data-step-node="sigx"]')
    .first()
    .click();
  // 8 forward steps, the seed, then f, invden, den, xpysqr, xpy, sigx: step 15.
  await expect(page.getByText(/^15\/17 /)).toBeVisible();
  await expect(current(page).first()).toHaveAttribute('data-step-node', 'sigx');
  await panel.locator('.code-line[data-step-kind="forward"][data-step-node="xpy"]').click();
  await expect(page.getByText(/^4\/17 /)).toBeVisible();
  await page.locator('.react-flow__pane').click();
  await page.keyboard.press('b');
  await expect(page.getByRole('region', { name: 'Code' })).toHaveCount(0);
  await page.keyboard.press('b');
  await expect(page.getByRole('region', { name: 'Code' })).toBeVisible();
});

test('a matrix circuit explains why scalar Python does not apply; NumPy writes dW = dD.dot(X.T)', async ({
  page,
}) => {
  await page.goto('./');
  await page.getByLabel('Example').selectOption('matmul');
  await page.getByRole('button', { name: 'Code', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Code' });
  await panel.getByRole('button', { name: 'Python', exact: true }).click();
  await expect(panel.getByRole('note')).toContainText('plain numbers only: see NumPy or PyTorch');
  await panel.getByRole('button', { name: 'NumPy', exact: true }).click();
  await expect(panel.getByText('dW = dD.dot(X.T)', { exact: false })).toBeVisible();
});

test('screenshots of the Code panel beside the staged example', async ({ browser }) => {
  test.skip(!SHOTS, 'set SHOTS_DIR to write the screenshots');
  // Four pages, each opened and stepped 14 times: more than one test's default time on a busy machine.
  test.setTimeout(120_000);
  const sizes = [
    { w: 1280, h: 720, name: 'code-1280x720' },
    { w: 1440, h: 900, name: 'code-1440x900' },
    { w: 390, h: 844, name: 'code-390x844', touch: true },
    { w: 1280, h: 720, name: 'code-present-1280x720', present: true },
  ];
  for (const s of sizes) {
    const page = await browser.newPage({
      viewport: { width: s.w, height: s.h },
      hasTouch: !!s.touch,
      isMobile: !!s.touch,
    });
    const program = encodeURIComponent(STAGED);
    await page.goto(`./#expr=${program}${s.present ? '&present=1' : ''}`);
    await expect(page.locator('[data-node-id="invden"]')).toBeVisible();
    await page.keyboard.press('b');
    await expect(page.getByRole('region', { name: 'Code' })).toBeVisible();
    for (let i = 0; i < 14; i++) await page.getByRole('button', { name: 'Step forward' }).click();
    await page.screenshot({ path: `${SHOTS}/${s.name}.png` });
    await page.close();
  }
});
