// The run lock: one process writes a run directory at a time. A lock whose process is gone
// (killed, or a zombie not yet reaped) is stale and is taken over.

import fs from 'node:fs';
import { UserError } from '../errors.js';
import { runPaths, type RunPaths } from './directory.js';

/** Takes the run's lock; a stale lock (its process gone) is taken over. Returns the release function. */
export function lockRunDir(paths: RunPaths): () => void {
  fs.mkdirSync(paths.dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(paths.lock, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(paths.lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(paths.lock, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new UserError(`${paths.dir}: in use by process ${pid} (lock ${paths.lock})`);
      }
      fs.rmSync(paths.lock, { force: true });
    }
  }
  throw new UserError(`${paths.lock}: cannot take the run lock`);
}

/**
 * Whether a process still runs. A zombie (exited, not yet reaped by its parent: a killed run whose
 * parent shell lingers) answers signal 0 like a live one, so on Linux its state is read too.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces and parentheses.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS, Windows): trust the signal
  }
}

/** The pid of another live process on this machine that holds the run's lock, or null. */
export function lockHolder(dir: string): number | null {
  let pid = 0;
  try {
    pid = Number(fs.readFileSync(runPaths(dir).lock, 'utf8'));
  } catch {
    return null; // no lock: nobody is writing the run
  }
  return pid && pid !== process.pid && isAlive(pid) ? pid : null;
}

/**
 * Waits while another process on this machine holds the run's lock (a worker killed with -9
 * leaves its child finishing a checkpoint). The pid means nothing across machines, hence the
 * bound: after `maxMs` ctc train decides (it takes over a lock whose pid is dead here).
 */
export async function waitForLockHolder(dir: string, maxMs: number, stop: () => boolean): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until && !stop()) {
    if (lockHolder(dir) === null) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
