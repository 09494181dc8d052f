/**
 * Fills `backend`, `platform` and `default_model_filename` the way Triton's server-side autofill
 * does, from whichever of them the config gives, or from the files of the first version
 * directory. Also holds Triton's platform/backend pairing rule used by validation.
 */
import { invalidArg } from '../errors.js';

type Obj = Record<string, unknown>;

/** Triton's platform names for which the backend is implied. */
export const PLATFORM_BACKENDS: Readonly<Record<string, string>> = {
  tensorflow_graphdef: 'tensorflow',
  tensorflow_savedmodel: 'tensorflow',
  tensorrt_plan: 'tensorrt',
  onnxruntime_onnx: 'onnxruntime',
  pytorch_libtorch: 'pytorch',
  torch_aoti: 'pytorch',
};

/** The platform name of an ensemble (which has no backend). */
export const ENSEMBLE_PLATFORM = 'ensemble';

/** Backends whose platform must match (Triton's BackendType table; others accept any platform). */
const KNOWN_BACKEND_PLATFORMS: Readonly<Record<string, readonly string[]>> = {
  tensorflow: ['tensorflow_graphdef', 'tensorflow_savedmodel'],
  tensorrt: ['tensorrt_plan'],
  onnxruntime: ['onnxruntime_onnx'],
  pytorch: ['pytorch_libtorch', 'libtorch', 'torch_aoti'],
};

/** Default model file name of each backend, and the file that reveals it in a version folder. */
interface BackendFile {
  file: string;
  backend: string;
  platform?: string;
}

const BACKEND_FILES: readonly BackendFile[] = [
  { file: 'model.savedmodel', backend: 'tensorflow', platform: 'tensorflow_savedmodel' },
  { file: 'model.graphdef', backend: 'tensorflow', platform: 'tensorflow_graphdef' },
  { file: 'model.plan', backend: 'tensorrt', platform: 'tensorrt_plan' },
  { file: 'model.onnx', backend: 'onnxruntime', platform: 'onnxruntime_onnx' },
  { file: 'model.xml', backend: 'openvino' },
  { file: 'model.pt', backend: 'pytorch', platform: 'pytorch_libtorch' },
  { file: 'model.pt2', backend: 'pytorch', platform: 'torch_aoti' },
  { file: 'model.py', backend: 'python' },
];

/** Inputs of {@link autofillBackendFields}. */
export interface AutofillOptions {
  /** Name the model is loaded under (a `model.<backend>` name reveals a custom backend). */
  modelName: string;
  /** Entries of the first version directory, if any. */
  versionFiles?: readonly string[] | undefined;
  /** Extra `file name → backend` pairs for tensorgate's own backends (e.g. `model.js`). */
  extraBackendFiles?: Readonly<Record<string, string>> | undefined;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Completes `backend`, `platform` and `default_model_filename` in place, as Triton's
 * server-side autofill does before validation.
 *
 * @throws InferenceError INVALID_ARG when nothing reveals the backend
 * @example
 * ```ts
 * const cfg = { platform: 'onnxruntime_onnx' };
 * autofillBackendFields(cfg, { modelName: 'm' }); // cfg.backend === 'onnxruntime', default_model_filename 'model.onnx'
 * ```
 */
export function autofillBackendFields(cfg: Obj, options: AutofillOptions): void {
  let platform = str(cfg['platform']);
  let backend = str(cfg['backend']);
  let file = str(cfg['default_model_filename']);
  if (platform === ENSEMBLE_PLATFORM) {
    Object.assign(cfg, { platform, backend, default_model_filename: file });
    return;
  }
  const table: BackendFile[] = [
    ...BACKEND_FILES,
    ...Object.entries(options.extraBackendFiles ?? {}).map(([f, b]) => ({ file: f, backend: b })),
  ];

  if (!backend) {
    const fromPlatform = PLATFORM_BACKENDS[platform];
    const fromFile = table.find((r) => r.file === file);
    if (fromPlatform) backend = fromPlatform;
    else if (fromFile && (!platform || !fromFile.platform)) backend = fromFile.backend;
    else if (!platform && !file && options.versionFiles) {
      const present = new Set(options.versionFiles);
      const found = table.find((r) => present.has(r.file));
      if (found) {
        backend = found.backend;
        if (found.platform) platform = found.platform;
      }
    }
  }

  if (backend && !file) {
    const row = platform
      ? table.find((r) => r.backend === backend && r.platform === platform)
      : table.find((r) => r.backend === backend);
    if (row) file = row.file;
  }
  if (backend && !platform) {
    // Only backends with a single canonical platform get one filled in.
    if (backend === 'onnxruntime') platform = 'onnxruntime_onnx';
    else if (backend === 'tensorrt') platform = 'tensorrt_plan';
    else if (backend === 'pytorch') platform = 'pytorch_libtorch';
    else if (backend === 'tensorflow' && file) {
      platform = table.find((r) => r.file === file && r.backend === 'tensorflow')?.platform ?? '';
    }
  }

  if (!backend && !platform && !file) {
    const dot = options.modelName.indexOf('.');
    if (dot < 0) {
      throw invalidArg(
        `Invalid model name: Could not determine backend for model '${options.modelName}' with no backend in model ` +
          "configuration. Expected model name of the form 'model.<backend_name>'.",
      );
    }
    backend = options.modelName.slice(dot + 1);
    file = `model.${backend}`;
  }
  cfg['platform'] = platform;
  cfg['backend'] = backend;
  cfg['default_model_filename'] = file;
}

/**
 * Checks Triton's platform/backend rules: only ensembles have no backend, ensembles have no
 * backend, and a well-known backend needs its own platform.
 *
 * @throws InferenceError INVALID_ARG with Triton's wording
 */
export function checkPlatformBackend(name: string, platform: string, backend: string): void {
  if (!backend) {
    if (platform !== ENSEMBLE_PLATFORM) throw invalidArg(`unexpected platform type '${platform}' for ${name}`);
    return;
  }
  if (platform === ENSEMBLE_PLATFORM) {
    throw invalidArg(`Ensemble model '${name}' must have platform type '${platform}' and empty backend type`);
  }
  const allowed = KNOWN_BACKEND_PLATFORMS[backend];
  if (allowed && !allowed.includes(platform)) {
    throw invalidArg(`unexpected 'platform' and 'backend' pair, got:${platform}, ${backend}`);
  }
}
