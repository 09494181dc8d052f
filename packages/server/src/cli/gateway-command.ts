/**
 * `tensorgate gateway`: JSON/SSE endpoints from a routes file, in front of one or more upstream
 * servers reached over gRPC (see docs/gateway.md). The gateway module is imported on first use,
 * so `tensorgate --help` never loads fastify or the gRPC client; signals, exit and stderr are
 * injected so tests drive the command in-process.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { createServerLogger, type LoggerSettings } from './create-logger.js';
import type { GatewayOptions, RunningGateway } from '../gateway/index.js';

/** Parsed options of `tensorgate gateway`. */
export interface GatewayCommandOptions {
  readonly routes: string;
  readonly upstream: string[];
  readonly host: string;
  readonly port: number;
  readonly cors?: string;
  readonly healthIntervalMs?: number;
  readonly logLevel: string;
  /** Connection timeouts, in seconds (defaults: 30 each). */
  readonly httpHeaderTimeoutSecs?: number;
  readonly httpBodyIdleTimeoutSecs?: number;
  readonly httpKeepaliveTimeoutSecs?: number;
}

/** Process surface of the command (defaults: the real process). */
export interface GatewayCommandDeps {
  /** Starts the gateway (default: `startGateway` of the gateway module). */
  readonly start?: (options: GatewayOptions) => Promise<Pick<RunningGateway, 'url' | 'close'>>;
  readonly signals?: { on(signal: NodeJS.Signals, listener: () => void): unknown };
  readonly exit?: (code: number) => void;
  /** Writes one line for the operator. */
  readonly stderr?: (line: string) => void;
  /** Builds the logger (default: text on a terminal, JSON lines otherwise, on stdout at `--log-level`). */
  readonly logger?: (level: string) => Logger;
}

function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`Must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

function hostPort(value: string, previous: string[] = []): string[] {
  if (!/^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d+$/.test(value))
    throw new InvalidArgumentError(`Expected HOST:PORT (the upstream's gRPC port), got '${value}'.`);
  return [...previous, value];
}

/**
 * Adds the `gateway` command to the program.
 *
 * @example
 * ```ts
 * registerGatewayCommand(program);
 * await program.parseAsync(['node', 'tensorgate', 'gateway', '--routes', 'routes.yaml', '--upstream', 'localhost:8001']);
 * ```
 */
export function registerGatewayCommand(program: Command, deps: GatewayCommandDeps = {}): Command {
  const cmd = program
    .command('gateway')
    .description('serve JSON/SSE endpoints from a routes file in front of upstream servers (gRPC)')
    .requiredOption('--routes <file>', 'routes file (YAML or JSON), see docs/gateway.md')
    .option(
      '--upstream <host:port>',
      'upstream gRPC address; repeat for several (adds to the routes file)',
      hostPort,
      [],
    )
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option('--port <port>', 'port to listen on (0 picks a free one)', wholeNumber(0, 65535), 8080)
    .option('--cors <origins>', "allowed CORS origins, comma-separated, or '*' (overrides the routes file)")
    .option(
      '--health-interval-ms <ms>',
      'upstream health-check period (default 2000 or the routes file)',
      wholeNumber(10, 3_600_000),
    )
    .option(
      '--http-header-timeout-secs <seconds>',
      'a request head must arrive within this, else 408 and close',
      wholeNumber(1, 3600),
      30,
    )
    .option(
      '--http-body-idle-timeout-secs <seconds>',
      'this long without a body byte, while a body arrives, answers 408 and closes',
      wholeNumber(1, 3600),
      30,
    )
    .option(
      '--http-keepalive-timeout-secs <seconds>',
      'an idle keep-alive connection is closed after this',
      wholeNumber(1, 3600),
      30,
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
        .default('info'),
    );
  cmd.action(async (opts: GatewayCommandOptions) => {
    await runGateway(opts, deps);
  });
  return cmd;
}

/** The gateway's log settings besides the level: Triton's defaults, encoding by the terminal rule. */
const GATEWAY_LOGGING: Omit<LoggerSettings, 'logLevel'> = {
  logFormat: 'default',
  logEncoding: 'auto',
  logInfo: true,
  logWarning: true,
  logError: true,
};

/** Starts the gateway and turns SIGTERM/SIGINT into a clean stop (exit 0). */
export async function runGateway(opts: GatewayCommandOptions, deps: GatewayCommandDeps = {}): Promise<void> {
  const stderr = deps.stderr ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const signals = deps.signals ?? process;
  // Text on a terminal, JSON otherwise, as `serve` (docs/cli.md, "Logging").
  const defaultLogger = (level: string): Logger =>
    createServerLogger(
      { ...GATEWAY_LOGGING, logLevel: level as LoggerSettings['logLevel'] },
      undefined,
      'tensorgate-gateway',
    ).logger;
  const logger = (deps.logger ?? defaultLogger)(opts.logLevel);
  const start =
    deps.start ??
    (async (o: GatewayOptions) => {
      const mod = await import('../gateway/index.js');
      return mod.startGateway(o);
    });
  let gateway: Pick<RunningGateway, 'url' | 'close'>;
  try {
    const { parseCorsOrigins } = await import('../gateway/cors.js');
    gateway = await start({
      routes: opts.routes,
      upstreams: opts.upstream,
      host: opts.host,
      port: opts.port,
      logger,
      ...(opts.cors !== undefined && { corsOrigins: parseCorsOrigins(opts.cors) }),
      ...(opts.healthIntervalMs !== undefined && { healthIntervalMs: opts.healthIntervalMs }),
      timeouts: {
        headerTimeoutMs: (opts.httpHeaderTimeoutSecs ?? 30) * 1000,
        bodyIdleTimeoutMs: (opts.httpBodyIdleTimeoutSecs ?? 30) * 1000,
        keepAliveTimeoutMs: (opts.httpKeepaliveTimeoutSecs ?? 30) * 1000,
      },
    });
  } catch (err) {
    stderr(`tensorgate gateway: startup failed: ${err instanceof Error ? err.message : String(err)}`);
    exit(1);
    return;
  }
  stderr(`tensorgate gateway: listening on ${gateway.url} (docs: ${gateway.url}/docs)`);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'gateway shutting down');
    gateway.close().then(
      () => exit(0),
      (err: unknown) => {
        stderr(`tensorgate gateway: shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) signals.on(signal, () => onSignal(signal));
}
