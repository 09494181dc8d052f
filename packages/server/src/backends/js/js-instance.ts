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
import type {
  ExecutionRequest,
  ExecutionTimings,
  InstanceRestartReason,
  ModelCaller,
  ModelInstance,
} from '../../backend-api/backend.js';
import { backgroundClock, type Clock } from '../../core/clock.js';
import { InferenceError, unavailable } from '../../core/errors.js';
import type { OutputValidator } from './output-validation.js';
import { launchInstanceWorker, type InstanceWorkerEvents } from './instance-worker.js';
import { Op, readCall, writeRequest } from './wire-codec.js';
import { ModelCalls } from './model-calls.js';
import { InFlightExecutions, nsSince } from './in-flight-executions.js';
import { ExecutionWatchdog, sweepPeriodMs } from './execution-watchdog.js';
import { InstanceHealth } from './instance-health.js';
import {
  exitFailure,
  memoryFailure,
  notExecuted,
  timeoutFailure,
  type FailedInstance,
  type InstanceFailure,
} from './instance-failures.js';
import { HEARTBEAT_SLOT, SHARED_SLOTS, terminateOutsideNative } from './native-guard.js';
import type { InstanceLimits } from './instance-limits.js';
import { processMemoryWatch, type MemoryWatch, type MemoryWatched } from './memory-watch.js';
import { workerMemoryProbe } from './worker-memory-probe.js';
import type { WorkerInit } from './worker-messages.js';

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
  /** The config's `execution_timeout_ms`, `memory_limit_mb` and `initialize_timeout_ms` (absent: none applies). */
  readonly limits?: InstanceLimits;
  /** Clock of the watchdog and the restart delays (default: `backgroundClock`, unref'd timers). */
  readonly clock?: Clock;
  /** Where a memory-capped instance is sampled (default: the process's watch). */
  readonly memoryWatch?: MemoryWatch;
  /** Called each time the worker is replaced, with why (the model's restart metric). */
  readonly onRestart?: (reason: InstanceRestartReason) => void;
  /** What the model's calls to other models go through (BLS); absent: they answer UNAVAILABLE. */
  readonly caller?: ModelCaller;
}

/** How long a restart waits for a terminated worker to end (and free its memory) before going on. */
const TERMINATE_WAIT_MS = 5_000;
/** How often a termination looks again whether the worker has left its native call. */
const NATIVE_POLL_MS = 20;

export { defaultRestartDelayMs } from './instance-health.js';

/** The start of the last memory-capped worker (see {@link JsInstance.start}). */
let cappedStarts: Promise<unknown> = Promise.resolve();

/**
 * A {@link ModelInstance} backed by one worker thread. `execute` resolves once the model's
 * `execute` returned and every request of the batch has had its final response.
 *
 * Its worker is replaced when it dies (`crash`), when its work makes no progress for
 * `execution_timeout_ms` (`timeout`) and when it goes over `memory_limit_mb` (`memory`): the
 * requests in flight fail at once, the instance reports itself unavailable (schedulers route
 * around it), and a new worker starts after the restart back-off.
 */
