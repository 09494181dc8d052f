/**
 * Test helpers: real `tensorgate serve` processes as replicas on loopback (so that one can be
 * killed with SIGKILL or drained with SIGTERM), and a closed-loop load that counts failures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/tensorgate.js', import.meta.url));

/** One `tensorgate serve` process. */
export interface Replica {
  readonly child: ChildProcess;
  readonly ports: { readonly http: number; readonly grpc: number; readonly metrics: number };
  /** `http://<host>:<http port>` */
  readonly http: string;
  /** `<host>:<grpc port>` */
  readonly grpc: string;
  /** Every stdout / stderr line so far. */
  readonly lines: string[];
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string | null>;
}

/**
 * Starts `tensorgate serve` on `host` (a loopback address) with every port 0 and `args` (which
 * may name ports); resolves once it logged its ports (the 'tensorgate started' line).
 */
export function startReplica(args: string[], host = '127.0.0.1'): Promise<Replica> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--host', host, '--http-port', '0', '--grpc-port', '0', '--metrics-port', '0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; ports?: Replica['ports'] };
        if (rec.msg === 'tensorgate started' && rec.ports) {
          const ports = rec.ports;
          resolve({
            child,
            ports,
            http: `http://${host}:${ports.http}`,
            grpc: `${host}:${ports.grpc}`,
            lines,
            exited,
          });
        }
      } catch {
        // not a JSON log line
      }
    });
    void exited.then((code) => reject(new Error(`tensorgate exited early (${code}):\n${lines.join('\n')}`)));
  });
}

/** Stops a replica for good (SIGKILL) unless it has exited already; for test cleanup. */
export async function stopReplica(r: Replica): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await r.exited;
}

/** Successful inferences a replica has served for `model` (its statistics extension). */
export async function successCount(r: Replica, model: string): Promise<number> {
  const res = await fetch(`${r.http}/v2/models/${model}/stats`);
  const doc = (await res.json()) as {
    model_stats: Array<{ inference_stats: { success: { count: number } } }>;
  };
  return doc.model_stats.reduce((sum, s) => sum + s.inference_stats.success.count, 0);
}

/** A closed-loop load: `concurrency` workers, each sending its next call when the last one ends. */
export interface LoadRun {
  /** Calls that succeeded so far. */
  readonly ok: () => number;
  /** Failed calls so far, with their errors. */
  readonly failures: unknown[];
  /** Stops the workers after their current call; resolves when all have stopped. */
  stop(): Promise<void>;
}

/** Starts `concurrency` workers calling `call` in a loop until stopped. */
export function closedLoop(concurrency: number, call: () => Promise<unknown>): LoadRun {
  let running = true;
  let ok = 0;
  const failures: unknown[] = [];
  const workers = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        await call();
        ok += 1;
      } catch (e) {
        failures.push(e);
      }
    }
  });
  return {
    ok: () => ok,
    failures,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}
