import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeElements } from '@tensorgate/protocol';
import type { BackendModel } from '../../backend-api/backend.js';
import { InferenceError } from '../../core/errors.js';
import { createJsBackend } from './js-backend.js';
import {
  makeConfig,
  makeContext,
  makeRequest,
  output,
  removeTempRepos,
  tensor,
  writeModel,
  type ConfigSpec,
} from './js-backend.test-helper.js';

const backend = createJsBackend({ restartDelayMs: () => 0, drainTimeoutMs: 5_000 });
const loaded: BackendModel[] = [];
after(async () => {
  await Promise.all(loaded.map((m) => m.unload()));
  await removeTempRepos();
});

const echoSpec = (name: string, extra: Partial<ConfigSpec> = {}): ConfigSpec => ({
  name,
  inputs: [['IN', 'TYPE_INT32', [-1]]],
  outputs: [['OUT', 'TYPE_INT32', [-1]]],
  ...extra,
});

async function load(spec: ConfigSpec, source: string, file?: string): Promise<{ model: BackendModel; repo: string }> {
  const repo = await writeModel(spec.name, source, file);
  const model = await backend.loadModel(makeContext(repo, makeConfig(spec)));
  loaded.push(model);
  return { model, repo };
}

const inInt = (values: number[]): ReturnType<typeof tensor> => tensor('IN', 'INT32', [values.length], values);

