/**
 * One trace setting in effect (the global one, or a model's): its values, its sampling counters
 * and the traces it collected but has not written yet. Triton's `TraceManager::TraceSetting`
 * (src/tracer.cc): a setting is replaced, never changed, when a client updates it, so the
 * counters start again and in-flight traces finish under the setting that sampled them.
 *
 * Sampling: every request counts; each `rate`-th is traced while `count` (remaining traces, -1
 * unlimited) is not 0; a request carrying a W3C trace context is always traced in OpenTelemetry
 * mode (`force`). Writing (Triton mode): a finished trace joins the setting's stream; every
 * `log_frequency` traces (when not 0) the stream goes to a new `<trace_file>.<n>`, and so does
 * what is left once `count` traces are collected; otherwise the stream goes to `<trace_file>`
 * when the setting is replaced or the server stops. Unlike Triton, which keeps that stream in
 * memory until then, a stream past {@link MAX_STREAM_BYTES} is appended to `<trace_file>` at
 * once, so memory stays bounded (the file's content is the same).
 */
import { RequestTrace, tritonTraceRecords, type TraceOwner } from './request-trace.js';
import type { TraceFile } from './trace-file.js';

/** Triton's trace modes. */
export type TraceMode = 'triton' | 'opentelemetry';

/** Text of unwritten traces a setting keeps before appending it to the main file. */
export const MAX_STREAM_BYTES = 4 * 1024 * 1024;

/** A setting's values. */
export interface TraceValues {
  /** Level bits: 0 OFF, 1 TIMESTAMPS, 2 TENSORS. */
  readonly level: number;
  readonly rate: number;
  /** Traces still to collect when the setting was made; -1: unlimited. */
  readonly count: number;
  readonly logFrequency: number;
}

/** Which values a setting has of its own (the rest follow the global setting, or the start-up one). */
export interface TraceSpecified {
  readonly level: boolean;
  readonly rate: boolean;
  readonly count: boolean;
  readonly logFrequency: boolean;
}

/** Where a setting's traces go; shared by every setting of a server. */
export interface TraceSink {
  readonly mode: TraceMode;
  /** The start-up `trace_file` (Triton mode); undefined when none was given. */
  readonly file: TraceFile | undefined;
  nextId(): number;
  /** OpenTelemetry mode: exports a finished trace tree as spans. */
  exportSpans(root: RequestTrace): void;
}

/**
 * @example
 * ```ts
 * const s = new TraceSetting({ level: 1, rate: 1, count: -1, logFrequency: 0 }, NONE_SPECIFIED, sink);
 * s.sampleTrace(false); // a RequestTrace: rate 1 traces every request
 * ```
 */
export class TraceSetting implements TraceOwner {
  /** Traces still to collect (-1 unlimited); reported as `trace_count`. */
  count: number;
  private sampled = 0;
  private created = 0;
  private collected = 0;
  private inStream = 0;
  private stream: string[] = [];
  private streamBytes = 0;
  private retired = false;
  private readonly reason: string | undefined;

  constructor(
    readonly values: TraceValues,
    readonly specified: TraceSpecified,
    private readonly sink: TraceSink,
  ) {
    this.count = values.count;
    if (values.level === 0) this.reason = 'tracing is disabled';
    else if (values.rate === 0) this.reason = 'sample rate must be non-zero';
    else if (sink.mode === 'triton' && sink.file === undefined) this.reason = 'trace file name is not given';
    else if (values.count === 0) this.reason = 'trace count is 0 (no trace would be collected)';
  }

  /** Why this setting traces nothing, when the level is on but it still cannot (Triton's `Reason()`). */
  get invalidReason(): string | undefined {
    return this.values.level === 0 ? undefined : this.reason;
  }

  /** Decides whether this request is traced; returns its trace if so. Called once per request. */
  sampleTrace(force: boolean): RequestTrace | undefined {
    if (this.reason !== undefined && !(force && this.values.level !== 0 && this.sink.mode === 'opentelemetry')) {
      return undefined;
    }
    let hit = false;
    if (this.values.rate !== 0 && this.count !== 0) {
      hit = ++this.sampled % this.values.rate === 0;
      if (hit) {
        if (this.count > 0) this.count--;
        this.created++;
      }
    }
    if (!hit && !force) return undefined;
    if (!hit) this.created++;
    return new RequestTrace(this, this.values.level);
  }

  nextId(): number {
    return this.sink.nextId();
  }

  finished(root: RequestTrace): void {
    if (this.sink.mode === 'opentelemetry') {
      this.sink.exportSpans(root);
      return;
    }
    const text = tritonTraceRecords(root);
    this.collected++;
    if (text === '') return;
    this.stream.push(text);
    this.streamBytes += text.length;
    this.inStream++;
    const file = this.sink.file;
    if (file === undefined) return;
    const lf = this.values.logFrequency;
    if ((this.count === 0 && this.collected >= this.created) || (lf !== 0 && this.inStream >= lf)) {
      file.writeIndexed(this.takeStream());
    } else if (this.retired || this.streamBytes > MAX_STREAM_BYTES) {
      // Replaced already (a late trace), or too much to keep: to the file now.
      if (lf !== 0) file.writeIndexed(this.takeStream());
      else file.appendMain(this.takeStream());
    }
  }

  /** The setting was replaced, or the server stops: what is left goes to the file, as in Triton. */
  retire(): void {
    this.retired = true;
    const file = this.sink.file;
    if (this.inStream === 0 || file === undefined) return;
    if (this.values.logFrequency !== 0) file.writeIndexed(this.takeStream());
    else file.appendMain(this.takeStream());
  }

  private takeStream(): string {
    const text = this.stream.join(',');
    this.stream = [];
    this.streamBytes = 0;
    this.inStream = 0;
    return text;
  }
}

/** A setting with nothing of its own. */
export const NONE_SPECIFIED: TraceSpecified = Object.freeze({
  level: false,
  rate: false,
  count: false,
  logFrequency: false,
});
