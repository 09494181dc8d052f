/**
 * `--trace-config`, as `tritonserver` reads it (src/command_line_parser.cc
 * ParseTraceConfigOption, SetGlobalTraceArgs, SetTritonTraceArgs, SetOpenTelemetryTraceArgs):
 * each entry is `<setting>=<value>` (global: `level`, `rate`, `count`, `mode`) or
 * `<mode>,<setting>=<value>` (`triton`: `file`, `log-frequency`; `opentelemetry`: `url`,
 * `resource`, `bsp_max_queue_size`, `bsp_schedule_delay`, `bsp_max_export_batch_size`, whose
 * defaults come from `OTEL_BSP_*` as in Triton). `level` may be given several times (levels add
 * up; `OFF` turns tracing off whatever else is given).
 *
 * Where Triton accepts a setting and then traces nothing (a level without a trace file, rate 0,
 * count 0), ignores one (an unknown setting, a setting of the other mode) or warns, tensorgate
 * refuses to start, naming it.
 */
import { TRACE_TENSORS, TRACE_TIMESTAMPS } from '../core/trace/request-trace.js';
import { DEFAULT_TRACE_STARTUP, type TraceStartup } from '../core/trace/trace-manager.js';
import type { TraceMode } from '../core/trace/trace-setting.js';

/** A `--trace-config` entry that cannot be used; the message names it. */
export class TraceConfigError extends Error {}

const GLOBAL = ['level', 'rate', 'count', 'mode'];
const PER_MODE: Record<TraceMode, string[]> = {
  triton: ['file', 'log-frequency', 'log_frequency'],
  opentelemetry: ['url', 'resource', 'bsp_max_queue_size', 'bsp_schedule_delay', 'bsp_max_export_batch_size'],
};

function bad(entry: string, why: string): TraceConfigError {
  return new TraceConfigError(`--trace-config ${entry}: ${why}`);
}

function parseMode(entry: string, text: string): TraceMode {
  const mode = text.toLowerCase();
  if (mode === 'triton' || mode === 'opentelemetry') return mode;
  throw bad(entry, `invalid trace mode '${text}'. Available options are "triton" and "opentelemetry"`);
}

/** Triton's level words (case-insensitive): off/false; timestamps/on/true/min/max; tensors. */
function parseLevel(entry: string, text: string): number {
  const word = text.toLowerCase();
  if (word === 'off' || word === 'false') return 0;
  if (['timestamps', 'on', 'true', 'min', 'max'].includes(word)) return TRACE_TIMESTAMPS;
  if (word === 'tensors') return TRACE_TENSORS;
  throw bad(entry, `invalid value for trace level option: ${text} (OFF, TIMESTAMPS or TENSORS)`);
}

function parseInt32(entry: string, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text)) throw bad(entry, `'${text}' is not an integer`);
  const n = Number(text);
  if (n < min || n > max) throw bad(entry, `${text} is out of range [${min}, ${max}]`);
  return n;
}

interface Entry {
  readonly text: string;
  readonly mode: TraceMode | undefined;
  readonly setting: string;
  readonly value: string;
}

function split(text: string): Entry {
  const comma = text.indexOf(',');
  const eq = text.indexOf('=', comma + 1);
  if (comma === 0) {
    throw bad(text, 'no trace mode specified; the format is <trace mode>,<setting>=<value> or <setting>=<value>');
  }
  if (eq < 0) throw bad(text, "the format is '<trace mode>,<setting>=<value>' or '<setting>=<value>'");
  const mode = comma > 0 && comma < eq ? parseMode(text, text.slice(0, comma)) : undefined;
  const setting = text.slice(mode === undefined ? 0 : comma + 1, eq);
  const value = text.slice(eq + 1);
  if (setting === '' || value === '') {
    throw bad(text, "the format is '<trace mode>,<setting>=<value>' or '<setting>=<value>'");
  }
  const known = mode === undefined ? GLOBAL : PER_MODE[mode];
  if (!known.includes(setting)) {
    throw bad(
      text,
      `unknown ${mode === undefined ? 'global' : mode} trace setting '${setting}' (known: ${known.join(', ')})`,
    );
  }
  return { text, mode, setting, value };
}

