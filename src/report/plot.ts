// Feature scatter plots, the paper's 2-D LeNets++ figure: test features coloured by class with
// the learned centers as black crosses, one panel per run. This file turns features into panel
// data (PCA for d > 2, a fixed subset of points, titles with the metrics); plot-specs.ts
// lays the panels out and plot-render.ts draws them.

import { centerMetrics } from '../eval/center-metrics.js';
import type { FeatureMetricsResult } from '../eval/feature-metrics.js';
import { fitPca2, projectPca2 } from './pca.js';
import { featureFigureSpec, fmt, metricLines, type ScatterPanel, type SquareDomain, type XY } from './plot-specs.js';
import { renderChart, type Rendered } from './plot-render.js';
import { subsample } from './subsample.js';

export const DEFAULT_MAX_POINTS = 5000;
export const PCA_FIT_POINTS = 2000;

export interface ScatterInput {
  features: Float32Array | Float64Array; // [n, d]
  labels: ArrayLike<number>; // [n]
  centers?: Float32Array | null; // [k, d]
  classNames: string[];
  /** Panel name, usually the loss: 'softmax', 'center', 'contrastive-center'. */
  label: string;
  testAccuracy?: number; // percent
  metrics?: FeatureMetricsResult;
  maxPoints?: number;
  /** Extra subtitle line, e.g. what a stored frame was projected from. */
  note?: string;
  /** Axis titles for points projected elsewhere (animation frames); default from d. */
  axisTitles?: [string, string];
  /** Fixed axes (animation frames share one); default: fit this panel. */
  domain?: SquareDomain;
}

export function prepareScatter(input: ScatterInput): ScatterPanel {
  const n = input.labels.length;
  const d = input.features.length / n;
  if (!Number.isInteger(d) || d < 2)
    throw new Error(`prepareScatter: ${input.features.length} values do not make [${n}, d >= 2] features`);
  const k = input.centers ? input.centers.length / d : 0;
  let xy: ArrayLike<number> = input.features;
  let cxy: ArrayLike<number> = input.centers ?? [];
  let axisTitles: [string, string] = input.axisTitles ?? ['feature 1', 'feature 2'];
  if (d > 2) {
    // Fitted on a fixed subset: the covariance costs n * d^2 / 2, seconds for 10,000 x 500, and
    // 2000 points pin the two leading directions down well enough for a picture.
    const fit = subsample(n, PCA_FIT_POINTS);
    const rows = new Float64Array(fit.length * d);
    fit.forEach((i, r) => rows.set(input.features.subarray(i * d, (i + 1) * d), r * d));
    const pca = fitPca2(rows, fit.length, d);
    xy = projectPca2(pca, input.features, n);
    cxy = input.centers ? projectPca2(pca, input.centers, k) : [];
    const pct = (v: number) => `${(100 * v).toFixed(0)}% of variance`;
    axisTitles = [`PC1 (${pct(pca.explained[0])})`, `PC2 (${pct(pca.explained[1])})`];
  }

  const shown = subsample(n, input.maxPoints ?? DEFAULT_MAX_POINTS);
  const points = Array.from(shown, (i) => ({
    x: xy[2 * i],
    y: xy[2 * i + 1],
    class: className(input.classNames, input.labels[i]),
  }));
  const centers = Array.from({ length: k }, (_, c) => ({
    x: cxy[2 * c],
    y: cxy[2 * c + 1],
    class: className(input.classNames, c),
  }));

  const accuracy = input.testAccuracy === undefined ? '' : `: test accuracy ${input.testAccuracy.toFixed(2)}%`;
  const subtitle = input.metrics ? metricLines(input.metrics.raw) : [];
  if (input.metrics?.absentClasses.length)
    subtitle.push(`classes without test samples (skipped): ${input.metrics.absentClasses.join(', ')}`);
  if (input.note) subtitle.push(input.note);
  if (shown.length < n) subtitle.push(`${shown.length} of ${n} test points shown (fixed random subset)`);
  if (k > 0) {
    const lag = centerMetrics(input.features, input.labels, input.centers ?? [], k).centerLag;
    subtitle.push(`black crosses: learned centers · center lag ${fmt(lag)}`);
  }
  return {
    title: `${input.label}${accuracy}${d > 2 ? ` (PCA of ${d}-D features)` : ''}`,
    subtitle,
    axisTitles,
    points,
    centers,
    domain: input.domain ?? squareDomain([...points, ...centers]),
    classNames: input.classNames,
  };
}

/** One run as one figure. */
export async function featureScatter(input: ScatterInput): Promise<Rendered> {
  return renderChart(featureFigureSpec([prepareScatter(input)]));
}

/**
 * Several runs side by side (the paper's softmax / center / contrastive-center figure). Each
 * panel keeps its own scale: softmax features spread over a range many times wider than
 * center-loss features, and one shared scale would shrink the compact runs to a dot.
 */
export async function featureFigure(inputs: ScatterInput[], title?: string): Promise<Rendered> {
  return renderChart(featureFigureSpec(inputs.map(prepareScatter), title));
}

/** Equal ranges on both axes, so distances and angles look as they are in feature space. */
export function squareDomain(pts: XY[]): SquareDomain {
  const finite = pts.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (finite.length === 0) return { x: [-1, 1], y: [-1, 1] };
  const [x0, x1] = extent(finite.map((p) => p.x));
  const [y0, y1] = extent(finite.map((p) => p.y));
  const half = (Math.max(x1 - x0, y1 - y0, 1e-9) / 2) * 1.05; // 5% margin
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return { x: [cx - half, cx + half], y: [cy - half, cy + half] };
}

function extent(v: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

function className(names: string[], label: number): string {
  return names[label] ?? String(label);
}
