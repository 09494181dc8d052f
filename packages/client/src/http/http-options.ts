/**
 * Options of the HTTP client. The client runs on the platform's `fetch`, so transport settings
 * that fetch does not expose (custom CA, client certificates, keepalive, proxies) are set where
 * fetch is configured: in Node with `NODE_EXTRA_CA_CERTS` or by passing a `fetch` bound to an
 * undici dispatcher; in browsers by the browser itself.
 */
import type { ClientOptions } from '../options.js';

/** Compression of HTTP bodies. */
export interface HttpCompressionOptions {
  /**
   * Compresses inference request bodies (`Content-Encoding`) with the platform's
   * CompressionStream. Default 'none'.
   */
  readonly request?: 'none' | 'gzip' | 'deflate';
  /**
   * Asks the server to compress inference responses (`Accept-Encoding`); fetch decompresses them.
   * Default 'none': the client sends `Accept-Encoding: identity` so that a server does not spend
   * CPU compressing tensors (Node's fetch would otherwise ask for gzip on every call).
   */
  readonly response?: 'none' | 'gzip' | 'deflate';
}

/** Options of {@link InferenceClient.http}. */
export interface HttpClientOptions extends ClientOptions {
  /** Body compression (off by default). */
  readonly compression?: HttpCompressionOptions;
  /**
   * The fetch to use; default the global one. Pass a wrapper to add a custom dispatcher (in Node:
   * `(url, init) => fetch(url, { ...init, dispatcher })` with an undici Agent for a private CA or
   * client certificates) or for testing.
   */
  readonly fetch?: typeof fetch;
}
