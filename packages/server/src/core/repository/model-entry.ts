/**
 * What the model registry (`ModelManager`) keeps per model, and how that shows in the repository
 * index: a row per version with Triton's `state` and `reason`.
 */
import type { ModelState, RepositoryIndexEntry } from '../protocol-shapes.js';
import type { ServingVersion } from '../serving-version.js';

/**
 * Start of the index `reason` of a version that keeps serving after a newer load of its model
 * failed (its state stays READY); the failure's message follows.
 */
export const RELOAD_FAILED_REASON = 'the last load failed; this version keeps serving: ';

/** The state of one version, as the index reports it. */
export interface VersionStatus {
  state: ModelState;
  reason: string;
}

/** The registry's record of one model. */
export interface ModelEntry {
  readonly name: string;
  /** Versions answering requests now. */
  serving: Map<number, ServingVersion>;
  /** Every version the registry has tried, with its state. */
  status: Map<number, VersionStatus>;
  /** Why the last load failed ('' when it succeeded, or after an unload). */
  failure: string;
  /**
   * A model the server started with that has not served yet: until it has, strict readiness is
   * false (cleared once it serves, or when it is unloaded).
   */
  requiredAtStartup: boolean;
  /** The model folder's fingerprint at the last load (poll mode). */
  fingerprint: string;
  /** Serializes load/unload of this model. */
  lock: Promise<void>;
}

/** A fresh record: nothing loaded, nothing failed. */
export function newModelEntry(name: string): ModelEntry {
  return {
    name,
    serving: new Map(),
    status: new Map(),
    failure: '',
    requiredAtStartup: false,
    fingerprint: '',
    lock: Promise.resolve(),
  };
}

/**
 * The index rows of one model (`entry` undefined: a folder the registry never loaded). A version
 * that serves while the last load failed is READY with {@link RELOAD_FAILED_REASON} and the
 * failure; an unavailable version shows the last failure when there is one.
 *
 * @example
 * ```ts
 * indexRows('m', entry, false); // [{ name: 'm', version: '1', state: 'READY', reason: '' }]
 * ```
 */
export function indexRows(name: string, entry: ModelEntry | undefined, readyOnly: boolean): RepositoryIndexEntry[] {
  if (!entry || (entry.status.size === 0 && !entry.failure)) {
    return readyOnly ? [] : [{ name, version: '', state: '', reason: '' }];
  }
  if (entry.status.size === 0) {
    return readyOnly ? [] : [{ name, version: '', state: 'UNAVAILABLE', reason: entry.failure }];
  }
  const rows: RepositoryIndexEntry[] = [];
  for (const [v, st] of [...entry.status.entries()].sort((a, b) => a[0] - b[0])) {
    if (readyOnly && st.state !== 'READY') continue;
    let reason = st.reason;
    if (entry.failure && entry.serving.has(v)) reason = `${RELOAD_FAILED_REASON}${entry.failure}`;
    else if (entry.failure && st.state === 'UNAVAILABLE') reason = entry.failure;
    rows.push({ name, version: String(v), state: st.state, reason });
  }
  return rows;
}
