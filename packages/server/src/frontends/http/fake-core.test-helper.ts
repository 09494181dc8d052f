/**
 * A fake InferenceCore for the HTTP wire tests: an echo model, models that fail in each way the
 * real core can, and a slow model that waits for cancellation. Records what it was asked.
 */
import { InferenceError, notFound, unsupported } from '../../core/errors.js';
import type { InferenceCore, LoadOptions, UnloadOptions } from '../../core/inference-core.js';
import type { ModelConfig } from '../../core/config/model-config.js';
import { normalizeConfig } from '../../core/config/normalize-config.js';
import type {
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
  ServerMetadata,
} from '../../core/protocol-shapes.js';
import type { InferRequest, InferResponse, RequestContext } from '../../core/types.js';

const stat = { count: 0, ns: 0 };

/** The fake. Public fields let tests flip state and inspect calls. */
export class FakeCore implements InferenceCore {
  live = true;
  ready = true;
  lastRequest: InferRequest | undefined;
  lastContext: RequestContext | undefined;
  loads: Array<{ name: string; options: LoadOptions | undefined }> = [];
  unloads: Array<{ name: string; options: UnloadOptions | undefined }> = [];
  indexCalls: boolean[] = [];
  /** Resolves when the 'slow' model's request is cancelled. */
  cancelled: Promise<void>;
  private markCancelled!: () => void;

  constructor() {
    this.cancelled = new Promise((resolve) => (this.markCancelled = resolve));
  }

  isLive(): boolean {
    return this.live;
  }
  isReady(): boolean {
    return this.ready;
  }
  serverMetadata(): ServerMetadata {
    return { name: 'tensorgate', version: '0.0.0-test', extensions: ['binary_tensor_data'] };
  }
  isModelReady(name: string, version?: string): boolean {
    return name === 'identity' && (version === undefined || version === '1');
  }
  modelMetadata(name: string): ModelMetadata {
    if (name !== 'identity') throw notFound(`Request for unknown model: '${name}' is not found`);
    return {
      name,
      versions: ['1'],
      platform: 'js',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: [-1] }],
    };
  }
  modelConfig(name: string): ModelConfig {
    if (name !== 'identity') throw notFound(`Request for unknown model: '${name}' is not found`);
    return normalizeConfig(
      {
        name,
        backend: 'js',
        max_batch_size: 0,
        input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
        output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
      },
      { modelName: name },
    );
  }
  modelStatistics(name = '', version = ''): ModelStatistics[] {
    const names = name === '' ? ['identity', 'other'] : [name];
    if (name !== '' && name !== 'identity') throw notFound(`unknown model '${name}'`);
    return names.map((n) => ({
      name: n,
      version: version || '1',
      last_inference: 0,
      inference_count: 0,
      execution_count: 0,
      inference_stats: {
        success: stat,
        fail: stat,
        queue: stat,
        compute_input: stat,
        compute_infer: stat,
        compute_output: stat,
        cache_hit: stat,
        cache_miss: stat,
      },
      batch_stats: [],
      memory_usage: [],
      response_stats: {},
    }));
  }
  async repositoryIndex(readyOnly = false): Promise<RepositoryIndexEntry[]> {
    this.indexCalls.push(readyOnly);
    return [{ name: 'identity', version: '1', state: 'READY', reason: '' }];
  }
  async loadModel(name: string, options?: LoadOptions): Promise<void> {
    this.loads.push({ name, options });
  }
  async unloadModel(name: string, options?: UnloadOptions): Promise<void> {
    this.unloads.push({ name, options });
  }
  addObserver(): void {}

  infer(request: InferRequest, ctx: RequestContext): AsyncIterable<InferResponse> {
    this.lastRequest = request;
    this.lastContext = ctx;
    return this.run(request, ctx);
  }

  private async *run(request: InferRequest, ctx: RequestContext): AsyncGenerator<InferResponse> {
    switch (request.modelName) {
      case 'identity': {
        const wanted = new Set(request.outputs.map((o) => o.name));
        const outputs = request.inputs
          .map((t) => ({ name: t.name.replace('INPUT', 'OUTPUT'), datatype: t.datatype, shape: t.shape, data: t.data }))
          .filter((t) => wanted.size === 0 || wanted.has(t.name));
        yield { modelName: 'identity', modelVersion: '1', id: request.id, outputs, parameters: {}, final: true };
        return;
      }
      case 'decoupled':
        throw unsupported("model 'decoupled' is decoupled; use the streaming gRPC API");
      case 'busy':
        throw new InferenceError('RESOURCE_EXHAUSTED', 'queue is full');
      case 'crash':
        throw new Error('backend exploded');
      case 'slow':
        // Like the real core, a signal that is already aborted counts (its event will not fire again).
        if (!ctx.signal.aborted) {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        }
        this.markCancelled();
        throw new InferenceError('CANCELLED', 'request cancelled');
      default:
        throw notFound(`Request for unknown model: '${request.modelName}' is not found`);
    }
  }
}
