/**
 * Embedding models of the llm backend: a GGUF whose config declares the output `embedding`
 * (TYPE_FP32, dims [-1, -1]) instead of `text_output`, and the input `text_input` (TYPE_STRING,
 * dims [-1]: one or more texts). The response holds one vector per text, as node-llama-cpp's
 * embedding context computes it (the model's pooling, e.g. the mean of the last hidden states),
 * and the response parameter `num_input_tokens` (the texts' token count). Texts are embedded one
 * after the other on the model's one embedding context.
 */
import { decodeBytesElements } from '@tensorgate/protocol';
import type { Logger } from 'pino';
import type { Llama, LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import type { BackendResponse, ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import type { ModelConfig } from '../../core/config/model-config.js';
import { InferenceError, invalidArg } from '../../core/errors.js';
import type { LlmSettings } from './llm-settings.js';
import { nodeLlamaCpp } from './node-llama-cpp.js';

/** The output of an embedding model. */
export const EMBEDDING_OUTPUT = 'embedding';

/** Whether an llm-backend config describes an embedding model. */
export function isEmbeddingConfig(config: ModelConfig): boolean {
  return config.output.some((o) => o.name === EMBEDDING_OUTPUT);
}

/** Parameters of generative models that mean nothing for an embedding model (refused at load). */
export const GENERATION_ONLY_PARAMETERS = ['max_parallel_sequences', 'max_queue_size', 'stream_interval_ms'] as const;

/** At most this many texts per request. */
export const MAX_EMBEDDING_INPUTS = 2048;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One loaded embedding model, and its single instance.
 *
 * @example
 * ```ts
 * const model = await EmbeddingModel.load(settings, logger, 'embedding');
 * const instances = [model];
 * ```
 */
export class EmbeddingModel implements ModelInstance {
  readonly concurrency = 1;

  private constructor(
    readonly name: string,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaEmbeddingContext,
  ) {}

  /** Loads the GGUF and creates its embedding context; load errors are INVALID_ARG. */
  static async load(settings: LlmSettings, logger: Logger, name: string): Promise<EmbeddingModel> {
    const nlc = await nodeLlamaCpp();
    const llama = await nlc.getLlama({
      gpu: settings.gpuLayers > 0 ? 'auto' : false,
      build: 'never',
      maxThreads: settings.threads,
      logLevel: nlc.LlamaLogLevel.error,
      logger: (_level, message) => {
        if (message.trim() !== '') logger.error({ llama: message.trim() }, 'llama.cpp');
      },
    });
    let model: LlamaModel | undefined;
    try {
      model = await llama.loadModel({ modelPath: settings.modelFile, gpuLayers: settings.gpuLayers });
      const context = await model.createEmbeddingContext({
        threads: settings.threads,
        ...(settings.contextSize === undefined ? {} : { contextSize: settings.contextSize }),
        ...(settings.batchSize === undefined ? {} : { batchSize: settings.batchSize }),
      });
      return new EmbeddingModel(`${name}_0`, llama, model, context);
    } catch (e) {
      await model?.dispose().catch(() => {});
      await llama.dispose().catch(() => {});
      throw invalidArg(`failed to load GGUF embedding model '${settings.modelFile}': ${(e as Error).message}`);
    }
  }

  /** Length of each vector. */
  get dimensions(): number {
    return this.model.embeddingVectorSize;
  }

  async execute(batch: readonly ExecutionRequest[]): Promise<ExecutionTimings> {
    const started = process.hrtime.bigint();
    for (const request of batch) {
      try {
        request.sender.send(await this.embed(request), { final: true });
      } catch (e) {
        request.sender.send({ outputs: [], error: InferenceError.from(e) }, { final: true });
      }
    }
    const ns = Number(process.hrtime.bigint() - started);
    return { queueNs: 0, computeInputNs: 0, computeInferNs: ns, computeOutputNs: 0 };
  }

  private async embed(request: ExecutionRequest): Promise<BackendResponse> {
    const input = request.inputs.find((t) => t.name === 'text_input');
    if (input === undefined || input.datatype !== 'BYTES') throw invalidArg("input 'text_input' (BYTES) is required");
    const texts = decodeBytesElements(input.data).map((b, i) => {
      try {
        return utf8.decode(b);
      } catch {
        throw invalidArg(`text_input[${i}] is not valid UTF-8`);
      }
    });
    if (texts.length === 0 || texts.length > MAX_EMBEDDING_INPUTS) {
      throw invalidArg(`text_input must hold 1 to ${MAX_EMBEDDING_INPUTS} texts, got ${texts.length}`);
    }
    const dims = this.dimensions;
    const data = new Float32Array(texts.length * dims);
    let tokens = 0;
    for (const [i, text] of texts.entries()) {
      if (request.signal.aborted) throw new InferenceError('CANCELLED', 'the request was cancelled');
      tokens += this.context.calculateInputLength(text);
      let vector: readonly number[];
      try {
        vector = (await this.context.getEmbeddingFor(text)).vector;
      } catch (e) {
        // node-llama-cpp refuses a text longer than the context ("Input is longer than the context size").
        throw invalidArg(`text_input[${i}]: ${(e as Error).message}`);
      }
      data.set(vector, i * dims);
    }
    const tensor = { name: EMBEDDING_OUTPUT, datatype: 'FP32' as const, shape: [texts.length, dims] };
    return { outputs: [{ ...tensor, data: new Uint8Array(data.buffer) }], parameters: { num_input_tokens: tokens } };
  }

  /** Frees the context, the model and the runtime. */
  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
