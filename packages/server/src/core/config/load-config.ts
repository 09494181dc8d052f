/**
 * Reads a model's `config.pbtxt` from its directory in the model repository.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceError } from '../errors.js';
import { parseModelConfigText } from './pbtxt-to-object.js';

/** The file name of a model configuration inside a model directory. */
export const CONFIG_FILE_NAME = 'config.pbtxt';

/**
 * Reads and parses `<modelDir>/config.pbtxt` into a raw (not yet normalized) configuration.
 * Returns undefined when the file does not exist, so auto-completion can supply the config.
 * With `configName` (Triton's `--model-config-name`), `<modelDir>/configs/<configName>.pbtxt` is
 * read instead when it exists.
 *
 * @param modelDir - the model's directory
 * @param modelName - the model's name, used in I/O error messages
 * @param configName - a custom configuration's name (no path separators)
 * @throws InferenceError INVALID_ARG `<path>:line:col: ...` for syntax/schema errors; INTERNAL
 *   when the file exists but cannot be read
 * @example
 * ```ts
 * const raw = await readModelConfig('/models/densenet_onnx', 'densenet_onnx');
 * const config = normalizeConfig(raw ?? {}, { modelName: 'densenet_onnx' });
 * ```
 */
export async function readModelConfig(
  modelDir: string,
  modelName: string,
  configName?: string,
): Promise<Record<string, unknown> | undefined> {
  if (configName !== undefined) {
    const custom = await readConfigFile(join(modelDir, 'configs', `${configName}.pbtxt`), modelName);
    if (custom !== undefined) return custom;
  }
  return readConfigFile(join(modelDir, CONFIG_FILE_NAME), modelName);
}

async function readConfigFile(file: string, modelName: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InferenceError(
      'INTERNAL',
      `failed to read model configuration of '${modelName}' from ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseModelConfigText(text, file);
}
