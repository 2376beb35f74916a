// The ctc command line: commander wiring only; each command's work lives in src/commands/.
// One error boundary: a UserError prints one line and exits with its code; anything else is a
// bug and prints its stack.

import { Command, Option } from 'commander';
import { BACKEND_CHOICES } from './backend/index.js';
import { compareCommand } from './commands/compare.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerDataCommand } from './commands/data.js';
import { evalRunCommand, evalTablesCommand } from './commands/eval.js';
import { registerPlotCommand } from './commands/plot.js';
import { reproduceCommand } from './commands/reproduce.js';
import { registerSlurmTaskCommand } from './commands/slurm-task.js';
import { addSlurmOptions } from './commands/sweep-slurm.js';
import { collect } from './commands/flags.js';
import { registerSweepCommands } from './commands/sweep.js';
import { trainCommand } from './commands/train.js';
import { registerVerifyCommand } from './commands/verify.js';
import { configReference } from './config/reference.js';
import { describeProfiles, listProfiles } from './reproduce/profile.js';
import { isUserError } from './errors.js';
import { PACKAGE_ROOT } from './util/package-root.js';
import { versions } from './util/provenance.js';

const FS_REFUSALS = ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM'];

/** Each command's page in the guide (docs/, mapped in README.md); its --help ends with it, as do its subcommands'. */
const GUIDE_PAGES: Record<string, string> = {
  train: 'docs/experiments.md',
  eval: 'docs/experiments.md',
  plot: 'docs/experiments.md',
  compare: 'docs/reproducing.md',
  reproduce: 'docs/reproducing.md',
  verify: 'docs/verification.md',
  data: 'docs/data.md',
  sweep: 'docs/sweeps-and-clusters.md',
  worker: 'docs/sweeps-and-clusters.md',
  bench: 'docs/backends-and-performance.md',
};

const programGuide = () => `
Guide, in ${PACKAGE_ROOT}: README.md, then one page per concern in docs/:
  docs/experiments.md (train, eval, plot; run directories; every config key), docs/data.md (data),
  docs/reproducing.md (reproduce, compare), docs/verification.md (verify),
  docs/sweeps-and-clusters.md (sweep, worker), docs/backends-and-performance.md (bench),
  docs/library.md, docs/formulas.md, docs/metrics.md, docs/contributing.md`;

function addGuideLines(program: Command): void {
  for (const command of program.commands) {
    const page = GUIDE_PAGES[command.name()];
    if (page === undefined) continue;
    for (const c of [command, ...command.commands]) c.addHelpText('after', `\nGuide: ${page}`);
  }
}

const configHelp = () => `
Config (YAML; unknown keys are errors):
${configReference()}`;

