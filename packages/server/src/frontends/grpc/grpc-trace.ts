/**
 * Sampling a gRPC inference request for tracing (ModelInfer, each request of ModelStreamInfer).
 * The handler records GRPC_SEND_START / GRPC_SEND_END around handing the response to the
 * transport and then releases the trace. In OpenTelemetry mode the call's `traceparent` /
 * `tracestate` metadata becomes the trace's parent context.
 */
import type { PropagatedContext, RequestTrace } from '../../core/trace/request-trace.js';
import type { TraceManager } from '../../core/trace/trace-manager.js';

/** What both transports' call objects offer: grpc-js `Metadata.get`. */
export interface MetadataReader {
  get(key: string): Array<string | Buffer>;
}

function first(metadata: MetadataReader, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return value === undefined ? undefined : String(value);
}

/**
 * Samples a request for `model`; returns its trace when it is traced.
 *
 * @example
 * ```ts
 * const trace = startGrpcTrace(traces, request.modelName, call);
 * ```
 */
export function startGrpcTrace(
  traces: TraceManager,
  model: string,
  call: { readonly metadata?: MetadataReader | undefined },
): RequestTrace | undefined {
  let propagated: PropagatedContext | undefined;
  // Read only when used: the native transport makes the metadata view on each read.
  const metadata = traces.propagates ? call.metadata : undefined;
  if (metadata !== undefined) {
    const traceparent = first(metadata, 'traceparent');
    if (traceparent !== undefined) propagated = { traceparent, tracestate: first(metadata, 'tracestate') };
  }
  return traces.startTrace(model, propagated);
}