export class JsInstance implements ModelInstance, MemoryWatched {
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
  /** The cap on heap + ArrayBuffers, bytes (0: none). */
  readonly memoryLimitBytes: number;
  private outbox: PacketOutbox | undefined;
  private worker: Worker | undefined;
  /** The current (re)start attempt: undefined once ready, or why the instance cannot serve. */
  private ready: Promise<InferenceError | undefined> = Promise.resolve(unavailable('not started'));
  /** True while the current worker is loaded: execute() then skips awaiting {@link ready}. */
  private serving = false;
  private readonly inFlight: InFlightExecutions;
  /** The model's calls to other models in flight (BLS). */
  private readonly calls: ModelCalls;
  private generation = 0;
  private stopping = false;
  private onFinalized: ((error: string | undefined) => void) | undefined;
  private readonly log: Logger;
  /** {@link cancel}, bound once (not a closure per execution). */
  private readonly cancelKey = (key: number): void => this.cancel(key);
  private readonly limits: InstanceLimits;
  private readonly clock: Clock;
  private readonly health: InstanceHealth;
  private readonly watchdog: ExecutionWatchdog;
  /** The memory watch, for memory-capped instances only. */
  private readonly memoryWatch: MemoryWatch | undefined;
  private unwatchMemory: (() => void) | undefined;
  private measuring = false;
  /** What the current worker says (see instance-worker.ts). */
  private readonly events: InstanceWorkerEvents = {
    packet: (packet) => this.inFlight.onPacket(packet),
    ready: () => {
      this.serving = true;
      this.health.markUp();
    },
    finalized: (error) => this.onFinalized?.(error),
    exited: (detail, outOfMemory) => this.down(exitFailure(this.who, detail, outOfMemory, this.limits.memoryLimitMb)),
  };
  /** Model and instance names, for failure messages. */
  private readonly who: FailedInstance;
  /**
   * Shared with the current worker (a new one per worker): slot 0 is the watchdog's progress
   * signal (the worker adds one for every execution that returned and every response it sends,
   * seen here without waiting for its packets), slot 1 the native-call guard, slot 2 the
   * heartbeat the worker bumps while its calls to other models are in flight.
   */
  private shared: Int32Array = new Int32Array(new SharedArrayBuffer(4 * SHARED_SLOTS));
  /** The heartbeat last seen (see {@link heartbeatMoved}). */
  private lastBeat = 0;

  constructor(private readonly opts: JsInstanceOptions) {
    this.name = opts.name;
    this.who = { model: opts.init.args.model_name, instance: opts.name };
    this.log = opts.logger.child({ instance: opts.name });
    this.inFlight = new InFlightExecutions(opts.validator, this.log, () => this.health.succeeded(), {
      call: (r) => this.calls.start(readCall(r), this.outbox!),
      cancelCall: (callId) => this.calls.cancel(callId),
    });
    this.clock = opts.clock ?? backgroundClock;
    this.limits = opts.limits ?? { executionTimeoutMs: 0, memoryLimitMb: 0 };
    // A call that names no timeout gets the model's execution_timeout_ms: the watchdog does not
    // count the wait (below), so this is what frees an instance that waits on itself.
    this.calls = new ModelCalls({
      caller: opts.caller,
      defaultTimeoutMs: this.limits.executionTimeoutMs,
      clock: this.clock,
      log: this.log,
      parentSignal: (key) => this.inFlight.signalOf(key),
      parentTrace: (key) => this.inFlight.traceOf(key),
    });
    this.memoryLimitBytes = this.limits.memoryLimitMb * 2 ** 20;
    this.memoryWatch = this.memoryLimitBytes > 0 ? (opts.memoryWatch ?? processMemoryWatch) : undefined;
    this.health = new InstanceHealth(opts.name, this.clock, opts.restartDelayMs);
    this.watchdog = new ExecutionWatchdog(
      this.limits.executionTimeoutMs,
      this.clock,
      () => this.inFlight.busy,
      () => Atomics.load(this.shared, 0),
      () => this.onTimeout(),
      // Waiting on another model is not a stall of this one (the callee has its own watchdog,
      // and each call its timeout), as long as this worker's event loop turns.
      () => this.calls.size > 0 && this.heartbeatMoved(),
    );
  }

  /** True when the worker's heartbeat moved since the last look (its event loop turns). */
  private heartbeatMoved(): boolean {
    const beat = Atomics.load(this.shared, HEARTBEAT_SLOT);
    const moved = beat !== this.lastBeat;
    this.lastBeat = beat;
    return moved;
  }

