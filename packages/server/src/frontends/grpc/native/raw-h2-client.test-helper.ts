/**
 * A raw node:http2 gRPC caller for wire tests of what a good client never sends (wrong
 * content-type, split or extra messages, bad flags), returning the HTTP status, headers,
 * trailers and response messages as they came.
 */
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { loadProtoRoot } from '@tensorgate/protocol';
import { frameMessage, MessageReader } from './grpc-framing.js';

/** What came back for one raw request. */
export interface RawReply {
  /** HTTP `:status`. */
  status: number;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  /** The response messages, unframed. */
  messages: Buffer[];
  /** `grpc-status` from the trailers, or from the headers of a Trailers-Only response. */
  grpcStatus: number | undefined;
  /** The raw (still percent-encoded) `grpc-message`. */
  grpcMessage: string | undefined;
}

/** Options of {@link rawCall}. */
export interface RawCallOptions {
  method?: string;
  headers?: http2.OutgoingHttpHeaders;
  /** Written one by one, a macrotask apart, so each goes out as its own DATA frame. */
  chunks?: Buffer[];
}

/** Opens a plaintext HTTP/2 connection to 127.0.0.1:port. */
export function rawConnect(port: number): ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  return session;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Sends one raw request on `session` and collects the reply. */
export async function rawCall(
  session: ClientHttp2Session,
  path: string,
  options: RawCallOptions = {},
): Promise<RawReply> {
  const req = session.request({
    ':method': options.method ?? 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...options.headers,
  });
  const reply: RawReply = {
    status: 0,
    headers: {},
    trailers: {},
    messages: [],
    grpcStatus: undefined,
    grpcMessage: undefined,
  };
  const reader = new MessageReader(2 ** 31 - 1);
  req.on('response', (h) => {
    reply.headers = h;
    reply.status = Number(h[':status']);
  });
  req.on('trailers', (t) => (reply.trailers = t));
  req.on('data', (chunk: Buffer) => reader.push(chunk, { onFrame: (_c, payload) => reply.messages.push(payload) }));
  const done = new Promise<void>((resolve) => req.on('close', resolve));
  req.on('error', () => undefined);
  for (const chunk of options.chunks ?? []) {
    req.write(chunk);
    await tick();
  }
  req.end();
  await done;
  const status = reply.trailers['grpc-status'] ?? reply.headers['grpc-status'];
  reply.grpcStatus = status === undefined ? undefined : Number(status);
  const message = reply.trailers['grpc-message'] ?? reply.headers['grpc-message'];
  reply.grpcMessage = typeof message === 'string' ? message : undefined;
  return reply;
}

/** Encodes and frames a message of our protos (e.g. `inference.ModelInferRequest`). */
export function framed(type: string, value: Record<string, unknown>): Buffer {
  const t = loadProtoRoot().lookupType(type);
  return frameMessage(t.encode(t.fromObject(value)).finish());
}

/** Decodes a response message of our protos to a plain object. */
export function decoded(type: string, bytes: Buffer): Record<string, unknown> {
  const t = loadProtoRoot().lookupType(type);
  return t.toObject(t.decode(bytes), { longs: Number, defaults: true });
}
