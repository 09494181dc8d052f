/**
 * The `tensorgate` command tree (commander): `serve` with every setting as an option, plus
 * `--version` and `--help`. Building it is side-effect free; `main.ts` runs it.
 */
import { Command } from 'commander';
import { SettingsError, addSettingsOptions, resolveSettings, type ResolvedSettings } from './settings.js';

/** What the program does once arguments are parsed. */
export interface ProgramHandlers {
  /** The package version printed by `--version`. */
  readonly version: string;
  /** Runs the server with the resolved settings. */
  serve(resolved: ResolvedSettings): Promise<void>;
  /** Environment the settings fall back to (default: `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Builds the `tensorgate` program. `serve` is the default command, so
 * `tensorgate --model-repository=/models` works as `tritonserver --model-repository=/models` does;
 * `tritonserver` is another name of `serve` (`tensorgate tritonserver --model-repository=/models`).
 *
 * @example
 * ```ts
 * await buildProgram({ version: '0.1.0', serve: async ({ settings }) => start(settings) })
 *   .parseAsync(process.argv);
 * ```
 */
export function buildProgram(handlers: ProgramHandlers): Command {
  const program = new Command('tensorgate')
    .description('A Triton / KServe v2 compatible inference server for Node.js')
    .version(handlers.version, '-v, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)');

  // `tritonserver` as a command name too: a Triton container's arguments (`tritonserver --model-store=...`,
  // as KServe's runtimes pass them) work unchanged after the tensorgate entrypoint.
  const serve = addSettingsOptions(program.command('serve', { isDefault: true }).alias('tritonserver'))
    .description('start the inference server (HTTP, gRPC and metrics endpoints)')
    .addHelpText(
      'after',
      '\nEvery option can also come from its TENSORGATE_* environment variable; a flag on the\n' +
        'command line wins over the variable. Boolean options accept --flag, --flag=false,\n' +
        '--flag false and --no-flag.\n\n' +
        "Every tritonserver flag works with Triton's meaning or stops start-up saying why\n" +
        '(docs/cli.md, "Triton flags"). Logs are Triton-like text lines on a terminal and JSON\n' +
        'lines otherwise (a pipe, a container, --log-file), unless --log-encoding or --log-format\n' +
        'says otherwise.',
    );
  serve.action(async () => {
    let resolved: ResolvedSettings;
    try {
      resolved = resolveSettings(serve, handlers.env ?? process.env);
    } catch (err) {
      if (err instanceof SettingsError) serve.error(`error: ${err.message}`, { exitCode: 1 });
      throw err;
    }
    await handlers.serve(resolved);
  });
  return program;
}
