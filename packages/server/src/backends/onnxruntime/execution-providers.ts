/**
 * Which execution provider each instance gets. The npm package of onnxruntime-node bundles only the
 * CPU provider on Linux; the CUDA provider's libraries are downloaded at install time when asked
 * for (`ONNXRUNTIME_NODE_INSTALL=cuda12`), and tensorgate's root `allowScripts` keeps that install script
 * from running by default.
 * So "CUDA is available" means: the runtime lists `cuda`, and its provider library is on disk.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { GpuSupport } from '../../backend-api/backend.js';
import type { InstanceGroupConfig } from '../../core/config/model-config.js';
import { invalidArg } from '../../core/errors.js';
import type { JsInstancePlacement } from '../js/start-js-instances.js';

/** How to get the CUDA provider, quoted in errors and warnings. */
export const CUDA_INSTALL_HINT =
  'install the CUDA 12 binaries of onnxruntime-node: after `npm ci`, run ' +
  '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` ' +
  '(or build the container image with `--build-arg ONNXRUNTIME_NODE_INSTALL=cuda12`), on a host with CUDA 12 and cuDNN 9';

/** Whether the installed onnxruntime-node can run the CUDA execution provider. */
export interface CudaSupport {
  readonly available: boolean;
  /** Why not, when unavailable. */
  readonly reason?: string;
}

let cached: CudaSupport | undefined;

/**
 * Checks (once per process) whether onnxruntime-node has its CUDA provider. Loads the native
 * binding on the calling thread, which is cheap and runs no model.
 */
export function detectCudaSupport(): CudaSupport {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    const ort = require('onnxruntime-node') as {
      listSupportedBackends?: () => { name: string; bundled: boolean }[];
    };
    const cuda = ort.listSupportedBackends?.().find((b) => b.name === 'cuda');
    if (!cuda) {
      cached = {
        available: false,
        reason: `this build of onnxruntime-node has no CUDA provider on ${process.platform}/${process.arch}`,
      };
    } else if (cuda.bundled) {
      cached = { available: true };
    } else {
      const bin = join(
        dirname(require.resolve('onnxruntime-node/package.json')),
        'bin',
        'napi-v6',
        process.platform,
        process.arch,
      );
      let files: string[] = [];
      try {
        files = readdirSync(bin);
      } catch {
        // No binary folder: treated like a missing provider library below.
      }
      const present = files.some((f) => /onnxruntime_providers_cuda\.(so|dll)$/.test(f));
      cached = present
        ? { available: true }
        : { available: false, reason: `the CUDA provider library is not installed in ${bin}` };
    }
  } catch (err) {
    cached = { available: false, reason: `onnxruntime-node could not be loaded: ${(err as Error).message}` };
  }
  return cached;
}

/**
 * The backend's answer to `Backend.gpuSupport`: available when the CUDA provider is, else why
 * not with the install hint, so a `KIND_GPU` group on a GPU host says how to get CUDA.
 *
 * @example
 * ```ts
 * gpuSupportFrom(detectCudaSupport()); // { available: false, reason: '…; install the CUDA 12 binaries …' }
 * ```
 */
export function gpuSupportFrom(cuda: CudaSupport): GpuSupport {
  if (cuda.available) return { available: true };
  return {
    available: false,
    reason: `${cuda.reason ?? 'the CUDA execution provider is not available'}; ${CUDA_INSTALL_HINT}`,
  };
}

/** One planned instance: its name and where it runs. */
export type PlannedInstance = JsInstancePlacement;

/**
 * Expands `instance_group` into instances, named as Triton names them (the group name, suffixed
 * with the index when it has several). KIND_GPU starts `count` instances on each listed GPU and
 * needs the CUDA provider; KIND_AUTO runs on GPU 0 when CUDA is available, else on CPU with a
 * warning. (Configs loaded by the server arrive normalized: KIND_AUTO already resolved against the
 * host's GPUs and `gpus` filled, see `Backend.gpuSupport`; the fallbacks serve direct callers.)
 *
 * @throws InferenceError INVALID_ARG for KIND_GPU without CUDA (saying how to install it) and KIND_MODEL
 */
export function planInstances(
  modelName: string,
  groups: readonly InstanceGroupConfig[],
  cuda: () => CudaSupport,
  warn: (msg: string) => void,
): PlannedInstance[] {
  const effective =
    groups.length > 0 ? groups : [{ name: modelName, kind: 'KIND_CPU', count: 1, gpus: [] } as InstanceGroupConfig];
  const planned: PlannedInstance[] = [];
  effective.forEach((g, gi) => {
    const group = g.name || `${modelName}_${gi}`;
    const count = Math.max(0, g.count);
    let kind: 'CPU' | 'GPU';
    let devices: readonly number[] = [0];
    if (g.kind === 'KIND_CPU') kind = 'CPU';
    else if (g.kind === 'KIND_GPU') {
      const support = cuda();
      if (!support.available) {
        throw invalidArg(
          `instance group '${group}' has kind KIND_GPU, but the CUDA execution provider ` +
            `is not available (${support.reason ?? 'unknown reason'}); ${CUDA_INSTALL_HINT}, or use KIND_CPU`,
        );
      }
      kind = 'GPU';
      if (g.gpus.length > 0) devices = g.gpus;
    } else if (g.kind === 'KIND_AUTO') {
      const support = cuda();
      kind = support.available ? 'GPU' : 'CPU';
      if (!support.available) {
        warn(`instance group '${group}' (KIND_AUTO) runs on CPU: ${support.reason ?? 'CUDA is not available'}`);
      }
    } else {
      throw invalidArg(
        `instance group '${group}' has kind ${g.kind}, which the onnxruntime backend does not support (use KIND_CPU, KIND_GPU or KIND_AUTO)`,
      );
    }
    // Triton (core backend_model.cc) names instance c of a group `<group>_<c>` on every device it
    // runs on; the names here stay unique across devices, so the device id is added on a second GPU.
    const list = kind === 'GPU' ? devices : [0];
    for (let c = 0; c < count; c++) {
      for (const deviceId of list) {
        planned.push({ name: list.length > 1 ? `${group}_${c}_gpu${deviceId}` : `${group}_${c}`, kind, deviceId });
      }
    }
  });
  return planned;
}
