// Verification rows beside the accuracy rows: for runs that `ctc verify` measured (the file
// beside the run), per (dataset, network, loss, budget, pairs) the mean verification accuracy
// over seeds with its 95% interval, the ROC AUC, and each auxiliary loss against softmax on the
// same seeds (paired t-test). The paper's only verification figure is LFW (faces, ~0.49 M
// training images); it is shown for reference, never compared with: the data differ.

import { ci95HalfWidth, mean, pairWithSoftmax, std, type VsSoftmax } from './stats.js';

/** The paper's best single-network LFW accuracy: contrastive-center loss, ~0.49 M face images. */
export const PAPER_LFW = { loss: 'contrastive-center', accuracy: 98.68 } as const;

/** What the tables read of a run's verification.json. */
export interface VerificationRecord {
  mode: string;
  similarity: string;
  folds: number;
  pairs: number;
  accuracy: { mean: number };
  auc: number;
  heldOutClasses?: number[];
}

/** The run fields a verification row is grouped and ordered by (the accuracy table's row key). */
export interface VerifiedRun {
  key: { dataset: string; network: string; loss: string; budget: string };
  seed: number;
  verification: VerificationRecord;
}

export interface VerificationRow {
  dataset: string;
  network: string;
  loss: string;
  budget: string;
  /** Which pairs: e.g. `held-out classes 7, 8, 9 ... (cosine, 10 folds of 600)`. */
  pairs: string;
  n: number;
  seeds: number[];
  accuracies: number[];
  mean: number;
  std: number | null;
  ci95: number | null;
  auc: number;
  vsSoftmax: VsSoftmax | null;
}

export function verificationRows(runs: VerifiedRun[]): VerificationRow[] {
  const groups = new Map<string, VerifiedRun[]>();
  for (const r of runs) {
    const key = [...Object.values(r.key), pairsOf(r.verification)].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows = [...groups.values()].map((unsorted): VerificationRow => {
    const group = [...unsorted].sort((a, b) => a.seed - b.seed);
    const accs = group.map((r) => r.verification.accuracy.mean);
    return {
      ...group[0].key,
      pairs: pairsOf(group[0].verification),
      n: accs.length,
      seeds: group.map((r) => r.seed),
      accuracies: accs,
      mean: mean(accs),
      std: std(accs) ?? null,
      ci95: ci95HalfWidth(accs) ?? null,
      auc: mean(group.map((r) => r.verification.auc)),
      vsSoftmax: null,
    };
  });
  pairWithSoftmax(
    rows,
    (a, b) => a.dataset === b.dataset && a.network === b.network && a.budget === b.budget && a.pairs === b.pairs,
  );
  return rows;
}

function pairsOf(v: VerificationRecord): string {
  return `${v.mode} (${v.similarity}, ${v.folds} folds of ${v.pairs / v.folds})`;
}

export function verificationTableMarkdown(rows: VerificationRow[]): string[] {
  if (rows.length === 0) return [];
  const f2 = (v: number) => v.toFixed(2);
  const signed = (v: number) => `${v >= 0 ? '+' : ''}${f2(v)}`;
  return [
    '',
    '## Verification (%): pairs of images, same class or not, from the features',
    '',
    "From `ctc verify` beside each run: LFW's protocol (the threshold of each fold chosen on the other folds), mean over folds, " +
      'then mean ± sample std over n seeds with the 95% CI of the mean; AUC: ROC area, mean over seeds; vs softmax: paired t-test on the same seeds. ' +
      `For reference only, not comparable: the paper's best single-network LFW figure is ${PAPER_LFW.accuracy} (${PAPER_LFW.loss} loss, ` +
      'faces, ~0.49 M training images); the rows here verify classes of these datasets that the network never trained on.',
    '',
    '| dataset | network | loss | budget | pairs | ours | n | 95% CI | AUC | vs softmax | p | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const ours = r.std === null ? f2(r.mean) : `${f2(r.mean)} ± ${f2(r.std)}`;
      const ci = r.ci95 === null ? '—' : `${f2(r.mean - r.ci95)} – ${f2(r.mean + r.ci95)}`;
      const vs = r.vsSoftmax;
      return (
        `| ${r.dataset} | ${r.network} | ${r.loss} | ${r.budget} | ${r.pairs} | ${ours} | ${r.n} | ${ci} | ${r.auc.toFixed(4)} | ` +
        `${vs ? signed(vs.meanDiff) : '—'} | ${vs && vs.p !== null ? vs.p.toFixed(3) : '—'} | ${vs ? vs.verdict : '—'} |`
      );
    }),
  ];
}
