/**
 * The client-side commands of `tensorgate` (`infer`, `models`, `health`, `load`, `unload`,
 * `perf`), which talk to a running server through @tensorgate/client. `main.ts` adds them to the
 * program next to `serve`; tests run them in-process with {@link runClientCommand}.
 */
import { Command, CommanderError } from 'commander';
import { addPerfCommand } from './perf/perf-command.js';
import type { CliIO } from './tools/cli-io.js';
import type { ExitSetter } from './tools/connection.js';
import { addInferCommand } from './tools/infer-command.js';
import { addRepositoryCommands } from './tools/repository-commands.js';

/**
 * Adds the client commands to a program. Each command reports its exit status through `setExit`
 * (0 success, 1 failure) instead of exiting, so a caller decides how the process ends.
 */
export function addClientCommands(program: Command, io: CliIO, setExit: ExitSetter, version: string): void {
  addInferCommand(program, io, setExit);
  addRepositoryCommands(program, io, setExit);
  addPerfCommand(program, io, setExit, version);
}

/**
 * Runs one client command in-process, with its output going to `io`, and returns the exit status
 * (usage errors: commander's status, 1; `--help`: 0).
 *
 * @example
 * ```ts
 * const io = captureIO();
 * const code = await runClientCommand(['models', '-u', 'http://127.0.0.1:8000', '--json'], io);
 * ```
 */
export async function runClientCommand(argv: readonly string[], io: CliIO, version = '0.0.0'): Promise<number> {
  let code = 0;
  const program = new Command('tensorgate')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  addClientCommands(program, io, (c) => (code = c), version);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return code;
}
