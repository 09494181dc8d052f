/**
 * Runs the Node example of docs/shared-memory.md (the ```js block between `shm-example` markers)
 * against a real server with --allow-client-shm, so the documented code keeps working.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServer, type TestServer } from '../helpers/servers.js';
import { range } from '../helpers/tensors.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

let s: TestServer;
let dir: string;
before(async () => {
  s = await startServer(['--allow-client-shm']);
  dir = await mkdtemp(join(tmpdir(), 'tensorgate-shm-doc-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

test('docs/shared-memory.md: the Node example runs and prints the sums', async () => {
  const text = await readFile(join(ROOT, 'docs/shared-memory.md'), 'utf8');
  const m = /<!-- shm-example:start -->\s*```js\n([\s\S]*?)```\s*<!-- shm-example:end -->/.exec(text);
  assert.ok(m, 'no shm-example block in docs/shared-memory.md');
  const source = m[1]!
    .replaceAll('http://localhost:8000', s.http)
    .replaceAll('node_simple', `node_simple_${process.pid}`)
    .replaceAll('console.log(', 'globalThis.__shmDocLog.push(');
  const path = join(dir, 'example.mjs');
  await writeFile(path, source);
  const g = globalThis as unknown as { __shmDocLog: unknown[] };
  g.__shmDocLog = [];
  await import(pathToFileURL(path).href);
  assert.deepEqual(g.__shmDocLog, [
    [
      { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16] },
      { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16] },
    ],
    range(16, 1),
  ]);
});
