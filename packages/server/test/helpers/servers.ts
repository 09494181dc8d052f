/**
 * Test helpers: start a real tensorgate server on ephemeral loopback ports.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createServer, parseSettings, type RunningServer } from 'tensorgate';

/** The bundled example model repository. */
export const EXAMPLES = fileURLToPath(new URL('../../../../examples/model_repository', import.meta.url));

/** A running server plus base URLs. */
export interface TestServer {
  server: RunningServer;
  http: string;
  grpcPort: number;
  metrics: string;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 with every port 0 and the given extra flags. */
export async function startServer(
  extraArgs: string[] = [],
  repository = EXAMPLES,
  logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
): Promise<TestServer> {
  const settings = parseSettings(
    [
      '--model-repository',
      repository,
      '--host',
      '127.0.0.1',
      '--http-port',
      '0',
      '--grpc-port',
      '0',
      '--metrics-port',
      '0',
      '--exit-timeout-secs',
      '5',
      ...extraArgs,
    ],
    {},
  );
  const server = await createServer(settings, { logger });
  return {
    server,
    http: `http://127.0.0.1:${server.ports.http}`,
    grpcPort: server.ports.grpc!,
    metrics: `http://127.0.0.1:${server.ports.metrics}/metrics`,
    close: () => server.shutdown('test end'),
  };
}

/** A server whose debug log lines are kept, parsed, for tests of what it did to a connection. */
export async function startLoggedServer(
  extraArgs: string[],
  repository = EXAMPLES,
): Promise<TestServer & { readonly logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { ...(await startServer(extraArgs, repository, logger)), logs };
}

/** Copies example models into a fresh temporary repository. */
export async function tempRepository(models: string[]): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tensorgate-repo-'));
  for (const m of models) await cp(join(EXAMPLES, m), join(path, m), { recursive: true });
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Polls `check` until it returns true or `attempts` run out (no timing assertions: only eventual state). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  attempts = 100,
  everyMs = 100,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error('condition not reached');
}
