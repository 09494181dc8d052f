/**
 * Triton's shared-memory extension over HTTP: `GET /v2/{system,cuda}sharedmemory[/region/{r}]/status`,
 * `POST .../region/{r}/register` and `POST .../[region/{r}/]unregister` (all regions when no region
 * is named). System regions live in the server's {@link SharedMemoryRegistry}, shared with gRPC;
 * CUDA regions are never registered (status `[]`, unregister succeeds, register UNSUPPORTED).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidArg } from '../../core/errors.js';
import type { SharedMemoryRegistry } from '../shared-memory/system-shared-memory.js';
import { optionalJsonBody } from './request-helpers.js';
import type { JsonObject } from './json-fields.js';

function uintField(body: JsonObject, key: string, required: boolean): number {
  const v = body[key];
  if (v === undefined) {
    if (required) throw invalidArg(`Shared memory register request has no '${key}' field`);
    return 0;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalidArg(`Shared memory register request: '${key}' must be a non-negative integer`);
  }
  return v;
}

/**
 * The one handler of every shared-memory route; the route's path says which kind and action.
 *
 * @example
 * ```ts
 * fastify.get('/v2/systemsharedmemory/status', sharedMemoryHandler(registry));
 * ```
 */
export function sharedMemoryHandler(
  registry: SharedMemoryRegistry,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const url = request.routeOptions.url ?? '';
    const cuda = url.startsWith('/v2/cudasharedmemory');
    const action = url.slice(url.lastIndexOf('/') + 1);
    const region = (request.params as { region?: string }).region ?? '';
    let result: unknown = undefined;
    if (action === 'status') {
      result = cuda ? registry.cudaStatus(region) : registry.status(region);
    } else if (action === 'register') {
      if (cuda) registry.cudaRegister();
      registry.assertClientShmAllowed();
      if (region === '') throw invalidArg("'region name' is necessary to register system shared memory region");
      const body = optionalJsonBody(request, 'shared memory register request');
      const key = body['key'];
      if (key === undefined) throw invalidArg("Shared memory register request has no 'key' field");
      if (typeof key !== 'string') throw invalidArg("Shared memory register request: 'key' must be a string");
      const offset = uintField(body, 'offset', false);
      const byteSize = uintField(body, 'byte_size', true);
      await registry.register(region, key, offset, byteSize);
    } else if (cuda) {
      registry.cudaUnregister();
    } else {
      registry.unregister(region);
    }
    if (result === undefined) await reply.code(200).type('application/json').send('');
    else await reply.type('application/json').send(JSON.stringify(result));
  };
}