/**
 * Parses the `--trace-config` entries (`env`: `OTEL_BSP_*` and `OTEL_RESOURCE_ATTRIBUTES`).
 *
 * @example
 * ```ts
 * parseTraceConfig(['triton,file=/tmp/trace.json', 'level=TIMESTAMPS', 'rate=1'], {}).rate; // 1
 * ```
 */
export function parseTraceConfig(entries: readonly string[], env: NodeJS.ProcessEnv): TraceStartup {
  const parsed = entries.map(split);
  let mode: TraceMode = 'triton';
  let level = 0;
  let off = false;
  let rate = DEFAULT_TRACE_STARTUP.rate;
  let count = DEFAULT_TRACE_STARTUP.count;
  for (const e of parsed.filter((p) => p.mode === undefined)) {
    if (e.setting === 'mode') mode = parseMode(e.text, e.value);
    else if (e.setting === 'level') {
      const l = parseLevel(e.text, e.value);
      if (l === 0) off = true;
      level |= l;
    } else if (e.setting === 'rate') rate = parseInt32(e.text, e.value, 0, 2147483647);
    else if (e.setting === 'count') count = parseInt32(e.text, e.value, -1, 2147483647);
  }
  if (off) level = 0;
  const other = parsed.find((p) => p.mode !== undefined && p.mode !== mode);
  if (other) throw bad(other.text, `has no effect: the trace mode is '${mode}' (set it with --trace-config mode=...)`);
  const otel = { ...DEFAULT_TRACE_STARTUP.otel, resource: [] as string[] };
  const envBsp = (name: string, fallback: number): number => {
    const text = env[name];
    return text === undefined || text === '' ? fallback : parseInt32(`(${name}=${text})`, text, 0, 4294967295);
  };
  otel.bspMaxQueueSize = envBsp('OTEL_BSP_MAX_QUEUE_SIZE', otel.bspMaxQueueSize);
  otel.bspScheduleDelay = envBsp('OTEL_BSP_SCHEDULE_DELAY', otel.bspScheduleDelay);
  otel.bspMaxExportBatchSize = envBsp('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', otel.bspMaxExportBatchSize);
  for (const kv of (env['OTEL_RESOURCE_ATTRIBUTES'] ?? '').split(',').filter((s) => s !== '')) {
    if (kv.indexOf('=') <= 0) throw bad(`(OTEL_RESOURCE_ATTRIBUTES=${kv})`, 'expected key=value');
    otel.resource.push(kv);
  }
  let file = '';
  let logFrequency = 0;
  for (const e of parsed.filter((p) => p.mode !== undefined)) {
    switch (e.setting) {
      case 'file':
        file = e.value;
        break;
      case 'log-frequency':
      case 'log_frequency':
        logFrequency = parseInt32(e.text, e.value, 0, 4294967295);
        break;
      case 'url':
        if (!/^https?:\/\/[^/]+/.test(e.value)) throw bad(e.text, 'expected an http:// or https:// URL');
        otel.url = e.value;
        break;
      case 'resource':
        if (e.value.indexOf('=') <= 0) throw bad(e.text, 'expected resource=<key>=<value>');
        otel.resource.push(e.value);
        break;
      case 'bsp_max_queue_size':
        otel.bspMaxQueueSize = parseInt32(e.text, e.value, 1, 4294967295);
        break;
      case 'bsp_schedule_delay':
        otel.bspScheduleDelay = parseInt32(e.text, e.value, 0, 4294967295);
        break;
      default:
        otel.bspMaxExportBatchSize = parseInt32(e.text, e.value, 1, 4294967295);
    }
  }
  const all = entries.join(' ');
  if (level !== 0) {
    if (mode === 'triton' && file === '') {
      throw bad(all, 'a trace level is set but no trace file: add --trace-config triton,file=<path>');
    }
    if (mode === 'triton' && rate === 0)
      throw bad(all, 'rate=0 would trace nothing (the sample rate must be non-zero)');
    if (count === 0) throw bad(all, 'count=0 would trace nothing (use level=OFF to turn tracing off)');
    if (mode === 'opentelemetry' && level & TRACE_TENSORS) {
      throw bad(all, 'level=TENSORS is not supported in opentelemetry mode (only TIMESTAMPS is)');
    }
  }
  if (otel.bspMaxExportBatchSize > otel.bspMaxQueueSize) {
    throw bad(all, 'bsp_max_export_batch_size must be at most bsp_max_queue_size (spans would be lost)');
  }
  return { mode, level, rate, count, logFrequency, file, otel };
}
