/**
 * What the load generators record during one measurement window, and how windows merge into a
 * step's figures. Recording allocates nothing per request in the steady state (latencies go into
 * growable Float64Arrays), so the client's own cost stays small next to the server's.
 */
import { SampleBuffer, summarize, type LatencySummary } from './latency-stats.js';
import { LATE_THRESHOLD_US } from './perf-report.js';

/** How one request ended, as the request drivers report it (times from `performance.now()`, ms). */
export interface RequestOutcome {
  readonly startMs: number;
  readonly endMs: number;
  /** Error code (client ErrorCode) when the request failed. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** Responses carrying outputs (1 for unary calls). */
  readonly responses: number;
  /** Streaming: time of the first response. */
  readonly firstMs?: number;
  /** Streaming: gaps between consecutive responses, ms. */
  readonly gapsMs?: readonly number[];
  /** Output tokens the responses reported (`num_output_tokens`), when they did. */
  readonly outputTokens?: number;
}

/** Counters and samples of one window. */
export class WindowRecorder {
  readonly latencyUs = new SampleBuffer(1024);
  readonly firstResponseUs = new SampleBuffer(64);
  readonly interResponseUs = new SampleBuffer(64);
  ok = 0;
  failed = 0;
  readonly errors: Record<string, number> = {};
  firstError: string | undefined;
  responses = 0;
  /** Output tokens reported, and how many requests reported them. */
  outputTokens = 0;
  tokenRequests = 0;
  sent = 0;
  delayed = 0;
  maxSendLagUs = 0;
  notSent = 0;

  /** Records a finished request. */
  record(o: RequestOutcome): void {
    if (o.errorCode !== undefined) {
      this.failed++;
      this.errors[o.errorCode] = (this.errors[o.errorCode] ?? 0) + 1;
      this.firstError ??= `${o.errorCode}: ${o.errorMessage ?? ''}`;
      return;
    }
    this.ok++;
    this.responses += o.responses;
    if (o.outputTokens !== undefined) {
      this.outputTokens += o.outputTokens;
      this.tokenRequests++;
    }
    this.latencyUs.push((o.endMs - o.startMs) * 1000);
    if (o.firstMs !== undefined) this.firstResponseUs.push((o.firstMs - o.startMs) * 1000);
    if (o.gapsMs) for (const g of o.gapsMs) this.interResponseUs.push(g * 1000);
  }

  /** Records an open-loop send and how late it was against its schedule. */
  recordSend(lagMs: number): void {
    this.sent++;
    const lagUs = lagMs * 1000;
    if (lagUs > LATE_THRESHOLD_US) this.delayed++;
    if (lagUs > this.maxSendLagUs) this.maxSendLagUs = lagUs;
  }

  /** Merges windows (for the step's result). */
  static merge(windows: readonly WindowRecorder[]): WindowRecorder {
    const out = new WindowRecorder();
    for (const w of windows) {
      out.latencyUs.append(w.latencyUs);
      out.firstResponseUs.append(w.firstResponseUs);
      out.interResponseUs.append(w.interResponseUs);
      out.ok += w.ok;
      out.failed += w.failed;
      for (const [code, n] of Object.entries(w.errors)) out.errors[code] = (out.errors[code] ?? 0) + n;
      out.firstError ??= w.firstError;
      out.responses += w.responses;
      out.outputTokens += w.outputTokens;
      out.tokenRequests += w.tokenRequests;
      out.sent += w.sent;
      out.delayed += w.delayed;
      out.maxSendLagUs = Math.max(out.maxSendLagUs, w.maxSendLagUs);
      out.notSent += w.notSent;
    }
    return out;
  }

  /** Latency summary of the successful requests. */
  latency(percentile?: number): LatencySummary {
    return summarize(this.latencyUs.values(), this.latencyUs.length, percentile);
  }
}

/** A window with its length: what stability and the report read. */
export interface MeasuredWindow {
  readonly recorder: WindowRecorder;
  readonly durationMs: number;
}

/** Throughput (completed requests per second) and the latency stability compares. */
export function windowFigures(w: MeasuredWindow, percentile?: number): { throughput: number; latency: number } {
  const s = w.recorder.latency(percentile);
  return { throughput: w.recorder.ok / (w.durationMs / 1000), latency: percentile === undefined ? s.avg : s.pN! };
}
