// Text for `ctc sweep plan` and `ctc sweep status`: pure functions from a plan or status rows
// to lines, apart from the commands' I/O.

import type { SweepPlan } from './expand.js';
import type { JobStatusRow, SweepJobState } from './queue.js';

export const STATES: readonly SweepJobState[] = ['queued', 'running', 'done', 'failed', 'not submitted'];

/** The plan as a header and one line per job; `states[i]` is job i's run state (new, started, done). */
export function formatPlan(plan: SweepPlan, states: string[], where: { base: string; runs: string }): string {
  const { spec, jobs } = plan;
  const axes = Object.entries(spec.axes).map(([k, v]) => `${v.length} (${k})`);
  const shape = `${axes.length ? ` = ${axes.join(' x ')}` : ''}${spec.exclude.length ? ' - exclude' : ''}${spec.include.length ? ` + ${spec.include.length} include` : ''}`;
  const set = Object.entries(spec.set).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const lines = [
    `sweep ${spec.name}: ${jobs.length} job(s)${shape}`,
    `  base ${where.base}, backend ${spec.backend}, runs in ${where.runs}/<id>/`,
    ...(set.length ? [`  set ${set.join(' ')}`] : []),
    ...plan.duplicates.map((d) => `  (same config, run once: ${d})`),
    '',
    `${'id'.padEnd(14)}${'state'.padEnd(9)}job`,
    ...jobs.map((j, i) => `${j.id.padEnd(14)}${states[i].padEnd(9)}${j.label || '(base config)'}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function statusTotals(rows: JobStatusRow[]): Record<SweepJobState, number> {
  return Object.fromEntries(STATES.map((s) => [s, rows.filter((r) => r.state === s).length])) as Record<
    SweepJobState,
    number
  >;
}

export function formatStatus(sweep: string, queue: string, rows: JobStatusRow[], what = 'sweep'): string {
  const totals = statusTotals(rows);
  const idWidth = Math.max(14, ...rows.map((r) => r.id.length + 2));
  const lines = [
    `${what} ${sweep} on ${queue === 'slurm' ? 'Slurm' : `queue ${queue}`}:`,
    `${'id'.padEnd(idWidth)}${'state'.padEnd(15)}${'tries'.padEnd(7)}${'worker'.padEnd(24)}job`,
    ...rows.map((r) => {
      const d = detail(r);
      return `${r.id.padEnd(idWidth)}${r.state.padEnd(15)}${String(r.attempts).padEnd(7)}${(r.worker ?? '-').padEnd(24)}${r.label}${d ? `  ${d}` : ''}`;
    }),
    `totals: ${rows.length} job(s): ${STATES.map((s) => `${totals[s]} ${s}`).join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

function detail(r: JobStatusRow): string {
  if (r.state === 'done') return r.testAccuracy !== null ? `${r.testAccuracy.toFixed(2)}%` : '';
  if (r.state === 'running')
    return r.progress?.total
      ? `${r.progress.percent ?? 0}% (it ${r.progress.iteration}/${r.progress.total})`
      : 'starting';
  if (r.state === 'failed') return r.failedReason ?? '';
  if (r.queueState === 'delayed') return 'waiting to retry (backoff)';
  return '';
}
