/**
 * The `sampling_parameters` input of the LLM interface: a JSON object with vLLM's names (as
 * Triton's vLLM backend takes them), validated here so a bad value fails the request with a clear
 * INVALID_ARG instead of reaching llama.cpp.
 */
import { invalidArg } from '../../core/errors.js';
import { assertJsonLimits } from '../../core/json-limits.js';
import { CONTROL_KEYS, readGenerationControls, type GenerationControls } from './generation-controls.js';

/**
 * Validated sampling settings, with the defaults applied, plus the optional generation controls
 * (`guided_decoding`, `logit_bias`, `logprobs`: generation-controls.ts).
 */
export interface SamplingParameters extends GenerationControls {
  /** 0 = greedy (deterministic). vLLM's default is 1. */
  readonly temperature: number;
  /** 1 = off. */
  readonly topP: number;
  /** 0 = off (vLLM's -1 is accepted and means off too). */
  readonly topK: number;
  /** 0 = off. */
  readonly minP: number;
  /** 1 = off. */
  readonly repetitionPenalty: number;
  /** 0 = off. */
  readonly presencePenalty: number;
  /** 0 = off. */
  readonly frequencyPenalty: number;
  readonly seed?: number;
  readonly maxTokens: number;
  /** Stop sequences; the text stops before the first one generated. */
  readonly stop: readonly string[];
  /**
   * vLLM's `ignore_eos`: keep generating past end-of-generation tokens until `maxTokens` (or a
   * stop string). Benchmarks use it to get fixed-length outputs.
   */
  readonly ignoreEos?: boolean;
}

/** `max_tokens` when the request does not say. */
export const DEFAULT_MAX_TOKENS = 128;

/** Keys accepted in `sampling_parameters`. */
export const SAMPLING_KEYS: readonly string[] = [
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'repetition_penalty',
  'repeat_penalty',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'max_tokens',
  'stop',
  'ignore_eos',
  ...CONTROL_KEYS,
];

const DEFAULTS: SamplingParameters = Object.freeze({
  temperature: 1,
  topP: 1,
  topK: 0,
  minP: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  maxTokens: DEFAULT_MAX_TOKENS,
  stop: Object.freeze([]) as readonly string[],
});

function bad(key: string, expected: string, value: unknown): never {
  throw invalidArg(`sampling_parameters: '${key}' must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`);
}

function num(
  obj: Record<string, unknown>,
  key: string,
  ok: (n: number) => boolean,
  expected: string,
): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) bad(key, expected, v);
  return v;
}

/**
 * Parses the JSON text of `sampling_parameters` ('' or absent → all defaults). Unknown keys are
 * rejected (as vLLM's SamplingParams does), naming the accepted ones; `null` values mean "default".
 *
 * @example
 * ```ts
 * parseSamplingParameters('{"temperature": 0, "max_tokens": 16, "stop": ["\\n"]}');
 * ```
 */
export function parseSamplingParameters(json: string | undefined): SamplingParameters {
  if (json === undefined || json.trim() === '') return DEFAULTS;
  assertJsonLimits(json, 'sampling_parameters');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw invalidArg(`sampling_parameters is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArg('sampling_parameters must be a JSON object');
  }
  const obj = parsed as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!SAMPLING_KEYS.includes(key)) {
      throw invalidArg(`sampling_parameters: unknown key '${key}' (accepted: ${SAMPLING_KEYS.join(', ')})`);
    }
  }
  const isInt = Number.isSafeInteger;
  if (obj['repetition_penalty'] != null && obj['repeat_penalty'] != null) {
    throw invalidArg("sampling_parameters: give 'repetition_penalty' or 'repeat_penalty', not both");
  }
  const repetitionPenalty =
    num(obj, 'repetition_penalty', (n) => n > 0, 'a number > 0') ??
    num(obj, 'repeat_penalty', (n) => n > 0, 'a number > 0');
  const topK = num(obj, 'top_k', (n) => isInt(n) && n >= -1, 'an integer >= -1 (-1 or 0: off)');
  const seed = num(obj, 'seed', (n) => isInt(n) && n >= 0 && n <= 0xffffffff, 'an integer in [0, 4294967295]');
  const stopValue = obj['stop'];
  let stop = DEFAULTS.stop;
  if (typeof stopValue === 'string') stop = stopValue === '' ? [] : [stopValue];
  else if (Array.isArray(stopValue)) {
    if (!stopValue.every((s): s is string => typeof s === 'string' && s !== '')) {
      bad('stop', 'a string or an array of non-empty strings', stopValue);
    }
    stop = stopValue;
  } else if (stopValue !== undefined && stopValue !== null) bad('stop', 'a string or an array of strings', stopValue);
  const ignoreEos = obj['ignore_eos'];
  if (ignoreEos !== undefined && ignoreEos !== null && typeof ignoreEos !== 'boolean') {
    bad('ignore_eos', 'a boolean', ignoreEos);
  }
  return {
    ...readGenerationControls(obj),
    temperature: num(obj, 'temperature', (n) => n >= 0, 'a number >= 0') ?? DEFAULTS.temperature,
    topP: num(obj, 'top_p', (n) => n > 0 && n <= 1, 'a number in (0, 1]') ?? DEFAULTS.topP,
    topK: topK === undefined || topK < 0 ? 0 : topK,
    minP: num(obj, 'min_p', (n) => n >= 0 && n <= 1, 'a number in [0, 1]') ?? DEFAULTS.minP,
    repetitionPenalty: repetitionPenalty ?? DEFAULTS.repetitionPenalty,
    presencePenalty: num(obj, 'presence_penalty', (n) => n >= -2 && n <= 2, 'a number in [-2, 2]') ?? 0,
    frequencyPenalty: num(obj, 'frequency_penalty', (n) => n >= -2 && n <= 2, 'a number in [-2, 2]') ?? 0,
    ...(seed === undefined ? {} : { seed }),
    maxTokens: num(obj, 'max_tokens', (n) => isInt(n) && n >= 1, 'an integer >= 1') ?? DEFAULTS.maxTokens,
    stop,
    ...(ignoreEos === true ? { ignoreEos: true } : {}),
  };
}
