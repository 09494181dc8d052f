/**
 * The options every client-side command shares (`-u/--url`, `-i/--protocol`, `--timeout-ms`),
 * turning them into an `InferenceClient`, and the error wrapper that prints a failed call as
 * `tensorgate <command>: <server message>` with exit status 1.
 */
import { InferenceClient, InferenceServerError } from '@tensorgate/client';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CliIO } from './cli-io.js';

/** The two transports. */
export type Protocol = 'grpc' | 'http';

/** Parsed connection options. */
export interface ConnectionOptions {
  readonly url?: string;
  readonly protocol: Protocol;
  readonly timeoutMs?: number;
}

/** Default server address per protocol (Triton's ports). */
export const DEFAULT_URLS: Readonly<Record<Protocol, string>> = {
  http: 'localhost:8000',
  grpc: 'localhost:8001',
};

/** Commander parser of a whole number ≥ `min`. */
export function wholeNumber(min: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`Must be a whole number${min > 0 ? ` ≥ ${min}` : min === 0 ? ' ≥ 0' : ''}.`);
    }
    return n;
  };
}

/** Commander parser of a number > 0 (or ≥ 0 when `zeroOk`). */
export function positiveNumber(zeroOk = false): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (!zeroOk && n === 0)) {
      throw new InvalidArgumentError(`Must be a number ${zeroOk ? '≥ 0' : 'above 0'}.`);
    }
    return n;
  };
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds `-u/--url`, `-i/--protocol` and `--timeout-ms` to a command. */
export function addConnectionOptions(cmd: Command, defaultProtocol: Protocol = 'http'): Command {
  return cmd
    .option('-u, --url <url>', `server address (default ${DEFAULT_URLS.http} for http, ${DEFAULT_URLS.grpc} for grpc)`)
    .addOption(
      new Option('-i, --protocol <protocol>', 'protocol to use').choices(['grpc', 'http']).default(defaultProtocol),
    )
    .option('--timeout-ms <ms>', 'time limit of each call in milliseconds', wholeNumber(1));
}

/**
 * The address a client gets: for HTTP a base URL with scheme (`http://` added when missing), for
 * gRPC `host:port` (a `grpc://` or `http://` scheme and any path removed).
 *
 * @example
 * ```ts
 * resolveTarget('http', undefined);           // 'http://localhost:8000'
 * resolveTarget('grpc', 'http://h:9001/');    // 'h:9001'
 * ```
 */
export function resolveTarget(protocol: Protocol, url: string | undefined): string {
  const given = (url ?? DEFAULT_URLS[protocol]).trim();
  if (protocol === 'http') {
    const withScheme = /^https?:\/\//i.test(given) ? given : `http://${given}`;
    return withScheme.replace(/\/+$/, '');
  }
  return given.replace(/^(grpc|grpcs|http|https):\/\//i, '').replace(/\/.*$/, '');
}

/** Opens a client for the options (no call is made until a method is used). */
export function connect(options: ConnectionOptions): InferenceClient {
  const target = resolveTarget(options.protocol, options.url);
  const common = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  return options.protocol === 'grpc' ? InferenceClient.grpc(target, common) : InferenceClient.http(target, common);
}

/** One line describing a failure: the server's message, with its code when it has one. */
export function describeError(err: unknown): string {
  if (err instanceof InferenceServerError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** Sets the command's exit status (in-process runs keep it; `main.ts` sets `process.exitCode`). */
export type ExitSetter = (code: number) => void;

/**
 * Wraps a command's action: the action returns its exit status; anything it throws is printed on
 * stderr as `tensorgate <name>: <message>` and gives status 1.
 */
export function commandAction<A extends unknown[]>(
  name: string,
  io: CliIO,
  setExit: ExitSetter,
  run: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      setExit(await run(...args));
    } catch (err) {
      io.stderr.write(`tensorgate ${name}: ${describeError(err)}\n`);
      setExit(1);
    }
  };
}
