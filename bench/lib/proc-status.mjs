// A process's memory as Linux reports it in /proc, for the stress scripts (test/stress) and
// benchmarks that measure a server process from outside.
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Size fields of /proc/<pid>/status (`VmRSS`, `VmHWM` — the peak RSS —, `VmSize`...), in bytes;
 * NaN for a field the kernel does not report.
 */
export function procMemory(pid, fields = ['VmRSS', 'VmHWM', 'VmSize']) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return Object.fromEntries(fields.map((field) => [field, kib(field) * 1024]));
}

/**
 * Resets the peak RSS (`VmHWM`) of `pid` to its current RSS (`5` to /proc/<pid>/clear_refs), so
 * a later `VmHWM` is the peak of what happened in between. Throws where the kernel refuses.
 */
export function resetPeakRss(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}
