/**
 * Sampling an HTTP request for tracing and recording the HTTP timestamps Triton records:
 * HTTP_RECV_START (fastify's start of the request, when its headers were read), HTTP_RECV_END
 * (the handler has the whole body), HTTP_SEND_START (set by the handler before it sends) and
 * HTTP_SEND_END (the response was handed to the socket). The trace is released when the
 * response is over, whether it was a result or an error. In OpenTelemetry mode the request's
 * `traceparent` / `tracestate` headers become the trace's parent context.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { systemClock } from '../../core/clock.js';
import type { PropagatedContext, RequestTrace } from '../../core/trace/request-trace.js';
import type { TraceManager } from '../../core/trace/trace-manager.js';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Samples the request; when it is traced, records its receive timestamps and releases the trace
 * once the reply is over.
 *
 * @example
 * ```ts
 * const trace = startHttpTrace(traces, model, request, reply);
 * // ... core.infer(request, { ..., trace }); trace?.capture('HTTP_SEND_START', now); reply.send(...)
 * ```
 */
export function startHttpTrace(
  traces: TraceManager,
  model: string,
  request: FastifyRequest,
  reply: FastifyReply,
): RequestTrace | undefined {
  let propagated: PropagatedContext | undefined;
  if (traces.propagates) {
    const traceparent = header(request, 'traceparent');
    if (traceparent !== undefined) propagated = { traceparent, tracestate: header(request, 'tracestate') };
  }
  const trace = traces.startTrace(model, propagated);
  if (trace === undefined) return undefined;
  const now = systemClock.nowNs();
  trace.capture('HTTP_RECV_START', now - Math.round(reply.elapsedTime * 1e6));
  trace.capture('HTTP_RECV_END', now);
  reply.raw.once('close', () => {
    if (trace.stamp('HTTP_SEND_START') === undefined) trace.capture('HTTP_SEND_START', systemClock.nowNs());
    if (reply.raw.writableFinished) trace.capture('HTTP_SEND_END', systemClock.nowNs());
    trace.release();
  });
  return trace;
}
