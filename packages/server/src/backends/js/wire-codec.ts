/**
 * What travels in the hot-path packets between a js-backend instance and its worker (see
 * wire-packet.ts): a sequence of operations, each an op code followed by its fields in a fixed
 * order. Main → worker: execute a batch, cancel a request, a response to a model's call. Worker →
 * main: a (decoupled) response, an execution's end with its responses, a model log line, a call to
 * another model (BLS) and its cancellation. Writers and readers sit side by side here so the two
 * orders cannot drift apart.
 */
import type { ErrorCode } from '../../core/errors.js';
import type { Parameters } from '../../core/types.js';
import { PACK_THRESHOLD_BYTES, type WirePacker, type WireReader } from './wire-packet.js';
import type { WireCall, WireRequest, WireResponse, WireTensor, WorkerLogLevel } from './worker-messages.js';
import { hasKeys } from '../../core/has-keys.js';

/** Operation codes of a packet. */
export const Op = {
  /** execId, request count, requests. */
  Execute: 1,
  /** key. */
  Cancel: 2,
  /** key, final, outputNs, has-response, [response]. */
  Response: 3,
  /** execId, inputNs, inferNs, outputNs, error | null, response count (-1: none), responses. */
  Executed: 4,
  /** level, message, object | null. */
  Log: 5,
  /** (worker → main) a call to another model: see {@link writeCall}. */
  Call: 6,
  /** (worker → main) callId: the model gave up a call. */
  CallCancel: 7,
  /** (main → worker) callId, final, version, has-response, [response]: see {@link writeCallResponse}. */
  CallResponse: 8,
} as const;

/**
 * The `inferNs` an Executed op carries when the worker ran nothing: every request of the batch
 * was cancelled while it waited in the worker, so it must not count as an execution.
 */
export const NOT_EXECUTED = -1;

/** The fields of a request that cross to the worker. */
export interface RequestFields {
  readonly id: string;
  readonly inputs: readonly WireTensor[];
  readonly requestedOutputs: readonly string[];
  readonly parameters: Parameters;
  readonly batchSize: number;
  /** The request's input buffers may be moved to the worker instead of copied. */
  readonly inputBuffersOwned?: boolean;
}

