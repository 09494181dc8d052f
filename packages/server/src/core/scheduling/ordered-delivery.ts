/**
 * `preserve_ordering`: responses reach clients in the order the batcher sent the requests to
 * execution (their arrival order: the config allows it only with a single priority level and no
 * DELAY timeouts), even when batches on different instances finish out of order.
 *
 * As in Triton (`DynamicBatchScheduler::DelegateResponse` / `FinalizeResponses`), each dispatched
 * request gets a slot in a FIFO. The oldest unfinished request's responses pass straight through,
 * so a decoupled model still streams; a later request's responses are held until every earlier
 * request is complete. For decoupled models a long stream therefore holds back the requests behind
 * it: Triton warns of the same cost.
 *
 * A slot also holds the execution outcome (`onExecuted`): the core fails a request whose
 * execution ended before its final response, so the outcome must not overtake held responses.
 */
import type { BackendResponse, ExecutionRequest, ExecutionTimings, ResponseSender } from '../../backend-api/backend.js';
import type { InferenceError } from '../errors.js';
import type { SchedulerJob } from './scheduler.js';

/** The outcome of the execution that included a request. */
export type ExecutionOutcome = { timings: ExecutionTimings } | { error: InferenceError };

/** Where the batcher reports a request's execution outcome. */
export interface OutcomeSink {
  onExecuted(result: ExecutionOutcome): void;
}

/** One dispatched request: the sender the backend sees and the outcome sink the batcher calls. */
class Slot implements ResponseSender, OutcomeSink {
  /** What the backend receives: the job's request with this slot as its sender. */
  readonly request: ExecutionRequest;
  /** Responses held while an earlier request is unfinished. */
  held: Array<{ response: BackendResponse | undefined; final: boolean }> | undefined;
  outcome: ExecutionOutcome | undefined;
  /** Set once this slot was at the head: its responses pass straight through from then on. */
  open = false;

  constructor(
    readonly job: SchedulerJob,
    private readonly owner: OrderedDelivery,
  ) {
    this.request = { ...job.request, sender: this };
  }

  send(response: BackendResponse | undefined, flags: { final: boolean }): void {
    if (this.open) this.job.request.sender.send(response, flags);
    else (this.held ??= []).push({ response, final: flags.final });
  }

  onExecuted(result: ExecutionOutcome): void {
    this.outcome = result;
    this.owner.flush();
  }
}

/**
 * @example
 * ```ts
 * const ordering = new OrderedDelivery();
 * const slot = ordering.admit(job);      // at dispatch, in order
 * instance.execute([slot.request]).then((timings) => slot.onExecuted({ timings }));
 * ```
 */
export class OrderedDelivery {
  private slots: Slot[] = [];
  private head = 0;

  /** Requests dispatched and not yet complete. */
  get pending(): number {
    return this.slots.length - this.head;
  }

  /** Registers a request as it goes to execution; returns its request for the backend and its outcome sink. */
  admit(job: SchedulerJob): { readonly request: ExecutionRequest } & OutcomeSink {
    const slot = new Slot(job, this);
    if (this.head === this.slots.length) slot.open = true;
    this.slots.push(slot);
    return slot;
  }

  /** Delivers whatever the order now allows. */
  flush(): void {
    for (;;) {
      const slots = this.slots;
      if (this.head >= slots.length) return;
      const slot = slots[this.head]!;
      if (!slot.open) {
        slot.open = true;
        const held = slot.held;
        slot.held = undefined;
        if (held) for (const h of held) slot.job.request.sender.send(h.response, { final: h.final });
      }
      const outcome = slot.outcome;
      if (!outcome) return;
      slots[this.head++] = undefined as unknown as Slot; // drop the reference at once
      if (this.head === slots.length) {
        this.slots = [];
        this.head = 0;
      } else if (this.head > 64 && this.head * 2 > slots.length) {
        this.slots = slots.slice(this.head);
        this.head = 0;
      }
      slot.job.onExecuted(outcome);
    }
  }
}
