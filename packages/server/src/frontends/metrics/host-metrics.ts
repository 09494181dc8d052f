/**
 * Triton's host gauges (`nv_cpu_utilization`, `nv_cpu_memory_total_bytes`,
 * `nv_cpu_memory_used_bytes`), computed at scrape time from Node's `os` module so they need no
 * polling timer. They are system-wide, like Triton's; the process' own CPU and memory are in
 * prom-client's default `process_*` / `nodejs_*` metrics.
 */
import os from 'node:os';
import { Gauge, type Registry } from 'prom-client';
import { METRICS } from './metric-names.js';

/** Cumulative CPU time of all cores, in any unit (only ratios of differences are used). */
export interface CpuTimes {
  /** Time spent not idle (user, nice, system, irq). */
  readonly busy: number;
  /** Busy plus idle time. */
  readonly total: number;
}

/** Host memory in bytes. */
export interface HostMemory {
  readonly total: number;
  /** Memory available to new processes without swapping (Linux MemAvailable). */
  readonly available: number;
}

/** Where the host numbers come from; tests inject fixed values. */
export interface HostSampler {
  cpuTimes(): CpuTimes;
  memory(): HostMemory;
}

/**
 * Reads the host through `os.cpus()` / `os.totalmem()` / `os.freemem()` (libuv reads
 * /proc/stat and /proc/meminfo' MemAvailable on Linux, the same sources Triton uses).
 */
export const osHostSampler: HostSampler = {
  cpuTimes(): CpuTimes {
    let busy = 0;
    let idle = 0;
    for (const cpu of os.cpus()) {
      const t = cpu.times;
      busy += t.user + t.nice + t.sys + t.irq;
      idle += t.idle;
    }
    return { busy, total: busy + idle };
  },
  memory(): HostMemory {
    return { total: os.totalmem(), available: os.freemem() };
  },
};

/**
 * Registers the three host gauges on `registry`. CPU utilization is the busy share of CPU time
 * between the previous scrape (or this call, for the first scrape) and now; with several
 * scrapers each sees the share since whichever scraped last.
 *
 * @example
 * ```ts
 * registerHostMetrics(registry); // then registry.metrics() includes nv_cpu_utilization
 * ```
 */
export function registerHostMetrics(registry: Registry, sampler: HostSampler = osHostSampler): void {
  let last = sampler.cpuTimes();
  let utilization = 0;
  new Gauge({
    name: METRICS.cpuUtilization.name,
    help: METRICS.cpuUtilization.help,
    registers: [registry],
    collect() {
      const now = sampler.cpuTimes();
      const total = now.total - last.total;
      const busy = now.busy - last.busy;
      // No CPU time elapsed (two scrapes in the same tick): keep the previous value.
      if (total > 0 && busy >= 0) utilization = Math.min(1, busy / total);
      last = now;
      this.set(utilization);
    },
  });
  new Gauge({
    name: METRICS.cpuMemoryTotalBytes.name,
    help: METRICS.cpuMemoryTotalBytes.help,
    registers: [registry],
    collect() {
      this.set(sampler.memory().total);
    },
  });
  new Gauge({
    name: METRICS.cpuMemoryUsedBytes.name,
    help: METRICS.cpuMemoryUsedBytes.help,
    registers: [registry],
    collect() {
      const { total, available } = sampler.memory();
      this.set(Math.max(0, total - available));
    },
  });
}
