// The CLI end to end, in a temporary folder, as a user runs it: train, refuse to overwrite,
// tables, compare, interrupt and resume, and one-line errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli.js';
import { listProfiles, loadProfile } from '../../src/reproduce/profile.js';
import { ctc, ctcAsync, isCleanError, ROOT, tempDir } from './helpers.js';

const SMALL = [
  '--set',
  'dataset.trainLimit=640',
  '--set',
  'dataset.testLimit=500',
  '--set',
  'train.batchSize=64',
  '--backend',
  'wasm',
];

test('train a tiny LeNets run, then tables and compare', () => {
  const dir = tempDir();
  const run = ctc(
    ['train', '--config', 'mnist-lenets-softmax.yaml', ...SMALL, '--set', 'train.epochs=1', '--out', 'runs/a'],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /test accuracy \d+\.\d\d% after 1 epoch\(s\), 10 iterations/);
  assert.match(run.stderr, /epoch 1\/1 +it 10\/10 +loss \d/);
  for (const f of [
    'config.resolved.yaml',
    'metrics.jsonl',
    'log.ndjson',
    'summary.json',
    'checkpoints/last/checkpoint.json',
    'checkpoints/best/tensors.bin',
  ]) {
    assert.ok(fs.existsSync(path.join(dir, 'runs/a', f)), f);
  }
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'runs/a/summary.json'), 'utf8'));
  assert.equal(summary.iterations, 10);
  assert.equal(summary.backend.name, 'wasm');
  assert.equal(summary.dataset.trainSize, 640);
  assert.ok(summary.testAccuracy > 10 && summary.testAccuracy <= 100);
  assert.ok(summary.featureMetrics.raw.ncmAccuracy > 0 && summary.featureMetrics.normalized.fisherRatio > 0);
  assert.ok(!fs.existsSync(path.join(dir, 'runs/a/features.png')), '500-d features are not plotted automatically');

  const again = ctc(
    ['train', '--config', 'mnist-lenets-softmax.yaml', ...SMALL, '--set', 'train.epochs=1', '--out', 'runs/a'],
    dir,
  );
  assert.ok(isCleanError(again), again.stderr);
  assert.match(again.stderr, /already holds a finished run/);

  const evalRun = ctc(['eval', '--run', 'runs/a', '--backend', 'wasm'], dir);
  assert.equal(evalRun.code, 0, evalRun.stderr);
  assert.match(evalRun.stdout, new RegExp(`test accuracy ${summary.testAccuracy.toFixed(2)}%`));

  const tables = ctc(['eval', '--runs', 'runs', '--out', 'results'], dir);
  assert.equal(tables.code, 0, tables.stderr);
  for (const ext of ['md', 'csv', 'json']) assert.ok(fs.existsSync(path.join(dir, `results/accuracy.${ext}`)));
  const committed = fs.readFileSync(path.join(dir, 'results/accuracy.json'), 'utf8');
  const plain = ctc(['eval'], dir);
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(fs.existsSync(path.join(dir, 'runs/accuracy.md')), 'without --out the tables go beside the runs');
  assert.equal(
    fs.readFileSync(path.join(dir, 'results/accuracy.json'), 'utf8'),
    committed,
    'results/ is not touched without --out',
  );
  assert.match(
    fs.readFileSync(path.join(dir, 'results/accuracy.md'), 'utf8'),
    /\| mnist \| lenets \| softmax \| 10 it x 64 on 640 \| — \| \d+\.\d\d \| 1 \|/,
  );

  const same = ctc(['compare', '--baseline', 'results/accuracy.json', '--current', 'results/accuracy.json'], dir);
  assert.equal(same.code, 0);
  const table = JSON.parse(fs.readFileSync(path.join(dir, 'results/accuracy.json'), 'utf8'));
  table.rows[0].mean += 5;
  fs.writeFileSync(path.join(dir, 'better.json'), JSON.stringify(table));
  const worse = ctc(
    ['compare', '--baseline', 'better.json', '--current', 'results/accuracy.json', '--tolerance', '0.5'],
    dir,
  );
  assert.equal(worse.code, 3);
  assert.match(worse.stdout, /mnist\/lenets\/softmax \[10 it x 64 on 640\]: baseline/);
});

