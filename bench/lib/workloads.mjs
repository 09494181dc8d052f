// The models the benchmarks drive, described once: where the example lives, how to build a request
// carrying a batch of b items (the same bytes over gRPC and, for ONNX models, as in-process feeds),
// and which outputs a response must carry.
import { join } from 'node:path';
import { loadProtoRoot } from '@tensorgate/protocol';
import { ROOT } from './cli.mjs';

const EXAMPLES = join(ROOT, 'examples', 'model_repository');

/**
 * Presets by name. Each: { dir, onnxFile? (relative to dir), inputs: [{ name, datatype, dims }],
 * outputs: [names] }. `dims` exclude the batch dimension (every preset has max_batch_size > 0).
 */
export const WORKLOADS = {
  lstm: {
    dir: join(EXAMPLES, 'lstm_timeseries'),
    onnxFile: '1/model.onnx',
    inputs: [{ name: 'INPUT', datatype: 'FP32', dims: [10, 1] }],
    outputs: ['OUTPUT'],
  },
  classifier: {
    dir: join(EXAMPLES, 'image_classifier'),
    onnxFile: '1/model.onnx',
    inputs: [{ name: 'input', datatype: 'FP32', dims: [3, 224, 224] }],
    outputs: ['output'],
  },
  // The JS example model: lets every script run (and be checked) without the ONNX backend.
  simple: {
    dir: join(EXAMPLES, 'simple'),
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', dims: [16] },
      { name: 'INPUT1', datatype: 'INT32', dims: [16] },
    ],
    outputs: ['OUTPUT0', 'OUTPUT1'],
  },
};

/** Resolves --workload and an optional --model-dir override (same inputs, another folder). */
export function workload(name, modelDir) {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`unknown workload ${name}; one of ${Object.keys(WORKLOADS).join(', ')}`);
  return modelDir ? { ...w, dir: modelDir } : w;
}

const TYPED = { FP32: Float32Array, INT32: Int32Array, FP64: Float64Array, INT64: BigInt64Array };
const ORT_TYPE = { FP32: 'float32', INT32: 'int32', FP64: 'float64', INT64: 'int64' };

/** Deterministic input data for one tensor of `batch` items (values in [-1, 1], or small ints). */
export function inputData(input, batch) {
  const Typed = TYPED[input.datatype];
  if (!Typed) throw new Error(`no data generator for ${input.datatype}`);
  const n = batch * input.dims.reduce((a, b) => a * b, 1);
  const a = new Typed(n);
  for (let i = 0; i < n; i++) {
    const v = Math.sin(i * 0.37);
    a[i] = Typed === BigInt64Array ? BigInt(Math.round(v * 100)) : Typed === Int32Array ? Math.round(v * 100) : v;
  }
  return a;
}

/** The encoded ModelInferRequest (protobuf bytes, not gRPC-framed) for `batch` items. */
export function inferRequestBytes(w, modelName, batch) {
  const T = loadProtoRoot().lookupType('inference.ModelInferRequest');
  const msg = {
    model_name: modelName,
    inputs: w.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: [batch, ...i.dims] })),
    raw_input_contents: w.inputs.map((i) => {
      const a = inputData(i, batch);
      return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    }),
  };
  return Buffer.from(T.encode(T.fromObject(msg)).finish());
}

/** onnxruntime-node feeds with the same data as inferRequestBytes(w, _, batch). */
export function ortFeeds(ort, w, batch) {
  const feeds = {};
  for (const i of w.inputs)
    feeds[i.name] = new ort.Tensor(ORT_TYPE[i.datatype], inputData(i, batch), [batch, ...i.dims]);
  return feeds;
}
