/**
 * The OpenAI-compatible API (`/v1/models`, `/v1/completions`, `/v1/chat/completions`,
 * `/v1/embeddings`), mounted on
 * the HTTP frontend's fastify instance at composition time. It runs in its own fastify
 * encapsulation context, so its API-key check, its OpenAI-shaped errors and its 404s apply to
 * `/v1` only, and the KServe routes keep theirs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { InferenceCore } from '../../core/inference-core.js';
import { API_GROUP_TABLE } from '../api-groups.js';
import { apiKeyCheck } from './api-key.js';
import { chatCompletionsHandler } from './chat/chat-completions-handler.js';
import { completionsHandler } from './completions/completions-handler.js';
import { embeddingsHandler } from './embeddings/embeddings-handler.js';
import { modelsHandlers } from './models-handler.js';
import { OpenAiError, toOpenAiFailure } from './openai-errors.js';
import { OPENAI_PREFIX, OPENAI_ROUTES, type OpenAiHandlerName } from './routes.js';

/** Options of {@link mountOpenAiFrontend}. */
export interface OpenAiFrontendOptions {
  readonly logger: Logger;
  /** When set, every `/v1` request needs `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | undefined;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Registers the OpenAI routes on `app` (before it listens).
 *
 * @example
 * ```ts
 * const http = createHttpFrontend(core, { logger });
 * mountOpenAiFrontend(http.server, core, { logger, apiKey: process.env.TENSORGATE_OPENAI_API_KEY });
 * await http.listen(8000);
 * ```
 */
export function mountOpenAiFrontend(app: FastifyInstance, core: InferenceCore, options: OpenAiFrontendOptions): void {
  const models = modelsHandlers(core);
  const handlers: Record<OpenAiHandlerName, Handler> = {
    listModels: models.list,
    retrieveModel: models.retrieve,
    completions: completionsHandler(core),
    chatCompletions: chatCompletionsHandler(core),
    embeddings: embeddingsHandler(core),
  };
  void app.register(
    async (scope) => {
      if (options.apiKey !== undefined && options.apiKey !== '')
        scope.addHook('onRequest', apiKeyCheck(options.apiKey));
      scope.setErrorHandler(async (err, request, reply) => {
        const failure = toOpenAiFailure(err);
        if (failure.status >= 500 && failure.status !== 503) {
          options.logger.error({ err, url: request.url }, 'OpenAI request failed');
        }
        await reply.code(failure.status).type('application/json').send(JSON.stringify(failure.body));
      });
      scope.setNotFoundHandler(async (request, reply) => {
        const path = request.url.split('?')[0] ?? request.url;
        const failure = toOpenAiFailure(new OpenAiError(404, `no route for ${request.method} ${path}`));
        await reply.code(404).type('application/json').send(JSON.stringify(failure.body));
      });
      for (const route of OPENAI_ROUTES) {
        const url = route.url.slice(OPENAI_PREFIX.length);
        // The group (`inference`) lets --http-restricted-api guard /v1 as well (http/restricted-routes.ts).
        const config = { apiGroup: API_GROUP_TABLE.openai[route.handler] };
        scope.route({ method: route.method, url, config, handler: handlers[route.handler] });
      }
    },
    { prefix: OPENAI_PREFIX },
  );
}
