/**
 * The request metadata of a native-transport call, as far as handlers read it: grpc-js'
 * `Metadata.get(key)` over the HTTP/2 request headers. Node joins a header sent more than once
 * into one `a, b` string, so a repeated key reads as one joined value here (grpc-js would give
 * two); the restricted-API check refuses both.
 */
import type { IncomingHttpHeaders } from 'node:http2';

/**
 * A read-only view of one call's request headers.
 *
 * @example
 * ```ts
 * new RequestMetadata({ 'triton-grpc-protocol-x-key': 's3cret' }).get('triton-grpc-protocol-x-key'); // ['s3cret']
 * ```
 */
export class RequestMetadata {
  constructor(private readonly headers: IncomingHttpHeaders) {}

  /** The values of `key` (any case; header names arrive in lower case), none when absent. */
  get(key: string): string[] {
    const value = this.headers[key.toLowerCase()];
    if (value === undefined) return [];
    return Array.isArray(value) ? [...value] : [value];
  }

  /** Every header as `{ key: [values] }`, as grpc-js' `Metadata.toJSON()` (pseudo-headers left out). */
  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(this.headers)) {
      if (key.startsWith(':') || value === undefined) continue;
      out[key] = Array.isArray(value) ? [...value] : [value];
    }
    return out;
  }
}
