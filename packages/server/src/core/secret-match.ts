/**
 * Constant-time comparison of a secret (an API key, a restricted-API header value) with what a
 * client sent. Both sides are hashed with SHA-256 first and the digests compared with
 * `crypto.timingSafeEqual`: the digests always have the same length, so neither the secret's
 * content nor its length leaks through the time a comparison takes (`timingSafeEqual` alone throws
 * on different lengths, and an early length check would leak the length).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * A secret, kept only as its digest, that candidate strings are compared with in constant time.
 *
 * @example
 * ```ts
 * const key = new SecretMatcher('s3cret');
 * key.matches(request.headers['x-admin-key']); // false for undefined, a wrong or a repeated value
 * ```
 */
export class SecretMatcher {
  private readonly expected: Buffer;

  constructor(secret: string) {
    this.expected = digest(secret);
  }

  /**
   * True when `candidate` is exactly the secret (compared as UTF-8, where a lone surrogate reads as
   * U+FFFD; header values never hold one); anything but one string is no match.
   */
  matches(candidate: unknown): boolean {
    if (typeof candidate !== 'string') return false;
    return timingSafeEqual(digest(candidate), this.expected);
  }
}
