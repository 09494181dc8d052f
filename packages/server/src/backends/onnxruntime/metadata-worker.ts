/**
 * Entry of the short-lived worker that reads an ONNX model's inputs and outputs for config
 * auto-complete. Opening a session blocks its thread (parsing, graph checks), so it happens here
 * rather than on the server's event loop; the worker posts the metadata and exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { checkExternalData } from './external-data.js';
import type { MetadataReply, MetadataRequest } from './read-metadata.js';
import type { OrtValueInfo } from './ort-types.js';

if (!parentPort) throw new Error('metadata-worker must run in a worker thread');
const port = parentPort;
const { file, modelPath } = workerData as MetadataRequest;

/** Plain, cloneable copies of the session's metadata objects. */
const plain = (list: readonly OrtValueInfo[]): OrtValueInfo[] =>
  list.map((m) =>
    m.isTensor
      ? { name: m.name, isTensor: true, type: m.type ?? '', shape: [...(m.shape ?? [])] }
      : { name: m.name, isTensor: false },
  );

let reply: MetadataReply | undefined;
try {
  await checkExternalData(file, modelPath);
} catch (err) {
  reply = { refused: (err as Error).message };
}
if (!reply) {
  try {
    // No graph optimization and one thread: only the declared inputs and outputs are read.
    const session = await ort.InferenceSession.create(file, {
      graphOptimizationLevel: 'disabled',
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
    });
    reply = { inputs: plain(session.inputMetadata), outputs: plain(session.outputMetadata) };
    await session.release();
  } catch (err) {
    reply = { error: err instanceof Error ? err.message : String(err) };
  }
}
port.postMessage(reply);
