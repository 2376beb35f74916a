// Vega-Lite specs for the feature figures: one layered panel per run (class-coloured points,
// learned centers as black crosses), panels side by side with one shared class legend.
// Pure: panel data in, JSON spec out.

import type { TopLevelSpec } from 'vega-lite';
import type { FeatureMetrics } from '../eval/feature-metrics.js';

export interface XY {
  x: number;
  y: number;
}

export interface SquareDomain {
  x: [number, number];
  y: [number, number];
}

export interface ScatterPanel {
  title: string;
  subtitle: string[];
  axisTitles: [string, string];
  points: (XY & { class: string })[];
  centers: (XY & { class: string })[];
  domain: SquareDomain;
  classNames: string[];
}

/** d3's category10: ten colours told apart easily; tableau20 beyond ten classes. */
const CATEGORY10 = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

export const PANEL_SIZE = 360; // px, square: equal units on both axes
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Specs are built as plain JSON (Vega-Lite's own types are too deep to write by hand) and
 *  checked by vega-lite's compiler when rendered. */
export function asSpec(json: Record<string, unknown>): TopLevelSpec {
  return { $schema: SCHEMA, ...json } as unknown as TopLevelSpec;
}

function panelSpec(p: ScatterPanel, subtitleLines: number): Record<string, unknown> {
  const axis = (field: 'x' | 'y', title: string) => ({
    field,
    type: 'quantitative',
    title,
    scale: { domain: p.domain[field], nice: false, zero: false },
    axis: { tickCount: 6, grid: true, gridColor: '#eee' },
  });
  const layers: Record<string, unknown>[] = [
    {
      data: { values: p.points },
      mark: { type: 'circle', size: 7, opacity: 0.6 },
      encoding: {
        x: axis('x', p.axisTitles[0]),
        y: axis('y', p.axisTitles[1]),
        color: {
          field: 'class',
          type: 'nominal',
          scale:
            p.classNames.length <= 10
              ? { domain: p.classNames, range: CATEGORY10 }
              : { domain: p.classNames, scheme: 'tableau20' },
          legend: { title: 'class', symbolOpacity: 1, symbolSize: 80 },
        },
      },
    },
  ];
  if (p.centers.length > 0) {
    layers.push({
      data: { values: p.centers },
      mark: {
        type: 'point',
        shape: 'cross',
        filled: true,
        size: 170,
        color: 'black',
        stroke: 'white',
        strokeWidth: 0.8,
        opacity: 1,
      },
      encoding: { x: axis('x', p.axisTitles[0]), y: axis('y', p.axisTitles[1]) },
    });
  }
  return {
    // Padded subtitles keep the plots of side-by-side panels level.
    title: {
      text: p.title,
      subtitle: [...p.subtitle, ...Array(subtitleLines - p.subtitle.length).fill(' ')],
      fontSize: 13,
      subtitleFontSize: 10.5,
    },
    width: PANEL_SIZE,
    height: PANEL_SIZE,
    layer: layers,
  };
}

/** Panels per row of a figure; more panels wrap to further rows (an ablation grid of 22 runs). */
export const MAX_COLUMNS = 5;

/** One panel (its own title only), or several side by side (rows of at most MAX_COLUMNS), each on
 *  its own scale, with one class legend and the figure title above. */
export function featureFigureSpec(panels: ScatterPanel[], title?: string): TopLevelSpec {
  if (panels.length === 0) throw new Error('featureFigureSpec: no panels');
  const top = title
    ? { title: { text: title, subtitle: 'each panel on its own scale, equal units on both axes', fontSize: 15 } }
    : {};
  const lines = Math.max(...panels.map((p) => p.subtitle.length));
  if (panels.length === 1) {
    return asSpec(panelSpec(panels[0], lines));
  }
  return asSpec({
    ...top,
    concat: panels.map((p) => panelSpec(p, lines)),
    columns: Math.min(panels.length, MAX_COLUMNS),
    spacing: 40,
    resolve: { scale: { x: 'independent', y: 'independent', color: 'shared' } },
  });
}

/** A chart that holds only a title: lets tests check that text really reaches the pixels. */
export function titleOnlySpec(text: string): TopLevelSpec {
  return asSpec({ title: { text, fontSize: 24 }, width: 300, height: 10, data: { values: [] }, mark: 'point' });
}

export function metricLines(m: FeatureMetrics): string[] {
  return [
    `intra ${fmt(m.intraMean)} · inter min ${fmt(m.interMin)} · intra/inter ${fmt(m.intraInterRatio)}`,
    `Fisher ${fmt(m.fisherRatio)} · Davies-Bouldin ${fmt(m.daviesBouldin)} · NCM ${m.ncmAccuracy.toFixed(2)}%`,
  ];
}

/** Three significant digits; Infinity and NaN spelled out. */
export function fmt(v: number): string {
  if (Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}
