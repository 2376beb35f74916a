// `ctc train`: load and validate the config, pick the run directory, train, print where the
// results are. SIGINT/SIGTERM save a checkpoint after the current step and exit 130/143.

import path from 'node:path';
import type { BackendChoice } from '../backend/index.js';
import { loadConfig } from '../config/load.js';
import { positiveNumberFlag } from './flags.js';
import { describeCenterMetrics } from '../eval/center-metrics.js';
import { defaultRunDir } from '../run/directory.js';
import { trainRun } from '../train/loop.js';

export interface TrainFlags {
  config: string;
  set: string[];
  out?: string;
  runsRoot: string;
  backend: string;
  resume?: boolean;
  quiet?: boolean;
  checkpointSeconds: string;
}

export async function trainCommand(flags: TrainFlags): Promise<number> {
  const { config, file } = loadConfig(flags.config, flags.set);
  const checkpointSeconds = positiveNumberFlag('--checkpoint-seconds', flags.checkpointSeconds);
  const outDir = path.resolve(flags.out ?? defaultRunDir(flags.runsRoot, config.name, config.seed));

  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) process.exit(s === 'SIGINT' ? 130 : 143); // a second signal: stop now
    signal = s;
    process.stderr.write(`\n${s}: saving a checkpoint after this step (send again to stop at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await trainRun({
      config,
      outDir,
      backend: flags.backend as BackendChoice,
      resume: Boolean(flags.resume),
      quiet: Boolean(flags.quiet),
      checkpointSeconds,
      stopRequested: () => signal !== null,
    });
    if (outcome.status === 'interrupted') {
      const again = [
        `ctc train --config ${file}`,
        ...flags.set.map((s) => `--set ${s}`),
        `--out ${outDir}`,
        '--resume',
      ].join(' ');
      process.stderr.write(
        `interrupted at iteration ${outcome.iteration}; checkpoint saved. Resume with:\n  ${again}\n`,
      );
      return signal === 'SIGTERM' ? 143 : 130;
    }
    const s = outcome.summary;
    process.stdout.write(
      `${s.name} seed ${s.seed}: test accuracy ${s.testAccuracy.toFixed(2)}%` +
        (s.validationAccuracy !== undefined ? ` (validation ${s.validationAccuracy.toFixed(2)}%)` : '') +
        ` after ${s.epochs} epoch(s), ${s.iterations} iterations, ` +
        `${s.wallSeconds.toFixed(0)} s on ${s.backend.name} (${s.imagesPerSecond.toFixed(0)} img/s)\n` +
        (s.centerMetrics ? `  ${describeCenterMetrics(s.centerMetrics)}\n` : '') +
        s.warnings.map((w) => `  ${w}\n`).join('') +
        `  ${path.join(outDir, 'summary.json')}\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
