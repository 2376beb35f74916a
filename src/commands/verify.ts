// `ctc verify`: open-set verification with a trained run, on an LFW-layout image tree and pairs
// file, or on pairs from the test samples of the classes the run never trained on.

import path from 'node:path';
import { Option, type Command } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/index.js';
import { UserError } from '../errors.js';
import { writeVerification } from '../verify/report.js';
import { SIMILARITIES, verifyRun, type Similarity } from '../verify/run.js';
import { runPaths } from '../run/directory.js';
import { integerFlag } from './flags.js';

interface VerifyFlags {
  run: string;
  pairs?: string;
  images?: string;
  heldout?: boolean;
  folds: string;
  pairsPerFold: string;
  pairSeed: string;
  similarity: Similarity;
  checkpoint: string;
  backend: BackendChoice;
  out?: string;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description("open-set verification: LFW-style pairs of images, same identity or not, from a run's features")
    .requiredOption('-r, --run <dir>', 'the trained run')
    .option(
      '--pairs <file>',
      "pairs file in LFW's format (FOLDS<TAB>N, then per fold N matched and N mismatched lines)",
    )
    .option('--images <dir>', 'with --pairs: the images, DIR/NAME/NAME_0001.jpg (JPEG or PNG, any size)')
    .option('--heldout', 'pairs from the test samples of the classes the run did not train on (dataset.classes)')
    .option('--folds <n>', 'with --heldout: folds', '10')
    .option('--pairs-per-fold <n>', 'with --heldout: matched (and as many mismatched) pairs per fold', '300')
    .option('--pair-seed <n>', 'with --heldout: the seed the pairs are drawn from', '1')
    .addOption(new Option('--similarity <name>', 'pair score').choices([...SIMILARITIES]).default('cosine'))
    .option('--checkpoint <which>', 'last | best', 'last')
    .addOption(new Option('-b, --backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('auto'))
    .option('-o, --out <dir>', 'where verification.{json,md} and roc.{png,svg} go (default: <run>/verification)')
    .addHelpText(
      'after',
      `
Examples:
  ctc verify --run runs/mnist-lenets-heldout/seed-1 --heldout          # digits the run never saw
  ctc verify --run runs/x/seed-1 --pairs lfw/pairs.txt --images lfw/lfw --out results/lfw`,
    )
    .action(async (flags: VerifyFlags) => {
      process.exitCode = await verifyCommand(flags);
    });
}

export async function verifyCommand(flags: VerifyFlags): Promise<number> {
  if (flags.checkpoint !== 'last' && flags.checkpoint !== 'best') {
    throw new UserError(`--checkpoint: expected 'last' or 'best', got '${flags.checkpoint}'`);
  }
  const heldout = flags.heldout
    ? {
        folds: integerFlag('--folds', flags.folds),
        perFold: integerFlag('--pairs-per-fold', flags.pairsPerFold),
        seed: integerFlag('--pair-seed', flags.pairSeed, 0),
      }
    : undefined;
  const v = await verifyRun({
    run: flags.run,
    checkpoint: flags.checkpoint,
    backend: flags.backend,
    similarity: flags.similarity,
    pairs: flags.pairs,
    images: flags.images,
    heldout,
  });
  const out = path.resolve(flags.out ?? path.dirname(runPaths(flags.run).verification));
  await writeVerification(v, out);
  const std = v.accuracy.std === null ? '' : ` ± ${v.accuracy.std.toFixed(2)}`;
  process.stdout.write(
    `${v.run}: verification accuracy ${v.accuracy.mean.toFixed(2)}%${std} over ${v.folds} fold(s) of ${v.pairs / v.folds} pairs, AUC ${v.auc.toFixed(4)}` +
      `${v.tarAtFar.map((t) => (t.tar === null ? '' : `, TAR@FAR${t.far} ${t.tar.toFixed(2)}%`)).join('')} (${v.similarity})\n` +
      (v.conversion ? `  images ${v.conversion}\n` : '') +
      `  -> ${path.join(out, 'verification.{json,md}')}, roc.png\n`,
  );
  return 0;
}
