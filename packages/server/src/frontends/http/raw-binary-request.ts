/**
 * Triton's "raw binary request" (binary tensor data extension): `Inference-Header-Content-Length: 0`
 * and a body that is nothing but one input's bytes. The tensor's name, datatype and shape come from
 * the model configuration: the model must have exactly one input; a non-BYTES input may have at
 * most one variable dimension (deduced from the byte size); a BYTES input must hold one element.
 * A batching model gets a batch of 1, and every output is returned as binary data.
 */
import {
  DATATYPES,
  countBytesElements,
  elementCount,
  fromConfigDataType,
  TensorCodecError,
} from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import { invalidArg } from '../../core/errors.js';
import type { DecodedInferRequest, InferTarget } from './infer-json-codec.js';

/**
 * Builds the request of a raw binary body from the model's configuration.
 *
 * @throws InferenceError INVALID_ARG when the model does not qualify or the size does not fit.
 * @example
 * ```ts
 * const decoded = decodeRawBinaryRequest(body, core.modelConfig('m'), { modelName: 'm', modelVersion: '' });
 * ```
 */
export function decodeRawBinaryRequest(
  body: Uint8Array,
  config: ModelConfig,
  target: InferTarget,
): DecodedInferRequest {
  const prefix = `raw binary request (Inference-Header-Content-Length: 0) for model '${target.modelName}'`;
  if (config.input.length !== 1) {
    throw invalidArg(`${prefix}: the model must have exactly 1 input, it has ${config.input.length}`);
  }
  const input = config.input[0]!;
  const datatype = fromConfigDataType(input.data_type);
  if (datatype === undefined)
    throw invalidArg(`${prefix}: input '${input.name}' has unsupported type ${input.data_type}`);

  let shape: number[];
  if (datatype === 'BYTES') {
    let count: number;
    try {
      count = countBytesElements(body);
    } catch (err) {
      if (err instanceof TensorCodecError) throw invalidArg(`${prefix}: malformed BYTES data: ${err.message}`);
      throw err;
    }
    shape = input.dims.map((d) => (d < 0 ? 1 : d));
    if (count !== 1 || elementCount(shape) !== 1) {
      throw invalidArg(`${prefix}: a BYTES input must have shape [1] and exactly one element (got ${count})`);
    }
  } else {
    const variable = input.dims.filter((d) => d < 0).length;
    if (variable > 1) {
      throw invalidArg(
        `${prefix}: input '${input.name}' has ${variable} variable dimensions; at most 1 can be deduced`,
      );
    }
    const fixedBytes = input.dims.reduce((n, d) => (d < 0 ? n : n * d), 1) * DATATYPES[datatype].byteSize;
    if (variable === 1) {
      if (fixedBytes === 0 || body.byteLength % fixedBytes !== 0) {
        throw invalidArg(
          `${prefix}: ${body.byteLength} byte(s) is not a whole number of ${fixedBytes}-byte rows of input '${input.name}'`,
        );
      }
      shape = input.dims.map((d) => (d < 0 ? body.byteLength / fixedBytes : d));
    } else {
      if (body.byteLength !== fixedBytes) {
        throw invalidArg(`${prefix}: input '${input.name}' needs ${fixedBytes} byte(s), got ${body.byteLength}`);
      }
      shape = [...input.dims];
    }
  }
  if (config.max_batch_size > 0) shape = [1, ...shape];

  return {
    request: {
      modelName: target.modelName,
      modelVersion: target.modelVersion,
      id: '',
      inputs: [{ name: input.name, datatype, shape, data: body }],
      outputs: [],
      parameters: {},
    },
    outputEncoding: { defaultBinary: true, binaryByName: new Map() },
  };
}
