import { expect, type Page, test } from '@playwright/test';
import { node, watchErrors } from './helpers';

/** The staged example's wiring: each gate and the nodes it reads. */
const INPUTS_OF: Record<string, string[]> = {
  sigy: ['y'],
  num: ['x', 'sigy'],
  sigx: ['x'],
  xpy: ['x', 'y'],
  xpysqr: ['xpy'],
  den: ['sigx', 'xpysqr'],
  invden: ['den'],
  f: ['num', 'invden'],
};
const GATES = Object.keys(INPUTS_OF);
const NAMED = ['x', 'y', ...GATES];

type Snapshot = Record<string, { value: string; grad: string; done: string }>;

async function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate((ids) => {
    const out: Record<string, { value: string; grad: string; done: string }> = {};
    for (const id of ids) {
      const el = document.querySelector(`[data-node-id="${id}"]`);
      out[id] = {
        value: el?.getAttribute('data-value') ?? '',
        grad: el?.getAttribute('data-grad') ?? '',
        done: el?.getAttribute('data-grad-done') ?? '',
      };
    }
    return out;
  }, NAMED);
}

async function openStaged(page: Page) {
  await page.goto('./');
  await page.getByLabel('Example').selectOption('staged');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '0.07971588771237584');
}

test('reset, then every step: values in topological order, gradients in reverse', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await openStaged(page);
  const live = await snapshot(page);
  await page.getByRole('button', { name: 'Reset' }).click();

  let snap = await snapshot(page);
  for (const id of GATES) {
    expect(snap[id].value, `${id} has no value after Reset`).toBe('');
  }
  for (const id of NAMED) expect(snap[id].grad, `${id} has no gradient after Reset`).toBe('');
  expect(snap.x.value).toBe('3');
  expect(snap.y.value).toBe('4');

  // Forward: one gate per step, never before its inputs.
  const revealed = new Set(['x', 'y']);
  for (let step = 1; step <= GATES.length; step++) {
    await page.getByRole('button', { name: 'Step forward' }).click();
    snap = await snapshot(page);
    const now = GATES.filter((id) => snap[id].value !== '');
    const fresh = now.filter((id) => !revealed.has(id));
    expect(fresh, `step ${step} reveals exactly one gate`).toHaveLength(1);
    for (const input of INPUTS_OF[fresh[0]]) {
      expect(revealed.has(input), `${fresh[0]} computed after its input ${input}`).toBe(true);
    }
    expect(snap[fresh[0]].value).toBe(live[fresh[0]].value);
    revealed.add(fresh[0]);
    for (const id of NAMED) expect(snap[id].grad).toBe('');
  }

  // The seed step: ∂f/∂f = 1.
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(node(page, 'f')).toHaveAttribute('data-grad', '1');
  await expect(node(page, 'f')).toHaveAttribute('data-grad-done', 'true');

  // Backward: a gate's gradient completes only after every gate it feeds; x shows a partial
  // sum before its final gradient (it feeds num, sigx and xpy).
  const consumers = (id: string) => GATES.filter((g) => INPUTS_OF[g].includes(id));
  const done = new Set(['f']);
  let sawPartialX = false;
  for (let guard = 0; guard < 20 && done.size < NAMED.length; guard++) {
    await page.getByRole('button', { name: 'Step forward' }).click();
    snap = await snapshot(page);
    for (const id of NAMED) {
      if (snap[id].done === 'true' && !done.has(id)) {
        for (const c of consumers(id)) expect(done.has(c), `${c} done before ${id}`).toBe(true);
        expect(snap[id].grad).toBe(live[id].grad);
        done.add(id);
      }
    }
    if (snap.x.grad !== '' && snap.x.done !== 'true') {
      expect(snap.x.grad).not.toBe(live.x.grad);
      sawPartialX = true;
    }
  }
  expect(done.size).toBe(NAMED.length);
  expect(sawPartialX).toBe(true);
  await expect(page.getByRole('button', { name: 'Step forward' })).toBeDisabled();
  // The end of playback shows the same numbers as the live view.
  expect(await snapshot(page)).toEqual(live);
  expect(errors).toEqual([]);
});

