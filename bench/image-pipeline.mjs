#!/usr/bin/env node
// Benchmark (issue #13): images/s of encoded images through the `ensemble_image` pipeline
// (image_preprocess decodes a 256 x 256 JPEG of quality 90 with sharp and prepares the FP32 tensor,
// image_classifier scores it) against raw FP32 [1, 3, 224, 224] tensors sent to image_classifier,
// both driven by h2load over gRPC with the same number of requests in flight, in one server, and
// against the same decode + preprocess + session.run done in this process with no server.
//
// The in-process side runs the example's own model code (image_preprocess/1/model.js, initialized
// with the config the server reports) and onnxruntime-node with the session options the server
// logged: `--concurrency` images decoding at once, each finished image queued for the next
// session.run, which takes every image waiting (as the server's dynamic batcher does with no delay).
// Rounds alternate the three sides (order rotated each round); medians. h2load does not read gRPC
// status trailers, so every measurement checks the models' statistics: any failed request fails
// the script.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { main, parseCli, printCommand, ROOT } from './lib/cli.mjs';
import { assertModelsReady, modelStats, statsDelta } from './lib/grpc-control.mjs';
import { findBlock, parseParams, removeBlock, withParameters } from './lib/model-repo.mjs';
import { loadOrt, openSession, serverSessionOptions } from './lib/ort-inprocess.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num } from './lib/stats.mjs';
import { cpuDelta, threadCpuMs } from './lib/thread-cpu.mjs';
import { frame } from './grpc-bodies.mjs';

const opts = parseCli(
  import.meta.url,
  'Images/s: 256x256 JPEG bytes through ensemble_image vs raw FP32 tensors through image_classifier\n' +
    '(h2load, gRPC, same server) vs decode + preprocess + session.run in process; interleaved rounds, medians.',
  {
    concurrency: {
      default: 8,
      help: 'requests (images) in flight: h2load -c 1 -m N; in process, images decoding at once',
    },
    requests: { default: 1500, help: 'requests per gRPC measurement (after 200 warm-up requests)' },
    duration: { default: 4, help: 'seconds of the in-process measurement (after 1 s of warm-up)' },
    rounds: { default: 3, help: 'interleaved rounds' },
    'preprocess-instances': { default: 1, help: "image_preprocess's instance_group count" },
    'preprocess-batching': {
      type: 'string',
      default: 'on',
      help: "image_preprocess's dynamic_batching: on (as the example) | off",
    },
    'sharp-concurrency': {
      default: 1,
      help: "image_preprocess's sharp_concurrency parameter (libvips threads per image)",
    },
    'classifier-delay-us': { help: "image_classifier's max_queue_delay_microseconds (default: the example's 2000)" },
    'classifier-preferred': {
      type: 'string',
      help: "image_classifier's preferred_batch_size list, e.g. 4,8 (default: the example's 8,16; 'none' removes it)",
    },
    quality: { default: 90, help: 'JPEG quality of the generated image' },
  },
);

const EXAMPLES = join(ROOT, 'examples', 'model_repository');
const PATH = '/inference.GRPCInferenceService/ModelInfer';
const MODELS = ['ensemble_image', 'image_preprocess', 'image_classifier'];

