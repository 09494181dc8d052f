/**
 * The one table of server settings (architecture convention 5). Each entry names its CLI flag,
 * its `TENSORGATE_*` environment variable, type, default and description; from this table
 * `settings.ts` builds the commander options, the `--help` text, env-var parsing and validation,
 * and a test checks that docs/cli.md documents every entry.
 *
 * Flag names follow `tritonserver` where Triton has the same setting, so existing launch scripts
 * keep working. Triton's other launch flags are either here or refused, with the reason, by
 * `triton-flags.ts`.
 */
import {
  ADDRESS_SETTINGS,
  BACKEND_SETTINGS,
  IDENTITY_SETTINGS,
  LOGGING_SETTINGS,
  METRICS_SETTINGS,
  MODEL_LOADING_SETTINGS,
  type LaunchSettings,
} from './settings-schema-launch.js';
import { JOBS_SETTINGS, type JobsSettings } from './settings-schema-jobs.js';

/** Everything the server needs to start, after flags, env vars and defaults are merged. */
export interface ServerSettings extends LaunchSettings, JobsSettings {
  modelRepository: string;
  modelControlMode: 'none' | 'poll' | 'explicit';
  loadModel: string[];
  repositoryPollSecs: number;
  host: string;
  httpPort: number;
  grpcPort: number;
  metricsPort: number;
  allowHttp: boolean;
  allowGrpc: boolean;
  allowMetrics: boolean;
  strictReadiness: boolean;
  exitTimeoutSecs: number;
  /**
   * Bytes of decompression output in flight at once over HTTP and gRPC. tensorgate's own. The
   * default (320 MiB) is raised to the larger message/body limit when that is more.
   */
  decompressionBudgetBytes: number;
  /** `--allow-client-shm`: clients may register system shared-memory regions (Triton's flag; default false). */
  allowClientShm: boolean;
  /** Most shared-memory regions registered at once. */
  sharedMemoryMaxRegions: number;
  /** Most bytes of all registered shared-memory regions together. */
  sharedMemoryMaxBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  disableAutoCompleteConfig: boolean;
  strictModelConfig: boolean;
  /** `auto`, `none` or comma-separated CUDA device ids (parsed by `core/gpu-detect.ts`). */
  gpus: string;
  /** Largest gRPC message received (compressed and decompressed). */
  grpcMaxMessageBytes: number;
  /** Largest gRPC message sent. */
  grpcMaxSendMessageBytes: number;
  /** The gRPC server transport: tensorgate's own on node:http2 (`native`) or @grpc/grpc-js. */
  grpcTransport: 'native' | 'grpc-js';
  /** Folder of custom gRPC service folders (`<name>/service.proto` + `service.js`); none when absent. tensorgate's own. */
  grpcServices?: string;
  /** Worker threads running the custom gRPC services' handlers. tensorgate's own. */
  grpcServiceThreads: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of every gRPC connection (gRPC core's `grpc.max_concurrent_streams`). */
  grpcMaxConcurrentStreams: number;
  /** gRPC calls open at once over all connections; more are refused with REFUSED_STREAM. tensorgate's own. */
  grpcMaxConcurrentCalls: number;
  /** Seconds for a new gRPC connection to send the HTTP/2 preface and SETTINGS (and as long for TLS). tensorgate's own. */
  grpcPrefaceTimeoutSecs: number;
  /** Seconds a gRPC connection with no call in flight is kept. tensorgate's own. */
  grpcConnectionIdleTimeoutSecs: number;
  /** Seconds a gRPC response may wait without progress (no flow-control window, nothing read) before its stream is reset; 0: never. */
  grpcSendStallTimeoutSecs: number;
  /** Bytes/s a gRPC request message being received must average after the grace period; 0: no minimum. */
  grpcMinMessageRate: number;
  /** Seconds of grace (counted as credit) before `grpcMinMessageRate` applies. */
  grpcMinMessageRateGraceSecs: number;
  /** Triton's `--grpc-keepalive-time` (ms). */
  grpcKeepaliveTime: number;
  /** Triton's `--grpc-keepalive-timeout` (ms). */
  grpcKeepaliveTimeout: number;
  /** Triton's `--grpc-keepalive-permit-without-calls`. */
  grpcKeepalivePermitWithoutCalls: boolean;
  /** Triton's `--grpc-http2-max-pings-without-data`. */
  grpcHttp2MaxPingsWithoutData: number;
  /** Triton's `--grpc-http2-min-recv-ping-interval-without-data` (ms). */
  grpcHttp2MinRecvPingIntervalWithoutData: number;
  /** Triton's `--grpc-http2-max-ping-strikes`. */
  grpcHttp2MaxPingStrikes: number;
  /** Triton's `--grpc-max-connection-age` (ms; 0: none). */
  grpcMaxConnectionAge: number;
  /** Triton's `--grpc-max-connection-age-grace` (ms; 0: none). */
  grpcMaxConnectionAgeGrace: number;
  httpMaxBodyBytes: number;
  /** A compressed HTTP body's JSON may be at most this many times its compressed size (past 16 KiB); 0: no limit. tensorgate's own. */
  httpMaxJsonInflationRatio: number;
  /** Seconds for a whole HTTP request head to arrive (HTTP API, metrics). tensorgate's own. */
  httpHeaderTimeoutSecs: number;
  /** Seconds without a body byte, while a request body is arriving, before 408 and close. tensorgate's own. */
  httpBodyIdleTimeoutSecs: number;
  /** Seconds an idle keep-alive HTTP connection is kept between requests. tensorgate's own. */
  httpKeepaliveTimeoutSecs: number;
  /** Seconds an HTTP response may wait unread (no bytes taken) before its connection is closed; 0: never. tensorgate's own. */
  httpSendStallTimeoutSecs: number;
  /** Bytes/s an HTTP request body must average after the grace period (408 below it); 0: no minimum. tensorgate's own. */
  httpMinBodyRate: number;
  /** Seconds of grace (counted as credit) before `httpMinBodyRate` applies. */
  httpMinBodyRateGraceSecs: number;
  /** Origins allowed to call the HTTP API from browsers (CORS); empty = no CORS headers. */
  httpCorsOrigins: string[];
  /** Serve HTTPS instead of HTTP (tensorgate's own; needs httpServerCert and httpServerKey). */
  httpUseSsl: boolean;
  /** PEM file of the HTTPS certificate chain. */
  httpServerCert?: string;
  /** PEM file of the HTTPS private key. */
  httpServerKey?: string;
  /** API key the OpenAI-compatible `/v1` routes require as `Authorization: Bearer <key>`; absent = open. */
  openaiApiKey?: string;
  /** Serve the web console at `/console` on the HTTP port, linked from `GET /` (tensorgate's own; default false). */
  console: boolean;
  /**
   * Restricted HTTP API groups, each `<groups>:<header>=<value>` (Triton's `--http-restricted-api`;
   * parsed by `frontends/restricted-apis.ts`); empty = every group open.
   */
  httpRestrictedApi: string[];
  /** Restricted gRPC API groups, as {@link httpRestrictedApi}; the metadata key is `triton-grpc-protocol-<header>`. */
  grpcRestrictedProtocol: string[];
  /** `--trace-config` entries, as given (parsed by `cli/trace-config.ts`; docs/tracing.md). */
  traceConfig: string[];
  /** `--cache-config` entries, as given (parsed by `cli/cache-config.ts`; docs/response-cache.md). */
  cacheConfig: string[];
  /** Triton's `--rate-limit`: `execution_count` runs the rate limiter (docs/rate-limiter.md); `off` does not. */
  rateLimit: 'execution_count' | 'off';
  /** `--rate-limit-resource <name>:<count>[:<device>]` entries, as given (parsed by `cli/rate-limit-resource.ts`). */
  rateLimitResource: string[];
  /** Sequences that may wait for a slot per sequence-batched model version (docs/sequence-batching.md). */
  maxSequenceBacklog: number;
  /** Most bytes of implicit state one sequence may hold (docs/sequence-batching.md#implicit-state). */
  maxSequenceStateBytes: number;
  /** Serve gRPC over TLS (true also when grpcUseSslMutual is). */
  grpcUseSsl: boolean;
  /** Serve gRPC over TLS and require client certificates signed by grpcRootCert. */
  grpcUseSslMutual: boolean;
  /** PEM file of the gRPC server certificate chain. */
  grpcServerCert?: string;
  /** PEM file of the gRPC server private key. */
  grpcServerKey?: string;
  /** PEM file of the CA(s) that client certificates must chain to (mutual TLS). */
  grpcRootCert?: string;
}

/**
 * Settings as the table holds them: {@link ServerSettings} plus Triton compatibility inputs that
 * only feed other settings (`--log-verbose` feeds `logLevel`).
 */
export interface RawSettings extends ServerSettings {
  logVerbose: number;
}

/** Key of one table entry. */
export type SettingKey = keyof RawSettings;

/** The value kinds the table knows. */
export type SettingType = 'string' | 'int' | 'bool' | 'list' | 'enum';

interface EntryBase<K extends SettingKey> {
  readonly key: K;
  /** The long flag, e.g. `--http-port`. */
  readonly flag: `--${string}`;
  /** Other flags with the same meaning (Triton's spellings), hidden from `--help` lines of their own. */
  readonly aliases?: readonly `--${string}`[];
  /** Environment variable read when the flag is absent. */
  readonly env: `TENSORGATE_${string}`;
  /** Name of the value in `--help`, e.g. `port`. */
  readonly valueName: string;
  readonly description: string;
}

/** A free-form string (required when it has neither a default nor `optional`). */
export interface StringEntry<K extends SettingKey> extends EntryBase<K> {
  readonly type: 'string';
  readonly default?: string;
  /** Absent when not given (no default, not required), e.g. a file path used only with another flag. */
  readonly optional?: true;
}

/** One of a fixed set of strings. */
export interface EnumEntry<K extends SettingKey> extends EntryBase<K> {
  readonly type: 'enum';
  readonly choices: readonly RawSettings[K][];
  readonly default: RawSettings[K];
}

/** A whole number within `[min, max]`. */
export interface IntEntry<K extends SettingKey> extends EntryBase<K> {
  readonly type: 'int';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Also accept `true` (1) and `false` (0), as Triton does for `--log-verbose`. */
  readonly boolAsInt?: boolean;
}

/** true/false, written Triton's way (`--flag=false`, `--flag false`) or as `--no-flag`. */
export interface BoolEntry<K extends SettingKey> extends EntryBase<K> {
  readonly type: 'bool';
  readonly default: boolean;
}

/** A repeatable flag; the env var holds a comma-separated list (or one split on `envSeparator`). */
export interface ListEntry<K extends SettingKey> extends EntryBase<K> {
  readonly type: 'list';
  readonly default: readonly string[];
  /** What separates the items in the env var, for items that contain commas themselves (default `,`). */
  readonly envSeparator?: ';';
}

type EntryFor<K extends SettingKey> = RawSettings[K] extends boolean
  ? BoolEntry<K>
  : RawSettings[K] extends number
    ? IntEntry<K>
    : RawSettings[K] extends string[]
      ? ListEntry<K>
      : string extends RawSettings[K]
        ? StringEntry<K>
        : EnumEntry<K>;

/** One row of the settings table; its `type` and `default` are checked against {@link RawSettings}. */
export type SettingEntry = { [K in SettingKey]: EntryFor<K> }[SettingKey];

/** The largest message gRPC (an int32 length) can carry. */
const INT32_MAX = 2147483647;

/**
 * The settings table, in `--help` order.
 *
 * @example
 * ```ts
 * const port = SETTINGS.find((s) => s.key === 'httpPort'); // { flag: '--http-port', env: 'TENSORGATE_HTTP_PORT', ... }
 * ```
 */
export const SETTINGS: readonly SettingEntry[] = [
  {
    key: 'modelRepository',
    flag: '--model-repository',
    aliases: ['--model-store'],
    env: 'TENSORGATE_MODEL_REPOSITORY',
    type: 'string',
    valueName: 'path',
    description: 'Directory of the model repository (one model per sub-directory).',
  },
  {
    key: 'modelControlMode',
    flag: '--model-control-mode',
    env: 'TENSORGATE_MODEL_CONTROL_MODE',
    type: 'enum',
    choices: ['none', 'poll', 'explicit'],
    default: 'none',
    valueName: 'mode',
    description:
      'none: load every model at startup, never change. poll: also reload on repository changes. ' +
      'explicit: load only --load-model models at startup; the load/unload APIs manage the rest.',
  },
  {
    key: 'loadModel',
    flag: '--load-model',
    env: 'TENSORGATE_LOAD_MODEL',
    type: 'list',
    default: [],
    valueName: 'name',
    description:
      "Model to load at startup in explicit mode; repeat for several, or give '*' (alone) for all. " +
      'An error in other modes, as in Triton.',
  },
  {
    key: 'repositoryPollSecs',
    flag: '--repository-poll-secs',
    env: 'TENSORGATE_REPOSITORY_POLL_SECS',
    type: 'int',
    default: 15,
    min: 1,
    max: 86400,
    valueName: 'seconds',
    description: 'Seconds between repository scans in poll mode.',
  },
  ...MODEL_LOADING_SETTINGS,
  {
    key: 'strictReadiness',
    flag: '--strict-readiness',
    env: 'TENSORGATE_STRICT_READINESS',
    type: 'bool',
    default: true,
    valueName: 'bool',
    description:
      'Report ready only when every model the server started with has a serving version; a failed reload keeps a serving model ready (false: ready when the server is up).',
  },
  {
    key: 'disableAutoCompleteConfig',
    flag: '--disable-auto-complete-config',
    env: 'TENSORGATE_DISABLE_AUTO_COMPLETE_CONFIG',
    type: 'bool',
    default: false,
    valueName: 'bool',
    description: 'Do not fill in missing model configuration from the model file; config.pbtxt must be complete.',
  },
  {
    key: 'strictModelConfig',
    flag: '--strict-model-config',
    env: 'TENSORGATE_STRICT_MODEL_CONFIG',
    type: 'bool',
    default: false,
    valueName: 'bool',
    description: "Triton's older spelling of --disable-auto-complete-config; either one set turns both on.",
  },
  {
    key: 'gpus',
    flag: '--gpus',
    env: 'TENSORGATE_GPUS',
    type: 'string',
    default: 'auto',
    valueName: 'ids',
    description:
      'GPUs models may use: auto (the NVIDIA GPUs found, after CUDA_VISIBLE_DEVICES), none, or CUDA ids such as 0,1.',
  },
  ...BACKEND_SETTINGS,
  ...IDENTITY_SETTINGS,
  {
    key: 'exitTimeoutSecs',
    flag: '--exit-timeout-secs',
    env: 'TENSORGATE_EXIT_TIMEOUT_SECS',
    type: 'int',
    default: 30,
    min: 0,
    max: 86400,
    valueName: 'seconds',
    description: 'On shutdown, how long to wait for in-flight requests before exiting anyway.',
  },
  {
    key: 'decompressionBudgetBytes',
    flag: '--decompression-budget-bytes',
    env: 'TENSORGATE_DECOMPRESSION_BUDGET_BYTES',
    type: 'int',
    default: 320 * 1024 * 1024,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    valueName: 'bytes',
    description:
      'Most bytes that gzip / deflate request bodies and gRPC messages may inflate to at once, over HTTP and both ' +
      'gRPC transports; an inflation the budget cannot take fails at once (503 / RESOURCE_EXHAUSTED, retryable). ' +
      'Default 320 MiB (four 64 MiB tensors at once), or the larger of --http-max-body-bytes and ' +
      "--grpc-max-message-bytes if that is more; it may not be set below either. tensorgate's own.",
  },
  {
    key: 'allowClientShm',
    flag: '--allow-client-shm',
    env: 'TENSORGATE_ALLOW_CLIENT_SHM',
    type: 'bool',
    default: false,
    valueName: 'bool',
    description:
      "Triton's flag: let clients register and unregister system shared-memory regions (POSIX objects in /dev/shm, " +
      'named by their key) and use them for inference inputs and outputs. Off by default, as in Triton: a client ' +
      'that may register regions makes the server read and write the shared-memory objects it names.',
  },
  {
    key: 'sharedMemoryMaxRegions',
    flag: '--shared-memory-max-regions',
    env: 'TENSORGATE_SHARED_MEMORY_MAX_REGIONS',
    type: 'int',
    default: 256,
    min: 1,
    max: 1_000_000,
    valueName: 'count',
    description:
      'Most system shared-memory regions registered at once, over HTTP and gRPC (each holds an open file); ' +
      "registering more fails with RESOURCE_EXHAUSTED. tensorgate's own.",
  },
  {
    key: 'sharedMemoryMaxBytes',
    flag: '--shared-memory-max-bytes',
    env: 'TENSORGATE_SHARED_MEMORY_MAX_BYTES',
    type: 'int',
    default: 16 * 1024 * 1024 * 1024,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    valueName: 'bytes',
    description:
      'Most bytes of all registered system shared-memory regions together (default 16 GiB); registering past it ' +
      "fails with RESOURCE_EXHAUSTED. tensorgate's own.",
  },
  {
    key: 'host',
    flag: '--host',
    env: 'TENSORGATE_HOST',
    type: 'string',
    default: '0.0.0.0',
    valueName: 'address',
    description:
      'Address the HTTP, gRPC and metrics endpoints bind to, unless --http-address, --grpc-address or --metrics-address say otherwise.',
  },
  ...ADDRESS_SETTINGS,
  {
    key: 'allowHttp',
    flag: '--allow-http',
    env: 'TENSORGATE_ALLOW_HTTP',
    type: 'bool',
    default: true,
    valueName: 'bool',
    description: 'Serve the KServe v2 / Triton HTTP API.',
  },
  {
    key: 'httpPort',
    flag: '--http-port',
    env: 'TENSORGATE_HTTP_PORT',
    type: 'int',
    default: 8000,
    min: 0,
    max: 65535,
    valueName: 'port',
    description: 'HTTP port (0 picks a free one).',
  },
  {
    key: 'httpMaxBodyBytes',
    flag: '--http-max-body-bytes',
    aliases: ['--http-max-input-size'],
    env: 'TENSORGATE_HTTP_MAX_BODY_BYTES',
    type: 'int',
    default: 65 * 1024 * 1024,
    min: 1,
    max: INT32_MAX,
    valueName: 'bytes',
    description:
      'Largest HTTP request body accepted, both as sent and after decompression (a compressed body stops inflating ' +
      "there). Default 65 MiB: a 64 MiB binary tensor plus 1 MiB for the rest of the request, 1 MiB over Triton's " +
      'default; JSON bodies cost several times their size in memory, so raise it with care.',
  },
  {
    key: 'httpMaxJsonInflationRatio',
    flag: '--http-max-json-inflation-ratio',
    env: 'TENSORGATE_HTTP_MAX_JSON_INFLATION_RATIO',
    type: 'int',
    default: 32,
    min: 0,
    max: 1032,
    valueName: 'ratio',
    description:
      'The JSON of a gzip / deflate request body (all of it, or the Inference-Header-Content-Length bytes) may be at ' +
      'most this many times the compressed body, past 16 KiB; more gets 413. JSON costs the server ~80 ns a byte to ' +
      "parse and repeated numbers compress ~1000:1; real JSON tensors compress 2-10 times. 0: no limit. tensorgate's own.",
  },
  {
    key: 'httpHeaderTimeoutSecs',
    flag: '--http-header-timeout-secs',
    env: 'TENSORGATE_HTTP_HEADER_TIMEOUT_SECS',
    type: 'int',
    default: 30,
    min: 1,
    max: 3600,
    valueName: 'seconds',
    description:
      "A request's head (request line and headers) must arrive within this, from its first byte (or the connection's " +
      'start); else 408 and the connection is closed. Also bounds the TLS handshake with --http-use-ssl. ' +
      "HTTP and metrics ports. tensorgate's own.",
  },
  {
    key: 'httpBodyIdleTimeoutSecs',
    flag: '--http-body-idle-timeout-secs',
    env: 'TENSORGATE_HTTP_BODY_IDLE_TIMEOUT_SECS',
    type: 'int',
    default: 30,
    min: 1,
    max: 3600,
    valueName: 'seconds',
    description:
      'While a request body is arriving, this long without a byte answers 408 and closes the connection; a slow but ' +
      "steady upload and a long-running request are never cut. HTTP and metrics ports. tensorgate's own.",
  },
  {
    key: 'httpKeepaliveTimeoutSecs',
    flag: '--http-keepalive-timeout-secs',
    env: 'TENSORGATE_HTTP_KEEPALIVE_TIMEOUT_SECS',
    type: 'int',
    default: 30,
    min: 1,
    max: 3600,
    valueName: 'seconds',
    description:
      'An idle keep-alive connection is closed this long after its last response (plus 1 s). Behind a load ' +
      "balancer, set it above the balancer's idle timeout. HTTP and metrics ports. tensorgate's own.",
  },
  {
    key: 'httpSendStallTimeoutSecs',
    flag: '--http-send-stall-timeout-secs',
    env: 'TENSORGATE_HTTP_SEND_STALL_TIMEOUT_SECS',
    type: 'int',
    default: 60,
    min: 0,
    max: 86400,
    valueName: 'seconds',
    description:
      'A response whose bytes wait this long without the client taking any (it reads nothing) has its connection ' +
      'closed, freeing the response; a client that keeps reading, however slowly, and a long-running request are ' +
      "never cut. 0: never. HTTP and metrics ports. tensorgate's own (nginx's send_timeout).",
  },
  {
    key: 'httpMinBodyRate',
    flag: '--http-min-body-rate',
    env: 'TENSORGATE_HTTP_MIN_BODY_RATE',
    type: 'int',
    default: 1024,
    min: 0,
    max: INT32_MAX,
    valueName: 'bytes-per-sec',
    description:
      'After --http-min-body-rate-grace-secs, a request body still arriving must have delivered this many bytes per ' +
      'second since it began (the grace counts as credit), else 408 and the connection is closed. 0: no minimum. ' +
      "HTTP and metrics ports. tensorgate's own (Apache mod_reqtimeout's MinRate).",
  },
  {
    key: 'httpMinBodyRateGraceSecs',
    flag: '--http-min-body-rate-grace-secs',
    env: 'TENSORGATE_HTTP_MIN_BODY_RATE_GRACE_SECS',
    type: 'int',
    default: 30,
    min: 0,
    max: 86400,
    valueName: 'seconds',
    description: "Seconds a request body may take before --http-min-body-rate applies. tensorgate's own.",
  },
  {
    key: 'httpCorsOrigins',
    flag: '--http-cors-origin',
    env: 'TENSORGATE_HTTP_CORS_ORIGIN',
    type: 'list',
    default: [],
    valueName: 'origin',
    description:
      "Let web pages from this origin call the HTTP API (CORS); repeat for several, or '*' for any. " +
      'Off by default, as in Triton, which has no CORS support.',
  },
  {
    key: 'httpUseSsl',
    flag: '--http-use-ssl',
    env: 'TENSORGATE_HTTP_USE_SSL',
    type: 'bool',
    default: false,
    valueName: 'bool',
    description:
      "Serve the HTTP API over HTTPS with --http-server-cert and --http-server-key (tensorgate's own; " +
      'Triton has no HTTPS).',
  },
  {
    key: 'httpServerCert',
    flag: '--http-server-cert',
    env: 'TENSORGATE_HTTP_SERVER_CERT',
    type: 'string',
    optional: true,
    valueName: 'path',
    description: 'PEM file of the HTTPS server certificate (chain); used with --http-use-ssl.',
  },
  {
    key: 'httpServerKey',
    flag: '--http-server-key',
    env: 'TENSORGATE_HTTP_SERVER_KEY',
    type: 'string',
    optional: true,
    valueName: 'path',
    description: 'PEM file of the private key of --http-server-cert.',
  },
  {
    key: 'openaiApiKey',
    flag: '--openai-api-key',
    env: 'TENSORGATE_OPENAI_API_KEY',
    type: 'string',
    optional: true,
    valueName: 'key',
    description:
      'Require this key (Authorization: Bearer <key>) on the OpenAI-compatible /v1 routes; the /v2 routes stay open. ' +
      'Prefer the environment variable, which does not show in process listings.',
  },
  {
    key: 'console',
    flag: '--console',
    env: 'TENSORGATE_CONSOLE',
    type: 'bool',
    default: false,
    valueName: 'bool',
    description:
      'Serve the web console (models, live charts, try-it forms) at /console on the HTTP port, linked from GET /. ' +
      'Off by default: it calls the same APIs, under the same --http-restricted-api rules.',
  },
  {
    key: 'httpRestrictedApi',
    flag: '--http-restricted-api',
    env: 'TENSORGATE_HTTP_RESTRICTED_API',
    type: 'list',
    default: [],
    envSeparator: ';',
    valueName: 'groups:header=value',
    description:
      'Restrict HTTP API groups (comma-separated: health, metadata, inference, shared-memory, model-config, ' +
      'model-repository, statistics, trace, logging) to requests carrying header=value; others get 403. ' +
      "Repeat for groups with other headers; the env var separates entries with ';'.",
  },
  {
    key: 'allowGrpc',
    flag: '--allow-grpc',
    env: 'TENSORGATE_ALLOW_GRPC',
    type: 'bool',
    default: true,
    valueName: 'bool',
    description: 'Serve the KServe v2 / Triton gRPC API.',
  },
  {
    key: 'grpcPort',
    flag: '--grpc-port',
    env: 'TENSORGATE_GRPC_PORT',
    type: 'int',
    default: 8001,
    min: 0,
    max: 65535,
    valueName: 'port',
    description: 'gRPC port (0 picks a free one).',
  },
  {
    key: 'grpcMaxMessageBytes',
    flag: '--grpc-max-message-bytes',
    env: 'TENSORGATE_GRPC_MAX_MESSAGE_BYTES',
    type: 'int',
    default: 65 * 1024 * 1024,
    min: 1,
    max: INT32_MAX,
    valueName: 'bytes',
    description:
      'Largest gRPC message received, both as sent (compressed) and after decompression; a larger one fails with ' +
      'RESOURCE_EXHAUSTED, and a compressed one stops inflating there. Default 65 MiB: a 64 MiB tensor plus 1 MiB ' +
      'for the rest of the request, as --http-max-body-bytes.',
  },
  {
    key: 'grpcMaxSendMessageBytes',
    flag: '--grpc-max-send-message-bytes',
    env: 'TENSORGATE_GRPC_MAX_SEND_MESSAGE_BYTES',
    type: 'int',
    default: INT32_MAX,
    min: 1,
    max: INT32_MAX,
    valueName: 'bytes',
    description:
      "Largest gRPC message sent (a response); a larger one fails the call with RESOURCE_EXHAUSTED. Responses come from the server's own models, so the default is gRPC's largest, 2 GiB - 1.",
  },
  {
    key: 'grpcTransport',
    flag: '--grpc-transport',
    env: 'TENSORGATE_GRPC_TRANSPORT',
    type: 'enum',
    choices: ['native', 'grpc-js'],
    default: 'native',
    valueName: 'transport',
    description:
      "gRPC server transport: native (tensorgate's own on node:http2, faster per call) or grpc-js " +
      '(@grpc/grpc-js). Both serve the same API.',
  },
  {
    key: 'grpcServices',
    flag: '--grpc-services',
    env: 'TENSORGATE_GRPC_SERVICES',
    type: 'string',
    optional: true,
    valueName: 'dir',
    description:
      'Folder of custom gRPC services served on the gRPC port next to the inference service: each ' +
      'sub-folder holds service.proto and service.js (one handler per rpc; see docs/grpc-services.md). ' +
      "A proto or module that does not load stops start-up with its file:line. tensorgate's own.",
  },
  {
    key: 'grpcServiceThreads',
    flag: '--grpc-service-threads',
    env: 'TENSORGATE_GRPC_SERVICE_THREADS',
    type: 'int',
    default: 2,
    min: 1,
    max: 256,
    valueName: 'count',
    description:
      "Worker threads running the handlers of --grpc-services (each loads every service; a call goes to the least busy). tensorgate's own.",
  },
  {
    key: 'grpcMaxConcurrentStreams',
    flag: '--grpc-max-concurrent-streams',
    env: 'TENSORGATE_GRPC_MAX_CONCURRENT_STREAMS',
    type: 'int',
    default: 1000,
    min: 1,
    max: 4_294_967_295,
    valueName: 'count',
    description:
      'HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of every gRPC connection: calls one connection may have open at once ' +
      "(clients queue the rest). gRPC core's grpc.max_concurrent_streams.",
  },
  {
    key: 'grpcMaxConcurrentCalls',
    flag: '--grpc-max-concurrent-calls',
    env: 'TENSORGATE_GRPC_MAX_CONCURRENT_CALLS',
    type: 'int',
    default: 10_000,
    min: 1,
    max: INT32_MAX,
    valueName: 'count',
    description:
      'gRPC calls (streams) open at once over all connections; a new one past it is refused with RST_STREAM ' +
      "REFUSED_STREAM (clients see UNAVAILABLE, retryable). Idle ModelStreamInfer streams count. tensorgate's own.",
  },
  {
    key: 'grpcPrefaceTimeoutSecs',
    flag: '--grpc-preface-timeout-secs',
    env: 'TENSORGATE_GRPC_PREFACE_TIMEOUT_SECS',
    type: 'int',
    default: 10,
    min: 1,
    max: 3600,
    valueName: 'seconds',
    description:
      'A new gRPC connection must send the HTTP/2 preface and its SETTINGS within this, else it is closed; with TLS ' +
      "the handshake gets as long again. tensorgate's own.",
  },
  {
    key: 'grpcConnectionIdleTimeoutSecs',
    flag: '--grpc-connection-idle-timeout-secs',
    env: 'TENSORGATE_GRPC_CONNECTION_IDLE_TIMEOUT_SECS',
    type: 'int',
    default: 60,
    min: 1,
    max: 86400,
    valueName: 'seconds',
    description:
      'A gRPC connection with no call in flight (and no request bytes arriving) for this long gets GOAWAY and is ' +
      "closed; a call in flight, however quiet, keeps it open. tensorgate's own (gRPC's max_connection_idle).",
  },
  {
    key: 'grpcSendStallTimeoutSecs',
    flag: '--grpc-send-stall-timeout-secs',
    env: 'TENSORGATE_GRPC_SEND_STALL_TIMEOUT_SECS',
    type: 'int',
    default: 60,
    min: 0,
    max: 86400,
    valueName: 'seconds',
    description:
      'A response (message or trailers) that cannot move for this long because the client grants no flow-control ' +
      'window or reads nothing has its stream reset (RST_STREAM CANCEL), freeing it; a connection the client does ' +
      "not read at all is closed. A slowly reading client and a long call are never cut. 0: never. tensorgate's own.",
  },
  {
    key: 'grpcMinMessageRate',
    flag: '--grpc-min-message-rate',
    env: 'TENSORGATE_GRPC_MIN_MESSAGE_RATE',
    type: 'int',
    default: 1024,
    min: 0,
    max: INT32_MAX,
    valueName: 'bytes-per-sec',
    description:
      'After --grpc-min-message-rate-grace-secs, a request still arriving (a unary request, or a streamed message ' +
      'begun; not a stream idle between messages) must have delivered this many bytes per second since it began, ' +
      "else the call ends with DEADLINE_EXCEEDED. 0: no minimum. tensorgate's own.",
  },
  {
    key: 'grpcMinMessageRateGraceSecs',
    flag: '--grpc-min-message-rate-grace-secs',
    env: 'TENSORGATE_GRPC_MIN_MESSAGE_RATE_GRACE_SECS',
    type: 'int',
    default: 30,
    min: 0,
    max: 86400,
    valueName: 'seconds',
    description: "Seconds a request message may take before --grpc-min-message-rate applies. tensorgate's own.",
  },
  {
    key: 'grpcKeepaliveTime',
    flag: '--grpc-keepalive-time',
    env: 'TENSORGATE_GRPC_KEEPALIVE_TIME',
    type: 'int',
    default: 7_200_000,
    min: 1,
    max: INT32_MAX,
    valueName: 'ms',
    description:
      "The period (ms) after which the server sends a keepalive ping on a connection (Triton's default, 2 hours).",
  },
  {
    key: 'grpcKeepaliveTimeout',
    flag: '--grpc-keepalive-timeout',
    env: 'TENSORGATE_GRPC_KEEPALIVE_TIMEOUT',
    type: 'int',
    default: 20_000,
    min: 1,
    max: INT32_MAX,
    valueName: 'ms',
    description:
      'How long (ms) the server waits for a keepalive ping to be acknowledged before closing the connection.',
  },
  {
    key: 'grpcKeepalivePermitWithoutCalls',
    flag: '--grpc-keepalive-permit-without-calls',
    env: 'TENSORGATE_GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS',
    type: 'bool',
    default: false,
    valueName: 'bool',
    description:
      'Send keepalive pings, and accept client pings at --grpc-http2-min-recv-ping-interval-without-data, even when no ' +
      'call is in flight (otherwise one client ping per 2 hours). Native transport only.',
  },
  {
    key: 'grpcHttp2MaxPingsWithoutData',
    flag: '--grpc-http2-max-pings-without-data',
    env: 'TENSORGATE_GRPC_HTTP2_MAX_PINGS_WITHOUT_DATA',
    type: 'int',
    default: 2,
    min: 0,
    max: INT32_MAX,
    valueName: 'count',
    description:
      'Most keepalive pings the server sends with no data/header frame sent in between; 0: no limit. Native transport only.',
  },
  {
    key: 'grpcHttp2MinRecvPingIntervalWithoutData',
    flag: '--grpc-http2-min-recv-ping-interval-without-data',
    env: 'TENSORGATE_GRPC_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA',
    type: 'int',
    default: 300_000,
    min: 0,
    max: INT32_MAX,
    valueName: 'ms',
    description:
      'With no data/header frames sent, a client ping sooner than this (ms) after the previous one is a ping strike. ' +
      'Native transport only.',
  },
  {
    key: 'grpcHttp2MaxPingStrikes',
    flag: '--grpc-http2-max-ping-strikes',
    env: 'TENSORGATE_GRPC_HTTP2_MAX_PING_STRIKES',
    type: 'int',
    default: 2,
    min: 0,
    max: INT32_MAX,
    valueName: 'count',
    description:
      'Ping strikes tolerated before GOAWAY ENHANCE_YOUR_CALM ("too_many_pings") closes the connection; 0: any number. ' +
      'Native transport only.',
  },
  {
    key: 'grpcMaxConnectionAge',
    flag: '--grpc-max-connection-age',
    env: 'TENSORGATE_GRPC_MAX_CONNECTION_AGE',
    type: 'int',
    default: 0,
    min: 0,
    max: INT32_MAX,
    valueName: 'ms',
    description: 'A connection older than this (ms, ±10%) gets GOAWAY; its calls in flight finish. 0: no limit.',
  },
  {
    key: 'grpcMaxConnectionAgeGrace',
    flag: '--grpc-max-connection-age-grace',
    env: 'TENSORGATE_GRPC_MAX_CONNECTION_AGE_GRACE',
    type: 'int',
    default: 0,
    min: 0,
    max: INT32_MAX,
    valueName: 'ms',
    description: 'Calls still running this long (ms) after the maximum-age GOAWAY are cancelled. 0: they may run on.',
  },
  {
    key: 'grpcUseSsl',
    flag: '--grpc-use-ssl',
    env: 'TENSORGATE_GRPC_USE_SSL',
    type: 'bool',
    default: false,
    valueName: 'bool',
    description: 'Serve gRPC over TLS with --grpc-server-cert and --grpc-server-key.',
  },
  {
    key: 'grpcUseSslMutual',
    flag: '--grpc-use-ssl-mutual',
    env: 'TENSORGATE_GRPC_USE_SSL_MUTUAL',
    type: 'bool',
    default: false,
    valueName: 'bool',
    description:
      'Serve gRPC over mutual TLS: as --grpc-use-ssl (which it implies), and clients must present a ' +
      'certificate signed by --grpc-root-cert.',
  },
  {
    key: 'grpcServerCert',
    flag: '--grpc-server-cert',
    env: 'TENSORGATE_GRPC_SERVER_CERT',
    type: 'string',
    optional: true,
    valueName: 'path',
    description: 'PEM file of the gRPC server certificate (chain); used with --grpc-use-ssl.',
  },
  {
    key: 'grpcServerKey',
    flag: '--grpc-server-key',
    env: 'TENSORGATE_GRPC_SERVER_KEY',
    type: 'string',
    optional: true,
    valueName: 'path',
    description: 'PEM file of the private key of --grpc-server-cert.',
  },
  {
    key: 'grpcRootCert',
    flag: '--grpc-root-cert',
    env: 'TENSORGATE_GRPC_ROOT_CERT',
    type: 'string',
    optional: true,
    valueName: 'path',
    description:
      'PEM file of the CA certificate(s) client certificates must chain to; used with --grpc-use-ssl-mutual.',
  },
  {
    key: 'grpcRestrictedProtocol',
    flag: '--grpc-restricted-protocol',
    env: 'TENSORGATE_GRPC_RESTRICTED_PROTOCOL',
    type: 'list',
    default: [],
    envSeparator: ';',
    valueName: 'groups:header=value',
    description:
      'Restrict gRPC API groups (as --http-restricted-api) to calls carrying the metadata ' +
      "triton-grpc-protocol-<header>=value; others get UNAVAILABLE. Repeatable; the env var separates entries with ';'.",
  },
  {
    key: 'traceConfig',
    flag: '--trace-config',
    env: 'TENSORGATE_TRACE_CONFIG',
    type: 'list',
    default: [],
    envSeparator: ';',
    valueName: '[mode,]setting=value',
    description:
      "Tracing, as Triton's --trace-config (docs/tracing.md): level=OFF|TIMESTAMPS|TENSORS, rate=N, count=N, " +
      'mode=triton|opentelemetry; triton,file=<path>, triton,log-frequency=N; opentelemetry,url=<OTLP/HTTP url>, ' +
      "opentelemetry,resource=<key>=<value>, opentelemetry,bsp_*=N. Repeatable; the env var separates entries with ';'.",
  },
  {
    key: 'cacheConfig',
    flag: '--cache-config',
    env: 'TENSORGATE_CACHE_CONFIG',
    type: 'list',
    default: [],
    envSeparator: ';',
    valueName: '<cache>,<key>=<value>',
    description:
      "Response cache, as Triton's --cache-config (docs/response-cache.md): local,size=<bytes> (in-process LRU), or " +
      'redis,host=<host> redis,port=<port> [redis,user= redis,password= redis,db= redis,connect_timeout=<ms> ' +
      'redis,socket_timeout=<ms> redis,tls_enabled=true redis,cert= redis,key= redis,cacert= redis,sni=]. ' +
      "Used by models with response_cache { enable: true }. Repeatable; the env var separates entries with ';'.",
  },
  {
    key: 'rateLimit',
    flag: '--rate-limit',
    env: 'TENSORGATE_RATE_LIMIT',
    type: 'enum',
    choices: ['execution_count', 'off'],
    default: 'off',
    valueName: 'mode',
    description:
      "Triton's rate limiter (docs/rate-limiter.md). execution_count: an instance executes only while it holds the " +
      'resources its instance_group rate_limiter lists; waiting instances go by fewest executions x priority. ' +
      'off: instances run work as soon as they are free and rate_limiter blocks have no effect.',
  },
  {
    key: 'rateLimitResource',
    flag: '--rate-limit-resource',
    env: 'TENSORGATE_RATE_LIMIT_RESOURCE',
    type: 'list',
    default: [],
    envSeparator: ';',
    valueName: '<name>:<count>[:<device>]',
    description:
      "Copies of a rate limiter resource, as Triton's flag: on every device, or on one device (0: the host, where " +
      'CPU instances run, and GPU 0; N: GPU N). Once one is given, resources not given have no copies (models ' +
      'needing them fail to load); none given: each resource has the largest count an instance asks. ' +
      "Repeatable; the env var separates entries with ';'. Needs --rate-limit execution_count.",
  },
  {
    key: 'maxSequenceBacklog',
    flag: '--max-sequence-backlog',
    env: 'TENSORGATE_MAX_SEQUENCE_BACKLOG',
    type: 'int',
    default: 1024,
    min: 0,
    max: 1_000_000,
    valueName: 'count',
    description:
      'Sequences that may wait for a free sequence slot, per version of a sequence-batched model ' +
      '(docs/sequence-batching.md); a new sequence beyond them is refused with RESOURCE_EXHAUSTED. Triton has no ' +
      "bound; tensorgate's own.",
  },
  {
    key: 'maxSequenceStateBytes',
    flag: '--max-sequence-state-bytes',
    env: 'TENSORGATE_MAX_SEQUENCE_STATE_BYTES',
    type: 'int',
    default: 64 * 1024 * 1024,
    min: 1,
    max: 2 ** 40,
    valueName: 'bytes',
    description:
      'Most bytes of implicit state (sequence_batching.state) one sequence may hold, all its states together ' +
      '(docs/sequence-batching.md#implicit-state); a model whose initial states are larger fails to load, a larger ' +
      "state output fails its request with RESOURCE_EXHAUSTED. Triton has no bound; tensorgate's own.",
  },
  {
    key: 'allowMetrics',
    flag: '--allow-metrics',
    env: 'TENSORGATE_ALLOW_METRICS',
    type: 'bool',
    default: true,
    valueName: 'bool',
    description: 'Serve Prometheus metrics on /metrics.',
  },
  {
    key: 'metricsPort',
    flag: '--metrics-port',
    env: 'TENSORGATE_METRICS_PORT',
    type: 'int',
    default: 8002,
    min: 0,
    max: 65535,
    valueName: 'port',
    description: 'Metrics port (0 picks a free one).',
  },
  ...METRICS_SETTINGS,
  ...JOBS_SETTINGS,
  {
    key: 'logLevel',
    flag: '--log-level',
    env: 'TENSORGATE_LOG_LEVEL',
    type: 'enum',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'],
    default: 'info',
    valueName: 'level',
    description: 'Least severe log level written (text or JSON lines, see --log-encoding).',
  },
  {
    key: 'logVerbose',
    flag: '--log-verbose',
    env: 'TENSORGATE_LOG_VERBOSE',
    type: 'int',
    default: 0,
    min: 0,
    max: 2147483647,
    boolAsInt: true,
    valueName: 'level',
    description: "Triton's verbose logging: above 0 means --log-level debug unless --log-level is given.",
  },
  ...LOGGING_SETTINGS,
];
