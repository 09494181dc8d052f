/**
 * The `tensorgate_llm_*` series on /metrics after real LLMService calls to the JS echo model
 * (counts and token totals only: no timing values).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpc, grpcClient, serverStreamAll, unary, type Msg } from '../helpers/grpc-client.js';
import { writeEchoLlm } from '../helpers/llm-echo-model.js';
import { eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

let s: TestServer;
let repo: Awaited<ReturnType<typeof tempRepository>>;
let client: ReturnType<typeof grpcClient>;

before(async () => {
  repo = await tempRepository(['simple']);
  await writeEchoLlm(repo.path, 'echo');
  await writeEchoLlm(repo.path, 'echo_slow', { tokenDelayMs: 20 });
  s = await startServer([], repo.path);
  client = grpcClient(s.grpcPort, 'llm.LLMService');
});
after(async () => {
  client.close();
  await s.close();
  await repo.remove();
});

function stream(request: Msg): Promise<Msg[]> {
  return serverStreamAll(client, 'StreamGenerate', request);
}

/** The value of one series on /metrics (undefined when absent). */
async function metric(series: string): Promise<number | undefined> {
  const text = await (await fetch(s.metrics)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const echo = (name: string, extra = ''): string => `${name}{model="echo",version="1"${extra}}`;
const slow = (name: string): string => `${name}{model="echo_slow",version="1"}`;

test('LLM series exist at zero for LLM models only', async () => {
  assert.equal(await metric(echo('tensorgate_llm_prompt_tokens_total')), 0);
  assert.equal(await metric(echo('tensorgate_llm_time_to_first_token_seconds_count')), 0);
  assert.equal(await metric(echo('tensorgate_llm_num_requests_running')), 0);
  const text = await (await fetch(s.metrics)).text();
  assert.ok(!text.split('\n').some((l) => l.startsWith('tensorgate_llm_') && l.includes('model="simple"')));
  assert.match(text, /nv_inference_request_success\{model="simple",version="1"\} 0/);
});

test('streamed and unary generations feed the token counters and latency histograms', async () => {
  // 3 prompt words, 4 generated tokens, finish "stop".
  const a = await stream({ prompt: 'one two three', model: 'echo' });
  assert.equal(a.length, 5);
  // 5 prompt words, max_tokens 2, finish "length".
  const b = await stream({ prompt: 'a b c d e', model: 'echo', max_tokens: 2 });
  assert.equal(b.length, 3);
  // Unary: 1 prompt word, 2 generated tokens; one response.
  const c = await unary(client, 'Generate', { prompt: 'hi', model: 'echo' });
  assert.equal(c['completion_tokens'], 2);

  assert.equal(await metric(echo('tensorgate_llm_prompt_tokens_total')), 3 + 5 + 1);
  assert.equal(await metric(echo('tensorgate_llm_generation_tokens_total')), 4 + 2 + 2);
  assert.equal(await metric(echo('tensorgate_llm_time_to_first_token_seconds_count')), 3);
  // Inter-token gaps: (4 - 1) + (2 - 1) streamed chunks after the first; none for the unary reply.
  assert.equal(await metric(echo('tensorgate_llm_inter_token_latency_seconds_count')), 4);
  assert.equal(await metric(echo('tensorgate_llm_e2e_request_latency_seconds_count')), 3);
  assert.equal(await metric(echo('tensorgate_llm_request_success_total', ',finish_reason="stop"')), 2);
  assert.equal(await metric(echo('tensorgate_llm_request_success_total', ',finish_reason="length"')), 1);
  assert.equal(await metric(echo('nv_inference_request_success')), 3);
  assert.equal(await metric(echo('tensorgate_llm_num_requests_running')), 0);
  assert.equal(await metric(echo('tensorgate_llm_num_requests_waiting')), 0);
});

test('a generating request is running until it is cancelled', async () => {
  const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
  const call = client['StreamGenerate']({
    prompt: words,
    model: 'echo_slow',
    max_tokens: 500,
  }) as grpc.ClientReadableStream<Msg>;
  const failed = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
  await new Promise((resolve) => call.once('data', resolve));
  assert.equal(await metric(slow('tensorgate_llm_num_requests_running')), 1);
  assert.equal(await metric(slow('tensorgate_llm_num_requests_waiting')), 0);
  call.cancel();
  assert.equal((await failed).code, grpc.status.CANCELLED);
  await eventually(async () => (await metric(slow('tensorgate_llm_num_requests_running'))) === 0);
  // The client went away before the final response: first token seen, no end-to-end observation.
  assert.equal(await metric(slow('tensorgate_llm_time_to_first_token_seconds_count')), 1);
  assert.equal(await metric(slow('tensorgate_llm_e2e_request_latency_seconds_count')), 0);
  assert.equal(await metric('nv_inference_request_failure{model="echo_slow",version="1",reason="CANCELED"}'), 1);
});
