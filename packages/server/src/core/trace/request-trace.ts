/**
 * The trace of one sampled request, and of the requests it causes (an ensemble's steps, a BLS
 * model's calls): Triton's `TRITONSERVER_InferenceTrace`. The frontend that sampled it records
 * its protocol timestamps (HTTP_RECV_START, HTTP_SEND_END, ...), the core records the model's
 * (REQUEST_START, QUEUE_START, COMPUTE_*, REQUEST_END) and, at the TENSORS level, the tensors.
 * A composing model's request gets a child trace with an id of its own and `parent_id` set to its
 * parent's, as in Triton. The whole tree is handed to its owner once the root and every child
 * are released; the owner writes it (Triton JSON) or exports it (OpenTelemetry spans).
 *
 * Timestamps are monotonic nanoseconds (the core clock's `nowNs`), as Triton's steady clock.
 */
import type { Tensor } from '../types.js';
import { tensorTraceRecord } from './tensor-text.js';

/** Trace level bits (Triton's TRITONSERVER_InferenceTraceLevel); 0 is OFF. */
export const TRACE_TIMESTAMPS = 1;
/** See {@link TRACE_TIMESTAMPS}. */
export const TRACE_TENSORS = 2;

/** What a finished trace tree is handed to. */
export interface TraceOwner {
  /** A fresh trace id (unique in the server, from 1). */
  nextId(): number;
  /** Every trace of the tree was released. */
  finished(root: RequestTrace): void;
}

/** W3C trace context a request carried (`traceparent` / `tracestate`), for OpenTelemetry mode. */
export interface PropagatedContext {
  readonly traceparent: string;
  readonly tracestate?: string | undefined;
}

/**
 * @example
 * ```ts
 * const trace = new RequestTrace(owner, TRACE_TIMESTAMPS);
 * trace.capture('HTTP_RECV_START', clock.nowNs());
 * trace.begin('simple', 1, '', clock.nowNs()); // REQUEST_START
 * trace.release();
 * ```
 */
export class RequestTrace {
  readonly id: number;
  readonly root: RequestTrace;
  modelName = '';
  modelVersion = -1;
  requestId = '';
  /** Timestamps in capture order: name, ns, name, ns, ... */
  readonly stamps: Array<string | number> = [];
  /** TENSORS level: one JSON record per tensor activity. */
  tensors: string[] | undefined;
  /** On the root: every descendant, in creation order. */
  descendants: RequestTrace[] | undefined;
  /** On the root: the W3C context the request carried, if any. */
  propagated: PropagatedContext | undefined;
  private open = 1;

  constructor(
    private readonly owner: TraceOwner,
    readonly level: number,
    readonly parent?: RequestTrace,
  ) {
    this.id = owner.nextId();
    this.root = parent?.root ?? this;
  }

  /** The id of the trace this one is a child of; 0 for a root, as in Triton. */
  get parentId(): number {
    return this.parent?.id ?? 0;
  }

  /** True when timestamps are recorded (TIMESTAMPS level). */
  get timestamps(): boolean {
    return (this.level & TRACE_TIMESTAMPS) !== 0;
  }

  /** True when tensors are recorded (TENSORS level). */
  get tensorLevel(): boolean {
    return (this.level & TRACE_TENSORS) !== 0;
  }

  /** Records timestamp `name` at `ns` (TIMESTAMPS level only). */
  capture(name: string, ns: number): void {
    if ((this.level & TRACE_TIMESTAMPS) !== 0) this.stamps.push(name, ns);
  }

  /** The core took the request for a model: names the trace and records REQUEST_START. */
  begin(modelName: string, modelVersion: number, requestId: string, ns: number): void {
    this.modelName = modelName;
    this.modelVersion = modelVersion;
    this.requestId = requestId;
    this.capture('REQUEST_START', ns);
  }

  /** Records a tensor activity (`TENSOR_QUEUE_INPUT`, `TENSOR_BACKEND_OUTPUT`; TENSORS level only). */
  tensor(activity: string, t: Tensor): void {
    if ((this.level & TRACE_TENSORS) === 0) return;
    (this.tensors ??= []).push(tensorTraceRecord(this.id, activity, t));
  }

  /** A trace for a request this one's model makes (ensemble step, BLS call). */
  child(): RequestTrace {
    const root = this.root;
    const child = new RequestTrace(this.owner, this.level, this);
    (root.descendants ??= []).push(child);
    root.open++;
    return child;
  }

  /** One more party records into this trace; it must {@link release} it too. */
  hold(): void {
    this.root.open++;
  }

  /**
   * A party is done with this trace (its creator, or one that called {@link hold}); once every
   * trace of the tree is, its owner gets the tree.
   */
  release(): void {
    const root = this.root;
    if (--root.open === 0) this.owner.finished(root);
  }

  /** The timestamp named `name`, or undefined. */
  stamp(name: string): number | undefined {
    const s = this.stamps;
    for (let i = 0; i < s.length; i += 2) if (s[i] === name) return s[i + 1] as number;
    return undefined;
  }
}

/**
 * Triton's JSON trace records of a finished tree, joined by `,` (no brackets): per trace, the
 * model record (`id`, `model_name`, `model_version`, `request_id` when set, `parent_id` for a
 * child), one record per timestamp, then the tensor records.
 *
 * @example
 * ```ts
 * tritonTraceRecords(root); // '{"id":1,"model_name":"simple","model_version":1},{"id":1,"timestamps":[...]}'
 * ```
 */
export function tritonTraceRecords(root: RequestTrace): string {
  // One string built by concatenation, the per-trace prefix made once, and nanoseconds written in
  // two small halves: a 14-digit double's toString costs several times a small integer's, and
  // this runs for every traced request (bench/trace-overhead.mjs).
  let out = '';
  for (const t of [root, ...(root.descendants ?? [])]) {
    if (t.modelName !== '') {
      out += `${out === '' ? '' : ','}{"id":${t.id},"model_name":${JSON.stringify(t.modelName)},"model_version":${t.modelVersion}`;
      if (t.requestId !== '') out += `,"request_id":${JSON.stringify(t.requestId)}`;
      if (t.parentId !== 0) out += `,"parent_id":${t.parentId}`;
      out += '}';
    }
    const s = t.stamps;
    const head = `{"id":${t.id},"timestamps":[{"name":"`;
    for (let i = 0; i < s.length; i += 2) {
      out += (out === '' ? head : ',' + head) + (s[i] as string) + '","ns":' + nsText(s[i + 1] as number) + '}]}';
    }
    if (t.tensors) for (const r of t.tensors) out += (out === '' ? '' : ',') + r;
  }
  return out;
}

/** A non-negative integer of up to 2^53 as decimal text, through two halves below 2^31. */
function nsText(ns: number): string {
  if (ns < 1e9) return String(ns);
  const high = Math.floor(ns / 1e9);
  const low = String(ns - high * 1e9);
  return String(high) + '000000000'.slice(low.length) + low;
}
