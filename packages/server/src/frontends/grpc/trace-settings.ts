/**
 * Trace settings as Triton exposes them (gRPC TraceSetting, HTTP `/v2/trace/setting`).
 *
 * tensorgate does not produce traces yet. The settings are kept (globally and per model) so that
 * clients and tools that read or write them keep working, and values are validated like Triton
 * validates them; but nothing that would ask for traces is accepted and then ignored:
 * `trace_level` other than OFF is UNSUPPORTED (no trace would ever be written), and so is
 * `trace_file`, with Triton's own message (Triton never lets the network choose a file path).
 * Unknown keys are INVALID_ARG.
 */
import { invalidArg, unsupported } from '../../core/errors.js';

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
  if (key === 'trace_file') throw unsupported('trace file location can not be updated through network protocol');
  if (value.length === 0) return; // reset
  if (key === 'trace_level') {
    for (const level of value) {
      if (!LEVELS.has(level))
        throw invalidArg(`trace_level '${level}' is invalid; expected OFF, TIMESTAMPS or TENSORS`);
      if (level !== 'OFF') {
        throw unsupported(`trace_level '${level}' is not supported: tensorgate does not record traces yet`);
      }
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
 * const traces = new TraceSettingsStore();
 * traces.update('', { trace_rate: ['100'] }).trace_rate // ['100']
 * ```
 */
export class TraceSettingsStore {
  private readonly global: TraceSettingsValues = {};
  private readonly perModel = new Map<string, TraceSettingsValues>();

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
    return this.get(model);
  }
}
