/**
 * Model instance limits over the real wire (issue #12 item 5): `execution_timeout_ms` ends a
 * wedged execution with a clear error, for clients with and without a deadline; `memory_limit_mb`
 * stops a heap hog and an ArrayBuffer hog (and bounds the server's memory while it does); a model
 * whose only instance is in crash back-off answers UNAVAILABLE at once and reports not ready;
 * invalid values are refused by name. Every case checks that the model serves again afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpc, grpcClient, unaryError, type Msg } from '../helpers/grpc-client.js';
import { peakRssGrowth } from '../helpers/memory.js';
import { raw } from '../helpers/tensors.js';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';

/** config.pbtxt of a JS model with INT32 `IN` / `OUT` of one element and the given parameters. */
const config = (name: string, parameters: Record<string, string>): string =>
  `name: "${name}"
backend: "js"
max_batch_size: 0
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
${Object.entries(parameters)
  .map(([k, v]) => `parameters { key: "${k}" value: { string_value: "${v}" } }`)
  .join('\n')}
`;

/** A model that echoes IN and runs `onNegative` (a statement) when IN < 0. */
const model = (onNegative: string, extra = ''): string => `${extra}
export default class {
  execute(requests) {
    return requests.map((r) => {
      const n = r.input('IN').data[0];
      if (n < 0) { ${onNegative} }
      return { outputs: [{ name: 'OUT', data: [n] }] };
    });
  }
}
`;

const MODELS: Record<string, { parameters: Record<string, string>; source: string }> = {
  looper: { parameters: { execution_timeout_ms: '500' }, source: model('for (;;) {}') },
  heaphog: {
    parameters: { memory_limit_mb: '64' },
    source: model('const keep = []; for (;;) keep.push({ filler: new Array(64).fill(n) });'),
  },
  abhog: {
    // 1.5 GB of typed arrays in 50 MB steps, each filled so it is really resident, in one
    // synchronous execute: nothing yields to the worker's event loop.
    parameters: { memory_limit_mb: '512' },
    source: model(
      'const keep = []; for (let i = 0; i < 30; i++) keep.push(new Float64Array(50 * 2 ** 17).fill(i)); ' +
        "return { error: 'the memory cap did not stop the model' };",
    ),
  },
  flaky: {
    // Crashes on a negative input; while <repository>/flaky/broken exists, it cannot start.
    parameters: {},
    source: `import { existsSync } from 'node:fs';
import { join } from 'node:path';
export default class {
  initialize(args) { if (existsSync(join(args.model_repository, 'broken'))) throw new Error('broken on purpose'); }
  execute(requests) {
    return requests.map((r) => {
      const n = r.input('IN').data[0];
      if (n < 0) process.exit(3);
      return { outputs: [{ name: 'OUT', data: [n] }] };
    });
  }
}
`,
  },
};

let dir: string;
let s: TestServer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-limits-'));
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  for (const [name, m] of Object.entries(MODELS)) {
    await mkdir(join(dir, name, '1'), { recursive: true });
    await writeFile(join(dir, name, 'config.pbtxt'), config(name, m.parameters));
    await writeFile(join(dir, name, '1', 'model.js'), m.source);
  }
  s = await startServer(['--model-control-mode', 'explicit', '--load-model', '*'], dir);
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