test('SIGTERM saves a checkpoint; --resume finishes with the same result as an uninterrupted run', async () => {
  const dir = tempDir();
  const args = ['train', '--config', 'mnist-lenets-center.yaml', ...SMALL, '--set', 'train.epochs=3'];
  const full = ctc([...args, '--out', 'full'], dir);
  assert.equal(full.code, 0, full.stderr);

  const { child, done } = ctcAsync([...args, '--out', 'cut'], dir);
  const metrics = path.join(dir, 'cut', 'metrics.jsonl');
  while (!(fs.existsSync(metrics) && fs.readFileSync(metrics, 'utf8').includes('"type":"epoch"'))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  const cut = await done;
  assert.equal(cut.code, 143, cut.stderr);
  assert.match(cut.stderr, /Resume with:\n\s+ctc train .*--resume/);
  assert.ok(!fs.existsSync(path.join(dir, 'cut', 'summary.json')));

  const resumed = ctc([...args, '--out', 'cut', '--resume'], dir);
  assert.equal(resumed.code, 0, resumed.stderr);
  const a = JSON.parse(fs.readFileSync(path.join(dir, 'full', 'summary.json'), 'utf8'));
  const b = JSON.parse(fs.readFileSync(path.join(dir, 'cut', 'summary.json'), 'utf8'));
  assert.equal(b.testAccuracy, a.testAccuracy);
  assert.deepEqual(b.lossTerms, a.lossTerms);
  assert.deepEqual(
    b.history.map((h: { loss: number }) => h.loss),
    a.history.map((h: { loss: number }) => h.loss),
  );

  const changed = ctc([...args, '--set', 'train.lr=0.02', '--out', 'cut', '--resume'], dir);
  assert.ok(isCleanError(changed));
  assert.match(changed.stderr, /config changed/);
});

test('expected failures print one line and exit non-zero', () => {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, 'bad.yaml'),
    'name: x\ndataset:\n  name: mnist\nmodel:\n  name: lenets\nloss:\n  name: softmax\ntrain:\n  epochs: 1\n  batchsize: 64\n',
  );
  const cases: [string[], RegExp][] = [
    [['train', '--config', 'nope.yaml'], /--config: no such file 'nope.yaml'/],
    [['train', '--config', 'bad.yaml'], /bad\.yaml:10:3: train\.batchsize: unknown key \(did you mean 'batchSize'\?\)/],
    [['train', '--config', 'mnist-lenets-softmax.yaml', '--set', 'train.lr=-1'], /--set train\.lr=-1: train\.lr/],
    [
      ['train', '--config', 'mnist-lenets-softmax.yaml', '--set', 'dataset.path=/nonexistent', '--out', 'r'],
      /nonexistent/,
    ],
    [['eval', '--run', 'missing'], /not a run directory/],
    [['compare', '--baseline', 'a.json', '--current', 'b.json'], /--baseline a\.json: cannot read/],
    [['train', '--config', 'bad.yaml', '--bogus'], /unknown option '--bogus'/],
  ];
  for (const [args, pattern] of cases) {
    const r = ctc(args, dir);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, args.join(' '));
  }
  assert.deepEqual(fs.readdirSync(dir).sort(), ['bad.yaml']);
});

test('ctc reproduce --help lists every shipped profile with its own description', () => {
  const help = ctc(['reproduce', '--help'], tempDir());
  assert.equal(help.code, 0, help.stderr);
  const listed = help.stdout.slice(help.stdout.indexOf('Profiles:'));
  for (const name of listProfiles()) {
    const description = loadProfile(name).description;
    assert.ok(listed.includes(`${name} `) && listed.includes(description), `${name} missing from:\n${listed}`);
  }
});

test("each command's --help names its page in the guide, and the page exists", () => {
  const dir = tempDir();
  for (const [command, page] of [
    ['train', 'docs/experiments.md'],
    ['sweep', 'docs/sweeps-and-clusters.md'],
  ]) {
    const help = ctc([command, '--help'], dir);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^Guide: ${page}$`, 'm'), `ctc ${command} --help`);
    assert.ok(fs.existsSync(path.join(ROOT, page)), page);
  }
  const top = ctc(['--help'], dir);
  const named = new Set(top.stdout.match(/docs\/[\w-]+\.md/g));
  assert.deepEqual(
    [...named].sort(),
    fs
      .readdirSync(path.join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`)
      .sort(),
    'ctc --help names every guide page',
  );
  // Every visible command and subcommand, in process: one Guide line naming an existing page.
  const program = buildProgram();
  const visible = (c: Command): Command[] =>
    c
      .createHelp()
      .visibleCommands(c)
      .filter((s) => s.name() !== 'help');
  for (const command of visible(program).flatMap((c) => [c, ...visible(c)])) {
    let help = '';
    command.configureOutput({ writeOut: (s) => (help += s) });
    command.outputHelp();
    const page = help.match(/^Guide: (\S+)$/m)?.[1];
    assert.ok(page !== undefined && fs.existsSync(path.join(ROOT, page)), `ctc ${command.name()} --help: ${page}`);
  }
});
