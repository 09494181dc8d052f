/**
 * The worker side of Business Logic Scripting: what `request.models` and `args.models` do in a JS
 * model. A call becomes a Call op in the worker's next packet to the main thread (which runs it
 * through the server's core, see model-calls.ts); its responses come back as CallResponse ops and
 * resolve the call's promise or feed its iterator. A failed call is a response with `error` set,
 * never a rejection: only malformed options (a bug in the model) throw.
 */
import type { ErrorCode } from '../../core/errors.js';
import type { Parameters } from '../../core/types.js';
import type {
  JsInferError,
  JsInferInput,
  JsInferOptions,
  JsInferResponse,
  JsInputTensor,
  JsModelCaller,
} from './model-api.js';
import { encodeCallInput, versionOf, wholeNumber } from './call-inputs.js';
import { SlotTable } from './slot-table.js';
import { createInputTensor } from './tensor-views.js';
import { Op, writeCall, type CallAnswer } from './wire-codec.js';
import type { WirePacker } from './wire-packet.js';

/**
 * Calls one instance may have in flight. A model that starts calls in a loop without awaiting
 * them gets RESOURCE_EXHAUSTED values past this, instead of growing the server's memory.
 */
export const MAX_CALLS_IN_FLIGHT = 1024;

/** The longest `timeoutMs` (one day, as `execution_timeout_ms`). */
export const MAX_CALL_TIMEOUT_MS = 86_400_000;

/** Where Call ops go: the worker's packet outbox. */
export interface CallOutbox {
  open(): WirePacker;
  endOp(): void;
}

/** The error of a failed call: an Error with the server's code (the name of the server's type). */
class InferError extends Error implements JsInferError {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InferenceError';
  }
}

/** A response of a called model as the model sees it. */
class InferResult implements JsInferResponse {
  constructor(
    readonly model: string,
    readonly version: string,
    readonly id: string,
    readonly outputs: readonly JsInputTensor[],
    readonly parameters: Parameters,
    readonly error: JsInferError | undefined,
    readonly final: boolean,
  ) {}

  output(name: string): JsInputTensor {
    const t = this.findOutput(name);
    if (t) return t;
    const why = this.error ? `: the call failed: ${this.error.message}` : '';
    throw new Error(`the response of model '${this.model}' has no output '${name}'${why}`);
  }