/** A 256 x 256 photo-like RGB image (gradients, a wave, seeded noise), encoded as JPEG. */
async function benchJpeg(quality) {
  const w = 256;
  const raw = Buffer.alloc(w * w * 3);
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      raw[i] = Math.min(255, (x * 200) / w + rnd() * 55);
      raw[i + 1] = Math.min(255, (y * 200) / w + rnd() * 55);
      raw[i + 2] = (Math.sin(x / 7) * Math.cos(y / 5) + 1) * 100 + rnd() * 55;
    }
  }
  return sharp(raw, { raw: { width: w, height: w, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/** A throwaway repository (`<tmp>/repo`, `<tmp>/node_modules` -> this project's, so sharp resolves). */
function makeRepo() {
  const base = mkdtempSync(join(tmpdir(), 'tg-bench-images-'));
  const repo = join(base, 'repo');
  symlinkSync(join(ROOT, 'node_modules'), join(base, 'node_modules'), 'dir');
  for (const m of MODELS) cpSync(join(EXAMPLES, m), join(repo, m), { recursive: true });
  const edit = (model, fn) => {
    const file = join(repo, model, 'config.pbtxt');
    writeFileSync(file, fn(readFileSync(file, 'utf8')));
  };
  edit('image_preprocess', (t) => {
    let out = t.replace(/count: \d+/, `count: ${opts['preprocess-instances']}`);
    if (opts['preprocess-batching'] === 'off') out = removeBlock(out, 'dynamic_batching');
    return withParameters(out, {
      sharp_concurrency: opts['sharp-concurrency'],
      ...parseParams(opts['preprocess-param']),
    });
  });
  edit('image_classifier', (t) => {
    const at = findBlock(t, 'dynamic_batching');
    let block = t.slice(at[0], at[1]);
    if (opts['classifier-delay-us'] !== undefined) {
      block = block.replace(
        /max_queue_delay_microseconds: \d+/,
        `max_queue_delay_microseconds: ${opts['classifier-delay-us']}`,
      );
    }
    const preferred = opts['classifier-preferred'];
    if (preferred === 'none') block = block.replace(/\n\s*preferred_batch_size: \[[^\]]*\]/, '');
    else if (preferred)
      block = block.replace(/preferred_batch_size: \[[^\]]*\]/, `preferred_batch_size: [ ${preferred} ]`);
    return t.slice(0, at[0]) + block + t.slice(at[1]);
  });
  return { path: repo, remove: () => rmSync(base, { recursive: true, force: true }) };
}

function h2load(port, bodyFile, n) {
  const r = spawnSync(
    'h2load',
    [
      '-n',
      String(n),
      '-c',
      '1',
      '-m',
      String(opts.concurrency),
      '-d',
      bodyFile,
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      `http://127.0.0.1:${port}${PATH}`,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const out = r.stdout;
  const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(out)?.[1]);
  const ok = Number(/(\d+) succeeded/.exec(out)?.[1]);
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1];
  if (!rps || ok !== n) throw new Error(`h2load failed:\n${out}\n${r.stderr}`);
  return { rps, meanLatency: mean };
}

/** One h2load measurement with the models' statistics and the server's CPU over the same window. */
async function measureServer(server, bodyFile, model) {
  h2load(server.port, bodyFile, 200); // warm-up
  const before = Object.fromEntries(await Promise.all(MODELS.map(async (m) => [m, await modelStats(server.port, m)])));
  const cpu0 = threadCpuMs(server.pid);
  const r = h2load(server.port, bodyFile, opts.requests);
  const cpu = cpuDelta(cpu0, threadCpuMs(server.pid));
  const stats = {};
  for (const m of MODELS) {
    stats[m] = statsDelta(before[m], await modelStats(server.port, m));
    if (stats[m].failed > 0)
      throw new Error(`${stats[m].failed} requests to ${m} failed during the ${model} measurement`);
  }
  if (stats[model].requests < opts.requests)
    throw new Error(`${model} served ${stats[model].requests} of ${opts.requests}`);
  const perImage = (ms) => (ms * 1000) / opts.requests;
  return { ...r, stats, cpuMainUs: cpu && perImage(cpu.main), cpuOtherUs: cpu && perImage(cpu.other) };
}

/** The example's preprocessing code and ONNX Runtime in this process: `concurrency` images at once. */
async function inProcess(pre, session, jpeg, seconds) {
  const input = { data: [new Uint8Array(jpeg)] };
  const request = { input: () => input, isCancelled: () => false };
  const size = 3 * 224 * 224;
  const waiting = [];
  let running = false;
  let images = 0;
  let runs = 0;
  let preMs = 0;
  let runMs = 0;
  let stop = false;
  const runBatches = async () => {
    running = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, 32);
      const data = new Float32Array(batch.length * size);
      batch.forEach((b, i) => data.set(b.tensor, i * size));
      const t0 = performance.now();
      await session.run({ input: new ort.Tensor('float32', data, [batch.length, 3, 224, 224]) });
      runMs += performance.now() - t0;
      runs++;
      for (const b of batch) b.done();
    }
    running = false;
  };
  const slot = async () => {
    while (!stop) {
      const t0 = performance.now();
      const response = await pre.preprocess(request);
      preMs += performance.now() - t0;
      if (response.error) throw new Error(response.error);
      await new Promise((done) => {
        waiting.push({ tensor: response.outputs[0].data, done });
        if (!running) void runBatches();
      });
      images++;
    }
  };
  const measure = async (ms) => {
    stop = false;
    const slots = Array.from({ length: opts.concurrency }, slot);
    await new Promise((r) => setTimeout(r, ms));
    stop = true;
    await Promise.all(slots);
  };
  await measure(1000);
  images = runs = preMs = runMs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await measure(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    rps: images / elapsed,
    preprocessMs: preMs / images,
    runMs: runMs / runs,
    meanBatch: images / runs,
    cpuUs: (cpu.user + cpu.system) / images,
  };
}

