/**
 * Triton's `--backend-config [<backend>,]<setting>=<value>`, mapped to what tensorgate's built-in
 * backends take. Triton hands any key to the backend, which may ignore it; here a key no backend
 * reads is refused by name (architecture rule: never silently ignore).
 */

/** Thrown for an entry tensorgate cannot honour; the message names it. */
export class BackendConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendConfigError';
  }
}

/** Options of the built-in backends that `--backend-config` sets. */
export interface BackendOptions {
  readonly onnxruntime: {
    /** `max_batch_size` auto-complete gives a model that can batch (Triton's `default-max-batch-size`). */
    readonly defaultMaxBatchSize?: number;
  };
}

/** The built-in backends, by the name `--backend-config` uses. */
const BACKENDS = ['js', 'onnxruntime', 'llm'] as const;

/** The settings each backend takes (Triton's spellings); `''` is the global (backend-less) form. */
const SETTINGS_OF: Readonly<Record<string, readonly string[]>> = {
  '': ['default-max-batch-size'],
  onnxruntime: ['default-max-batch-size'],
  js: [],
  llm: [],
};

function parseBatchSize(entry: string, value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > 2147483647) {
    throw new BackendConfigError(`--backend-config ${entry}: default-max-batch-size must be a whole number ≥ 0`);
  }
  return n;
}

/**
 * Parses the `--backend-config` entries. A backend's own entry wins over the global one, whatever
 * their order; a later entry for the same key wins over an earlier one.
 *
 * @example
 * ```ts
 * parseBackendConfig(['default-max-batch-size=8']).onnxruntime.defaultMaxBatchSize; // 8
 * parseBackendConfig(['tensorrt,coalesce-request-input=true']); // throws BackendConfigError
 * ```
 */
export function parseBackendConfig(entries: readonly string[]): BackendOptions {
  let global: number | undefined;
  let own: number | undefined;
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const comma = entry.indexOf(',');
    if (eq <= 0) {
      throw new BackendConfigError(`--backend-config ${entry}: expected [<backend>,]<setting>=<value>`);
    }
    const named = comma >= 0 && comma < eq;
    const backend = named ? entry.slice(0, comma).trim() : '';
    const setting = entry.slice(named ? comma + 1 : 0, eq).trim();
    const value = entry.slice(eq + 1);
    if (named && backend === '') throw new BackendConfigError(`--backend-config ${entry}: no backend before ','`);
    const known = SETTINGS_OF[backend];
    if (known === undefined) {
      throw new BackendConfigError(
        `--backend-config ${entry}: tensorgate has no backend '${backend}' (its backends: ${BACKENDS.join(', ')})`,
      );
    }
    if (!known.includes(setting)) {
      const takes = known.length > 0 ? `takes only ${known.join(', ')}` : 'takes no --backend-config settings';
      const who = named ? `tensorgate's ${backend} backend` : 'tensorgate, as a global backend setting,';
      throw new BackendConfigError(`--backend-config ${entry}: ${who} ${takes}`);
    }
    const size = parseBatchSize(entry, value);
    if (named) own = size;
    else global = size;
  }
  const defaultMaxBatchSize = own ?? global;
  return { onnxruntime: defaultMaxBatchSize === undefined ? {} : { defaultMaxBatchSize } };
}
