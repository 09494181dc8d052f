/**
 * Test helpers for the onnxruntime backend (its fixture models come from @tensorgate/onnx-gen, a
 * dev dependency): temporary repositories, and configs for them. Used only
 * by the `*.test.ts` files beside it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OnnxElemType } from '@tensorgate/onnx-gen';
import type { ConfigDataType } from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import { makeConfig, type ConfigSpec } from '../js/js-backend.test-helper.js';

const repos: string[] = [];

/** Writes `<repo>/<name>/<version>/<file>`; creates a temporary repo unless one is given. */
export async function writeOnnx(
  name: string,
  bytes: Uint8Array | string,
  opts: { repo?: string; version?: number; file?: string; config?: string } = {},
): Promise<string> {
  const repo = opts.repo ?? (await mkdtemp(join(tmpdir(), 'tg-ort-')));
  if (!opts.repo) repos.push(repo);
  const dir = join(repo, name, String(opts.version ?? 1));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, opts.file ?? 'model.onnx'), bytes);
  if (opts.config !== undefined) await writeFile(join(repo, name, 'config.pbtxt'), opts.config);
  return repo;
}

/** Removes the repositories {@link writeOnnx} created. */
export async function removeOnnxRepos(): Promise<void> {
  await Promise.all(repos.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A normalized onnxruntime config (see the js helper `makeConfig`). */
export function ortConfig(spec: ConfigSpec & { parameters?: Record<string, string> }): ModelConfig {
  const config = makeConfig(spec);
  const parameters = Object.fromEntries(
    Object.entries(spec.parameters ?? {}).map(([k, v]) => [k, { string_value: v }]),
  );
  return { ...config, backend: 'onnxruntime', platform: 'onnxruntime_onnx', parameters };
}

/** ONNX element type ↔ config datatype of every type the backend serves. */
export const SERVED_TYPES: ReadonlyArray<readonly [OnnxElemType, ConfigDataType]> = [
  ['float32', 'TYPE_FP32'],
  ['float64', 'TYPE_FP64'],
  ['float16', 'TYPE_FP16'],
  ['int8', 'TYPE_INT8'],
  ['int16', 'TYPE_INT16'],
  ['int32', 'TYPE_INT32'],
  ['int64', 'TYPE_INT64'],
  ['uint8', 'TYPE_UINT8'],
  ['uint16', 'TYPE_UINT16'],
  ['uint32', 'TYPE_UINT32'],
  ['uint64', 'TYPE_UINT64'],
  ['bool', 'TYPE_BOOL'],
  ['string', 'TYPE_STRING'],
];
