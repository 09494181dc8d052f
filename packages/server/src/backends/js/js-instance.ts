/**
 * One instance of a JS model: a worker thread running the user's model object, and its lifecycle
 * on the main thread (start, packets both ways, crash recovery and restart, unload). The in-flight
 * bookkeeping (responses, validation, settling executions) lives in `in-flight-executions.ts`.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PacketOutbox } from './message-batcher.js';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import { InferenceError, unavailable } from '../../core/errors.js';
import type { OutputValidator } from './output-validation.js';
import { startWorker } from './worker-entry.js';
import { Op, readLog, readResponse, writeRequest } from './wire-codec.js';
import { InFlightExecutions, nsSince } from './in-flight-executions.js';
import { WireReader, type Packet } from './wire-packet.js';
import type { WireResponse, WorkerInit, WorkerToMain } from './worker-messages.js';

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

/**
 * A {@link ModelInstance} backed by one worker thread. `execute` resolves once the model's
 * `execute` returned and every request of the batch has had its final response.
 */
export class JsInstance implements ModelInstance {
  readonly name: string;
  /**
   * The worker queues executions ahead (it still runs them one at a time, in order), so it never
   * waits on the main thread between two, and requests dispatched in one event-loop turn travel
   * in one message. Deep enough that under load each thread wake-up carries many requests: on
   * `simple` with 64 requests in flight, 64 gave 1.29x the throughput of 16 (7-round A/B, 5 of 7
   * rounds), because at 16 the main thread sat idle waiting for the worker's next packet. The
   * scheduler still prefers an idle instance, so with several instances work spreads first;
   * the price is that a crash fails up to this many executions waiting inside the worker.
   */
  readonly concurrency = 64;
  private outbox: PacketOutbox | undefined;
  private worker: Worker | undefined;
  /** The current (re)start attempt: undefined once ready, or why the instance cannot serve. */
  private ready: Promise<InferenceError | undefined> = Promise.resolve(unavailable('not started'));
  /** True while the current worker is loaded: execute() then skips awaiting {@link ready}. */
  private serving = false;
  private readonly inFlight: InFlightExecutions;
  private generation = 0;
  private crashes = 0;
  private stopping = false;
  private onFinalized: ((error: string | undefined) => void) | undefined;
  private readonly log: Logger;
  /** {@link cancel}, bound once (not a closure per execution). */
  private readonly cancelKey = (key: number): void => this.cancel(key);

  constructor(private readonly opts: JsInstanceOptions) {
    this.name = opts.name;
    this.log = opts.logger.child({ instance: opts.name });
    this.inFlight = new InFlightExecutions(opts.validator, this.log, () => {
      this.crashes = 0;
    });
  }

  /** Starts the worker; rejects with the load error (missing export, initialize failure...). */
  async start(): Promise<void> {
    this.ready = this.spawn();
    const err = await this.ready;
    if (err) throw err;
  }

  async execute(batch: readonly ExecutionRequest[]): Promise<ExecutionTimings> {
    if (!this.serving) {
      const notReady = await this.ready;
      if (notReady) throw notReady;
    }
    const worker = this.worker;
    if (this.stopping || !worker) throw unavailable(`model instance ${this.name} is not available`);
    const t0 = performance.now();
    const { exec, done } = this.inFlight.open(batch, this.cancelKey);
    // Inputs are copied into the packet now (small ones share a chunk, large ones get an exactly
    // sized buffer of their own, or move with an owned received buffer): transferring moves no
    // bytes, whereas cloning a view would copy the whole (possibly pooled) buffer behind it.
    const p = this.outbox!.open();
    p.value(Op.Execute);
    p.value(exec.id);
    p.value(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const req = batch[i]!;
      writeRequest(p, exec.keys[i]!, req, req.signal.aborted);
    }
    this.outbox!.endOp();
    exec.inputNs = nsSince(t0);
    return done;
  }

  /** Runs the model's finalize() and stops the worker; in-flight requests get a bounded drain. */
  async stop(): Promise<void> {
    this.stopping = true;
    const timeout = this.opts.drainTimeoutMs ?? 10_000;
    await this.inFlight.whenIdle(timeout);
    const worker = this.worker;
    if (worker) {
      const finalized = new Promise<string | undefined>((res) => (this.onFinalized = res));
      this.post({ type: 'finalize' });
      const outcome = await Promise.race([finalized, sleep(timeout, 'timed out', { ref: false })]);
      if (outcome !== undefined) this.log.warn({ reason: outcome }, 'model finalize() did not complete cleanly');
      this.generation++;
      this.worker = undefined;
      this.serving = false;
      await worker.terminate();
    }
    this.inFlight.failAll(unavailable(`model instance ${this.name} was unloaded`));
  }

