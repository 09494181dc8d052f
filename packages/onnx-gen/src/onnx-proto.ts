/**
 * ESM access to the `onnx-proto` package.
 *
 * `onnx-proto` is a CommonJS module whose `module.exports` is the protobufjs root object
 * (`{ onnx }`); Node's CJS export detection cannot see that property, so a named ESM import
 * (`import { onnx } from 'onnx-proto'`) fails at run time. The default import is the whole
 * `module.exports`, which TypeScript types as the module namespace, so we unwrap it here once.
 */
import onnxProtoModule from 'onnx-proto';

/**
 * The static protobufjs classes of the ONNX schema (ModelProto, GraphProto, TensorProto, ...),
 * generated from onnx v1.10.2 (IR version 8).
 *
 * @example
 * ```ts
 * const bytes = onnx.ModelProto.encode({ irVersion: 8 }).finish();
 * ```
 */
export const onnx = onnxProtoModule.onnx;

/** Type-level alias of the `onnx` namespace, for interface types such as `onnx.ITensorProto`. */
export type { onnx as OnnxTypes } from 'onnx-proto';
