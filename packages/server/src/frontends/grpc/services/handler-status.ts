/**
 * What a custom service handler's failure becomes on the wire (docs/grpc-services.md#errors):
 * - an error with a gRPC status `code` (a number 1-16 or its name, `'INVALID_ARGUMENT'`) ends the
 *   call with that status and its `details` (else `message`);
 * - an error with one of the server's codes (`'INVALID_ARG'`, `'NOT_FOUND'`...: what
 *   `models.infer` responses carry in `error`) is mapped as every tensorgate RPC maps it;
 * - anything else is UNKNOWN with the error's message, as grpc-js answers a throwing handler.
 * Runs in the service worker; the main thread maps server codes (grpc-status.ts).
 */
import { ERROR_CODES, type ErrorCode } from '../../../core/errors.js';

/** gRPC status names by code (grpc's status.h order). */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const UNKNOWN = 2;
/** gRPC's INTERNAL. */
export const INTERNAL = 13;

/** A failure as it crosses to the main thread: a gRPC code, or -1 with a server error code. */
export interface HandlerStatus {
  readonly code: number;
  readonly serverCode: ErrorCode | '';
  readonly details: string;
}

/**
 * Reads a thrown value as a status.
 *
 * @example
 * ```ts
 * statusOfThrown(Object.assign(new Error('bad width'), { code: 'INVALID_ARGUMENT' })); // { code: 3, ... }
 * ```
 */
export function statusOfThrown(err: unknown): HandlerStatus {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    details?: unknown;
    message?: unknown;
  };
  const message = typeof e.details === 'string' ? e.details : typeof e.message === 'string' ? e.message : String(err);
  const code = e.code;
  if (typeof code === 'number' && Number.isInteger(code) && code >= 1 && code <= 16) {
    return { code, serverCode: '', details: message };
  }
  if (typeof code === 'string') {
    const grpc = GRPC_STATUS_NAMES.indexOf(code);
    if (grpc >= 1) return { code: grpc, serverCode: '', details: message };
    if ((ERROR_CODES as readonly string[]).includes(code)) {
      return { code: -1, serverCode: code as ErrorCode, details: message };
    }
  }
  return { code: UNKNOWN, serverCode: '', details: message };
}
