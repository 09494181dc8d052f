/**
 * The TraceSetting and LogSettings RPCs (the shared-memory RPCs are in shared-memory-handlers.ts).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type {
  LogSettingValueMessage,
  LogSettingsMessage,
  TraceSettingRequestMessage,
  TraceSettingValueMessage,
} from '@tensorgate/protocol';
import type { Logger } from 'pino';
import { invalidArg } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import type { LogSettingValue, LogSettingsStore } from '../../core/log-settings.js';
import { parseTraceChanges } from '../../core/trace/trace-changes.js';
import type { TraceManager } from '../../core/trace/trace-manager.js';
import { unary } from './unary.js';

function logValueOf(key: string, v: LogSettingValueMessage): LogSettingValue {
  const choice =
    v.parameter_choice ??
    (Object.hasOwn(v, 'bool_param')
      ? 'bool_param'
      : Object.hasOwn(v, 'uint32_param')
        ? 'uint32_param'
        : Object.hasOwn(v, 'string_param')
          ? 'string_param'
          : undefined);
  switch (choice) {
    case 'bool_param':
      return v.bool_param!;
    case 'uint32_param':
      return v.uint32_param!;
    case 'string_param':
      return v.string_param!;
    default:
      throw invalidArg(`log setting '${key}' has no value`);
  }
}

function toLogMessage(values: object): LogSettingsMessage {
  const settings: Record<string, LogSettingValueMessage> = {};
  for (const [key, value] of Object.entries(values) as Array<[string, LogSettingValue]>) {
    settings[key] =
      typeof value === 'boolean'
        ? { bool_param: value }
        : typeof value === 'number'
          ? { uint32_param: value }
          : { string_param: value };
  }
  return { settings };
}

function toTraceMessage(values: Record<string, string[]>): { settings: Record<string, TraceSettingValueMessage> } {
  const settings: Record<string, TraceSettingValueMessage> = {};
  for (const key of Object.keys(values)) settings[key] = { value: values[key]! };
  return { settings };
}

/**
 * Handlers of the settings RPCs, keyed by RPC name.
 *
 * TraceSetting for a model answers, as Triton, INVALID_ARG `Request for unknown model : <name>`
 * unless the model is ready: per-model settings are kept per name, so settings for any name a
 * client makes up would grow the store without bound (each name up to the message limit).
 *
 * @example
 * ```ts
 * server.addService(definition, { ...settingsHandlers(core, logger, new LogSettingsStore(logger), traceManager) });
 * ```
 */
export function settingsHandlers(
  core: Pick<InferenceCore, 'isModelReady'>,
  logger: Logger,
  logSettings: LogSettingsStore,
  traces: TraceManager,
): UntypedServiceImplementation {
  const handlers: UntypedServiceImplementation = {};
  handlers['LogSettings'] = unary(logger, (req: LogSettingsMessage) => {
    const changes: Record<string, LogSettingValue> = {};
    let any = false;
    for (const key in req.settings ?? {}) {
      changes[key] = logValueOf(key, req.settings![key]!);
      any = true;
    }
    return toLogMessage(any ? logSettings.update(changes) : logSettings.get());
  });
  handlers['TraceSetting'] = unary(logger, (req: TraceSettingRequestMessage) => {
    if (req.model_name !== '' && !core.isModelReady(req.model_name)) {
      throw invalidArg(`Request for unknown model : ${req.model_name}`);
    }
    // A setting with no value clears it (a model's then follows the global one), as in Triton.
    // Client-chosen keys: a null-prototype object keeps `__proto__` as a key (refused by name).
    const changes = Object.create(null) as Record<string, string[] | null>;
    let any = false;
    for (const key in req.settings ?? {}) {
      const value = req.settings![key]!.value ?? [];
      changes[key] = value.length === 0 ? null : value;
      any = true;
    }
    if (any) traces.update(req.model_name, parseTraceChanges(changes, traces.startup.mode));
    return toTraceMessage(traces.settings(req.model_name));
  });
  return handlers;
}
