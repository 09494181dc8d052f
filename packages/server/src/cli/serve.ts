/**
 * `tensorgate serve` after its settings are parsed: start the server, then turn SIGTERM/SIGINT
 * into a graceful shutdown. Everything the process touches (signals, exit, stderr) is injected so
 * tests can drive it without a real process.
 */
import type { Logger } from 'pino';
import type { RunningServer } from '../create-server.js';
import type { LogOutput } from '../core/log-output.js';
import type { ServerSettings } from './settings-schema.js';

/** The part of a started server the CLI uses. */
export type StartedServer = Pick<RunningServer, 'ports' | 'shutdown'>;

/** `createServer` of the composition root, as far as the CLI needs it (tests pass a fake). */
export type StartServer = (
  settings: ServerSettings,
  deps: { logger: Logger; logOutput?: LogOutput },
) => Promise<StartedServer>;

/** The signals that stop the server; a second one while stopping exits at once. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** The process surface {@link runServe} uses. */
export interface ServeDeps {
  readonly logger: Logger;
  /** The switches behind `logger`, handed to the server's logging API. */
  readonly logOutput?: LogOutput;
  readonly createServer: StartServer;
  /** Where signals come from (default: `process`). */
  readonly signals?: { on(signal: NodeJS.Signals, listener: () => void): unknown };
  /** Ends the process (default: `process.exit`). */
  readonly exit?: (code: number) => void;
  /** Writes one line for the operator (default: `process.stderr`). */
  readonly stderr?: (line: string) => void;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Starts the server and arranges a graceful stop on SIGTERM/SIGINT: log, `shutdown(signal)`,
 * exit 0 (exit 1 if shutdown fails). A second signal while stopping exits 1 at once. A failure to
 * start prints one clear line on stderr and exits 1. Resolves with the running server once
 * started (undefined when start-up failed).
 *
 * @example
 * ```ts
 * await runServe(settings, { logger, createServer });
 * ```
 */
export async function runServe(settings: ServerSettings, deps: ServeDeps): Promise<StartedServer | undefined> {
  const { logger } = deps;
  const signals = deps.signals ?? process;
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const stderr = deps.stderr ?? ((line: string) => void process.stderr.write(`${line}\n`));

  let running: StartedServer;
  try {
    running = await deps.createServer(settings, deps.logOutput ? { logger, logOutput: deps.logOutput } : { logger });
  } catch (err) {
    logger.fatal({ err }, 'startup failed');
    stderr(`tensorgate: startup failed: ${describe(err)}`);
    exit(1);
    return undefined;
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while shutting down; exiting now');
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal, exitTimeoutSecs: settings.exitTimeoutSecs }, 'shutting down');
    running.shutdown(signal).then(
      () => {
        logger.info('shutdown complete');
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        stderr(`tensorgate: shutdown failed: ${describe(err)}`);
        exit(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) signals.on(signal, () => onSignal(signal));
  // Logged once the signals are handled: whoever waits for this line may stop the server at once.
  logger.info({ ports: running.ports, modelRepository: settings.modelRepository }, 'server started');
  return running;
}
