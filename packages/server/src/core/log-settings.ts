/**
 * The server's log settings as Triton exposes them (gRPC LogSettings, HTTP `/v2/logging`),
 * applied to a pino logger's level. Protocol-neutral so the HTTP frontend can share one
 * instance with the gRPC frontend.
 *
 * Mapping to pino levels: `log_verbose_level` ≥ 1 → debug (≥ 2 → trace); otherwise the most
 * detailed of log_info → info, log_warning → warn, log_error → error; none → silent. Only the
 * `default` format is supported, and `log_file` is reported but never set over the network (as in
 * Triton, with its message); asking for anything else is an UNSUPPORTED error rather than a
 * setting that silently does nothing.
 */
import type { Logger } from 'pino';
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

  constructor(private readonly logger: Logger) {
    const level = logger.levelVal;
    const levels = logger.levels.values;
    this.values = {
      log_file: '',
      log_info: level <= (levels['info'] ?? 30),
      log_warning: level <= (levels['warn'] ?? 40),
      log_error: level <= (levels['error'] ?? 50),
      log_verbose_level: level <= (levels['trace'] ?? 10) ? 2 : level <= (levels['debug'] ?? 20) ? 1 : 0,
      log_format: 'default',
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
      if (key === 'log_format' && value !== 'default') {
        throw unsupported(`log format '${String(value)}' is not supported by tensorgate; only 'default' is`);
      }
      (next as unknown as Record<string, LogSettingValue>)[key] = value;
    }
    this.values = next;
    this.logger.level = levelOf(next);
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
