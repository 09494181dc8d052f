/**
 * `tritonserver`'s launch flags that tensorgate does not implement, each refused with the reason
 * (architecture rule: never silently ignore). A launch line copied from Triton either means what
 * it meant there or stops with a message naming the flag. A refused flag whose value asks for
 * exactly what tensorgate does anyway (`--allow-sagemaker=false`, `--pinned-memory-pool-byte-size=0`) is accepted:
 * it changes nothing, so nothing is ignored.
 *
 * {@link TRITON_FLAGS} is `tritonserver --help`'s list (triton-inference-server/server
 * `src/command_line_parser.cc`, as of commit e1db8a6); a test checks each is a setting, an
 * alias or refused here.
 */
import { parseBool } from './setting-values.js';

/** Every long flag of `tritonserver --help`, without the leading `--`. */
export const TRITON_FLAGS: readonly string[] = [
  'help', 'id', 'exit-timeout-secs',
  // Model repository
  'model-store', 'model-repository', 'exit-on-error', 'disable-auto-complete-config', 'strict-readiness',
  'model-control-mode', 'repository-poll-secs', 'load-model', 'model-config-name', 'model-load-thread-count',
  'model-load-retry-count', 'model-namespacing', 'enable-peer-access',
  // HTTP
  'allow-http', 'http-address', 'http-port', 'reuse-http-port', 'http-header-forward-pattern', 'http-thread-count',
  'http-max-input-size', 'http-restricted-api',
  // gRPC
  'allow-grpc', 'grpc-address', 'grpc-port', 'reuse-grpc-port', 'grpc-header-forward-pattern',
  'grpc-infer-thread-count', 'grpc-infer-allocation-pool-size', 'grpc-max-response-pool-size', 'grpc-use-ssl',
  'grpc-use-ssl-mutual', 'grpc-server-cert', 'grpc-server-key', 'grpc-root-cert',
  'grpc-infer-response-compression-level', 'grpc-keepalive-time', 'grpc-keepalive-timeout',
  'grpc-keepalive-permit-without-calls', 'grpc-http2-max-pings-without-data',
  'grpc-http2-min-recv-ping-interval-without-data', 'grpc-http2-max-ping-strikes', 'grpc-max-connection-age',
  'grpc-max-connection-age-grace', 'grpc-restricted-protocol',
  // Logging
  'log-verbose', 'log-info', 'log-warning', 'log-error', 'log-format', 'log-file',
  // SageMaker, Vertex AI
  'allow-sagemaker', 'sagemaker-port', 'sagemaker-safe-port-range', 'sagemaker-thread-count', 'allow-vertex-ai',
  'vertex-ai-port', 'vertex-ai-thread-count', 'vertex-ai-default-model',
  // Metrics
  'allow-metrics', 'allow-gpu-metrics', 'allow-cpu-metrics', 'metrics-address', 'metrics-port',
  'metrics-interval-ms', 'metrics-config',
  // Tracing
  'trace-config',
  // Response cache, rate limiter
  'cache-config', 'cache-directory', 'rate-limit', 'rate-limit-resource',
  // Memory / device management
  'pinned-memory-pool-byte-size', 'cuda-memory-pool-byte-size', 'cuda-virtual-address-size',
  'min-supported-compute-capability', 'buffer-manager-thread-count', 'host-policy', 'model-load-gpu-limit',
  // Shared memory, backends, repository agents
  'allow-client-shm', 'backend-directory', 'backend-config', 'repoagent-directory',
  // Deprecated
  'strict-model-config', 'response-cache-byte-size', 'trace-file', 'trace-level', 'trace-rate', 'trace-count',
  'trace-log-frequency',
]; // prettier-ignore

/** Values of a refused flag that ask for what tensorgate does anyway. */
export interface AcceptedValues {
  readonly test: (value: string) => boolean;
  /** The values, as docs and messages show them. */
  readonly described: string;
}

