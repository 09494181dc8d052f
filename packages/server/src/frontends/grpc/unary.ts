/**
 * Adapts a plain (sync or async) function to a grpc-js unary handler: its result is the reply,
 * anything it throws becomes a gRPC status through {@link toGrpcError}. Used by every RPC except
 * the hot ModelInfer path, which has its own closure-free handler.
 */
import type { handleUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { InferenceError } from '../../core/errors.js';
import { toGrpcError } from './grpc-status.js';

/**
 * Wraps `fn` as a unary handler.
 *
 * @example
 * ```ts
 * ServerLive: unary(logger, () => ({ live: core.isLive() }))
 * ```
 */
export function unary<Req, Res>(logger: Logger, fn: (request: Req) => Res | Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let result: Res | Promise<Res>;
    try {
      result = fn(call.request);
    } catch (err) {
      fail(logger, call.getPath(), err, callback);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value) => callback(null, value),
        (err: unknown) => fail(logger, call.getPath(), err, callback),
      );
    } else {
      callback(null, result);
    }
  };
}

function fail(
  logger: Logger,
  path: string,
  err: unknown,
  callback: (err: ReturnType<typeof toGrpcError>) => void,
): void {
  if (!(err instanceof InferenceError)) logger.error({ err, path }, 'gRPC handler failed unexpectedly');
  callback(toGrpcError(err));
}
