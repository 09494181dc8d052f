/**
 * Reads an ONNX model's declared inputs and outputs off the event loop, in a short-lived worker
 * (metadata-worker.ts), for config auto-complete.
 */
import { InferenceError } from '../../core/errors.js';
import { startWorker } from '../js/worker-entry.js';
import { explainOrtLoadError, type OnnxModelMetadata } from './ort-types.js';

/** What the metadata worker receives. */
export interface MetadataRequest {
  readonly file: string;
  /** The model folder: the file's external data must lie inside it (checked before ORT opens it). */
  readonly modelPath: string;
}

/** What the metadata worker answers: the metadata, ORT's error, or why the file was not opened. */
export type MetadataReply = OnnxModelMetadata | { readonly error: string } | { readonly refused: string };

const ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './metadata-worker.ts' : './metadata-worker.js',
  import.meta.url,
);

/**
 * Opens `file` with ONNX Runtime in a worker and returns its inputs and outputs. The worker first
 * checks that the file's external data lies inside `modelPath` (see external-data.ts).
 *
 * @throws Error with ORT's message (unsupported element types explained) when the file cannot be opened
 * @example
 * ```ts
 * const meta = await readOnnxMetadata('/models/vad/1/model.onnx');
 * meta.inputs.map((i) => i.name); // ['input', 'sr', 'h', 'c']
 * ```
 */
export function readOnnxMetadata(file: string, modelPath: string): Promise<OnnxModelMetadata> {
  return new Promise((resolve, reject) => {
    const request: MetadataRequest = { file, modelPath };
    const worker = startWorker({ workerData: request, name: 'onnx-metadata' }, ENTRY);
    let settled = false;
    worker.once('message', (reply: MetadataReply) => {
      settled = true;
      void worker.terminate();
      if ('refused' in reply) reject(new InferenceError('INVALID_ARG', reply.refused));
      else if ('error' in reply) reject(new Error(explainOrtLoadError(reply.error)));
      else resolve(reply);
    });
    worker.once('error', (err) => {
      if (settled) return;
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the metadata worker exited with code ${code} before answering`));
    });
  });
}
