/**
 * An output the client asks for, with its per-output options.
 */
import type { Parameters } from './options.js';

/** Options of {@link InferRequestedOutput}. */
export interface RequestedOutputOptions {
  /**
   * HTTP only: receive the output as binary tensor data (default true) rather than JSON `data`.
   * gRPC always receives raw bytes.
   */
  readonly binary?: boolean;
  /**
   * Classification extension: return the top `classCount` classes as BYTES strings
   * `"<value>:<index>[:<label>]"` instead of the raw tensor (0 = off).
   */
  readonly classCount?: number;
  /** Other output parameters. */
  readonly parameters?: Parameters;
  /**
   * Write the output into a system shared-memory region the client registered (Triton's
   * shared-memory extension, docs/shared-memory.md): `byteSize` bytes at `offset` (default 0) of
   * `region`. The response then carries the output's name, datatype and shape only; read its bytes
   * from the region.
   */
  readonly sharedMemory?: { readonly region: string; readonly byteSize: number; readonly offset?: number };
}

/**
 * Names an output to return. Without any requested outputs, a request returns every output.
 *
 * @example
 * ```ts
 * const top3 = new InferRequestedOutput('OUTPUT0', { classCount: 3 });
 * await client.infer('simple', inputs, { outputs: [top3] });
 * ```
 */
export class InferRequestedOutput {
  /** The output's name. */
  readonly name: string;
  /** Whether the HTTP client asks for binary data. */
  readonly binary: boolean;
  /** Top-N classification count (0 = off). */
  readonly classCount: number;
  /** Other output parameters. */
  readonly parameters: Parameters;

  constructor(name: string, options: RequestedOutputOptions = {}) {
    this.name = name;
    const shm = options.sharedMemory;
    // An output in shared memory comes as no data at all: it must not also ask for binary data.
    this.binary = shm === undefined ? (options.binary ?? true) : false;
    this.classCount = options.classCount ?? 0;
    this.parameters =
      shm === undefined
        ? (options.parameters ?? {})
        : {
            ...options.parameters,
            shared_memory_region: shm.region,
            shared_memory_byte_size: shm.byteSize,
            ...(shm.offset !== undefined && shm.offset !== 0 ? { shared_memory_offset: shm.offset } : {}),
          };
  }
}
