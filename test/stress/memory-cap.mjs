#!/usr/bin/env node
// memory_limit_mb against ArrayBuffer hogs (issue #12 item 5): starts the built server
// (node packages/server/bin/tensorgate.js serve) on a throwaway repository of JS models that each
// allocate --total-mb of Float64Arrays in steps of one size, filling each, in one synchronous
// execute, under a --cap-mb memory cap; for every step size it sends one request, checks that it
// fails with the memory error and that the model serves again, and prints the server process's
// peak resident-memory growth (VmHWM after resetting it through /proc/<pid>/clear_refs). Linux only.
// Usage: node test/stress/memory-cap.mjs [--cap-mb 512] [--total-mb 1536] [--steps-mb 1,16,50,100,256]
/* global fetch */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli } from '../../bench/lib/cli.mjs';
import { procMemory, resetPeakRss } from '../../bench/lib/proc-status.mjs';
import { startTensorgate } from '../../bench/lib/server-process.mjs';

const args = parseCli('memory-cap.mjs', 'Peak server RSS growth while memory_limit_mb stops ArrayBuffer hogs.', {
  'cap-mb': { default: 512, type: 'number', help: 'memory_limit_mb of the hog models' },
  'total-mb': { default: 1536, type: 'number', help: 'what each hog tries to allocate' },
  'steps-mb': { default: '1,16,50,100,256', type: 'list', help: 'allocation step sizes, one model each' },
});

const dir = await mkdtemp(join(tmpdir(), 'tg-memcap-'));
await writeFile(join(dir, 'package.json'), '{"type":"module"}');
const names = [];
for (const step of args['steps-mb']) {
  const name = `hog_${step}mb`;
  names.push([name, step]);
  await mkdir(join(dir, name, '1'), { recursive: true });
  await writeFile(
    join(dir, name, 'config.pbtxt'),
    `name: "${name}"\nbackend: "js"\nmax_batch_size: 0\n` +
      'input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]\n' +
      `parameters { key: "memory_limit_mb" value: { string_value: "${args['cap-mb']}" } }\n`,
  );
  const count = Math.ceil(args['total-mb'] / step);
  await writeFile(
    join(dir, name, '1', 'model.js'),
    `export default class { execute(requests) { return requests.map((r) => {
      const n = r.input('IN').data[0];
      if (n < 0) { const keep = []; for (let i = 0; i < ${count}; i++) keep.push(new Float64Array(${step} * 2 ** 17).fill(i));
        return { error: 'not stopped' }; }
      return { outputs: [{ name: 'OUT', data: [n] }] }; }); } }\n`,
  );
}

const server = await startTensorgate(dir);
let failed = false;
try {
  const http = `http://127.0.0.1:${server.httpPort}`;
  const infer = (name, n) =>
    fetch(`${http}/v2/models/${name}/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [n] }] }),
    });
  const status = (field) => procMemory(server.pid, [field])[field] / (1024 * 1024);
  console.log(`$ node test/stress/memory-cap.mjs ${process.argv.slice(2).join(' ')}`.trim());
  console.log(`\nmemory_limit_mb ${args['cap-mb']}, each hog allocates ${args['total-mb']} MB\n`);
  console.log('| step | answer | peak RSS growth (MB) | serves again |');
  console.log('|---|---|---|---|');
  for (const [name, step] of names) {
    for (let i = 0; i < 50 && (await infer(name, 1)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    resetPeakRss(server.pid);
    const before = status('VmRSS');
    const r = await infer(name, -1);
    const body = await r.json();
    const growth = status('VmHWM') - before;
    let again = false;
    for (let i = 0; i < 100 && !again; i++) {
      again = (await infer(name, 2)).status === 200;
      if (!again) await new Promise((res) => setTimeout(res, 100));
    }
    const ok = r.status === 500 && /exceeded memory_limit_mb/.test(body.error ?? '');
    if (!ok || !again) failed = true;
    console.log(
      `| ${step} MB | ${r.status} ${ok ? 'memory error' : JSON.stringify(body)} | ${growth.toFixed(0)} | ${again ? 'yes' : 'NO'} |`,
    );
  }
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
if (failed) {
  console.error('FAILED: a hog was not stopped with the memory error, or did not serve again');
  process.exit(1);
}
