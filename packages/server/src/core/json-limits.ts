/**
 * The limits on the structure of JSON that clients send: request bodies (HTTP infer, generate,
 * `/v1`, repository load, the REST gateway), JSON carried inside requests (a load `config` override
 * over HTTP or gRPC, the LLM contract's `sampling_parameters` and `chat_messages` texts) and so
 * their `parameters`. Every parse of untrusted JSON checks the text with {@link assertJsonLimits}
 * (or {@link jsonLimitProblem} where the caller has its own error type) right before `JSON.parse`.
 *
 * - Depth ({@link MAX_JSON_DEPTH}): V8's `JSON.parse` is iterative and copes with any nesting, but
 *   much of what runs after it is recursive (`JSON.stringify`, structured cloning to workers,
 *   protobufjs, nested `data` flattening, error messages that print a value), and a document nested
 *   a few thousand levels deep overflowed the stack there: a 500 "Maximum call stack size exceeded"
 *   instead of a 400. Parsing one is costly too: a 32 MB `[[[[...]]]]` took seconds of the event
 *   loop and ~1 GB of heap to build 16 M nested arrays.
 * - Containers ({@link MAX_JSON_CONTAINERS}): each array or object costs the parser tens of bytes
 *   of heap and far more time than a number; a 64 MiB body of `{},{},...` (22 M empty objects)
 *   held the event loop for ~20 s and grew the server by 2 GB, where 64 MiB of flat numbers costs
 *   under 3 s. Past the limit the body is refused before it is parsed.
 *
 * Why the text and not the parsed value: the check then runs before `JSON.parse` builds anything,
 * and it need not enumerate objects' keys (hundreds of milliseconds for an object with 400 k keys).
 * The scan is one pass over the bytes (~3 ns a byte) that stops at the first limit passed.
 * Hand-written: `JSON.parse` has no such options, and a bracket count that skips strings is a few
 * lines. On text that is not valid JSON the counts may be off; `JSON.parse` then fails anyway.
 */
import { invalidArg } from './errors.js';

/**
 * Deepest nesting of arrays and objects accepted: 64 levels. Real payloads stay far below it (an
 * infer body with nested `data` needs the tensor's rank + 3; a model config, an OpenAI request
 * with tools ~10-20), and recursive code 64 levels deep is nowhere near the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Most arrays and objects in one document: 1,000,000. Parsing that many costs about what the
 * largest body of flat numbers does; real payloads have far fewer (nested `data` has one array per
 * row: a 3x224x224 image has 676), and any tensor can be sent flat or as binary data instead.
 */
export const MAX_JSON_CONTAINERS = 1_000_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Which limit a text passes first. */
type Passed = 'depth' | 'containers' | undefined;

function scanBytes(bytes: Uint8Array, maxDepth: number, maxContainers: number): Passed {
  let depth = 0;
  let containers = 0;
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
      if (++depth > maxDepth) return 'depth';
      if (++containers > maxContainers) return 'containers';
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return undefined;
}

function scanText(text: string, maxDepth: number, maxContainers: number): Passed {
  let depth = 0;
  let containers = 0;
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
      if (++depth > maxDepth) return 'depth';
      if (++containers > maxContainers) return 'containers';
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return undefined;
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
  return scan(json, limit, Infinity) === 'depth';
}

function scan(json: string | Uint8Array, maxDepth: number, maxContainers: number): Passed {
  return typeof json === 'string' ? scanText(json, maxDepth, maxContainers) : scanBytes(json, maxDepth, maxContainers);
}

/**
 * What is wrong with the structure of a JSON text from a client, as the message to send, or
 * undefined when it is within {@link MAX_JSON_DEPTH} and {@link MAX_JSON_CONTAINERS}:
 * `<what> is nested too deeply (more than 64 levels of arrays and objects)` or
 * `<what> has more than 1000000 arrays and objects (...)`.
 *
 * @param what names the document, e.g. "the request body".
 * @example
 * ```ts
 * const problem = jsonLimitProblem(text, 'the request body');
 * if (problem !== undefined) throw new OpenAiError(400, problem);
 * ```
 */
export function jsonLimitProblem(json: string | Uint8Array, what: string): string | undefined {
  switch (scan(json, MAX_JSON_DEPTH, MAX_JSON_CONTAINERS)) {
    case 'depth':
      return `${what} is nested too deeply (more than ${MAX_JSON_DEPTH} levels of arrays and objects)`;
    case 'containers':
      return (
        `${what} has more than ${MAX_JSON_CONTAINERS} arrays and objects ` +
        '(write large tensors as flat data, or send them as binary data)'
      );
    default:
      return undefined;
  }
}

/**
 * Throws INVALID_ARG ({@link jsonLimitProblem}'s message) when JSON text from a client passes
 * {@link MAX_JSON_DEPTH} or {@link MAX_JSON_CONTAINERS}; call it right before `JSON.parse`.
 *
 * @param what names the document, e.g. "the inference request JSON".
 * @example
 * ```ts
 * assertJsonLimits(text, 'the generate request JSON');
 * const doc = JSON.parse(text);
 * ```
 */
export function assertJsonLimits(json: string | Uint8Array, what: string): void {
  const problem = jsonLimitProblem(json, what);
  if (problem !== undefined) throw invalidArg(problem);
}
