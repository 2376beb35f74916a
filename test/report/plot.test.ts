// Feature scatter plots rendered headlessly: the SVG carries the title and legend text, the PNG
// is a real PNG of the expected size, and text really reaches the pixels (bundled font).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featureMetrics } from '../../src/eval/feature-metrics.js';
import {
  featureFigure,
  featureScatter,
  prepareScatter,
  squareDomain,
  type ScatterInput,
} from '../../src/report/plot.js';
import { renderSvg, svgToPixels } from '../../src/report/plot-render.js';
import { fmt, titleOnlySpec } from '../../src/report/plot-specs.js';
import { subsample } from '../../src/report/subsample.js';
import { Rng } from '../../src/util/rng.js';

const NAMES = ['zero', 'one', 'two'];

/** Three blobs in d dimensions around (0,0), (5,0), (0,5), with one center per class. */
function blobs(n: number, d: number): ScatterInput {
  const rng = new Rng(3);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const at = [
    [0, 0],
    [5, 0],
    [0, 5],
  ];
  const features = new Float32Array(n * d);
  labels.forEach((y, i) => {
    for (let j = 0; j < d; j++) features[i * d + j] = (at[y][j] ?? 0) + rng.next() - 0.5;
  });
  const centers = new Float32Array(3 * d);
  at.forEach(([a, b], c) => centers.set([a, b], c * d));
  return {
    features,
    labels,
    centers,
    classNames: NAMES,
    label: 'contrastive-center',
    testAccuracy: 99.17,
    metrics: featureMetrics(features, labels, 3),
  };
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): [number, number] {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [v.getUint32(16), v.getUint32(20)];
}

test('a 2-D scatter renders to SVG with its title and legend, and to a PNG twice its size', async () => {
  const input = blobs(60, 2);
  const { svg, png } = await featureScatter(input);
  assert.match(svg, /^<svg/);
  assert.ok(svg.includes('contrastive-center: test accuracy 99.17%'), 'title');
  assert.ok(svg.includes(`Fisher ${fmt(input.metrics!.raw.fisherRatio)}`), 'metrics in the subtitle');
  for (const name of NAMES) assert.ok(svg.includes(`>${name}</text>`), `legend entry ${name}`);
  assert.ok(svg.includes('black crosses: learned centers'));
  assert.ok(!svg.includes('PCA'));

  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = Number(/width="(\d+)"/.exec(svg)![1]);
  const height = Number(/height="(\d+)"/.exec(svg)![1]);
  assert.deepEqual(pngSize(png), [2 * width, 2 * height]);
  assert.ok(width > 360 && height > 360, `${width} x ${height}`);
});

test('text is drawn: a title-only chart has dark pixels in its title band, an empty title none', async () => {
  const dark = async (title: string) => {
    const { pixels, width } = svgToPixels(await renderSvg(titleOnlySpec(title)), 1);
    let count = 0;
    for (let i = 0; i < 40 * width; i++) if (pixels[4 * i] < 128 && pixels[4 * i + 3] > 0) count++; // top 40 rows
    return count;
  };
  const withText = await dark('Contrastive-center loss');
  assert.ok(withText > 200, `only ${withText} dark pixels under the title`);
  assert.equal(await dark(' '), 0);
});

test('features with d > 2 are shown as their PCA projection, and say so', () => {
  const panel = prepareScatter(blobs(90, 5));
  assert.equal(panel.title, 'contrastive-center: test accuracy 99.17% (PCA of 5-D features)');
  assert.match(panel.axisTitles[0], /^PC1 \(\d+% of variance\)$/);
  assert.equal(panel.points.length, 90);
  assert.equal(panel.centers.length, 3);
  // The blobs are 5 apart in the first two coordinates: the projection keeps those distances.
  const d01 = Math.hypot(panel.centers[0].x - panel.centers[1].x, panel.centers[0].y - panel.centers[1].y);
  assert.ok(Math.abs(d01 - 5) < 0.05, `center distance ${d01}`);
});

test('large sets are subsampled deterministically and the subtitle says so', () => {
  const panel = prepareScatter({ ...blobs(300, 2), maxPoints: 100 });
  assert.equal(panel.points.length, 100);
  assert.ok(panel.subtitle.includes('100 of 300 test points shown (fixed random subset)'));
  const a = subsample(300, 100);
  assert.deepEqual([...a], [...subsample(300, 100)]);
  assert.equal(new Set(a).size, 100);
  assert.ok(a.every((v, i) => i === 0 || v > a[i - 1]));
  // Every class of a periodic label order is still drawn (a stride of 3 would keep one class).
  assert.equal(new Set(panel.points.map((p) => p.class)).size, 3);
});

test('axes cover the points with equal ranges', () => {
  const d = squareDomain([
    { x: 0, y: 10 },
    { x: 4, y: 11 },
  ]);
  assert.equal(d.x[1] - d.x[0], d.y[1] - d.y[0]);
  assert.ok(d.x[0] < 0 && d.x[1] > 4 && d.y[0] < 10 && d.y[1] > 11);
});

test('several runs go side by side with one legend', async () => {
  const soft = { ...blobs(60, 2), label: 'softmax', centers: null };
  const { svg } = await featureFigure([soft, blobs(60, 2)], 'MNIST test features');
  for (const t of [
    'MNIST test features',
    'each panel on its own scale',
    'softmax: test accuracy',
    'contrastive-center: test accuracy',
  ]) {
    assert.ok(svg.includes(t), t);
  }
  assert.equal(svg.split('>one</text>').length - 1, 1, 'one shared legend');
});

test('more than five runs wrap into rows of five', async () => {
  const panels = (n: number) => Array.from({ length: n }, (_, i) => ({ ...blobs(30, 2), label: `run ${i}` }));
  const [w3, h3] = pngSize((await featureFigure(panels(3), 'grid')).png);
  const [w7, h7] = pngSize((await featureFigure(panels(7), 'grid')).png);
  assert.ok(w7 < w3 * 2, `five columns, not seven: ${w7} against ${w3} for three`);
  assert.ok(h7 > h3 * 1.7, `a second row: height ${h7} against ${h3}`);
});
