/**
 * The onnxruntime backend: `createOnnxRuntimeBackend()` for the composition root (see
 * docs/onnxruntime-backend.md).
 */
export { createOnnxRuntimeBackend, ORT_MODEL_FILE, type OnnxRuntimeBackendOptions } from './ort-backend.js';
export { DEFAULT_MAX_BATCH_SIZE } from './auto-complete.js';
export { CUDA_INSTALL_HINT, detectCudaSupport, type CudaSupport } from './execution-providers.js';
