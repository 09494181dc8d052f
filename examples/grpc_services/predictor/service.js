// Handlers of modelserving.Predictor (service.proto), backed by the example repository's
// image_classifier (and image_preprocess for PredictFast). Each runs in a service worker thread;
// `models` calls the served models in process, through their schedulers and dynamic batching.

const DEFAULT_MODEL = 'image_classifier';

/** Softmax of the logits: the probabilities and the largest one. */
function probabilities(logits) {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  let confidence = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] /= sum;
    if (out[i] > confidence) confidence = out[i];
  }
  return { predictions: out, confidence };
}

/** Runs the classifier on one CHW image given as floats (an array or a Float32Array). */
async function classify(models, modelName, data, width, height) {
  const response = await models.infer({
    model: modelName || DEFAULT_MODEL,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, height, width], data }],
  });
  if (response.error) throw response.error; // e.g. INVALID_ARG for a wrong size, NOT_FOUND
  return probabilities(response.outputs[0].data);
}

function checkSize(request) {
  const { width, height, tensor_data: data } = request;
  if (width <= 0 || height <= 0 || data.length !== 3 * width * height) {
    const err = new Error(
      `tensor_data must hold 3 x height x width floats (CHW): got ${data.length} for width ${width}, height ${height}`,
    );
    err.code = 'INVALID_ARGUMENT';
    throw err;
  }
}

export async function Predict(request, { models }) {
  checkSize(request);
  return classify(models, request.model_name, request.tensor_data, request.width, request.height);
}

export async function PredictFast(request, { models }) {
  const prepared = await models.infer({
    model: 'image_preprocess',
    inputs: [{ name: 'IMAGE', datatype: 'BYTES', shape: [1, 1], data: [request.raw_image] }],
  });
  if (prepared.error) throw prepared.error; // INVALID_ARG for bytes that are not an image
  const image = prepared.outputs[0]; // FP32 [1, 3, 224, 224]
  return classify(models, request.model_name, image.data, image.shape[3], image.shape[2]);
}

export async function* StreamPredict(requests, { models }) {
  for await (const request of requests) {
    checkSize(request);
    yield await classify(models, request.model_name, request.tensor_data, request.width, request.height);
  }
}
