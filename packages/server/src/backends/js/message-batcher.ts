/**
 * Coalesces the hot-path traffic between the main thread and a model worker into packets. Every
 * postMessage wakes the other thread and pays a structured-clone round of its own; under load
 * many requests are dispatched (and answered) in the same event-loop turn, so everything written
 * in one turn travels as one packet flushed at the end of the turn (setImmediate), at most one
 * turn later than alone, or as soon as {@link FLUSH_EVERY_OPS} operations are complete, so the
 * other thread starts on the first ones while this one writes the rest.
 */
import { WirePacker, type Packet } from './wire-packet.js';

/**
 * Complete operations (executions sent, executions answered) after which a packet leaves at once
 * instead of at the end of the turn. On `simple` under h2load (-c 4 -m 16, 64 in flight) whole
 * turns made packets of ~30 requests, and the event loop sat idle while the worker ran a whole
 * packet; flushing every 16 gave 31.2k against 28.0k req/s (15 interleaved rounds, 10 won) and a
 * lower event-loop cost per request. Every 8 was within noise.
 */
export const FLUSH_EVERY_OPS = 16;

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
  /** Operations completed ({@link endOp}) since the last flush. */
  private ops = 0;

  /**
   * @param send posts one packet (its buffers must go in the transfer list).
   * @param flushEveryOps complete operations that make a packet leave before the turn ends.
   */
  constructor(
    private readonly send: (packet: Packet) => void,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly flushEveryOps = FLUSH_EVERY_OPS,
  ) {}

  /** The packer of the current packet; what is written to it leaves at the end of this turn. */
  open(): WirePacker {
    this.scheduled ??= setImmediate(this.flushNow);
    return this.packer;
  }

  /**
   * Marks the operation written since {@link open} as complete; the packet leaves now if it holds
   * `flushEveryOps` of them. Never call it in the middle of an operation: a flush detaches the
   * packet's buffers, and with them any view {@link WirePacker.copy} handed out.
   */
  endOp(): void {
    if (++this.ops >= this.flushEveryOps) this.flush();
  }

  /** Sends whatever is queued now (call before a message that must keep its order). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.ops = 0;
    if (this.packer.empty) return;
    const packet = this.packer.take();
    try {
      this.send(packet);
    } catch (err) {
      this.onError(err);
    }
  }
}
