/**
 * Config `reshape`: the model sees `reshape.shape` where the client sees `dims` (inputs on the way
 * in, outputs on the way out). One function gives a tensor either shape.
 */
import { elementCount } from '@tensorgate/protocol';
import type { Tensor } from './types.js';

/**
 * `t` with shape `dims` (after its own batch dimension when `batching`); a -1 in `dims` takes
 * whatever size keeps the element count.
 *
 * @example
 * ```ts
 * reshapeTo({ ...t, shape: [2, 16] }, [4, -1], true).shape // [2, 4, 4]
 * ```
 */
export function reshapeTo(t: Tensor, dims: readonly number[], batching: boolean): Tensor {
  const shape = batching ? [t.shape[0]!, ...dims] : [...dims];
  const wild = shape.indexOf(-1, batching ? 1 : 0);
  if (wild >= 0) {
    const known = shape.reduce((a, d, i) => (i === wild ? a : a * d), 1);
    shape[wild] = known === 0 ? 0 : elementCount(t.shape) / known;
  }
  return { ...t, shape };
}
