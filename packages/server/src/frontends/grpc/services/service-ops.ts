/**
 * The packet operations between the gRPC frontend's service host (main thread) and a service
 * worker. They travel in the js backend's packets (backends/js/wire-packet.ts), next to its BLS
 * operations (Call, CallCancel, CallResponse of wire-codec.ts), so a handler's `models` calls use
 * the very same path as a JS model's. Codes start at 20, clear of wire-codec's.
 */

/** Operation codes of the service packets. */
export const ServiceOp = {
  /** (main → worker) callKey, path, deadline (epoch ms, -1: none), metadata object, peer. */
  Start: 20,
  /** (main → worker) callKey, request message bytes. */
  Message: 21,
  /** (main → worker) callKey: the client sent its last request. */
  HalfClose: 22,
  /** (main → worker) callKey, reason: the client cancelled, went away or the deadline passed. */
  Cancel: 23,
  /** (main → worker) callKey, count: responses the transport has taken (flow control). */
  Sent: 24,
  /** (worker → main) callKey, response message bytes (streaming responses). */
  Reply: 30,
  /** (worker → main) callKey, grpc code, server error code ('' or e.g. INVALID_ARG), details, has-message, [bytes]. */
  Finish: 31,
  /** (worker → main) callKey, count: request messages the handler has taken (flow control). */
  Taken: 32,
  /** (worker → main) level, message, path. */
  Log: 33,
} as const;

/**
 * Messages that may be on their way in either direction for one call before the sender waits
 * for the other side: a fast client or handler cannot pile up messages in the other thread.
 */
export const MESSAGE_WINDOW = 16;

/** What a service worker receives as `workerData`. */
export interface ServiceWorkerInit {
  /** The service folders (proto and module file of each). */
  readonly folders: ReadonlyArray<{
    readonly name: string;
    readonly dir: string;
    readonly protoFile: string;
    readonly moduleFile: string;
  }>;
}

/** Worker → main lifecycle messages (outside packets). */
export type ServiceWorkerStatus =
  { readonly type: 'ready' } | { readonly type: 'load-error'; readonly message: string };
