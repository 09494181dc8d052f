/**
 * Where the client-side commands (`infer`, `models`, `health`, `load`, `unload`, `perf`) write.
 * Injected rather than taken from `process`, so tests run the commands in-process and read what
 * they printed, and library code never touches `console`.
 */

/** Something text can be written to (a stream, or a test's string collector). */
export interface TextSink {
  write(text: string): unknown;
}

/** The command's standard streams and terminal facts. */
export interface CliIO {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** True when stderr is a terminal: the perf progress line is redrawn in place only then. */
  readonly stderrIsTTY: boolean;
  /** Directory relative file arguments (`@file.json`, `-f out.csv`) are resolved against. */
  readonly cwd: string;
}

/** The real process streams. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
  };
}

/** An in-memory {@link CliIO} for tests: everything written is kept as text. */
export interface CapturedIO extends CliIO {
  out(): string;
  err(): string;
}

/**
 * Collects output in strings.
 *
 * @example
 * ```ts
 * const io = captureIO();
 * const code = await runClientCommand(['health', '-u', url], io);
 * assert.match(io.out(), /ready/);
 * ```
 */
export function captureIO(cwd = process.cwd(), stderrIsTTY = false): CapturedIO {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    stderrIsTTY,
    cwd,
    out: () => out,
    err: () => err,
  };
}
