/**
 * Reading the fields OpenAI's completions and chat requests share: the model, streaming options and
 * sampling settings, turned into the contract's `sampling_parameters` JSON (vLLM names). Every
 * unsupported value is refused with a 400 naming the field, rather than silently ignored.
 * Hand-written: a dozen fields with OpenAI's ranges do not justify a schema library.
 */
import { jsonLimitProblem } from '../../core/json-limits.js';
import { invalidParam, OpenAiError } from './openai-errors.js';

/** A parsed JSON request object. */
export type JsonBody = Record<string, unknown>;

/**
 * Parses the request body as a JSON object (the shared content parser hands over bytes), refusing
 * one past the JSON limits (core/json-limits.ts: depth, arrays and objects) before parsing it.
 */
export function parseJsonBody(body: unknown): JsonBody {
  const text =
    body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') : '';
  if (text.trim() === '') throw new OpenAiError(400, 'the request needs a JSON body');
  const problem = jsonLimitProblem(text, 'the request body');
  if (problem !== undefined) throw new OpenAiError(400, problem);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new OpenAiError(400, `the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new OpenAiError(400, 'the request body must be a JSON object');
  }
  return doc as JsonBody;
}

/** The required `model` field. */
export function requireModel(body: JsonBody): string {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') throw invalidParam('model', "'model' must be a non-empty string");
  return model;
}

function optionalNumber(body: JsonBody, key: string, min: number, max: number, integer = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    const kind = integer ? 'an integer' : 'a number';
    throw invalidParam(key, `'${key}' must be ${kind} from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optionalBool(body: JsonBody, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidParam(key, `'${key}' must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** Streaming options: `stream` and `stream_options.include_usage`. */
export interface StreamOptions {
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

/** Reads `stream` and `stream_options`. */
export function readStreamOptions(body: JsonBody): StreamOptions {
  const stream = optionalBool(body, 'stream') ?? false;
  const options = body['stream_options'];
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object' || Array.isArray(options)) {
      throw invalidParam('stream_options', "'stream_options' must be an object");
    }
    if (!stream) throw invalidParam('stream_options', "'stream_options' is only allowed when 'stream' is true");
    includeUsage = optionalBool(options as JsonBody, 'include_usage') ?? false;
  }
  return { stream, includeUsage };
}

function readStop(body: JsonBody): string[] | undefined {
  const v = body['stop'];
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) {
    throw invalidParam('stop', "'stop' must be a non-empty string or an array of them");
  }
  return list as string[];
}

/** Refuses a field whose value is anything but its neutral default. */
function refuseUnlessDefault(body: JsonBody, key: string, isDefault: (v: unknown) => boolean, why: string): void {
  const v = body[key];
  if (v !== undefined && v !== null && !isDefault(v)) throw invalidParam(key, `'${key}' ${why}`);
}

/** The most choices one request may ask for (`n`): each is a generation of its own. */
export const MAX_CHOICES = 8;

/**
 * Reads `n` (1..{@link MAX_CHOICES}); `best_of`, where given, must equal it (tensorgate does not
 * rank extra candidates).
 */
export function readChoiceCount(body: JsonBody): number {
  const n = optionalNumber(body, 'n', 1, MAX_CHOICES, true) ?? 1;
  refuseUnlessDefault(body, 'best_of', (v) => v === n, `must equal 'n' (${n}): extra candidates are not ranked`);
  return n;
}

function readLogitBias(body: JsonBody): Record<string, number> | undefined {
  const v = body['logit_bias'];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw invalidParam('logit_bias', "'logit_bias' must be an object mapping token ids to a bias from -100 to 100");
  }
  const entries = Object.entries(v as JsonBody);
  for (const [key, bias] of entries) {
    if (!/^\d+$/.test(key)) throw invalidParam('logit_bias', `'logit_bias' keys must be token ids, got '${key}'`);
    if (typeof bias !== 'number' || !Number.isFinite(bias) || bias < -100 || bias > 100) {
      throw invalidParam('logit_bias', `'logit_bias["${key}"]' must be a number from -100 to 100`);
    }
  }
  return entries.length === 0 ? undefined : (v as Record<string, number>);
}

/** `user`: an end-user id OpenAI uses for abuse monitoring; tensorgate logs it with the request. */
export function readUser(body: JsonBody): string | undefined {
  const v = body['user'];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > 256) {
    throw invalidParam('user', "'user' must be a string of at most 256 characters");
  }
  return v;
}

/**
 * Builds the contract's sampling_parameters from OpenAI fields (`max_tokens` or, for chat,
 * `max_completion_tokens`, `temperature`, `top_p`, `seed`, `stop`, `presence_penalty`,
 * `frequency_penalty`, `logit_bias`) plus the vLLM extras `top_k`, `min_p`, `repetition_penalty`
 * and `ignore_eos`. Log-probabilities and output formats are added by the endpoint handlers
 * (their fields differ between chat and completions).
 *
 * @example
 * ```ts
 * readSampling({ model: 'llm', max_tokens: 8, temperature: 0 }) // { max_tokens: 8, temperature: 0 }
 * ```
 */
export function readSampling(body: JsonBody): Record<string, unknown> {
  const sampling: Record<string, unknown> = {};
  const maxTokens =
    optionalNumber(body, 'max_completion_tokens', 1, 2 ** 31 - 1, true) ??
    optionalNumber(body, 'max_tokens', 1, 2 ** 31 - 1, true);
  if (maxTokens !== undefined) sampling['max_tokens'] = maxTokens;
  const fields: Array<[string, number, number, boolean]> = [
    ['temperature', 0, 2, false],
    ['top_p', 0, 1, false],
    ['seed', 0, 0xffffffff, true],
    ['top_k', -1, 2 ** 31 - 1, true],
    ['min_p', 0, 1, false],
    ['repetition_penalty', 0, 10, false],
    ['presence_penalty', -2, 2, false],
    ['frequency_penalty', -2, 2, false],
  ];
  for (const [key, min, max, integer] of fields) {
    const v = optionalNumber(body, key, min, max, integer);
    if (v !== undefined) sampling[key] = v;
  }
  const stop = readStop(body);
  if (stop !== undefined) sampling['stop'] = stop;
  const logitBias = readLogitBias(body);
  if (logitBias !== undefined) sampling['logit_bias'] = logitBias;
  const ignoreEos = optionalBool(body, 'ignore_eos');
  if (ignoreEos !== undefined) sampling['ignore_eos'] = ignoreEos;
  return sampling;
}

/** Reads an optional integer field in [min, max] (exported for the endpoint handlers). */
export function readInteger(body: JsonBody, key: string, min: number, max: number): number | undefined {
  return optionalNumber(body, key, min, max, true);
}

/** Reads an optional boolean field (exported for the endpoint handlers). */
export function readBoolean(body: JsonBody, key: string): boolean | undefined {
  return optionalBool(body, key);
}

/**
 * Refuses fields the endpoint does not know, with OpenAI's own message ("Unrecognized request
 * argument supplied"), so a newer or misspelt option is never silently ignored.
 */
export function refuseUnknownFields(body: JsonBody, known: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) {
      throw invalidParam(key, `Unrecognized request argument supplied: ${key} (tensorgate does not support it)`);
    }
  }
}
