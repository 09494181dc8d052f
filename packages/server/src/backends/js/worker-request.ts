/**
 * The request and response-sender objects a model sees inside the worker, and the encoding of
 * model responses into wire responses. Kept apart from the worker entry so it can be unit tested
 * on the main thread.
 */
import { performance } from 'node:perf_hooks';
import { ERROR_CODES, type ErrorCode } from '../../core/errors.js';
import type { Parameters } from '../../core/types.js';
import type { JsInputTensor, JsModelCaller, JsModelRequest, JsOutputTensor, JsResponseSender } from './model-api.js';
import { createInputTensor, encodeOutputTensor, type OutputSpec } from './tensor-views.js';
import type { WireRequest, WireResponse, WireTensor } from './worker-messages.js';

/** A response encoded for the main thread, with the buffers to transfer and the time it took. */
export interface EncodedResponse {
  readonly response: WireResponse;
  readonly transfer: ArrayBuffer[];
  readonly ns: number;
}

/** What requests need from the worker around them. */
export interface RequestHost {
  readonly decoupled: boolean;
  readonly specs: ReadonlyMap<string, OutputSpec>;
  /** True when the model batches (outputs then default to a leading batch dim). */
  readonly batching: boolean;
  /** Copies small output bytes straight into the outgoing packet (see {@link encodeResponse}). */
  readonly copy?: (bytes: Uint8Array) => Uint8Array;
  /** Posts a decoupled response to the main thread. */
  sendResponse(key: number, encoded: EncodedResponse | undefined, final: boolean): void;
  /** The model caller of the request of key `key` (`request.models`); absent: calls unsupported. */
  readonly caller?: (key: number) => JsModelCaller;
}

/**
 * `String(v)`, except that values without a string form (null-prototype objects, a throwing
 * toString) give their `[object Tag]` instead of throwing: an exception while describing a model
 * error would escape the execution and take the whole worker down.
 */
function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** "Name: message" of anything thrown, as Triton's Python backend reports exceptions. */
export function describeThrown(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return safeString(err);
}

const isErrorCode = (c: unknown): c is ErrorCode => ERROR_CODES.includes(c as ErrorCode);

/** The `code` of an Error that carries one of the server's codes (a failed call's), else INTERNAL. */
function codeOf(err: unknown): ErrorCode {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return isErrorCode(code) ? code : 'INTERNAL';
}

/**
 * Turns what a model answered for one request into a wire response. Anything malformed becomes
 * an error response (INTERNAL) with a message naming the problem, never an exception.
 *
 * @param copy where small output bytes are copied to (the outgoing packet); a fresh array each
 *   when omitted. Either way the model may reuse its arrays once this returns.
 */
export function encodeResponse(
  resp: unknown,
  specs: ReadonlyMap<string, OutputSpec>,
  batch: number | undefined,
  copy?: (bytes: Uint8Array) => Uint8Array,
): EncodedResponse {
  const t0 = performance.now();
  const fail = (error: string, code: ErrorCode = 'INTERNAL'): EncodedResponse => ({
    response: { error, code },
    transfer: [],
    ns: Math.round((performance.now() - t0) * 1e6),
  });
  if (resp instanceof Error) return fail(resp.message, codeOf(resp));
  if (resp === null || typeof resp !== 'object') {
    return fail(
      `the model answered ${resp === null ? 'null' : typeof resp} instead of { outputs: [...] } or { error }`,
    );
  }
  const r = resp as { outputs?: unknown; error?: unknown; code?: unknown; parameters?: unknown };
  if (r.error !== undefined) {
    const message = r.error instanceof Error ? r.error.message : safeString(r.error);
    return fail(message, isErrorCode(r.code) ? r.code : codeOf(r.error));
  }
  if (!Array.isArray(r.outputs)) return fail('the model answered a response without an outputs array');
  const outputs: WireTensor[] = [];
  const transfer = new Set<ArrayBuffer>();
  try {
    for (const out of r.outputs as JsOutputTensor[]) {
      const enc = encodeOutputTensor(out, specs, batch, copy);
      outputs.push(enc.tensor);
      if (enc.transfer) transfer.add(enc.transfer);
    }
  } catch (err) {
    return fail(`the model answered an invalid output: ${err instanceof Error ? err.message : String(err)}`);
  }
  const params = r.parameters !== undefined && typeof r.parameters === 'object' && r.parameters !== null;
  if (params && !cloneable(r.parameters as Record<string, unknown>)) {
    return fail('the model answered parameters that cannot be sent between threads (functions, symbols, ...)');
  }
  const ns = Math.round((performance.now() - t0) * 1e6);
  const response: WireResponse = params ? { outputs, parameters: r.parameters as Parameters } : { outputs };
  return { response, transfer: [...transfer], ns };
}

