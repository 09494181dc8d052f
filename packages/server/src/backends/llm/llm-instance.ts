/**
 * The llm backend's one model instance. It takes every request the core hands it at once (its
 * `concurrency` covers all running and queued requests, plus one so the request that overflows
 * the queue reaches the backend and is refused with RESOURCE_EXHAUSTED instead of waiting in the
 * core's unbounded queue). Admission then lets `max_parallel_sequences` requests generate
 * together on the shared context and queues up to `max_queue_size` more in FIFO order.
 */
import { encodeBytesElements } from '@tensorgate/protocol';
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import { toAbortSignal } from '../../core/cancel-signal.js';
import { InferenceError } from '../../core/errors.js';
import type { Parameters, Tensor } from '../../core/types.js';
import type { GeneratedChunk, GenerationResult, LlmEngine } from './llm-engine.js';
import { decodeGenerationRequest } from './llm-request.js';
import { SequenceAdmission } from './sequence-admission.js';

/** The one output of the LLM interface. */
export const TEXT_OUTPUT = 'text_output';

function textTensor(text: string): Tensor {
  return { name: TEXT_OUTPUT, datatype: 'BYTES', shape: [1], data: encodeBytesElements([text]) };
}

/** Response parameter carrying the JSON array of the response's token log-probabilities. */
export const LOGPROBS_PARAMETER = 'logprobs';

function finalParameters(r: GenerationResult): Parameters {
  const p: Parameters = {
    finish_reason: r.finishReason,
    num_input_tokens: r.inputTokens,
    num_output_tokens: r.outputTokens,
  };
  if (r.logprobs !== undefined) p[LOGPROBS_PARAMETER] = JSON.stringify(r.logprobs);
  return p;
}

/** The sampling settings and sizes an instance runs with. */
export interface LlmInstanceOptions {
  readonly name: string;
  readonly model: string;
  readonly maxParallelSequences: number;
  readonly maxQueueSize: number;
}

/**
 * @example
 * ```ts
 * const instance = new LlmInstance(engine, { name: 'llm_0', model: 'llm', maxParallelSequences: 4, maxQueueSize: 64 });
 * ```
 */
export class LlmInstance implements ModelInstance {
  readonly name: string;
  readonly concurrency: number;
  private readonly admission: SequenceAdmission;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly engine: LlmEngine,
    options: LlmInstanceOptions,
  ) {
    this.name = options.name;
    this.concurrency = options.maxParallelSequences + options.maxQueueSize + 1;
    this.admission = new SequenceAdmission(options.maxParallelSequences, options.maxQueueSize, options.model);
  }

  async execute(batch: readonly ExecutionRequest[]): Promise<ExecutionTimings> {
    const startNs = process.hrtime.bigint();
    let queueNs = 0;
    let inferNs = 0;
    for (const request of batch) {
      const run = this.run(request);
      this.inFlight.add(run);
      try {
        const t = await run;
        queueNs += t.queueNs;
        inferNs += t.inferNs;
      } finally {
        this.inFlight.delete(run);
      }
    }
    const totalNs = Number(process.hrtime.bigint() - startNs);
    return { queueNs, computeInputNs: 0, computeInferNs: Math.max(inferNs, totalNs - queueNs), computeOutputNs: 0 };
  }

  /** Runs one request to its final response; never rejects. */
  private async run(request: ExecutionRequest): Promise<{ queueNs: number; inferNs: number }> {
    const sender = request.sender;
    const arrived = process.hrtime.bigint();
    let generation;
    try {
      generation = decodeGenerationRequest(request.inputs);
    } catch (e) {
      sender.send({ outputs: [], error: InferenceError.from(e) }, { final: true });
      return { queueNs: 0, inferNs: 0 };
    }
    try {
      await this.admission.enter(request.signal);
    } catch (e) {
      sender.send({ outputs: [], error: InferenceError.from(e) }, { final: true });
      return { queueNs: Number(process.hrtime.bigint() - arrived), inferNs: 0 };
    }
    const started = process.hrtime.bigint();
    try {
      const stream = generation.stream;
      const onChunk = stream
        ? ({ text, logprobs }: GeneratedChunk): void => {
            if (logprobs !== undefined && logprobs.length > 0) {
              const parameters = { [LOGPROBS_PARAMETER]: JSON.stringify(logprobs) };
              sender.send({ outputs: [textTensor(text)], parameters }, { final: false });
            } else if (text !== '') sender.send({ outputs: [textTensor(text)] }, { final: false });
          }
        : undefined;
      const result = await this.engine.generate(generation, toAbortSignal(request.signal), onChunk);
      const text = stream ? '' : generation.includePrompt ? (generation.prompt ?? '') + result.text : result.text;
      sender.send({ outputs: [textTensor(text)], parameters: finalParameters(result) }, { final: true });
    } catch (e) {
      sender.send({ outputs: [], error: InferenceError.from(e) }, { final: true });
    } finally {
      this.admission.leave();
    }
    return { queueNs: Number(started - arrived), inferNs: Number(process.hrtime.bigint() - started) };
  }

  /** Refuses queued requests, then waits for the running ones (their clients may cancel them). */
  async drain(): Promise<void> {
    this.admission.close(new InferenceError('UNAVAILABLE', 'the model is being unloaded'));
    await Promise.allSettled([...this.inFlight]);
  }
}