  private post(msg: { readonly type: 'finalize' }): void {
    // Whatever is queued goes first, so the worker sees it before finalizing.
    this.outbox?.flush();
    this.worker?.postMessage(msg);
  }

  /** Tells the worker that request `key` was cancelled (travels with the next packet). */
  private cancel(key: number): void {
    const p = this.outbox?.open();
    if (!p) return;
    p.value(Op.Cancel);
    p.value(key);
  }

  /** Starts a worker and waits for it to load; resolves with the load error, if any. */
  private spawn(): Promise<InferenceError | undefined> {
    const gen = ++this.generation;
    const worker = startWorker({ workerData: this.opts.init, name: this.name });
    this.worker = worker;
    this.serving = false;
    this.outbox = new PacketOutbox(
      (packet) => worker.postMessage(packet, packet.transfer),
      (err) => this.inFlight.failAll(InferenceError.from(err)),
    );
    const file = this.opts.init.modelFile;
    return new Promise((resolve) => {
      let phase: 'loading' | 'running' | 'failed' = 'loading';
      let lastError: Error | undefined;
      worker.on('message', (msg: WorkerToMain) => {
        if (gen !== this.generation) return;
        switch (msg.type) {
          case 'packet':
            this.onPacket(msg);
            return;
          case 'ready':
            phase = 'running';
            this.serving = true;
            resolve(undefined);
            return;
          case 'init-error':
            phase = 'failed';
            this.worker = undefined;
            resolve(
              new InferenceError(msg.code, `failed to load model '${this.opts.init.args.model_name}': ${msg.message}`),
            );
            void worker.terminate();
            return;
          case 'finalized':
            this.onFinalized?.(msg.error);
            return;
        }
      });
      worker.on('error', (err) => (lastError = err));
      worker.on('exit', (code) => {
        if (gen !== this.generation || phase === 'failed') return;
        const reason = lastError ? `${lastError.name}: ${lastError.message}` : `its worker exited with code ${code}`;
        if (phase === 'loading') {
          this.worker = undefined;
          resolve(
            new InferenceError(
              'INTERNAL',
              `failed to load model '${this.opts.init.args.model_name}': ${file}: ${reason}`,
            ),
          );
          return;
        }
        this.onCrash(reason);
      });
    });
  }

  private onCrash(reason: string): void {
    this.worker = undefined;
    this.serving = false;
    this.onFinalized?.(`the worker died: ${reason}`);
    if (this.stopping) return;
    const err = new InferenceError('INTERNAL', `model instance ${this.name} crashed: ${reason}; it is being restarted`);
    this.log.error({ reason }, 'model instance crashed; restarting it');
    this.inFlight.failAll(err);
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

  /** Runs the ops of a packet from the worker, in order. */
  private onPacket(packet: Packet): void {
    const r = new WireReader(packet);
    while (!r.done) {
      const op = r.number();
      if (op === Op.Response) {
        const key = r.number();
        const final = r.boolean();
        const outputNs = r.number();
        const wire = r.boolean() ? readResponse(r) : undefined;
        this.inFlight.onResponse(key, final, outputNs, wire);
      } else if (op === Op.Executed) {
        const execId = r.number();
        const waitNs = r.number();
        const inputNs = r.number();
        const inferNs = r.number();
        const outputNs = r.number();
        const error = r.value() as string | null;
        const count = r.number();
        let responses: WireResponse[] | undefined;
        if (count >= 0) {
          responses = new Array<WireResponse>(count);
          for (let i = 0; i < count; i++) responses[i] = readResponse(r);
        }
        this.inFlight.onExecuted(execId, waitNs, inputNs, inferNs, outputNs, error, responses);
      } else if (op === Op.Log) {
        const log = readLog(r);
        this.log[log.level](log.obj ?? {}, log.msg);
      } else {
        this.log.error({ op }, 'unknown op in a packet from the model worker');
        return;
      }
    }
  }
}
