/**
 * The one nesting limit for JSON that clients send: request bodies (HTTP infer, generate, `/v1`,
 * repository load, the REST gateway), JSON carried inside requests (a load `config` override over
 * HTTP or gRPC, the LLM contract's `sampling_parameters` and `chat_messages` texts) and so their
 * `parameters`. Every parse of untrusted JSON checks the text with {@link assertJsonDepth} (or
 * {@link jsonTooDeep} where the caller has its own error type) right before `JSON.parse`.
 *
 * Why before parsing, on the text: V8's `JSON.parse` is iterative and copes with any nesting, but
 * much of what runs after it is recursive (`JSON.stringify`, structured cloning to workers,
 * protobufjs, nested `data` flattening, error messages that print a value), and a document nested a
 * few thousand levels deep overflows the stack there: a 500 "Maximum call stack size exceeded"
 * instead of a 400. And parsing a deep document is itself costly: a 32 MB `[[[[...]]]]` takes
 * seconds of the event loop and ~1 GB of heap to build 16 M nested arrays. Checking the parsed value
 * instead would also have to enumerate every object's keys, slow on objects with many (hundreds of
 * milliseconds for 400 k keys); the scan below is one pass over the bytes (~3 ns a byte) that stops
 * at the first level too deep.
 *
 * Hand-written: `JSON.parse` has no depth option, and a bracket count that skips strings is a few
 * lines. On text that is not valid JSON the count may be off; `JSON.parse` then fails anyway.
 */
import { invalidArg } from './errors.js';

/**
 * Deepest nesting of arrays and objects accepted: 64 levels. Real payloads stay far below it (an
 * infer body with nested `data` needs the tensor's rank + 3; a model config, an OpenAI request
 * with tools ~10-20), and recursive code 64 levels deep is nowhere near the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

function bytesTooDeep(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      // Skip the string; UTF-8 continuation bytes are >= 0x80, so they never look like these.
      for (i++; i < n; i++) {
        const d = bytes[i]!;
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

function textTooDeep(text: string, limit: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/**
 * True when the JSON text (a string, or its UTF-8 bytes) nests arrays and objects more than
 * `limit` levels deep: a scalar is depth 0, `[]` and `{}` are 1, `{"a": [1]}` is 2. Brackets inside
 * strings do not count.
 *
 * @example
 * ```ts
 * jsonTooDeep('[[1]]', 1) // true
 * jsonTooDeep('["[[[[", {}]', 1) // true ({} is level 2)
 * jsonTooDeep('["[[[["]', 1) // false
 * ```
 */
export function jsonTooDeep(json: string | Uint8Array, limit: number = MAX_JSON_DEPTH): boolean {
  return typeof json === 'string' ? textTooDeep(json, limit) : bytesTooDeep(json, limit);
}

/** The message every refusal uses: `<what> is nested too deeply (more than 64 levels of arrays and objects)`. */
export function tooDeepMessage(what: string): string {
  return `${what} is nested too deeply (more than ${MAX_JSON_DEPTH} levels of arrays and objects)`;
}

/**
 * Throws INVALID_ARG ({@link tooDeepMessage}) when JSON text from a client nests deeper than
 * {@link MAX_JSON_DEPTH}; call it right before `JSON.parse`.
 *
 * @param what names the document, e.g. "the inference request JSON".
 * @example
 * ```ts
 * assertJsonDepth(text, 'the generate request JSON');
 * const doc = JSON.parse(text);
 * ```
 */
export function assertJsonDepth(json: string | Uint8Array, what: string): void {
  if (jsonTooDeep(json)) throw invalidArg(tooDeepMessage(what));
}
