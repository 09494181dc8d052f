/**
 * A small fake InferenceCore for the gRPC frontend's wire tests. Models (by name):
 * - `echo`: one final response whose outputs are the inputs (names prefixed `OUT_`);
 * - `decoupled`: refuses unary calls; otherwise yields `count` (default 3) INT32 responses,
 *   failing before response `fail_at` if set, then a bare final marker;
 * - `hang`: never answers; records its signal's abort reason and rejects with it;
 * - anything else: NOT_FOUND.
 * Emits 'request' (InferRequest, RequestContext) and 'aborted' (reason) for tests to wait on.
 */
import { EventEmitter } from 'node:events';
import { encodeElements } from '@tensorgate/protocol';
import { InferenceError, invalidArg, notFound, unsupported } from '../../core/errors.js';
import type { InferenceCore, LoadOptions, UnloadOptions } from '../../core/inference-core.js';
import type {
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
  ServerMetadata,
} from '../../core/protocol-shapes.js';
import type { ModelConfig } from '../../core/config/model-config.js';
import type { InferRequest, InferResponse, RequestContext } from '../../core/types.js';

const duration = () => ({ count: 0, ns: 0 });

export class FakeCore extends EventEmitter implements InferenceCore {
  ready = true;
  readonly contexts: RequestContext[] = [];
  readonly loads: Array<{ name: string; options: LoadOptions | undefined }> = [];
  readonly unloads: Array<{ name: string; options: UnloadOptions | undefined }> = [];

  isLive(): boolean {
    return true;
  }
  isReady(): boolean {
    return this.ready;
  }
  serverMetadata(): ServerMetadata {
    return { name: 'fake', version: '0.0.1', extensions: ['classification', 'model_repository'] };
  }
  isModelReady(name: string, version?: string): boolean {
    return name === 'echo' && (version === undefined || version === '1');
  }
  modelMetadata(name: string): ModelMetadata {
    if (name !== 'echo') throw notFound(`Request for unknown model: '${name}' is not found`);
    return {
      name,
      versions: ['1'],
      platform: 'fake',
      inputs: [{ name: 'IN', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'OUT_IN', datatype: 'FP32', shape: [-1, 4] }],
    };
  }
  modelConfig(name: string): ModelConfig {
    if (name !== 'echo') throw notFound(`Request for unknown model: '${name}' is not found`);
    return {
      name,
      platform: '',
      backend: 'fake',
      version_policy: { latest: { num_versions: 1 } },
      max_batch_size: 8,
      input: [
        {
          name: 'IN',
          data_type: 'TYPE_FP32',
          format: 'FORMAT_NONE',
          dims: [4],
          is_shape_tensor: false,
          allow_ragged_batch: false,
          optional: false,
        },
      ],
      output: [{ name: 'OUT_IN', data_type: 'TYPE_FP32', dims: [4], label_filename: '', is_shape_tensor: false }],
      instance_group: [{ name: 'echo_0', kind: 'KIND_CPU', count: 2, gpus: [] }],
      default_model_filename: '',
      parameters: { k: { string_value: 'v' } },
      model_transaction_policy: { decoupled: false },
      model_warmup: [],
    };
  }
  modelStatistics(name = ''): ModelStatistics[] {
    if (name !== '' && name !== 'echo') throw notFound(`Request for unknown model: '${name}' is not found`);
    return [
      {
        name: 'echo',
        version: '1',
        last_inference: 1700000000000,
        inference_count: 5,
        execution_count: 4,
        inference_stats: {
          success: { count: 5, ns: 1000 },
          fail: duration(),
          queue: duration(),
          compute_input: duration(),
          compute_infer: duration(),
          compute_output: duration(),
          cache_hit: duration(),
          cache_miss: duration(),
        },
        batch_stats: [
          { batch_size: 1, compute_input: duration(), compute_infer: { count: 4, ns: 40 }, compute_output: duration() },
        ],
        memory_usage: [],
        response_stats: {},
      },
    ];
  }
  async repositoryIndex(readyOnly = false): Promise<RepositoryIndexEntry[]> {
    const all: RepositoryIndexEntry[] = [
      { name: 'echo', version: '1', state: 'READY', reason: '' },
      { name: 'broken', version: '1', state: 'UNAVAILABLE', reason: 'load failed' },
    ];
    return readyOnly ? all.filter((e) => e.state === 'READY') : all;
  }
  async loadModel(name: string, options?: LoadOptions): Promise<void> {
    if (name === 'missing') throw notFound(`failed to load '${name}', no version is available`);
    this.loads.push({ name, options });
  }
  async unloadModel(name: string, options?: UnloadOptions): Promise<void> {
    this.unloads.push({ name, options });
  }
  addObserver(): void {}

  async *infer(request: InferRequest, ctx: RequestContext): AsyncIterable<InferResponse> {
    this.contexts.push(ctx);
    this.emit('request', request, ctx);
    const base = { modelName: request.modelName, modelVersion: '1', id: request.id, parameters: {} };
    switch (request.modelName) {
      case 'echo':
        yield {
          ...base,
          final: true,
          parameters: request.parameters,
          outputs: request.inputs.map((t) => ({
            name: `OUT_${t.name}`,
            datatype: t.datatype,
            shape: t.shape,
            data: t.data,
          })),
        };
        return;
      case 'decoupled': {
        if (!ctx.allowDecoupled) throw unsupported(`model '${request.modelName}' is decoupled; use ModelStreamInfer`);
        const count = Number(request.parameters['count'] ?? 3);
        const failAt = request.parameters['fail_at'];
        for (let i = 0; i < count; i++) {
          if (failAt === i) throw invalidArg(`fake failure at response ${i}`);
          await new Promise((r) => setImmediate(r));
          yield {
            ...base,
            final: false,
            outputs: [{ name: 'OUT', datatype: 'INT32', shape: [1], data: encodeElements('INT32', [i]) }],
          };
        }
        yield { ...base, final: true, emptyFinal: true, outputs: [] };
        return;
      }
      case 'hang':
        await new Promise<never>((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            this.emit('aborted', ctx.signal.reason);
            reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new InferenceError('CANCELLED', 'aborted'));
          });
        });
        return;
      default:
        throw notFound(`Request for unknown model: '${request.modelName}' is not found`);
    }
  }
}
