import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../../core/errors.js';
import { makeConfig, makeContext } from '../js/js-backend.test-helper.js';
import { createLlmBackend } from './llm-backend.js';

test('the worker-thread limits are refused by name, not ignored, by the llm backend', async () => {
  for (const key of ['execution_timeout_ms', 'memory_limit_mb']) {
    const config = {
      ...makeConfig({
        name: 'llm',
        inputs: [['text_input', 'TYPE_STRING', [1]]],
        outputs: [['text_output', 'TYPE_STRING', [-1]]],
        decoupled: true,
        parameters: { [key]: '1000' },
      }),
      backend: 'llm',
    };
    await assert.rejects(
      createLlmBackend().loadModel(makeContext('/nonexistent-repo', config)),
      (e: unknown) =>
        e instanceof InferenceError &&
        e.code === 'INVALID_ARG' &&
        e.message.startsWith(`failed to load model 'llm': the parameter '${key}' is not supported by the llm backend`),
    );
  }
});
