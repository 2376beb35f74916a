// Progress of long data jobs (reading an archive, decoding, downloading) on stderr: a
// cli-progress bar on a terminal, a plain line every 10% otherwise (CI, pipes, logs), and
// nothing when quiet. Messages between tasks go to stderr too, so stdout stays for results.

import cliProgress from 'cli-progress';

export interface TaskProgress {
  /** Starts a task of `total` units (bytes when `bytes`); `from` > 0 when resuming. */
  start(label: string, total: number, opts?: { bytes?: boolean; from?: number }): void;
  update(value: number): void;
  stop(): void;
  /** One line of information (not progress). */
  note(line: string): void;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

export function createProgress(quiet = false, stream: NodeJS.WriteStream = process.stderr): TaskProgress {
  const tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  let bar: cliProgress.SingleBar | null = null;
  let label = '';
  let total = 0;
  let bytes = false;
  let lastDecile = -1;
  const show = (v: number) => (bytes ? formatBytes(v) : String(v));
  return {
    start(name, count, opts = {}) {
      label = name;
      total = count;
      bytes = opts.bytes ?? false;
      lastDecile = -1;
      if (quiet) return;
      if (!tty) {
        stream.write(`${label}: ${opts.from ? `resuming at ${show(opts.from)} of ` : ''}${show(total)}\n`);
        lastDecile = Math.floor(((opts.from ?? 0) / Math.max(total, 1)) * 10);
        return;
      }
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label} |{bar}| {percentage}% {shown} | ETA {eta_formatted}`,
          barsize: 30,
          hideCursor: true,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(total, 1), opts.from ?? 0, { shown: `${show(opts.from ?? 0)}/${show(total)}` });
    },
    update(value) {
      if (quiet) return;
      if (bar) return bar.update(value, { shown: `${show(value)}/${show(total)}` });
      const decile = total > 0 ? Math.floor((value / total) * 10) : 10;
      if (decile > lastDecile && decile < 10) {
        lastDecile = decile;
        if (decile > 0) stream.write(`${label}: ${decile * 10}% (${show(value)}/${show(total)})\n`);
      }
    },
    stop() {
      if (bar) bar.stop();
      else if (!quiet && label) stream.write(`${label}: done (${show(total)})\n`);
      bar = null;
      label = '';
    },
    note(line) {
      if (!quiet) stream.write(`${line}\n`);
    },
  };
}