/** A Triton flag tensorgate refuses. */
export interface RefusedFlag {
  /** The long flag, e.g. `--cuda-memory-pool-byte-size`. */
  readonly flag: `--${string}`;
  /** Name of its value in messages and docs. */
  readonly valueName: string;
  /** Why tensorgate has no such setting; completes "<flag> is not supported: ". */
  readonly reason: string;
  /** The values that ask for what tensorgate does anyway, accepted; described in docs. */
  readonly accepts?: AcceptedValues;
}

/** A boolean Triton flag accepted when false. */
function whenFalse(): AcceptedValues {
  return {
    test: (value) => {
      try {
        return !parseBool(value);
      } catch {
        return false;
      }
    },
    described: 'false',
  };
}

/** An integer Triton flag accepted when 0. */
function whenZero(): AcceptedValues {
  return { test: (value) => /^[+]?0+$/.test(value.trim()), described: '0' };
}

const NO_THREAD_POOL =
  'tensorgate serves requests on the Node.js event loop and runs each model instance in its own worker ' +
  'thread (size them with instance_group count)';
const NO_SAGEMAKER = 'tensorgate has no SageMaker endpoint; serve the KServe v2 HTTP API behind SageMaker instead';
const NO_VERTEX = 'tensorgate has no Vertex AI endpoint; serve the KServe v2 HTTP API instead';
const NO_BACKEND_LIBRARIES =
  "tensorgate's backends (js, onnxruntime, llm) are built in; it loads no backend shared libraries";

/**
 * The refused flags, in `tritonserver --help` order.
 *
 * @example
 * ```ts
 * REFUSED_FLAGS.find((f) => f.flag === '--allow-sagemaker')?.accepts?.test('false'); // true
 * ```
 */
