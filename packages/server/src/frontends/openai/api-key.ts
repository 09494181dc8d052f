/**
 * The optional API key of the OpenAI routes (`--openai-api-key`): requests must send
 * `Authorization: Bearer <key>`, as every OpenAI SDK does with its `apiKey`. Compared in constant
 * time over SHA-256 digests ({@link SecretMatcher}) so neither the key's content nor its length
 * leaks through timing.
 */
import type { FastifyRequest } from 'fastify';
import { SecretMatcher } from '../../core/secret-match.js';
import { OpenAiError } from './openai-errors.js';

/**
 * Returns an onRequest check for `key`.
 *
 * @example
 * ```ts
 * app.addHook('onRequest', apiKeyCheck('secret'));
 * ```
 */
export function apiKeyCheck(key: string): (request: FastifyRequest) => Promise<void> {
  const expected = new SecretMatcher(key);
  return async (request) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match === null) {
      throw new OpenAiError(401, 'missing API key: send it as "Authorization: Bearer <key>"', {
        type: 'authentication_error',
        code: 'invalid_api_key',
      });
    }
    if (!expected.matches(match[1])) {
      throw new OpenAiError(401, 'incorrect API key', { type: 'authentication_error', code: 'invalid_api_key' });
    }
  };
}