/** A parameter map as one packet value: null when empty (the common case, and the cheapest). */
function paramsValue(p: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, unknown>> | null {
  return p !== undefined && hasKeys(p) ? p : null;
}

/** Writes one request of an Execute op (inputs copied into the packet, large ones in their own buffer). */
export function writeRequest(p: WirePacker, key: number, req: RequestFields, cancelled: boolean): void {
  p.value(key);
  p.value(req.id);
  p.value(req.batchSize);
  p.value(cancelled);
  p.value(req.inputs.length);
  for (const t of req.inputs) {
    // A large input in a buffer the frontend gave up moves as it is (the whole received message
    // buffer, which may back several inputs); anything else is copied into the packet.
    const own =
      req.inputBuffersOwned === true &&
      t.data.byteLength >= PACK_THRESHOLD_BYTES &&
      t.data.buffer instanceof ArrayBuffer;
    p.tensor(t, own ? (t.data.buffer as ArrayBuffer) : undefined);
  }
  p.value(req.requestedOutputs.length);
  for (const name of req.requestedOutputs) p.value(name);
  p.value(paramsValue(req.parameters));
}

/** Reads a request written by {@link writeRequest}; input data are views over the packet. */
export function readRequest(r: WireReader): WireRequest {
  const key = r.number();
  const id = r.string();
  const batchSize = r.number();
  const cancelled = r.boolean();
  const inputs = new Array<WireTensor>(r.number());
  for (let i = 0; i < inputs.length; i++) inputs[i] = r.tensor();
  const requestedOutputs = new Array<string>(r.number());
  for (let i = 0; i < requestedOutputs.length; i++) requestedOutputs[i] = r.string();
  const params = r.value() as Parameters | null;
  return { key, id, inputs, requestedOutputs, parameters: params ?? {}, batchSize, cancelled };
}

/**
 * Writes a response. `transfer` lists the buffers that move as they are (large outputs the model
 * handed over); any other output data is copied into the packet unless it already lives there.
 */
export function writeResponse(p: WirePacker, response: WireResponse, transfer: readonly ArrayBuffer[] = []): void {
  if ('error' in response) {
    p.value(false);
    p.value(response.error);
    p.value(response.code);
    return;
  }
  p.value(true);
  p.value(response.outputs.length);
  for (const t of response.outputs) {
    p.value(t.name);
    p.value(t.datatype);
    p.value(t.shape.length);
    for (const d of t.shape) p.value(d);
    const buffer = t.data.buffer as ArrayBuffer;
    if (transfer.length > 0 && transfer.includes(buffer)) p.bytes(t.data, buffer);
    else p.copied(t.data);
  }
  p.value(paramsValue(response.parameters));
}

/** Reads a response written by {@link writeResponse}. */
export function readResponse(r: WireReader): WireResponse {
  if (!r.boolean()) {
    const error = r.string();
    return { error, code: r.string() as ErrorCode };
  }
  const outputs = new Array<WireTensor>(r.number());
  for (let i = 0; i < outputs.length; i++) outputs[i] = r.tensor();
  const parameters = r.value() as Parameters | null;
  return parameters === null ? { outputs } : { outputs, parameters };
}

/** The fields of a log op. */
export interface LogFields {
  readonly level: WorkerLogLevel;
  readonly msg: string;
  readonly obj?: Record<string, unknown>;
}

/** Writes a log op (the object must already be known to be cloneable). */
export function writeLog(p: WirePacker, log: LogFields): void {
  p.value(Op.Log);
  p.value(log.level);
  p.value(log.msg);
  p.value(log.obj ?? null);
}

/** Reads the fields of a log op (after its op code). */
export function readLog(r: WireReader): LogFields {
  const level = r.string() as WorkerLogLevel;
  const msg = r.string();
  const obj = r.value() as Record<string, unknown> | null;
  return obj === null ? { level, msg } : { level, msg, obj };
}

/**
 * Writes a Call op. `transfer` lists buffers that move as they are (input data the model handed
 * over); any other input data is copied into the packet, so the model's own arrays stay usable.
 */
export function writeCall(p: WirePacker, call: WireCall, transfer: readonly ArrayBuffer[] = []): void {
  p.value(Op.Call);
  p.value(call.callId);
  p.value(call.parentKey);
  p.value(call.stream);
  p.value(call.model);
  p.value(call.version);
  p.value(call.id);
  p.value(call.timeoutMs);
  p.value(call.inputs.length);
  for (const t of call.inputs) {
    const buffer = t.data.buffer as ArrayBuffer;
    p.tensor(t, transfer.length > 0 && transfer.includes(buffer) ? buffer : undefined);
  }
  p.value(call.outputs.length);
  for (const name of call.outputs) p.value(name);
  p.value(paramsValue(call.parameters));
}

/** Reads the fields of a Call op (after its op code); input data are views over the packet. */
export function readCall(r: WireReader): WireCall {
  const callId = r.number();
  const parentKey = r.number();
  const stream = r.boolean();
  const model = r.string();
  const version = r.string();
  const id = r.string();
  const timeoutMs = r.number();
  const inputs = new Array<WireTensor>(r.number());
  for (let i = 0; i < inputs.length; i++) inputs[i] = r.tensor();
  const outputs = new Array<string>(r.number());
  for (let i = 0; i < outputs.length; i++) outputs[i] = r.string();
  const params = r.value() as Parameters | null;
  return { callId, parentKey, stream, model, version, id, timeoutMs, inputs, outputs, parameters: params ?? {} };
}

/** One answer to a call: a response (or error), or a bare final flag (`response` undefined). */
export interface CallAnswer {
  readonly callId: number;
  readonly final: boolean;
  /** The version that answered ('' when unknown). */
  readonly version: string;
  readonly response: WireResponse | undefined;
}

/**
 * Writes a CallResponse op. `transfer` lists buffers that move to the worker as they are (a
 * callee's large output that owns its whole buffer); other output data is copied into the packet.
 */
export function writeCallResponse(p: WirePacker, answer: CallAnswer, transfer: readonly ArrayBuffer[] = []): void {
  p.value(Op.CallResponse);
  p.value(answer.callId);
  p.value(answer.final);
  p.value(answer.version);
  p.value(answer.response !== undefined);
  if (answer.response) writeResponse(p, answer.response, transfer);
}

/** Reads the fields of a CallResponse op (after its op code). */
export function readCallResponse(r: WireReader): CallAnswer {
  const callId = r.number();
  const final = r.boolean();
  const version = r.string();
  const response = r.boolean() ? readResponse(r) : undefined;
  return { callId, final, version, response };
}
