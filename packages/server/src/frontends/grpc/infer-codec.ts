/**
 * Pure codec between the gRPC inference messages and the core's request/response types.
 *
 * Decoding keeps tensor data zero-copy: each `raw_input_contents` entry is a view into the
 * received message buffer and becomes the tensor's `data` as it is. Typed `contents` are
 * converted to raw little-endian bytes. Encoding always puts output data in
 * `raw_output_contents` (outputs' `contents` stay empty), as Triton does.
 *
 * This is the hot path of ModelInfer: plain loops, no regular expressions, no JSON.
 */
import {
  isDataType,
  elementCount,
  type InferParameterMap,
  type InferOutputTensorMessage,
  type ModelInferRequestMessage,
  type ModelInferResponseMessage,
} from '@tensorgate/protocol';
import { invalidArg } from '../../core/errors.js';
import type { InferRequest, InferResponse, Parameters, RequestedOutput, Tensor } from '../../core/types.js';
import { decodeParameters, encodeParameters, parameterValue } from './infer-parameters.js';
import { contentsToRaw, hasContents } from './tensor-contents.js';
import { hasKeys } from '../../core/has-keys.js';
import { setOwn } from '../../core/set-own.js';

/** The request parameter that asks for empty final responses on a stream. */
export const EMPTY_FINAL_PARAMETER = 'triton_enable_empty_final_response';
/** The response parameter that tells a streaming client whether a response is the last one. */
export const FINAL_RESPONSE_PARAMETER = 'triton_final_response';
/**
 * The response parameter (string) that carries the error code of a failed request on
 * ModelStreamInfer, whose `error_message` has no code of its own (Triton's protocol): `INVALID_ARG`,
 * `NOT_FOUND`, ... as in docs/errors.md. A tensorgate extension; clients that do not know it ignore it.
 */
export const ERROR_CODE_PARAMETER = 'tensorgate_error_code';
/** Request parameters starting with this are reserved for the server (Triton's rule). */
const RESERVED_PREFIX = 'triton_';

const EMPTY_BYTES = new Uint8Array(0);
/** The tensor parameter naming a shared-memory region (Triton's shared-memory extension). */
const SHM_REGION_PARAMETER = 'shared_memory_region';

function countShmInputs(inputs: ModelInferRequestMessage['inputs']): number {
  let n = 0;
  for (const inp of inputs) if (inp.parameters != null && inp.parameters[SHM_REGION_PARAMETER] != null) n++;
  return n;
}

/**
 * Decodes a ModelInferRequest into a core {@link InferRequest}. Throws INVALID_ARG with a
 * client-facing message when the request is malformed: unknown datatype, data both raw and
 * typed, a raw_input_contents count that does not match the inputs, an input without data, a
 * bad parameter, or an unknown `triton_` parameter. The reserved
 * `triton_enable_empty_final_response` parameter is checked (it must be a bool) and consumed
 * here; read it with {@link emptyFinalRequested}.
 *
 * @example
 * ```ts
 * const request = decodeInferRequest(ModelInferRequest.decode(buffer) as ModelInferRequestMessage);
 * ```
 */
