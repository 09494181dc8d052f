/**
 * The calls the gateway makes on one upstream, as an interface: the real implementation wraps
 * @tensorgate/client's gRPC client (`grpc-transport.ts`); tests pass fakes. Keeping the gateway's
 * own request/reply types here means routing, shaping and balancing never see SDK classes.
 */
import type { OutputTensor } from './response-shaping.js';
import type { MappedTensor } from './tensor-mapping.js';
import type { UpstreamTransport } from './upstream-pool.js';

/** An output the gateway asks for; `classCount` uses the server's classification extension. */
export interface RequestedOutput {
  readonly name: string;
  readonly classCount?: number;
}

/** One inference call to an upstream. */
export interface UpstreamCall {
  readonly model: string;
  /** '' lets the server choose. */
  readonly version: string;
  readonly inputs: readonly MappedTensor[];
  /** Empty: every output. */
  readonly outputs: readonly RequestedOutput[];
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** Upstream deadline (gRPC deadline); past it the call fails with DEADLINE_EXCEEDED. */
  readonly timeoutMs?: number;
  /** Aborted when the HTTP client goes away. */
  readonly signal: AbortSignal;
}

/** A connection to one upstream server that can run inference. */
export interface GatewayTransport extends UpstreamTransport {
  /** A unary ModelInfer call; resolves with the reply's output tensors. */
  infer(call: UpstreamCall): Promise<OutputTensor[]>;
  /**
   * A ModelStreamInfer call carrying one request: yields the outputs of each response (responses
   * with no outputs, such as a decoupled model's bare final flag, are skipped) and ends after the
   * final one. Throws the upstream's error when a response carries one.
   */
  stream(call: UpstreamCall): AsyncIterable<OutputTensor[]>;
}
