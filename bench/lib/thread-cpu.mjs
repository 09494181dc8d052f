// Per-thread CPU time of a process from /proc (Linux), to split a measurement's CPU between the
// event loop (the main thread, tid = pid) and every other thread (libuv workers, where llama.cpp
// decodes with threads=1, V8's helpers). process.cpuUsage() only gives the whole process.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSec;
function clockTicks() {
  if (ticksPerSec === undefined) {
    try {
      ticksPerSec = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSec = 100;
    }
  }
  return ticksPerSec;
}

/** { main, other } CPU milliseconds (user + system) of `pid` so far; undefined off Linux. */
export function threadCpuMs(pid = process.pid) {
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const out = { main: 0, other: 0 };
  for (const tid of tids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Fields after the parenthesised name: state is field 3, utime 14 and stime 15 (1-based).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks();
    if (Number(tid) === pid) out.main += ms;
    else out.other += ms;
  }
  return out;
}

/** The difference of two threadCpuMs snapshots (threads that ended in between are lost). */
export function cpuDelta(a, b) {
  if (!a || !b) return undefined;
  return { main: b.main - a.main, other: Math.max(0, b.other - a.other) };
}
