// Sweep progress on stderr: event lines (a job started, finished, failed) and, on a terminal,
// one overall status line kept at the bottom and redrawn in place. Without a terminal (CI, pipes,
// log files) only the event lines are written, so logs stay readable.

const CLEAR_LINE = '\r\x1b[2K';

export class Board {
  private readonly tty: boolean;
  private status = '';

  constructor(
    private readonly quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  }

  /** A line that stays (above the status line on a terminal). */
  line(text: string): void {
    if (this.quiet) return;
    this.stream.write(this.tty ? `${CLEAR_LINE}${text}\n${this.status}` : `${text}\n`);
  }

  /** Replaces the status line (terminal only), cut to the terminal's width. */
  update(text: string): void {
    if (this.quiet || !this.tty) return;
    const width = this.stream.columns || 100;
    this.status = text.length >= width ? `${text.slice(0, width - 2)}…` : text;
    this.stream.write(`${CLEAR_LINE}${this.status}`);
  }

  stop(): void {
    if (this.tty && this.status) this.stream.write(CLEAR_LINE);
    this.status = '';
  }
}

/** `1h02m`, `3m20s`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
