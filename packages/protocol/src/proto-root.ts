/**
 * Loads tensorgate's .proto files (wire-compatible with Triton's) into one protobufjs Root.
 *
 * Field names are kept as written in the .proto files (snake_case, `keepCase`), so decoded
 * messages and the objects we encode use the same names as Triton's REST JSON and config.pbtxt.
 * 64-bit integers decode to JS numbers (protobufjs' Long support is switched off): shapes,
 * counters and nanosecond durations all fit below 2^53 in practice.
 */
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Directory holding the .proto files of this package. */
export const PROTO_DIR: string = fileURLToPath(new URL('../proto', import.meta.url));

/** The proto files of the wire contracts, relative to {@link PROTO_DIR}. */
export const PROTO_FILES = {
  grpcService: 'grpc_service.proto',
  modelConfig: 'model_config.proto',
  health: 'health.proto',
  llmService: 'llm_service.proto',
} as const;

// Decode int64/uint64 as numbers everywhere.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

const cache = new Map<string, protobuf.Root>();

/**
 * Loads (once) and returns a Root with the given proto files, by default all of them.
 *
 * @example
 * ```ts
 * const ModelConfig = loadProtoRoot(['model_config.proto']).lookupType('inference.ModelConfig');
 * ```
 */
export function loadProtoRoot(files: readonly string[] = Object.values(PROTO_FILES)): protobuf.Root {
  const key = files.join('|');
  let root = cache.get(key);
  if (!root) {
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTO_DIR, target));
    root.loadSync(files.slice(), { keepCase: true });
    root.resolveAll();
    cache.set(key, root);
  }
  return root;
}
