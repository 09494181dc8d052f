/**
 * The built-in model the onnxruntime backend runs inside each instance's worker thread, through
 * the js backend's worker machinery (start, crash restart, cancellation, transferred buffers,
 * output validation, timings). `session.run` blocks the thread that calls it, so the session
 * lives here, one per instance, never on the server's event loop.
 *
 * `initialize` opens the session on the version folder's model file with the instance's execution
 * provider and checks the config against the model; `execute` runs each group of compatible
 * requests as one session run (inputs concatenated along the batch dimension, outputs split back
 * by each request's batch size).
 */
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { ModelConfig } from '../../core/config/model-config.js';
import { InferenceError, type ErrorCode } from '../../core/errors.js';
import type {
  JsInputTensor,
  JsModel,
  JsModelInitArgs,
  JsModelLogger,
  JsModelRequest,
  JsModelResponse,
  JsOutputTensor,
} from '../js/model-api.js';
import { guardedNativeCall } from '../js/native-guard.js';
import { groupRequests, mergeInputs, splitOutput, type FeedTensor, type MergeableRequest } from './batch-merge.js';
import { CUDA_INSTALL_HINT } from './execution-providers.js';
import { checkExternalData } from './external-data.js';
import { requireOnnxModelFile } from './model-file.js';
import { checkConfigAgainstModel } from './model-io-check.js';
import { datatypeOfOrt, explainOrtLoadError, ortTypeOf, type OnnxModelMetadata } from './ort-types.js';
import { sessionSettings } from './session-options.js';

/** Strict: a BYTES element that is not UTF-8 is rejected rather than silently mangled. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** ORT messages that blame the request's data rather than the model (ORT_INVALID_ARGUMENT cases). */
const CLIENT_ERROR =
  /invalid (dimensions|rank)|unexpected input data type|missing in 'feeds'|invalid input name|got invalid/i;

class RequestError extends Error {}

/** Turns one request input into session feed data (BYTES → strings). */
function feedOf(input: JsInputTensor): FeedTensor {
  if (ortTypeOf(input.datatype) === undefined) {
    throw new RequestError(`input '${input.name}': datatype ${input.datatype} cannot be passed to onnxruntime-node`);
  }
  if (input.datatype !== 'BYTES')
    return { name: input.name, datatype: input.datatype, shape: input.shape, data: input.data as FeedTensor['data'] };
  const strings = (input.data as Uint8Array[]).map((bytes, i) => {
    try {
      return utf8.decode(bytes);
    } catch {
      throw new RequestError(
        `input '${input.name}': element ${i} is not valid UTF-8; ONNX string tensors hold text, so BYTES inputs of ONNX models must be UTF-8`,
      );
    }
  });
  return { name: input.name, datatype: 'BYTES', shape: input.shape, data: strings };
}

/** The default export the js worker instantiates (see worker-main.ts `pickClass`). */
export default class OnnxRuntimeModel implements JsModel {
  private session: InferenceSession | undefined;
  private config!: ModelConfig;
  private batching = false;
  private logger: JsModelLogger | undefined;
  /** Model inputs declared as scalars: fed with shape [] whatever the request's [1]. */
  private readonly scalarInputs = new Set<string>();
  /** Scalar model outputs → the config dims they are reported with (Triton's rule). */
  private readonly scalarOutputs = new Map<string, number[]>();

  async initialize(args: JsModelInitArgs): Promise<void> {
    this.config = args.model_config;
    this.logger = args.logger;
    this.batching = this.config.max_batch_size > 0;
    // The real path inside the model folder, and its external data checked too, before ORT opens it.
    const file = await requireOnnxModelFile(
      args.model_repository,
      args.model_version_path,
      this.config.default_model_filename,
    );
    await checkExternalData(file, args.model_repository);
    const settings = sessionSettings(this.config, availableParallelism());
    const gpu = args.model_instance_kind === 'GPU';
    const options: InferenceSession.SessionOptions = {
      ...settings,
      executionProviders: gpu ? [{ name: 'cuda', deviceId: args.model_instance_device_id }] : ['cpu'],
      logSeverityLevel: 3,
    };
    try {
      this.session = await ort.InferenceSession.create(file, options);
    } catch (err) {
      const message = explainOrtLoadError(err instanceof Error ? err.message : String(err));
      if (gpu) {
        throw new InferenceError(
          'INVALID_ARG',
          `the CUDA execution provider could not open ${file} on GPU ${args.model_instance_device_id}: ${message}; ${CUDA_INSTALL_HINT}`,
        );
      }
      throw new InferenceError('INVALID_ARG', `ONNX Runtime could not load ${file}: ${message}`);
    }
    const meta: OnnxModelMetadata = { inputs: this.session.inputMetadata, outputs: this.session.outputMetadata };
    checkConfigAgainstModel(this.config, meta);
    for (const m of meta.inputs) if (m.isTensor && (m.shape ?? []).length === 0) this.scalarInputs.add(m.name);
    for (const m of meta.outputs) {
      const out = this.config.output.find((o) => o.name === m.name);
      if (out && m.isTensor && (m.shape ?? []).length === 0) this.scalarOutputs.set(m.name, out.dims);
    }
    args.logger.info('onnx session ready', {
      file,
      provider: gpu ? `cuda:${args.model_instance_device_id}` : 'cpu',
      ...settings,
    });
  }

