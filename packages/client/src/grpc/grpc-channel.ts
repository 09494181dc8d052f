/**
 * The grpc-js channel of a client (credentials and channel options from {@link GrpcClientOptions})
 * and the per-method (de)serializers of GRPCInferenceService, built from our protos with
 * protobufjs `Type.encode` / `Type.decode` directly: no proto-loader and no JSON round trip.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';
import type protobuf from 'protobufjs';
import { DEFAULT_GRPC_KEEPALIVE, type GrpcClientOptions } from './grpc-options.js';
import { grpcTarget } from './grpc-target.js';

/** Fully qualified name of the inference service. */
export const SERVICE = 'inference.GRPCInferenceService';

/** How to call one RPC. */
export interface RpcMethod {
  readonly path: string;
  readonly serialize: (value: object) => Buffer;
  readonly deserialize: (bytes: Buffer) => protobuf.Message;
  /** The response type, for `toObject` conversions. */
  readonly responseType: protobuf.Type;
}

const methodCache = new Map<string, RpcMethod>();

/** The call descriptor of RPC `name` of GRPCInferenceService (built once per process). */
export function rpcMethod(name: string): RpcMethod {
  let m = methodCache.get(name);
  if (m === undefined) {
    const method = loadProtoRoot().lookupService(SERVICE).methods[name];
    if (method === undefined) throw new Error(`${SERVICE} has no method ${name}`);
    method.resolve();
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    m = {
      path: `/${SERVICE}/${name}`,
      serialize: (value) => {
        // protobufjs' writer returns a Buffer in Node; wrap (without copying) if it ever does not.
        const bytes = requestType.encode(value).finish();
        return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
      deserialize: (bytes) => responseType.decode(bytes),
      responseType,
    };
    methodCache.set(name, m);
  }
  return m;
}

const COMPRESSION = { none: 0, deflate: 1, gzip: 2 } as const;

/** grpc-js channel options for `options` (unlimited message sizes unless limited). */
export function channelOptions(options: GrpcClientOptions): grpc.ChannelOptions {
  const out: grpc.ChannelOptions = {
    'grpc.max_send_message_length': options.maxSendMessageBytes ?? -1,
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? -1,
  };
  if (options.keepalive !== false) {
    const keepalive = { ...DEFAULT_GRPC_KEEPALIVE, ...options.keepalive };
    out['grpc.keepalive_time_ms'] = keepalive.timeMs;
    out['grpc.keepalive_timeout_ms'] = keepalive.timeoutMs;
    out['grpc.keepalive_permit_without_calls'] = keepalive.permitWithoutCalls ? 1 : 0;
  }
  out['grpc.service_config'] = JSON.stringify({
    loadBalancingConfig: [{ [options.loadBalancing ?? 'round_robin']: {} }],
  });
  if (options.compression !== undefined && options.compression !== 'none') {
    out['grpc.default_compression_algorithm'] = COMPRESSION[options.compression];
  }
  const tls = options.tls;
  if (typeof tls === 'object' && tls.serverNameOverride !== undefined) {
    out['grpc.ssl_target_name_override'] = tls.serverNameOverride;
    out['grpc.default_authority'] = tls.serverNameOverride;
  }
  return { ...out, ...options.channelOptions };
}

/** Channel credentials: insecure, TLS with system roots, or TLS / mutual TLS with given PEMs. */
export function channelCredentials(options: GrpcClientOptions): grpc.ChannelCredentials {
  const tls = options.tls;
  if (tls === undefined || tls === false) return grpc.credentials.createInsecure();
  if (tls === true) return grpc.credentials.createSsl();
  const buf = (b: Uint8Array | undefined): Buffer | null =>
    b === undefined ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return grpc.credentials.createSsl(buf(tls.rootCerts), buf(tls.privateKey), buf(tls.certChain));
}

/** Builds the grpc-js client (one channel) for `target` (see {@link grpcTarget}). */
export function createChannel(target: string | readonly string[], options: GrpcClientOptions): grpc.Client {
  return new grpc.Client(grpcTarget(target), channelCredentials(options), channelOptions(options));
}

/** grpc-js metadata from header maps (later maps win), with the call's wait-for-ready flag. */
export function metadataOf(
  waitForReady: boolean | undefined,
  ...maps: Array<Readonly<Record<string, string>> | undefined>
): grpc.Metadata {
  const md = new grpc.Metadata(waitForReady === true ? { waitForReady: true } : {});
  for (const m of maps) if (m !== undefined) for (const [k, v] of Object.entries(m)) md.set(k.toLowerCase(), v);
  return md;
}
