/**
 * The rows of the settings table (`settings-schema.ts`) that come from `tritonserver`'s launch
 * flags for logging, bind addresses, start-up model loading, backends and metrics (issue #14,
 * item 7). Kept here so the main table stays readable; `settings-schema.ts` splices them in.
 */
import type { SettingEntry } from './settings-schema.js';

/** The settings these rows fill, part of `ServerSettings`. */
export interface LaunchSettings {
  /** Triton's `--exit-on-error`: a model that fails to load at start-up stops the server. */
  exitOnError: boolean;
  /** Models loaded at once at start-up and by a poll (Triton's `--model-load-thread-count`). */
  modelLoadThreadCount: number;
  /** Read `<model>/configs/<name>.pbtxt` instead of config.pbtxt where it exists (Triton's `--model-config-name`). */
  modelConfigName?: string;
  /** Extra attempts after a model fails to load (Triton's `--model-load-retry-count`). */
  modelLoadRetryCount: number;
  /** The server's name in server metadata (Triton's `--id`). */
  id: string;
  /** Address the HTTP endpoint binds to; absent: `host`. */
  httpAddress?: string;
  /** Address the gRPC endpoint binds to; absent: `host`. */
  grpcAddress?: string;
  /** Address the metrics endpoint binds to; absent: `httpAddress`, else `host` (Triton's rule). */
  metricsAddress?: string;
  /** File log lines are appended to instead of stdout. */
  logFile?: string;
  /** Timestamps of text log lines: Triton's `default` (`MMDD hh:mm:ss.uuuuuu`) or `ISO8601`. */
  logFormat: 'default' | 'ISO8601';
  /** Text or JSON lines; `auto`: text on a terminal (or when `--log-format` is given), else JSON. */
  logEncoding: 'auto' | 'text' | 'json';
  /** Write info-level lines (Triton's `--log-info`). */
  logInfo: boolean;
  /** Write warning lines (Triton's `--log-warning`). */
  logWarning: boolean;
  /** Write error lines (Triton's `--log-error`). */
  logError: boolean;
  /** `[<backend>,]<setting>=<value>` entries (Triton's `--backend-config`; parsed by `backend-config.ts`). */
  backendConfig: string[];
  /** `<setting>=<value>` entries (Triton's `--metrics-config`; parsed by `metrics-config.ts`). */
  metricsConfig: string[];
  /** Export the host's CPU and memory metrics (Triton's `--allow-cpu-metrics`). */
  allowCpuMetrics: boolean;
}

/** Model loading rows, after `--load-model` / `--repository-poll-secs`. */
export const MODEL_LOADING_SETTINGS: readonly SettingEntry[] = [
  {
    key: 'exitOnError',
    flag: '--exit-on-error',
    env: 'TENSORGATE_EXIT_ON_ERROR',
    type: 'bool',
    default: true,
    valueName: 'bool',
    description:
      'A model that fails to load at start-up stops the server (exit status 1) after every start-up model was ' +
      'tried, as in Triton (its default too). false: serve the others and report the failed one UNAVAILABLE.',
  },
  {
    key: 'modelLoadThreadCount',
    flag: '--model-load-thread-count',
    env: 'TENSORGATE_MODEL_LOAD_THREAD_COUNT',
    type: 'int',
    default: 4,
    min: 1,
    max: 1024,
    valueName: 'count',
    description: 'Models loaded at once at start-up (Triton default 4); each model loads its instances in turn.',
  },
  {
    key: 'modelConfigName',
    flag: '--model-config-name',
    env: 'TENSORGATE_MODEL_CONFIG_NAME',
    type: 'string',
    optional: true,
    valueName: 'name',
    description:
      "Load each model from <model>/configs/<name>.pbtxt where that file exists, else from config.pbtxt (Triton's custom model configuration).",
  },
  {
    key: 'modelLoadRetryCount',
    flag: '--model-load-retry-count',
    env: 'TENSORGATE_MODEL_LOAD_RETRY_COUNT',
    type: 'int',
    default: 0,
    min: 0,
    max: 100,
    valueName: 'count',
    description: 'Times a model that failed to load is tried again before the load fails (any load).',
  },
];

/** Server identity, before `--exit-timeout-secs`. */
export const IDENTITY_SETTINGS: readonly SettingEntry[] = [
  {
    key: 'id',
    flag: '--id',
    env: 'TENSORGATE_ID',
    type: 'string',
    default: 'tensorgate',
    valueName: 'name',
    description: 'Identifier of this server: the name in server metadata (GET /v2, gRPC ServerMetadata).',
  },
];

