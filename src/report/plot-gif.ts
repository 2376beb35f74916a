// The training animation: per-epoch feature frames (plot-frames.ts) drawn as scatter plots on
// one fixed set of axes and encoded as a looping GIF with gifenc (pure JS).

import gifenc from 'gifenc';
import { prepareScatter, squareDomain } from './plot.js';
import type { FeatureFrame } from './plot-frames.js';
import { featureFigureSpec } from './plot-specs.js';
import { renderSvg, svgToPixels } from './plot-render.js';

const FRAME_SCALE = 1.5; // about 700 px wide: readable text, small file

export interface AnimationOptions {
  classNames: string[];
  label: string; // e.g. the loss name
  frameMs?: number; // default 600
  lastFrameMs?: number; // default 2500: a pause on the final state before the loop restarts
}

export async function animateFrames(frames: FeatureFrame[], opts: AnimationOptions): Promise<Uint8Array> {
  if (frames.length === 0) throw new Error('animateFrames: no frames');
  // One domain over every frame, so motion on screen is motion in feature space (early frames
  // of a softmax run look small: its features keep growing).
  const all = frames.flatMap((f) => [...toXY(f.points), ...toXY(f.centers)]);
  const domain = squareDomain(all);
  const images: { pixels: Uint8Array; width: number; height: number }[] = [];
  for (const f of frames) {
    const panel = prepareScatter({
      features: f.points,
      labels: f.labels,
      centers: f.centers.length > 0 ? f.centers : null,
      classNames: opts.classNames,
      label: `${opts.label}, epoch ${f.epoch}`,
      testAccuracy: f.testAccuracy ?? undefined,
      note: f.dim > 2 ? `PCA of ${f.dim}-D features, fitted per frame` : undefined,
      axisTitles: f.dim > 2 ? ['PC1', 'PC2'] : undefined,
      domain,
      maxPoints: Infinity,
    });
    images.push(svgToPixels(await renderSvg(featureFigureSpec([panel])), FRAME_SCALE));
  }
  // Titles differ in length between frames; every frame goes on a canvas of the largest size.
  const width = Math.max(...images.map((i) => i.width));
  const height = Math.max(...images.map((i) => i.height));
  const gif = gifenc.GIFEncoder();
  images.forEach((img, i) => {
    const rgba = onCanvas(img, width, height);
    const palette = gifenc.quantize(rgba, 256);
    const delay = i === images.length - 1 ? (opts.lastFrameMs ?? 2500) : (opts.frameMs ?? 600);
    gif.writeFrame(gifenc.applyPalette(rgba, palette), width, height, { palette, delay, repeat: 0 });
  });
  gif.finish();
  return gif.bytes();
}

function toXY(flat: Float32Array): { x: number; y: number }[] {
  return Array.from({ length: flat.length / 2 }, (_, i) => ({ x: flat[2 * i], y: flat[2 * i + 1] }));
}

/** Copies an RGBA image to the top left of a white canvas. */
function onCanvas(
  img: { pixels: Uint8Array; width: number; height: number },
  width: number,
  height: number,
): Uint8Array {
  if (img.width === width && img.height === height) return img.pixels;
  const out = new Uint8Array(width * height * 4).fill(255);
  for (let y = 0; y < img.height; y++)
    out.set(img.pixels.subarray(y * img.width * 4, (y + 1) * img.width * 4), y * width * 4);
  return out;
}
