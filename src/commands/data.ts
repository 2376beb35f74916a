// `ctc data list | verify | import | fetch`: where datasets live, whether they are whole, and
// how to get CIFAR-10 (import an image-folder copy, or download the official binaries). The
// work lives in src/data/; this file parses flags and prints.

import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { catalog, dataDirOrigin } from '../data/acquire/catalog.js';
import { importCifar10 } from '../data/acquire/cifar-import.js';
import { CIFAR10_URL, fetchCifar10 } from '../data/acquire/cifar-fetch.js';
import { dataDir } from '../data/data-dir.js';
import { DATASETS, loadDataset } from '../data/index.js';
import { createProgress, formatBytes } from '../data/acquire/progress.js';
import { checkDataset } from '../data/acquire/verify.js';
import { didYouMean } from '../util/did-you-mean.js';

const out = (line = '') => process.stdout.write(`${line}\n`);

function onlyCifar10(name: string, verb: string): void {
  if (name !== 'cifar10') {
    const guess = didYouMean(name, ['cifar10']);
    throw new UserError(
      `ctc data ${verb}: only cifar10 can be ${verb}ed, got "${name}"${guess ? ' (did you mean "cifar10"?)' : ''}`,
    );
  }
}

export function listCommand(): number {
  out(`data directory: ${dataDir()} (${dataDirOrigin()})`);
  for (const e of catalog()) {
    const total = e.files.reduce((s, f) => s + f.bytes, 0);
    const status = e.present ? 'present' : e.files.length > 0 ? 'partial' : 'missing';
    const detail = e.files.length > 0 ? `${e.files.length} files, ${formatBytes(total)}` : '-';
    out(`${e.name.padEnd(14)} ${status.padEnd(8)} ${detail.padEnd(22)} ${(e.copy ?? '-').padEnd(10)} ${e.location}`);
    out(`${''.padEnd(14)} ${e.note}`);
  }
  out(
    `${'imagefolder'.padEnd(14)} ${'-'.padEnd(8)} ${'-'.padEnd(22)} ${'-'.padEnd(10)} dataset.path: train/<class>/<image>, test/<class>/<image>`,
  );
  return 0;
}

export async function verifyCommand(name: string | undefined, flags: { path?: string }): Promise<number> {
  if (name !== undefined && !Object.hasOwn(DATASETS, name)) {
    const guess = didYouMean(name, Object.keys(DATASETS));
    throw new UserError(
      `unknown dataset "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; known: ${Object.keys(DATASETS).join(', ')}`,
    );
  }
  if (flags.path !== undefined && name === undefined)
    throw new UserError('--path needs a dataset name: ctc data verify <name> --path <dir>');
  const present = new Set(
    catalog()
      .filter((e) => e.present)
      .map((e) => e.name),
  );
  const names = name !== undefined ? [name] : catalog().map((e) => e.name);
  let failures = 0;
  for (const n of names) {
    if (name === undefined && !present.has(n)) {
      out(`${n}: missing, skipped`);
      continue;
    }
    const started = performance.now();
    try {
      const ds = await loadDataset(n, flags.path === undefined ? {} : { path: flags.path });
      const seconds = (performance.now() - started) / 1000;
      const report = checkDataset(ds);
      const [h, w, c] = ds.imageShape;
      out(
        `${n}: ${report.ok ? 'ok' : 'FAILED'}: ${ds.train.count} train + ${ds.test.count} test images, ${h}x${w}x${c}, ` +
          `${ds.numClasses} classes${ds.identity.copy ? `, copy ${ds.identity.copy}` : ''}, loaded in ${seconds.toFixed(1)} s from ${ds.identity.source}`,
      );
      for (const p of report.problems) out(`  problem: ${p}`);
      for (const f of ds.identity.files) out(`  sha256 ${f.sha256}  ${f.file} (${f.bytes} bytes)`);
      const perClass = (counts: number[]) => counts.map((k, i) => `${ds.classNames[i]} ${k}`).join(', ');
      out(`  train per class: ${perClass(report.trainPerClass)}`);
      out(`  test per class: ${perClass(report.testPerClass)}`);
      if (!report.ok) failures++;
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      out(`${n}: FAILED: ${err.message}`);
      failures++;
    }
  }
  if (failures > 0) process.stderr.write(`ctc: ${failures} dataset(s) failed verification\n`);
  return failures > 0 ? 1 : 0;
}

