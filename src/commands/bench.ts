// `ctc bench`: times ctc's own training step for each network (and the contrastive-center loss
// alone) on the chosen backend, runs the PyTorch reference on the same machine when Debian's
// python3-torch is installed, prints the side-by-side table and writes bench.json + bench.md.

import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { BACKEND_CHOICES, initBackend, type BackendChoice } from '../backend/index.js';
import { checkAgainstCpu, describeCheck, PROBE_NETS, type SelfCheck } from '../backend/self-check.js';
import {
  BENCH_CONFIGS,
  benchLoss,
  benchTrainStep,
  LOSS_CASES,
  type LossBench,
  type StepBench,
} from '../bench/measure.js';
import {
  formatReport,
  formatStepTable,
  formatLossTable,
  lastTorch,
  lossRows,
  peakSummary,
  roundRows,
  peakTargets,
  stepTargets,
  type BenchProvenance,
  type BenchRound,
  type BenchReport,
} from '../bench/report.js';
import { measurePeak } from '../bench/peak.js';
import { formatProfile, profileTrainStep } from '../bench/profile.js';
import { runTorchReference, type TorchOutcome } from '../bench/torch.js';
import { UserError } from '../errors.js';
import { integerFlag } from './flags.js';
import { writeFileAtomic } from '../util/atomic.js';
import { gitCommit, machine, versions } from '../util/provenance.js';

interface BenchFlags {
  nets: string;
  batch: string;
  steps: string;
  warmup: string;
  rounds: string;
  peakRuns: string;
  backend: string;
  threads?: string;
  torch: boolean;
  loss: boolean;
  profile: boolean;
  check: boolean;
  out: string;
}

function parseNets(value: string): string[] {
  const nets = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const known = Object.keys(BENCH_CONFIGS);
  const unknown = nets.filter((n) => !known.includes(n));
  if (nets.length === 0 || unknown.length > 0) {
    throw new UserError(`--nets: unknown network '${unknown[0] ?? value}'; known: ${known.join(', ')}`);
  }
  return nets;
}

const note = (line: string) => process.stderr.write(`${line}\n`);