export function decodeInferRequest(msg: ModelInferRequestMessage): InferRequest {
  const modelName = msg.model_name;
  const inputsMsg = msg.inputs;
  const raw = msg.raw_input_contents;
  const useRaw = raw !== undefined && raw.length > 0;
  // Inputs in shared memory (`shared_memory_region`) have no raw_input_contents entry.
  const shmInputs = useRaw && raw.length !== inputsMsg.length ? countShmInputs(inputsMsg) : 0;
  if (useRaw && raw.length !== inputsMsg.length - shmInputs) {
    throw invalidArg(
      `request for model '${modelName}' has ${inputsMsg.length - shmInputs} input(s)${shmInputs > 0 ? ' not in shared memory' : ''} but ${raw.length} raw_input_contents ` +
        `entries; send exactly one raw_input_contents entry per input, in the order of the inputs`,
    );
  }
  const inputs = new Array<Tensor>(inputsMsg.length);
  let rawIndex = 0;
  for (let i = 0; i < inputsMsg.length; i++) {
    const inp = inputsMsg[i]!;
    const datatype = inp.datatype;
    if (!isDataType(datatype)) {
      throw invalidArg(`input '${inp.name}' for model '${modelName}' has invalid datatype '${datatype}'`);
    }
    const shape = inp.shape;
    let data: Uint8Array;
    if (inp.parameters != null && inp.parameters[SHM_REGION_PARAMETER] != null) {
      if (hasContents(inp.contents)) {
        throw invalidArg(
          `unexpected 'content' provided when using shared memory for input tensor '${inp.name}' for model '${modelName}'`,
        );
      }
      // Read from the region by shared-memory/shm-tensors.ts, which consumes the parameters.
      data = EMPTY_BYTES;
    } else if (useRaw) {
      if (hasContents(inp.contents)) {
        throw invalidArg(
          `input '${inp.name}' for model '${modelName}' sets contents while the request uses raw_input_contents; ` +
            `send every input's data the same way`,
        );
      }
      data = raw[rawIndex++]!;
    } else if (hasContents(inp.contents)) {
      data = contentsToRaw(datatype, shape, inp.contents, `input '${inp.name}' for model '${modelName}'`);
    } else if (elementCount(shape) === 0) {
      data = EMPTY_BYTES;
    } else {
      throw invalidArg(
        `input '${inp.name}' for model '${modelName}' has no data: set raw_input_contents or the input's contents`,
      );
    }
    const p = inp.parameters;
    inputs[i] =
      p != null && hasKeys(p)
        ? { name: inp.name, datatype, shape, data, parameters: decodeParameters(p, `input '${inp.name}'`) }
        : { name: inp.name, datatype, shape, data };
  }
  const outputsMsg = msg.outputs;
  const outputs = new Array<RequestedOutput>(outputsMsg === undefined ? 0 : outputsMsg.length);
  for (let i = 0; i < outputs.length; i++) {
    const out = outputsMsg![i]!;
    outputs[i] = { name: out.name, parameters: decodeParameters(out.parameters, `output '${out.name}'`) };
  }
  return {
    modelName,
    modelVersion: msg.model_version,
    id: msg.id,
    inputs,
    outputs,
    parameters: decodeRequestParameters(msg.parameters),
  };
}

/** Request parameters without the reserved `triton_` ones, which are validated here. */
function decodeRequestParameters(map: InferParameterMap | null | undefined): Parameters {
  const out: Parameters = {};
  if (map == null) return out;
  for (const key in map) {
    const value = parameterValue(map[key]);
    if (value === undefined) throw invalidArg(`parameter '${key}' of request has no value`);
    if (key.startsWith(RESERVED_PREFIX)) {
      if (key !== EMPTY_FINAL_PARAMETER) {
        throw invalidArg(
          `parameter keys starting with '${RESERVED_PREFIX}' are reserved; the only one accepted is '${EMPTY_FINAL_PARAMETER}'`,
        );
      }
      if (typeof value !== 'boolean') {
        throw invalidArg(`invalid value type for '${EMPTY_FINAL_PARAMETER}' parameter, expected bool_param`);
      }
      continue;
    }
    setOwn(out, key, value);
  }
  return out;
}

/** True when the request asked for empty final responses (`triton_enable_empty_final_response`). */
export function emptyFinalRequested(msg: ModelInferRequestMessage): boolean {
  const p = msg.parameters?.[EMPTY_FINAL_PARAMETER];
  return p != null && p.bool_param === true;
}

/**
 * Encodes a core {@link InferResponse} as a ModelInferResponse: every output's data goes to
 * `raw_output_contents`, in the order of `outputs`. The returned `parameters` object is fresh,
 * so callers may add to it (the stream adds `triton_final_response`).
 */
export function encodeInferResponse(
  response: InferResponse,
): ModelInferResponseMessage & { parameters: InferParameterMap } {
  const tensors = response.outputs;
  const n = tensors.length;
  const outputs = new Array<InferOutputTensorMessage>(n);
  const raw = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) {
    const t = tensors[i]!;
    outputs[i] = {
      name: t.name,
      datatype: t.datatype,
      shape: t.shape as number[],
      parameters: encodeParameters(t.parameters),
    };
    raw[i] = t.data;
  }
  return {
    model_name: response.modelName,
    model_version: response.modelVersion,
    id: response.id,
    parameters: encodeParameters(response.parameters),
    outputs,
    raw_output_contents: raw,
  };
}
