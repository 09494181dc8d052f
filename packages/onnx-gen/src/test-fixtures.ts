/**
 * Small ONNX models the server's tests load (unit tests of the onnxruntime backend and wire tests
 * alike), written once here rather than in each test folder.
 */
import { GraphBuilder } from './graph-builder.js';
import type { OnnxElemType } from './elem-types.js';

/**
 * An Identity model `IN → OUT` of one element type and shape.
 *
 * @example identityOnnx('string', ['batch', 'n'])
 */
export function identityOnnx(type: OnnxElemType, shape: readonly (number | string)[]): Uint8Array {
  return new GraphBuilder(`identity_${type}`)
    .input({ name: 'IN', type, shape })
    .output({ name: 'OUT', type, shape })
    .node('Identity', ['IN'], ['OUT'])
    .toBytes();
}

/**
 * `SUM = A + B`, `DIFF = A - B` over float32 `[batch, n]` (n symbolic when `n` is a string), so
 * each output row depends only on its own input row: a request that got another's rows shows it.
 *
 * @example addSubOnnx() // [batch, 4]
 */
export function addSubOnnx(n: number | string = 4): Uint8Array {
  const shape = ['batch', n];
  return new GraphBuilder('add_sub')
    .input({ name: 'A', type: 'float32', shape })
    .input({ name: 'B', type: 'float32', shape })
    .output({ name: 'SUM', type: 'float32', shape })
    .output({ name: 'DIFF', type: 'float32', shape })
    .node('Add', ['A', 'B'], ['SUM'])
    .node('Sub', ['A', 'B'], ['DIFF'])
    .toBytes();
}

/**
 * `OUT = IN + W` over float32 `[n]`, with `W` stored as ONNX external data at `location`
 * (relative to the model file), for tests of external data files.
 *
 * @example addExternalWeightsOnnx('weights.bin', 4) // then write 4 float32 values to 1/weights.bin
 */
export function addExternalWeightsOnnx(location: string, n = 4): Uint8Array {
  return new GraphBuilder('add_external_weights')
    .input({ name: 'IN', type: 'float32', shape: [n] })
    .output({ name: 'OUT', type: 'float32', shape: [n] })
    .externalInitializer('W', 'float32', [n], { location })
    .node('Add', ['IN', 'W'], ['OUT'])
    .toBytes();
}

/**
 * A stateful accumulator for implicit state (`sequence_batching { state [...] }`): `OUTPUT =
 * INPUT + INPUT_STATE` and `OUTPUT_STATE = OUTPUT`, over `type` `[batch, n]` (`n` symbolic when a
 * string). The server feeds `INPUT_STATE` and keeps `OUTPUT_STATE`; neither is in the config's
 * input or output list, so each response is the running sum of the sequence's inputs.
 *
 * @example accumulatorStateOnnx() // int32 [batch, 1]
 */
export function accumulatorStateOnnx(type: OnnxElemType = 'int32', n: number | string = 1): Uint8Array {
  const shape = ['batch', n];
  return new GraphBuilder('accumulator_state')
    .input({ name: 'INPUT', type, shape })
    .input({ name: 'INPUT_STATE', type, shape })
    .output({ name: 'OUTPUT', type, shape })
    .output({ name: 'OUTPUT_STATE', type, shape })
    .node('Add', ['INPUT', 'INPUT_STATE'], ['OUTPUT'])
    .node('Identity', ['OUTPUT'], ['OUTPUT_STATE'])
    .toBytes();
}
