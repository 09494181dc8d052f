/**
 * The response cache's key for one request, as Triton's RequestResponseCache hashes it: model
 * name, model version and every input (name, datatype, shape, bytes) in a canonical order (by
 * name), plus what else changes the response here: the outputs asked for (in order, with their
 * classification counts) and the request parameters other than scheduling ones. The key is a
 * SHA-256 digest (Triton uses a 64-bit hash; 256 bits make collisions negligible).
 */
import { createHash, type Hash } from 'node:crypto';
import type { InferRequest, ParameterValue } from '../types.js';
import type { ValidatedRequest } from '../validate-request.js';

/**
 * Request parameters that schedule a request but never change its outputs; every other
 * parameter is part of the key (a model may read any of them).
 */
const SCHEDULING_PARAMETERS = new Set(['priority', 'timeout', 'triton_enable_empty_final_response']);

/** Why a request is not looked up in the cache, or undefined when it may be. */
export function uncacheableReason(request: InferRequest): string | undefined {
  const p = request.parameters;
  // Requests of a sequence carry state: Triton caches only default/dynamic batcher requests.
  const seq = p['sequence_id'];
  if (seq !== undefined && seq !== 0 && seq !== '' && seq !== '0') return 'a sequence request';
  if (p['sequence_start'] === true || p['sequence_end'] === true) return 'a sequence request';
  return undefined;
}

function text(hash: Hash, s: string): void {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32LE(b.byteLength);
  hash.update(len);
  hash.update(b);
}

function value(v: ParameterValue): string {
  return `${typeof v}:${String(v)}`;
}

/**
 * The hex key of `request` for model `model` version `version` (every field length-prefixed, so
 * no two different requests serialize alike).
 *
 * @example
 * ```ts
 * const key = cacheKey('simple', '1', request, validated); // 64 hex digits
 * ```
 */
export function cacheKey(model: string, version: string, request: InferRequest, validated: ValidatedRequest): string {
  const hash = createHash('sha256');
  text(hash, model);
  text(hash, version);
  const inputs = [...validated.inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  text(hash, `inputs:${inputs.length}`);
  for (const t of inputs) {
    text(hash, t.name);
    text(hash, t.datatype);
    text(hash, t.shape.join(','));
    text(hash, `bytes:${t.data.byteLength}`);
    hash.update(t.data);
  }
  text(hash, `outputs:${validated.requestedOutputs.length}`);
  for (const name of validated.requestedOutputs) {
    text(hash, name);
    text(hash, String(validated.classification?.get(name) ?? 0));
  }
  const params = Object.keys(request.parameters)
    .filter((k) => !SCHEDULING_PARAMETERS.has(k))
    .sort();
  text(hash, `parameters:${params.length}`);
  for (const k of params) {
    text(hash, k);
    text(hash, value(request.parameters[k]!));
  }
  return hash.digest('hex');
}
