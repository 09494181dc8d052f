/**
 * CORS for the gateway through @fastify/cors (as on the HTTP frontend), configured from the
 * `--cors` / `cors.origins` list. The plugin sets its headers on the reply in an `onRequest` hook,
 * so they are on every reply, errors and 404s included; SSE replies are written on `reply.raw` and
 * must copy them from `reply.getHeaders()`.
 */
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** The methods the gateway serves, as listed in preflight answers. */
const METHODS = ['GET', 'POST', 'OPTIONS'];

/** How long browsers may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * The @fastify/cors options for the allowed origins (`*` for any), or `undefined` when the list is
 * empty (no CORS: no headers, and `OPTIONS` is a 404 like any unknown route).
 *
 * Requested headers are allowed as asked (`allowedHeaders` left unset). Preflights are not strict:
 * an `OPTIONS` without `Origin` or `Access-Control-Request-Method` is still answered 204, never
 * with the plugin's plain-text 400, since every gateway failure is `{"error": ...}`.
 *
 * @example
 * ```ts
 * gatewayCorsOptions(['https://app.example'])?.origin // ['https://app.example']
 * gatewayCorsOptions(['*'])?.origin // '*'
 * gatewayCorsOptions([]) // undefined
 * ```
 */
export function gatewayCorsOptions(origins: readonly string[]): FastifyCorsOptions | undefined {
  if (origins.length === 0) return undefined;
  return {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: METHODS,
    maxAge: PREFLIGHT_MAX_AGE_S,
    strictPreflight: false,
  };
}

/**
 * Registers @fastify/cors on the gateway app when `origins` is not empty.
 *
 * @example
 * ```ts
 * registerGatewayCors(app, ['https://app.example']);
 * ```
 */
export function registerGatewayCors(app: FastifyInstance, origins: readonly string[]): void {
  const options = gatewayCorsOptions(origins);
  if (options !== undefined) void app.register(cors, options);
}

/** Splits a `--cors` value (`https://a.example,https://b.example` or `*`) into origins. */
export function parseCorsOrigins(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
