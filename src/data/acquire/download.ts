// Resumable HTTP(S) download into a `.part` file: when the file already holds bytes, asks for
// the rest with a Range request (RFC 9110 §14) and appends; a server that ignores Range
// (200) restarts it. A dropped connection is retried a few times, then left for a rerun.

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { UserError } from '../../errors.js';
import type { TaskProgress } from './progress.js';

export interface DownloadOptions {
  url: string;
  /** The partial file: created or resumed; complete (but unverified) when this resolves. */
  part: string;
  progress: TaskProgress;
  label?: string;
  /** Reconnections after a dropped transfer within this call (default 3). */
  retries?: number;
  /** Milliseconds without data before giving up on a connection (default 30 s). */
  idleTimeoutMs?: number;
}

/** A failure worth reconnecting for (a dropped or stalled connection), not an HTTP refusal. */
class Interrupted extends Error {}

const MAX_REDIRECTS = 5;

export async function downloadResumable(opts: DownloadOptions): Promise<void> {
  const retries = opts.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      await requestOnce(opts, opts.url, 0);
      return;
    } catch (err) {
      if (!(err instanceof Interrupted)) throw err;
      const have = sizeOf(opts.part);
      if (attempt >= retries) {
        throw new UserError(
          `download of ${opts.url} interrupted (${err.message}) at ${have} bytes; run the same command again to resume`,
        );
      }
      opts.progress.stop();
      opts.progress.note(`connection lost (${err.message}); resuming at ${have} bytes`);
      await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
    }
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

async function requestOnce(opts: DownloadOptions, url: string, redirects: number): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`not a valid URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UserError(`${url}: only http:// and https:// URLs can be downloaded`);
  }
  const have = sizeOf(opts.part);
  const headers: Record<string, string> = { 'user-agent': 'ctc' };
  if (have > 0) headers.range = `bytes=${have}-`;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = (parsed.protocol === 'https:' ? https : http).get(parsed, { headers }, resolve);
    req.setTimeout(opts.idleTimeoutMs ?? 30_000, () => req.destroy(new Interrupted('no data for a while')));
    req.on('error', (err) => reject(err instanceof Interrupted ? err : new Interrupted(err.message)));
  });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (redirects >= MAX_REDIRECTS) throw new UserError(`${opts.url}: more than ${MAX_REDIRECTS} redirects`);
    return requestOnce(opts, new URL(res.headers.location, url).href, redirects + 1);
  }
  if (status === 416 && have > 0) {
    // Nothing left to send: the part is already whole (the checksum will tell).
    res.resume();
    return;
  }
  let append = false;
  let total = Number(res.headers['content-length'] ?? NaN);
  if (status === 206) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!range || Number(range[1]) !== have) {
      res.resume();
      throw new UserError(
        `${url}: the server answered a resume request with an unexpected range (${res.headers['content-range']})`,
      );
    }
    append = true;
    total = range[2] === '*' ? have + total : Number(range[2]);
  } else if (status !== 200) {
    res.resume();
    throw new UserError(`${url}: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
  }
  const start = append ? have : 0;
  opts.progress.start(opts.label ?? 'downloading', Number.isFinite(total) ? total : 0, { bytes: true, from: start });
  let received = start;
  let fd: number;
  try {
    fd = fs.openSync(opts.part, append ? 'a' : 'w');
  } catch (err) {
    res.resume();
    throw new UserError(`${opts.part}: cannot write (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    // Synchronous writes: every byte received is on disk before a retry measures the file.
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        try {
          for (let off = 0; off < chunk.length;) off += fs.writeSync(fd, chunk, off);
        } catch (err) {
          res.destroy();
          reject(new UserError(`${opts.part}: cannot write (${(err as NodeJS.ErrnoException).code})`));
          return;
        }
        received += chunk.length;
        opts.progress.update(received);
      });
      res.on('error', (err) => reject(new Interrupted(err.message)));
      res.on('close', () => (res.complete ? resolve() : reject(new Interrupted('connection closed early'))));
    });
  } finally {
    fs.closeSync(fd);
  }
  if (Number.isFinite(total) && received !== total)
    throw new Interrupted(`connection closed at ${received} of ${total} bytes`);
  opts.progress.stop();
}
