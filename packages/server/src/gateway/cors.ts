/**
 * CORS for the gateway, written by hand when @fastify/cors was not yet a dependency (the HTTP
 * frontend now uses that plugin). The headers are also written onto the raw SSE replies, which
 * bypass fastify's reply headers; moving the gateway to the plugin is a noted follow-up.
 */

/** The methods the gateway serves. */
const METHODS = 'GET, POST, OPTIONS';

/**
 * The CORS headers of a reply to a request from `origin`, or none when the origin is not allowed
 * (the browser then blocks the reply). `allowed` holds exact origins or `*` for any.
 *
 * @example
 * ```ts
 * corsHeaders(['https://app.example'], 'https://app.example', false)
 * // { 'access-control-allow-origin': 'https://app.example', vary: 'Origin' }
 * ```
 */
export function corsHeaders(
  allowed: readonly string[],
  origin: string | undefined,
  preflight: boolean,
  requestHeaders?: string,
): Record<string, string> {
  if (origin === undefined || allowed.length === 0) return {};
  const any = allowed.includes('*');
  if (!any && !allowed.includes(origin)) return {};
  const headers: Record<string, string> = any
    ? { 'access-control-allow-origin': '*' }
    : // The answer depends on the Origin header, so caches must key on it.
      { 'access-control-allow-origin': origin, vary: 'Origin' };
  if (preflight) {
    headers['access-control-allow-methods'] = METHODS;
    headers['access-control-allow-headers'] = requestHeaders ?? 'content-type';
    headers['access-control-max-age'] = '600';
  }
  return headers;
}

/** Splits a `--cors` value (`https://a.example,https://b.example` or `*`) into origins. */
export function parseCorsOrigins(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
