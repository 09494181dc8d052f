/**
 * Turning HTTP failures into {@link InferenceServerError}s: error responses (the KServe v2 body
 * `{"error": "..."}`) and fetch rejections (refused or lost connections).
 */
import { codeFromHttpStatus, InferenceServerError } from '../errors.js';

/**
 * The error of a non-200 response, with the server's message from the `error` field of a JSON
 * body (or the text body, or the status text) and the `Retry-After` hint when present.
 */
export async function errorFromResponse(res: Response, requestId: string): Promise<InferenceServerError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // the body was lost with the connection: the status still tells what happened
  }
  let message = text.trim();
  try {
    const doc = JSON.parse(text) as unknown;
    if (doc !== null && typeof doc === 'object' && typeof (doc as { error?: unknown }).error === 'string') {
      message = (doc as { error: string }).error;
    }
  } catch {
    // not JSON: keep the text
  }
  if (message === '') message = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  return new InferenceServerError(message, {
    code: codeFromHttpStatus(res.status),
    status: res.status,
    transport: 'http',
    requestId,
    retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
  });
}

/** Parses `Retry-After` (delay in seconds or an HTTP date) into milliseconds from now. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Error codes (Node / undici) of a connection that could not be made at all: the request never
 * left the client. Anything else (reset, closed, timeout after connecting) may have delivered it.
 */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether a fetch rejection says that no connection was made (walks `cause` and AggregateError). */
function neverConnected(e: unknown, depth = 0): boolean {
  if (!(e instanceof Error) || depth > 4) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NOT_CONNECTED.has(code)) return true;
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.every((x) => neverConnected(x, depth + 1));
  return neverConnected(e.cause, depth + 1);
}

/**
 * The error of a fetch that produced no response: the connection was refused, reset or lost.
 * Code UNAVAILABLE (retryable), with the platform's own error as `cause`; `notDelivered` when no
 * connection was made (Node's error codes say so; in browsers it stays false).
 */
export function fetchFailure(e: unknown, requestId: string): InferenceServerError {
  if (e instanceof InferenceServerError) return e;
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
  const what = e instanceof Error ? e.message : String(e);
  return new InferenceServerError(`connection failed (${what}${cause})`, {
    code: 'UNAVAILABLE',
    transport: 'http',
    requestId,
    cause: e,
    notDelivered: neverConnected(e),
  });
}
