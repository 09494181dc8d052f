/**
 * The server's log settings as Triton exposes them (gRPC LogSettings, HTTP `/v2/logging`),
 * applied to a pino logger's level. Protocol-neutral so the HTTP frontend can share one
 * instance with the gRPC frontend.
 *
 * Mapping to pino levels: `log_verbose_level` ≥ 1 → debug (≥ 2 → trace); otherwise the most
 * detailed of log_info → info, log_warning → warn, log_error → error; none → silent. With a
 * {@link LogOutput} (the server's own logger, `cli/create-logger.ts`) the three switches and the
 * format (`default` / `ISO8601`) also apply to it exactly (a severity between two others can be
 * off); without one, only `default` is supported. `log_file` is reported but never set over the
 * network (as in Triton, with its message); asking for anything else is an UNSUPPORTED error
 * rather than a setting that silently does nothing.
 */
import type { Logger } from 'pino';
import type { LogOutput } from './log-output.js';
import { invalidArg, unsupported } from './errors.js';

/** The settings, with Triton's key names. */
export interface LogSettingsValues {
  log_file: string;
  log_info: boolean;
  log_warning: boolean;
  log_error: boolean;
  log_verbose_level: number;
  log_format: string;
}

/** A value as the protocols carry it. */
export type LogSettingValue = string | number | boolean;

const KEY_TYPES: Readonly<Record<keyof LogSettingsValues, 'string' | 'boolean' | 'number'>> = {
  log_file: 'string',
  log_info: 'boolean',
  log_warning: 'boolean',
  log_error: 'boolean',
  log_verbose_level: 'number',
  log_format: 'string',
};

function isKey(key: string): key is keyof LogSettingsValues {
  return Object.prototype.hasOwnProperty.call(KEY_TYPES, key);
}

/**
 * Current log settings, bound to a logger.
 *
 * @example
 * ```ts
 * const settings = new LogSettingsStore(logger);
 * settings.update({ log_verbose_level: 1 }); // logger.level === 'debug'
 * ```
 */
export class LogSettingsStore {
  private values: LogSettingsValues;

  constructor(
    private readonly logger: Logger,
    private readonly output?: LogOutput,
  ) {
    const level = logger.levelVal;
    const levels = logger.levels.values;
    const on = output?.state ?? { info: true, warning: true, error: true, format: 'default', file: '' };
    this.values = {
      log_file: on.file,
      log_info: on.info && level <= (levels['info'] ?? 30),
      log_warning: on.warning && level <= (levels['warn'] ?? 40),
      log_error: on.error && level <= (levels['error'] ?? 50),
      log_verbose_level: level <= (levels['trace'] ?? 10) ? 2 : level <= (levels['debug'] ?? 20) ? 1 : 0,
      log_format: on.format,
    };
  }

  /** The settings in effect. */
  get(): LogSettingsValues {
    return { ...this.values };
  }

  /**
   * Validates and applies changes (all or nothing); returns the settings in effect. Unknown keys
   * and wrongly typed values are INVALID_ARG; unsupported values are UNSUPPORTED.
   */
  update(changes: Readonly<Record<string, LogSettingValue>>): LogSettingsValues {
    const next: LogSettingsValues = { ...this.values };
    for (const key of Object.keys(changes)) {
      const value = changes[key]!;
      if (!isKey(key))
        throw invalidArg(`log setting '${key}' is unknown; known settings: ${Object.keys(KEY_TYPES).join(', ')}`);
      if (typeof value !== KEY_TYPES[key]) throw invalidArg(`log setting '${key}' expects a ${KEY_TYPES[key]} value`);
      if (key === 'log_verbose_level' && (!Number.isInteger(value) || (value as number) < 0)) {
        throw invalidArg(`log setting 'log_verbose_level' expects a non-negative integer`);
      }
      if (key === 'log_file') throw unsupported('log file location can not be updated through network protocol');
      const formats = this.output ? ['default', 'ISO8601'] : ['default'];
      if (key === 'log_format' && !formats.includes(value as string)) {
        throw unsupported(
          `log format '${String(value)}' is not supported by tensorgate; only ${formats.map((f) => `'${f}'`).join(' and ')}`,
        );
      }
      (next as unknown as Record<string, LogSettingValue>)[key] = value;
    }
    this.values = next;
    this.logger.level = levelOf(next);
    this.output?.update({
      info: next.log_info,
      warning: next.log_warning,
      error: next.log_error,
      format: next.log_format === 'ISO8601' ? 'ISO8601' : 'default',
    });
    return this.get();
  }
}

function levelOf(v: LogSettingsValues): string {
  if (v.log_verbose_level >= 2) return 'trace';
  if (v.log_verbose_level >= 1) return 'debug';
  if (v.log_info) return 'info';
  if (v.log_warning) return 'warn';
  if (v.log_error) return 'error';
  return 'silent';
}
