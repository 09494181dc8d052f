/**
 * Trace settings as Triton exposes them (gRPC TraceSetting, HTTP `/v2/trace/setting`).
 *
 * tensorgate does not produce traces. The settings are kept (globally and per model) so that
 * clients and tools that read or write them keep working, values are validated like Triton
 * validates them, and the store logs a warning whenever tracing is switched on, since no trace
 * records will be written. Unknown keys are INVALID_ARG.
 */
import type { Logger } from 'pino';
import { invalidArg } from '../../core/errors.js';

/** Settings: each key maps to a list of strings, as on the wire. */
export type TraceSettingsValues = Record<string, string[]>;

const DEFAULTS: Readonly<TraceSettingsValues> = {
  trace_file: [''],
  trace_level: ['OFF'],
  trace_rate: ['1000'],
  trace_count: ['-1'],
  log_frequency: ['0'],
  trace_mode: ['triton'],
};

const LEVELS = new Set(['OFF', 'TIMESTAMPS', 'TENSORS']);

function validate(key: string, value: readonly string[]): void {
  if (!Object.prototype.hasOwnProperty.call(DEFAULTS, key)) {
    throw invalidArg(`trace setting '${key}' is unknown; known settings: ${Object.keys(DEFAULTS).join(', ')}`);
  }
  if (value.length === 0) return; // reset
  if (key === 'trace_level') {
    for (const level of value) {
      if (!LEVELS.has(level))
        throw invalidArg(`trace_level '${level}' is invalid; expected OFF, TIMESTAMPS or TENSORS`);
    }
    return;
  }
  if (value.length !== 1) throw invalidArg(`trace setting '${key}' takes exactly one value`);
  const v = value[0]!;
  if ((key === 'trace_rate' || key === 'log_frequency') && !/^\d+$/.test(v)) {
    throw invalidArg(`trace setting '${key}' expects a non-negative integer, got '${v}'`);
  }
  if (key === 'trace_count' && !/^(-1|\d+)$/.test(v)) {
    throw invalidArg(`trace setting 'trace_count' expects -1 or a non-negative integer, got '${v}'`);
  }
}

/**
 * Global and per-model trace settings.
 *
 * @example
 * ```ts
 * const traces = new TraceSettingsStore(logger);
 * traces.update('', { trace_rate: ['100'] }).trace_rate // ['100']
 * ```
 */
export class TraceSettingsStore {
  private readonly global: TraceSettingsValues = {};
  private readonly perModel = new Map<string, TraceSettingsValues>();

  constructor(private readonly logger: Logger) {}

  /** Settings in effect for a model ('' = global): model overrides, then global, then defaults. */
  get(model = ''): TraceSettingsValues {
    return { ...DEFAULTS, ...this.global, ...(model === '' ? {} : this.perModel.get(model)) };
  }

  /**
   * Validates and applies changes (all or nothing) for a model ('' = global); an empty list
   * resets a setting (a model's to the global value, a global one to the default).
   */
  update(model: string, changes: Readonly<Record<string, readonly string[]>>): TraceSettingsValues {
    for (const key of Object.keys(changes)) validate(key, changes[key]!);
    let target = this.global;
    if (model !== '') {
      target = this.perModel.get(model) ?? {};
      this.perModel.set(model, target);
    }
    for (const key of Object.keys(changes)) {
      const value = changes[key]!;
      if (value.length === 0) delete target[key];
      else target[key] = [...value];
    }
    const result = this.get(model);
    if (result['trace_level']?.some((l) => l !== 'OFF')) {
      this.logger.warn({ model }, 'trace settings stored, but tensorgate does not record traces');
    }
    return result;
  }
}
