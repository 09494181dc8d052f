/** Public entry of @tensorgate/onnx-gen (filled in by the builder and model modules). */
export const ONNX_GEN_VERSION = '0.1.0';
