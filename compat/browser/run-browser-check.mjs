#!/usr/bin/env node
/* global fetch */
// Manual check that the browser entry of @tensorgate/client (`@tensorgate/client/http`) works in a
// real browser against tensorgate with CORS: starts tensorgate on the example repository with
// `--http-cors-origin` for a page served from another origin, loads the page in headless Chromium
// (Debian's `chromium`, not a project dependency), and prints what the page reports. The page
// imports the built ES modules directly through an import map, so no bundler is involved.
//
// Usage (after npm ci): node compat/browser/run-browser-check.mjs [--chromium /usr/bin/chromium]
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const chromium = process.argv.includes('--chromium') ? process.argv[process.argv.indexOf('--chromium') + 1] : 'chromium';
const roots = { '/client/': `${root}packages/client/`, '/protocol/': `${root}packages/protocol/` };

async function freePort() {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

const [apiPort, pagePort, grpcPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
const page = `<!doctype html><html><head><script type="importmap">{"imports":{
 "@tensorgate/client/http":"/client/dist/http.js",
 "@tensorgate/protocol/datatypes":"/protocol/dist/datatypes.js",
 "@tensorgate/protocol/tensor-codec":"/protocol/dist/tensor-codec.js"}}</script></head><body><pre id="out">running</pre>
<script type="module">
import { HttpInferenceClient, InferInput } from '@tensorgate/client/http';
const out = document.getElementById('out');
try {
  const c = new HttpInferenceClient('http://127.0.0.1:${apiPort}');
  const a = new InferInput('INPUT0', [1, 16], 'INT32').setData(Int32Array.from({ length: 16 }, (_, i) => i));
  const b = new InferInput('INPUT1', [1, 16], 'INT32').setData(new Int32Array(16).fill(1));
  const r = await c.infer('simple', [a, b]);
  const s = await c.infer('simple_string', [
    new InferInput('INPUT0', [1, 16], 'BYTES').setData(Array.from({ length: 16 }, (_, i) => String(i))),
    new InferInput('INPUT1', [1, 16], 'BYTES').setData(new Array(16).fill('1'))]);
  const lstm = await c.infer('lstm_timeseries', [new InferInput('INPUT', [1, 10, 1], 'FP32').setData(new Float32Array([0,0.5,0.87,1,0.87,0.5,0,-0.5,-0.87,-1]))]);
  let err = '';
  try { await c.infer('nope', [a]); } catch (e) { err = e.code + ' ' + e.status; }
  out.textContent = 'OK ' + JSON.stringify({ ready: await c.isServerReady(), sum: [...r.asTypedArray('OUTPUT0')].slice(0, 4),
    strings: s.asStrings('OUTPUT0').slice(0, 4), forecast: [...lstm.asTypedArray('OUTPUT')].map((x) => x.toFixed(2)), err });
} catch (e) { out.textContent = 'FAIL ' + (e && e.stack || e); }
</script></body></html>`;

const pageServer = createServer((req, res) => {
  if (req.url === '/') {
    res.setHeader('content-type', 'text/html');
    return res.end(page);
  }
  for (const [prefix, dir] of Object.entries(roots))
    if (req.url.startsWith(prefix) && !req.url.includes('..')) {
      try {
        const body = readFileSync(dir + req.url.slice(prefix.length));
        res.setHeader('content-type', 'text/javascript');
        return res.end(body);
      } catch {
        break;
      }
    }
  res.statusCode = 404;
  res.end();
}).listen(pagePort, '127.0.0.1');

const server = spawn(
  process.execPath,
  [`${root}packages/server/bin/tensorgate.js`, 'serve', '--model-repository', `${root}examples/model_repository`,
   '--host', '127.0.0.1', '--http-port', String(apiPort), '--grpc-port', String(grpcPort), '--metrics-port', String(metricsPort),
   '--http-cors-origin', `http://127.0.0.1:${pagePort}`],
  { stdio: 'ignore' },
);
let code = 1;
try {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${apiPort}/v2/health/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const { stdout } = await promisify(execFile)(
    chromium,
    ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=20000', '--dump-dom', `http://127.0.0.1:${pagePort}/`],
    { timeout: 60_000 },
  );
  const result = /<pre id="out">([^<]*)/.exec(stdout)?.[1] ?? '(no result)';
  console.log(result);
  code = result.startsWith('OK ') ? 0 : 1;
} finally {
  server.kill('SIGTERM');
  pageServer.close();
}
process.exit(code);
