/**
 * `tensorgate infer | models | health | load | unload` against a real server on port 0, run
 * in-process through runClientCommand with captured stdout/stderr, over both protocols.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceClient } from '@tensorgate/client';
import { captureIO, runClientCommand } from 'tensorgate';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';

const work = mkdtempSync(join(tmpdir(), 'tg-cli-tools-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO(work);
  const code = await runClientCommand(args, io);
  return { code, out: io.out(), err: io.err() };
}

const seq = Array.from({ length: 16 }, (_, i) => i);
const ones = seq.map(() => 1);

describe('client commands against a running server', () => {
  let server: TestServer;
  let urls: { http: string[]; grpc: string[] };
  before(async () => {
    server = await startServer();
    urls = { http: ['-i', 'http', '-u', server.http], grpc: ['-i', 'grpc', '-u', `127.0.0.1:${server.grpcPort}`] };
  });
  after(() => server.close());

  for (const protocol of ['http', 'grpc'] as const) {
    test(`health over ${protocol}: live and ready, exit 0`, async () => {
      const r = await cli(['health', ...urls[protocol]]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'live: true\nready: true\n');
      const m = await cli(['health', ...urls[protocol], '-m', 'simple', '--json']);
      assert.deepEqual(JSON.parse(m.out), { live: true, ready: true, model: { name: 'simple', ready: true } });
      const missing = await cli(['health', ...urls[protocol], '-m', 'no_such_model']);
      assert.equal(missing.code, 1);
      assert.match(missing.out, /model no_such_model: not ready/);
    });

    test(`infer simple over ${protocol}: JSON output holds every value`, async () => {
      const r = await cli([
        'infer',
        ...urls[protocol],
        '-m',
        'simple',
        '--input',
        `INPUT0:INT32:1,16:${seq.join(',')}`,
        '--input',
        `INPUT1:INT32:[1,16]:${JSON.stringify(ones)}`,
        '--json',
      ]);
      assert.equal(r.code, 0, r.err);
      const json = JSON.parse(r.out) as {
        model_name: string;
        outputs: { name: string; datatype: string; shape: number[]; data: number[] }[];
      };
      assert.equal(json.model_name, 'simple');
      const byName = Object.fromEntries(json.outputs.map((o) => [o.name, o]));
      assert.deepEqual(byName['OUTPUT0'], {
        name: 'OUTPUT0',
        datatype: 'INT32',
        shape: [1, 16],
        data: seq.map((v) => v + 1),
      });
      assert.deepEqual(
        byName['OUTPUT1']!.data,
        seq.map((v) => v - 1),
      );
    });

    test(`infer simple_string over ${protocol}: text output, long tensors cut with a count`, async () => {
      writeFileSync(join(work, 'strings.json'), JSON.stringify(seq.map(String)));
      const r = await cli([
        'infer',
        ...urls[protocol],
        '-m',
        'simple_string',
        '--input',
        'INPUT0:BYTES:1,16:@strings.json',
        '--input',
        `INPUT1:BYTES:1,16:${ones.join(',')}`,
        '--output',
        'OUTPUT0',
        '--max-values',
        '3',
      ]);
      assert.equal(r.code, 0, r.err);
      const lines = r.out.trimEnd().split('\n');
      assert.match(lines[0]!, /^model simple_string version 1/);
      assert.equal(lines.length, 2, r.out);
      assert.match(lines[1]!, /^OUTPUT0 {2}BYTES {2}\[1,16\] {2}\["1", "2", "3", …\] \(13 more, 16 values\)$/);
    });
  }

  test('infer with --classification returns the top classes', async () => {
    const r = await cli([
      'infer',
      ...urls.http,
      '-m',
      'simple',
      '--input',
      `INPUT0:INT32:1,16:${seq.join(',')}`,
      '--input',
      `INPUT1:INT32:1,16:${ones.join(',')}`,
      '--output',
      'OUTPUT0',
      '--classification',
      '2',
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const out = (JSON.parse(r.out) as { outputs: { name: string; datatype: string; data: string[] }[] }).outputs[0]!;
    assert.equal(out.datatype, 'BYTES');
    assert.deepEqual(
      out.data.map((s) => s.split(':').slice(0, 2).join(':')),
      ['16:15', '15:14'],
    );
  });

  test('models: table and JSON with states', async () => {
    const table = await cli(['models', ...urls.grpc]);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^MODEL\s+VERSION\s+STATE\s+REASON/);
    assert.match(table.out, /\nsimple\s+1\s+READY/);
    const json = await cli(['models', ...urls.http, '--json']);
    const index = JSON.parse(json.out) as { name: string; state: string }[];
    assert.ok(index.some((e) => e.name === 'repeat_int32' && e.state === 'READY'));
  });

  for (const protocol of ['http', 'grpc'] as const) {
    test(`a bad request over ${protocol} exits 1 with the server's message`, async () => {
      const wrong = await cli([
        'infer',
        ...urls[protocol],
        '-m',
        'simple',
        '--input',
        'NOPE:INT32:1,16:' + seq.join(','),
      ]);
      assert.equal(wrong.code, 1);
      assert.equal(wrong.out, '');
      assert.match(wrong.err, /^tensorgate infer: .*NOPE.* \(INVALID_ARG\)\n$/);
      const missing = await cli(['infer', ...urls[protocol], '-m', 'no_such_model', '--input', 'A:INT32:1:1']);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /^tensorgate infer: .*no_such_model.*\((NOT_FOUND|UNAVAILABLE)\)/);
    });
  }

  test('argument errors: bad --input and a missing --model', async () => {
    const bad = await cli(['infer', ...urls.http, '-m', 'simple', '--input', 'INPUT0:INT32:1,16:1,2']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /needs 16 value\(s\), got 2/);
    const usage = await cli(['infer', '--input', 'A:INT32:1:1']);
    assert.equal(usage.code, 1);
    assert.match(usage.err, /required option '-m, --model <name>' not specified/);
  });

  test('health against a closed port exits 1', async () => {
    const r = await cli(['health', '-u', 'http://127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.err + r.out, /tensorgate health: |live: false/);
  });
});

describe('load and unload (explicit model control)', () => {
  let server: TestServer;
  let repo: { path: string; remove(): Promise<void> };
  let url: string[];
  before(async () => {
    repo = await tempRepository(['simple', 'identity_fp32']);
    server = await startServer(['--model-control-mode', 'explicit', '--load-model', 'simple'], repo.path);
    url = ['-i', 'grpc', '-u', `127.0.0.1:${server.grpcPort}`];
  });
  after(async () => {
    await server.close();
    await repo.remove();
  });

  const state = async (name: string): Promise<string | undefined> => {
    const r = await cli(['models', ...url, '--json']);
    return (JSON.parse(r.out) as { name: string; state: string }[]).find((e) => e.name === name)?.state;
  };

  test('unload, then load again; health of the model follows', async () => {
    assert.equal(await state('simple'), 'READY');
    const u = await cli(['unload', 'simple', ...url]);
    assert.equal(u.code, 0, u.err);
    assert.equal(u.out, 'unloaded simple\n');
    assert.notEqual(await state('simple'), 'READY');
    assert.equal((await cli(['health', ...url, '-m', 'simple'])).code, 1);
    const l = await cli(['load', 'simple', '-i', 'http', '-u', server.http]);
    assert.equal(l.code, 0, l.err);
    assert.equal(l.out, 'loaded simple\n');
    assert.equal(await state('simple'), 'READY');
  });

  test('load with --config from a file', async () => {
    // A load-time config replaces config.pbtxt whole (Triton's semantics), so it is complete.
    const config = {
      backend: 'js',
      max_batch_size: 0,
      input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
      parameters: { from_cli: { string_value: 'yes' } },
    };
    writeFileSync(join(work, 'cfg.json'), JSON.stringify(config));
    const r = await cli(['load', 'identity_fp32', ...url, '--config', '@cfg.json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(await state('identity_fp32'), 'READY');
    const client = InferenceClient.http(server.http);
    try {
      const loaded = await client.getModelConfig('identity_fp32');
      assert.deepEqual((loaded['parameters'] as Record<string, unknown>)['from_cli'], { string_value: 'yes' });
    } finally {
      await client.close();
    }
  });

  test('loading an unknown model or bad --config exits 1 with a message', async () => {
    const r = await cli(['load', 'no_such_model', ...url]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^tensorgate load: .*no_such_model/);
    const bad = await cli(['load', 'simple', ...url, '--config', '{oops']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--config is not valid JSON/);
  });
});
