/**
 * The one error type of tensorgate. Every failure that reaches a client is an
 * {@link InferenceError} carrying one of Triton's error codes; each frontend maps the code to its
 * wire status in one exhaustive switch (see `frontends/http/http-status.ts` and
 * `frontends/grpc/grpc-status.ts`).
 */

import { elideMiddle } from './bounded-text.js';

/**
 * Longest message an {@link InferenceError} keeps, in UTF-16 code units. Messages echo what clients
 * sent (model, input and parameter names...), which can be megabytes; past this, the middle of the
 * message gives way to `...[N characters omitted]...`. Every message of normal-length names is far
 * shorter and unchanged.
 */
export const MAX_ERROR_MESSAGE_LENGTH = 4096;

/** Triton's error codes (TRITONSERVER_Error_Code), plus RESOURCE_EXHAUSTED for a full queue. */
export type ErrorCode =
  | 'UNKNOWN'
  | 'INTERNAL'
  | 'NOT_FOUND'
  | 'INVALID_ARG'
  | 'UNAVAILABLE'
  | 'UNSUPPORTED'
  | 'ALREADY_EXISTS'
  | 'CANCELLED'
  | 'DEADLINE_EXCEEDED'
  | 'RESOURCE_EXHAUSTED';

/** Every error code, for exhaustive tests of the status mappings. */
export const ERROR_CODES: readonly ErrorCode[] = [
  'UNKNOWN',
  'INTERNAL',
  'NOT_FOUND',
  'INVALID_ARG',
  'UNAVAILABLE',
  'UNSUPPORTED',
  'ALREADY_EXISTS',
  'CANCELLED',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
];

/**
 * An error with a Triton error code and a message meant for the client, at most
 * {@link MAX_ERROR_MESSAGE_LENGTH} long.
 *
 * @example
 * ```ts
 * throw new InferenceError('NOT_FOUND', "Request for unknown model: 'foo' is not found");
 * ```
 */
export class InferenceError extends Error {
  /** The Triton error code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(elideMiddle(message, MAX_ERROR_MESSAGE_LENGTH), options);
    this.name = 'InferenceError';
    this.code = code;
  }

  /**
   * Turns anything thrown into an InferenceError: InferenceErrors pass through, an AbortError
   * becomes CANCELLED, anything else becomes INTERNAL with its message.
   */
  static from(err: unknown, fallback: ErrorCode = 'INTERNAL'): InferenceError {
    if (err instanceof InferenceError) return err;
    if (err instanceof Error) {
      if (err.name === 'AbortError') return new InferenceError('CANCELLED', 'request cancelled', { cause: err });
      return new InferenceError(fallback, err.message, { cause: err });
    }
    return new InferenceError(fallback, String(err));
  }
}

/** Shorthand for `new InferenceError('INVALID_ARG', message)`. */
export const invalidArg = (message: string): InferenceError => new InferenceError('INVALID_ARG', message);
/** Shorthand for `new InferenceError('NOT_FOUND', message)`. */
export const notFound = (message: string): InferenceError => new InferenceError('NOT_FOUND', message);
/** Shorthand for `new InferenceError('UNAVAILABLE', message)`. */
export const unavailable = (message: string): InferenceError => new InferenceError('UNAVAILABLE', message);
/** Shorthand for `new InferenceError('UNSUPPORTED', message)`. */
export const unsupported = (message: string): InferenceError => new InferenceError('UNSUPPORTED', message);
/** Shorthand for `new InferenceError('INTERNAL', message)`. */
export const internal = (message: string): InferenceError => new InferenceError('INTERNAL', message);
