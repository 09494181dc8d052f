/**
 * A small OTLP/HTTP trace receiver for tests: a node:http server on 127.0.0.1 that accepts
 * `POST /v1/traces` with a protobuf `ExportTraceServiceRequest` (what the OpenTelemetry JS
 * proto exporter sends), decodes it with protobufjs against the part of the OTLP trace protos
 * the tests read (field numbers from opentelemetry-proto `trace/v1/trace.proto`; protobuf skips
 * the fields this subset leaves out), and keeps the spans.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

const OTLP_SUBSET = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  repeated Event events = 11;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; }
}
`;

const REQUEST = protobuf.parse(OTLP_SUBSET, { keepCase: true }).root.lookupType('otlp.ExportTraceServiceRequest');

/** One received span, ids as lower-case hex, times as ns strings, attributes flattened. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Record<string, string | number | boolean>;
  readonly events: ReadonlyArray<{ name: string; ns: bigint }>;
  readonly resource: Record<string, string | number | boolean>;
  readonly scope: string;
}

/** A running receiver. */
export interface OtlpReceiver {
  /** The URL to export to (`.../v1/traces`). */
  readonly url: string;
  /** Every span received so far. */
  readonly spans: ReceivedSpan[];
  /** Content types of the requests received. */
  readonly contentTypes: string[];
  close(): Promise<void>;
}

type Json = Record<string, any>;

function attributesOf(list: Json[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list ?? []) {
    const v = (kv['value'] ?? {}) as Json;
    out[kv['key'] as string] =
      v['string_value'] ??
      v['bool_value'] ??
      (v['int_value'] !== undefined ? Number(v['int_value']) : v['double_value']);
  }
  return out;
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

function decode(body: Buffer, into: ReceivedSpan[]): void {
  const message = REQUEST.toObject(REQUEST.decode(body), { longs: String, bytes: Buffer, defaults: false }) as Json;
  for (const rs of (message['resource_spans'] ?? []) as Json[]) {
    const resource = attributesOf(rs['resource']?.['attributes'] as Json[] | undefined);
    for (const ss of (rs['scope_spans'] ?? []) as Json[]) {
      for (const s of (ss['spans'] ?? []) as Json[]) {
        into.push({
          traceId: hex(s['trace_id'] as Uint8Array),
          spanId: hex(s['span_id'] as Uint8Array),
          parentSpanId: hex(s['parent_span_id'] as Uint8Array | undefined),
          name: s['name'] as string,
          kind: (s['kind'] as number | undefined) ?? 0,
          startNs: BigInt((s['start_time_unix_nano'] as string | undefined) ?? '0'),
          endNs: BigInt((s['end_time_unix_nano'] as string | undefined) ?? '0'),
          attributes: attributesOf(s['attributes'] as Json[] | undefined),
          events: ((s['events'] ?? []) as Json[]).map((e) => ({
            name: e['name'] as string,
            ns: BigInt((e['time_unix_nano'] as string | undefined) ?? '0'),
          })),
          resource,
          scope: (ss['scope']?.['name'] as string | undefined) ?? '',
        });
      }
    }
  }
}

/**
 * Starts a receiver on a free loopback port.
 *
 * @example
 * ```ts
 * const otlp = await startOtlpReceiver();
 * // ... --trace-config opentelemetry,url=${otlp.url}
 * await eventually(() => otlp.spans.length > 0);
 * ```
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        if (req.method !== 'POST' || req.url !== '/v1/traces') throw new Error(`unexpected ${req.method} ${req.url}`);
        contentTypes.push(String(req.headers['content-type']));
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        decode(body, spans);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    contentTypes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
