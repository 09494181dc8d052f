/**
 * Memory measurements for wire tests whose server runs in the test process.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Peak growth of this process's resident memory while `fn` runs: the kernel's high-water mark
 * (VmHWM) after resetting it to the current RSS (`5` to /proc/self/clear_refs). Where that is not
 * possible, RSS sampled every 2 ms (models run in workers, so this thread is free to sample).
 */
export async function peakRssGrowth(fn: () => Promise<void>): Promise<number> {
  const status = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  };
  let hwm = false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    hwm = Number.isFinite(status('VmHWM'));
  } catch {
    hwm = false;
  }
  const before = hwm ? status('VmRSS') : process.memoryUsage.rss();
  let peak = before;
  const timer = hwm ? undefined : setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
  try {
    await fn();
  } finally {
    if (timer) clearInterval(timer);
  }
  return (hwm ? status('VmHWM') : peak) - before;
}