export function registerDataCommand(program: Command): void {
  const data = program
    .command('data')
    .description('list, verify, import and download datasets')
    .addHelpText(
      'after',
      `
Data directory: $CTC_DATA_DIR, else $XDG_CACHE_HOME/ctc, else ~/.cache/ctc.

Examples:
  ctc data list
  ctc data verify cifar10
  ctc data import cifar10 --from cifar10-jpeg.tar.gz
  ctc data fetch cifar10`,
    );

  data
    .command('list')
    .description('show the data directory and each dataset: present or missing, files, sizes, copy')
    .addHelpText('after', '\nExample:\n  CTC_DATA_DIR=/data/ctc ctc data list')
    .action(() => {
      process.exitCode = listCommand();
    });

  data
    .command('verify')
    .argument('[name]', 'dataset to verify (default: every present one)')
    .description('load datasets in full, check sizes, counts and labels; print sha256 per file and counts per class')
    .option('--path <dir>', 'verify the copy in this folder instead of the default place (dataset.path)')
    .addHelpText(
      'after',
      `
Exit status 1 when any dataset fails. Examples:
  ctc data verify
  ctc data verify cifar10
  ctc data verify imagefolder --path ./my-images      # train/<class>/*, test/<class>/*`,
    )
    .action(async (name: string | undefined, flags: { path?: string }) => {
      process.exitCode = await verifyCommand(name, flags);
    });

  data
    .command('import')
    .argument('<name>', 'dataset to build: cifar10')
    .description(
      'build the official CIFAR-10 binary layout from a folder or .tar.gz of train/<class>/*.jpg|png and test/<class>/*',
    )
    .requiredOption('--from <dir|tar.gz>', 'image-folder tree, or a .tar.gz of one (one top folder is allowed)')
    .option('--force', 'replace an existing cifar-10-batches-bin/')
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      `
Writes <data dir>/cifar10/cifar-10-batches-bin/ and records the source in ctc-import.json there;
runs then report the copy as jpeg-copy (JPEG pixels differ slightly from the official ones).
Examples:
  ctc data import cifar10 --from ../shared/datasets/cifar10-jpeg.tar.gz
  ctc data import cifar10 --from ./CIFAR-10-images --force`,
    )
    .action(async (name: string, flags: { from: string; force?: boolean; quiet?: boolean }) => {
      onlyCifar10(name, 'import');
      const r = await importCifar10(flags.from, { force: flags.force, progress: createProgress(flags.quiet) });
      out(`${r.target} (${r.provenance.copy}, sha256 of source ${r.provenance.sha256})`);
    });

  data
    .command('fetch')
    .argument('<name>', 'dataset to download: cifar10')
    .description('download the official cifar-10-binary.tar.gz, check its md5 and unpack it (resumable)')
    .option('--url <url>', `where to download from (env CTC_CIFAR10_URL; default ${CIFAR10_URL})`)
    .option('--md5 <hex>', 'expected md5 of the archive (default: the published one)')
    .option('--force', 'replace an existing cifar-10-batches-bin/')
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      `
An interrupted download stays in <data dir>/cifar10/cifar-10-binary.tar.gz.part; running the
same command again resumes it with an HTTP Range request.
Examples:
  ctc data fetch cifar10
  CTC_CIFAR10_URL=http://mirror.example/cifar-10-binary.tar.gz ctc data fetch cifar10`,
    )
    .action(async (name: string, flags: { url?: string; md5?: string; force?: boolean; quiet?: boolean }) => {
      onlyCifar10(name, 'fetch');
      const url = flags.url ?? (process.env.CTC_CIFAR10_URL || undefined);
      const r = await fetchCifar10({ url, md5: flags.md5, force: flags.force, progress: createProgress(flags.quiet) });
      out(`${r.target} (official)`);
    });
}
