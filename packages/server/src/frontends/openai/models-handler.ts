/**
 * `GET /v1/models` and `GET /v1/models/{model}`: the ready models that implement the LLM contract,
 * as OpenAI `model` objects. `created` is when this frontend started (tensorgate keeps no model
 * creation dates).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceCore } from '../../core/inference-core.js';
import { listLlmModels } from './llm-models.js';
import { OpenAiError } from './openai-errors.js';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Builds the two model handlers.
 *
 * @example
 * ```ts
 * const models = modelsHandlers(core);
 * fastify.get('/v1/models', models.list);
 * ```
 */
export function modelsHandlers(core: InferenceCore): { list: Handler; retrieve: Handler } {
  const created = Math.floor(Date.now() / 1000);
  const entry = (id: string): object => ({ id, object: 'model', created, owned_by: 'tensorgate' });
  return {
    list: async (_request, reply) => {
      const names = await listLlmModels(core);
      await reply.type('application/json').send(JSON.stringify({ object: 'list', data: names.map(entry) }));
    },
    retrieve: async (request, reply) => {
      const { model } = request.params as { model: string };
      if (!(await listLlmModels(core)).includes(model)) {
        throw new OpenAiError(404, `The model '${model}' does not exist`, { param: 'model', code: 'model_not_found' });
      }
      await reply.type('application/json').send(JSON.stringify(entry(model)));
    },
  };
}