test('step back undoes exactly one step', async ({ page }) => {
  await openStaged(page);
  await page.getByRole('button', { name: 'Reset' }).click();
  const history: Snapshot[] = [await snapshot(page)];
  for (let i = 0; i < 14; i++) {
    await page.getByRole('button', { name: 'Step forward' }).click();
    history.push(await snapshot(page));
  }
  for (let i = 13; i >= 0; i--) {
    await page.getByRole('button', { name: 'Step back' }).click();
    expect(await snapshot(page), `after stepping back to ${i}`).toEqual(history[i]);
  }
});

test('keyboard and clicker keys drive playback', async ({ page }) => {
  await openStaged(page);
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Home');
  await expect(node(page, 'sigy')).toHaveAttribute('data-value', '');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('PageDown');
  const snap = await snapshot(page);
  expect(GATES.filter((id) => snap[id].value !== '')).toHaveLength(2);
  await page.keyboard.press('PageUp');
  const back = await snapshot(page);
  expect(GATES.filter((id) => back[id].value !== '')).toHaveLength(1);
  await page.keyboard.press('ArrowLeft');
  await expect(node(page, 'sigy')).toHaveAttribute('data-value', '');
  await page.keyboard.press('End');
  await expect(node(page, 'x')).toHaveAttribute('data-grad-done', 'true');
  await page.keyboard.press('Home');
  await page.keyboard.press('Space');
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  await page.keyboard.press('Space');
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();
});

test('Play moves something within a second, and a pulse travels on the active wire', async ({
  page,
}, testInfo) => {
  await openStaged(page);
  await page.getByRole('button', { name: 'Play' }).click();
  const started = Date.now();
  // What the canvas shows, sampled through the first second of Play: the step reached, the
  // numbers revealed and where every pulse is. At least two samples must differ. (A sample
  // is read from the page, not a screenshot, so a slow machine still takes many of them.)
  const sample = () =>
    page.evaluate(() => {
      const revealed = document.querySelectorAll('[data-node-id][data-value]:not([data-value=""])');
      const pulses = [...document.querySelectorAll('.pulse circle')].map((c) =>
        ['cx', 'cy', 'opacity', 'transform'].map((a) => c.getAttribute(a)).join(','),
      );
      const timeline = document.querySelector<HTMLInputElement>('[aria-label="Timeline"]');
      return `${timeline?.value}|${revealed.length}|${pulses.join(';')}`;
    });
  const samples: string[] = [];
  while (Date.now() - started < 1000) samples.push(await sample());
  expect(samples.length).toBeGreaterThan(1);
  expect(samples.some((s) => s !== samples[0])).toBe(true);
  await expect(page.locator('.pulse circle[opacity="1"]').first()).toBeAttached();

  // Jump to a backward step and catch the gradient pulse mid-flight.
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Reset' }).click();
  for (let i = 0; i < 11; i++) await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(page.locator('.pulse--backward circle[opacity="1"]').first()).toBeAttached();
  // Only the wires of the current step carry a pulse (invden has two inputs).
  expect(await page.locator('.pulse').count()).toBeLessThanOrEqual(2);
  await page.screenshot({ path: testInfo.outputPath('mid-pulse.png') });
});

test('editing a value during playback keeps the step', async ({ page }) => {
  await openStaged(page);
  await page.getByRole('button', { name: 'Reset' }).click();
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Step forward' }).click();
  const before = await snapshot(page);
  const revealed = GATES.filter((id) => before[id].value !== '');
  await page.getByLabel('Value of x').fill('1');
  await page.getByLabel('Value of x').press('Enter');
  await expect(page.getByLabel('Timeline')).toHaveValue('3');
  const after = await snapshot(page);
  expect(GATES.filter((id) => after[id].value !== '')).toEqual(revealed);
});

test('the step panel writes the chain rule and says it aloud', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Reset' }).click();
  // (x + y)·z: forward q, forward f, seed, then backward through f (the multiply gate).
  for (let i = 0; i < 4; i++) await page.getByRole('button', { name: 'Step forward' }).click();
  const live = page.locator('[aria-live="polite"]');
  await expect(live).toContainText('Backward through f (multiply)');
  await expect(live).toContainText('q receives 1 times −4 = −4');
  await expect(page.locator('.step-pattern')).toContainText('multiply gate swaps');
  await expect(page.locator('.step-tex .katex').first()).toBeVisible();
});
