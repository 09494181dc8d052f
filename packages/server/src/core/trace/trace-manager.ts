/**
 * The server's tracing: Triton's `TraceManager` (src/tracer.cc). It holds the start-up setting
 * (`--trace-config`), the global setting and per-model settings, applies updates with Triton's
 * rules (a model's setting keeps only the values a client gave it and follows the global setting
 * for the rest; clearing every value drops it), answers the settings as the trace extension
 * reports them, and samples requests. The composition root creates one and hands it to both
 * frontends; the core records into the traces they start.
 */
import type { Logger } from 'pino';
import { invalidArg } from '../errors.js';
import type { PropagatedContext, RequestTrace } from './request-trace.js';
import { TRACE_TENSORS, TRACE_TIMESTAMPS } from './request-trace.js';
import type { TraceUpdate } from './trace-changes.js';
import { TraceFile } from './trace-file.js';
import { OtelSpans, type OtelSettings } from './otel-spans.js';
import {
  NONE_SPECIFIED,
  TraceSetting,
  type TraceMode,
  type TraceSink,
  type TraceSpecified,
  type TraceValues,
} from './trace-setting.js';

/** The start-up trace configuration (`--trace-config`), Triton's defaults when not given. */
export interface TraceStartup extends TraceValues {
  readonly mode: TraceMode;
  /** `triton,file=`: '' when not given. */
  readonly file: string;
  /** OpenTelemetry mode's settings. */
  readonly otel: OtelSettings;
}

/** Triton's defaults: OFF, rate 1000, count -1, log frequency 0, triton mode, no file. */
export const DEFAULT_TRACE_STARTUP: TraceStartup = Object.freeze({
  mode: 'triton',
  level: 0,
  rate: 1000,
  count: -1,
  logFrequency: 0,
  file: '',
  otel: Object.freeze({
    url: 'http://localhost:4318/v1/traces',
    resource: [],
    bspMaxQueueSize: 2048,
    bspScheduleDelay: 5000,
    bspMaxExportBatchSize: 512,
  }),
});

/** Options of a {@link TraceManager}. */
export interface TraceManagerOptions {
  /** Monotonic now in ns and wall-clock ms (OpenTelemetry maps one to the other once). */
  readonly clock: { nowNs(): number; wallMs(): number };
  readonly logger?: Logger | undefined;
}

/** Level bits → the names the trace extension reports. */
export function traceLevelNames(level: number): string[] {
  if (level === 0) return ['OFF'];
  const names: string[] = [];
  if (level & TRACE_TIMESTAMPS) names.push('TIMESTAMPS');
  if (level & TRACE_TENSORS) names.push('TENSORS');
  return names;
}

/**
 * @example
 * ```ts
 * const traces = new TraceManager({ ...DEFAULT_TRACE_STARTUP, level: 1, rate: 1, file: '/tmp/t.json' }, { clock: systemClock });
 * const trace = traces.startTrace('simple', undefined); // traced: rate 1
 * traces.update('simple', { rate: 10 });
 * traces.settings('simple').trace_rate; // ['10']
 * ```
 */
export class TraceManager {
  private readonly startupSetting: TraceSetting;
  private global: TraceSetting;
  private readonly models = new Map<string, TraceSetting>();
  private readonly sink: TraceSink;
  private readonly otel: OtelSpans | undefined;
  private ids = 0;

  constructor(
    readonly startup: TraceStartup,
    options: TraceManagerOptions,
  ) {
    const logger = options.logger;
    const file =
      startup.mode === 'triton' && startup.file !== ''
        ? new TraceFile(startup.file, {
            onProblem: (p) =>
              p.kind === 'dropped'
                ? logger?.warn({ file: startup.file }, 'trace file writes fall behind: dropping traces')
                : logger?.error({ err: p.error, file: startup.file }, 'writing the trace file failed'),
          })
        : undefined;
    this.otel =
      startup.mode === 'opentelemetry'
        ? new OtelSpans(startup.otel, options.clock.nowNs(), options.clock.wallMs(), logger)
        : undefined;
    const otel = this.otel;
    this.sink = {
      mode: startup.mode,
      file,
      nextId: () => ++this.ids,
      exportSpans: (root) => otel?.export(root),
    };
    this.startupSetting = new TraceSetting(startup, NONE_SPECIFIED, this.sink);
    this.global = new TraceSetting(startup, NONE_SPECIFIED, this.sink);
  }

