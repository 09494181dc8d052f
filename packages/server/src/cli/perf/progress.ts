/**
 * What `tensorgate perf` tells the person waiting: on a terminal, one status line redrawn after
 * every measurement window; otherwise (CI logs, pipes) one plain line per finished step. Always on
 * stderr, so stdout carries only the report.
 */
import type { CliIO } from '../tools/cli-io.js';

/** Figures of one finished window. */
export interface WindowProgress {
  readonly level: number;
  readonly trial: number;
  readonly maxTrials: number;
  readonly throughput: number;
  readonly latencyUs: number;
}

/** The progress reporter for one run. */
export class ProgressDisplay {
  private drawn = false;

  constructor(
    private readonly io: CliIO,
    private readonly levelName: string,
    private readonly quiet = false,
  ) {}

  /** After each window (terminal only). */
  window(p: WindowProgress): void {
    if (this.quiet || !this.io.stderrIsTTY) return;
    const text =
      `${this.levelName} ${p.level}: window ${p.trial}/${p.maxTrials}, ` +
      `${p.throughput.toFixed(1)} infer/s, latency ${Math.round(p.latencyUs)} µs`;
    this.io.stderr.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }

  /** After each step: one line that stays. */
  step(level: number, throughput: number, p99Us: number, stable: boolean, failed: number): void {
    if (this.quiet) return;
    this.clear();
    this.io.stderr.write(
      `${this.levelName} ${level}: ${throughput.toFixed(1)} infer/s, p99 ${Math.round(p99Us)} µs` +
        `${stable ? '' : ' (not stable)'}${failed ? `, ${failed} failed` : ''}\n`,
    );
  }

  /** A free-form note (warm-up, warnings). */
  note(text: string): void {
    if (this.quiet) return;
    this.clear();
    this.io.stderr.write(`${text}\n`);
  }

  /** Erases a half-drawn status line. */
  clear(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}
