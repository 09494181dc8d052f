import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chatClientSnippet,
  chatCurlSnippet,
  clientSnippet,
  curlSnippet,
  headerVariable,
  jsonInferBody,
  shellQuote,
  type SnippetRequest,
} from './snippets.js';

const base: SnippetRequest = {
  baseUrl: 'http://localhost:8000',
  model: 'simple',
  version: '',
  inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 2], data: [1, 2] }],
  outputs: ['OUTPUT0', 'OUTPUT1'],
  classCount: {},
  headers: [],
};

test('shell quoting and header variables', () => {
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
  assert.equal(headerVariable('x-api-key'), 'X_API_KEY');
});

test('a JSON request as curl and as client code', () => {
  assert.equal(
    curlSnippet(base),
    [
      "curl -s 'http://localhost:8000/v2/models/simple/infer' \\",
      "  -H 'Content-Type: application/json' \\",
      `  -d '{"inputs":[{"name":"INPUT0","shape":[1,2],"datatype":"INT32","data":[1,2]}]}'`,
    ].join('\n'),
  );
  const code = clientSnippet(base);
  assert.match(code, /^import \{ InferenceClient, InferInput \} from '@tensorgate\/client';/);
  assert.match(code, /new InferInput\("INPUT0", \[1,2\], "INT32"\)\.setData\(\[1,2\]\)/);
  assert.match(code, /await client\.infer\("simple", inputs\);/);
});

test('classes, versions, restricted headers (never their values) and binary inputs', () => {
  const request: SnippetRequest = {
    ...base,
    version: '2',
    classCount: { OUTPUT0: 3 },
    headers: ['x-api-key'],
    inputs: [
      { name: 'IMAGE', datatype: 'BYTES', shape: [1, 1], file: 'cat.jpg' },
      { name: 'input', datatype: 'FP32', shape: [1, 3, 2, 2], image: { file: 'cat.jpg', description: 'NCHW 2x2' } },
    ],
    binaryHeaderLength: 123,
  };
  assert.deepEqual(jsonInferBody({ ...base, classCount: { OUTPUT0: 3 } }), {
    inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'INT32', data: [1, 2] }],
    outputs: [{ name: 'OUTPUT0', parameters: { classification: 3 } }, { name: 'OUTPUT1' }],
  });
  const curl = curlSnippet(request);
  assert.match(curl, /\/v2\/models\/simple\/versions\/2\/infer/);
  assert.match(curl, /-H 'x-api-key: '"\$X_API_KEY"/);
  assert.match(curl, /Inference-Header-Content-Length: 123/);
  assert.match(curl, /--data-binary @request\.bin/);
  const code = clientSnippet(request);
  assert.match(code, /headers: \{ "x-api-key": process\.env\.X_API_KEY \}/);
  assert.match(code, /import \{ readFile \} from 'node:fs\/promises';/);
  assert.match(code, /setData\(\[await readFile\("cat\.jpg"\)\]\)/);
  assert.match(code, /const pixels = \/\* NCHW 2x2 \*\/ new Float32Array\(12\);/);
  assert.match(
    code,
    /new InferRequestedOutput\("OUTPUT0", \{ classCount: 3 \}\), new InferRequestedOutput\("OUTPUT1"\)/,
  );
  assert.match(code, /modelVersion: "2"/);
});

test('a chat turn as curl and as generateStream', () => {
  const chat = { baseUrl: 'http://h:8000', model: 'llm', body: { text_input: 'Hi', stream: true }, headers: [] };
  assert.equal(
    chatCurlSnippet(chat),
    `curl -sN 'http://h:8000/v2/models/llm/generate_stream' \\\n  -d '{"text_input":"Hi","stream":true}'`,
  );
  assert.match(chatClientSnippet(chat), /client\.generateStream\("llm", \{"text_input":"Hi","stream":true\}\)/);
});
