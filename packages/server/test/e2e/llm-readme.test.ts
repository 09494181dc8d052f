/**
 * Runs README.md's LLM examples (the ```js blocks between `llm-example` markers) against a real
 * server on the example repository's `llm` model, so the documented code keeps working.
 * Bare imports become file URLs (the examples run from a temporary folder) and `localhost:8001`
 * the test server's gRPC port; console output is captured.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServer, type TestServer } from '../helpers/servers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const require = createRequire(import.meta.url);
const IMPORTS: Record<string, string> = {
  '@tensorgate/client': pathToFileURL(join(ROOT, 'packages/client/dist/index.js')).href,
  '@tensorgate/protocol': pathToFileURL(join(ROOT, 'packages/protocol/dist/index.js')).href,
  '@grpc/grpc-js': pathToFileURL(require.resolve('@grpc/grpc-js')).href,
};

let s: TestServer;
let dir: string;
before(async () => {
  s = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'tensorgate-llm-readme-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(code: string, name: string): Promise<string[]> {
  let source = code.replaceAll('localhost:8001', `127.0.0.1:${s.grpcPort}`).replaceAll('console.log(', '__log(');
  for (const [bare, url] of Object.entries(IMPORTS)) source = source.replaceAll(`'${bare}'`, `'${url}'`);
  const path = join(dir, `${name}.mjs`);
  await writeFile(path, `const __log = (...a) => globalThis.__llmReadmeLog.push(a.join(' '));\n${source}`);
  const g = globalThis as unknown as { __llmReadmeLog: string[] };
  g.__llmReadmeLog = [];
  await import(pathToFileURL(path).href);
  return g.__llmReadmeLog;
}

test('README.md LLM examples: Triton tensors over ModelStreamInfer, and llm.LLMService', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const blocks = [
    ...readme.matchAll(/<!-- llm-example:start -->\s*```js\n([\s\S]*?)```\s*<!-- llm-example:end -->/g),
  ].map((m) => m[1]!);
  assert.equal(blocks.length, 2);
  const [tensors, service] = blocks;
  const streamed = await run(tensors!, 'tensors');
  assert.equal(streamed.length, 1);
  assert.match(streamed[0]!, / length$/, 'eight tokens, then the finish reason');
  const [unary, stream] = await run(service!, 'service');
  assert.ok(unary && unary.length > 0, 'Generate returned text');
  assert.equal(stream, `${unary} length`, 'StreamGenerate gives the same (greedy) text, then the finish reason');
});
