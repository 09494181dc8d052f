/**
 * Model repository RPCs: RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload.
 *
 * Load understands the `config` parameter (a JSON model config given as string_param, which
 * replaces config.pbtxt for this load). `file:<path>` parameters (model files sent inline) are
 * not supported yet and fail with UNIMPLEMENTED; any other parameter fails with INVALID_ARGUMENT
 * naming it, as over HTTP. Unload understands `unload_dependents` only. A named repository
 * (`repository_name`) is not supported, as in Triton.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type {
  ModelRepositoryParameterMessage,
  RepositoryIndexRequestMessage,
  RepositoryModelRequestMessage,
} from '@tensorgate/protocol';
import type { Logger } from 'pino';
import { invalidArg, unsupported } from '../../core/errors.js';
import type { InferenceCore, LoadOptions, UnloadOptions } from '../../core/inference-core.js';
import { messageType } from './service-definition.js';
import { unary } from './unary.js';

/** True when the oneof member `field` is the one set (decoded messages name it; plain objects are probed). */
function isSet(p: ModelRepositoryParameterMessage, field: keyof ModelRepositoryParameterMessage): boolean {
  // Only own properties count: decoded messages keep unset members' defaults on the prototype.
  return p.parameter_choice !== undefined ? p.parameter_choice === field : Object.hasOwn(p, field);
}

function checkRepositoryName(name: string): void {
  if (name !== '') throw unsupported(`'repository_name' specification is not supported`);
}

/** Turns RepositoryModelLoad parameters into core {@link LoadOptions}. */
export function loadOptionsOf(params: Record<string, ModelRepositoryParameterMessage> | null | undefined): LoadOptions {
  const options: LoadOptions = {};
  if (params == null) return options;
  for (const key in params) {
    const p = params[key]!;
    if (key === 'config') {
      if (!isSet(p, 'string_param')) {
        throw invalidArg(`the 'config' load parameter must be a string_param holding a JSON model config`);
      }
      options.config = p.string_param!;
    } else if (key.startsWith('file:')) {
      throw unsupported(
        `loading model files sent with the request ('${key}') is not supported by tensorgate yet; ` +
          `place the files in the model repository`,
      );
    } else {
      throw invalidArg(`load model request: unknown parameter '${key}' (supported: 'config')`);
    }
  }
  return options;
}

/** Turns RepositoryModelUnload parameters into core {@link UnloadOptions}. */
export function unloadOptionsOf(
  params: Record<string, ModelRepositoryParameterMessage> | null | undefined,
): UnloadOptions {
  for (const key in params ?? {}) {
    if (key !== 'unload_dependents') {
      throw invalidArg(`unload model request: unknown parameter '${key}' (supported: 'unload_dependents')`);
    }
  }
  const p = params?.['unload_dependents'];
  if (p == null) return {};
  if (!isSet(p, 'bool_param')) throw invalidArg(`the 'unload_dependents' parameter must be a bool_param`);
  return { unloadDependents: p.bool_param === true };
}

/**
 * Handlers of the repository RPCs, keyed by RPC name.
 *
 * @example
 * ```ts
 * server.addService(definition, { ...repositoryHandlers(core, logger) });
 * ```
 */
export function repositoryHandlers(core: InferenceCore, logger: Logger): UntypedServiceImplementation {
  const RepositoryIndexResponse = messageType('inference.RepositoryIndexResponse');
  return {
    RepositoryIndex: unary(logger, async (req: RepositoryIndexRequestMessage) => {
      checkRepositoryName(req.repository_name);
      return RepositoryIndexResponse.fromObject({ models: await core.repositoryIndex(req.ready) });
    }),
    RepositoryModelLoad: unary(logger, async (req: RepositoryModelRequestMessage) => {
      checkRepositoryName(req.repository_name);
      await core.loadModel(req.model_name, loadOptionsOf(req.parameters));
      return {};
    }),
    RepositoryModelUnload: unary(logger, async (req: RepositoryModelRequestMessage) => {
      checkRepositoryName(req.repository_name);
      await core.unloadModel(req.model_name, unloadOptionsOf(req.parameters));
      return {};
    }),
  };
}