export function buildProgram(): Command {
  const program = new Command('ctc')
    .description('Contrastive-center loss experiments (Qi & Su, ICIP 2017) with TensorFlow.js')
    .version(versions().ctc)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', programGuide);

  program
    .command('train')
    .description('train one experiment from a YAML config')
    .requiredOption(
      '-c, --config <file>',
      'config file, or a bare name from the project configs/ (e.g. mnist-lenetspp.yaml)',
    )
    .option('-s, --set <key.path=value>', 'override a config key (repeatable)', collect, [])
    .option('-o, --out <dir>', 'run directory (default: <runs-root>/<name>/seed-<seed>)')
    .option('--runs-root <dir>', 'root of run directories', 'runs')
    .addOption(new Option('-b, --backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('auto'))
    .option('--resume', 'continue the run in the run directory from checkpoints/last')
    .option('-q, --quiet', 'no progress output')
    .option('--checkpoint-seconds <s>', 'seconds between mid-epoch checkpoints', '60')
    .addHelpText(
      'after',
      `
Examples:
  ctc train --config mnist-lenetspp.yaml --set train.epochs=1
  ctc train --config mnist-lenets-softmax.yaml --set dataset.trainLimit=10000 --set seed=2
  ctc train --config my.yaml --out runs/try1 --backend wasm
  ctc train --config my.yaml --out runs/try1 --resume        # after an interruption
${configHelp()}`,
    )
    .action(async (flags) => {
      process.exitCode = await trainCommand(flags);
    });

  program
    .command('eval')
    .description('measure a run (--run), or write the accuracy tables from all runs')
    .option('-r, --run <dir>', 'one run directory: reload its checkpoint and measure test accuracy')
    .option('--checkpoint <which>', 'with --run: last | best', 'last')
    .option('--runs <dir>', 'root(s) to gather summary.json files from (repeatable)', collect, [])
    .option(
      '-o, --out <dir>',
      'where the tables go (default: the first --runs root, so committed results/ are never overwritten by accident)',
    )
    .addOption(
      new Option('-b, --backend <name>', 'compute backend (with --run)').choices([...BACKEND_CHOICES]).default('auto'),
    )
    .addHelpText(
      'after',
      `
Examples:
  ctc eval                          # runs/ -> runs/accuracy.{md,csv,json}
  ctc eval --runs runs/cpu --out results/cpu
  ctc eval --run runs/mnist-lenetspp/seed-1 --checkpoint best`,
    )
    .action(async (flags) => {
      process.exitCode = flags.run
        ? await evalRunCommand(flags)
        : evalTablesCommand({ runs: flags.runs.length ? flags.runs : ['runs'], out: flags.out });
    });

  program
    .command('compare')
    .description('fail (exit 3) when an accuracy table regressed against a baseline')
    .requiredOption('--baseline <file>', 'baseline accuracy.json')
    .requiredOption('--current <file>', 'current accuracy.json')
    .option('--tolerance <points>', 'allowed drop in percentage points', '0.5')
    .option('--update', 'make the current table the new baseline (explicit, never automatic)')
    .addHelpText(
      'after',
      '\nExample:\n  ctc compare --baseline results/ci/baseline.json --current /tmp/ci/accuracy.json --tolerance 0.5',
    )
    .action((flags) => {
      process.exitCode = compareCommand(flags);
    });

  registerPlotCommand(program);

  const reproduce = program
    .command('reproduce')
    .description('run the grid of paper configs under a budget profile, then write the tables')
    .requiredOption(
      '-p, --profile <name>',
      `profile in configs/profiles/ (${listProfiles().join(', ')}) or a YAML file`,
    )
    .option('--seeds <list>', "comma-separated seeds, instead of the profile's")
    .option('-j, --jobs <n>', 'runs at a time (child processes)', '1')
    .option('--runs-root <dir>', 'where the runs go (default runs/<profile>)')
    .option('-o, --out <dir>', 'where the tables go (default results/<profile>)')
    .option('--only <names>', 'only runs whose config name contains one of these (comma-separated)')
    .option('-q, --quiet', 'no progress lines')
    .option('--slurm', 'submit the runs as a Slurm job array (one task per run) and return; ctc eval makes the tables')
    .option('--status', "with --slurm: each run's state, from squeue and the runs root");
  addSlurmOptions(reproduce)
    .addHelpText(
      'after',
      // A function, so the profiles are read only when help is shown, not on every ctc start.
      () => `
Profiles:
${describeProfiles()}

Examples:
  ctc reproduce --profile ci --jobs 2
  ctc reproduce --profile cpu --seeds 1,2,3 --jobs 2
  ctc reproduce --profile cpu --only mnist-lenets- --jobs 2   # just the LeNets rows
  ctc reproduce --profile paper-mnist --jobs 2                # hours on 2 cores: resumable, run it with nohup
  ctc reproduce --profile paper-cifar --slurm --partition cpu --time 4:00:00 --cpus 8
  ctc reproduce --profile paper-cifar --slurm --status
  ctc compare --baseline results/ci/baseline.json --current results/ci/accuracy.json --tolerance 1`,
    )
    .action(async (flags) => {
      process.exitCode = await reproduceCommand(flags);
    });

  registerDataCommand(program);
  registerSweepCommands(program);
  registerSlurmTaskCommand(program);
  registerBenchCommand(program);
  registerVerifyCommand(program);
  addGuideLines(program);

  return program;
}

/**
 * A reader that stops early (`ctc data verify | head`) closes the pipe: the remaining output has
 * nowhere to go, which is not an error. Exits at once, as other command-line tools do.
 */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe();
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (isUserError(err)) {
      process.stderr.write(`ctc: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    // The file system refusing a write (full disk, read-only, permissions) is the user's to fix.
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code && FS_REFUSALS.includes(code)) {
      process.stderr.write(`ctc: ${(err as Error).message}\n`);
      process.exitCode = 5;
      return;
    }
    throw err;
  }
}
