/**
 * The example model anomaly_score (js, its window in implicit state) over the real wire: the
 * client example of docs/sequence-batching.md ("Example: a streaming anomaly score") run as
 * written against a server, and a series with a spike streamed over HTTP and over one gRPC
 * ModelStreamInfer call, interleaved with a second series: the spike's score jumps, calm points
 * score low, and each series keeps its own window.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { grpcClient, streamAll, type Msg } from '../helpers/grpc-client.js';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';
import { raw, values } from '../helpers/tensors.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLIENT = pathToFileURL(join(ROOT, 'packages/client/dist/index.js')).href;

let s: TestServer;
let repo: Awaited<ReturnType<typeof tempRepository>>;
let dir: string;
let client: ReturnType<typeof grpcClient>;

before(async () => {
  repo = await tempRepository(['anomaly_score']);
  s = await startServer([], repo.path);
  client = grpcClient(s.grpcPort);
  dir = await mkdtemp(join(tmpdir(), 'tensorgate-anomaly-'));
});
after(async () => {
  client.close();
  await s.close();
  await repo.remove();
  await rm(dir, { recursive: true, force: true });
});

/** A calm series around `base`, with `spikeAt` raised by `spike`. */
const series = (n: number, base: number, spikeAt = -1, spike = 0): number[] =>
  Array.from({ length: n }, (_, i) => base + 0.5 * Math.sin(i) + (i === spikeAt ? spike : 0));

/** Splits a series into requests of `size` points. */
const chunks = (points: number[], size: number): number[][] =>
  Array.from({ length: Math.ceil(points.length / size) }, (_, k) => points.slice(k * size, k * size + size));

test('docs/sequence-batching.md anomaly_score client example runs as written', async () => {
  const text = await readFile(join(ROOT, 'docs/sequence-batching.md'), 'utf8');
  const blocks = [
    ...text.matchAll(/<!-- readme-example:start -->\s*```js\n([\s\S]*?)```\s*<!-- readme-example:end -->/g),
  ].map((m) => m[1]!);
  const example = blocks.find((b) => b.includes("'anomaly_score'"));
  assert.ok(example, 'the anomaly_score example is in docs/sequence-batching.md');
  const source = example
    .replaceAll("'@tensorgate/client'", `'${CLIENT}'`)
    .replaceAll('localhost:8001', `127.0.0.1:${s.grpcPort}`)
    .replaceAll('console.log(', '__log(');
  const path = join(dir, 'anomaly-example.mjs');
  await writeFile(path, `const __log = (...a) => globalThis.__anomalyLog.push(a.join(' '));\n${source}`);
  const g = globalThis as unknown as { __anomalyLog: string[] };
  g.__anomalyLog = [];
  await import(pathToFileURL(path).href);
  // Only the spike stands out.
  assert.equal(g.__anomalyLog.length, 1, g.__anomalyLog.join('\n'));
  assert.match(g.__anomalyLog[0]!, /^point 29: 35 scores \d+\.\d$/);
});

describe('anomaly_score over the wire', () => {
  test('HTTP: a spike in a streamed series scores high, calm points low; a second series keeps its window', async () => {
    const a = chunks(series(30, 20, 22, 15), 3);
    const b = chunks(series(30, 500), 3);
    const scores: number[] = [];
    let lastMeanB = 0;
    for (let k = 0; k < a.length; k++) {
      for (const [id, chunk, keep] of [
        ['series-a', a[k]!, true],
        ['series-b', b[k]!, false],
      ] as const) {
        const r = await fetch(`${s.http}/v2/models/anomaly_score/infer`, {
          method: 'POST',
          body: JSON.stringify({
            parameters: { sequence_id: id, sequence_start: k === 0, sequence_end: k === a.length - 1 },
            inputs: [{ name: 'VALUE', datatype: 'FP32', shape: [1, chunk.length], data: chunk }],
          }),
        });
        const body = (await r.json()) as { outputs: Array<{ name: string; data: number[] }> };
        assert.equal(r.status, 200, JSON.stringify(body));
        const out = (name: string) => body.outputs.find((o) => o.name === name)!.data;
        if (keep) scores.push(...out('SCORE'));
        else lastMeanB = out('MEAN').at(-1)!;
      }
    }
    assert.ok(scores[22]! > 10, `spike scored ${scores[22]}`);
    // Calm points once the window holds a few of them (the first ones have almost no spread).
    for (let i = 8; i < 22; i++) assert.ok(Math.abs(scores[i]!) < 3, `calm point ${i} scored ${scores[i]}`);
    // Series b's moving average stayed around 500: the windows never mixed.
    assert.ok(Math.abs(lastMeanB - 500) < 1, `series b mean ${lastMeanB}`);
  });

  test('gRPC ModelStreamInfer: two series interleaved on one stream', async () => {
    const a = chunks(series(24, 5, 17, -12), 2);
    const b = chunks(series(24, 5), 2);
    const requests: Msg[] = [];
    a.forEach((chunk, k) => {
      for (const [id, c] of [
        [1, chunk],
        [2, b[k]!],
      ] as const) {
        requests.push({
          model_name: 'anomaly_score',
          id: `${id}:${k}`,
          parameters: {
            sequence_id: { int64_param: id },
            sequence_start: { bool_param: k === 0 },
            sequence_end: { bool_param: k === a.length - 1 },
          },
          inputs: [{ name: 'VALUE', datatype: 'FP32', shape: [1, c.length] }],
          raw_input_contents: [raw('FP32', c)],
        });
      }
    });
    const responses = await streamAll(client, requests);
    assert.equal(responses.length, requests.length);
    const scores = new Map<string, number[]>();
    for (const m of responses) {
      assert.equal(m['error_message'], '', m['error_message']);
      const res = m['infer_response'];
      const at = res.outputs.findIndex((o: Msg) => o['name'] === 'SCORE');
      scores.set(res.id, values('FP32', res.raw_output_contents[at]) as number[]);
    }
    const flat = (id: number) => a.flatMap((_, k) => scores.get(`${id}:${k}`)!);
    const sa = flat(1);
    const sb = flat(2);
    assert.ok(sa[17]! < -10, `negative spike scored ${sa[17]}`);
    for (let i = 8; i < 17; i++) assert.ok(Math.abs(sa[i]!) < 3, `calm point ${i} scored ${sa[i]}`);
    for (let i = 8; i < sb.length; i++) assert.ok(Math.abs(sb[i]!) < 3, `series 2 point ${i} scored ${sb[i]}`);
  });
});
