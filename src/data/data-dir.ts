// Where downloaded and imported datasets live: $CTC_DATA_DIR, else $XDG_CACHE_HOME/ctc, else
// ~/.cache/ctc. Data is a cache in the XDG sense: it can be fetched or imported again.

import os from 'node:os';
import path from 'node:path';

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CTC_DATA_DIR) return path.resolve(env.CTC_DATA_DIR);
  return userCacheDir(env);
}

/** ctc's folder in the user's cache: $XDG_CACHE_HOME/ctc, else ~/.cache/ctc (data, GPU verdicts). */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  // XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'ctc');
  return path.join(os.homedir(), '.cache', 'ctc');
}

/** The default home of the CIFAR-10 binaries: <data dir>/cifar10/cifar-10-batches-bin. */
export function cifar10Home(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'cifar10');
}
