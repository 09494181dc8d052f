/**
 * Fans core events out to every registered observer, isolating the core from observer failures.
 */
import type { ExecutionEvent, InferenceObserver, RequestEvent } from './observer.js';

/** An observer that forwards to many. */
export class ObserverHub implements InferenceObserver {
  private readonly observers: InferenceObserver[] = [];

  /** Adds an observer. */
  add(o: InferenceObserver): void {
    this.observers.push(o);
  }

  onRequest(e: RequestEvent): void {
    for (const o of this.observers) safe(() => o.onRequest?.(e));
  }

  onExecution(e: ExecutionEvent): void {
    for (const o of this.observers) safe(() => o.onExecution?.(e));
  }

  onPending(model: string, version: string, pending: number): void {
    for (const o of this.observers) safe(() => o.onPending?.(model, version, pending));
  }

  onVersionReady(model: string, version: string): void {
    for (const o of this.observers) safe(() => o.onVersionReady?.(model, version));
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
