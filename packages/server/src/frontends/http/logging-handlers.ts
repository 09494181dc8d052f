/**
 * Triton's logging extension over HTTP: `GET /v2/logging` reads the log settings and
 * `POST /v2/logging` changes some of them (a JSON object with Triton's keys) and answers with all of
 * them. The settings store is shared with the gRPC LogSettings RPC, so both protocols see one state.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidArg } from '../../core/errors.js';
import type { LogSettingValue, LogSettingsStore } from '../../core/log-settings.js';
import { optionalJsonBody } from './request-helpers.js';

/** Handlers of `/v2/logging`. */
export interface LoggingHandlers {
  get(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  update(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/**
 * @example
 * ```ts
 * const h = loggingHandlers(new LogSettingsStore(logger));
 * fastify.get('/v2/logging', h.get);
 * ```
 */
export function loggingHandlers(store: LogSettingsStore): LoggingHandlers {
  const send = async (reply: FastifyReply, values: object): Promise<void> => {
    await reply.type('application/json').send(JSON.stringify(values));
  };
  return {
    async get(_request, reply) {
      await send(reply, store.get());
    },
    async update(request, reply) {
      const body = optionalJsonBody(request, 'log settings');
      const changes: Record<string, LogSettingValue> = {};
      for (const [key, value] of Object.entries(body)) {
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          throw invalidArg(`log setting '${key}' must be a string, number or boolean`);
        }
        changes[key] = value;
      }
      await send(reply, store.update(changes));
    },
  };
}
