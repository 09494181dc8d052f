/**
 * Public entry of @tensorgate/onnx-gen: a small deterministic ONNX model writer
 * ({@link GraphBuilder}) and the generators of tensorgate's example models.
 */
export { GraphBuilder, DEFAULT_OPSET } from './graph-builder.js';
export type { ValueSpec, GraphBuilderOptions } from './graph-builder.js';
export type { AttrValue } from './attributes.js';
export { encodeAttribute } from './attributes.js';
export type { OnnxElemType } from './elem-types.js';
export { ELEM_TYPE_INFO } from './elem-types.js';
export { encodeTensor, elementCount, externalTensor } from './tensor-encoding.js';
export type { TensorData, ExternalLocation } from './tensor-encoding.js';
export { onnx } from './onnx-proto.js';
export { EXAMPLE_REPOSITORY, type GeneratedFile } from './example-models.js';
export { runGeneratedFilesCli, runIfMain } from './generated-files-cli.js';
export { accumulatorStateOnnx, addSubOnnx, addExternalWeightsOnnx, identityOnnx } from './test-fixtures.js';

/** Version of this package. */
export const ONNX_GEN_VERSION = '0.1.0';
