import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../errors.js';
import { autofillBackendFields, checkPlatformBackend, type AutofillOptions } from './backend-autofill.js';

const fill = (cfg: Record<string, unknown>, options: Partial<AutofillOptions> = {}) => {
  const c = { ...cfg };
  autofillBackendFields(c, { modelName: 'm', ...options });
  return [c['platform'], c['backend'], c['default_model_filename']];
};

describe('autofillBackendFields', () => {
  test('from the platform', () => {
    assert.deepEqual(fill({ platform: 'onnxruntime_onnx' }), ['onnxruntime_onnx', 'onnxruntime', 'model.onnx']);
    assert.deepEqual(fill({ platform: 'tensorrt_plan' }), ['tensorrt_plan', 'tensorrt', 'model.plan']);
    assert.deepEqual(fill({ platform: 'tensorflow_savedmodel' }), [
      'tensorflow_savedmodel',
      'tensorflow',
      'model.savedmodel',
    ]);
    assert.deepEqual(fill({ platform: 'pytorch_libtorch' }), ['pytorch_libtorch', 'pytorch', 'model.pt']);
  });

  test('from the backend', () => {
    assert.deepEqual(fill({ backend: 'onnxruntime' }), ['onnxruntime_onnx', 'onnxruntime', 'model.onnx']);
    assert.deepEqual(fill({ backend: 'python' }), ['', 'python', 'model.py']);
    assert.deepEqual(fill({ backend: 'custom' }), ['', 'custom', '']);
  });

  test('from default_model_filename and from version folder files', () => {
    assert.deepEqual(fill({ default_model_filename: 'model.onnx' }), ['onnxruntime_onnx', 'onnxruntime', 'model.onnx']);
    assert.deepEqual(fill({}, { versionFiles: ['model.plan'] }), ['tensorrt_plan', 'tensorrt', 'model.plan']);
    assert.deepEqual(fill({}, { versionFiles: ['model.js'], extraBackendFiles: { 'model.js': 'js' } }), [
      '',
      'js',
      'model.js',
    ]);
  });

  test('from a model.<backend> model name, else an error', () => {
    assert.deepEqual(fill({}, { modelName: 'foo.identity' }), ['', 'identity', 'model.identity']);
    assert.throws(
      () => fill({}),
      (err: unknown) =>
        err instanceof InferenceError &&
        err.code === 'INVALID_ARG' &&
        /Could not determine backend for model 'm'/.test(err.message),
    );
  });

  test('ensembles keep an empty backend', () => {
    assert.deepEqual(fill({ platform: 'ensemble' }), ['ensemble', '', '']);
  });
});

describe('checkPlatformBackend', () => {
  test('accepts consistent pairs and unknown backends with any platform', () => {
    checkPlatformBackend('m', 'onnxruntime_onnx', 'onnxruntime');
    checkPlatformBackend('m', 'whatever', 'python');
    checkPlatformBackend('m', 'ensemble', '');
  });
  test('rejects inconsistent pairs', () => {
    assert.throws(
      () => checkPlatformBackend('m', 'tensorrt_plan', 'onnxruntime'),
      /unexpected 'platform' and 'backend' pair, got:tensorrt_plan, onnxruntime/,
    );
    assert.throws(() => checkPlatformBackend('m', '', 'tensorflow'), /unexpected 'platform' and 'backend' pair/);
  });
});
