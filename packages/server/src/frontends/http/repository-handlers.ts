/**
 * Handlers of Triton's model repository extension: index, load and unload. Bodies are optional
 * JSON; load accepts `{"parameters": {"config": "<json>"}}`, unload
 * `{"parameters": {"unload_dependents": true}}`. Success answers 200 with an empty body, as Triton.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidArg, unsupported } from '../../core/errors.js';
import type { InferenceCore, LoadOptions, UnloadOptions } from '../../core/inference-core.js';
import { jsonKind, optionalObject, refuseUnknownKeys } from './json-fields.js';
import { modelPath, optionalJsonBody } from './request-helpers.js';

/** Repository handlers bound to a core. */
export interface RepositoryHandlers {
  index(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  load(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  unload(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** `/v2/repository/{repo}/...`: naming a repository is not supported (as in Triton). */
  namedRepository(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/** Reads the load request's parameters into core LoadOptions. */
export function loadOptionsFrom(body: Record<string, unknown>): LoadOptions {
  refuseUnknownKeys(body, ['parameters'], 'load model request');
  const params = optionalObject(body, 'parameters', 'load model request');
  const options: LoadOptions = {};
  if (params === undefined) return options;
  for (const [key, value] of Object.entries(params)) {
    if (key.startsWith('file:')) {
      throw unsupported(
        `load parameter '${key}': file overrides ('file:' parameters) are not supported by this server; put the model files in the repository`,
      );
    }
    if (key !== 'config') {
      throw invalidArg(`load model request: unknown parameter '${key}' (supported: 'config')`);
    }
    if (typeof value !== 'string') {
      throw invalidArg(`load model request: parameter 'config' must be a string of JSON, got ${jsonKind(value)}`);
    }
    options.config = value;
  }
  return options;
}

/** Reads the unload request's parameters into core UnloadOptions. */
export function unloadOptionsFrom(body: Record<string, unknown>): UnloadOptions {
  refuseUnknownKeys(body, ['parameters'], 'unload model request');
  const params = optionalObject(body, 'parameters', 'unload model request');
  for (const key of Object.keys(params ?? {})) {
    if (key !== 'unload_dependents') {
      throw invalidArg(`unload model request: unknown parameter '${key}' (supported: 'unload_dependents')`);
    }
  }
  const ud = params?.['unload_dependents'];
  if (ud === undefined) return {};
  if (typeof ud !== 'boolean') {
    throw invalidArg(`Unable to parse 'unload_dependents': expected a boolean, got ${jsonKind(ud)}`);
  }
  return { unloadDependents: ud };
}

/**
 * Builds the repository handlers.
 *
 * @example
 * ```ts
 * const h = repositoryHandlers(core);
 * fastify.post('/v2/repository/index', h.index);
 * ```
 */
export function repositoryHandlers(core: InferenceCore): RepositoryHandlers {
  return {
    async index(request, reply) {
      const body = optionalJsonBody(request, 'repository index request');
      refuseUnknownKeys(body, ['ready'], 'repository index request');
      const ready = body['ready'];
      if (ready !== undefined && typeof ready !== 'boolean') {
        throw invalidArg(`Invalid value for 'ready': expected a boolean, got ${jsonKind(ready)}`);
      }
      const entries = await core.repositoryIndex(ready === true);
      await reply.type('application/json').send(JSON.stringify(entries));
    },
    async load(request, reply) {
      const { model } = modelPath(request);
      const options = loadOptionsFrom(optionalJsonBody(request, 'load model request'));
      await core.loadModel(model, options);
      await reply.code(200).type('application/json').send();
    },
    async unload(request, reply) {
      const { model } = modelPath(request);
      const options = unloadOptionsFrom(optionalJsonBody(request, 'unload model request'));
      await core.unloadModel(model, options);
      await reply.code(200).type('application/json').send();
    },
    async namedRepository() {
      throw unsupported("'repository_name' specification is not supported");
    },
  };
}
