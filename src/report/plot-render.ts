// Renders a Vega-Lite spec headlessly: Vega-Lite -> Vega -> SVG (vega's View.toSVG, no browser
// or canvas) -> PNG or RGBA pixels (resvg). Text is drawn with DejaVu Sans from the
// dejavu-fonts-ttf package, never system fonts, so a figure looks the same on every machine.

import { createRequire } from 'node:module';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

export const FONT_FAMILY = 'DejaVu Sans';
/** The bundled font's files, resolved when a chart is first drawn. */
const fontFiles = () =>
  ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) =>
    createRequire(import.meta.url).resolve(`dejavu-fonts-ttf/ttf/${f}`),
  );

/** Chart-wide defaults: the bundled font everywhere, white background. */
export const CHART_CONFIG = {
  font: FONT_FAMILY,
  background: 'white',
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#444', anchor: 'middle' },
} as const;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile({ ...spec, config: { ...CHART_CONFIG, ...spec.config } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function resvgOptions(scale: number): ResvgRenderOptions {
  return {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
  };
}

/** PNG bytes; `scale` 2 gives a sharp figure for papers and READMEs. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  return new Resvg(svg, resvgOptions(scale)).render().asPng();
}

/** Raw RGBA pixels (for GIF frames and for tests that look at what was drawn). */
export function svgToPixels(svg: string, scale = 1): { pixels: Uint8Array; width: number; height: number } {
  const image = new Resvg(svg, resvgOptions(scale)).render();
  return { pixels: new Uint8Array(image.pixels), width: image.width, height: image.height };
}

export interface Rendered {
  svg: string;
  png: Uint8Array;
}

export async function renderChart(spec: TopLevelSpec, scale = 2): Promise<Rendered> {
  const svg = await renderSvg(spec);
  return { svg, png: svgToPng(svg, scale) };
}
