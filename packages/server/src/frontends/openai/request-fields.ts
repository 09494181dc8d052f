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

/**
 * Builds the contract's sampling_parameters from OpenAI fields (`max_tokens` or, for chat,
 * `max_completion_tokens`, `temperature`, `top_p`, `seed`, `stop`) plus the vLLM extras `top_k`,
 * `min_p`, `repetition_penalty` and `ignore_eos`. `n` must be 1; non-zero presence/frequency
 * penalties are refused (the contract has `repetition_penalty` instead).
 *
 * @example
 * ```ts
 * readSampling({ model: 'llm', max_tokens: 8, temperature: 0 }) // { max_tokens: 8, temperature: 0 }
 * ```
 */
export function readSampling(body: JsonBody): Record<string, unknown> {
  refuseUnlessDefault(body, 'n', (v) => v === 1, 'must be 1: tensorgate generates one choice per request');
  refuseUnlessDefault(body, 'best_of', (v) => v === 1, 'must be 1: tensorgate generates one choice per request');
  for (const key of ['presence_penalty', 'frequency_penalty']) {
    refuseUnlessDefault(body, key, (v) => v === 0, 'is not supported (only 0); use repetition_penalty instead');
  }
  refuseUnlessDefault(
    body,
    'logit_bias',
    (v) => typeof v === 'object' && Object.keys(v as object).length === 0,
    'is not supported',
  );
  refuseUnlessDefault(body, 'logprobs', (v) => v === false, 'is not supported');
  refuseUnlessDefault(body, 'top_logprobs', (v) => v === 0, 'is not supported');

  const sampling: Record<string, unknown> = {};
  const maxTokens =
    optionalNumber(body, 'max_completion_tokens', 1, 2 ** 31 - 1, true) ??
    optionalNumber(body, 'max_tokens', 1, 2 ** 31 - 1, true);
  if (maxTokens !== undefined) sampling['max_tokens'] = maxTokens;
  const fields: Array<[string, number, number, boolean]> = [
    ['temperature', 0, 2, false],
    ['top_p', 0, 1, false],
    ['seed', -(2 ** 53), 2 ** 53, true],
    ['top_k', -1, 2 ** 31 - 1, true],
    ['min_p', 0, 1, false],
    ['repetition_penalty', 0, 10, false],
  ];
  for (const [key, min, max, integer] of fields) {
    const v = optionalNumber(body, key, min, max, integer);
    if (v !== undefined) sampling[key] = v;
  }
  const stop = readStop(body);
  if (stop !== undefined) sampling['stop'] = stop;
  const ignoreEos = optionalBool(body, 'ignore_eos');
  if (ignoreEos !== undefined) sampling['ignore_eos'] = ignoreEos;
  return sampling;
}
