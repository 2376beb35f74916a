import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ci95HalfWidth, mean, pairedTTest, std, verdict } from '../../src/report/stats.js';

test('mean, sample std and the 95% interval against hand values', () => {
  const v = [98.0, 99.0, 98.5];
  assert.equal(mean(v), 98.5);
  assert.ok(Math.abs((std(v) as number) - 0.5) < 1e-12);
  // t(0.975, 2) = 4.302653; 4.302653 * 0.5 / sqrt(3) = 1.242068
  assert.ok(Math.abs((ci95HalfWidth(v) as number) - 1.242068) < 1e-5);
  assert.equal(ci95HalfWidth([1]), undefined);
});

test('paired t-test: hand computation and verdicts', () => {
  // diffs 0.2, 0.3, 0.4: mean 0.3, s = 0.1, t = 0.3 / (0.1 / sqrt 3) = 5.196; two-sided p (2 dof) = 0.0351
  const r = pairedTTest([99.2, 99.3, 99.4], [99, 99, 99]);
  assert.ok(Math.abs((r.t as number) - 5.196152) < 1e-5);
  assert.ok(Math.abs((r.p as number) - 0.035098) < 1e-5);
  assert.equal(verdict(r), 'better');
  assert.equal(verdict(pairedTTest([98.8, 99.3, 98.9], [99, 99, 99])), 'no significant difference');
  assert.equal(verdict(pairedTTest([98.6, 98.7, 98.8], [99, 99, 99])), 'worse');
  assert.equal(verdict(pairedTTest([99.5], [99])), 'too few seeds');
});
