/**
 * Coalesces the hot-path traffic between the main thread and a model worker into packets. Every
 * postMessage wakes the other thread and pays a structured-clone round of its own; under load
 * many requests are dispatched (and answered) in the same event-loop turn, so everything written
 * in one turn travels as one packet flushed at the end of the turn (setImmediate), at most one
 * turn later than alone.
 */
import { WirePacker, type Packet } from './wire-packet.js';

/**
 * @example
 * ```ts
 * const out = new PacketOutbox((packet) => port.postMessage(packet, packet.transfer));
 * const p = out.open();
 * p.value(Op.Cancel); p.value(key);
 * ```
 */
export class PacketOutbox {
  private readonly packer = new WirePacker();
  private scheduled: NodeJS.Immediate | undefined;
  private readonly flushNow = (): void => this.flush();

  /** @param send posts one packet (its buffers must go in the transfer list). */
  constructor(
    private readonly send: (packet: Packet) => void,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** The packer of the current packet; what is written to it leaves at the end of this turn. */
  open(): WirePacker {
    this.scheduled ??= setImmediate(this.flushNow);
    return this.packer;
  }

  /** Sends whatever is queued now (call before a message that must keep its order). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.packer.empty) return;
    const packet = this.packer.take();
    try {
      this.send(packet);
    } catch (err) {
      this.onError(err);
    }
  }
}
