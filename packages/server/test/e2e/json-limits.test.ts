/**
 * Over-deep JSON over the real wire (issue #12 item 7): every route that takes JSON from a client
 * answers 400 (gRPC INVALID_ARGUMENT for a load override) naming the document, never a 500 "Maximum
 * call stack size exceeded"; JSON at the limit (64 levels) gets past the depth check; a body with
 * more than 1,000,000 arrays and objects is refused before it is parsed; the server keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeEchoLlm } from '../helpers/llm-echo-model.js';
import { grpc, grpcClient, unary, unaryError } from '../helpers/grpc-client.js';
import { range } from '../helpers/tensors.js';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';

const LIMIT = 64;
/** Deep enough to overflow any recursive walk: 100,000 levels. */
const VERY_DEEP = 100_000;
const deepArray = (depth: number, leaf: unknown = 1): string =>
  '['.repeat(depth) + JSON.stringify(leaf) + ']'.repeat(depth);
const deepObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const tooDeep = (what: string): string =>
  `${what} is nested too deeply (more than ${LIMIT} levels of arrays and objects)`;

let repo: Awaited<ReturnType<typeof tempRepository>>;
let s: TestServer;
before(async () => {
  repo = await tempRepository(['simple']);
  await writeEchoLlm(repo.path, 'echo', {});
  s = await startServer(
    ['--model-control-mode', 'explicit', '--load-model', 'simple', '--load-model', 'echo'],
    repo.path,
  );
});
after(async () => {
  await s.close();
  await repo.remove();
});

const post = (path: string, body: string): Promise<Response> => fetch(`${s.http}${path}`, { method: 'POST', body });

async function expect400(r: Response, message: string): Promise<void> {
  const text = await r.text();
  assert.equal(r.status, 400, text);
  assert.ok(text.includes(message), `${text} lacks ${message}`);
}

async function stillServing(): Promise<void> {
  const r = await post(
    '/v2/models/simple/infer',
    JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
      ],
    }),
  );
  assert.equal(r.status, 200);
}

/** `{"inputs": [...], <member>}` with `value` spliced in as JSON text. */
const inferWith = (member: string, value: string): string =>
  `{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","data":[${range(16).join(',')}]}],${member}:${value}}`;

describe('HTTP /v2 routes', () => {
  test('infer: deep data, deep request parameters, a deep document -> 400', async () => {
    const what = 'the inference request JSON';
    await expect400(
      await post(
        '/v2/models/simple/infer',
        `{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","data":${deepArray(VERY_DEEP)}}]}`,
      ),
      tooDeep(what),
    );
    await expect400(
      await post('/v2/models/simple/infer', inferWith('"parameters"', `{"p":${deepObject(VERY_DEEP)}}`)),
      tooDeep(what),
    );
    await expect400(await post('/v2/models/simple/infer', deepArray(VERY_DEEP)), tooDeep(what));
    await stillServing();
  });

  test('infer: more than 1,000,000 arrays and objects -> 400 before parsing', async () => {
    const many = `{"inputs":[${'{},'.repeat(1_000_000)}{}]}`;
    await expect400(
      await post('/v2/models/simple/infer', many),
      'the inference request JSON has more than 1000000 arrays and objects (write large tensors as flat data, or send them as binary data)',
    );
    await stillServing();
  });

  test('infer: a request parameter at the limit gets past the depth check (and is refused as not a scalar)', async () => {
    // The document is 1 level (the body) + 1 (parameters) + the value's own levels.
    const atLimit = await post('/v2/models/simple/infer', inferWith('"parameters"', `{"p":${deepObject(LIMIT - 2)}}`));
    assert.equal(atLimit.status, 400);
    assert.match(await atLimit.text(), /parameter 'p' must be a string, number or boolean/);
    const over = await post('/v2/models/simple/infer', inferWith('"parameters"', `{"p":${deepObject(LIMIT - 1)}}`));
    await expect400(over, tooDeep('the inference request JSON'));
  });

  for (const route of ['generate', 'generate_stream']) {
    test(`${route}: deep sampling_parameters (as an object or as JSON text) -> 400, not 500`, async () => {
      await expect400(
        await post(`/v2/models/echo/${route}`, `{"text_input":"hi","sampling_parameters":${deepObject(VERY_DEEP)}}`),
        tooDeep('the generate request JSON'),
      );
      await expect400(
        await post(
          `/v2/models/echo/${route}`,
          JSON.stringify({ text_input: 'hi', sampling_parameters: deepObject(VERY_DEEP), temperature: 0.5 }),
        ),
        tooDeep("input 'sampling_parameters'"),
      );
      await stillServing();
    });
  }

  test('repository load: a deep body and a deep config override -> 400; the model keeps serving', async () => {
    await expect400(
      await post('/v2/repository/models/simple/load', `{"parameters":${deepObject(VERY_DEEP)}}`),
      tooDeep('the load model request JSON'),
    );
    await expect400(
      await post(
        '/v2/repository/models/simple/load',
        JSON.stringify({ parameters: { config: deepObject(VERY_DEEP) } }),
      ),
      tooDeep('Invalid config override: the config JSON'),
    );
    await stillServing();
  });
});

describe('HTTP /v1 (OpenAI) routes', () => {
  for (const route of ['completions', 'chat/completions']) {
    test(`${route}: a deep body -> 400 with OpenAI's error shape`, async () => {
      const r = await post(`/v1/${route}`, `{"model":"echo","prompt":"hi","stop":${deepArray(VERY_DEEP, 'x')}}`);
      assert.equal(r.status, 400);
      const body = (await r.json()) as { error: { message: string } };
      assert.equal(body.error.message, tooDeep('the request body'));
      await stillServing();
    });
  }
});

describe('gRPC', () => {
  test('RepositoryModelLoad with a deep config override -> INVALID_ARGUMENT; the model keeps serving', async () => {
    const client = grpcClient(s.grpcPort);
    try {
      const e = await unaryError(client, 'RepositoryModelLoad', {
        model_name: 'simple',
        parameters: { config: { string_param: deepObject(VERY_DEEP) } },
      });
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT, e.details);
      assert.equal(e.details, tooDeep('Invalid config override: the config JSON'));
      const ready = await unary(client, 'ModelReady', { name: 'simple' });
      assert.equal(ready['ready'], true);
    } finally {
      client.close();
    }
  });
});