describe('js backend: model errors', () => {
  test('a throwing execute fails every request of that call, and only those', async () => {
    const { model } = await load(
      echoSpec('thrower'),
      `export default class { execute(requests) {
         if (requests[0].input('IN').data[0] === 13) throw new RangeError('unlucky');
         return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] }));
       } }`,
    );
    const [a, b] = [makeRequest([inInt([13])], ['OUT']), makeRequest([inInt([1])], ['OUT'])];
    await model.instances[0]!.execute([a, b]);
    for (const r of [a, b]) {
      const err = r.sender.single.error;
      assert.equal(err?.code, 'INTERNAL');
      assert.equal(
        err.message,
        "Failed to process the request(s) for model instance 'thrower_0_0', message: RangeError: unlucky",
      );
    }
    const c = makeRequest([inInt([2, 3])], ['OUT']);
    await model.instances[0]!.execute([c]);
    assert.deepEqual(decodeElements('INT32', output(c.sender.single, 'OUT').data), [2, 3]);
  });

  test('error responses, Error objects and invalid outputs fail single requests cleanly', async () => {
    const { model } = await load(
      echoSpec('mixed'),
      `export class Model { execute(requests) { return requests.map((r) => {
         switch (r.input('IN').data[0]) {
           case 0: return { error: 'bad input', code: 'INVALID_ARG' };
           case 1: return new Error('plain error');
           case 2: return { outputs: [{ name: 'OUT', datatype: 'FP32', data: new Float32Array(1) }] };
           case 3: return { outputs: [{ name: 'OUT', shape: [5], data: new Int32Array(2) }] };
           case 4: return { outputs: [{ name: 'NOPE', datatype: 'INT32', data: [1] }] };
           case 5: return { outputs: [{ name: 'OUT', data: [1.5] }] };
           case 6: return 42;
           default: return { outputs: [{ name: 'OUT', data: [7, 8] }], parameters: { note: 'fine' } };
         } }); } }`,
    );
    const reqs = [0, 1, 2, 3, 4, 5, 6, 7].map((v) => makeRequest([inInt([v])], ['OUT']));
    await model.instances[0]!.execute(reqs);
    const errors = reqs.slice(0, 7).map((r) => r.sender.single.error!);
    assert.deepEqual(
      errors.map((e) => e.code),
      ['INVALID_ARG', 'INTERNAL', 'INTERNAL', 'INTERNAL', 'INTERNAL', 'INTERNAL', 'INTERNAL'],
    );
    assert.equal(errors[0]!.message, 'bad input');
    assert.equal(errors[1]!.message, 'plain error');
    assert.match(errors[2]!.message, /invalid output 'OUT': datatype FP32 does not match the config \(INT32\)/);
    assert.match(errors[3]!.message, /shape \[5\] needs 20 byte\(s\) of INT32 but the data has 8/);
    assert.match(errors[4]!.message, /output 'NOPE' that is not in its config/);
    assert.match(errors[5]!.message, /output 'OUT': element 0: expected an integer for INT32/);
    assert.match(errors[6]!.message, /answered number/);
    const ok = reqs[7]!.sender.single;
    assert.deepEqual(ok.parameters, { note: 'fine' });
    assert.deepEqual(decodeElements('INT32', output(ok, 'OUT').data), [7, 8]);
  });

  test('values without a string form (null-prototype objects) fail the request, not the worker', async () => {
    const { model } = await load(
      echoSpec('noproto'),
      `export default class { execute(requests) {
         const v = requests[0].input('IN').data[0];
         if (v === 1) return Object.create(null);
         if (v === 2) throw Object.create(null);
         if (v === 3) return [{ error: Object.create(null) }];
         return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] }));
       } }`,
    );
    const expected = [/it returned \[object Object\]/, /message: \[object Object\]/, /^\[object Object\]$/];
    for (const [i, re] of expected.entries()) {
      const req = makeRequest([inInt([i + 1])], ['OUT']);
      await model.instances[0]!.execute([req]);
      const err = req.sender.single.error;
      assert.equal(err?.code, 'INTERNAL');
      assert.doesNotMatch(err.message, /crashed/);
      assert.match(err.message, re);
    }
  });

  test('BOOL, FP16, BF16, INT64 and UINT64 tensors cross both ways', async () => {
    const spec: ConfigSpec = {
      name: 'types',
      inputs: [
        ['B', 'TYPE_BOOL', [-1]],
        ['H', 'TYPE_FP16', [-1]],
        ['L', 'TYPE_INT64', [-1]],
      ],
      outputs: [
        ['NOT_B', 'TYPE_BOOL', [-1]],
        ['H_BITS', 'TYPE_FP16', [-1]],
        ['H2', 'TYPE_FP16', [-1]],
        ['BF', 'TYPE_BF16', [-1]],
        ['L1', 'TYPE_INT64', [-1]],
        ['U', 'TYPE_UINT64', [-1]],
        ['CLASSES', 'TYPE_STRING', [-1]],
      ],
    };
    const { model } = await load(
      spec,
      `export class TritonJsModel { execute(requests) { return requests.map((r) => {
         const b = r.input('B'), h = r.input('H'), l = r.input('L');
         if (!(b.data instanceof Uint8Array) || !(h.data instanceof Uint16Array) || !(l.data instanceof BigInt64Array)) {
           return { error: 'wrong views' };
         }
         return { outputs: [
           { name: 'NOT_B', data: b.data.map((x) => 1 - x) },
           { name: 'H_BITS', data: h.data },
           { name: 'H2', data: new Float32Array(h.toArray().map((x) => x * 2)) },
           { name: 'BF', data: [0.5, -2] },
           { name: 'L1', data: l.data.map((x) => x + 1n) },
           { name: 'U', data: [2n ** 64n - 1n, 0] },
           { name: 'CLASSES', data: ['héllo', new Uint8Array([0, 255])] },
         ] };
       }); } }`,
    );
    const req = makeRequest(
      [
        tensor('B', 'BOOL', [3], [true, false, true]),
        tensor('H', 'FP16', [2], [1.5, -0.25]),
        tensor('L', 'INT64', [2], [2n ** 62n, -5n]),
      ],
      spec.outputs.map(([n]) => n),
    );
    await model.instances[0]!.execute([req]);
    const r = req.sender.single;
    assert.deepEqual(decodeElements('BOOL', output(r, 'NOT_B').data), [false, true, false]);
    assert.deepEqual(decodeElements('FP16', output(r, 'H_BITS').data), [1.5, -0.25]);
    assert.deepEqual(decodeElements('FP16', output(r, 'H2').data), [3, -0.5]);
    assert.deepEqual(decodeElements('BF16', output(r, 'BF').data), [0.5, -2]);
    const l1 = output(r, 'L1').data;
    assert.deepEqual([...new BigInt64Array(l1.buffer, l1.byteOffset, 2)], [2n ** 62n + 1n, -4n]);
    const u = output(r, 'U').data;
    assert.deepEqual([...new BigUint64Array(u.buffer, u.byteOffset, 2)], [2n ** 64n - 1n, 0n]);
    const classes = output(r, 'CLASSES');
    assert.deepEqual(classes.shape, [2]);
    assert.deepEqual(decodeElements('BYTES', classes.data)[0], 'héllo');
  });
});

