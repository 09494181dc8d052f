/**
 * Entry point of a js-backend worker thread: loads the user's model file, creates the model
 * object, runs `initialize`, then serves execute / cancel / finalize messages from the instance
 * on the main thread. User code runs only here, never on the server's event loop.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { ERROR_CODES, type ErrorCode } from '../../core/errors.js';
import type { JsModel, JsModelLogger } from './model-api.js';
import { PacketOutbox } from './message-batcher.js';
import { SlotTable } from './slot-table.js';
import { markMovableInputBuffers, outputSpecs } from './tensor-views.js';
import { HEARTBEAT_SLOT, SHARED_SLOTS, setNativeGuard } from './native-guard.js';
import { NOT_EXECUTED, Op, readCallResponse, readRequest, writeLog, writeResponse } from './wire-codec.js';
import { ModelCallClient } from './worker-calls.js';
import { locateSyntaxError } from './syntax-location.js';
import { WireReader, type Packet } from './wire-packet.js';
import type { MainToWorker, WireRequest, WorkerInit, WorkerLogLevel, WorkerToMain } from './worker-messages.js';
import {
  describeThrown,
  encodeResponse,
  WorkerRequest,
  type EncodedResponse,
  type RequestHost,
} from './worker-request.js';

if (!parentPort) throw new Error('worker-main must run in a worker thread');
const port = parentPort;
const init = workerData as WorkerInit;
const config = init.args.model_config;
const instanceName = init.args.model_instance_name;

const outbox = new PacketOutbox((packet) => port.postMessage(packet, packet.transfer));
/** Slot 0: the execution watchdog's progress count (see WorkerInit.shared); a plain add, one writer. */
const progress = init.shared ?? new Int32Array(SHARED_SLOTS);
setNativeGuard(init.shared);

/** Posts a lifecycle message; it keeps its order behind the queued packet and leaves at once. */
function post(msg: Exclude<WorkerToMain, Packet>): void {
  outbox.flush();
  port.postMessage(msg);
}

function log(level: WorkerLogLevel, msg: string, obj?: Record<string, unknown>): void {
  let cloneable = obj;
  if (obj !== undefined) {
    try {
      // Checked now: one value that cannot be cloned would sink the whole packet at flush time.
      structuredClone(obj);
    } catch {
      // obj held something that cannot be cloned (a function, a socket): keep the line at least.
      cloneable = undefined;
    }
  }
  writeLog(outbox.open(), cloneable === undefined ? { level, msg } : { level, msg, obj: cloneable });
}

/** Queues a decoupled response (or bare final flag) for the main thread. */
function postResponse(key: number, encoded: EncodedResponse | undefined, final: boolean): void {
  progress[0] = (progress[0]! + 1) | 0;
  const p = outbox.open();
  p.value(Op.Response);
  p.value(key);
  p.value(final);
  p.value(encoded?.ns ?? 0);
  p.value(encoded !== undefined);
  if (encoded) writeResponse(p, encoded.response, encoded.transfer);
  outbox.endOp();
}

const logger: JsModelLogger = {
  debug: (msg, obj) => log('debug', String(msg), obj),
  info: (msg, obj) => log('info', String(msg), obj),
  warn: (msg, obj) => log('warn', String(msg), obj),
  error: (msg, obj) => log('error', String(msg), obj),
};

/** Requests that may still be cancelled or answered, by key. */
const active = new SlotTable<WorkerRequest>(); // not a Map: see slot-table.ts

let heartbeat: NodeJS.Timeout | undefined;
/**
 * While calls are in flight the event loop beats (a timer bumping the heartbeat slot): the
 * watchdog counts the wait as progress only while it sees beats, so a model that blocks this
 * thread while its calls run is still stopped.
 */
function waitingOnCalls(busy: boolean): void {
  const ms = init.heartbeatMs ?? 0;
  if (busy && heartbeat === undefined && ms > 0) {
    heartbeat = setInterval(() => Atomics.add(progress, HEARTBEAT_SLOT, 1), ms);
  } else if (!busy && heartbeat !== undefined) {
    clearInterval(heartbeat);
    heartbeat = undefined;
  }
}

/** The model's calls to other models (BLS). An answer arriving counts as progress, as a response sent does. */
const calls = new ModelCallClient(
  { open: () => outbox.open(), endOp: () => outbox.endOp() },
  () => (progress[0] = (progress[0]! + 1) | 0),
  waitingOnCalls,
);

