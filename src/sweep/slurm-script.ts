// The pure parts of the Slurm path: the sbatch options a user gives, the job script an array runs,
// MaxArraySize from `scontrol show config`, the arrays a sweep is split into, and squeue's lines.
// src/sweep/slurm.ts does the I/O.

export interface SlurmOptions {
  partition?: string;
  /** sbatch --time, e.g. 4:00:00 */
  time?: string;
  cpus?: number;
  /** sbatch --mem, e.g. 8G */
  mem?: string;
  account?: string;
  /** At most this many tasks of one array at a time (--array=0-N%P). */
  throttle?: number;
  /** sbatch --signal: which signal reaches the task how long before its time limit. */
  signal: string;
  /** Self-requeues after a signal (time limit or preemption) before a task gives up. */
  maxRequeues: number;
  /** Extra sbatch arguments, passed as given. */
  sbatchArgs: string[];
}

export const DEFAULT_SIGNAL = 'B:USR2@120';
export const DEFAULT_MAX_REQUEUES = 3;

/** What the job script needs to know about this installation: paths written into it, not taken from the environment. */
export interface ScriptSetup {
  sweep: string;
  node: string;
  ctcBin: string;
  ctcVersion: string;
  workDir: string;
  runsRoot: string;
  /** The submission's folder: tasks.json, dirs.txt and the array's own output. */
  submitDir: string;
}

/** The #SBATCH lines for the user's options (the array range is given on the command line). */
export function sbatchDirectives(opts: SlurmOptions, setup: ScriptSetup): string[] {
  const lines = [
    `--job-name=ctc-${setup.sweep}`,
    `--output=${setup.submitDir}/array-%A_%a.out`,
    '--open-mode=append',
    '--requeue',
    `--signal=${opts.signal}`,
    '--nodes=1',
    '--ntasks=1',
  ];
  if (opts.cpus !== undefined) lines.push(`--cpus-per-task=${opts.cpus}`);
  if (opts.partition) lines.push(`--partition=${opts.partition}`);
  if (opts.time) lines.push(`--time=${opts.time}`);
  if (opts.mem) lines.push(`--mem=${opts.mem}`);
  if (opts.account) lines.push(`--account=${opts.account}`);
  return lines.map((l) => `#SBATCH ${l}`);
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The array's job script. Task i of an array submitted with offset k runs line k + i + 1 of
 * dirs.txt: its output goes, appended, to slurm-<array job>_<task>.log in that run folder (a
 * requeued task keeps its log), and `ctc slurm-task` replaces the shell so that the signal
 * sbatch sends to the batch shell (B:) reaches it.
 */
export function jobScript(opts: SlurmOptions, setup: ScriptSetup): string {
  return `#!/bin/bash
# ctc sweep ${setup.sweep}: one array task per run. Resubmit what is left with
#   ctc sweep submit ${setup.sweep} --slurm --runs-root ${setup.runsRoot}
# or this array by hand: sbatch --array=0-<tasks - 1> ${setup.submitDir}/job.sh <offset>
${sbatchDirectives(opts, setup).join('\n')}
set -euo pipefail

# Set-up, written at submission instead of taken from the environment sbatch exports:
NODE=${quote(setup.node)}
CTC=${quote(setup.ctcBin)}        # ctc ${setup.ctcVersion}
SUBMIT_DIR=${quote(setup.submitDir)}
cd ${quote(setup.workDir)}

OFFSET=\${1:-0}
TASK=$((OFFSET + SLURM_ARRAY_TASK_ID))
RUN_DIR=$(sed -n "$((TASK + 1))p" "$SUBMIT_DIR/dirs.txt")
[ -n "$RUN_DIR" ] || { echo "ctc: no run for task $TASK in $SUBMIT_DIR/dirs.txt" >&2; exit 2; }
mkdir -p "$RUN_DIR"
exec >>"$RUN_DIR/slurm-\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}.log" 2>&1
echo "[$(date -Is)] task $TASK on $(hostname), job \${SLURM_JOB_ID}, restart \${SLURM_RESTART_COUNT:-0}, node $("$NODE" --version), ctc ${setup.ctcVersion}"
exec "$NODE" "$CTC" slurm-task "$SUBMIT_DIR/tasks.json" "$TASK" --max-requeues ${opts.maxRequeues}
`;
}

/** MaxArraySize from `scontrol show config` (Slurm's default 1001 when the line is missing). */
export function maxArraySize(config: string): number {
  const m = /^MaxArraySize\s*=\s*(\d+)/m.exec(config);
  return m ? Number(m[1]) : 1001;
}

/** Arrays for `count` tasks when an index must stay below `maxArray`: [offset, size] each. */
export function splitArrays(count: number, maxArray: number): [number, number][] {
  const size = Math.max(1, maxArray);
  const arrays: [number, number][] = [];
  for (let offset = 0; offset < count; offset += size) arrays.push([offset, Math.min(size, count - offset)]);
  return arrays;
}

/** sbatch's --array value for `size` tasks, throttled to `throttle` at a time. */
export function arraySpec(size: number, throttle?: number): string {
  return `0-${size - 1}${throttle ? `%${throttle}` : ''}`;
}

/**
 * Lines of `squeue -h -r -o '%i %T'` (one per array task, e.g. `123_4 RUNNING`; a pending array
 * not yet split shows as `123_[0-9%2] PENDING`) as a map from "123_4" to the state.
 */
export function parseSqueue(text: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [id, state] = line.trim().split(/\s+/);
    if (!id || !state) continue;
    const range = /^(\d+)_\[(.+)\]$/.exec(id);
    if (!range) {
      states.set(id, state);
      continue;
    }
    for (const part of range[2].replace(/%\d+$/, '').split(',')) {
      const [a, b = a] = part.split('-').map(Number);
      for (let i = a; i <= b; i++) states.set(`${range[1]}_${i}`, state);
    }
  }
  return states;
}

/** sbatch --parsable prints "JOBID" or "JOBID;CLUSTER". */
export function parseJobId(stdout: string): string | null {
  const m = /^(\d+)(;\S+)?\s*$/.exec(stdout.trim());
  return m ? m[1] : null;
}