  /** True in OpenTelemetry mode: frontends pass the request's W3C trace context. */
  get propagates(): boolean {
    return this.startup.mode === 'opentelemetry';
  }

  /**
   * Samples a request for `model` (its setting, or the global one); returns its trace when it is
   * traced. `propagated`: the request's W3C context (OpenTelemetry mode traces every request that
   * carries one, whatever the rate and count, as Triton does).
   */
  startTrace(model: string, propagated: PropagatedContext | undefined): RequestTrace | undefined {
    const setting = (this.models.size > 0 ? this.models.get(model) : undefined) ?? this.global;
    if (setting.values.level === 0) return undefined;
    const force = propagated !== undefined && this.startup.mode === 'opentelemetry';
    const trace = setting.sampleTrace(force);
    if (trace && force) trace.propagated = propagated;
    return trace;
  }

  /** Applies `update` to `model`'s setting ('' = the global one), all or nothing. */
  update(model: string, update: TraceUpdate): void {
    this.updateOne(model, update);
    if (model === '') {
      // Model settings follow the global one for what they do not specify: remake them.
      for (const name of [...this.models.keys()]) this.updateOne(name, {});
    }
  }

  /** The settings in effect for `model` ('' = global), as the trace extension reports them. */
  settings(model: string): Record<string, string[]> {
    const s = (model === '' ? undefined : this.models.get(model)) ?? this.global;
    const out: Record<string, string[]> = {
      trace_level: traceLevelNames(s.values.level),
      trace_rate: [String(s.values.rate)],
      trace_count: [String(s.count)],
    };
    if (this.startup.mode === 'triton') {
      out['log_frequency'] = [String(s.values.logFrequency)];
      out['trace_file'] = [this.startup.file];
    }
    out['trace_mode'] = [this.startup.mode];
    if (this.startup.mode === 'opentelemetry') {
      const o = this.startup.otel;
      out['url'] = [o.url];
      if (o.resource.length > 0) out['resource'] = [...o.resource];
      out['bsp_max_queue_size'] = [String(o.bspMaxQueueSize)];
      out['bsp_schedule_delay'] = [String(o.bspScheduleDelay)];
      out['bsp_max_export_batch_size'] = [String(o.bspMaxExportBatchSize)];
    }
    return out;
  }

  /** Writes what the settings still hold, closes the trace file, flushes the span exporter. */
  async shutdown(): Promise<void> {
    this.global.retire();
    for (const s of this.models.values()) s.retire();
    this.startupSetting.retire();
    await this.sink.file?.close();
    await this.otel?.shutdown();
  }

  /** Resolves once the trace file has every write made so far (tests, tools). */
  async flushed(): Promise<void> {
    await this.sink.file?.flushed();
  }

  private updateOne(model: string, update: TraceUpdate): void {
    const current = model === '' ? this.global : this.models.get(model);
    const fallback = model === '' ? this.startupSetting : this.global;
    const pick = <K extends keyof TraceValues & keyof TraceSpecified>(key: K): [number, boolean] => {
      const given = update[key];
      const specified = given === null ? false : given !== undefined || current?.specified[key] === true;
      if (!specified) return [fallback.values[key], false];
      return [given ?? current!.values[key], true];
    };
    const [level, levelSpecified] = pick('level');
    const [rate, rateSpecified] = pick('rate');
    const [count, countSpecified] = pick('count');
    const [logFrequency, logFrequencySpecified] = pick('logFrequency');
    const specified = {
      level: levelSpecified,
      rate: rateSpecified,
      count: countSpecified,
      logFrequency: logFrequencySpecified,
    };
    if (model !== '' && !levelSpecified && !rateSpecified && !countSpecified && !logFrequencySpecified) {
      // Nothing of its own left: the model follows the global setting.
      current?.retire();
      this.models.delete(model);
      return;
    }
    const next = new TraceSetting({ level, rate, count, logFrequency }, specified, this.sink);
    const reason = next.invalidReason;
    if (reason !== undefined) throw invalidArg(`Attempting to set invalid trace setting :${reason}`);
    current?.retire();
    if (model === '') this.global = next;
    else this.models.set(model, next);
  }
}
