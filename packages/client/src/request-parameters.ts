/**
 * The request parameters an {@link InferOptions} stands for, in the protocol's names (Triton's
 * `priority`, `timeout`, `sequence_*`), shared by both transports' request encoders.
 */
import { invalidArgument } from './errors.js';
import type { InferOptions, ParameterValue } from './options.js';

/**
 * Collects the request parameters of `options`: the custom `parameters` first, then the named
 * options (which win over a custom parameter of the same name).
 *
 * @example
 * ```ts
 * requestParameters({ priority: 1, parameters: { mode: 'fast' } }) // { mode: 'fast', priority: 1 }
 * ```
 */
export function requestParameters(options: InferOptions): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = { ...options.parameters };
  if (options.priority !== undefined) out['priority'] = nonNegativeInteger('priority', options.priority);
  if (options.serverTimeoutUs !== undefined) {
    out['timeout'] = nonNegativeInteger('serverTimeoutUs', options.serverTimeoutUs);
  }
  if (options.sequenceId !== undefined) out['sequence_id'] = options.sequenceId;
  if (options.sequenceStart !== undefined) out['sequence_start'] = options.sequenceStart;
  if (options.sequenceEnd !== undefined) out['sequence_end'] = options.sequenceEnd;
  return out;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw invalidArgument(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

/** The version string a URL or message carries ('' = the server chooses). */
export function versionString(version: string | number | undefined): string {
  return version === undefined ? '' : String(version);
}

/**
 * Whether the request belongs to a sequence (a `sequenceId`, or a custom `sequence_id` parameter,
 * other than 0 or ''): the server keeps state per sequence, so such a request must not run twice.
 */
export function inSequence(options: InferOptions): boolean {
  const id = options.sequenceId ?? options.parameters?.['sequence_id'];
  return id !== undefined && id !== 0 && id !== '';
}