export async function benchCommand(flags: BenchFlags): Promise<number> {
  const nets = parseNets(flags.nets);
  const settings = {
    batch: integerFlag('--batch', flags.batch, 1),
    steps: integerFlag('--steps', flags.steps, 1),
    warmup: integerFlag('--warmup', flags.warmup, 0),
  };
  const roundCount = integerFlag('--rounds', flags.rounds, 1);
  const peakRuns = integerFlag('--peak-runs', flags.peakRuns, 0);
  const threads = flags.threads === undefined ? undefined : integerFlag('--threads', flags.threads, 1);
  const backend = await initBackend(flags.backend as BackendChoice, { threads });
  note(`backend: ${backend.detail}`);
  if (backend.selfCheck) note(`self-check: ${backend.selfCheck}`);
  let check: SelfCheck | undefined;
  if (flags.check) {
    check = await checkAgainstCpu(
      backend.tfBackend,
      nets.map((n) => PROBE_NETS[n]),
    );
    note(`gradient check: ${describeCheck(check)} (${check.seconds.toFixed(1)} s)`);
  }

  if (flags.profile) return profileCommand(nets, settings, backend.detail, flags.out);

  const rounds: BenchRound[] = [];
  for (let r = 1; r <= roundCount; r++) {
    if (roundCount > 1) note(`round ${r} of ${roundCount}`);
    const peak = peakRuns > 0 ? await measurePeak(backend.detail, peakRuns) : undefined;
    if (peak) note(`peak: ${peak.gmacPerSecond.toFixed(0)} GMAC/s (${peak.method})`);
    const steps: StepBench[] = [];
    for (const net of nets) {
      const result = await benchTrainStep(net, settings);
      const rate = result.gmacPerStep / (result.msPerStep / 1000);
      const ofPeak = peak ? `, ${((rate / peak.gmacPerSecond) * 100).toFixed(0)}% of peak` : '';
      note(
        `${net}: ${result.msPerStep.toFixed(1)} ms/step, ${result.imagesPerSecond.toFixed(0)} images/s, ${rate.toFixed(0)} GMAC/s${ofPeak} (${result.times.map((t) => t.toFixed(0)).join(' ')})`,
      );
      steps.push(result);
    }
    rounds.push({ steps, peak, torch: torchRound(flags.torch, rounds[0]?.torch, nets, settings, flags.loss) });
  }
  const loss: LossBench[] = [];
  if (flags.loss) {
    for (const [m, d, k] of LOSS_CASES) {
      const runs = k > 10_000 ? Math.max(1, Math.ceil(settings.steps / 2)) : settings.steps;
      const result = await benchLoss(m, d, k, runs);
      note(`loss (${m}, ${d}, ${k}): ${result.ms.toFixed(2)} ms forward + backward`);
      loss.push(result);
    }
  }

  const torch = lastTorch(rounds);
  const report: BenchReport = {
    provenance: provenanceOf(
      backend.detail,
      torch.ran ? { torch: torch.result.torch, blas: torch.result.blasLibrary.join(', ') || torch.result.blas } : {},
    ),
    settings: { ...settings, rounds: roundCount },
    steps: roundRows(rounds, stepTargets(backend.name), peakTargets(backend.name)),
    peak: peakSummary(rounds),
    rounds: rounds.map((r) =>
      r.steps.map((s) => ({
        net: s.net,
        ctcMs: s.msPerStep,
        torchMs: r.torch.ran ? (r.torch.result.nets[s.net]?.msPerStep ?? null) : null,
      })),
    ),
    loss: lossRows(loss, rounds[0].torch),
    ctc: { steps: rounds[0].steps, loss },
    torch,
    ...(check ? { check } : {}),
  };
  process.stdout.write(`${formatStepTable(report.steps)}\n`);
  if (loss.length > 0) process.stdout.write(`\n${formatLossTable(report.loss)}\n`);
  const out = path.resolve(flags.out);
  writeFileAtomic(path.join(out, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileAtomic(path.join(out, 'bench.md'), formatReport(report));
  note(`wrote ${path.join(out, 'bench.json')} and bench.md`);
  return check && !check.pass ? 1 : 0;
}

/** When, where and how a bench ran: date, commit, the command line, machine, versions (plus `extra`), backend. */
function provenanceOf(backend: string, extra: Record<string, string> = {}): BenchProvenance {
  return {
    date: new Date().toISOString(),
    commit: gitCommit(),
    command: ['ctc', ...process.argv.slice(2)].join(' '),
    machine: machine(),
    versions: { ...versions(), ...extra },
    backend,
  };
}

/**
 * PyTorch's steps for one round (with the loss micro-benchmark, if asked, in the first), or why not; a
 * round after one where PyTorch could not run does not try again.
 */
function torchRound(
  wanted: boolean,
  first: TorchOutcome | undefined,
  nets: string[],
  settings: { batch: number; steps: number; warmup: number },
  loss: boolean,
): TorchOutcome {
  if (!wanted) return { ran: false, reason: 'not requested (--no-torch)' };
  if (first !== undefined && !first.ran) return first;
  note('PyTorch reference: running scripts/torch_reference.py ...');
  const torch = runTorchReference({
    nets,
    ...settings,
    threads: os.availableParallelism(),
    loss: loss && first === undefined,
  });
  if (!torch.ran) note(`PyTorch reference skipped: ${torch.reason}`);
  return torch;
}

/** `ctc bench --profile`: the kernel table of each network's step instead of the timing table. */
async function profileCommand(
  nets: string[],
  settings: { batch: number; steps: number; warmup: number },
  backend: string,
  outDir: string,
): Promise<number> {
  const profiles = [];
  for (const net of nets) {
    const p = await profileTrainStep(net, settings);
    process.stdout.write(`${formatProfile(p)}\n\n`);
    profiles.push(p);
  }
  const provenance = provenanceOf(backend);
  const out = path.resolve(outDir);
  writeFileAtomic(path.join(out, 'profile.json'), `${JSON.stringify({ provenance, settings, profiles }, null, 2)}\n`);
  const header = [
    '# ctc bench --profile: where a training step goes, kernel by kernel',
    '',
    `${provenance.date}, commit ${provenance.commit}, \`${provenance.command}\``,
    '',
    `Backend: ${backend}. Wall ms of each kernel call summed per step over ${settings.steps} profiled steps after ${settings.warmup} warm-up step(s); kernels under 0.5% of the step in one row.`,
    '',
  ];
  writeFileAtomic(
    path.join(out, 'profile.md'),
    `${[
      ...header,
      ...profiles
        .map((p) => formatProfile(p))
        .join('\n\n')
        .split('\n'),
    ].join('\n')}\n`,
  );
  note(`wrote ${path.join(out, 'profile.json')} and profile.md`);
  return 0;
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description("time ctc's training step per network beside PyTorch's, and the contrastive-center loss alone")
    .option(
      '--nets <list>',
      `comma-separated networks (${Object.keys(BENCH_CONFIGS).join(', ')})`,
      Object.keys(BENCH_CONFIGS).join(','),
    )
    .option('--batch <n>', 'batch size', '128')
    .option('--steps <n>', 'timed steps per network (the median is reported)', '10')
    .option('--warmup <n>', 'untimed steps first', '3')
    .option(
      '--rounds <n>',
      "rounds of ctc's steps then PyTorch's; the ratio is the median of the rounds' (this machine's speed drifts)",
      '1',
    )
    .option(
      '--peak-runs <n>',
      "timed runs of the large convolution that measures this machine's attainable GMAC/s before each round (0: skip)",
      '5',
    )
    .addOption(new Option('-b, --backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('auto'))
    .option(
      '--threads <n>',
      "compute threads: XNNPACK's on wasm, oneDNN's on wasm+onednn (default: the available cores)",
    )
    .option('--no-torch', 'skip the PyTorch reference')
    .option('--no-loss', 'skip the loss micro-benchmark')
    .option(
      '--profile',
      'instead of timing: where each step goes, kernel by kernel (profile.{json,md}; no PyTorch)',
      false,
    )
    .option(
      '--check',
      "first check each network's loss and gradients on this backend against the cpu backend (exit 1 if one is off by more than 1e-3)",
      false,
    )
    .option('-o, --out <dir>', 'where bench.json and bench.md go', 'results')
    .addHelpText(
      'after',
      `
The PyTorch reference needs Debian's python3-torch (apt-get install python3-torch): it runs
/usr/bin/python3 scripts/torch_reference.py with the same networks, loss and optimizer.

Examples:
  ctc bench                                   # all networks, 10 steps each, with PyTorch
  ctc bench --nets lenetspp,resnet20 --no-loss --rounds 3   # ratios robust to drift
  ctc bench --nets lenets --steps 20 --no-torch
  ctc bench --backend wasm --threads 1 --out /tmp/bench
  ctc bench --backend webgpu --check --no-torch     # a GPU's gradients against the cpu backend, then its speed
  ctc bench --nets lenetspp,resnet20 --profile --steps 3 --out /tmp/profile`,
    )
    .action(async (flags: BenchFlags) => {
      process.exitCode = await benchCommand(flags);
    });
}
