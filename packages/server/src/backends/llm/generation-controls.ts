/**
 * The `sampling_parameters` keys beyond plain sampling, with vLLM's names and shapes:
 * `guided_decoding` (`{"json": <JSON Schema>}` or `{"json_object": true}`, vLLM's
 * GuidedDecodingParams: the output is constrained by a grammar), `logit_bias` (`{"<token id>":
 * <bias -100..100>}`, added to the token's logit) and `logprobs` (how many most likely alternatives
 * to report per generated token, 0..20; the sampled token's own log-probability is always reported).
 */
import { invalidArg } from '../../core/errors.js';
import { toGrammarSchema } from './json-schema-subset.js';

/** What the output must be. */
export type GuidedDecoding =
  | { readonly kind: 'json_object' }
  | { readonly kind: 'json_schema'; readonly schema: Readonly<Record<string, unknown>> };

/** The parsed extra controls; each is absent when the request did not ask for it. */
export interface GenerationControls {
  readonly guidedDecoding?: GuidedDecoding;
  /** Token id → bias added to its logit. */
  readonly logitBias?: ReadonlyMap<number, number>;
  /** Number of top alternatives per token; set means "report log-probabilities". */
  readonly logprobs?: number;
}

/** The keys this module reads. */
export const CONTROL_KEYS: readonly string[] = ['guided_decoding', 'logit_bias', 'logprobs'];

/** At most this many `logit_bias` entries (OpenAI's own limit is 300). */
export const MAX_LOGIT_BIAS_ENTRIES = 300;

/** At most this many alternatives per token (OpenAI's `top_logprobs` maximum). */
export const MAX_TOP_LOGPROBS = 20;

function readGuided(value: unknown): GuidedDecoding | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArg("sampling_parameters: 'guided_decoding' must be an object");
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null);
  for (const [key] of entries) {
    if (key !== 'json' && key !== 'json_object') {
      throw invalidArg(
        `sampling_parameters: 'guided_decoding.${key}' is not supported by the llm backend (supported: json, json_object)`,
      );
    }
  }
  if (entries.length !== 1) {
    throw invalidArg("sampling_parameters: 'guided_decoding' must hold exactly one of 'json' or 'json_object'");
  }
  const [key, v] = entries[0]!;
  if (key === 'json_object') {
    if (v !== true) throw invalidArg("sampling_parameters: 'guided_decoding.json_object' must be true");
    return { kind: 'json_object' };
  }
  // vLLM also takes the schema as a JSON string.
  let schema = v;
  if (typeof v === 'string') {
    try {
      schema = JSON.parse(v);
    } catch (e) {
      throw invalidArg(`sampling_parameters: 'guided_decoding.json' is not valid JSON: ${(e as Error).message}`);
    }
  }
  return { kind: 'json_schema', schema: toGrammarSchema(schema, 'sampling_parameters: guided_decoding.json') };
}

function readLogitBias(value: unknown): ReadonlyMap<number, number> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArg("sampling_parameters: 'logit_bias' must be an object of token id → bias");
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_LOGIT_BIAS_ENTRIES) {
    throw invalidArg(`sampling_parameters: 'logit_bias' may hold at most ${MAX_LOGIT_BIAS_ENTRIES} entries`);
  }
  const bias = new Map<number, number>();
  for (const [key, v] of entries) {
    const id = Number(key);
    if (!/^\d+$/.test(key) || !Number.isSafeInteger(id)) {
      throw invalidArg(`sampling_parameters: 'logit_bias' keys must be token ids (integers >= 0), got '${key}'`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < -100 || v > 100) {
      throw invalidArg(`sampling_parameters: 'logit_bias["${key}"]' must be a number from -100 to 100`);
    }
    bias.set(id, v);
  }
  return bias.size === 0 ? undefined : bias;
}

/**
 * Reads the extra controls of a parsed `sampling_parameters` object.
 *
 * @example
 * ```ts
 * readGenerationControls({ guided_decoding: { json_object: true }, logprobs: 2 });
 * // { guidedDecoding: { kind: 'json_object' }, logprobs: 2 }
 * ```
 */
export function readGenerationControls(obj: Readonly<Record<string, unknown>>): GenerationControls {
  const guidedDecoding = readGuided(obj['guided_decoding']);
  const logitBias = readLogitBias(obj['logit_bias']);
  const lp = obj['logprobs'];
  if (lp !== undefined && lp !== null && (!Number.isSafeInteger(lp) || (lp as number) < 0 || (lp as number) > 20)) {
    throw invalidArg(
      `sampling_parameters: 'logprobs' must be an integer from 0 to ${MAX_TOP_LOGPROBS}, got ${JSON.stringify(lp)}`,
    );
  }
  return {
    ...(guidedDecoding === undefined ? {} : { guidedDecoding }),
    ...(logitBias === undefined ? {} : { logitBias }),
    ...(lp === undefined || lp === null ? {} : { logprobs: lp as number }),
  };
}