describe('js backend: decoupled models', () => {
  test('responses after execute returned, a bare final, and an execute that throws midway', async () => {
    const { model } = await load(
      echoSpec('streamer', { decoupled: true }),
      `export default class { execute(requests) {
         for (const r of requests) {
           const sender = r.getResponseSender();
           const n = r.input('IN').data[0];
           sender.send({ outputs: [{ name: 'OUT', data: [n] }] });
           if (n < 0) continue;
           setTimeout(() => { sender.send({ outputs: [{ name: 'OUT', data: [n + 1] }] }); sender.send(undefined, { final: true }); }, 1);
         }
         if (requests.some((r) => r.input('IN').data[0] < 0)) throw new Error('half done');
       } }`,
    );
    const a = makeRequest([inInt([5])], ['OUT']);
    await model.instances[0]!.execute([a]);
    assert.deepEqual(
      a.sender.sent.map((s) => s.final),
      [false, false, true],
    );
    assert.deepEqual(
      a.sender.sent.slice(0, 2).map((s) => decodeElements('INT32', output(s.response!, 'OUT').data)[0]),
      [5, 6],
    );
    assert.equal(a.sender.sent[2]!.response, undefined);

    const b = makeRequest([inInt([-1])], ['OUT']);
    await model.instances[0]!.execute([b]);
    assert.deepEqual(
      b.sender.sent.map((s) => s.final),
      [false, true],
    );
    assert.match(b.sender.sent[1]!.response!.error!.message, /message: Error: half done/);
  });

  test('cancellation reaches a running model: isCancelled() turns true and its signal aborts', async () => {
    const { model } = await load(
      echoSpec('cancellable', { decoupled: true }),
      `export default class { async execute(requests) {
         const r = requests[0];
         const sender = r.getResponseSender();
         const aborted = new Promise((resolve) => r.signal.addEventListener('abort', resolve));
         sender.send({ outputs: [{ name: 'OUT', data: [r.isCancelled() ? 1 : 0] }] });
         await aborted;
         sender.send({ outputs: [{ name: 'OUT', data: [r.isCancelled() ? 1 : 0] }] }, { final: true });
       } }`,
    );
    const abort = new AbortController();
    const req = makeRequest([inInt([0])], ['OUT'], { signal: abort.signal });
    const done = model.instances[0]!.execute([req]);
    await req.sender.waitFor(1); // the model is running and listening
    abort.abort();
    await done;
    const flags = req.sender.sent.map((s) => decodeElements('INT32', output(s.response!, 'OUT').data)[0]);
    assert.deepEqual(flags, [0, 1]);
  });

  test('a request cancelled before its execution starts never runs the model', async () => {
    const { model } = await load(
      echoSpec('precancelled'),
      `export default class { execute(requests) {
         throw new Error('the model must not run for a cancelled request');
       } }`,
    );
    const req = makeRequest([inInt([0])], ['OUT'], { signal: AbortSignal.abort() });
    // Nothing ran, so the instance reports no execution (statistics must not count one) ...
    await assert.rejects(model.instances[0]!.execute([req]), (e: InferenceError) => e.code === 'CANCELLED');
    // ... and the request itself got its final CANCELLED answer.
    const error = req.sender.single.error;
    assert.equal(error?.code, 'CANCELLED');
    assert.match(error!.message, /cancelled before execution/);
  });
});

describe('js backend: instances', () => {
  test('two instances execute at the same time', async () => {
    // Each execute waits until the other instance has started one too: only concurrency passes.
    const { model } = await load(
      echoSpec('pair', { instanceGroups: [{ count: 2, kind: 'KIND_CPU' }] }),
      `export default class {
         initialize(args) { this.name = args.model_instance_name; }
         async execute(requests) {
           const ch = new BroadcastChannel('tg-js-pair');
           const met = new Promise((resolve) => { ch.onmessage = (e) => {
             if (e.data === this.name) return;
             ch.postMessage(this.name); // let the other side know too, even if it joined late
             resolve(e.data);
           }; });
           const timer = setInterval(() => ch.postMessage(this.name), 5);
           const other = await met;
           clearInterval(timer);
           return requests.map(() => ({ outputs: [{ name: 'OUT', data: [other.endsWith('_1') ? 1 : 0] }] }));
         } }`,
    );
    const [r0, r1] = [makeRequest([inInt([0])], ['OUT']), makeRequest([inInt([0])], ['OUT'])];
    await Promise.all([model.instances[0]!.execute([r0]), model.instances[1]!.execute([r1])]);
    assert.deepEqual(decodeElements('INT32', output(r0.sender.single, 'OUT').data), [1]);
    assert.deepEqual(decodeElements('INT32', output(r1.sender.single, 'OUT').data), [0]);
  });

  test('a crashing worker fails its in-flight requests, restarts, re-initializes and serves again', async () => {
    const spec = echoSpec('crashy');
    const repo = await writeModel(
      spec.name,
      `import { appendFileSync } from 'node:fs';
       import { join } from 'node:path';
       export default class {
         initialize(args) { appendFileSync(join(args.model_repository, 'inits.txt'), 'x'); }
         execute(requests) {
           const v = requests[0].input('IN').data[0];
           if (v === 1) process.exit(3);
           if (v === 2) { setTimeout(() => { throw new Error('late failure'); }, 0); return new Promise(() => {}); }
           return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] }));
         } }`,
    );
    const model = await backend.loadModel(makeContext(repo, makeConfig(spec)));
    loaded.push(model);
    const inst = model.instances[0]!;
    const exit = makeRequest([inInt([1])], ['OUT']);
    await assert.rejects(inst.execute([exit]), (e: unknown) => e instanceof InferenceError && e.code === 'INTERNAL');
    assert.equal(
      exit.sender.single.error?.message,
      'model instance crashy_0_0 crashed: its worker exited with code 3; it is being restarted',
    );

    const thrown = makeRequest([inInt([2])], ['OUT']);
    await assert.rejects(inst.execute([thrown]), /crashed: Error: late failure; it is being restarted/);
    assert.equal(thrown.sender.single.error?.code, 'INTERNAL');

    const ok = makeRequest([inInt([9])], ['OUT']);
    await inst.execute([ok]);
    assert.deepEqual(decodeElements('INT32', output(ok.sender.single, 'OUT').data), [9]);
    assert.equal(await readFile(join(repo, 'crashy', 'inits.txt'), 'utf8'), 'xxx');
  });

  test('unload runs finalize() in every instance', async () => {
    const spec = echoSpec('finalizing', { instanceGroups: [{ count: 2, kind: 'KIND_AUTO' }] });
    const repo = await writeModel(
      spec.name,
      `import { appendFileSync } from 'node:fs';
       export default class {
         initialize(args) { this.args = args; }
         execute(requests) { return requests.map(() => ({ outputs: [] })); }
         async finalize() { appendFileSync(this.args.model_repository + '/finalized.txt', this.args.model_instance_name + ';'); }
       }`,
    );
    const model = await backend.loadModel(makeContext(repo, makeConfig(spec)));
    await model.unload();
    const names = (await readFile(join(repo, 'finalizing', 'finalized.txt'), 'utf8')).split(';').filter(Boolean).sort();
    assert.deepEqual(names, ['finalizing_0_0', 'finalizing_0_1']);
  });
});