/**
 * True when `params` can cross threads. Plain string / number / boolean values (the protocol's
 * parameter types) are checked cheaply; anything else gets a trial structured clone, because one
 * value that cannot be cloned would otherwise sink the whole packet it travels in.
 */
function cloneable(params: Record<string, unknown>): boolean {
  for (const key in params) {
    const t = typeof params[key];
    if (t !== 'string' && t !== 'number' && t !== 'boolean') {
      try {
        structuredClone(params);
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

/** Why a request's `signal` aborted, as models see it. */
function cancelReason(): DOMException {
  return new DOMException('request cancelled', 'AbortError');
}

/** One request as the model sees it; also tracks cancellation and the final flag. */
export class WorkerRequest implements JsModelRequest {
  readonly id: string;
  readonly inputs: readonly JsInputTensor[];
  readonly parameters: Parameters;
  readonly requestedOutputNames: readonly string[];
  readonly batchSize: number;
  readonly key: number;
  /** True once a final response or flag went out for this request. */
  finalSent = false;
  private cancelled = false;
  /** Made only when the model reads `signal` (an AbortController per request is costly). */
  private controller: AbortController | undefined;
  private sender: JsResponseSender | undefined;
  private caller: JsModelCaller | undefined;

  constructor(
    wire: WireRequest,
    private readonly host: RequestHost,
  ) {
    this.key = wire.key;
    this.id = wire.id;
    this.inputs = wire.inputs.map(createInputTensor);
    this.parameters = wire.parameters;
    this.requestedOutputNames = wire.requestedOutputs;
    this.batchSize = wire.batchSize;
    if (wire.cancelled) this.cancel();
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(cancelReason());
    }
    return this.controller.signal;
  }

  get models(): JsModelCaller {
    if (this.caller === undefined) {
      const make = this.host.caller;
      if (!make) throw new Error('calls to other models are not available here');
      this.caller = make(this.key);
    }
    return this.caller;
  }

  input(name: string): JsInputTensor {
    const t = this.findInput(name);
    if (!t) throw new Error(`request has no input '${name}'`);
    return t;
  }

  findInput(name: string): JsInputTensor | undefined {
    return this.inputs.find((t) => t.name === name);
  }

  isCancelled(): boolean {
    return this.cancelled;
  }

  /** Marks the request cancelled (the main thread said so). */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.controller?.abort(cancelReason());
  }

  getResponseSender(): JsResponseSender {
    if (!this.host.decoupled) {
      throw new Error('getResponseSender() is only for decoupled models; return responses from execute()');
    }
    this.sender ??= {
      send: (response, flags) => {
        const final = flags?.final === true;
        if (this.finalSent) throw new Error(`request '${this.id}' is already complete: its final flag was sent`);
        if (response === undefined && !final) throw new TypeError('send() needs a response or { final: true }');
        const encoded =
          response === undefined
            ? undefined
            : encodeResponse(
                response,
                this.host.specs,
                this.host.batching ? this.batchSize : undefined,
                this.host.copy,
              );
        if (final) this.finalSent = true;
        this.host.sendResponse(this.key, encoded, final);
      },
    };
    return this.sender;
  }
}
