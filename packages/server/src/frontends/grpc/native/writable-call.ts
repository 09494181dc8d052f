/**
 * The handler-facing object of a server-streaming call on the native transport (LLM
 * StreamGenerate, health Watch), like grpc-js' `ServerWritableStream`: the response side of
 * {@link NativeDuplexCall} (`write(msg)` false while the client does not read, then `'drain'`;
 * `end()` sends the status, OK or the one of an `'error'` the handler emitted; a cancel sets
 * `cancelled`, emits `'cancelled'` and destroys the stream) with the one request already read.
 */
import type { CallTransport } from './call-transport.js';
import { NativeDuplexCall } from './duplex-call.js';

/**
 * One server-streaming call, after its request was read.
 *
 * @example
 * ```ts
 * method.handler(new NativeWritableCall(transport, request));
 * ```
 */
export class NativeWritableCall extends NativeDuplexCall {
  /** Takes over `transport` (already started) with its one deserialized `request`. */
  constructor(
    transport: CallTransport,
    readonly request: unknown,
  ) {
    super(transport);
    // No request messages follow: the read side ends now (and flows, so the stream closes
    // itself once the response side has finished, as a Writable does).
    this.push(null);
    this.resume();
  }

  /** @internal Never called: the request was read before this object existed. */
  override onMessage(): void {}

  /** @internal */
  override onHalfClose(): void {}
}
