/**
 * LLMService requests → core requests for a model of the LLM contract: the prompt becomes
 * `text_input`, the sampling fields become the `sampling_parameters` JSON (vLLM names), and the
 * model is the one named, or the default LLM model. Pure except for {@link LlmModelPicker},
 * which asks the core which models are ready.
 */
import type { GenerateRequestMessage } from '@tensorgate/protocol';
import { InferenceError } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import { buildLlmRequest, isLlmModelConfig, type SamplingParameters } from '../../core/llm-contract.js';
import type { InferRequest } from '../../core/types.js';

/**
 * A protobuf `float` as the shortest decimal that reads back as the same float32 (0.7f decodes
 * as 0.699999988...; the model should see 0.7).
 */
function float32(value: number): number {
  return Number.parseFloat(value.toPrecision(7));
}

function invalid(message: string): InferenceError {
  return new InferenceError('INVALID_ARG', message);
}

/**
 * The sampling parameters a GenerateRequest asks for; fields the client left unset (0 for
 * `max_tokens`, absent `optional` fields, an empty `stop`) are left out so the model's defaults
 * apply. Temperature 0, the proto3 default, is sent: greedy decoding.
 *
 * @example
 * ```ts
 * samplingOf({ prompt: 'Hi', max_tokens: 8, temperature: 0, stop: [], ... }) // { temperature: 0, max_tokens: 8 }
 * ```
 */
export function samplingOf(msg: GenerateRequestMessage): SamplingParameters {
  if (!Number.isInteger(msg.max_tokens) || msg.max_tokens < 0) {
    throw invalid(`max_tokens must be 0 (the model's default) or more, got ${msg.max_tokens}`);
  }
  if (!Number.isFinite(msg.temperature) || msg.temperature < 0) {
    throw invalid(`temperature must be 0 (greedy) or more, got ${msg.temperature}`);
  }
  const sampling: SamplingParameters = { temperature: float32(msg.temperature) };
  if (msg.max_tokens > 0) sampling.max_tokens = msg.max_tokens;
  if (msg.seed !== undefined && msg.seed !== null) sampling.seed = msg.seed;
  if (msg.stop.length > 0) {
    if (msg.stop.some((s) => s === '')) throw invalid('stop strings must not be empty');
    sampling.stop = [...msg.stop];
  }
  // A float that is not finite (inf, nan) would be written into the sampling JSON as null, the
  // default: refuse it rather than sample with something else than asked.
  for (const key of ['top_p', 'repetition_penalty'] as const) {
    const v = msg[key];
    if (v !== undefined && v !== null && !Number.isFinite(v)) throw invalid(`${key} must be a finite number, got ${v}`);
  }
  if (msg.top_p !== undefined && msg.top_p !== null) sampling.top_p = float32(msg.top_p);
  if (msg.top_k !== undefined && msg.top_k !== null) sampling.top_k = msg.top_k;
  if (msg.repetition_penalty !== undefined && msg.repetition_penalty !== null) {
    sampling.repetition_penalty = float32(msg.repetition_penalty);
  }
  if (msg.ignore_eos) sampling.ignore_eos = true;
  return sampling;
}

/**
 * The core request of a Generate (`stream: false`) or StreamGenerate (`stream: true`) call on
 * `model`. The reply is the generated text only (`exclude_input_in_output`).
 */
export function generateInferRequest(msg: GenerateRequestMessage, model: string, stream: boolean): InferRequest {
  return buildLlmRequest({
    model,
    version: msg.model_version,
    prompt: msg.prompt,
    stream,
    sampling: samplingOf(msg),
    excludeInputInOutput: true,
  });
}

/**
 * Picks the model of a call: the one the request names (which must implement the LLM contract),
 * or else the only ready LLM model (with several, the first by name). The default is remembered
 * while it stays ready, so calls without a model do not list the repository each time.
 *
 * @example
 * ```ts
 * const picker = new LlmModelPicker(core);
 * const model = await picker.pick(msg.model, msg.model_version);
 * ```
 */
export class LlmModelPicker {
  private cached: string | undefined;

  constructor(private readonly core: InferenceCore) {}

  /** The model to run; throws NOT_FOUND/UNAVAILABLE (unknown, not ready) or INVALID_ARG (not an LLM). */
  async pick(requested: string, version: string): Promise<string> {
    if (requested !== '') {
      // Throws NOT_FOUND for an unknown model, UNAVAILABLE for one that is not ready.
      if (!isLlmModelConfig(this.core.modelConfig(requested, version))) {
        throw invalid(
          `model '${requested}' does not implement the LLM interface (a decoupled model with a ` +
            `TYPE_STRING input 'text_input' and a TYPE_STRING output 'text_output')`,
        );
      }
      return requested;
    }
    if (this.cached !== undefined && this.isLlm(this.cached)) return this.cached;
    this.cached = undefined;
    for (const entry of await this.core.repositoryIndex(true)) {
      if (this.isLlm(entry.name)) {
        this.cached = entry.name;
        return entry.name;
      }
    }
    throw new InferenceError(
      'UNAVAILABLE',
      'no model implementing the LLM interface is ready; load one or name it in GenerateRequest.model',
    );
  }

  private isLlm(name: string): boolean {
    try {
      return this.core.isModelReady(name) && isLlmModelConfig(this.core.modelConfig(name));
    } catch {
      return false; // unloaded between the two calls
    }
  }
}
