/**
 * The `onnxruntime` backend (config `backend: "onnxruntime"` or `platform: "onnxruntime_onnx"`):
 * serves ONNX models with onnxruntime-node, one worker thread and one session per instance of
 * `instance_group`, and completes configs from the model's declared inputs and outputs.
 *
 * It reuses the js backend's worker machinery rather than a second worker stack: each instance is
 * a {@link JsInstance} running the built-in model module `ort-model` (see there), so start,
 * crash restart, cancellation, transferred input buffers, output validation against the config
 * and statistics timings behave exactly as for JS models.
 */
import { fileURLToPath } from 'node:url';
import type { Backend, BackendModel, BackendModelContext } from '../../backend-api/backend.js';
import type { ModelConfig } from '../../core/config/model-config.js';
import { InferenceError, invalidArg } from '../../core/errors.js';
import { startJsInstances, type JsWorkerOptions } from '../js/start-js-instances.js';
import { completeConfig, DEFAULT_MAX_BATCH_SIZE } from './auto-complete.js';
import { detectCudaSupport, gpuSupportFrom, planInstances, type CudaSupport } from './execution-providers.js';
import { EXECUTION_TIMEOUT_PARAM, INITIALIZE_TIMEOUT_PARAM, MEMORY_LIMIT_PARAM } from '../js/instance-limits.js';
import { latestOnnxModelFile, requireOnnxModelFile } from './model-file.js';
import { readOnnxMetadata } from './read-metadata.js';
import { ORT_SESSION_PARAMETERS, ORT_UNSUPPORTED_PARAMETERS } from './session-options.js';

/** The built-in model module each instance worker loads (`.ts` when running from source). */
export const ORT_MODEL_FILE: string = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './ort-model.ts' : './ort-model.js', import.meta.url),
);

/** Options of {@link createOnnxRuntimeBackend}; the defaults suit production. */
export interface OnnxRuntimeBackendOptions extends JsWorkerOptions {
  /** `max_batch_size` auto-complete gives a model that can batch (Triton's default-max-batch-size, 4). */
  readonly defaultMaxBatchSize?: number;
  /** Whether CUDA can be used (tests replace the detection). */
  readonly cudaSupport?: () => CudaSupport;
}

/**
 * Creates the onnxruntime backend, registered by the composition root.
 *
 * @example
 * ```ts
 * const backend = createOnnxRuntimeBackend();
 * const completed = await backend.autoCompleteConfig!(ctx); // inputs/outputs from model.onnx
 * const model = await backend.loadModel(ctx);               // one session per instance
 * ```
 */
export function createOnnxRuntimeBackend(options: OnnxRuntimeBackendOptions = {}): Backend {
  const cuda = options.cudaSupport ?? detectCudaSupport;
  return {
    name: 'onnxruntime',
    platforms: ['onnxruntime_onnx'],
    configSupport: {
      fields: ['optimization.graph', 'sequence_batching.state'],
      parameters: [...ORT_SESSION_PARAMETERS, EXECUTION_TIMEOUT_PARAM, MEMORY_LIMIT_PARAM, INITIALIZE_TIMEOUT_PARAM],
      unsupportedParameters: ORT_UNSUPPORTED_PARAMETERS,
    },

    gpuSupport: () => gpuSupportFrom(cuda()),

    async autoCompleteConfig(ctx): Promise<Partial<ModelConfig>> {
      const raw = ctx.config;
      const inputs = (raw.input?.length ?? 0) + (Array.isArray(raw['batch_input']) ? raw['batch_input'].length : 0);
      if (inputs > 0 && (raw.output?.length ?? 0) > 0) {
        ctx.logger.debug({ model: ctx.name }, 'skipping config auto-complete: inputs and outputs already specified');
        return raw;
      }
      const configured = typeof raw.default_model_filename === 'string' ? raw.default_model_filename : undefined;
      const file = await latestOnnxModelFile(ctx.name, ctx.modelPath, configured);
      let meta;
      try {
        meta = await readOnnxMetadata(file, ctx.modelPath);
      } catch (err) {
        throw invalidArg(
          `model '${ctx.name}': cannot read ${file} to auto-complete its config: ${(err as Error).message}`,
        );
      }
      const { config, report } = completeConfig(
        raw,
        meta,
        ctx.name,
        options.defaultMaxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
      );
      if (report.maxBatchFilled !== undefined) {
        ctx.logger.warn(
          { model: ctx.name, max_batch_size: report.maxBatchFilled },
          'auto-complete set max_batch_size since the model can batch and the config gives none; set max_batch_size to choose another',
        );
      }
      ctx.logger.info({ model: ctx.name, file, ...report }, 'config auto-completed from the ONNX model');
      return config;
    },

    async loadModel(ctx: BackendModelContext): Promise<BackendModel> {
      const { config } = ctx;
      if (config.model_transaction_policy?.decoupled === true) {
        throw invalidArg(`failed to load model '${ctx.name}': the onnxruntime backend does not serve decoupled models`);
      }
      let planned;
      try {
        await requireOnnxModelFile(ctx.modelPath, ctx.versionPath, config.default_model_filename);
        planned = planInstances(ctx.name, config.instance_group, cuda, (msg) => ctx.logger.warn(msg));
      } catch (err) {
        const e = InferenceError.from(err);
        throw new InferenceError(e.code, `failed to load model '${ctx.name}' version ${ctx.version}: ${e.message}`);
      }
      const model = await startJsInstances(ctx, ORT_MODEL_FILE, planned, options);
      ctx.logger.info(
        { instances: planned.map((p) => `${p.name}:${p.kind === 'GPU' ? `cuda:${p.deviceId}` : 'cpu'}`) },
        'onnx model loaded',
      );
      return model;
    },
  };
}
