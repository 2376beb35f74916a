// Config loading: defaults, --set overrides, and one-line errors with file:line:col, key path,
// value and did-you-mean.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, parseConfig, resolveConfigPath, CONFIGS_DIR } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';

const BASE = `name: t
dataset:
  name: mnist
model:
  name: lenets
loss:
  name: softmax
train:
  epochs: 1
`;

function errorOf(source: string, sets: string[] = []): string {
  try {
    parseConfig(source, 'x.yaml', sets);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err.message;
  }
  assert.fail('expected an error');
}

test('defaults fill a minimal config and the result is frozen', () => {
  const { config } = parseConfig(BASE, 'x.yaml');
  assert.equal(config.seed, 1);
  assert.equal(config.train.batchSize, 128);
  assert.equal(config.train.lr, 0.01);
  assert.deepEqual(config.train.schedule, { name: 'constant' });
  assert.equal(config.eval.every, 1);
  assert.ok(Object.isFrozen(config.train));
});

test('unknown keys name the position and suggest the right key', () => {
  const msg = errorOf(BASE.replace('  epochs: 1', '  epochs: 1\n  learningRate: 0.1'));
  assert.match(msg, /^x\.yaml:10:3: train\.learningRate: unknown key/);
  assert.match(errorOf(BASE + 'seeed: 3\n'), /x\.yaml:10:1: seeed: unknown key \(did you mean 'seed'\?\)/);
});

test('wrong types and bad values give the key path and the value', () => {
  assert.match(
    errorOf(BASE.replace('epochs: 1', 'epochs: many')),
    /x\.yaml:9:11: train\.epochs: expected a number, got "many"/,
  );
  assert.match(errorOf(BASE.replace('epochs: 1', 'epochs: 0')), /train\.epochs: .*got 0/);
  assert.match(errorOf(BASE + 'seed: 1.5\n'), /seed: expected an integer, got 1.5/);
  assert.match(errorOf(BASE.replace('epochs: 1', 'epochs: 1\n  lr: .nan')), /train\.lr: expected a number, got NaN/);
});

test('unknown names get a did-you-mean and the list of known names', () => {
  assert.match(
    errorOf(BASE.replace('name: mnist', 'name: mnsit')),
    /x\.yaml:3:9: dataset\.name: unknown dataset 'mnsit' \(did you mean 'mnist'\?\); known: mnist/,
  );
  assert.match(errorOf(BASE.replace('name: softmax', 'name: contrastive-centre')), /did you mean 'contrastive-center'/);
  assert.match(
    errorOf(BASE.replace('name: lenets', 'name: lenets\n  pool4: 2')),
    /model\.pool4: unknown option for lenets/,
  );
  assert.match(
    errorOf(BASE.replace('epochs: 1', 'epochs: 1\n  schedule:\n    name: multistpe\n    milestones: [1]')),
    /train\.schedule\.name: unknown value "multistpe" \(did you mean 'multistep'\?\)/,
  );
});

test('epochs and iterations are alternatives; --set of one replaces the other', () => {
  assert.match(errorOf(BASE.replace('epochs: 1', 'epochs: 1\n  iterations: 5')), /not both/);
  assert.match(errorOf(BASE.replace('  epochs: 1', '  lr: 0.1')), /set either train\.epochs or train\.iterations/);
  const { config } = parseConfig(BASE.replace('epochs: 1', 'iterations: 100'), 'x.yaml', ['train.epochs=2']);
  assert.equal(config.train.epochs, 2);
  assert.equal(config.train.iterations, undefined);
});

test('--set overrides are typed and their errors name the override', () => {
  const { config } = parseConfig(BASE, 'x.yaml', [
    'train.lr=0.05',
    'dataset.trainLimit=100',
    'name=123',
    'train.schedule={name: step, stepSize: 10}',
  ]);
  assert.equal(config.train.lr, 0.05);
  assert.equal(config.dataset.trainLimit, 100);
  assert.equal(config.name, '123');
  assert.deepEqual(config.train.schedule, { name: 'step', stepSize: 10, gamma: 0.1 });
  assert.match(errorOf(BASE, ['train.batchSize=0']), /^--set train\.batchSize=0: train\.batchSize: .*got 0/);
  assert.match(errorOf(BASE, ['train.lr']), /expected key\.path=value/);
});

test('invalid YAML reports its position', () => {
  assert.match(errorOf('name: [unclosed\n'), /^x\.yaml:\d+:\d+: invalid YAML/);
  assert.match(errorOf('- a\n- b\n'), /expected a mapping/);
});

test('bare names resolve in configs/, and every shipped MNIST config is valid', () => {
  assert.equal(resolveConfigPath('mnist-lenetspp.yaml'), path.join(CONFIGS_DIR, 'mnist-lenetspp.yaml'));
  assert.equal(resolveConfigPath('mnist-lenetspp'), path.join(CONFIGS_DIR, 'mnist-lenetspp.yaml'));
  assert.throws(() => resolveConfigPath('mnist-lenetsp.yaml'), /did you mean 'mnist-lenetspp.yaml'/);
  const names = fs.readdirSync(CONFIGS_DIR).filter((n) => n.startsWith('mnist-'));
  assert.ok(names.length >= 7);
  for (const n of names) {
    const { config } = loadConfig(n);
    assert.equal(config.dataset.name, 'mnist', n);
  }
});

test("a loss's settings are checked by its spec, naming the key and its position", () => {
  const ctcBase = BASE.replace('name: softmax', 'name: contrastive-center');
  assert.match(
    errorOf(ctcBase.replace('name: contrastive-center', 'name: contrastive-center\n  alpah: 0.1')),
    /^x\.yaml:8:3: loss\.alpah: unknown key \(did you mean 'alpha'\?\); the settings of contrastive-center: lambda, alpha, delta, reduction, centerUpdate, warmup, normPenalty$/,
  );
  assert.match(errorOf(ctcBase, ['loss.alpha=0']), /^--set loss\.alpha=0: loss\.alpha: must be > 0, got 0$/);
  assert.match(errorOf(ctcBase, ['loss.reduction=avg']), /loss\.reduction: must be one of mean, sum, got 'avg'/);
  assert.match(errorOf(ctcBase, ['loss.lambda=-1']), /loss\.lambda: must be >= 0, got -1/);
  // Another loss's setting is accepted (a sweep may switch loss.name) but still checked by its rule.
  const { config } = parseConfig(BASE, 'x.yaml', ['loss.lambda=0.5']);
  assert.equal(config.loss.lambda, 0.5);
  assert.match(
    errorOf(BASE, ['loss.centerUpdate=foo']),
    /loss\.centerUpdate: must be one of normalized, sgd, autodiff, got 'foo'/,
  );
  // Choice settings stay strings from --set.
  assert.equal(parseConfig(ctcBase, 'x.yaml', ['loss.centerUpdate=sgd']).config.loss.centerUpdate, 'sgd');
});