const host: RequestHost = {
  decoupled: init.decoupled,
  caller: (key: number) => calls.caller(key),
  specs: outputSpecs(config),
  batching: config.max_batch_size > 0,
  copy: (bytes: Uint8Array) => outbox.open().copy(bytes),
  sendResponse(key: number, encoded: EncodedResponse | undefined, final: boolean): void {
    if (final) active.delete(key);
    postResponse(key, encoded, final);
  },
};

let model: JsModel | undefined;
let executions: Promise<void> = Promise.resolve();

/** The class a module exports: default export, else `Model`, else `TritonJsModel`. */
function pickClass(mod: Record<string, unknown>): (new () => JsModel) | undefined {
  for (const key of ['default', 'Model', 'TritonJsModel']) {
    const v = mod[key];
    if (typeof v === 'function') return v as new () => JsModel;
  }
  return undefined;
}

/**
 * "line 3: " when the error's stack points into the model file (CommonJS syntax errors, errors
 * thrown while the module body runs). Node 20 keeps no location for ESM syntax errors: those are
 * located by {@link locateSyntaxError}.
 */
function locationOf(err: unknown, file: string): string {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  for (const name of [pathToFileURL(file).href, file]) {
    const at = stack.indexOf(name);
    // A loader may append a query to the URL (tsx does when the server runs from source).
    const m = at >= 0 ? /^(?:\?[^:\s]*)?:(\d+)/.exec(stack.slice(at + name.length)) : null;
    if (m) return `line ${m[1]}: `;
  }
  return '';
}

async function load(): Promise<void> {
  const file = init.modelFile;
  const fail = (code: ErrorCode, message: string): void => post({ type: 'init-error', code, message });
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SyntaxError) {
      const at = await locateSyntaxError(file);
      if (at) {
        return fail(
          'INVALID_ARG',
          `cannot import ${file}:${at.line}:${at.column}: ${describeThrown(err)} (line ${at.line}: ${at.source})`,
        );
      }
    }
    return fail('INVALID_ARG', `cannot import ${file}: ${locationOf(err, file)}${describeThrown(err)}`);
  }
  const Cls = pickClass(mod);
  if (!Cls) {
    return fail(
      'INVALID_ARG',
      `${file} exports no model class: export a class as the default export, or name it Model or TritonJsModel`,
    );
  }
  try {
    model = new Cls();
  } catch (err) {
    return fail('INTERNAL', `${file}: the model class constructor threw ${describeThrown(err)}`);
  }
  if (typeof model?.execute !== 'function') {
    return fail('INVALID_ARG', `${file}: the exported model class has no execute(requests) method`);
  }
  try {
    await model.initialize?.({ ...init.args, logger, models: calls.caller(0) });
  } catch (err) {
    // A built-in model (the onnxruntime backend's) throws InferenceErrors whose code and message
    // are already what the client should see; checked by shape, since a module loaded through
    // another loader (tsx from source) may hold its own copy of the class.
    if (isInferenceError(err)) return fail(err.code, err.message);
    return fail('INTERNAL', `${file}: initialize() failed: ${describeThrown(err)}`);
  }
  post({ type: 'ready' });
}

function isInferenceError(err: unknown): err is { code: ErrorCode; message: string } {
  return (
    err instanceof Error &&
    err.name === 'InferenceError' &&
    ERROR_CODES.includes((err as { code?: unknown }).code as ErrorCode)
  );
}

const failureOf = (what: string): string =>
  `Failed to process the request(s) for model instance '${instanceName}', message: ${what}`;

/** Keys cancelled before their execution started (the main thread may send executions ahead). */
const cancelledEarly = new Set<number>();
/**
 * Highest key whose execution has started. Keys grow in the order executions run, so a cancel
 * for an inactive key at or below it came after its request finished and is dropped.
 */
let startedUpTo = 0;

