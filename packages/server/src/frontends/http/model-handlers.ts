/**
 * Handlers of the per-model endpoints: metadata, readiness, configuration (Triton's model
 * configuration extension) and statistics (Triton's statistics extension).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { configToJson } from '../../core/config/config-json.js';
import type { InferenceCore } from '../../core/inference-core.js';
import { modelPath } from './request-helpers.js';

/** Per-model handlers bound to a core. */
export interface ModelHandlers {
  metadata(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  ready(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  config(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  stats(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  allStats(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

async function sendJson(reply: FastifyReply, value: unknown): Promise<void> {
  await reply.type('application/json').send(JSON.stringify(value));
}

/**
 * Builds the per-model handlers.
 *
 * @example
 * ```ts
 * const h = modelHandlers(core);
 * fastify.get('/v2/models/:model', h.metadata);
 * ```
 */
export function modelHandlers(core: InferenceCore): ModelHandlers {
  return {
    async metadata(request, reply) {
      const { model, version } = modelPath(request);
      await sendJson(reply, core.modelMetadata(model, version));
    },
    async ready(request, reply) {
      const { model, version } = modelPath(request);
      if (core.isModelReady(model, version)) {
        await reply.code(200).send();
        return;
      }
      // Triton answers 400 with an error body for a model (version) that is not ready.
      await reply
        .code(400)
        .type('application/json')
        .send(JSON.stringify({ error: 'Model version not ready' }));
    },
    async config(request, reply) {
      const { model, version } = modelPath(request);
      await sendJson(reply, configToJson(core.modelConfig(model, version)));
    },
    async stats(request, reply) {
      const { model, version } = modelPath(request);
      await sendJson(reply, { model_stats: core.modelStatistics(model, version) });
    },
    async allStats(_request, reply) {
      await sendJson(reply, { model_stats: core.modelStatistics('') });
    },
  };
}
