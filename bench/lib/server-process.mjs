// Starts the servers the benchmarks measure as child processes, so each has its own event loop:
// tensorgate through its CLI (`node packages/server/bin/tensorgate.js serve`), and the bare grpc-js
// baselines (bench/grpcjs-echo-server.mjs, bench/grpcjs-sink-server.mjs).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT } from './cli.mjs';

/**
 * Starts tensorgate on `repository` (all ports 0 on 127.0.0.1) and resolves once it logs
 * "tensorgate started". Returns { port (gRPC, as grpcPort), httpPort, metricsPort, pid, child, stop(), sessionLogs }
 * where sessionLogs holds the "onnx session ready" records (the ORT options each instance used).
 * Warnings and errors the server logs are copied to stderr; a model that fails to load makes the
 * caller's readiness check fail.
 */
export function startTensorgate(repository, extraArgs = []) {
  const argv = [
    'packages/server/bin/tensorgate.js',
    'serve',
    '--model-repository',
    repository,
    '--host',
    '127.0.0.1',
    '--http-port',
    '0',
    '--grpc-port',
    '0',
    // Metrics stay on, as in a real deployment (every request updates the Prometheus series).
    '--metrics-port',
    '0',
    '--exit-timeout-secs',
    '5',
    ...extraArgs,
  ];
  const sessionLogs = [];
  const started = startProcess(argv, (line) => {
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      process.stderr.write(`[tensorgate] ${line}\n`);
      return undefined;
    }
    if (rec.level >= 40) process.stderr.write(`[tensorgate] ${line}\n`);
    if (rec.msg === 'onnx session ready') sessionLogs.push(rec);
    return rec.msg === 'tensorgate started' ? rec.ports : undefined;
  });
  return started.then(({ port: ports, ...s }) => ({
    ...s,
    port: ports.grpc,
    grpcPort: ports.grpc,
    httpPort: ports.http,
    metricsPort: ports.metrics,
    sessionLogs,
  }));
}

/** Starts the bare grpc-js echo server (answers ModelInfer with the request bytes). */
export function startGrpcJsEcho() {
  return startProcess(['bench/grpcjs-echo-server.mjs'], (l) => Number(l.trim()) || undefined);
}

/** Starts the grpc-js sink server: answers ModelInfer with a fixed reply of `replyBytes` bytes. */
export function startGrpcJsSink(replyBytes) {
  return startProcess(['bench/grpcjs-sink-server.mjs', String(replyBytes)], (l) => Number(l.trim()) || undefined);
}

function startProcess(argv, readyPort) {
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    let started = false;
    // Keep reading stdout for the child's whole life so its pipe never fills up and blocks it (and
    // warnings logged during a measurement still reach stderr).
    lines.on('line', (line) => {
      const port = readyPort(line);
      if (port && !started) {
        started = true;
        resolve({ port, pid: child.pid, child, stop: () => stop(child) });
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!started) reject(new Error(`${argv[0]} exited with ${code ?? signal} before it was ready`));
    });
  });
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
