import { getNodesBounds, getViewportForBounds, type Node } from '@xyflow/react';

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
  const url = URL.createObjectURL(new Blob([text], { type }));
  download(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface ImageOptions {
  readonly format: 'png' | 'svg';
  /** Pixel ratio for PNG: 2 makes slides sharp. */
  readonly scale?: number;
  readonly transparent?: boolean;
  /** The page background, used when not transparent. */
  readonly background: string;
}

/**
 * Renders the whole circuit (not just what is on screen) to a PNG or SVG data URL. The image
 * library is loaded on first use.
 */
export async function circuitImage(nodes: Node[], options: ImageOptions): Promise<string> {
  const { toPng, toSvg } = await import('html-to-image');
  const viewport = document.querySelector<HTMLElement>('.react-flow__viewport');
  if (!viewport) throw new Error('the canvas is not on the page');
  const bounds = getNodesBounds(nodes);
  const margin = 40;
  // Room on the right for the output's value and gradient, written beside it, and above and
  // below for the labels of wires that bow outwards.
  const readout = 140;
  const width = Math.ceil(bounds.width + margin * 2 + readout);
  const height = Math.ceil(bounds.height + margin * 2);
  // At scale 1: the picture is as large as the circuit, and `pixelRatio` sharpens it.
  const view = getViewportForBounds(bounds, width, height, 1, 1, {
    top: `${margin}px`,
    bottom: `${margin}px`,
    left: `${margin}px`,
    right: `${margin + readout}px`,
  });
  const config = {
    width,
    height,
    backgroundColor: options.transparent ? 'transparent' : options.background,
    pixelRatio: options.scale ?? 2,
    style: {
      width: `${width}px`,
      height: `${height}px`,
      transform: `translate(${view.x}px, ${view.y}px) scale(${view.zoom})`,
    },
    // Handles and the pulse layer are editing aids, not part of the picture.
    filter: (el: HTMLElement) => !el.classList?.contains('react-flow__handle'),
  };
  return options.format === 'png' ? toPng(viewport, config) : toSvg(viewport, config);
}
