/**
 * One instance of a JS model: a worker thread running the user's model object, and the main-thread
 * bookkeeping around it (in-flight requests, cancellation, output validation, crash recovery).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageBatcher, type BatchMessage } from './message-batcher.js';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { BackendResponse, ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import { InferenceError, unavailable } from '../../core/errors.js';
import type { OutputValidator } from './output-validation.js';
import { startWorker } from './worker-entry.js';
import type { MainToWorker, WireRequest, WireResponse, WireTensor, WorkerInit, WorkerToMain } from './worker-messages.js';

/** Options of one instance. */
export interface JsInstanceOptions {
  readonly name: string;
  readonly init: WorkerInit;
  readonly validator: OutputValidator;
  readonly logger: Logger;
  /** Delay before restart number `n` (1-based) after consecutive crashes. */
  readonly restartDelayMs?: (n: number) => number;
  /** How long unload waits for in-flight executions, then for finalize(). */
  readonly drainTimeoutMs?: number;
}

/** Immediate first restart, then 100 ms doubling up to 30 s while crashes keep repeating. */
export const defaultRestartDelayMs = (n: number): number => (n <= 1 ? 0 : Math.min(30_000, 100 * 2 ** (n - 2)));

interface ExecState {
  readonly id: number;
  readonly keys: number[];
  remaining: number;
  returned: boolean;
  inputNs: number;
  inferNs: number;
  outputNs: number;
  resolve(t: ExecutionTimings): void;
  reject(e: InferenceError): void;
}

interface PendingRequest {
  readonly req: ExecutionRequest;
  readonly exec: ExecState;
  readonly onAbort?: () => void;
}

const ns = (fromMs: number): number => Math.round((performance.now() - fromMs) * 1e6);

/**
 * A {@link ModelInstance} backed by one worker thread. `execute` resolves once the model's
 * `execute` returned and every request of the batch has had its final response.
 */
