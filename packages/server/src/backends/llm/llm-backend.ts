/**
 * The `llm` backend (config `backend: "llm"`): serves GGUF language models with node-llama-cpp
 * behind Triton's vLLM-backend tensor interface (see docs/llm.md). One context per model version
 * holds `max_parallel_sequences` sequences; concurrent requests generate on them together
 * (continuous batching) and the rest wait in a bounded FIFO queue.
 */
import type { Backend, BackendModel, BackendModelContext } from '../../backend-api/backend.js';
import { invalidArg } from '../../core/errors.js';
import { validateGgufFile } from './gguf-validation.js';
import { EmbeddingModel, GENERATION_ONLY_PARAMETERS, isEmbeddingConfig } from './llm-embedding.js';
import { LlmEngine } from './llm-engine.js';
import { LlmInstance } from './llm-instance.js';
import { nodeLlamaCpp } from './node-llama-cpp.js';
import { streamRequested } from './llm-request.js';
import { LLM_PARAMETERS, readLlmSettings } from './llm-settings.js';

/** Why the worker-thread backends' limits do not apply here (one message for the load check and the docs). */
const WORKER_LIMIT_REASON =
  'it applies to the js and onnxruntime backends, whose instances run in worker threads; ' +
  "bound requests with 'max_tokens' and 'max_queue_size'";

/** The backend name in `config.pbtxt`. */
export const LLM_BACKEND_NAME = 'llm';

function checkConfig(ctx: BackendModelContext): void {
  const c = ctx.config;
  const fail = (why: string): never => {
    throw invalidArg(`failed to load model '${ctx.name}': ${why}`);
  };
  if (isEmbeddingConfig(c)) {
    if (c.model_transaction_policy.decoupled) fail('an embedding model answers once: remove decoupled: true');
    if (c.output.some((o) => o.name === 'text_output')) {
      fail("declare either the output 'text_output' (a language model) or 'embedding' (an embedding model), not both");
    }
    for (const key of GENERATION_ONLY_PARAMETERS) {
      if (c.parameters[key] !== undefined)
        fail(`the parameter '${key}' applies to language models, not embedding models`);
    }
  } else {
    if (!c.model_transaction_policy.decoupled) {
      fail('the llm backend streams its responses: set model_transaction_policy { decoupled: true }');
    }
    if (!c.output.some((o) => o.name === 'text_output'))
      fail(
        "the config must declare the output 'text_output' (TYPE_STRING), or 'embedding' (TYPE_FP32) for an embedding model",
      );
  }
  if (c.max_batch_size !== 0) fail('the llm backend batches internally: set max_batch_size: 0');
  for (const g of c.instance_group) {
    if (g.kind === 'KIND_GPU')
      fail("use the parameter 'gpu_layers' for GPU offload, not an instance group of KIND_GPU");
  }
  const instances = c.instance_group.reduce((n, g) => n + g.count, 0);
  if (instances > 1) {
    fail(
      `the llm backend runs one context per model, so instance_group count must be 1 (got ${instances} ` +
        "instances): raise the parameter 'max_parallel_sequences' to decode more requests together",
    );
  }
  if (c.dynamic_batching !== undefined) {
    fail(
      'the llm backend queues and batches requests itself: remove dynamic_batching and use the parameters ' +
        "'max_parallel_sequences' and 'max_queue_size'",
    );
  }
  // The worker-thread backends' limits: llama.cpp runs natively in this process, where neither a
  // worker termination nor a V8 heap cap can reach it, so they would be silently ignored here.
  for (const key of ['execution_timeout_ms', 'memory_limit_mb', 'initialize_timeout_ms']) {
    if (c.parameters[key] !== undefined) {
      fail(`the parameter '${key}' is not supported by the llm backend (${WORKER_LIMIT_REASON})`);
    }
  }
}

/**
 * Creates the llm backend, registered by the composition root.
 *
 * @example
 * ```ts
 * const backend = createLlmBackend();
 * const model = await backend.loadModel(ctx); // validates and loads <version>/model.gguf
 * await model.unload();
 * ```
 */
export function createLlmBackend(): Backend {
  return {
    name: LLM_BACKEND_NAME,
    configSupport: {
      parameters: LLM_PARAMETERS,
      unsupportedParameters: {
        execution_timeout_ms: WORKER_LIMIT_REASON,
        memory_limit_mb: WORKER_LIMIT_REASON,
        initialize_timeout_ms: WORKER_LIMIT_REASON,
      },
    },
    // Importing node-llama-cpp loads its native binding synchronously (~300 ms measured): do it
    // before serving when LLM models may be loaded later, rather than stall requests then.
    async prepare(): Promise<void> {
      await nodeLlamaCpp();
    },
    async loadModel(ctx: BackendModelContext): Promise<BackendModel> {
      checkConfig(ctx);
      const settings = await readLlmSettings(ctx.config, ctx);
      const summary = await validateGgufFile(settings.modelFile);
      const started = performance.now();
      if (isEmbeddingConfig(ctx.config)) {
        const embedding = await EmbeddingModel.load(settings, ctx.logger, ctx.name);
        ctx.logger.info(
          { ...summary, dimensions: embedding.dimensions, loadMs: Math.round(performance.now() - started) },
          'GGUF embedding model loaded',
        );
        return { instances: [embedding], unload: () => embedding.dispose() };
      }
      const engine = await LlmEngine.load(settings, ctx.logger);
      ctx.logger.info(
        {
          ...summary,
          contextSize: engine.contextSize,
          threads: settings.threads,
          maxParallelSequences: settings.maxParallelSequences,
          maxQueueSize: settings.maxQueueSize,
          chatWrapper: engine.chatWrapper.wrapperName,
          loadMs: Math.round(performance.now() - started),
        },
        'GGUF model loaded',
      );
      const instance = new LlmInstance(engine, {
        // Triton's instance name: `<group>_0` (the group is named after the model when the config has none).
        name: `${ctx.config.instance_group[0]?.name || ctx.name}_0`,
        model: ctx.name,
        maxParallelSequences: settings.maxParallelSequences,
        maxQueueSize: settings.maxQueueSize,
      });
      return {
        instances: [instance],
        // stream=false answers with one response: unary ModelInfer and HTTP infer may serve it.
        acceptsUnary: (inputs) => !streamRequested(inputs),
        async unload(): Promise<void> {
          await instance.drain();
          await engine.dispose();
        },
      };
    },
  };
}