  findOutput(name: string): JsInputTensor | undefined {
    return this.outputs.find((t) => t.name === name);
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** One call in flight: the promise of `infer`, or the iterator of `stream`. */
class PendingCall implements AsyncIterableIterator<JsInferResponse> {
  /** Responses not yet taken by the iterator (stream). */
  private readonly queue: JsInferResponse[] = [];
  private waiter: ((r: IteratorResult<JsInferResponse>) => void) | undefined;
  private resolveUnary: ((r: JsInferResponse) => void) | undefined;
  /** The final response arrived, or the model gave the call up. */
  ended = false;
  /** The promise `infer` returns (unary calls only). */
  readonly result: Promise<JsInferResponse> | undefined;
  private readonly onAbort = (): void => this.client.cancel(this);

  constructor(
    private readonly client: ModelCallClient,
    readonly callId: number,
    readonly model: string,
    readonly id: string,
    stream: boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (!stream) this.result = new Promise<JsInferResponse>((res) => (this.resolveUnary = res));
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<JsInferResponse>> {
    const r = this.queue.shift();
    if (r !== undefined) return Promise.resolve({ done: false, value: r });
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((res) => (this.waiter = res));
  }

  /** Leaving a `for await` early: the call is cancelled and later responses are dropped. */
  return(): Promise<IteratorResult<JsInferResponse>> {
    if (!this.ended) this.client.cancel(this);
    this.end();
    this.queue.length = 0;
    return Promise.resolve(DONE);
  }

  /** A response (or with `response` undefined, a bare final flag) arrived. */
  deliver(response: JsInferResponse | undefined, final: boolean): void {
    if (this.ended) return;
    if (this.resolveUnary) {
      // Exactly one response: the core refuses a decoupled callee for `infer`.
      if (!final) return;
      this.resolveUnary(
        response ?? this.failure('INTERNAL', `model '${this.model}' ended the call without a response`),
      );
    } else if (response) {
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w({ done: false, value: response });
      else this.queue.push(response);
    }
    if (final) this.end();
  }

  /** A response that says the call failed with `code`. */
  failure(code: ErrorCode, message: string): JsInferResponse {
    return new InferResult(this.model, '', this.id, [], {}, new InferError(code, message), true);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.client.forget(this);
    const w = this.waiter;
    this.waiter = undefined;
    w?.(DONE);
  }
}

/**
 * The calls of one worker: starts them (Call ops), matches CallResponse ops to them, and gives
 * each request its own {@link JsModelCaller} (`request.models`).
 *
 * @example
 * ```ts
 * const calls = new ModelCallClient(outbox, () => progress[0]++);
 * const models = calls.caller(0); // args.models
 * const res = await models.infer({ model: 'simple', inputs: [...] });
 * ```
 */
export class ModelCallClient {
  private readonly pending = new SlotTable<PendingCall>();
  private nextId = 1;

  /**
   * @param answered called for every answer that arrives (the execution watchdog's progress).
   * @param waiting called with true when the first call starts and false when the last one ends.
   */
  constructor(
    private readonly out: CallOutbox,
    private readonly answered: () => void = () => {},
    private readonly waiting: (busy: boolean) => void = () => {},
  ) {}

  /** Calls in flight. */
  get size(): number {
    return this.pending.size;
  }

  /** A caller whose calls belong to the request of key `parentKey` (0: to no request). */
  caller(parentKey: number): JsModelCaller {
    return {
      infer: (options) => this.infer(options, parentKey),
      stream: (options) => this.start(options, parentKey, true),
    };
  }

  /** A CallResponse op arrived. */
  onAnswer(answer: CallAnswer): void {
    this.answered();
    const call = this.pending.get(answer.callId);
    if (!call) return; // given up by the model, or answered already
    const wire = answer.response;
    let response: JsInferResponse | undefined;
    if (wire === undefined) response = undefined;
    else if ('error' in wire) {
      response = new InferResult(
        call.model,
        answer.version,
        call.id,
        [],
        {},
        new InferError(wire.code, wire.error),
        answer.final,
      );
    } else {
      response = new InferResult(
        call.model,
        answer.version,
        call.id,
        wire.outputs.map(createInputTensor),
        wire.parameters ?? {},
        undefined,
        answer.final,
      );
    }
    call.deliver(response, answer.final);
  }

  /** The model gave `call` up: tells the main thread, which cancels it in the core. */
  cancel(call: PendingCall): void {
    if (!this.pending.has(call.callId)) return;
    this.pending.delete(call.callId);
    if (this.pending.size === 0) this.waiting(false);
    const p = this.out.open();
    p.value(Op.CallCancel);
    p.value(call.callId);
    this.out.endOp();
    call.deliver(call.failure('CANCELLED', `the call to model '${call.model}' was cancelled by the model`), true);
  }

  /** Drops a call that ended. */
  forget(call: PendingCall): void {
    if (this.pending.get(call.callId) !== call) return;
    this.pending.delete(call.callId);
    if (this.pending.size === 0) this.waiting(false);
  }

  private infer(options: JsInferOptions, parentKey: number): Promise<JsInferResponse> {
    try {
      return this.start(options, parentKey, false).result!;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Checks the options, queues the Call op and registers the call. Throws TypeError on bad options. */
  private start(options: JsInferOptions, parentKey: number, stream: boolean): PendingCall {
    if (options === null || typeof options !== 'object') throw new TypeError('infer() needs an options object');
    const { model, inputs, outputs = [], parameters = {}, id = '', signal } = options;
    if (typeof model !== 'string' || model === '') throw new TypeError('model must be a model name');
    const version = versionOf(options.version);
    if (!Array.isArray(inputs)) throw new TypeError('inputs must be an array');
    if (!Array.isArray(outputs) || !outputs.every((o) => typeof o === 'string')) {
      throw new TypeError('outputs must be an array of output names');
    }
    if (typeof id !== 'string') throw new TypeError('id must be a string');
    if (parameters === null || typeof parameters !== 'object') throw new TypeError('parameters must be an object');
    for (const [k, v] of Object.entries(parameters)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new TypeError(`parameter '${k}' must be a string, number or boolean`);
      }
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
    const timeoutMs =
      options.timeoutMs === undefined ? -1 : wholeNumber(options.timeoutMs, 'timeoutMs', MAX_CALL_TIMEOUT_MS);
    const encoded = inputs.map((input: JsInferInput, i) => encodeCallInput(input, i));
    const call = new PendingCall(this, this.nextId++, model, id, stream, signal);
    if (signal?.aborted) {
      call.deliver(call.failure('CANCELLED', `the call to model '${model}' was cancelled by the model`), true);
      return call;
    }
    if (this.pending.size >= MAX_CALLS_IN_FLIGHT) {
      call.deliver(
        call.failure(
          'RESOURCE_EXHAUSTED',
          `the model instance has ${MAX_CALLS_IN_FLIGHT} calls to other models in flight, the most it may have; ` +
            'await some before starting more',
        ),
        true,
      );
      return call;
    }
    this.pending.set(call.callId, call);
    if (this.pending.size === 1) this.waiting(true);
    const transfer: ArrayBuffer[] = [];
    for (const e of encoded) if (e.transfer) transfer.push(e.transfer);
    writeCall(
      this.out.open(),
      {
        callId: call.callId,
        parentKey,
        stream,
        model,
        version,
        id,
        timeoutMs,
        inputs: encoded.map((e) => e.tensor),
        outputs,
        parameters: parameters as Parameters,
      },
      transfer,
    );
    this.out.endOp();
    return call;
  }
}
