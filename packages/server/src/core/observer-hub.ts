/**
 * Fans core events out to every registered observer, isolating the core from observer failures.
 * The per-request events use a plain try/catch per observer (no closure per call): they run
 * several times for every request.
 */
import type {
  CacheEvent,
  ExecutionEvent,
  InferenceObserver,
  InstanceRestartEvent,
  RequestEvent,
  ResponseEvent,
  VersionInfo,
} from './observer.js';

/** An observer that forwards to many. */
export class ObserverHub implements InferenceObserver {
  private readonly observers: InferenceObserver[] = [];

  /** Adds an observer. */
  add(o: InferenceObserver): void {
    this.observers.push(o);
  }

  onRequest(e: RequestEvent): void {
    for (const o of this.observers) {
      try {
        o.onRequest?.(e);
      } catch {
        // an observer must never break a request
      }
    }
  }

  onExecution(e: ExecutionEvent): void {
    for (const o of this.observers) {
      try {
        o.onExecution?.(e);
      } catch {
        // an observer must never break a request
      }
    }
  }

  onCache(e: CacheEvent): void {
    for (const o of this.observers) {
      try {
        o.onCache?.(e);
      } catch {
        // an observer must never break a request
      }
    }
  }

  onPending(model: string, version: string, pending: number): void {
    for (const o of this.observers) {
      try {
        o.onPending?.(model, version, pending);
      } catch {
        // an observer must never break a request
      }
    }
  }

  onRunning(model: string, version: string, info: { llm: boolean; running: number; waiting: number }): void {
    for (const o of this.observers) safe(() => o.onRunning?.(model, version, info));
  }

  onResponse(e: ResponseEvent): void {
    for (const o of this.observers) {
      try {
        o.onResponse?.(e);
      } catch {
        // an observer must never break a request
      }
    }
  }

  onVersionReady(model: string, version: string, info?: VersionInfo): void {
    for (const o of this.observers) safe(() => o.onVersionReady?.(model, version, info));
  }

  onInstanceRestart(e: InstanceRestartEvent): void {
    for (const o of this.observers) safe(() => o.onInstanceRestart?.(e));
  }

  onVersionUnloaded(model: string, version: string): void {
    for (const o of this.observers) safe(() => o.onVersionUnloaded?.(model, version));
  }
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // an observer must never break a request
  }
}
