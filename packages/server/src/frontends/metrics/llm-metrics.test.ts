import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { ResponseEvent } from '../../core/observer.js';
import { MetricsObserver } from './metrics-observer.js';

function response(overrides: Partial<ResponseEvent> = {}): ResponseEvent {
  return {
    model: 'llm',
    version: '1',
    llm: true,
    hasOutputs: true,
    final: false,
    sinceArrivalNs: 0,
    sincePreviousNs: -1,
    parameters: {},
    ...overrides,
  };
}

async function samples(registry: Registry, prefix = 'tensorgate_llm_'): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

async function value(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await samples(registry, '')).find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function setup(): { registry: Registry; observer: MetricsObserver } {
  const registry = new Registry();
  return { registry, observer: new MetricsObserver(registry) };
}

const L = '{model="llm",version="1"}';

describe('LLM metrics', () => {
  test('an LLM version has its series at zero once ready; other models have none', async () => {
    const { registry, observer } = setup();
    observer.onVersionReady('simple', '1', { decoupled: false, llm: false });
    observer.onVersionReady('repeat', '1', { decoupled: true, llm: false });
    observer.onVersionReady('llm', '1', { decoupled: true, llm: true });
    const lines = await samples(registry);
    assert.ok(lines.length > 0);
    assert.ok(
      lines.every((l) => l.includes('model="llm"')),
      lines.join('\n'),
    );
    assert.equal(await value(registry, `tensorgate_llm_prompt_tokens_total${L}`), 0);
    assert.equal(await value(registry, `tensorgate_llm_time_to_first_token_seconds_count${L}`), 0);
    assert.equal(await value(registry, `tensorgate_llm_num_requests_running${L}`), 0);
    assert.equal(
      await value(registry, 'tensorgate_llm_request_success_total{model="llm",version="1",finish_reason="length"}'),
      0,
    );
  });

  test('a streamed request: first token, inter-token gaps, end to end, tokens, finish reason', async () => {
    const { registry, observer } = setup();
    observer.onResponse(response({ sinceArrivalNs: 2e6 })); // first text after 2 ms
    observer.onResponse(response({ sinceArrivalNs: 3e6, sincePreviousNs: 1e6 }));
    observer.onResponse(response({ sinceArrivalNs: 5e6, sincePreviousNs: 2e6 }));
    observer.onResponse(
      response({
        hasOutputs: false,
        final: true,
        sinceArrivalNs: 6e6,
        parameters: { finish_reason: 'length', num_input_tokens: 7, num_output_tokens: 3 },
      }),
    );
    assert.equal(await value(registry, `tensorgate_llm_time_to_first_token_seconds_count${L}`), 1);
    assert.equal(await value(registry, `tensorgate_llm_time_to_first_token_seconds_sum${L}`), 0.002);
    assert.equal(await value(registry, `tensorgate_llm_inter_token_latency_seconds_count${L}`), 2);
    assert.equal(await value(registry, `tensorgate_llm_inter_token_latency_seconds_sum${L}`), 0.003);
    assert.equal(await value(registry, `tensorgate_llm_e2e_request_latency_seconds_count${L}`), 1);
    assert.equal(await value(registry, `tensorgate_llm_e2e_request_latency_seconds_sum${L}`), 0.006);
    assert.equal(await value(registry, `tensorgate_llm_prompt_tokens_total${L}`), 7);
    assert.equal(await value(registry, `tensorgate_llm_generation_tokens_total${L}`), 3);
    const reason = (r: string): string =>
      `tensorgate_llm_request_success_total{model="llm",version="1",finish_reason="${r}"}`;
    assert.equal(await value(registry, reason('length')), 1);
    assert.equal(await value(registry, reason('stop')), 0);
  });

  test('a non-streamed reply is its own first token; odd finish reasons count as other', async () => {
    const { registry, observer } = setup();
    observer.onResponse(
      response({
        final: true,
        sinceArrivalNs: 4e6,
        parameters: { finish_reason: 'weird', num_input_tokens: 2, num_output_tokens: 'x' },
      }),
    );
    assert.equal(await value(registry, `tensorgate_llm_time_to_first_token_seconds_count${L}`), 1);
    assert.equal(await value(registry, `tensorgate_llm_inter_token_latency_seconds_count${L}`), 0);
    assert.equal(await value(registry, `tensorgate_llm_e2e_request_latency_seconds_count${L}`), 1);
    assert.equal(await value(registry, `tensorgate_llm_prompt_tokens_total${L}`), 2);
    assert.equal(await value(registry, `tensorgate_llm_generation_tokens_total${L}`), 0);
    assert.equal(
      await value(registry, 'tensorgate_llm_request_success_total{model="llm",version="1",finish_reason="other"}'),
      1,
    );
  });

  test('running and waiting follow the core; events of other models are ignored', async () => {
    const { registry, observer } = setup();
    observer.onRunning('llm', '1', { llm: true, running: 2, waiting: 3 });
    observer.onRunning('repeat', '1', { llm: false, running: 1, waiting: 0 });
    observer.onResponse(response({ model: 'repeat', llm: false, final: true }));
    assert.equal(await value(registry, `tensorgate_llm_num_requests_running${L}`), 2);
    assert.equal(await value(registry, `tensorgate_llm_num_requests_waiting${L}`), 3);
    observer.onRunning('llm', '1', { llm: true, running: 1, waiting: 0 });
    assert.equal(await value(registry, `tensorgate_llm_num_requests_running${L}`), 1);
    assert.equal(await value(registry, `tensorgate_llm_num_requests_waiting${L}`), 0);
    assert.ok((await samples(registry)).every((l) => !l.includes('model="repeat"')));
  });

  test('unloading removes the series', async () => {
    const { registry, observer } = setup();
    observer.onVersionReady('llm', '1', { decoupled: true, llm: true });
    observer.onResponse(response({ final: true, parameters: { num_output_tokens: 4 } }));
    observer.onVersionUnloaded('llm', '1');
    assert.deepEqual(await samples(registry), []);
  });
});
