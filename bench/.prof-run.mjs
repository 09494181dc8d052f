import { spawn } from 'node:child_process';
import { makeLlmRepository } from './lib/llm-setup.mjs';
const transport = process.argv[2] ?? 'sse';
const repo = await makeLlmRepository('tiny', 8);
const server = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', '/tmp/openai-prof', 'packages/server/bin/tensorgate.js', 'serve', '--model-repository', repo.path, '--host', '127.0.0.1', '--http-port', '18741', '--grpc-port', '18742', '--metrics-port', '18743', '--log-verbose', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => server.stdout.on('data', (d) => { if (String(d).includes('tensorgate started')) r(); }));
const port = transport === 'sse' ? 18741 : 18742;
for (const c of [8]) {
  const p = spawn(process.execPath, ['bench/llm-throughput.mjs', '--child', transport, '--port', String(port), '--concurrency', String(c), '--requests', process.env.REQ ?? '24', '--max-tokens', '64'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = ''; p.stdout.on('data', (d) => (out += d));
  await new Promise((r) => p.on('exit', r));
  const rec = JSON.parse(out.split('\n').find((l) => l.startsWith('LLM_THROUGHPUT_RESULT ')).slice(22));
  console.log(transport, c, Math.round(rec.tps), 'tok/s');
}
server.kill('SIGINT');
await new Promise((r) => server.on('exit', r));
repo.remove();