let ort;
main(async () => {
  printCommand();
  if (spawnSync('h2load', ['--version']).error) throw new Error('h2load not found: apt-get install nghttp2-client');
  const jpeg = await benchJpeg(opts.quality);
  const repo = makeRepo();
  const server = await startTensorgate(repo.path);
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-bodies-'));
  try {
    await assertModelsReady(server.port, MODELS);
    const config = await (
      await globalThis.fetch(`http://127.0.0.1:${server.httpPort}/v2/models/image_preprocess/config`)
    ).json();
    const { default: ImagePreprocess } = await import(
      pathToFileURL(join(repo.path, 'image_preprocess/1/model.js')).href
    );
    const pre = new ImagePreprocess();
    const logger = { info() {}, warn() {}, error() {}, debug() {} };
    await pre.initialize({ model_config: config, model_version_path: join(repo.path, 'image_preprocess/1'), logger });
    const tensor = (await pre.preprocess({ input: () => ({ data: [new Uint8Array(jpeg)] }), isCancelled: () => false }))
      .outputs[0].data;
    ort = await loadOrt();
    const sessionOptions = serverSessionOptions(server, 'image_classifier');
    const session = await openSession(ort, join(repo.path, 'image_classifier/1/model.onnx'), sessionOptions);

    const len = Buffer.alloc(4);
    len.writeUInt32LE(jpeg.length);
    const jpegBody = join(dir, 'jpeg.bin');
    const fp32Body = join(dir, 'fp32.bin');
    writeFileSync(
      jpegBody,
      frame({
        model_name: 'ensemble_image',
        inputs: [{ name: 'INPUT', datatype: 'BYTES', shape: [1, 1] }],
        raw_input_contents: [Buffer.concat([len, jpeg])],
      }),
    );
    writeFileSync(
      fp32Body,
      frame({
        model_name: 'image_classifier',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224] }],
        raw_input_contents: [Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength)],
      }),
    );
    const sides = {
      fp32: () => measureServer(server, fp32Body, 'image_classifier'),
      jpeg: () => measureServer(server, jpegBody, 'ensemble_image'),
      local: () => inProcess(pre, session, jpeg, opts.duration),
    };
    const results = { fp32: [], jpeg: [], local: [] };
    const order = Object.keys(sides);
    for (let round = 0; round < opts.rounds; round++) {
      const line = [];
      for (let k = 0; k < order.length; k++) {
        const side = order[(k + round) % order.length];
        const r = await sides[side]();
        results[side].push(r);
        line.push(`${side} ${num(r.rps)}/s`);
      }
      process.stderr.write(`round ${round + 1}/${opts.rounds}: ${line.join(', ')}\n`);
    }
    report(results, { jpegBytes: jpeg.length, fp32Bytes: tensor.byteLength, sessionOptions });
  } finally {
    await server.stop();
    repo.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

function report(results, { jpegBytes, fp32Bytes, sessionOptions }) {
  const med = (side, f) => median(results[side].map(f));
  const rate = (side) => med(side, (r) => r.rps);
  const mid = (side) => {
    const sorted = [...results[side]].sort((a, b) => a.rps - b.rps);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  };
  const lines = [];
  lines.push(
    `\n${opts.concurrency} images in flight, 1 image per request (h2load -c 1 -m ${opts.concurrency}, ${opts.requests} requests per ` +
      `measurement), ${opts.rounds} rounds, medians; image_preprocess: ${opts['preprocess-instances']} instance(s), dynamic batching ` +
      `${opts['preprocess-batching']}, sharp_concurrency ${opts['sharp-concurrency']}` +
      `${opts['preprocess-param'] ? `, ${opts['preprocess-param']}` : ''}; UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}; in-process ORT options from the ${sessionOptions.source} ` +
      `(intra-op threads ${sessionOptions.intraOpNumThreads}); ${execFileSync('nproc').toString().trim()} cores, Node ${process.version}.\n`,
  );
  const j = mid('jpeg');
  const f = mid('fp32');
  const l = mid('local');
  lines.push(
    markdownTable(
      [
        'path',
        'images/s',
        'request bytes',
        'mean latency (h2load)',
        'server CPU µs / image: event loop',
        'other threads',
      ],
      [
        [
          'raw FP32 tensor → image_classifier',
          num(rate('fp32')),
          num(fp32Bytes, 0),
          f.meanLatency,
          num(f.cpuMainUs, 0),
          num(f.cpuOtherUs, 0),
        ],
        [
          'JPEG bytes → ensemble_image',
          num(rate('jpeg')),
          num(jpegBytes, 0),
          j.meanLatency,
          num(j.cpuMainUs, 0),
          num(j.cpuOtherUs, 0),
        ],
        [
          'in process: preprocess + session.run',
          num(rate('local')),
          '–',
          '–',
          `${num(l.cpuUs, 0)} (whole process)`,
          '',
        ],
      ],
    ),
  );
  const toFp32 = rate('jpeg') / rate('fp32');
  const toLocal = rate('jpeg') / rate('local');
  lines.push(
    `\nJPEG pipeline / FP32 path: **${num(toFp32, 2)}x** (target ≥ 1.5x: ${toFp32 >= 1.5 ? 'met' : 'not met'})`,
  );
  lines.push(
    `JPEG pipeline / in process: **${num(toLocal * 100, 0)} %** (target ≥ 70 %: ${toLocal >= 0.7 ? 'met' : 'not met'})\n`,
  );
  const st = (r, m) => r.stats[m];
  lines.push(
    'Where the time goes (the median round of each side; server times per request from ModelStatistics, where every ' +
      "request of a batch counts the batch's compute time, so per image = compute / mean batch):\n",
  );
  lines.push(
    markdownTable(
      ['stage', 'mean batch', 'queue µs', 'compute µs (input + infer + output)', 'per image µs'],
      [
        ...['image_preprocess', 'image_classifier'].map((m) => {
          const s = st(j, m);
          const compute = s.inputUs + s.inferUs + s.outputUs;
          return [
            `ensemble: ${m}`,
            num(s.meanBatch, 2),
            num(s.queueUs, 0),
            num(compute, 0),
            num(compute / s.meanBatch, 0),
          ];
        }),
        ['ensemble_image end to end (server)', '–', '–', num(st(j, 'ensemble_image').successUs, 0), '–'],
        (() => {
          const s = st(f, 'image_classifier');
          const compute = s.inputUs + s.inferUs + s.outputUs;
          return [
            'FP32 path: image_classifier',
            num(s.meanBatch, 2),
            num(s.queueUs, 0),
            num(compute, 0),
            num(compute / s.meanBatch, 0),
          ];
        })(),
        [
          'in process: preprocess (decode, resize, floats)',
          '–',
          '–',
          num(l.preprocessMs * 1000, 0),
          num(l.preprocessMs * 1000, 0),
        ],
        [
          'in process: session.run',
          num(l.meanBatch, 2),
          '–',
          num(l.runMs * 1000, 0),
          num((l.runMs * 1000) / l.meanBatch, 0),
        ],
      ],
    ),
  );
  const all = (side) => results[side].map((r) => Math.round(r.rps));
  lines.push(
    `\nall rounds (images/s): ${JSON.stringify({ fp32: all('fp32'), jpeg: all('jpeg'), local: all('local') })}`,
  );
  console.log(lines.join('\n'));
}
