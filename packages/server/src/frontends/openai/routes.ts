/**
 * The route table of the OpenAI-compatible API, mounted under `/v1` on the HTTP port. One place for
 * its paths, read by the frontend (to register them) and by the docs test (docs/api.md lists them).
 */

/** Names of the handlers an OpenAI route can point to. */
export type OpenAiHandlerName = 'listModels' | 'retrieveModel' | 'completions' | 'chatCompletions' | 'embeddings';

/** One row of the OpenAI route table. */
export interface OpenAiRouteSpec {
  readonly method: 'GET' | 'POST';
  /** Full path, `:model` a path parameter (model names may not contain `/`). */
  readonly url: string;
  readonly handler: OpenAiHandlerName;
}

/** Prefix of every OpenAI route: the OpenAI SDKs' `baseURL` is `http://host:8000/v1`. */
export const OPENAI_PREFIX = '/v1';

/**
 * Every OpenAI route.
 *
 * @example
 * ```ts
 * OPENAI_ROUTES.find((r) => r.handler === 'chatCompletions')?.url // '/v1/chat/completions'
 * ```
 */
export const OPENAI_ROUTES: readonly OpenAiRouteSpec[] = [
  { method: 'GET', url: `${OPENAI_PREFIX}/models`, handler: 'listModels' },
  { method: 'GET', url: `${OPENAI_PREFIX}/models/:model`, handler: 'retrieveModel' },
  { method: 'POST', url: `${OPENAI_PREFIX}/completions`, handler: 'completions' },
  { method: 'POST', url: `${OPENAI_PREFIX}/chat/completions`, handler: 'chatCompletions' },
  { method: 'POST', url: `${OPENAI_PREFIX}/embeddings`, handler: 'embeddings' },
];
