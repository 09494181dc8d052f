/**
 * The server's logger from its settings: pino, writing Triton-like text lines (`log-line.ts`) or
 * JSON lines to stdout or `--log-file`, with Triton's per-severity switches applied by a log
 * method hook (so a switched-off severity costs no serialization).
 *
 * The encoding rule (docs/cli.md, "Logging"): `--log-encoding text|json` as given; `auto` (the
 * default) is text when `--log-format` is given or the destination is a terminal, JSON otherwise
 * (a pipe, a container's log, a file), so machines get JSON unless a person asked for text.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { LogOutput } from '../core/log-output.js';
import { formatLogLine } from './log-line.js';
import type { ServerSettings } from './settings-schema.js';
import { SettingsError } from './setting-values.js';

/** The settings the logger is made from. */
export type LoggerSettings = Pick<
  ServerSettings,
  'logLevel' | 'logFile' | 'logFormat' | 'logEncoding' | 'logInfo' | 'logWarning' | 'logError'
>;

/** Where lines go when there is no `--log-file` (tests inject one). */
export interface LogSink {
  write(line: string): unknown;
  /** Whether it is a terminal (decides `auto`). */
  readonly isTTY?: boolean;
}

/** A logger and the switches behind it (for the logging API). */
export interface ServerLogger {
  readonly logger: Logger;
  readonly output: LogOutput;
  /** The encoding chosen. */
  readonly encoding: 'text' | 'json';
}

/**
 * Moves a `msg` field of a log call's object aside when the call also gives a message, so a
 * JSON line never carries two `msg` keys (pino writes both).
 */
function withoutMsgField(args: unknown[]): unknown[] {
  const [first, second] = args;
  if (typeof second !== 'string' || first === null || typeof first !== 'object' || first instanceof Error) return args;
  if (!Object.prototype.hasOwnProperty.call(first, 'msg')) return args;
  const { msg, ...rest } = first as Record<string, unknown>;
  const key = 'message' in rest ? 'msg_field' : 'message';
  return [{ ...rest, [key]: msg }, ...args.slice(1)];
}

/** Opens `--log-file` for appending, or throws a message naming it. */
function openLogFile(path: string): LogSink {
  try {
    return pino.destination({ dest: path, append: true, sync: true });
  } catch (err) {
    throw new SettingsError(`--log-file '${path}' cannot be opened: ${(err as Error).message}`);
  }
}

/**
 * Creates the server's logger (`name`: the component of its text lines). Throws {@link SettingsError} when `--log-file` cannot be opened.
 *
 * @example
 * ```ts
 * const { logger } = createServerLogger(settings); // text on a terminal, JSON otherwise
 * logger.info({ model: 'simple' }, 'model ready');
 * ```
 */
export function createServerLogger(settings: LoggerSettings, sink?: LogSink, name = 'tensorgate'): ServerLogger {
  const output = new LogOutput({
    info: settings.logInfo,
    warning: settings.logWarning,
    error: settings.logError,
    format: settings.logFormat,
    file: settings.logFile ?? '',
  });
  const destination: LogSink =
    settings.logFile !== undefined
      ? openLogFile(settings.logFile)
      : (sink ?? Object.assign(pino.destination({ dest: 1, sync: true }), { isTTY: process.stdout.isTTY === true }));
  const terminal = settings.logFile === undefined && destination.isTTY === true;
  const encoding = settings.logEncoding === 'auto' ? (terminal ? 'text' : 'json') : settings.logEncoding;
  const options: LoggerOptions = {
    name,
    level: settings.logLevel,
    hooks: {
      logMethod(args, method, level) {
        if (!output.allows(level)) return;
        method.apply(this, withoutMsgField(args) as Parameters<typeof method>);
      },
    },
  };
  // JSON lines carry ISO 8601 times while the format is ISO8601 (it may change over the logging API).
  if (encoding === 'json') {
    options.timestamp = () =>
      output.state.format === 'ISO8601' ? pino.stdTimeFunctions.isoTime() : pino.stdTimeFunctions.epochTime();
  }
  const stream: DestinationStream =
    encoding === 'json'
      ? { write: (line: string) => void destination.write(line) }
      : {
          write(line: string) {
            let text: string;
            try {
              text = formatLogLine(JSON.parse(line) as Record<string, unknown>, output.state.format);
            } catch {
              text = line.trimEnd();
            }
            destination.write(`${text}\n`);
          },
        };
  return { logger: pino(options, stream), output, encoding };
}
