import { type Browser, expect, type Page, test } from '@playwright/test';
import { type Circuit, nodeId, portName, scalar } from '../src/engine';
import { encodeFullLink } from '../src/share/link';
import { AUTOSAVE_KEY, Autosave } from '../src/store/autosave';
import {
  circuitOrMessage,
  expectAlive,
  HOSTILE_NAMES,
  node,
  prototypeChanges,
  watchErrors,
  watchPrototypes,
} from './helpers';

/**
 * Every way a name gets into the app — typed, renamed, a link, a file, an autosave record, a
 * link pasted into an open tab — with names that are members of Object.prototype. Each door
 * must give a working circuit or a message saying why not, and never a page error, a blank
 * page or a changed Object.prototype.
 */

/** `name` = x squared: f = x². */
function squareOf(name: string, x: number): Circuit {
  return {
    nodes: [
      { id: nodeId(name), op: 'input', value: scalar(x) },
      { id: nodeId('f'), op: 'square' },
    ],
    wires: [{ from: nodeId(name), to: nodeId('f'), port: portName('x') }],
    output: nodeId('f'),
  };
}

/** The same circuit as a file written by hand (not by the app's own writer). */
function fileOf(name: string, x: number): string {
  const text = JSON.stringify({
    format: 'backprop-circuit',
    version: 1,
    nodes: [
      { id: name, op: 'input', value: x },
      { id: 'f', op: 'square' },
    ],
    wires: [{ from: name, to: 'f', port: 'x' }],
    output: 'f',
  });
  // A `__proto__` key in the file's own JSON as well: reading it must not reach any prototype.
  return `{"__proto__":{"polluted":1},${text.slice(1)}`;
}

/** The autosave record the app itself would write for `circuit`. */
function autosaveRecordOf(circuit: Circuit): string {
  const memory = new Map<string, string>();
  const autosave = new Autosave(
    {
      getItem: (k) => memory.get(k) ?? null,
      setItem: (k, v) => void memory.set(k, v),
      removeItem: (k) => void memory.delete(k),
    },
    { tabId: 'e2e' },
  );
  const outcome = autosave.save(circuit, null);
  const record = memory.get(AUTOSAVE_KEY);
  if (outcome.kind !== 'saved' || record === undefined) {
    throw new Error(`the autosave module did not save the circuit (${outcome.kind})`);
  }
  return record;
}

/** `name` = x, f = 2x. */
const program = (name: string, x: number) => `${name} = ${x}\nf = ${name} * 2`;

interface Door {
  readonly page: Page;
  readonly errors: string[];
  close(): Promise<void>;
}

/** A fresh browser context (empty storage) with its error and prototype watchers. */
async function openDoor(browser: Browser, seed?: { key: string; value: string }): Promise<Door> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchErrors(page);
  await watchPrototypes(page);
  if (seed) {
    await page.addInitScript(
      ([key, value]) => {
        if (!sessionStorage.getItem('seeded')) {
          sessionStorage.setItem('seeded', '1');
          localStorage.setItem(key, value);
        }
      },
      [seed.key, seed.value] as const,
    );
  }
  return { page, errors, close: () => context.close() };
}

/** The checks every door ends with. Returns what happened, for the test's report. */
async function settle(door: Door, where: string, id: string, value: string): Promise<string> {
  const { page, errors } = door;
  const result = await circuitOrMessage(page, id, value);
  await expectAlive(page);
  expect(await prototypeChanges(page), `${where}: Object.prototype`).toEqual([]);
  expect(errors, `${where}: page errors`).toEqual([]);
  return result.outcome === 'circuit' ? 'works' : `refused: ${result.text}`;
}

/** Dismisses the notice, then checks no refusal is left on screen to be taken for the next. */
async function clearMessages(page: Page): Promise<void> {
  const dismiss = page.getByRole('button', { name: 'Dismiss message' });
  if (await dismiss.isVisible()) await dismiss.click();
  await expect(page.locator('[role="alert"]')).toHaveCount(0);
}