  async execute(requests: JsModelRequest[]): Promise<JsModelResponse[]> {
    const responses = new Array<JsModelResponse>(requests.length);
    const live: number[] = [];
    const feeds: MergeableRequest[] = [];
    requests.forEach((req, i) => {
      if (req.isCancelled()) {
        responses[i] = { error: 'request cancelled before execution', code: 'CANCELLED' };
        return;
      }
      try {
        feeds.push({ inputs: req.inputs.map(feedOf), batchSize: req.batchSize });
        live.push(i);
      } catch (err) {
        responses[i] = { error: (err as Error).message, code: 'INVALID_ARG' };
      }
    });
    for (const group of groupRequests(feeds, this.batching)) {
      await this.runGroup(
        group.map((g) => live[g]!),
        group.map((g) => feeds[g]!),
        requests,
        responses,
      );
    }
    return responses;
  }

  async finalize(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) await guardedNativeCall(() => session.release());
  }

  /** Runs requests that can share a run; on failure of a merged run, retries each alone. */
  private async runGroup(
    indices: readonly number[],
    group: readonly MergeableRequest[],
    requests: readonly JsModelRequest[],
    responses: JsModelResponse[],
  ): Promise<void> {
    const fetches = new Set<string>();
    for (const i of indices) for (const name of requests[i]!.requestedOutputNames) fetches.add(name);
    let results: InferenceSession.ReturnType;
    try {
      const merged = mergeInputs(group);
      const feeds: Record<string, OrtTensor> = {};
      for (const t of merged) {
        const shape = this.scalarInputs.has(t.name) ? [] : t.shape;
        feeds[t.name] = new ort.Tensor(ortTypeOf(t.datatype)!, t.data as never, shape);
      }
      // Guarded: a worker terminated inside run() (a watchdog or memory kill) would abort the process.
      const session = this.session!;
      results = await guardedNativeCall(() => session.run(feeds, [...fetches]));
    } catch (err) {
      if (indices.length > 1) {
        // One request may hold what the model rejects: run each alone so only that one fails.
        this.logger?.debug('merged run failed; running the requests one by one', { error: String(err) });
        for (let k = 0; k < indices.length; k++) {
          await this.runGroup([indices[k]!], [group[k]!], requests, responses);
        }
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const code: ErrorCode = CLIENT_ERROR.test(message) ? 'INVALID_ARG' : 'INTERNAL';
      responses[indices[0]!] = { error: `onnxruntime: ${message}`, code };
      return;
    }
    const perRequest = indices.map(() => new Map<string, FeedTensor>());
    for (const name of fetches) {
      const tensor = results[name] as OrtTensor | undefined;
      if (!tensor) continue;
      const datatype = datatypeOfOrt(tensor.type);
      if (datatype === undefined) {
        for (const i of indices)
          responses[i] = { error: `output '${name}' has ORT type ${tensor.type}, which tensorgate cannot serve` };
        return;
      }
      const scalarDims = this.scalarOutputs.get(name);
      const shape = scalarDims && tensor.dims.length === 0 ? scalarDims : [...tensor.dims];
      const whole: FeedTensor = { name, datatype, shape, data: tensor.data as FeedTensor['data'] };
      let parts: FeedTensor[];
      try {
        parts = this.batching
          ? splitOutput(
              whole,
              group.map((g) => g.batchSize),
            )
          : [whole];
      } catch (err) {
        for (const i of indices) responses[i] = { error: (err as Error).message };
        return;
      }
      parts.forEach((p, k) => perRequest[k]!.set(name, p));
    }
    indices.forEach((i, k) => {
      const outputs: JsOutputTensor[] = [];
      for (const name of requests[i]!.requestedOutputNames) {
        const t = perRequest[k]!.get(name);
        if (t) outputs.push({ name, datatype: t.datatype, shape: t.shape, data: t.data });
      }
      responses[i] = { outputs };
    });
  }
}
