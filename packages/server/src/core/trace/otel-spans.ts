/**
 * OpenTelemetry mode (`--trace-config mode=opentelemetry`): finished trace trees become spans,
 * exported over OTLP/HTTP (protobuf) by the OpenTelemetry JS SDK's batch span processor, with
 * the spans Triton's OpenTelemetry mode makes (src/tracer.cc, docs/user_guide/trace.md):
 *
 * - `InferRequest`: the request in the server, with the frontend's timestamps as events
 *   (HTTP_RECV_START, ..., GRPC_SEND_END); its parent is the W3C `traceparent` the request
 *   carried, when it carried one;
 * - one span per model request, named after the model (parent: `InferRequest`, or for an
 *   ensemble step or BLS call, its caller's model span), with REQUEST_START, QUEUE_START and
 *   REQUEST_END events and the attributes `triton.model_name`, `triton.model_version`,
 *   `triton.trace_id`, `triton.trace_parent_id` and `triton.request_id` (when set);
 * - `compute`, a child of the model span, with the COMPUTE_* events.
 *
 * Spans are built when the tree is finished, from the monotonic timestamps the core recorded,
 * mapped to wall-clock time once (as Triton's `time_offset_`). Every span is recorded
 * (AlwaysOnSampler): the server already chose which requests to trace.
 */
import {
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type HrTime,
  type Span,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { RequestTrace } from './request-trace.js';

/** `--trace-config opentelemetry,...` settings, as Triton names them. */
export interface OtelSettings {
  /** OTLP/HTTP traces endpoint (Triton's default `http://localhost:4318/v1/traces`). */
  readonly url: string;
  /** Resource attributes, `key=value` each (Triton's default `service.name=triton-inference-server`). */
  readonly resource: readonly string[];
  readonly bspMaxQueueSize: number;
  /** Milliseconds between two exports. */
  readonly bspScheduleDelay: number;
  readonly bspMaxExportBatchSize: number;
}

/** The log message of a problem the SDK reports (e.g. a failed export: the collector is down). */
const OTEL_PROBLEM = 'OpenTelemetry SDK reported a problem (spans may be lost)';

/** The instrumentation scope name Triton uses. */
const TRACER_NAME = 'triton-server';

const propagator = new W3CTraceContextPropagator();
const getter = {
  get: (carrier: Record<string, string>, key: string): string | undefined => carrier[key],
  keys: (carrier: Record<string, string>): string[] => Object.keys(carrier),
};

/** A frontend timestamp (reported on the `InferRequest` span). */
function frontendStamp(name: string): boolean {
  return name.startsWith('HTTP_') || name.startsWith('GRPC_');
}

/**
 * @example
 * ```ts
 * const spans = new OtelSpans(settings, clock.nowNs(), clock.wallMs());
 * spans.export(root); // later, batched
 * await spans.shutdown(); // flushes
 * ```
 */
export class OtelSpans {
  private readonly provider: BasicTracerProvider;
  private readonly tracer;
  /** Wall-clock milliseconds at monotonic 0. */
  private readonly offsetMs: number;

  constructor(settings: OtelSettings, nowNs: number, wallMs: number, logger?: Logger) {
    if (logger) {
      // The SDK reports failed exports (a collector that is down) through its diagnostics
      // logger, which is silent unless one is set: send its warnings and errors to ours.
      const log = logger.child({ component: 'opentelemetry' });
      const quiet = (): void => undefined;
      diag.setLogger(
        {
          error: (message, ...args) => log.warn({ details: [message, ...args.map(String)] }, OTEL_PROBLEM),
          warn: (message, ...args) => log.warn({ details: [message, ...args.map(String)] }, OTEL_PROBLEM),
          info: quiet,
          debug: quiet,
          verbose: quiet,
        },
        { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
      );
    }
    const attributes: Attributes = { 'service.name': 'triton-inference-server' };
    for (const kv of settings.resource) {
      const at = kv.indexOf('=');
      attributes[kv.slice(0, at)] = kv.slice(at + 1);
    }
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes(attributes),
      sampler: new AlwaysOnSampler(),
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.url }), {
          maxQueueSize: settings.bspMaxQueueSize,
          maxExportBatchSize: settings.bspMaxExportBatchSize,
          scheduledDelayMillis: settings.bspScheduleDelay,
        }),
      ],
    });
    this.tracer = this.provider.getTracer(TRACER_NAME);
    this.offsetMs = wallMs - nowNs / 1e6;
  }

  /** Turns a finished trace tree into spans (exported in the background). */
  export(root: RequestTrace): void {
    let parent = ROOT_CONTEXT;
    if (root.propagated) {
      const carrier: Record<string, string> = { traceparent: root.propagated.traceparent };
      if (root.propagated.tracestate !== undefined) carrier['tracestate'] = root.propagated.tracestate;
      parent = propagator.extract(ROOT_CONTEXT, carrier, getter);
    }
    const all = [root, ...(root.descendants ?? [])];
    let first = Infinity;
    let last = -Infinity;
    for (const t of all) {
      for (let i = 1; i < t.stamps.length; i += 2) {
        const ns = t.stamps[i] as number;
        if (ns < first) first = ns;
        if (ns > last) last = ns;
      }
    }
    if (first === Infinity) return;
    const request = this.start('InferRequest', first, parent, undefined);
    for (let i = 0; i < root.stamps.length; i += 2) {
      const name = root.stamps[i] as string;
      if (frontendStamp(name)) request.addEvent(name, this.time(root.stamps[i + 1] as number));
    }
    const modelSpans = new Map<RequestTrace, Span>();
    for (const t of all) {
      if (t.modelName === '') continue;
      const callerSpan = t.parent ? modelSpans.get(t.parent) : undefined;
      const start = t.stamp('REQUEST_START') ?? first;
      const attributes: Attributes = {
        'triton.model_name': t.modelName,
        'triton.model_version': t.modelVersion,
        'triton.trace_id': t.id,
        'triton.trace_parent_id': t.parentId,
      };
      if (t.requestId !== '') attributes['triton.request_id'] = t.requestId;
      const model = this.start(t.modelName, start, trace.setSpan(parent, callerSpan ?? request), attributes);
      modelSpans.set(t, model);
      let compute: Span | undefined;
      let end = start;
      for (let i = 0; i < t.stamps.length; i += 2) {
        const name = t.stamps[i] as string;
        const ns = t.stamps[i + 1] as number;
        if (frontendStamp(name)) continue;
        if (name === 'COMPUTE_START') compute = this.start('compute', ns, trace.setSpan(parent, model), undefined);
        (compute ?? model).addEvent(name, this.time(ns));
        if (name === 'COMPUTE_END' && compute) {
          compute.end(this.time(ns));
          compute = undefined;
        }
        if (ns > end) end = ns;
      }
      compute?.end(this.time(end));
      model.end(this.time(end));
    }
    request.end(this.time(last));
  }

  /** Exports what is queued and stops the exporter. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }

  private start(name: string, ns: number, parent: typeof ROOT_CONTEXT, attributes: Attributes | undefined): Span {
    return this.tracer.startSpan(
      name,
      { kind: SpanKind.SERVER, startTime: this.time(ns), ...(attributes ? { attributes } : {}) },
      parent,
    );
  }

  private time(ns: number): HrTime {
    const ms = this.offsetMs + ns / 1e6;
    const seconds = Math.floor(ms / 1000);
    return [seconds, Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6))];
  }
}
