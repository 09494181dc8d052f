// A throwaway redis-server for the benchmarks that need one (response-cache.mjs, jobs.mjs): on a
// free loopback port, no persistence. Debian's redis-server package (`.ci/run` installs it).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (the OS picks one; it is released before use). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server; resolves once it spawned with its port, its `redis://` URL and `stop()`. */
export async function startRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await new Promise((resolve, reject) => {
    child.once('error', (e) =>
      reject(new Error(`redis-server did not start (apt-get install redis-server): ${e.message}`)),
    );
    child.once('spawn', resolve);
  });
  return { port, url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}
