/**
 * Where an ONNX model's file is: `model.onnx` (or the config's `default_model_filename`) in a
 * version folder, and which version folder the auto-complete reads. Used on the main thread (clear
 * load errors before any worker starts) and inside the instance workers (the session's path).
 */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { invalidArg } from '../../core/errors.js';

/** The file name Triton's onnxruntime backend loads when the config names none. */
export const DEFAULT_ONNX_FILENAME = 'model.onnx';

/**
 * The model file of a version folder, or undefined when absent. Like Triton, the name may also be
 * a directory holding `model.onnx` (a model saved with external data files beside it).
 */
export function findOnnxModelFile(versionPath: string, configuredName: string | undefined): string | undefined {
  const name = configuredName || DEFAULT_ONNX_FILENAME;
  const path = isAbsolute(name) ? name : join(versionPath, name);
  if (!existsSync(path)) return undefined;
  if (statSync(path).isDirectory()) {
    const inner = join(path, DEFAULT_ONNX_FILENAME);
    return existsSync(inner) ? inner : undefined;
  }
  return path;
}

/**
 * The model file of a version folder.
 *
 * @throws InferenceError INVALID_ARG naming the path that was expected
 */
export function requireOnnxModelFile(versionPath: string, configuredName: string | undefined): string {
  const file = findOnnxModelFile(versionPath, configuredName);
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
    const file = findOnnxModelFile(join(modelPath, String(v)), configuredName);
    if (file !== undefined) return file;
  }
  const name = configuredName || DEFAULT_ONNX_FILENAME;
  throw invalidArg(
    `model '${modelName}': no ONNX model file to auto-complete the config from: expected ${join(modelPath, '<version>', name)}` +
      (versions.length === 0 ? ' (the model folder has no numeric version folder)' : ''),
  );
}
