/**
 * The header-level pieces of the gRPC HTTP/2 protocol the native transport reads and writes:
 * `grpc-timeout` parsing, `grpc-message` percent-encoding, and the fixed response headers.
 * Pure functions, tested by round-trip tables.
 */
import { constants as h2 } from 'node:http2';

const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
const TIMEOUT_RE = /^(\d{1,8})([HMSmun])$/;

/**
 * Parses a `grpc-timeout` value (1 to 8 digits and a unit: H, M, S, m, u, n) into milliseconds;
 * undefined when it is not one (the call then fails with INTERNAL, as grpc-js does).
 *
 * @example
 * ```ts
 * parseGrpcTimeout('150m') // 150
 * parseGrpcTimeout('2S')   // 2000
 * parseGrpcTimeout('1.5S') // undefined
 * ```
 */
export function parseGrpcTimeout(value: string): number | undefined {
  const match = TIMEOUT_RE.exec(value);
  if (match === null) return undefined;
  return Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]!;
}

/**
 * Formats milliseconds as a `grpc-timeout` value (for clients and tests): the finest unit whose
 * value fits in 8 digits.
 *
 * @example
 * ```ts
 * formatGrpcTimeout(150) // '150000u'
 * ```
 */
export function formatGrpcTimeout(ms: number): string {
  for (const [unit, perUnit] of [
    ['n', 1e-6],
    ['u', 1e-3],
    ['m', 1],
    ['S', 1000],
    ['M', 60_000],
  ] as const) {
    const value = Math.ceil(ms / perUnit);
    if (value < 1e8) return `${value}${unit}`;
  }
  return `${Math.min(99_999_999, Math.ceil(ms / 3_600_000))}H`;
}

/** True when every char is sent as is: printable ASCII (0x20-0x7E) except '%'. */
function isUnreserved(code: number): boolean {
  return code >= 0x20 && code <= 0x7e && code !== 0x25;
}

/**
 * Percent-encodes a status message for `grpc-message`, as PROTOCOL-HTTP2 asks: the UTF-8 bytes
 * outside printable ASCII, and '%' itself, become `%XX`.
 *
 * @example
 * ```ts
 * encodeGrpcMessage('100% sure ✓') // '100%25 sure %E2%9C%93'
 * ```
 */
export function encodeGrpcMessage(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    if (!isUnreserved(text.charCodeAt(i))) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/**
 * Decodes a `grpc-message` value; a '%' not followed by two hex digits is kept as it is (the
 * protocol asks receivers not to fail on bad encodings).
 *
 * @example
 * ```ts
 * decodeGrpcMessage('100%25 sure %E2%9C%93') // '100% sure ✓'
 * ```
 */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const pair = value.slice(i + 1, i + 3);
    if (value[i] === '%' && HEX_PAIR.test(pair)) {
      bytes.push(parseInt(pair, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(value[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Response headers of every call that sends a message (grpc-js also sends `grpc-encoding: identity`, the default). */
export const RESPONSE_HEADERS: Readonly<Record<string, string | number>> = {
  [h2.HTTP2_HEADER_STATUS]: h2.HTTP_STATUS_OK,
  [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
};

/**
 * Trailers of a successful call. `grpc-message` is optional and gRPC's C core sends none on OK;
 * leaving it out saves one header per response in Node's header handling and HPACK.
 */
export const OK_TRAILERS: Readonly<Record<string, string>> = { 'grpc-status': '0' };

/**
 * The headers of a Trailers-Only response: a call that fails before any message is sent ends
 * with one HEADERS frame carrying the status.
 *
 * @example
 * ```ts
 * stream.respond(trailersOnlyHeaders(12, 'no such method'), { endStream: true });
 * ```
 */
export function trailersOnlyHeaders(code: number, details: string): Record<string, string | number> {
  return {
    [h2.HTTP2_HEADER_STATUS]: h2.HTTP_STATUS_OK,
    [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
    'grpc-accept-encoding': 'identity,deflate,gzip',
    'grpc-status': String(code),
    'grpc-message': encodeGrpcMessage(details),
  };
}

/**
 * The trailers that end a call that sent headers.
 *
 * @example
 * ```ts
 * stream.sendTrailers(statusTrailers(13, 'boom'));
 * ```
 */
export function statusTrailers(code: number, details: string): Record<string, string> {
  return { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(details) };
}
