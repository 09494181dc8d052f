/**
 * Stand-ins for ensemble unit tests: configs from pbtxt text, composing models answered by the
 * test (every step request is recorded and waits until the test responds, or a behavior answers
 * it), and an ensemble request whose responses are collected.
 */
import type { BackendResponse, ExecutionRequest } from '../../backend-api/backend.js';
import { CancelSource } from '../cancel-signal.js';
import { normalizeConfig, parseModelConfigText } from '../config/index.js';
import type { ModelConfig } from '../config/model-config.js';
import { InferenceError } from '../errors.js';
import { ResponseChannel } from '../response-channel.js';
import type { ComputeDurations, InferRequest, InferResponse, RequestContext, Tensor } from '../types.js';
import type { StepInfer } from './ensemble-run.js';

/** A normalized config from pbtxt text (the name is taken from the text). */
export function config(text: string): ModelConfig {
  const raw = parseModelConfigText(text, 'config.pbtxt');
  return normalizeConfig(raw, { modelName: String(raw['name']) });
}

/** A js-backend model config: `io` holds its input / output blocks. */
export function modelConfig(name: string, io: string, extra = ''): ModelConfig {
  return config(`name: "${name}"\nbackend: "js"\n${io}\n${extra}`);
}

/** An FP32 tensor. */
export function f32(name: string, shape: readonly number[], values: readonly number[]): Tensor {
  return { name, datatype: 'FP32', shape, data: new Uint8Array(new Float32Array(values).buffer) };
}

/** The values of an FP32 tensor. */
export function f32Values(t: Tensor): number[] {
  return [...new Float32Array(t.data.slice().buffer)];
}

/** One recorded step request, answered by the test. */
export class StepCall {
  private readonly channel = new ResponseChannel();
  /** True once the step request got its final response or failed. */
  settled = false;

  constructor(
    readonly request: InferRequest,
    readonly ctx: RequestContext,
  ) {
    const cancelled = (): void => this.fail(InferenceError.from(ctx.signal.reason));
    if (ctx.signal.aborted) cancelled();
    else ctx.signal.addEventListener('abort', cancelled, { once: true });
  }

  /** The model the step called. */
  get model(): string {
    return this.request.modelName;
  }

  /** The input tensor named `name`. */
  input(name: string): Tensor {
    const t = this.request.inputs.find((i) => i.name === name);
    if (!t) throw new Error(`no input ${name} in the request to ${this.model}`);
    return t;
  }

  /**
   * Sends a response with `outputs` (final by default; a final one completes the request, with
   * `durations` as its compute times).
   */
  respond(
    outputs: readonly Tensor[],
    opts: { final?: boolean; outputBuffersOwned?: boolean; durations?: ComputeDurations } = {},
  ): void {
    const final = opts.final ?? true;
    this.channel.push({
      modelName: this.model,
      modelVersion: '1',
      id: this.request.id,
      outputs,
      parameters: {},
      final,
      ...(opts.outputBuffersOwned ? { outputBuffersOwned: true } : {}),
    });
    if (final) this.complete(opts.durations ?? NO_TIME);
  }

  /** Sends a bare final flag (decoupled models). */
  finish(): void {
    this.channel.push({
      modelName: this.model,
      modelVersion: '1',
      id: this.request.id,
      outputs: [],
      parameters: {},
      final: true,
      emptyFinal: true,
    });
    this.complete(NO_TIME);
  }

  /** Fails the step request. */
  fail(error: InferenceError): void {
    this.channel.fail(error);
    this.complete(undefined);
  }

  /** As the core does once a request is over (a microtask later than its final response). */
  private complete(durations: ComputeDurations | undefined): void {
    if (this.settled) return;
    this.settled = true;
    void Promise.resolve().then(() => this.ctx.onComplete?.(durations));
  }

  /** The iterable the ensemble reads. */
  responses(): AsyncIterable<InferResponse> {
    return { [Symbol.asyncIterator]: () => ({ next: () => this.channel.next() }) };
  }
}

const NO_TIME: ComputeDurations = { computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 };

/** Answers a step request (synchronously, or later by keeping the call). */
export type Behavior = (call: StepCall) => void;

/** Composing models driven by the test. */
export class FakeModels {
  readonly calls: StepCall[] = [];
  private readonly behaviors = new Map<string, Behavior>();
  private readonly waiters: Array<() => void> = [];

  /** Answers every request to `model` with `behavior`. */
  on(model: string, behavior: Behavior): this {
    this.behaviors.set(model, behavior);
    return this;
  }

  readonly infer: StepInfer = (request, ctx) => {
    const call = new StepCall(request, ctx);
    this.calls.push(call);
    for (const w of this.waiters.splice(0)) w();
    this.behaviors.get(request.modelName)?.(call);
    return call.responses();
  };

  /** The calls to `model`. */
  callsTo(model: string): StepCall[] {
    return this.calls.filter((c) => c.model === model);
  }

  /** Resolves once `n` step requests were made. */
  async waitForCalls(n: number): Promise<void> {
    while (this.calls.length < n) await new Promise<void>((r) => this.waiters.push(r));
  }
}

/** What an ensemble request sent back. */
export interface Sent {
  readonly response: BackendResponse | undefined;
  readonly final: boolean;
}

/** An ensemble request with a cancel source and the responses it was sent. */
export function ensembleRequest(
  inputs: readonly Tensor[],
  opts: { requested?: readonly string[]; batchSize?: number; owned?: boolean; id?: string } = {},
): { request: ExecutionRequest; cancel: CancelSource; sent: Sent[] } {
  const cancel = new CancelSource();
  const sent: Sent[] = [];
  return {
    cancel,
    sent,
    request: {
      id: opts.id ?? 'r1',
      inputs,
      requestedOutputs: opts.requested ?? [],
      parameters: {},
      batchSize: opts.batchSize ?? 1,
      signal: cancel,
      sender: { send: (response, flags) => sent.push({ response, final: flags.final }) },
      ...(opts.owned ? { inputBuffersOwned: true } : {}),
    },
  };
}

/** Lets pending promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
