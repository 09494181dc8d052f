/**
 * What the server's log writes, beyond pino's level threshold: Triton's per-severity switches
 * (`--log-info`, `--log-warning`, `--log-error`, which may turn off a severity between others) and
 * the timestamp format of text lines (`--log-format`). One mutable instance is shared by the log
 * destination (`cli/create-logger.ts`) and the logging API (`log-settings.ts`), so a change over
 * HTTP `/v2/logging` or gRPC LogSettings applies to the next line.
 */

/** Triton's timestamp formats of text lines. */
export type LogTimeFormat = 'default' | 'ISO8601';

/** The switches, with Triton's meaning. */
export interface LogOutputState {
  info: boolean;
  warning: boolean;
  error: boolean;
  format: LogTimeFormat;
  /** The file lines go to ('' for stdout); reported by the logging API, never changed by it. */
  readonly file: string;
}

/** pino's numeric levels of the switched severities. */
const INFO = 30;
const WARN = 40;

/**
 * @example
 * ```ts
 * const output = new LogOutput({ info: true, warning: false, error: true, format: 'default', file: '' });
 * output.allows(40); // false: warnings are off
 * ```
 */
export class LogOutput {
  private current: LogOutputState;

  constructor(initial: LogOutputState) {
    this.current = { ...initial };
  }

  /** The switches in effect (a copy). */
  get state(): LogOutputState {
    return { ...this.current };
  }

  /** Changes some switches; the file stays. */
  update(changes: Partial<Omit<LogOutputState, 'file'>>): void {
    this.current = { ...this.current, ...changes };
  }

  /** Whether a line of pino level `level` is written (debug and trace are governed by the level alone). */
  allows(level: number): boolean {
    if (level < INFO) return true;
    if (level < WARN) return this.current.info;
    if (level < WARN + 10) return this.current.warning;
    return this.current.error;
  }
}
