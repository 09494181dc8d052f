/**
 * Runs the @tensorgate/client examples of README.md and packages/client/README.md (the ```js blocks
 * between `readme-example` markers) against a real server, so the documented code keeps working.
 * `localhost:8000/8001` become the test server's ports; console output is captured and checked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pattern } from '../helpers/images.js';
import { startServer, type TestServer } from '../helpers/servers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLIENT = pathToFileURL(join(ROOT, 'packages/client/dist/index.js')).href;

let s: TestServer;
let dir: string;
before(async () => {
  s = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'tensorgate-readme-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function examples(file: string): Promise<string[]> {
  const text = await readFile(join(ROOT, file), 'utf8');
  const out = [
    ...text.matchAll(/<!-- readme-example:start -->\s*```js\n([\s\S]*?)```\s*<!-- readme-example:end -->/g),
  ].map((m) => m[1]!);
  assert.ok(out.length > 0, `no examples in ${file}`);
  return out;
}

/** Runs one example as an ES module in this process and returns what it logged. */
async function run(code: string, name: string, replace: Record<string, string> = {}): Promise<string> {
  let source = code;
  for (const [from, to] of Object.entries(replace)) source = source.replaceAll(from, to);
  source = source
    .replaceAll("'@tensorgate/client'", `'${CLIENT}'`)
    .replaceAll('http://localhost:8000', s.http)
    .replaceAll('localhost:8001', `127.0.0.1:${s.grpcPort}`)
    .replaceAll('console.log(', '__log(');
  const path = join(dir, `${name}.mjs`);
  await writeFile(
    path,
    `const __log = (...a) => globalThis.__readmeLog.push(a.map((x) => typeof x === 'string' ? x : JSON.stringify(x, (_k, v) => ArrayBuffer.isView(v) ? [...v] : v)).join(' '));\n${source}`,
  );
  const g = globalThis as unknown as { __readmeLog: string[] };
  g.__readmeLog = [];
  await import(pathToFileURL(path).href);
  return g.__readmeLog.join('\n');
}

test('README.md client example', async () => {
  const [main] = await examples('README.md');
  const log = await run(main!, 'readme-main');
  assert.equal(log, ['[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]', '["16:15","15:14"]'].join('\n'));
});

test('README.md ensemble example: simple_ensemble runs simple twice', async () => {
  const [, ensemble] = await examples('README.md');
  const log = await run(ensemble!, 'readme-ensemble');
  const doubled = Array.from({ length: 16 }, (_, i) => 2 * i);
  assert.equal(log, [JSON.stringify(doubled), JSON.stringify(Array(16).fill(2))].join('\n'));
});

test('README.md ensemble_lstm example: a forecast with its timestamps', async () => {
  const [, , lstm] = await examples('README.md');
  const log = await run(lstm!, 'readme-lstm');
  assert.equal(
    log,
    [
      '2026-01-03T00:00:00.000Z 126.1',
      '2026-01-03T02:00:00.000Z 140.1',
      '2026-01-03T04:00:00.000Z 163.0',
      '2026-01-03T06:00:00.000Z 189.0',
      '2026-01-03T08:00:00.000Z 210.4',
    ].join('\n'),
  );
});

test('README.md ensemble_image example: a JPEG file in, the top 3 classes out', async () => {
  const [, , , image] = await examples('README.md');
  const photo = join(dir, 'photo.jpg');
  await writeFile(photo, await pattern(256, 256, 'jpeg'));
  const log = await run(image!, 'readme-image', { "'photo.jpg'": JSON.stringify(photo) });
  const classes = JSON.parse(log) as string[];
  assert.equal(classes.length, 3);
  for (const c of classes) assert.match(c, /^\d+\.\d+:(\d+):class_\d{4}$/);
});

test('packages/client/README.md examples', async () => {
  const [infer, replicas, stream] = await examples('packages/client/README.md');
  assert.equal(await run(replicas!, 'client-replicas'), '[5,5,5,5]');
  assert.equal(await run(infer!, 'client-infer'), ['true', 'req-1 ["1","2","3"]', 'NOT_FOUND 404 req-2'].join('\n'));
  const log = (await run(stream!, 'client-stream')).split('\n');
  assert.deepEqual(
    log.filter((l) => l.startsWith('a ')),
    ['a 4', 'a 5', 'a done'],
  );
  assert.deepEqual(
    log.filter((l) => l.startsWith('b ')),
    ['b 6', 'b done'],
  );
  assert.equal(log.filter((l) => l.includes('failed:')).length, 1);
});

test('docs/sequence-batching.md client example: one sequence of simple_dyna_sequence', async () => {
  const [example] = await examples('docs/sequence-batching.md');
  const log = await run(example!, 'sequence-batching');
  assert.equal(log, ['[12]', '[7]', '[1005]'].join('\n'));
});
