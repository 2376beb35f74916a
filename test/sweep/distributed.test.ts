// The distributed mode end to end on a real Redis: submit twice (no duplicates), two `ctc worker`
// processes, one killed with SIGKILL mid-job; BullMQ's stalled-job check gives its job to the
// other worker, which resumes it from the checkpoint. And a worker stopped with SIGTERM puts its
// job back in the queue without spending an attempt. Short lock and stall intervals keep it fast.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ctc, ctcAsync, tempDir, type Result } from '../cli/helpers.js';
import { REDIS_MISSING, startRedis, type TestRedis } from './redis.js';

// Long enough (3 epochs of 32 iterations) to be killed between checkpoints, short enough to finish in seconds.
const SWEEP = `name: dist
config: mnist-lenets-softmax.yaml
backend: wasm
set: {dataset.trainLimit: 1024, dataset.testLimit: 200, train.batchSize: 32, train.epochs: 3}
axes:
  loss.name: [softmax, center]
  seed: [1]
`;
const FAST = ['--checkpoint-seconds', '1', '--lock-duration-ms', '3000', '--stalled-interval-ms', '1500'];

let redis: TestRedis | undefined;
const workers: ChildProcess[] = [];
before(async () => {
  if (!REDIS_MISSING) redis = await startRedis();
});
after(() => {
  for (const w of workers) w.kill('SIGKILL');
  redis?.stop();
});

interface RunningWorker {
  child: ChildProcess;
  done: Promise<Result>;
  stderr: () => string;
}

function startWorker(dir: string, args: string[]): RunningWorker {
  const { child, done } = ctcAsync(['worker', '--redis', (redis as TestRedis).url, ...args], dir);
  workers.push(child);
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return { child, done, stderr: () => stderr };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Running (an unreaped zombie, where PID 1 does not reap orphans, counts as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function status(dir: string, queue: string) {
  const r = ctc(['sweep', 'status', 'dist.yaml', '--redis', (redis as TestRedis).url, '--queue', queue, '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    totals: Record<string, number>;
    jobs: { runDir: string; state: string; attempts: number; worker: string | null }[];
  };
}

test(
  'submit is idempotent; a worker killed mid-job has its job resumed by another',
  { skip: REDIS_MISSING, timeout: 240_000 },
  async () => {
    const dir = tempDir('ctc-dist-');
    fs.writeFileSync(path.join(dir, 'dist.yaml'), SWEEP);
    const q = ['--redis', (redis as TestRedis).url, '--queue', 'kill'];
    const first = ctc(['sweep', 'submit', 'dist.yaml', ...q], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /2 job\(s\) added, 0 already in queue kill/);
    assert.match(ctc(['sweep', 'submit', 'dist.yaml', ...q], dir).stdout, /0 job\(s\) added, 2 already in queue kill/);
    assert.deepEqual(status(dir, 'kill').totals, { queued: 2, running: 0, done: 0, failed: 0, 'not submitted': 0 });

    const args = ['--queue', 'kill', '--runs-root', 'shared', ...FAST];
    const a = startWorker(dir, args);
    const victim = await waitFor(
      'worker A to start a job',
      60_000,
      () => /job (dist\/[0-9a-f]{12}): start/.exec(a.stderr())?.[1],
    );
    const b = startWorker(dir, args);
    const runDir = path.join(dir, 'shared', victim);
    await waitFor(`a checkpoint in ${runDir}`, 60_000, () =>
      fs.existsSync(path.join(runDir, 'checkpoints', 'last', 'checkpoint.json')),
    );
    assert.ok(
      !fs.existsSync(path.join(runDir, 'summary.json')),
      'the job finished before the kill: make its budget larger',
    );
    const trainPid = Number(fs.readFileSync(path.join(runDir, '.lock'), 'utf8'));
    a.child.kill('SIGKILL');
    // Its ctc train child notices the parent is gone, checkpoints and exits, releasing the run.
    await waitFor(`the killed worker's child (pid ${trainPid}) to exit`, 30_000, () => !isAlive(trainPid));

    // Watch the run directories (cheap), then ask the queue (a ctc process per question).
    const summaries = () =>
      fs
        .readdirSync(path.join(dir, 'shared', 'dist'))
        .filter((id) => fs.existsSync(path.join(dir, 'shared', 'dist', id, 'summary.json')));
    await waitFor('both runs complete', 150_000, () => summaries().length === 2).catch((err: Error) => {
      throw new Error(`${err.message}\nworker B:\n${b.stderr()}\nworker A:\n${a.stderr()}`);
    });
    const final = await waitFor('both jobs done in the queue', 20_000, () => {
      const s = status(dir, 'kill');
      assert.equal(s.totals.failed, 0, JSON.stringify(s.jobs));
      return s.totals.done === 2 && s;
    });
    const bName = /\[worker ([^\]]+)\]/.exec(b.stderr())?.[1];
    assert.equal(
      final.jobs.find((j) => j.runDir === victim)?.worker,
      bName,
      "worker B finished the killed worker's job",
    );
    // The worker's log lines arrive through a pipe: wait for them rather than race them.
    await waitFor('worker B to report the resumed job', 10_000, () =>
      new RegExp(`job ${victim}: done .*\\(resumed\\)`).test(b.stderr()),
    );
    const events = fs
      .readFileSync(path.join(runDir, 'log.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event);
    assert.ok(events.includes('resume'), `the run resumed from its checkpoint (events: ${events.join(', ')})`);

    b.child.kill('SIGTERM');
    const bDone = await b.done;
    assert.equal(bDone.code, 0, bDone.stderr);
    assert.match(bDone.stderr, /stopped \(SIGTERM\)/);
    const tables = ctc(['eval', '--runs', 'shared/dist', '--out', 'results'], dir);
    assert.equal(tables.code, 0, tables.stderr);
    const rows = JSON.parse(fs.readFileSync(path.join(dir, 'results', 'accuracy.json'), 'utf8')).rows as {
      loss: string;
    }[];
    assert.deepEqual(rows.map((r) => r.loss).sort(), ['center', 'softmax']);
  },
);

test(
  'a worker stopped with SIGTERM checkpoints and puts its job back without spending an attempt',
  { skip: REDIS_MISSING, timeout: 120_000 },
  async () => {
    const dir = tempDir('ctc-dist-');
    fs.writeFileSync(path.join(dir, 'dist.yaml'), SWEEP);
    const submit = ctc(['sweep', 'submit', 'dist.yaml', '--redis', (redis as TestRedis).url, '--queue', 'term'], dir);
    assert.equal(submit.code, 0, submit.stderr);
    const w = startWorker(dir, ['--queue', 'term', '--runs-root', 'shared', ...FAST]);
    const job = await waitFor(
      'the worker to start a job',
      60_000,
      () => /job (dist\/[0-9a-f]{12}): start/.exec(w.stderr())?.[1],
    );
    await waitFor('a checkpoint', 60_000, () =>
      fs.existsSync(path.join(dir, 'shared', job, 'checkpoints', 'last', 'checkpoint.json')),
    );
    w.child.kill('SIGTERM');
    const r = await w.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`job ${job}: handed back to the queue \\(SIGTERM\\)`));
    const s = status(dir, 'term');
    const back = s.jobs.find((j) => j.runDir === job);
    assert.equal(back?.state, 'queued');
    assert.equal(back?.attempts, 0);
    assert.ok(!fs.existsSync(path.join(dir, 'shared', job, '.lock')), 'the child released the run lock');
  },
);
