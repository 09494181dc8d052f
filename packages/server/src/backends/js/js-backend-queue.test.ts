// Work handed to an instance ahead of time waits inside its worker; that wait is reported as queue
// time (ExecutionTimings.queueNs), not lost and not counted as compute.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendModel } from '../../backend-api/backend.js';
import { createJsBackend } from './js-backend.js';
import {
  makeConfig,
  makeContext,
  makeRequest,
  removeTempRepos,
  tensor,
  writeModel,
  type ConfigSpec,
} from './js-backend.test-helper.js';

const loaded: BackendModel[] = [];
after(async () => {
  await Promise.all(loaded.map((m) => m.unload()));
  await removeTempRepos();
});

test('a batch that waited behind another reports that wait as queue time', async () => {
  const spec: ConfigSpec = { name: 'held', inputs: [['IN', 'TYPE_INT32', [1]]], outputs: [['OUT', 'TYPE_INT32', [1]]] };
  const repo = await writeModel(
    spec.name,
    `export default class {
       async execute(requests) {
         const hold = requests[0].input('IN').data[0] === 1;
         if (hold) {
           const ch = new BroadcastChannel('tg-held-test');
           await new Promise((resolve) => { ch.onmessage = (e) => { if (e.data === 'release') resolve(); }; ch.postMessage('started'); });
           ch.close();
         }
         return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] }));
       }
     }`,
  );
  const model = await createJsBackend().loadModel(makeContext(repo, makeConfig(spec)));
  loaded.push(model);
  const instance = model.instances[0]!;
  const channel = new BroadcastChannel('tg-held-test');
  const started = new Promise<void>((resolve) => {
    channel.onmessage = (e: MessageEvent) => {
      if (e.data === 'started') resolve();
    };
  });
  const a = instance.execute([makeRequest([tensor('IN', 'INT32', [1], [1])], ['OUT'])]);
  await started; // A is executing and held
  const b = instance.execute([makeRequest([tensor('IN', 'INT32', [1], [2])], ['OUT'])]); // waits behind A
  await new Promise((r) => setTimeout(r, 20)); // let B reach the worker while A is still held
  channel.postMessage('release');
  const [ta, tb] = await Promise.all([a, b]);
  channel.close();
  assert.ok((tb.queueNs ?? 0) > (ta.queueNs ?? 0), `B waited behind A: queue ${tb.queueNs} vs ${ta.queueNs}`);
  assert.ok((tb.queueNs ?? 0) > tb.computeInferNs, 'the wait is not counted as compute');
});
