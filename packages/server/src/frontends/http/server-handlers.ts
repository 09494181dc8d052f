/**
 * Handlers of the server-wide endpoints: liveness, readiness and server metadata. Health answers carry no body, as in Triton: 200 when true, 400 when
 * false (KServe v2 only requires "not 200").
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceCore } from '../../core/inference-core.js';

/** Server-level handlers bound to a core. */
export interface ServerHandlers {
  live(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  ready(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  metadata(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/**
 * Builds the server-level handlers.
 *
 * @example
 * ```ts
 * const h = serverHandlers(core);
 * fastify.get('/v2/health/live', h.live);
 * ```
 */
export function serverHandlers(core: InferenceCore): ServerHandlers {
  return {
    async live(_request, reply) {
      await reply.code(core.isLive() ? 200 : 400).send();
    },
    async ready(_request, reply) {
      await reply.code(core.isReady() ? 200 : 400).send();
    },
    async metadata(_request, reply) {
      await reply.type('application/json').send(JSON.stringify(core.serverMetadata()));
    },
  };
}