/** A working circuit is also played back and tidied: the steps and the layout see the name too. */
async function exercise(door: Door, where: string): Promise<void> {
  const { page, errors } = door;
  await page.getByRole('button', { name: 'Reset' }).click();
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Step forward' }).click();
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('t');
  await expectAlive(page);
  expect(await prototypeChanges(page), `${where} (played, tidied): Object.prototype`).toEqual([]);
  expect(errors, `${where} (played, tidied): page errors`).toEqual([]);
}

for (const name of HOSTILE_NAMES) {
  test(`the name ${name} works or is refused, through every door`, async ({ browser }) => {
    test.setTimeout(120_000);
    const report: Record<string, string> = {};
    // Each door opens the name with its own value, so a door cannot pass on an earlier one's.

    await test.step('in one tab: renamed, typed, pasted links, a file', async () => {
      const door = await openDoor(browser);
      const { page } = door;
      await page.goto('./');
      await expect(node(page, 'q')).toHaveAttribute('data-value', '3');

      // Renamed in the inspector: select q, press R, type the name, Enter.
      await node(page, 'q').click({ position: { x: 10, y: 10 } });
      await page.keyboard.press('r');
      await expect(page.getByLabel('Name', { exact: true })).toBeFocused();
      await page.keyboard.type(name);
      await page.keyboard.press('Enter');
      report.renamed = await settle(door, 'renamed', name, '3');
      await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
      // What was autosaved opens again.
      await page.reload();
      await settle(door, 'renamed, then reloaded', report.renamed === 'works' ? name : 'q', '3');

      // Typed in the Expression field.
      const field = page.getByLabel('Expression');
      await field.fill(program(name, 4));
      await field.press('Enter');
      report.typed = await settle(door, 'typed', name, '4');
      if (report.typed === 'works') {
        await expect(node(page, 'f')).toHaveAttribute('data-value', '8');
        await exercise(door, 'typed');
      } else {
        // The circuit in hand stays; editing the program again clears the message.
        await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
        await field.press('End');
        await field.press('Space');
      }
      await clearMessages(page);

      // An #expr= link pasted into the open tab, then the circuit it replaced restored.
      await page.evaluate(
        (h) => {
          window.location.hash = h;
        },
        `expr=${encodeURIComponent(program(name, 5))}`,
      );
      report.pastedExpr = await settle(door, 'pasted #expr=', name, '5');
      if (report.pastedExpr === 'works') {
        await expect(node(page, 'f')).toHaveAttribute('data-value', '10');
        await page.getByRole('button', { name: 'Restore previous circuit' }).click();
        await expect(node(page, 'f')).toHaveAttribute(
          'data-value',
          report.typed === 'works' ? '8' : '-12',
        );
        await expectAlive(page);
      }
      await clearMessages(page);

      // A #c= link pasted into the open tab.
      await page.evaluate(
        (h) => {
          window.location.hash = h;
        },
        encodeFullLink({ circuit: squareOf(name, 6), view: {} }),
      );
      report.pastedC = await settle(door, 'pasted #c=', name, '6');
      if (report.pastedC === 'works')
        await expect(node(page, 'f')).toHaveAttribute('data-value', '36');
      await clearMessages(page);

      // A file opened from the Share dialog.
      await page.getByRole('button', { name: 'Share' }).click();
      await page.getByLabel('Open a circuit file').setInputFiles({
        name: 'hostile.json',
        mimeType: 'application/json',
        buffer: Buffer.from(fileOf(name, 7)),
      });
      report.file = await settle(door, 'file', name, '7');
      if (report.file === 'works')
        await expect(node(page, 'f')).toHaveAttribute('data-value', '49');
      await door.close();
    });

    await test.step('an #expr= link', async () => {
      const door = await openDoor(browser);
      await door.page.goto(`./#expr=${encodeURIComponent(program(name, 3))}`);
      report.expr = await settle(door, '#expr=', name, '3');
      if (report.expr === 'works')
        await expect(node(door.page, 'f')).toHaveAttribute('data-value', '6');
      await door.close();
    });

    await test.step('a #c= link', async () => {
      const door = await openDoor(browser);
      await door.page.goto(`./#${encodeFullLink({ circuit: squareOf(name, 3), view: {} })}`);
      report.c = await settle(door, '#c=', name, '3');
      if (report.c === 'works') {
        await expect(node(door.page, 'f')).toHaveAttribute('data-value', '9');
        await exercise(door, '#c=');
      }
      await door.close();
    });

    await test.step('an autosave record in the browser', async () => {
      const door = await openDoor(browser, {
        key: AUTOSAVE_KEY,
        value: autosaveRecordOf(squareOf(name, 3)),
      });
      await door.page.goto('./');
      report.autosave = await settle(door, 'autosave', name, '3');
      if (report.autosave === 'works') {
        await expect(node(door.page, 'f')).toHaveAttribute('data-value', '9');
        await exercise(door, 'autosave');
      } else {
        // Set aside and reported: the first example opens instead.
        await expect(node(door.page, 'f')).toHaveAttribute('data-value', '-12');
      }
      await door.close();
    });

    test.info().annotations.push({ type: name, description: JSON.stringify(report) });
  });
}

