/**
 * The server-wide budget for decompression output in flight (`--decompression-budget-bytes`): how
 * many bytes every gzip / deflate inflation under way at once, over HTTP and both gRPC transports,
 * may produce together. The per-message limits (`--grpc-max-message-bytes`, `--http-max-body-bytes`)
 * bound one bomb; without this, 50 concurrent 1 MB bombs each inflated to the 65 MiB limit at once
 * and the server grew by 3.3 GB for ~50 MB of traffic. gRPC core bounds memory across all calls the
 * same way (its ResourceQuota); Envoy's overload manager and nginx have nothing per decompression.
 *
 * An inflation reserves, before it starts, an upper bound of its output: deflate cannot expand its
 * input more than {@link MAX_DEFLATE_RATIO} times (the zlib FAQ's 1032:1, plus gzip's and zlib's
 * headers), and never more than the message limit. What the budget cannot cover is not queued: the
 * caller either inflates with the output capped at what it got (`bounded-inflate.ts`: a message
 * that turns out smaller still passes) or refuses at once with {@link InflateBusyError}, which the
 * frontends answer RESOURCE_EXHAUSTED / 503, retryable. The reservation is returned as soon as the
 * inflation ends (its output then belongs to the request, as an uncompressed message would).
 *
 * Hand-written: a counter with a ceiling; a semaphore library would queue, which is what this
 * must not do.
 */

/** Deflate's largest expansion (zlib FAQ: 1032:1); gzip and zlib framing only add input bytes. */
export const MAX_DEFLATE_RATIO = 1032;

/**
 * Default budget: 320 MiB. Four 64 MiB tensors (65 MiB messages) inflate at once with room to
 * spare for small messages, and 50 concurrent 1 GiB bombs peak at about this much instead of 3.3 GB.
 */
export const DEFAULT_DECOMPRESSION_BUDGET_BYTES = 320 * 1024 * 1024;

/** The budget could not cover an inflation: the server answers RESOURCE_EXHAUSTED / 503, retryable. */
export class InflateBusyError extends Error {
  constructor(
    /** The budget, in bytes. */
    readonly budgetBytes: number,
    /** Bytes reserved by other inflations when this one was refused. */
    readonly inUseBytes: number,
  ) {
    super(
      `the server is busy decompressing other requests (${inUseBytes} of its ${budgetBytes}-byte ` +
        'decompression budget in use); retry later, or send the request uncompressed',
    );
    this.name = 'InflateBusyError';
  }
}

/**
 * The most a compressed input of `inputBytes` can inflate to, capped at `maxBytes`: what an
 * inflation reserves from the budget.
 *
 * @example
 * ```ts
 * worstCaseOutput(1000, 65 << 20) // 1_032_000
 * ```
 */
export function worstCaseOutput(inputBytes: number, maxBytes: number): number {
  return Math.min(maxBytes, inputBytes * MAX_DEFLATE_RATIO);
}

/**
 * The shared counter; one per server, handed to every frontend that inflates.
 *
 * @example
 * ```ts
 * const budget = new InflateBudget(320 << 20);
 * const granted = budget.reserve(worstCaseOutput(input.length, limit));
 * try { ... inflate with the output capped at `granted` ... } finally { budget.release(granted); }
 * ```
 */
export class InflateBudget {
  private used = 0;

  constructor(
    /** Bytes of inflation output allowed in flight at once. */
    readonly limitBytes: number,
  ) {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 1) {
      throw new RangeError(`the decompression budget must be a whole number of bytes >= 1, got ${limitBytes}`);
    }
  }

  /** Bytes reserved now. */
  get inUseBytes(): number {
    return this.used;
  }

  /** Reserves up to `wantBytes`: what is free of it (0 when nothing is). Give it back with {@link release}. */
  reserve(wantBytes: number): number {
    const granted = Math.max(0, Math.min(wantBytes, this.limitBytes - this.used));
    this.used += granted;
    return granted;
  }

  /** Reserves all of `wantBytes` or nothing; true when reserved. */
  reserveAll(wantBytes: number): boolean {
    if (wantBytes > this.limitBytes - this.used) return false;
    this.used += wantBytes;
    return true;
  }

  /** Returns `bytes` reserved earlier. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** The error for an inflation this budget cannot take now; `ownBytes`: what that inflation itself reserved. */
  busy(ownBytes = 0): InflateBusyError {
    return new InflateBusyError(this.limitBytes, this.used - ownBytes);
  }
}
