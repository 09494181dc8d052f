import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { osHostSampler, registerHostMetrics, type CpuTimes } from './host-metrics.js';

async function value(registry: Registry, name: string): Promise<number | undefined> {
  const json = await registry.getMetricsAsJSON();
  return json.find((m) => m.name === name)?.values[0]?.value;
}

test('CPU utilization is the busy share of CPU time since the previous scrape', async () => {
  const registry = new Registry();
  const times: CpuTimes[] = [
    { busy: 100, total: 1000 }, // baseline at registration
    { busy: 150, total: 1100 }, // first scrape: 50 / 100
    { busy: 150, total: 1100 }, // no time elapsed: keep 0.5
    { busy: 450, total: 1500 }, // 300 / 400
  ];
  let i = 0;
  registerHostMetrics(registry, {
    cpuTimes: () => times[Math.min(i++, times.length - 1)] as CpuTimes,
    memory: () => ({ total: 1024, available: 256 }),
  });
  assert.equal(await value(registry, 'nv_cpu_utilization'), 0.5);
  assert.equal(await value(registry, 'nv_cpu_utilization'), 0.5);
  assert.equal(await value(registry, 'nv_cpu_utilization'), 0.75);
  assert.equal(await value(registry, 'nv_cpu_memory_total_bytes'), 1024);
  assert.equal(await value(registry, 'nv_cpu_memory_used_bytes'), 768);
});

test('the utilization after an idle period is 0 and after a busy one is 1', async () => {
  const registry = new Registry();
  const times: CpuTimes[] = [
    { busy: 0, total: 0 },
    { busy: 0, total: 500 },
    { busy: 500, total: 1000 },
  ];
  let i = 0;
  registerHostMetrics(registry, {
    cpuTimes: () => times[i++] as CpuTimes,
    memory: () => ({ total: 1, available: 1 }),
  });
  assert.equal(await value(registry, 'nv_cpu_utilization'), 0);
  assert.equal(await value(registry, 'nv_cpu_utilization'), 1);
});

test('the os sampler reports plausible host numbers', () => {
  const cpu = osHostSampler.cpuTimes();
  assert.ok(cpu.total > 0 && cpu.busy >= 0 && cpu.busy <= cpu.total);
  const mem = osHostSampler.memory();
  assert.ok(mem.total > 0 && mem.available > 0 && mem.available <= mem.total);
});