describe('js backend: load errors', () => {
  const loadError = async (spec: ConfigSpec, source: string | undefined, file?: string): Promise<InferenceError> => {
    const repo = await writeModel(spec.name, source ?? '', file ?? (source === undefined ? 'other.txt' : undefined));
    try {
      const m = await backend.loadModel(makeContext(repo, makeConfig(spec)));
      loaded.push(m);
    } catch (err) {
      assert.ok(err instanceof InferenceError);
      return err;
    }
    throw new Error('load should have failed');
  };

  test('missing file, missing class, syntax error, failing initialize and GPU kind', async () => {
    let e = await loadError(echoSpec('nofile'), undefined);
    assert.match(
      e.message,
      /failed to load model 'nofile' version 1: no model file, expected .*nofile\/1\/model\.js or .*model\.mjs/,
    );

    e = await loadError(echoSpec('noclass'), 'export const x = 1;');
    assert.match(e.message, /noclass\/1\/model\.js exports no model class/);

    e = await loadError(echoSpec('syntax'), 'export default class {\n  execute( {\n}');
    assert.equal(e.code, 'INVALID_ARG');
    assert.match(
      e.message,
      /cannot import .*syntax\/1\/model\.js:3:2: SyntaxError: Unexpected end of input \(line 3: \}\)/,
    );

    // Node 20 gives ESM syntax errors no location; the message has file:line:column and the line.
    e = await loadError(
      echoSpec('syntaxmid'),
      'export default class {\n  execute(requests) {\n    return { outputs: [1] ;\n  }\n}\n',
    );
    assert.match(
      e.message,
      /cannot import .*syntaxmid\/1\/model\.js:3:27: SyntaxError: Unexpected token ';' \(line 3: return \{ outputs: \[1\] ;\)/,
    );

    e = await loadError(echoSpec('throwsontop'), 'const x = 1;\nnull.boom;\nexport default class { execute() {} }');
    assert.match(
      e.message,
      /cannot import .*throwsontop\/1\/model\.js: line 2: TypeError: Cannot read properties of null/,
    );

    e = await loadError(
      echoSpec('badinit'),
      'export default class { initialize() { throw new Error("no weights"); } execute() {} }',
    );
    assert.match(e.message, /badinit\/1\/model\.js: initialize\(\) failed: Error: no weights/);

    e = await loadError(
      echoSpec('gpu', { instanceGroups: [{ count: 1, kind: 'KIND_GPU' }] }),
      'export default class { execute() {} }',
    );
    assert.match(e.message, /has kind KIND_GPU; the js backend runs on CPU/);
  });

  test('default_model_filename picks another file', async () => {
    const { model } = await load(
      echoSpec('renamed', { defaultModelFilename: 'net.mjs' }),
      'export default class { execute(rs) { return rs.map((r) => ({ outputs: [{ name: "OUT", data: r.input("IN").data }] })); } }',
      'net.mjs',
    );
    const req = makeRequest([inInt([4])], ['OUT']);
    await model.instances[0]!.execute([req]);
    assert.deepEqual(decodeElements('INT32', output(req.sender.single, 'OUT').data), [4]);
  });
});