/** Per-endpoint bind addresses, after `--host`. */
export const ADDRESS_SETTINGS: readonly SettingEntry[] = [
  {
    key: 'httpAddress',
    flag: '--http-address',
    env: 'TENSORGATE_HTTP_ADDRESS',
    type: 'string',
    optional: true,
    valueName: 'address',
    description: 'Address the HTTP endpoint binds to (default: --host).',
  },
  {
    key: 'grpcAddress',
    flag: '--grpc-address',
    env: 'TENSORGATE_GRPC_ADDRESS',
    type: 'string',
    optional: true,
    valueName: 'address',
    description: 'Address the gRPC endpoint binds to (default: --host).',
  },
  {
    key: 'metricsAddress',
    flag: '--metrics-address',
    env: 'TENSORGATE_METRICS_ADDRESS',
    type: 'string',
    optional: true,
    valueName: 'address',
    description:
      "Address the metrics endpoint binds to (default: --http-address if given, else --host; Triton's rule).",
  },
];

/** Metrics rows, after `--metrics-port`. */
export const METRICS_SETTINGS: readonly SettingEntry[] = [
  {
    key: 'allowCpuMetrics',
    flag: '--allow-cpu-metrics',
    env: 'TENSORGATE_ALLOW_CPU_METRICS',
    type: 'bool',
    default: true,
    valueName: 'bool',
    description: 'Export the host CPU utilization and memory metrics (nv_cpu_*).',
  },
  {
    key: 'metricsConfig',
    flag: '--metrics-config',
    env: 'TENSORGATE_METRICS_CONFIG',
    type: 'list',
    default: [],
    envSeparator: ';',
    valueName: 'setting=value',
    description:
      'A metrics setting, as Triton: counter_latencies, summary_latencies, summary_quantiles, summary_max_age, ' +
      "summary_age_buckets, histogram_latencies (see docs/cli.md). Repeatable; the env var separates entries with ';'.",
  },
];

/** Backend rows, after `--gpus`. */
export const BACKEND_SETTINGS: readonly SettingEntry[] = [
  {
    key: 'backendConfig',
    flag: '--backend-config',
    env: 'TENSORGATE_BACKEND_CONFIG',
    type: 'list',
    default: [],
    envSeparator: ';',
    valueName: '[backend,]setting=value',
    description:
      'A backend setting, as Triton: onnxruntime,default-max-batch-size=N (or default-max-batch-size=N for every ' +
      "backend); others are refused by name. Repeatable; the env var separates entries with ';'.",
  },
];

/** Logging rows, after `--log-verbose`. */
export const LOGGING_SETTINGS: readonly SettingEntry[] = [
  {
    key: 'logInfo',
    flag: '--log-info',
    env: 'TENSORGATE_LOG_INFO',
    type: 'bool',
    default: true,
    valueName: 'bool',
    description: 'Write info-level log lines.',
  },
  {
    key: 'logWarning',
    flag: '--log-warning',
    env: 'TENSORGATE_LOG_WARNING',
    type: 'bool',
    default: true,
    valueName: 'bool',
    description: 'Write warning log lines.',
  },
  {
    key: 'logError',
    flag: '--log-error',
    env: 'TENSORGATE_LOG_ERROR',
    type: 'bool',
    default: true,
    valueName: 'bool',
    description: 'Write error (and fatal) log lines.',
  },
  {
    key: 'logFormat',
    flag: '--log-format',
    env: 'TENSORGATE_LOG_FORMAT',
    type: 'enum',
    choices: ['default', 'ISO8601'],
    default: 'default',
    valueName: 'format',
    description:
      'Timestamps of text log lines: default (I1206 07:00:00.123456) or ISO8601 (2026-12-06T07:00:00Z I); ' +
      'giving it asks for text lines.',
  },
  {
    key: 'logEncoding',
    flag: '--log-encoding',
    env: 'TENSORGATE_LOG_ENCODING',
    type: 'enum',
    choices: ['auto', 'text', 'json'],
    default: 'auto',
    valueName: 'encoding',
    description:
      "Log lines as Triton-like text or JSON; auto: text on a terminal or with --log-format, else JSON. tensorgate's own.",
  },
  {
    key: 'logFile',
    flag: '--log-file',
    env: 'TENSORGATE_LOG_FILE',
    type: 'string',
    optional: true,
    valueName: 'path',
    description: 'Append log lines to this file instead of stdout (a file is not a terminal: JSON unless asked).',
  },
];
