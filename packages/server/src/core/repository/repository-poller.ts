/**
 * Poll mode: rescans the model repository on an interval and reconciles the registry with it —
 * new folders load, changed ones (by fingerprint) reload, removed ones unload. One scan at a time;
 * a scan in progress finishes before `stop` resolves.
 */
import type { Logger } from 'pino';
import type { ModelRepository } from './model-repository.js';

/** What the poller needs from the registry. */
export interface PollTarget {
  /** Names of the models the registry knows. */
  knownModels(): string[];
  /** The fingerprint recorded at a model's last load, or undefined for an unknown model. */
  loadedFingerprint(name: string): string | undefined;
  /** Loads or reloads a model; failures are recorded by the target, never thrown. */
  loadQuietly(name: string): Promise<unknown>;
  /** Unloads a model whose folder is gone and forgets it. */
  forget(name: string): Promise<void>;
}

/**
 * @example
 * ```ts
 * const poller = new RepositoryPoller(repository, manager, logger);
 * poller.start(15);
 * await poller.stop();
 * ```
 */
export class RepositoryPoller {
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly repository: ModelRepository,
    private readonly target: PollTarget,
    private readonly logger: Logger,
  ) {}

  /** Scans every `intervalSecs` seconds (at least 1) until stopped. */
  start(intervalSecs: number): void {
    this.timer = setInterval(() => void this.pollOnce(), Math.max(1, intervalSecs) * 1000);
    this.timer.unref();
  }

  /** Stops scanning and waits for a scan in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
  }

  /** Runs one scan now (or joins the one in progress). */
  pollOnce(): Promise<void> {
    if (this.scanning || this.stopped) return this.scanning ?? Promise.resolve();
    this.scanning = this.scan().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const { repository, target, logger } = this;
    let names: string[];
    try {
      names = await repository.listModels();
    } catch (e) {
      logger.warn({ err: e }, 'repository poll failed');
      return;
    }
    const present = new Set(names);
    for (const name of names) {
      const fp = await repository.fingerprint(name);
      const known = target.loadedFingerprint(name);
      if (known === undefined || known !== fp) {
        logger.info({ model: name }, known === undefined ? 'new model, loading' : 'model changed, reloading');
        await target.loadQuietly(name);
      }
    }
    for (const name of target.knownModels()) {
      if (!present.has(name)) {
        logger.info({ model: name }, 'model removed, unloading');
        await target.forget(name);
      }
    }
  }
}
