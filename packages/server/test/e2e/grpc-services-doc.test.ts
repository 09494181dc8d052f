/**
 * Runs the quick start of docs/grpc-services.md: its service.proto and service.js (the blocks
 * between `grpc-services-example` markers) as a services folder of a real server, every rpc of it
 * from a @grpc/proto-loader client, and the page's Node client snippet itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXAMPLES, startServer, type TestServer } from '../helpers/servers.js';
import { collect, protoLoaderClient, servicesFolder, unaryCall } from '../helpers/grpc-services.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const require = createRequire(import.meta.url);

function block(text: string, name: string, lang: string): string {
  const m = new RegExp(
    `<!-- grpc-services-example:${name} -->\\s*\`\`\`${lang}\\n([\\s\\S]*?)\`\`\`\\s*<!-- grpc-services-example:end -->`,
  ).exec(text);
  assert.ok(m, `no grpc-services-example:${name} block in docs/grpc-services.md`);
  return m[1]!;
}

let s: TestServer;
let folder: { path: string; remove(): Promise<void> };
let doc: string;
before(async () => {
  doc = await readFile(join(ROOT, 'docs/grpc-services.md'), 'utf8');
  folder = await servicesFolder({ greeter: [block(doc, 'proto', 'proto'), block(doc, 'js', 'js')] });
  s = await startServer(
    ['--grpc-services', folder.path, '--model-control-mode', 'explicit', '--load-model', 'simple'],
    EXAMPLES,
  );
});
after(async () => {
  await s?.close();
  await folder?.remove();
});

test('docs/grpc-services.md: the quick-start service answers Add, Countdown and Chat', async () => {
  const c = protoLoaderClient(join(folder.path, 'greeter', 'service.proto'), 'demo.Greeter', s.grpcPort);
  const a = Array.from({ length: 16 }, (_, i) => i);
  const add = await unaryCall(c, 'Add', { a, b: Array(16).fill(1) });
  assert.deepEqual(
    add.sum,
    a.map((x) => x + 1),
  );
  const bad = await unaryCall(c, 'Add', { a: [1], b: [1] });
  assert.equal(bad.code, 3); // simple refuses 1 element for [1, 16]: INVALID_ARGUMENT
  const countdown = await collect(c.Countdown({ a: [3] }));
  assert.deepEqual(
    countdown.messages.map((m) => m.sum),
    [[3], [2], [1]],
  );
  const chat = c.Chat();
  const replies = collect(chat);
  chat.write({ a, b: a });
  chat.write({ a, b: Array(16).fill(0) });
  chat.end();
  assert.deepEqual(
    (await replies).messages.map((m) => m.sum),
    [a.map((x) => 2 * x), a],
  );
  c.close();
});

test("docs/grpc-services.md: the page's Node client prints the sum", async () => {
  const source = block(doc, 'client', 'js')
    .replaceAll("'services/greeter/service.proto'", JSON.stringify(join(folder.path, 'greeter', 'service.proto')))
    .replaceAll('localhost:8001', `127.0.0.1:${s.grpcPort}`)
    .replace('console.log(err ?? reply.sum)', 'globalThis.__grpcDocLog(err ?? reply.sum, client)');
  const dir = join(folder.path, 'client');
  await mkdir(dir);
  const path = join(dir, 'client.mjs');
  // The page imports @grpc/* by name, as a user's project does; from a temporary folder they
  // resolve to this project's packages.
  const resolved = source
    .replace("from '@grpc/grpc-js'", `from '${pathToFileURL(require.resolve('@grpc/grpc-js')).href}'`)
    .replace("from '@grpc/proto-loader'", `from '${pathToFileURL(require.resolve('@grpc/proto-loader')).href}'`);
  await writeFile(path, resolved);
  const printed = await new Promise<unknown>((resolve) => {
    (globalThis as unknown as { __grpcDocLog: (v: unknown, c: { close(): void }) => void }).__grpcDocLog = (
      v,
      client,
    ) => {
      client.close();
      resolve(v);
    };
    void import(pathToFileURL(path).href);
  });
  assert.deepEqual(printed, Array(16).fill(5));
});
