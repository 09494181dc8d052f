/**
 * Coalesces the hot-path messages between the main thread and a model worker. Every postMessage
 * wakes the other thread and pays a structured-clone round of its own; under load many requests
 * are dispatched (and answered) in the same event-loop turn, so they travel as one `batch`
 * message flushed at the end of the turn (setImmediate), at most one turn later than alone.
 */

/** A batch of messages sent as one. */
export interface BatchMessage<M> {
  readonly type: 'batch';
  readonly messages: readonly M[];
}

/**
 * @example
 * ```ts
 * const out = new MessageBatcher<Msg>((m, transfer) => port.postMessage(m, transfer));
 * out.push({ type: 'execute', ... }, [buffer]);
 * ```
 */
export class MessageBatcher<M> {
  private messages: M[] = [];
  private transfer: ArrayBuffer[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  /** @param send posts one message (a single one as is, several as a {@link BatchMessage}). */
  constructor(
    private readonly send: (msg: M | BatchMessage<M>, transfer: ArrayBuffer[]) => void,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Queues a message; it leaves at the end of this event-loop turn. */
  push(msg: M, transfer: readonly ArrayBuffer[] = []): void {
    this.messages.push(msg);
    for (const t of transfer) this.transfer.push(t);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Sends whatever is queued now (call before a message that must keep its order). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const messages = this.messages;
    if (messages.length === 0) return;
    const transfer = this.transfer;
    this.messages = [];
    this.transfer = [];
    try {
      this.send(messages.length === 1 ? messages[0]! : { type: 'batch', messages }, transfer);
    } catch (err) {
      this.onError(err);
    }
  }
}
