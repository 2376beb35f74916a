// What `ctc verify` writes: verification.json, a short verification.md, and the ROC curve
// (roc.png, roc.svg) with a logarithmic false-accept axis, as verification papers draw it.

import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../util/atomic.js';
import type { Verification } from './run.js';

export function verificationMarkdown(v: Verification): string {
  const f2 = (x: number) => x.toFixed(2);
  const tar = v.tarAtFar.map(
    (t) =>
      `TAR at FAR ${t.far}: ${t.tar === null ? `— (fewer than ${Math.round(1 / t.far)} mismatched pairs)` : `${f2(t.tar)}%`}`,
  );
  return [
    '# Verification',
    '',
    `Run ${v.run}, checkpoint ${v.checkpoint} at iteration ${v.iteration}; ${v.mode}.`,
    `${v.pairs} pairs over ${v.images} images in ${v.folds} fold(s); similarity ${v.similarity === 'cosine' ? 'cosine' : 'negative L2 of normalised features'}.` +
      (v.conversion ? ` Images ${v.conversion}.` : ''),
    '',
    `- accuracy (threshold chosen on the other folds): ${f2(v.accuracy.mean)}%${v.accuracy.std === null ? '' : ` ± ${f2(v.accuracy.std)}`} over ${v.folds} fold(s)`,
    `- ROC AUC: ${v.auc.toFixed(4)}`,
    ...tar.map((t) => `- ${t}`),
    '',
  ].join('\n');
}

export function rocSpec(v: Verification): TopLevelSpec {
  const points = v.roc.filter((p) => p.far > 0).map((p) => ({ far: p.far, tar: p.tar }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'ROC', subtitle: `${v.mode}; accuracy ${v.accuracy.mean.toFixed(2)}%, AUC ${v.auc.toFixed(4)}` },
    width: 420,
    height: 320,
    data: { values: points },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'far', type: 'quantitative', scale: { type: 'log' }, title: 'false accept rate' },
      y: { field: 'tar', type: 'quantitative', scale: { domain: [0, 1] }, title: 'true accept rate' },
    },
  };
}

export async function writeVerification(v: Verification, out: string): Promise<string[]> {
  const files = [path.join(out, 'verification.json'), path.join(out, 'verification.md')];
  writeFileAtomic(files[0], `${JSON.stringify(v, null, 2)}\n`);
  writeFileAtomic(files[1], verificationMarkdown(v));
  const { renderChart } = await import('../report/plot-render.js'); // Vega loads only when drawing
  const rendered = await renderChart(rocSpec(v));
  writeFileAtomic(path.join(out, 'roc.png'), rendered.png);
  writeFileAtomic(path.join(out, 'roc.svg'), rendered.svg);
  return [...files, path.join(out, 'roc.png')];
}