export const REFUSED_FLAGS: readonly RefusedFlag[] = [
  {
    flag: '--model-namespacing',
    valueName: 'bool',
    reason: 'tensorgate serves one model repository, so model names are already unique',
    accepts: whenFalse(),
  },
  {
    flag: '--enable-peer-access',
    valueName: 'bool',
    reason: 'tensorgate does not manage CUDA peer access between GPUs (onnxruntime handles its own devices)',
    accepts: whenFalse(),
  },
  {
    flag: '--reuse-http-port',
    valueName: 'bool',
    reason: 'Node.js 20 cannot share a listening port between processes (SO_REUSEPORT); run replicas behind a Service',
    accepts: whenFalse(),
  },
  {
    flag: '--http-header-forward-pattern',
    valueName: 'regex',
    reason: 'tensorgate does not forward HTTP headers as request parameters; send them as request parameters',
  },
  { flag: '--http-thread-count', valueName: 'count', reason: NO_THREAD_POOL },
  {
    flag: '--reuse-grpc-port',
    valueName: 'bool',
    reason: 'Node.js 20 cannot share a listening port between processes (SO_REUSEPORT); run replicas behind a Service',
    accepts: whenFalse(),
  },
  {
    flag: '--grpc-header-forward-pattern',
    valueName: 'regex',
    reason: 'tensorgate does not forward gRPC metadata as request parameters; send them as request parameters',
  },
  { flag: '--grpc-infer-thread-count', valueName: 'count', reason: NO_THREAD_POOL },
  {
    flag: '--grpc-infer-allocation-pool-size',
    valueName: 'count',
    reason: 'tensorgate keeps no pool of request/response objects (the JavaScript heap allocates them)',
  },
  {
    flag: '--grpc-max-response-pool-size',
    valueName: 'count',
    reason: 'tensorgate keeps no pool of response objects (the JavaScript heap allocates them)',
  },
  {
    flag: '--grpc-infer-response-compression-level',
    valueName: 'level',
    reason: 'tensorgate sends gRPC responses uncompressed (it inflates compressed requests)',
    accepts: { test: (value) => value.trim().toLowerCase() === 'none', described: 'none' },
  },
  { flag: '--allow-sagemaker', valueName: 'bool', reason: NO_SAGEMAKER, accepts: whenFalse() },
  { flag: '--sagemaker-port', valueName: 'port', reason: NO_SAGEMAKER },
  { flag: '--sagemaker-safe-port-range', valueName: 'low-high', reason: NO_SAGEMAKER },
  { flag: '--sagemaker-thread-count', valueName: 'count', reason: NO_SAGEMAKER },
  { flag: '--allow-vertex-ai', valueName: 'bool', reason: NO_VERTEX, accepts: whenFalse() },
  { flag: '--vertex-ai-port', valueName: 'port', reason: NO_VERTEX },
  { flag: '--vertex-ai-thread-count', valueName: 'count', reason: NO_VERTEX },
  { flag: '--vertex-ai-default-model', valueName: 'name', reason: NO_VERTEX },
  {
    flag: '--allow-gpu-metrics',
    valueName: 'bool',
    reason: 'tensorgate exports no GPU metrics (nv_gpu_*); use NVIDIA DCGM exporter',
    accepts: whenFalse(),
  },
  {
    flag: '--metrics-interval-ms',
    valueName: 'ms',
    reason: 'tensorgate reads the CPU and memory metrics when /metrics is scraped, so there is no polling interval',
  },
  {
    flag: '--cache-directory',
    valueName: 'path',
    reason:
      'tensorgate loads no cache libraries: its caches (local, redis) are built in; choose one with --cache-config',
  },
  {
    flag: '--pinned-memory-pool-byte-size',
    valueName: 'bytes',
    reason: 'tensorgate has no pinned memory pool (it makes no host-to-GPU copies of its own)',
    accepts: whenZero(),
  },
  {
    flag: '--cuda-memory-pool-byte-size',
    valueName: 'gpu:bytes',
    reason: 'tensorgate has no CUDA memory pool (onnxruntime allocates its own GPU memory)',
    accepts: { test: (value) => /^\s*\d+\s*:\s*0+\s*$/.test(value), described: '<gpu>:0' },
  },
  {
    flag: '--cuda-virtual-address-size',
    valueName: 'gpu:bytes',
    reason: 'tensorgate has no growable CUDA memory for implicit state',
  },
  {
    flag: '--min-supported-compute-capability',
    valueName: 'version',
    reason: 'tensorgate does not filter GPUs by compute capability; choose them with --gpus',
  },
  {
    flag: '--buffer-manager-thread-count',
    valueName: 'count',
    reason: 'tensorgate copies tensors on the thread that handles them; it has no buffer manager threads',
    accepts: whenZero(),
  },
  {
    flag: '--host-policy',
    valueName: 'policy,setting=value',
    reason: "tensorgate does not pin instances to NUMA nodes or CPU cores; use the container's cpuset",
  },
  {
    flag: '--model-load-gpu-limit',
    valueName: 'gpu:fraction',
    reason: 'tensorgate does not track GPU memory use while loading models',
  },
  { flag: '--backend-directory', valueName: 'path', reason: NO_BACKEND_LIBRARIES },
  {
    flag: '--repoagent-directory',
    valueName: 'path',
    reason: 'tensorgate has no repository agents (model_repository_agents); prepare model files before start-up',
  },
  {
    flag: '--response-cache-byte-size',
    valueName: 'bytes',
    reason: 'Triton deprecated it for --cache-config; give --cache-config local,size=<bytes>',
    accepts: whenZero(),
  },
  ...(
    [
      ['--trace-file', 'path', 'triton,file=<path>'],
      ['--trace-level', 'level', 'level=<level>'],
      ['--trace-rate', 'rate', 'rate=<rate>'],
      ['--trace-count', 'count', 'count=<count>'],
      ['--trace-log-frequency', 'count', 'triton,log-frequency=<count>'],
    ] as const
  ).map(([flag, valueName, entry]) => ({
    flag,
    valueName,
    reason: `Triton deprecated it for --trace-config; give --trace-config ${entry}`,
  })),
];

/** The message for a refused flag given with `value`, or undefined when the value is accepted. */
export function refusalOf(refused: RefusedFlag, value: string): string | undefined {
  if (refused.accepts?.test(value)) return undefined;
  const only = refused.accepts ? ` (only ${refused.flag}=${refused.accepts.described} is accepted)` : '';
  return `${refused.flag} is not supported: ${refused.reason}${only}`;
}
