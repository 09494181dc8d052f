/**
 * Every PromQL query in deploy/ (the Grafana dashboard, the prometheus-adapter rule, the KEDA
 * triggers, the KServe LLM autoscaling metric) names only metrics that a real server exports:
 * checked against the /metrics page of a server started here with a plain model and an
 * LLM-contract model (so that the tensorgate_llm_* families have series).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeEchoLlm } from '../helpers/llm-echo-model.js';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';
import { DEPLOY, findObject, get, REPO_ROOT } from './deploy-files.js';
import { parseYamlFile, renderKustomization } from './kustomize-render.js';
import { exportedSampleNames, metricNames } from './promql-metrics.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr: string; refId: string }>;
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string }> };
}

const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/tensorgate-dashboard.json'), 'utf8')) as Dashboard;
const panels = dashboard.panels.filter((p) => p.type !== 'row');

/** The selector inside Grafana's `label_values(selector, label)` variable query. */
function labelValuesSelector(query: string): string {
  const m = /^label_values\((.+),\s*\w+\)$/.exec(query.trim());
  if (m === null) throw new Error(`unsupported variable query '${query}'`);
  return m[1]!;
}

/** Every PromQL query under deploy/, with where it comes from. */
function allQueries(): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const p of panels)
    for (const t of p.targets ?? []) out.push({ where: `dashboard panel '${p.title}' ${t.refId}`, expr: t.expr });
  for (const v of dashboard.templating.list) {
    if (v.type === 'query')
      out.push({ where: `dashboard variable ${v.name}`, expr: labelValuesSelector(v.definition ?? '') });
  }
  const adapter = parseYamlFile(join(DEPLOY, 'kubernetes/overlays/hpa-queue-time/prometheus-adapter-values.yaml'))[0]!;
  for (const rule of get(adapter, 'rules', 'custom') as Array<{ seriesQuery: string; metricsQuery: string }>) {
    out.push({ where: 'prometheus-adapter seriesQuery', expr: rule.seriesQuery });
    out.push({ where: 'prometheus-adapter metricsQuery', expr: rule.metricsQuery });
  }
  const scaled = findObject(renderKustomization(join(DEPLOY, 'kubernetes/overlays/keda')), 'ScaledObject');
  for (const t of get(scaled, 'spec', 'triggers') as Array<{ name: string; metadata: { query: string } }>) {
    out.push({ where: `KEDA trigger ${t.name}`, expr: t.metadata.query });
  }
  const llm = parseYamlFile(join(REPO_ROOT, 'deploy/kserve/inferenceservice-llm.yaml'))[0]!;
  for (const m of get(llm, 'spec', 'predictor', 'autoScaling', 'metrics') as Array<{
    external: { metric: { query: string } };
  }>) {
    out.push({ where: 'KServe LLM autoscaling', expr: m.external.metric.query });
  }
  return out;
}

let server: TestServer;
let repo: Awaited<ReturnType<typeof tempRepository>>;
let exported: Set<string>;

before(async () => {
  repo = await tempRepository(['simple']);
  await writeEchoLlm(repo.path, 'echo');
  server = await startServer([], repo.path);
  exported = exportedSampleNames(await (await fetch(server.metrics)).text());
});
after(async () => {
  await server.close();
  await repo.remove();
});

test('the live /metrics page has the nv_*, histogram and LLM families', () => {
  for (const name of [
    'nv_inference_request_success',
    'nv_inference_queue_duration_us',
    'tensorgate_inference_request_duration_seconds_bucket',
    'tensorgate_llm_time_to_first_token_seconds_bucket',
    'tensorgate_llm_generation_tokens_total',
  ]) {
    assert.ok(exported.has(name), name);
  }
});

test('every query under deploy/ names only metrics the server exports', () => {
  const queries = allQueries();
  assert.ok(queries.length >= 25, `only ${queries.length} queries found`);
  const unknown: string[] = [];
  for (const q of queries)
    for (const name of metricNames(q.expr)) if (!exported.has(name)) unknown.push(`${q.where}: ${name}`);
  assert.deepEqual(unknown, []);
});

test('the dashboard shows throughput, p50/p99, queue time, batch sizes, failures by reason, LLM TTFT and tokens/s', () => {
  const used = new Set(panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))));
  for (const name of [
    'nv_inference_request_success',
    'nv_inference_count',
    'tensorgate_inference_request_duration_seconds_bucket',
    'tensorgate_inference_queue_duration_seconds_bucket',
    'nv_inference_queue_duration_us',
    'nv_inference_exec_count',
    'nv_inference_request_failure',
    'tensorgate_llm_time_to_first_token_seconds_bucket',
    'tensorgate_llm_generation_tokens_total',
  ]) {
    assert.ok(used.has(name), `no panel uses ${name}`);
  }
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  assert.ok(
    exprs.some((e) => e.includes('histogram_quantile(0.99') && e.includes('tensorgate_inference_request_duration')),
  );
  assert.ok(
    exprs.some((e) => e.includes('histogram_quantile(0.5') && e.includes('tensorgate_inference_request_duration')),
  );
  assert.ok(exprs.some((e) => /by \(model, reason\)/.test(e) && e.includes('nv_inference_request_failure')));
});

test('dashboard panels have unique ids, the data source variable, and only defined variables', () => {
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  const vars = new Set(dashboard.templating.list.map((v) => v.name));
  for (const p of panels) {
    assert.equal(p.datasource?.uid, '${datasource}', p.title);
    assert.ok((p.targets ?? []).length > 0, `${p.title} has no query`);
    for (const t of p.targets ?? []) {
      for (const m of t.expr.matchAll(/\$(?:\{(\w+)\}|(\w+))/g)) {
        const name = m[1] ?? m[2]!;
        assert.ok(name.startsWith('__') || vars.has(name), `${p.title}: undefined variable $${name}`);
      }
    }
  }
});

test('the queue-time HPA asks for the metric the adapter rule defines', () => {
  const adapter = parseYamlFile(join(DEPLOY, 'kubernetes/overlays/hpa-queue-time/prometheus-adapter-values.yaml'))[0]!;
  const rule = get(adapter, 'rules', 'custom', 0);
  const hpa = findObject(
    renderKustomization(join(DEPLOY, 'kubernetes/overlays/hpa-queue-time')),
    'HorizontalPodAutoscaler',
  );
  assert.equal(get(hpa, 'spec', 'metrics', 0, 'pods', 'metric', 'name'), rule.name.as);
  assert.match(rule.seriesQuery, new RegExp(rule.name.matches.replace(/^\^|\$$/g, '')));
  assert.deepEqual(Object.keys(rule.resources.overrides).sort(), ['namespace', 'pod']);
});

test('the Prometheus scrape example scrapes the metrics port at /metrics', () => {
  const scrape = parseYamlFile(join(DEPLOY, 'grafana/prometheus-scrape.yaml'))[0]!;
  const jobs = get(scrape, 'scrape_configs') as Array<{
    job_name: string;
    metrics_path: string;
    static_configs?: Array<{ targets: string[] }>;
  }>;
  assert.deepEqual(
    jobs.map((j) => j.metrics_path),
    ['/metrics', '/metrics'],
  );
  assert.deepEqual(jobs[0]!.static_configs?.[0]?.targets, ['localhost:8002']);
});
