/**
 * Which requests may share a batch. A batch is one tensor per input, so its requests must agree on
 * everything but the batch dimension. Triton's dynamic batcher checks (`RequiredEqualInputs`):
 * - inputs with a variable dim (-1) that do not `allow_ragged_batch`: equal non-batch shapes;
 * - shape tensors (`is_shape_tensor`): equal shapes and equal contents;
 * - when the model has optional inputs: the same set of inputs.
 * Inputs with fixed dims always agree once validated, so a model with none of the above batches
 * any requests together and needs no check at all.
 *
 * We fold what must agree into one string per request (its signature): two requests batch together
 * exactly when their signatures are equal.
 */
import type { ModelConfig } from '../config/model-config.js';
import type { Tensor } from '../types.js';

/** Builds a request's signature from its (validated) inputs. */
export type SignatureOf = (inputs: readonly Tensor[]) => string;

const hex = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');

/**
 * The signature function of a model, or undefined when every pair of its requests may batch
 * together (then the batcher skips the check).
 *
 * @example
 * ```ts
 * const signatureOf = batchSignature(config);
 * const sig = signatureOf ? signatureOf(request.inputs) : '';
 * ```
 */
export function batchSignature(config: Pick<ModelConfig, 'input' | 'max_batch_size'>): SignatureOf | undefined {
  const shapeChecked = new Set<string>();
  const contentChecked = new Set<string>();
  let optional = false;
  for (const input of config.input) {
    if (input.optional) optional = true;
    if (input.is_shape_tensor) {
      shapeChecked.add(input.name);
      contentChecked.add(input.name);
    } else if (!input.allow_ragged_batch) {
      const dims = input.reshape?.shape ?? input.dims;
      if (input.dims.includes(-1) || dims.includes(-1)) shapeChecked.add(input.name);
    }
  }
  if (!optional && shapeChecked.size === 0) return undefined;
  const batched = config.max_batch_size > 0;
  return (inputs) => {
    const parts: string[] = [];
    for (const t of inputs) {
      let part = t.name;
      if (shapeChecked.has(t.name)) part += `:${(batched ? t.shape.slice(1) : t.shape).join(',')}`;
      if (contentChecked.has(t.name)) part += `=${hex(t.data)}`;
      // Without optional inputs every request has every input, so only the checked ones matter.
      if (optional || part !== t.name) parts.push(part);
    }
    return parts.sort().join('|');
  };
}
