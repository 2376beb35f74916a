// A real, throwaway Redis for the distributed tests: `redis-server` on 127.0.0.1 at a free port,
// without persistence, killed by the test. Tests skip (saying why) when the binary is missing.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** Why the distributed tests cannot run here, or false when they can. */
export const REDIS_MISSING: string | false =
  spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0
    ? false
    : 'redis-server is not installed (Debian: apt-get install -y redis-server); skipping the distributed sweep tests';

export interface TestRedis {
  url: string;
  stop: () => void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}:\n${output}`)), 10_000);
    child.stdout?.on('data', (d) => {
      output += d;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}
