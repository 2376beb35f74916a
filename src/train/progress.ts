// Training progress on stderr: a cli-progress bar when stderr is a terminal, one plain line per
// epoch otherwise (CI, pipes, log files); nothing with --quiet. No colours are used, so NO_COLOR
// needs no special handling beyond plain text.

import cliProgress from 'cli-progress';

export interface StepInfo {
  epoch: number;
  epochs: number;
  iteration: number;
  loss: string; // formatted loss terms
  imagesPerSecond: number;
  accuracy?: number;
}

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly tty: boolean;

  constructor(
    private readonly quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  }

  start(totalIterations: number, startIteration: number, epochs: number, epoch: number): void {
    if (this.quiet || !this.tty) return;
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format:
          'epoch {epoch}/{epochs} |{bar}| {value}/{total} it | {loss} | test {acc} | {ips} img/s | ETA {eta_formatted}',
        barsize: 24,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(totalIterations, startIteration, { epoch, epochs, loss: 'loss -', acc: '-', ips: '-' });
  }

  /** Moves the bar without new numbers (between loss readings). */
  tick(iteration: number, epoch: number): void {
    this.bar?.update(iteration, { epoch });
  }

  step(info: StepInfo): void {
    this.bar?.update(info.iteration, {
      epoch: info.epoch,
      epochs: info.epochs,
      loss: info.loss,
      acc: info.accuracy === undefined ? '-' : `${info.accuracy.toFixed(2)}%`,
      ips: Math.round(info.imagesPerSecond),
    });
  }

  /** One line at the end of an epoch (only without a bar: the bar shows it already). */
  epochEnd(line: string): void {
    if (this.quiet || this.bar) return;
    this.stream.write(`${line}\n`);
  }

  /** A message that must be seen (resume hints, warnings), above the bar. */
  note(line: string): void {
    if (this.quiet) return;
    if (this.bar) this.bar.stop();
    this.stream.write(`${line}\n`);
    if (this.bar) this.bar.start(this.bar.getTotal(), (this.bar as unknown as { value: number }).value);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
