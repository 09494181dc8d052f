/**
 * The one point where a scheduler meets the rate limiter (`--rate-limit execution_count`,
 * docs/rate-limiter.md). A scheduler with a gate never hands work to an instance on its own: it
 * asks {@link GatedDispatch} to stage an idle instance, and starts work on it only once the
 * instance's resources are held; it tells the dispatch when the execution is over, which gives the
 * resources back. Without `--rate-limit execution_count` schedulers get no gate and run as before.
 *
 * Any scheduler (direct, dynamic batcher, sequence batcher) plugs in the same way:
 *
 * ```ts
 * this.gated = gate && new GatedDispatch(gate, {
 *   idle: () => idleInstances,                 // available instances with nothing to do
 *   ready: (staged) => queue.size > staged,    // more work than instances already waiting for it
 *   start: (instance, done) => { ... },       // take the work now; call done() when it settles
 * });
 * // wherever it used to dispatch: this.gated ? this.gated.pump() : dispatchDirectly();
 * // when an execution settles: mark the instance idle, this.gated.pump(), then done()
 * // close(): this.gated?.close();
 * ```
 *
 * The order on settling matters: the instance is staged again (when work waits) before it gives
 * its resources back, so it competes with the instances already waiting, as in Triton (whose
 * OnRelease stages the instance again before it attempts the next allocation).
 */
import type { ModelInstance } from '../../backend-api/backend.js';

/** The rate limiter as one model version's scheduler sees it (see `rate-limiter.ts`). */
export interface ExecutionGate {
  /** The instance of `candidates` (non-empty) to stage next: Triton's fewest executions × priority. */
  pick(candidates: readonly ModelInstance[]): ModelInstance;
  /**
   * Stages `instance`: `onGrant` runs once its resources are taken, possibly before `request`
   * returns. One request per instance at a time.
   */
  request(instance: ModelInstance, onGrant: () => void): void;
  /** Withdraws the request of `instance` if it is not granted yet. */
  withdraw(instance: ModelInstance): void;
  /**
   * Gives back the resources of a granted `instance`. `executed` false when the grant found
   * nothing to run (it then does not count as an execution for priorities).
   */
  release(instance: ModelInstance, executed: boolean): void;
}

/** What a scheduler tells {@link GatedDispatch} about its own queue and instances. */
export interface GatedWork {
  /** Available instances that execute nothing now (the dispatch picks among them). */
  idle(): readonly ModelInstance[];
  /**
   * True when the scheduler would dispatch work now if it had one more idle instance, given that
   * `staged` of its instances already wait for resources to take work.
   */
  ready(staged: number): boolean;
  /**
   * `instance` holds its resources: start the work on it now and call `done` once when that
   * execution settles (success, failure, crash). Return false, without calling `done`, when there
   * is nothing to run after all (e.g. the requests were cancelled while the instance waited).
   */
  start(instance: ModelInstance, done: () => void): boolean;
}

/**
 * Stages idle instances of a scheduler while it has work for them: each waits for its resources
 * among every model's staged instances; once one has them the scheduler takes its work (forming a
 * batch then, with whatever queued meanwhile, as Triton does).
 *
 * @example
 * ```ts
 * const dispatch = new GatedDispatch(gate, { idle, ready, start });
 * dispatch.pump(); // after every enqueue and every finished execution
 * ```
 */
export class GatedDispatch {
  private readonly staged = new Set<ModelInstance>();
  private pumping = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly gate: ExecutionGate,
    private readonly work: GatedWork,
  ) {}

  /** True while `instance` waits for its resources (the scheduler must not hand it other work). */
  isStaged(instance: ModelInstance): boolean {
    return this.staged.has(instance);
  }

  /** Stages idle instances while work is ready for them. Re-entrant calls fold in. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (!this.closed && this.work.ready(this.staged.size)) {
          const all = this.work.idle();
          const idle = this.staged.size === 0 ? all : all.filter((i) => !this.staged.has(i));
          if (idle.length === 0) break;
          const instance = this.gate.pick(idle);
          this.staged.add(instance);
          this.gate.request(instance, () => this.granted(instance));
        }
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  /** Withdraws the staged instance and stages no more (the scheduler closed). */
  close(): void {
    this.closed = true;
    const staged = [...this.staged];
    this.staged.clear();
    for (const instance of staged) this.gate.withdraw(instance);
  }

  private granted(instance: ModelInstance): void {
    this.staged.delete(instance);
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      this.gate.release(instance, true);
    };
    let started = false;
    try {
      started = !this.closed && this.work.start(instance, done);
    } finally {
      if (!started) this.gate.release(instance, false);
    }
    this.pump();
  }
}
