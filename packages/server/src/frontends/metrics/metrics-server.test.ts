import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { pino } from 'pino';
import type { InferenceObserver } from '../../core/observer.js';
import { createMetricsFrontend, type MetricsFrontend } from './metrics-server.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function fetchText(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics frontend over HTTP', () => {
  const observers: InferenceObserver[] = [];
  const fakeCore = { addObserver: (o: InferenceObserver) => void observers.push(o) };
  let frontend: MetricsFrontend;
  let port = 0;

  before(async () => {
    frontend = createMetricsFrontend(fakeCore, {
      logger: pino({ level: 'silent' }),
      hostSampler: {
        cpuTimes: () => ({ busy: 0, total: 0 }),
        memory: () => ({ total: 8000, available: 3000 }),
      },
    });
    port = await frontend.listen(0, '127.0.0.1');
  });
  after(() => frontend.close());

  test('registers exactly one observer on the core', () => {
    assert.equal(observers.length, 1);
  });

  test('GET /metrics serves the Prometheus text format', async () => {
    observers[0]?.onRequest?.({
      model: 'simple',
      version: '1',
      success: true,
      batchSize: 2,
      requestNs: 5000,
      queueNs: 1000,
      computeInputNs: 1000,
      computeInferNs: 2000,
      computeOutputNs: 1000,
    });
    observers[0]?.onExecution?.({ model: 'simple', version: '1', batchSize: 2 });
    const reply = await fetchText(port, '/metrics');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const lines = reply.body.split('\n');
    assert.ok(lines.includes('nv_inference_request_success{model="simple",version="1"} 1'));
    assert.ok(lines.includes('nv_inference_count{model="simple",version="1"} 2'));
    assert.ok(lines.includes('nv_inference_exec_count{model="simple",version="1"} 1'));
    assert.ok(lines.includes('nv_inference_request_duration_us{model="simple",version="1"} 5'));
    assert.ok(lines.includes('nv_cpu_memory_total_bytes 8000'));
    assert.ok(lines.includes('nv_cpu_memory_used_bytes 5000'));
    assert.ok(
      lines.some((l) => l.startsWith('process_cpu_user_seconds_total ')),
      'default process metrics',
    );
    assert.ok(
      lines.some((l) => l.startsWith('nodejs_heap_size_used_bytes ')),
      'default Node.js metrics',
    );
  });

  test('a query string is ignored', async () => {
    assert.equal((await fetchText(port, '/metrics?name[]=x')).status, 200);
  });

  test('HEAD /metrics has headers and no body', async () => {
    const reply = await fetchText(port, '/metrics', 'HEAD');
    assert.equal(reply.status, 200);
    assert.equal(reply.body, '');
  });

  test('other paths are 404 and other methods 405', async () => {
    assert.equal((await fetchText(port, '/')).status, 404);
    assert.equal((await fetchText(port, '/v2/health/ready')).status, 404);
    const post = await fetchText(port, '/metrics', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  test('uses its own registry, not the global one', async () => {
    const { register } = await import('prom-client');
    assert.notEqual(frontend.registry, register);
    assert.equal(register.getSingleMetric('nv_inference_request_success'), undefined);
  });
});

describe('metrics frontend lifecycle', () => {
  test('two frontends can live in one process (separate registries)', async () => {
    const logger = pino({ level: 'silent' });
    const a = createMetricsFrontend({ addObserver() {} }, { logger });
    const b = createMetricsFrontend({ addObserver() {} }, { logger });
    assert.notEqual(a.registry, b.registry);
    await Promise.all([a.close(), b.close()]);
  });

  test('listen rejects when the port is taken', async () => {
    const logger = pino({ level: 'silent' });
    const a = createMetricsFrontend({ addObserver() {} }, { logger, processMetrics: false });
    const b = createMetricsFrontend({ addObserver() {} }, { logger, processMetrics: false });
    const taken = await a.listen(0, '127.0.0.1');
    await assert.rejects(b.listen(taken, '127.0.0.1'), { code: 'EADDRINUSE' });
    await a.close();
    await b.close();
  });

  test('close() does not wait for idle keep-alive connections', async () => {
    const logger = pino({ level: 'silent' });
    const f = createMetricsFrontend({ addObserver() {} }, { logger, processMetrics: false });
    const p = await f.listen(0, '127.0.0.1');
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: p, path: '/metrics', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    await f.close();
    agent.destroy();
  });
});