async function execute(execId: number, wires: readonly WireRequest[], receivedAt: number): Promise<void> {
  const t0 = performance.now();
  // Time spent here waiting for earlier executions (the main thread sends work ahead): queue time.
  const waitNs = Math.max(0, Math.round((t0 - receivedAt) * 1e6));
  const requests = wires.map((w) => new WorkerRequest(w, host));
  for (const r of requests) {
    active.set(r.key, r);
    if (cancelledEarly.delete(r.key)) r.cancel();
    startedUpTo = Math.max(startedUpTo, r.key);
  }
  if (requests.every((r) => r.isCancelled())) {
    // Every request was cancelled while queued here: answer them without running the model.
    for (const r of requests) {
      active.delete(r.key);
      r.finalSent = true;
      const response = { error: 'request cancelled before execution', code: 'CANCELLED' } as const;
      postResponse(r.key, { response, transfer: [], ns: 0 }, true);
    }
    postExecuted(execId, waitNs, 0, NOT_EXECUTED, 0, undefined, undefined);
    return;
  }
  const t1 = performance.now();
  let result: unknown;
  let error: string | undefined;
  try {
    result = await model!.execute(requests);
  } catch (err) {
    error = failureOf(describeThrown(err));
  }
  const t2 = performance.now();
  let responses: EncodedResponse[] | undefined;
  let outputNs = 0;
  if (error === undefined && !init.decoupled) {
    if (!Array.isArray(result) || result.length !== requests.length) {
      const got = Array.isArray(result) ? `${result.length} response(s)` : describeThrown(result);
      error = failureOf(
        `execute() must return an array of ${requests.length} response(s), one per request; it returned ${got}`,
      );
    } else {
      responses = result.map((resp: unknown, i) => {
        const enc = encodeResponse(resp, host.specs, host.batching ? requests[i]!.batchSize : undefined, host.copy);
        outputNs += enc.ns;
        return enc;
      });
    }
  } else if (error === undefined && result !== undefined && result !== null) {
    error = failureOf('a decoupled model must return nothing from execute() and answer through response senders');
  }
  for (const r of requests) {
    // The main thread answers whatever is left: mark it so a late send() throws instead.
    if (!init.decoupled || error !== undefined) {
      active.delete(r.key);
      r.finalSent = true;
    }
  }
  const inputNs = Math.round((t1 - t0) * 1e6);
  const inferNs = Math.round((t2 - t1) * 1e6);
  postExecuted(execId, waitNs, inputNs, inferNs, outputNs, error, responses);
}

/** Queues an execution's end, with its responses (non-decoupled) or the error that failed it. */
function postExecuted(
  execId: number,
  waitNs: number,
  inputNs: number,
  inferNs: number,
  outputNs: number,
  error: string | undefined,
  responses: readonly EncodedResponse[] | undefined,
): void {
  progress[0] = (progress[0]! + 1) | 0;
  const p = outbox.open();
  p.value(Op.Executed);
  p.value(execId);
  p.value(waitNs);
  p.value(inputNs);
  p.value(inferNs);
  p.value(outputNs);
  p.value(error ?? null);
  if (error !== undefined || responses === undefined) {
    p.value(-1);
  } else {
    p.value(responses.length);
    for (const enc of responses) writeResponse(p, enc.response, enc.transfer);
  }
  outbox.endOp();
}

async function finalize(): Promise<void> {
  try {
    await model?.finalize?.();
    post({ type: 'finalized' });
  } catch (err) {
    post({ type: 'finalized', error: describeThrown(err) });
  }
}

port.on('message', (msg: MainToWorker) => {
  if (msg.type === 'packet') onPacket(msg);
  else if (msg.type === 'finalize') void finalize();
});

function onPacket(packet: Packet): void {
  markMovableInputBuffers(packet.buffers);
  const r = new WireReader(packet);
  while (!r.done) {
    const op = r.number();
    if (op === Op.Execute) {
      const execId = r.number();
      const wires = new Array<WireRequest>(r.number());
      for (let i = 0; i < wires.length; i++) wires[i] = readRequest(r);
      const receivedAt = performance.now();
      // Executions run strictly one after another, in arrival order, like one Triton instance;
      // the main thread may send the next one early to keep this thread busy.
      executions = executions.then(() => execute(execId, wires, receivedAt));
    } else if (op === Op.Cancel) {
      const key = r.number();
      const req = active.get(key);
      if (req) req.cancel();
      // Remembered only while its execution is still queued here; a late cancel is dropped.
      else if (key > startedUpTo) cancelledEarly.add(key);
    } else if (op === Op.CallResponse) {
      calls.onAnswer(readCallResponse(r));
    } else {
      throw new Error(`unknown op ${op} in a packet from the main thread`);
    }
  }
}

await load();
