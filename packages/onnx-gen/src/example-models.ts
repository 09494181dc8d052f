import { classifierLabels, imageClassifierOnnx } from './image-classifier.js';
import { createLstmForecaster, lstmTimeseriesOnnx } from './lstm-timeseries.js';

/** One generated file of the example model repository. */
export interface GeneratedFile {
  /** Path relative to the model repository root, with `/` separators. */
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** Model repository folder the examples live in, relative to the repo root. */
export const EXAMPLE_REPOSITORY = 'examples/model_repository';

/**
 * Generates every example model file in memory (the ONNX models and the classifier's label file,
 * twice: ensemble_image has its own copy; the hand-written config.pbtxt files are not generated).
 * Deterministic: the same bytes on every call and machine, which is what `generate-models --check`
 * relies on.
 *
 * @example
 * ```ts
 * for (const f of generateExampleFiles()) console.log(f.path, f.bytes.length);
 * ```
 */
export function generateExampleFiles(): GeneratedFile[] {
  return [
    { path: 'lstm_timeseries/1/model.onnx', bytes: lstmTimeseriesOnnx(createLstmForecaster()) },
    { path: 'image_classifier/1/model.onnx', bytes: imageClassifierOnnx() },
    { path: 'image_classifier/labels.txt', bytes: new TextEncoder().encode(classifierLabels()) },
    // The ensemble over image_classifier labels its output with its own copy (a config's files stay
    // inside its model folder).
    { path: 'ensemble_image/labels.txt', bytes: new TextEncoder().encode(classifierLabels()) },
  ];
}