test('blocked storage warns, and the app works in memory', async ({ page }) => {
  const errors = watchErrors(page);
  await page.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
  });
  await page.goto('./');
  await expectAlive(page);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  await page.getByLabel('Value of x').fill('1');
  await page.getByLabel('Value of x').press('Enter');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-24');
  await expect(page.getByRole('alert')).toContainText(/storage|autosave/i);
  expect(errors).toEqual([]);
});

/**
 * A render error, made from outside the app: the page's own Number.prototype.toPrecision is
 * made to throw for one number, 4242, which only the output's readout (f = 3 · 1414) formats.
 */
async function breakFormattingOf4242(page: Page): Promise<void> {
  await page.evaluate(() => {
    const original = Number.prototype.toPrecision;
    Number.prototype.toPrecision = function (this: number, digits?: number) {
      if (Number(this) === 4242) throw new Error('cannot print 4242');
      return original.call(this, digits);
    };
  });
}

test('a render error in the canvas is caught, named, and the last good circuit comes back', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  await breakFormattingOf4242(page);
  await page.getByLabel('Value of z').fill('1414');
  const crash = page
    .getByRole('alert')
    .filter({ hasText: 'Something went wrong drawing the canvas' });
  await expect(crash).toContainText('cannot print 4242');
  // The rest of the app is still there, and so is the circuit.
  await expect(page.getByRole('banner')).toBeVisible();
  await expect(page.getByLabel('Expression')).toHaveValue(/z = 1414/);
  await crash.getByRole('button', { name: 'Reload the last good state' }).click();
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  await expect(node(page, 'z')).toHaveAttribute('data-value', '-4');
  await expect(crash).toHaveCount(0);
  // React reports the error it caught on the console; nothing else went wrong.
  expect(errors.filter((e) => !e.includes('cannot print 4242'))).toEqual([]);
});

test('a render error outside the canvas is caught by the app: never a blank page', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  // The pinned inspector shows the output's value too: f = 4242 breaks it as well.
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('i');
  await expect(page.getByRole('complementary', { name: 'Inspector' })).toContainText(
    'Output f = −12',
  );
  await breakFormattingOf4242(page);
  await page.getByLabel('Value of z').fill('1414');
  const crash = page.getByRole('alert').filter({ hasText: 'Something went wrong drawing the app' });
  await expect(crash).toContainText('cannot print 4242');
  await expect(page.getByRole('heading', { name: 'Backprop Circuits' })).toBeVisible();
  await crash.getByRole('button', { name: 'Reload the last good state' }).click();
  await expectAlive(page);
  await expect(node(page, 'f')).toHaveAttribute('data-value', '-12');
  expect(errors.filter((e) => !e.includes('cannot print 4242'))).toEqual([]);
});
