/**
 * Where an ONNX model's file is: `model.onnx` (or the config's `default_model_filename`) in a
 * version folder, and which version folder the auto-complete reads. Used on the main thread (clear
 * load errors before any worker starts) and inside the instance workers (the session's path).
 * Every name is resolved with `resolveConfinedPath`: the file (and its external data, see
 * external-data.ts) must lie inside the model folder.
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { resolveConfinedPath } from '../../backend-api/confined-path.js';
import { invalidArg } from '../../core/errors.js';

/** The file name Triton's onnxruntime backend loads when the config names none. */
export const DEFAULT_ONNX_FILENAME = 'model.onnx';

/**
 * The real path of the model file of a version folder, or undefined when absent. Like Triton, the
 * name may also be a directory holding `model.onnx` (a model saved with external data files beside it).
 *
 * @throws InferenceError INVALID_ARG when the name resolves outside the model folder `modelPath`
 */
export async function findOnnxModelFile(
  modelPath: string,
  versionPath: string,
  configuredName: string | undefined,
): Promise<string | undefined> {
  const name = configuredName || DEFAULT_ONNX_FILENAME;
  const at = (n: string) =>
    resolveConfinedPath(n, {
      modelPath,
      base: versionPath,
      field: configuredName ? 'default_model_filename' : 'model file',
    });
  const found = await at(name);
  if (found.kind === 'directory') {
    const inner = await at(join(name, DEFAULT_ONNX_FILENAME));
    return inner.kind === 'file' ? inner.path : undefined;
  }
  return found.kind === 'file' ? found.path : undefined;
}

/**
 * The real path of the model file of a version folder.
 *
 * @throws InferenceError INVALID_ARG naming the path that was expected, or the name and the model
 *   folder when it resolves outside it
 */
export async function requireOnnxModelFile(
  modelPath: string,
  versionPath: string,
  configuredName: string | undefined,
): Promise<string> {
  const file = await findOnnxModelFile(modelPath, versionPath, configuredName);
  if (file !== undefined) return file;
  const name = configuredName || DEFAULT_ONNX_FILENAME;
  throw invalidArg(
    `no ONNX model file, expected ${isAbsolute(name) ? name : join(versionPath, name)}` +
      (configuredName ? ' (default_model_filename)' : ''),
  );
}

/**
 * The model file auto-complete reads: the one in the highest-numbered version folder that has it
 * (the version a default `latest` policy serves).
 *
 * @throws InferenceError INVALID_ARG when no version folder holds the file
 */
export async function latestOnnxModelFile(
  modelName: string,
  modelPath: string,
  configuredName: string | undefined,
): Promise<string> {
  let entries: string[];
  try {
    entries = await readdir(modelPath);
  } catch {
    entries = [];
  }
  const versions = entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => b - a);
  for (const v of versions) {
    const file = await findOnnxModelFile(modelPath, join(modelPath, String(v)), configuredName);
    if (file !== undefined) return file;
  }
  const name = configuredName || DEFAULT_ONNX_FILENAME;
  throw invalidArg(
    `model '${modelName}': no ONNX model file to auto-complete the config from: expected ${join(modelPath, '<version>', name)}` +
      (versions.length === 0 ? ' (the model folder has no numeric version folder)' : ''),
  );
}
