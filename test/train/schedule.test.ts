import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate } from '../../src/train/schedule.js';

test('inv follows Caffe: lr * (1 + gamma * iter)^-power', () => {
  const s = { name: 'inv', gamma: 1e-4, power: 0.75 } as const;
  assert.equal(learningRate(s, 0.01, 0), 0.01);
  assert.ok(Math.abs(learningRate(s, 0.01, 10000) - 0.01 * Math.pow(2, -0.75)) < 1e-12);
});

test('multistep multiplies by gamma at each milestone reached', () => {
  const s = { name: 'multistep' as const, milestones: [5000, 8000], gamma: 0.8 };
  assert.equal(learningRate(s, 0.01, 4999), 0.01);
  assert.ok(Math.abs(learningRate(s, 0.01, 5000) - 0.008) < 1e-12);
  assert.ok(Math.abs(learningRate(s, 0.01, 9999) - 0.0064) < 1e-12);
});

test('step and constant', () => {
  assert.ok(Math.abs(learningRate({ name: 'step', stepSize: 10, gamma: 0.5 }, 1, 25) - 0.25) < 1e-12);
  assert.equal(learningRate({ name: 'constant' }, 0.3, 1e6), 0.3);
});
