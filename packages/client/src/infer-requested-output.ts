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
    this.binary = options.binary ?? true;
    this.classCount = options.classCount ?? 0;
    this.parameters = options.parameters ?? {};
  }
}