export class JsInstance implements ModelInstance {
  readonly name: string;
  /**
   * The worker queues executions ahead (it still runs them one at a time, in order), so it never
   * waits on the main thread between two, and requests dispatched in one event-loop turn travel
   * in one message.
   */
  readonly concurrency = 8;
  private outbox: MessageBatcher<MainToWorker> | undefined;
  private worker: Worker | undefined;
  /** The current (re)start attempt: undefined once ready, or why the instance cannot serve. */
  private ready: Promise<InferenceError | undefined> = Promise.resolve(unavailable('not started'));
  private readonly pending = new Map<number, PendingRequest>();
  private readonly execs = new Map<number, ExecState>();
  private readonly drains = new Set<Promise<unknown>>();
  private nextKey = 1;
  private nextExec = 1;
  private generation = 0;
  private crashes = 0;
  private stopping = false;
  private onFinalized: ((error: string | undefined) => void) | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: JsInstanceOptions) {
    this.name = opts.name;
    this.log = opts.logger.child({ instance: opts.name });
  }

  /** Starts the worker; rejects with the load error (missing export, initialize failure...). */
  async start(): Promise<void> {
    this.ready = this.spawn();
    const err = await this.ready;
    if (err) throw err;
  }

  async execute(batch: readonly ExecutionRequest[]): Promise<ExecutionTimings> {
    const notReady = await this.ready;
    if (notReady) throw notReady;
    const worker = this.worker;
    if (this.stopping || !worker) throw unavailable(`model instance ${this.name} is not available`);
    const t0 = performance.now();
    let resolve!: (t: ExecutionTimings) => void;
    let reject!: (e: InferenceError) => void;
    const done = new Promise<ExecutionTimings>((res, rej) => ((resolve = res), (reject = rej)));
    const exec: ExecState = { id: this.nextExec++, keys: [], remaining: batch.length, returned: false, inputNs: 0, inferNs: 0, outputNs: 0, resolve, reject };
    const wires: WireRequest[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const req of batch) {
      const key = this.nextKey++;
      const inputs: WireTensor[] = req.inputs.map((t) => {
        // A fresh, exactly-sized buffer per input: transferring it moves no bytes, whereas
        // cloning a view would copy the whole (possibly pooled, much larger) buffer behind it.
        const data = new Uint8Array(t.data.byteLength);
        data.set(t.data);
        transfer.push(data.buffer);
        return { name: t.name, datatype: t.datatype, shape: [...t.shape], data };
      });
      const cancelled = req.signal.aborted;
      wires.push({ key, id: req.id, inputs, requestedOutputs: [...req.requestedOutputs], parameters: { ...req.parameters }, batchSize: req.batchSize, cancelled });
      const onAbort = cancelled ? undefined : (): void => this.post({ type: 'cancel', key });
      if (onAbort) req.signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(key, onAbort ? { req, exec, onAbort } : { req, exec });
      exec.keys.push(key);
    }
    exec.inputNs = ns(t0);
    this.execs.set(exec.id, exec);
    const drained = done.then(
      () => undefined,
      () => undefined,
    );
    this.drains.add(drained);
    void drained.then(() => this.drains.delete(drained));
    this.outbox!.push({ type: 'execute', execId: exec.id, requests: wires }, transfer);
    return done;
  }

  /** Runs the model's finalize() and stops the worker; in-flight requests get a bounded drain. */
  async stop(): Promise<void> {
    this.stopping = true;
    const timeout = this.opts.drainTimeoutMs ?? 10_000;
    if (this.drains.size > 0) await Promise.race([Promise.all(this.drains), sleep(timeout, undefined, { ref: false })]);
    const worker = this.worker;
    if (worker) {
      const finalized = new Promise<string | undefined>((res) => (this.onFinalized = res));
      this.post({ type: 'finalize' });
      const outcome = await Promise.race([finalized, sleep(timeout, 'timed out', { ref: false })]);
      if (outcome !== undefined) this.log.warn({ reason: outcome }, 'model finalize() did not complete cleanly');
      this.generation++;
      this.worker = undefined;
      await worker.terminate();
    }
    this.failAll(unavailable(`model instance ${this.name} was unloaded`));
  }

  private post(msg: MainToWorker): void {
    if (msg.type === 'cancel') {
      this.outbox?.push(msg);
      return;
    }
    this.outbox?.flush();
    this.worker?.postMessage(msg);
  }

  /** Starts a worker and waits for it to load; resolves with the load error, if any. */
  private spawn(): Promise<InferenceError | undefined> {
    const gen = ++this.generation;
    const worker = startWorker({ workerData: this.opts.init, name: this.name });
    this.worker = worker;
    this.outbox = new MessageBatcher<MainToWorker>(
      (m, transfer) => worker.postMessage(m, transfer),
      (err) => this.failAll(InferenceError.from(err)),
    );
    const file = this.opts.init.modelFile;
    return new Promise((resolve) => {
      let phase: 'loading' | 'running' | 'failed' = 'loading';
      let lastError: Error | undefined;
      worker.on('message', (msg: WorkerToMain | BatchMessage<WorkerToMain>) => {
        if (gen !== this.generation) return;
        if (msg.type === 'batch') {
          for (const m of msg.messages) this.onMessage(m);
          return;
        }
        if (msg.type === 'ready') {
          phase = 'running';
          resolve(undefined);
        } else if (msg.type === 'init-error') {
          phase = 'failed';
          this.worker = undefined;
          resolve(new InferenceError(msg.code, `failed to load model '${this.opts.init.args.model_name}': ${msg.message}`));
          void worker.terminate();
        } else {
          this.onMessage(msg);
        }
      });
      worker.on('error', (err) => (lastError = err));
      worker.on('exit', (code) => {
        if (gen !== this.generation || phase === 'failed') return;
        const reason = lastError ? `${lastError.name}: ${lastError.message}` : `its worker exited with code ${code}`;
        if (phase === 'loading') {
          this.worker = undefined;
          resolve(new InferenceError('INTERNAL', `failed to load model '${this.opts.init.args.model_name}': ${file}: ${reason}`));
          return;
        }
        this.onCrash(reason);
      });
    });
  }

  private onCrash(reason: string): void {
    this.worker = undefined;
    this.onFinalized?.(`the worker died: ${reason}`);
    if (this.stopping) return;
    const err = new InferenceError('INTERNAL', `model instance ${this.name} crashed: ${reason}; it is being restarted`);
    this.log.error({ reason }, 'model instance crashed; restarting it');
    this.failAll(err);
    this.crashes++;
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delay = (this.opts.restartDelayMs ?? defaultRestartDelayMs)(this.crashes);
    this.ready = (async (): Promise<InferenceError | undefined> => {
      if (delay > 0) await sleep(delay, undefined, { ref: false });
      if (this.stopping) return unavailable(`model instance ${this.name} is stopping`);
      const err = await this.spawn();
      if (!err && this.stopping) void this.worker?.terminate();
      if (!err) return undefined;
      this.log.error({ err: err.message }, 'model instance could not restart');
      this.crashes++;
      if (!this.stopping) this.scheduleRestart();
      return unavailable(`model instance ${this.name} is restarting after a crash: ${err.message}`);
    })();
  }

  private onMessage(msg: WorkerToMain): void {
    switch (msg.type) {
      case 'log':
        this.log[msg.level](msg.obj ?? {}, msg.msg);
        return;
      case 'response': {
        const p = this.pending.get(msg.key);
        if (!p) return;
        const t0 = performance.now();
        const response = msg.response ? this.toBackendResponse(p.req, msg.response) : undefined;
        p.exec.outputNs += msg.outputNs + ns(t0);
        if (msg.final) this.finishRequest(msg.key, response);
        else if (response) this.deliver(p.req, response, false);
        return;
      }
      case 'executed':
        this.onExecuted(msg);
        return;
      case 'finalized':
        this.onFinalized?.(msg.error);
        return;
      default:
        return;
    }
  }

  private onExecuted(msg: Extract<WorkerToMain, { type: 'executed' }>): void {
    const exec = this.execs.get(msg.execId);
    if (!exec) return;
    exec.inputNs += msg.inputNs;
    exec.inferNs += msg.inferNs;
    const t0 = performance.now();
    exec.keys.forEach((key, i) => {
      const p = this.pending.get(key);
      if (!p) return;
      if (msg.error !== undefined) this.finishRequest(key, { outputs: [], error: new InferenceError('INTERNAL', msg.error) });
      else if (msg.responses?.[i]) this.finishRequest(key, this.toBackendResponse(p.req, msg.responses[i]));
    });
    exec.outputNs += msg.outputNs + ns(t0);
    exec.returned = true;
    this.maybeDone(exec);
  }

  private toBackendResponse(req: ExecutionRequest, wire: WireResponse): BackendResponse {
    if ('error' in wire) return { outputs: [], error: new InferenceError(wire.code, wire.error) };
    try {
      const outputs = this.opts.validator.validate(wire.outputs, req.requestedOutputs, req.batchSize);
      return wire.parameters ? { outputs, parameters: wire.parameters } : { outputs };
    } catch (err) {
      return { outputs: [], error: InferenceError.from(err) };
    }
  }

  private deliver(req: ExecutionRequest, response: BackendResponse | undefined, final: boolean): void {
    try {
      req.sender.send(response, { final });
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'response sender threw');
    }
  }

  private finishRequest(key: number, response: BackendResponse | undefined): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    if (p.onAbort) p.req.signal.removeEventListener('abort', p.onAbort);
    this.deliver(p.req, response, true);
    p.exec.remaining--;
    this.maybeDone(p.exec);
  }

  private maybeDone(exec: ExecState): void {
    if (!exec.returned || exec.remaining > 0 || !this.execs.has(exec.id)) return;
    this.execs.delete(exec.id);
    this.crashes = 0;
    exec.resolve({ computeInputNs: exec.inputNs, computeInferNs: exec.inferNs, computeOutputNs: exec.outputNs });
  }

  private failExec(exec: ExecState, err: InferenceError): void {
    for (const key of exec.keys) this.finishRequest(key, { outputs: [], error: err });
    this.execs.delete(exec.id);
    exec.reject(err);
  }

  /** Fails every in-flight request and execution with `err`. */
  private failAll(err: InferenceError): void {
    for (const exec of [...this.execs.values()]) this.failExec(exec, err);
  }
}
