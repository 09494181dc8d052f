/**
 * Request drivers: start one request and report how it ended. Unary drivers call `infer` (gRPC or
 * HTTP); the streaming driver writes requests on one gRPC ModelStreamInfer stream and follows
 * each request's responses until its final flag, timing the first response and the gaps between
 * responses (decoupled models). The load generators decide *when* to start requests.
 */
import { performance } from 'node:perf_hooks';
import { InferenceServerError, type InferInput, type InferenceClient } from '@tensorgate/client';
import type { GrpcInferenceClient, StreamInferRequest, StreamResponse } from '@tensorgate/client/grpc';
import { llmCompletionInfo } from '../../core/llm-contract.js';
import type { RequestOutcome } from './window-recorder.js';

/** Starts requests; `done` is called exactly once per request. */
export interface RequestDriver {
  start(done: (outcome: RequestOutcome) => void): void;
  /** Ends the driver once no request is in flight (closes a stream). */
  close(): Promise<void>;
}

/** What every request of a run carries. */
export interface RequestTemplate {
  readonly model: string;
  readonly modelVersion?: string;
  /** Prepared request inputs, used round robin. */
  readonly inputSets: readonly (readonly InferInput[])[];
  readonly timeoutMs?: number;
}

function failure(startMs: number, err: unknown): RequestOutcome {
  const e = InferenceServerError.from(err);
  return { startMs, endMs: performance.now(), errorCode: e.code, errorMessage: e.message, responses: 0 };
}

/** One `infer` call per request. */
export function unaryDriver(client: InferenceClient, t: RequestTemplate): RequestDriver {
  let next = 0;
  const options = {
    ...(t.modelVersion !== undefined ? { modelVersion: t.modelVersion } : {}),
    ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}),
  };
  return {
    start(done) {
      const inputs = t.inputSets[next++ % t.inputSets.length]!;
      const startMs = performance.now();
      client.infer(t.model, inputs, options).then(
        (result) => {
          const { outputTokens } = llmCompletionInfo(result.parameters);
          done({
            startMs,
            endMs: performance.now(),
            responses: 1,
            ...(outputTokens !== undefined ? { outputTokens } : {}),
          });
        },
        (err: unknown) => done(failure(startMs, err)),
      );
    },
    close: () => Promise.resolve(),
  };
}

/** Per-request state on a stream. */
interface Pending {
  readonly startMs: number;
  readonly done: (o: RequestOutcome) => void;
  firstMs?: number;
  lastMs?: number;
  responses: number;
  gaps: number[];
  outputTokens?: number;
}

/**
 * A push-based async iterable of stream requests: the generator pushes, the client's writer pulls.
 * Hand-written because Node has no ready-made async queue and this one is a dozen lines.
 */
class RequestQueue implements AsyncIterable<StreamInferRequest> {
  private readonly items: StreamInferRequest[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  push(r: StreamInferRequest): void {
    this.items.push(r);
    this.wake?.();
  }

  end(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamInferRequest> {
    for (;;) {
      const item = this.items.shift();
      if (item) {
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * Every request on one bidirectional stream (the server runs a stream's requests concurrently),
 * with `triton_enable_empty_final_response` so each request's end is visible even when its last
 * real response was not flagged final.
 */
export function streamingDriver(client: GrpcInferenceClient, t: RequestTemplate): RequestDriver {
  const queue = new RequestQueue();
  const pending = new Map<string, Pending>();
  let seq = 0;
  let streamError: unknown;
  const base = {
    model: t.model,
    ...(t.modelVersion !== undefined ? { modelVersion: t.modelVersion } : {}),
    enableEmptyFinalResponse: true,
  };
  const consume = (async () => {
    try {
      for await (const msg of client.streamInfer(queue)) onResponse(msg);
    } catch (err) {
      streamError = err;
    }
    // The stream ended (or broke): whatever is still pending failed.
    for (const [id, p] of pending) {
      pending.delete(id);
      p.done(failure(p.startMs, streamError ?? new Error('stream ended before the final response')));
    }
  })();

  function onResponse(msg: StreamResponse): void {
    const p = pending.get(msg.requestId);
    if (!p) return;
    const now = performance.now();
    if (msg.error) {
      pending.delete(msg.requestId);
      p.done(failure(p.startMs, msg.error));
      return;
    }
    const tokens = llmCompletionInfo(msg.result.parameters).outputTokens;
    if (tokens !== undefined) p.outputTokens = tokens;
    if (msg.result.outputNames.length > 0) {
      p.responses++;
      if (p.firstMs === undefined) p.firstMs = now;
      else p.gaps.push(now - p.lastMs!);
      p.lastMs = now;
    }
    if (msg.final) {
      pending.delete(msg.requestId);
      p.done({
        startMs: p.startMs,
        endMs: now,
        responses: p.responses,
        firstMs: p.firstMs ?? now,
        gapsMs: p.gaps,
        ...(p.outputTokens !== undefined ? { outputTokens: p.outputTokens } : {}),
      });
    }
  }

  return {
    start(done) {
      const id = `perf-${++seq}`;
      const inputs = t.inputSets[seq % t.inputSets.length]!;
      const startMs = performance.now();
      if (streamError !== undefined) {
        // Asynchronously, so a closed loop on a broken stream cannot recurse or starve timers.
        setImmediate(() => done(failure(startMs, streamError)));
        return;
      }
      pending.set(id, { startMs, done, responses: 0, gaps: [] });
      queue.push({ ...base, inputs, requestId: id });
    },
    async close() {
      queue.end();
      await consume;
    },
  };
}
