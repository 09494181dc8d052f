/**
 * A trace setting request (HTTP `POST /v2[/models/{m}]/trace/setting` body, gRPC TraceSetting
 * `settings`) checked and turned into an update, with Triton's error messages (src/http_server.cc
 * HandleTrace, src/grpc/grpc_server.cc TraceSetting). Where Triton silently skips something (an
 * unknown key or level, `"12abc"` read as 12, `-1` as a rate read as 4294967295), tensorgate
 * refuses it, naming it.
 */
import { invalidArg, unsupported } from '../errors.js';
import { TRACE_TENSORS, TRACE_TIMESTAMPS } from './request-trace.js';
import type { TraceMode } from './trace-setting.js';

/** Changes to a setting: a value sets it, null clears it (back to the global value), absent leaves it. */
export interface TraceUpdate {
  level?: number | null;
  rate?: number | null;
  count?: number | null;
  logFrequency?: number | null;
}

/** The keys a client may change. */
export const UPDATABLE_TRACE_SETTINGS = ['trace_level', 'trace_rate', 'trace_count', 'log_frequency'] as const;

/** Keys a response reports but only the command line sets. */
const START_UP_ONLY = new Set([
  'trace_mode',
  'url',
  'resource',
  'bsp_max_queue_size',
  'bsp_schedule_delay',
  'bsp_max_export_batch_size',
]);

const UINT32_MAX = 4294967295;
const INT32_MAX = 2147483647;

function single(key: string, value: readonly string[]): string {
  if (value.length !== 1) throw invalidArg(`expect only 1 value for '${key}'`);
  return value[0]!;
}

function parseUint(key: string, text: string): number {
  if (!/^\d+$/.test(text)) throw invalidArg(`Unable to parse '${key}', got: ${text}`);
  const n = Number(text);
  if (n > UINT32_MAX) {
    throw invalidArg(`Unable to parse '${key}', value is out of range [ 0, ${UINT32_MAX} ], got: ${text}`);
  }
  return n;
}

function parseCount(text: string): number {
  if (!/^-?\d+$/.test(text)) throw invalidArg(`Unable to parse 'trace_count', got: ${text}`);
  const n = Number(text);
  if (n < -1) throw invalidArg(`Unable to parse 'trace_count'. Expecting value >= -1, got: ${text}`);
  if (n > INT32_MAX) {
    throw invalidArg(`Unable to parse 'trace_count', value is out of range [ -1, ${INT32_MAX} ], got: ${text}`);
  }
  return n;
}

/** Level names → level bits; OFF must stand alone. */
export function parseTraceLevels(levels: readonly string[], mode: TraceMode): number {
  let level = 0;
  for (const name of levels) {
    if (name === 'OFF') {
      if (levels.length !== 1) throw invalidArg("Expect only one trace level 'OFF' is specified");
    } else if (name === 'TIMESTAMPS') level |= TRACE_TIMESTAMPS;
    else if (name === 'TENSORS') {
      if (mode === 'opentelemetry') {
        throw unsupported("trace_level 'TENSORS' is not supported in opentelemetry trace mode (only TIMESTAMPS is)");
      }
      level |= TRACE_TENSORS;
    } else throw invalidArg(`trace_level '${name}' is invalid; expected OFF, TIMESTAMPS or TENSORS`);
  }
  return level;
}

/**
 * Checks the requested changes (null: clear the setting) and returns the update.
 *
 * @example
 * ```ts
 * parseTraceChanges({ trace_rate: ['10'], trace_count: null }, 'triton'); // { rate: 10, count: null }
 * ```
 */
export function parseTraceChanges(
  changes: Readonly<Record<string, readonly string[] | null>>,
  mode: TraceMode,
): TraceUpdate {
  const update: TraceUpdate = {};
  for (const key of Object.keys(changes)) {
    const value = changes[key]!;
    switch (key) {
      case 'trace_file':
        throw unsupported('trace file location can not be updated through network protocol');
      case 'trace_level':
        if (value !== null && value.length === 0) throw invalidArg("'trace_level' needs at least one level, or null");
        update.level = value === null ? null : parseTraceLevels(value, mode);
        break;
      case 'trace_rate':
        update.rate = value === null ? null : parseUint(key, single(key, value));
        break;
      case 'trace_count':
        update.count = value === null ? null : parseCount(single(key, value));
        break;
      case 'log_frequency':
        if (mode === 'opentelemetry') throw unsupported("'log_frequency' applies to the triton trace mode only");
        update.logFrequency = value === null ? null : parseUint(key, single(key, value));
        break;
      default:
        if (START_UP_ONLY.has(key)) {
          throw unsupported(`trace setting '${key}' can only be set at start-up (--trace-config)`);
        }
        throw invalidArg(
          `trace setting '${key}' is unknown; settings that can be updated: ${UPDATABLE_TRACE_SETTINGS.join(', ')}`,
        );
    }
  }
  return update;
}