const infer = (name: string, n: number): Promise<Response> =>
  fetch(`${s.http}/v2/models/${name}/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [n] }] }),
  });

const errorOf = async (r: Response): Promise<string> => ((await r.json()) as { error: string }).error;

const serves = (name: string) => async (): Promise<boolean> => (await infer(name, 7)).status === 200;

async function metric(name: string, reason: string): Promise<number> {
  const text = await (await fetch(s.metrics)).text();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(`tensorgate_model_instance_restarts_total{model="${name}",version="1",reason="${reason}"}`),
    );
  assert.ok(line, `no restart series for ${name}/${reason}`);
  return Number(line.split(' ').pop());
}

const grpcInfer = (name: string, n: number): Msg => ({
  model_name: name,
  inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }],
  raw_input_contents: [raw('INT32', [n])],
});

describe('execution_timeout_ms', () => {
  test('an endless loop fails with the timeout error for HTTP (no deadline) and gRPC; stats and metrics count it', async () => {
    assert.equal((await infer('looper', 1)).status, 200);
    const r = await infer('looper', -1); // fetch has no deadline: only the watchdog can end this
    assert.equal(r.status, 500);
    assert.equal(
      await errorOf(r),
      "model 'looper' instance looper_0 exceeded execution_timeout_ms (500 ms); the instance is being restarted",
    );
    await eventually(serves('looper'));

    const client = grpcClient(s.grpcPort);
    try {
      // A deadline far beyond the timeout: the answer is the watchdog's, not DEADLINE_EXCEEDED.
      const err = await unaryError(client, 'ModelInfer', grpcInfer('looper', -1), {
        deadline: Date.now() + 120_000,
      });
      assert.equal(err.code, grpc.status.INTERNAL);
      assert.match(err.details, /exceeded execution_timeout_ms \(500 ms\); the instance is being restarted/);
    } finally {
      client.close();
    }
    await eventually(serves('looper'));

    const stats = (await (await fetch(`${s.http}/v2/models/looper/stats`)).json()) as {
      model_stats: Array<{ inference_stats: { fail: { count: number } } }>;
    };
    assert.ok(stats.model_stats[0]!.inference_stats.fail.count >= 2);
    assert.equal(await metric('looper', 'timeout'), 2);
    assert.equal(await metric('looper', 'crash'), 0);
  });
});

describe('memory_limit_mb', () => {
  test('a heap hog: its worker runs out of heap, the request gets the memory error, the model serves again', async () => {
    const r = await infer('heaphog', -1);
    assert.equal(r.status, 500);
    assert.equal(
      await errorOf(r),
      "model 'heaphog' instance heaphog_0 exceeded memory_limit_mb (64 MB): its JavaScript heap ran out of memory; " +
        'the instance is being restarted',
    );
    assert.equal(await metric('heaphog', 'memory'), 1);
    await eventually(serves('heaphog'));
  });

  test('an ArrayBuffer hog (1.5 GB under a 512 MB cap) is stopped while it runs, well below 1 GB of growth', async (t) => {
    const growth = await peakRssGrowth(async () => {
      const r = await infer('abhog', -1);
      assert.equal(r.status, 500);
      assert.match(
        await errorOf(r),
        /^model 'abhog' instance abhog_0 exceeded memory_limit_mb \(512 MB\): it held \d+ MB of JavaScript heap and ArrayBuffers; the instance is being restarted$/,
      );
    });
    // A measured bound of this process's peak resident memory (it hosts the server), not a timing.
    t.diagnostic(`peak RSS growth while the hog ran: ${Math.round(growth / 2 ** 20)} MB`);
    assert.ok(growth < 1024 * 2 ** 20, `peak RSS grew by ${Math.round(growth / 2 ** 20)} MB`);
    assert.equal(await metric('abhog', 'memory'), 1);
    await eventually(serves('abhog'));
  });
});

describe('restart back-off', () => {
  test('while the only instance is restarting, requests get UNAVAILABLE at once and the model is not ready', async () => {
    assert.equal((await infer('flaky', 1)).status, 200);
    const broken = join(dir, 'flaky', 'broken');
    writeFileSync(broken, '');
    try {
      const crash = await infer('flaky', -1);
      assert.equal(crash.status, 500);
      assert.match(
        await errorOf(crash),
        /^model instance flaky_0 crashed: its worker exited with code 3; it is being restarted$/,
      );

      // Every start attempt fails now, so the back-off grows: requests are answered, not held.
      let message = '';
      await eventually(async () => {
        const r = await infer('flaky', 2);
        assert.equal(r.status, 503);
        message = await errorOf(r);
        return /failures in a row/.test(message) && /next start attempt in \d+\.\d s$/.test(message);
      });
      assert.match(
        message,
        /^model 'flaky' has no instance that can serve the request now: model instance flaky_0 is restarting after \d+ failures in a row, the last: it could not restart: .*broken on purpose.*; next start attempt in \d+\.\d s$/,
      );
      const client = grpcClient(s.grpcPort);
      try {
        const err = await unaryError(client, 'ModelInfer', grpcInfer('flaky', 2));
        assert.equal(err.code, grpc.status.UNAVAILABLE);
        assert.match(err.details, /has no instance that can serve the request now/);
      } finally {
        client.close();
      }
      // The model cannot serve, so it is not ready; the server stays ready (no probe flapping).
      assert.equal((await fetch(`${s.http}/v2/models/flaky/ready`)).status, 400);
      assert.equal((await fetch(`${s.http}/v2/health/ready`)).status, 200);
    } finally {
      await rm(broken, { force: true });
    }
    await eventually(serves('flaky'));
    assert.equal((await fetch(`${s.http}/v2/models/flaky/ready`)).status, 200);
    assert.equal(await metric('flaky', 'crash'), 1);
  });
});

describe('parameter values', () => {
  test('a load with an invalid value is refused by name and the loaded version keeps serving', async () => {
    const cfg = (await (await fetch(`${s.http}/v2/models/looper/config`)).json()) as Record<string, unknown>;
    for (const [key, value] of [
      ['execution_timeout_ms', 'soon'],
      ['memory_limit_mb', '-5'],
    ] as const) {
      const override = { ...cfg, parameters: { [key]: { string_value: value } } };
      const r = await fetch(`${s.http}/v2/repository/models/looper/load`, {
        method: 'POST',
        body: JSON.stringify({ parameters: { config: JSON.stringify(override) } }),
      });
      assert.equal(r.status, 400);
      assert.match(await errorOf(r), new RegExp(`parameter '${key}' must be .*, got '${value}'`));
    }
    assert.equal((await infer('looper', 3)).status, 200);
  });
});
