/**
 * Pictures of the circuit: the SVG of exportSvg.ts as a file, the same drawn into a canvas at
 * twice its size as a PNG, and "copy this step as an image" (the picture with the current
 * step's chain rule under it) on the clipboard. The drawing code is loaded on first use.
 */
import type { AppState, AppStore } from '../store/store';
import type { Palette, SvgPicture } from './exportSvg';
import { makeNameOf } from './playback/names';

/** Saves a blob or data URL under a file name, through a temporary link. */
export function download(href: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
}

export function downloadText(text: string, fileName: string, type = 'application/json'): void {
  downloadBlob(new Blob([text], { type }), fileName);
}

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  download(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const PALETTE_VARS: Record<keyof Palette, string> = {
  bg: '--bg',
  panel: '--panel',
  panel2: '--panel-2',
  border: '--border',
  text: '--text',
  muted: '--muted',
  accent: '--accent',
  value: '--value',
  grad: '--grad',
  node: '--node',
  nodeBorder: '--node-border',
  wire: '--wire',
  halo: '--halo',
  problem: '--problem',
  focus: '--focus',
};

/** The colours the page uses now (the stylesheet's variables), those of `base` where unset. */
export function pagePalette(base: Palette): Palette {
  const style = getComputedStyle(document.documentElement);
  const out: Record<string, string> = { ...base };
  for (const [key, name] of Object.entries(PALETTE_VARS)) {
    const v = style.getPropertyValue(name).trim();
    if (v) out[key] = v;
  }
  return out as unknown as Palette;
}

export interface PictureOptions {
  readonly theme: 'light' | 'dark';
  readonly transparent?: boolean;
  /** Put the current step's chain rule under the picture. */
  readonly withStep?: boolean;
}

function currentTheme(): 'light' | 'dark' {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

/** The circuit in the store as SVG, in the page's colours. */
export async function pictureSvg(state: AppState, options: PictureOptions): Promise<SvgPicture> {
  const { circuitSvg, DARK_PALETTE, LIGHT_PALETTE, stepCaption } = await import('./exportSvg');
  const present = document.querySelector('.app--present') !== null;
  return circuitSvg(state, {
    palette: pagePalette(options.theme === 'dark' ? DARK_PALETTE : LIGHT_PALETTE),
    transparent: options.transparent === true,
    present,
    ...(options.withStep ? { caption: stepCaption(state, makeNameOf(state.doc)) } : {}),
  });
}

/** Pixels per CSS pixel of the PNG: sharp on slides and high-density screens. */
export const PNG_SCALE = 2;
/** Browsers refuse canvases past about 16,384 px a side (less on some): stay inside. */
const MAX_CANVAS_SIDE = 16_000;

/** An SVG drawn into a canvas at `scale`, as PNG. */
export async function svgToPng(
  picture: { svg: string; width: number; height: number },
  scale = PNG_SCALE,
): Promise<Blob> {
  const k = Math.min(scale, MAX_CANVAS_SIDE / picture.width, MAX_CANVAS_SIDE / picture.height);
  const url = URL.createObjectURL(new Blob([picture.svg], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.decoding = 'async';
    const loaded = new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('the browser could not draw the SVG picture'));
    });
    image.src = url;
    await loaded;
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(picture.width * k));
    canvas.height = Math.max(1, Math.round(picture.height * k));
    const context = canvas.getContext('2d');
    if (!context) throw new Error('this browser gives no 2D canvas to draw the PNG in');
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) => {
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error('the PNG could not be encoded'))),
        'image/png',
      );
    });
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Downloads the circuit as `circuit.svg` or `circuit.png` (2×). */
export async function downloadPicture(
  state: AppState,
  format: 'svg' | 'png',
  options: PictureOptions,
): Promise<void> {
  const picture = await pictureSvg(state, options);
  if (format === 'svg') {
    downloadText(picture.svg, 'circuit.svg', 'image/svg+xml');
    return;
  }
  downloadBlob(await svgToPng(picture), options.withStep ? 'circuit-step.png' : 'circuit.png');
}

export type CopyResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Why not, in a sentence for the user. */
      readonly reason: string;
    };

/**
 * "Copy this step as an image": the circuit as it is now (the current playback step's
 * numbers and highlight) with the step's chain rule under it, as a PNG on the clipboard. The
 * PNG is made inside the ClipboardItem's promise, so the write starts while the click that
 * asked for it still counts as the user's.
 */
export async function copyStepImage(state: AppState, theme = currentTheme()): Promise<CopyResult> {
  const clipboard = typeof navigator !== 'undefined' ? navigator.clipboard : undefined;
  if (!clipboard || typeof clipboard.write !== 'function' || typeof ClipboardItem === 'undefined') {
    return {
      ok: false,
      reason:
        'This browser does not let pages put images on the clipboard here (it needs a secure https:// or localhost page).',
    };
  }
  const png = pictureSvg(state, { theme, withStep: true }).then((picture) => svgToPng(picture));
  try {
    await clipboard.write([new ClipboardItem({ 'image/png': png })]);
    return { ok: true };
  } catch (error) {
    // A failure to draw is not the clipboard's fault: say which it was.
    const drawn = await png.then(
      () => true,
      () => false,
    );
    if (!drawn) throw error;
    return {
      ok: false,
      reason: `The clipboard refused the image (${(error as Error).message || 'permission denied'}).`,
    };
  }
}

/** The same picture as `copyStepImage`, downloaded: the way out when the clipboard says no. */
export async function downloadStepImage(state: AppState, theme = currentTheme()): Promise<void> {
  await downloadPicture(state, 'png', { theme, withStep: true });
}

/**
 * "Copy this step as an image" as a command (keyboard, menus): copies, and says so in a
 * notice; when the clipboard says no, the notice says why and offers the download.
 */
export async function copyStepImageCommand(store: AppStore): Promise<void> {
  try {
    const result = await copyStepImage(store.getState());
    if (result.ok) {
      store.getState().notify('Copied this step as an image: paste it into your slides.', 'info');
      return;
    }
    store.getState().notify(result.reason, 'warning', {
      actions: [
        {
          label: 'Download it instead',
          run: () => {
            downloadStepImage(store.getState()).catch((error: Error) =>
              store.getState().notify(`Could not export the picture: ${error.message}`),
            );
          },
        },
      ],
      sticky: true,
    });
  } catch (error) {
    store.getState().notify(`Could not copy this step as an image: ${(error as Error).message}`);
  }
}