  /** Starts the worker; rejects with the load error (missing export, initialize failure...). */
  async start(): Promise<void> {
    if (this.memoryWatch) {
      workerMemoryProbe.start(this.opts.logger);
      this.unwatchMemory = this.memoryWatch.add(this);
      // Memory-capped workers start one at a time, process-wide: the inspector the memory probe
      // measures them through missed workers that started together (several models loading at
      // once, --model-load-thread-count), and such a worker's cap was never enforced.
      const turn = cappedStarts.then(() => this.spawn());
      cappedStarts = turn.then(
        () => undefined,
        () => undefined,
      );
      this.ready = turn;
    } else {
      this.ready = this.spawn();
    }
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
    this.watchdog.arm();
    this.memoryWatch?.arm();
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

  unavailable(): InferenceError | undefined {
    if (this.stopping) return unavailable(`model instance ${this.name} is stopping`);
    return this.health.error();
  }

  onAvailabilityChange(listener: () => void): void {
    this.health.onChange(listener);
  }

  /** Whether executions are in flight (the memory watch samples only then). */
  busy(): boolean {
    return this.inFlight.busy;
  }

  /** Measures the worker's heap + ArrayBuffers and restarts it when over `memory_limit_mb`. */
  check(): void {
    const worker = this.worker;
    if (!worker || !this.serving || this.measuring || this.memoryLimitBytes === 0) return;
    this.measuring = true;
    const gen = this.generation;
    void workerMemoryProbe.measure(worker.threadId).then((bytes) => {
      this.measuring = false;
      if (bytes === undefined || gen !== this.generation || bytes <= this.memoryLimitBytes) return;
      this.kill(memoryFailure(this.who, this.limits.memoryLimitMb, bytes));
    });
  }

  /** Runs the model's finalize() and stops the worker; in-flight requests get a bounded drain. */
  async stop(): Promise<void> {
    this.stopping = true;
    const timeout = this.opts.drainTimeoutMs ?? 10_000;
    await this.inFlight.whenIdle(timeout);
    this.unwatchMemory?.();
    this.unwatchMemory = undefined;
    this.watchdog.disarm();
    const worker = this.worker;
    if (worker) {
      const finalized = new Promise<string | undefined>((res) => (this.onFinalized = res));
      this.post({ type: 'finalize' });
      const outcome = await Promise.race([finalized, sleep(timeout, 'timed out', { ref: false })]);
      if (outcome !== undefined) this.log.warn({ reason: outcome }, 'model finalize() did not complete cleanly');
      this.generation++;
      this.worker = undefined;
      this.serving = false;
      await this.terminate(worker, this.shared);
    }
    this.inFlight.failAll(unavailable(`model instance ${this.name} was unloaded`));
    this.calls.cancelAll(new InferenceError('CANCELLED', `model instance ${this.name} was unloaded`));
    this.health.clearListeners();
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
  private async spawn(): Promise<InferenceError | undefined> {
    const gen = ++this.generation;
    const current = (): boolean => gen === this.generation;
    // While its calls to other models are in flight, the worker beats once per watchdog sweep.
    const timeoutMs = this.limits.executionTimeoutMs;
    const init = { ...this.opts.init, heartbeatMs: timeoutMs > 0 ? sweepPeriodMs(timeoutMs) : 0 };
    const w = launchInstanceWorker(init, this.name, this.limits.memoryLimitMb, this.events, current);
    const worker = w.worker;
    this.worker = worker;
    this.shared = w.shared;
    this.lastBeat = 0;
    this.serving = false;
    this.outbox = new PacketOutbox(
      (packet) => worker.postMessage(packet, packet.transfer),
      (err) => this.inFlight.failAll(InferenceError.from(err)),
    );
    const err = await this.loadedWithin(w.loaded, worker, w.shared, current);
    if (err && current()) this.worker = undefined;
    return err;
  }

  /**
   * The load result, or a load failure once `initialize_timeout_ms` passes first: the worker
   * (stuck in its import or initialize()) is then terminated and ignored from then on.
   */
  private loadedWithin(
    loaded: Promise<InferenceError | undefined>,
    worker: Worker,
    shared: Int32Array,
    current: () => boolean,
  ): Promise<InferenceError | undefined> {
    const limitMs = this.limits.initializeTimeoutMs ?? 0;
    if (limitMs <= 0) return loaded;
    return new Promise((resolve) => {
      const cancel = this.clock.setTimer(() => {
        if (!current()) return;
        this.generation++; // its late "ready" or exit is ignored
        void this.terminate(worker, shared);
        resolve(
          new InferenceError(
            'INTERNAL',
            `failed to load model '${this.opts.init.args.model_name}': instance ${this.name} did not finish ` +
              `loading (import and initialize()) within initialize_timeout_ms (${limitMs} ms)`,
          ),
        );
      }, limitMs);
      void loaded.then((err) => {
        cancel();
        resolve(err);
      });
    });
  }

  /** The watchdog saw no progress for `execution_timeout_ms`. */
  private onTimeout(): void {
    this.kill(timeoutFailure(this.who, this.limits.executionTimeoutMs, this.opts.init.decoupled));
  }

  /** Terminates the running worker (a limit was hit); worker.terminate() stops even a busy loop. */
  private kill(failure: InstanceFailure): void {
    const worker = this.worker;
    if (!worker || !this.serving) return;
    this.generation++; // the old worker's messages and exit are ignored from now on
    this.down(failure, worker);
  }

  /**
   * The worker is gone (or, with `worker`, being terminated): fails what was in flight, marks the
   * instance unavailable and restarts it after the back-off. The execution that was running gets
   * the failure's message (INTERNAL); those still waiting in the worker did not run and get
   * UNAVAILABLE, which clients may retry.
   */
  private down(failure: InstanceFailure, worker?: Worker): void {
    const { reason, cause } = failure;
    this.worker = undefined;
    this.serving = false;
    this.watchdog.disarm();
    // Its calls to other models answer nobody now: cancel them where they run.
    this.calls.cancelAll(new InferenceError('CANCELLED', `model instance ${this.name} stopped: ${cause}`));
    this.onFinalized?.(`the worker died: ${cause}`);
    const exited = worker ? this.terminate(worker, this.shared) : Promise.resolve();
    const err = new InferenceError('INTERNAL', failure.message);
    if (this.stopping) {
      this.inFlight.failAll(err);
      return;
    }
    const delay = this.health.failed(cause);
    this.log.error(
      { reason, cause, failures: this.health.failures, restart_in_ms: delay },
      'model instance failed; restarting it',
    );
    this.inFlight.failAll(err, notExecuted(this.name, cause));
    this.opts.onRestart?.(reason);
    this.scheduleRestart(exited, delay);
  }

  /** Ends `worker` once it is outside a guarded native call (see native-guard.ts). */
  private terminate(worker: Worker, shared: Int32Array): Promise<void> {
    return terminateOutsideNative(
      worker,
      shared,
      (fn, ms) => this.clock.setTimer(fn, ms),
      NATIVE_POLL_MS,
      TERMINATE_WAIT_MS,
    );
  }

  /** Starts a new worker once the old one has exited and the back-off delay has passed. */
  private scheduleRestart(exited: Promise<void>, delay: number): void {
    const waited = delay > 0 ? new Promise<void>((res) => this.clock.setTimer(res, delay)) : undefined;
    this.ready = (async (): Promise<InferenceError | undefined> => {
      // The old worker's memory is freed before a new one starts.
      await exited;
      await waited;
      this.health.retryIn(0);
      if (this.stopping) return unavailable(`model instance ${this.name} is stopping`);
      const err = await this.spawn();
      if (!err && this.stopping) void this.worker?.terminate();
      if (!err) return undefined;
      this.log.error({ err: err.message }, 'model instance could not restart');
      const next = this.health.failed(`it could not restart: ${err.message}`);
      if (!this.stopping) this.scheduleRestart(Promise.resolve(), next);
      return unavailable(`model instance ${this.name} could not restart: ${err.message}`);
    })();
  }
}
