/**
 * Triton's trace extension over HTTP: `GET /v2[/models/{m}]/trace/setting` reads the trace
 * settings (global, or in effect for a model) and `POST` changes some of them and answers with
 * all of them (src/http_server.cc HandleTrace). The body is a JSON object: `trace_level` an array
 * of levels, the others strings, and null clears a setting (a model's then follows the global
 * one). The settings live in the server's one {@link TraceManager}, shared with gRPC
 * TraceSetting. A model name must be a ready model (`Request for unknown model : <name>`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidArg } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import { parseTraceChanges, UPDATABLE_TRACE_SETTINGS } from '../../core/trace/trace-changes.js';
import type { TraceManager } from '../../core/trace/trace-manager.js';
import { optionalJsonBody } from './request-helpers.js';

/** Handlers of the trace setting routes. */
export interface TraceHandlers {
  get(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  update(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/** One setting of the request body → a list of strings, or null (clear). */
function settingValue(key: string, value: unknown): string[] | null {
  // Other keys are refused by name (parseTraceChanges), whatever their value.
  if (value === null || !(UPDATABLE_TRACE_SETTINGS as readonly string[]).includes(key)) return null;
  if (key === 'trace_level') {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      throw invalidArg('\'trace_level\' must be an array of strings (e.g. ["TIMESTAMPS"]) or null');
    }
    return value as string[];
  }
  if (typeof value !== 'string') throw invalidArg(`'${key}' must be a string (e.g. "100") or null`);
  return [value];
}

/** The settings as the response carries them: a list for trace_level (and repeated values), else a string. */
function toJson(values: Record<string, string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, list] of Object.entries(values)) {
    out[key] = key === 'trace_level' || list.length !== 1 ? list : list[0]!;
  }
  return out;
}

/**
 * @example
 * ```ts
 * const h = traceHandlers(core, traces);
 * fastify.get('/v2/trace/setting', h.get);
 * ```
 */
export function traceHandlers(core: Pick<InferenceCore, 'isModelReady'>, traces: TraceManager): TraceHandlers {
  const modelOf = (request: FastifyRequest): string => {
    const model = (request.params as { model?: string }).model ?? '';
    if (model !== '' && !core.isModelReady(model)) throw invalidArg(`Request for unknown model : ${model}`);
    return model;
  };
  const send = async (reply: FastifyReply, model: string): Promise<void> => {
    await reply.type('application/json').send(JSON.stringify(toJson(traces.settings(model))));
  };
  return {
    async get(request, reply) {
      await send(reply, modelOf(request));
    },
    async update(request, reply) {
      const model = modelOf(request);
      const body = optionalJsonBody(request, 'trace settings');
      // Client-chosen keys: a null-prototype object keeps `__proto__` as a key (refused by name).
      const changes = Object.create(null) as Record<string, string[] | null>;
      for (const [key, value] of Object.entries(body)) changes[key] = settingValue(key, value);
      if (Object.keys(changes).length > 0) traces.update(model, parseTraceChanges(changes, traces.startup.mode));
      await send(reply, model);
    },
  };
}
