/**
 * The sequence batcher's bookkeeping of one sequence (one correlation id from its START request to
 * its END, idle release or cancellation) and of one request of it waiting for execution.
 */
import type { ModelInstance } from '../../../backend-api/backend.js';
import type { SchedulerJob } from '../scheduler.js';

/** A correlation id as the request parameter `sequence_id` carries it. */
export type SequenceId = number | string;

/** Map key of a sequence id: a string id and an integer id never collide ("1" is not 1). */
export function sequenceKey(id: SequenceId): string {
  return typeof id === 'string' ? `s:${id}` : `n:${id}`;
}

/** The id as messages show it (Triton's form: the integer, or the string as it is). */
export function showId(id: SequenceId): string {
  return String(id);
}

/** One instance of the model, with its sequence slots. */
export interface Lane {
  readonly instance: ModelInstance;
  readonly slots: SequenceSlot[];
  /** Executing a batch now. */
  busy: boolean;
  /** False while the instance reports itself unavailable. */
  up: boolean;
}

/** A batch slot of an instance: a sequence owns it from its START until it ends or is released. */
export interface SequenceSlot {
  readonly lane: Lane;
  /** Position in the instance's batch (direct: the row of the batch tensors). */
  readonly index: number;
  record: SequenceRecord | undefined;
}

/** Something that wants to hear when a waiting request's signal aborts. */
export interface PendingSink {
  cancelPending(pending: PendingRequest): void;
}

/** A request of a sequence, waiting in its sequence's queue; its own abort listener. */
export class PendingRequest {
  done = false;
  /** Sequence requests carry one row each (the batcher refuses larger ones). */
  readonly batchSize = 1;

  constructor(
    readonly job: SchedulerJob,
    readonly record: SequenceRecord,
    readonly enqueuedNs: number,
    /** Request parameter `sequence_start`. */
    readonly start: boolean,
    /** Request parameter `sequence_end`. */
    readonly end: boolean,
    /** What may batch with what (see batch-signature.ts). */
    readonly signature: string,
    private readonly sink: PendingSink,
  ) {}

  /** The job's signal aborted while it waited. */
  handleEvent(): void {
    if (!this.done) this.sink.cancelPending(this);
  }

  /** Stops listening to the job's signal. */
  unlisten(): void {
    this.job.request.signal.removeEventListener('abort', this);
  }
}

/**
 * One sequence: its id, its slot (none while it waits in the backlog), the requests queued for it
 * in arrival order, and when it last received one (for `max_sequence_idle_microseconds`).
 * Implicit state (`sequence_batching.state`) belongs here too: it lives as long as the sequence.
 */
export class SequenceRecord {
  /** Requests waiting to execute, in arrival order; one per batch leaves the front. */
  readonly queue: PendingRequest[] = [];
  slot: SequenceSlot | undefined;
  /** When its latest request arrived (clock ns). */
  lastNs: number;
  /** Backlog only: when its waiting requests time out (the smallest request `timeout`; clock ns). */
  expiresNs = Infinity;
  /** A request of it is executing now. */
  inFlight = false;
  /**
   * No request may join any more: its END arrived, or it was released (idle, cancelled, its
   * instance lost). Its slot is freed once its queue is empty and nothing of it executes.
   */
  closed = false;

  constructor(
    readonly id: SequenceId,
    readonly key: string,
    nowNs: number,
  ) {
    this.lastNs = nowNs;
  }
}
