/**
 * The optional API key of the OpenAI routes (`--openai-api-key`): requests must send
 * `Authorization: Bearer <key>`, as every OpenAI SDK does with its `apiKey`. Compared in constant
 * time over SHA-256 digests so neither the key's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { OpenAiError } from './openai-errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Returns an onRequest check for `key`.
 *
 * @example
 * ```ts
 * app.addHook('onRequest', apiKeyCheck('secret'));
 * ```
 */
export function apiKeyCheck(key: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(key);
  return async (request) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match === null) {
      throw new OpenAiError(401, 'missing API key: send it as "Authorization: Bearer <key>"', {
        type: 'authentication_error',
        code: 'invalid_api_key',
      });
    }
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      throw new OpenAiError(401, 'incorrect API key', { type: 'authentication_error', code: 'invalid_api_key' });
    }
  };
}
