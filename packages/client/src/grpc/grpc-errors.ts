/**
 * grpc-js errors as {@link InferenceServerError}s.
 */
import type { ServiceError } from '@grpc/grpc-js';
import { codeFromGrpcStatus, InferenceServerError } from '../errors.js';

function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number';
}

/**
 * Converts a failed call's error: the gRPC status becomes `status` and `code`, the status details
 * (the server's own message) become `message`.
 *
 * @example
 * ```ts
 * fromGrpcError(err, 'req-1').code // e.g. 'NOT_FOUND'
 * ```
 */
export function fromGrpcError(e: unknown, requestId: string): InferenceServerError {
  if (e instanceof InferenceServerError) return e;
  if (!isServiceError(e)) return InferenceServerError.from(e, { transport: 'grpc', requestId });
  return new InferenceServerError(e.details || e.message, {
    code: codeFromGrpcStatus(e.code),
    status: e.code,
    transport: 'grpc',
    requestId,
    cause: e,
  });
}
