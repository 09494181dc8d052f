import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { pino } from 'pino';
import type { GatewayOptions } from '../gateway/index.js';
import { registerGatewayCommand, type GatewayCommandDeps } from './gateway-command.js';

function harness(startError?: Error) {
  const started: GatewayOptions[] = [];
  const lines: string[] = [];
  const exits: number[] = [];
  const handlers = new Map<string, () => void>();
  let closed = 0;
  const deps: GatewayCommandDeps = {
    start: async (o) => {
      started.push(o);
      if (startError) throw startError;
      return { url: 'http://127.0.0.1:9999', close: async () => void closed++ };
    },
    stderr: (l) => lines.push(l),
    exit: (c) => exits.push(c),
    signals: { on: (s, fn) => handlers.set(s, fn) },
    logger: () => pino({ level: 'silent' }),
  };
  const program = new Command('tensorgate')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerGatewayCommand(program, deps);
  const run = (args: string[]) => program.parseAsync(['node', 'tensorgate', 'gateway', ...args]);
  return { run, started, lines, exits, handlers, closed: () => closed };
}

describe('tensorgate gateway command', () => {
  test('passes every option to the gateway and stops cleanly on SIGTERM', async () => {
    const h = harness();
    await h.run([
      '--routes',
      'routes.yaml',
      '--upstream',
      'a:8001',
      '--upstream',
      '[::1]:8001',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--cors',
      'https://a.example, https://b.example',
      '--health-interval-ms',
      '500',
      '--http-header-timeout-secs',
      '5',
      '--http-body-idle-timeout-secs=6',
      '--http-keepalive-timeout-secs',
      '7',
    ]);
    const o = h.started[0]!;
    assert.equal(o.routes, 'routes.yaml');
    assert.deepEqual(o.upstreams, ['a:8001', '[::1]:8001']);
    assert.equal(o.port, 0);
    assert.equal(o.host, '127.0.0.1');
    assert.deepEqual(o.corsOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(o.healthIntervalMs, 500);
    assert.deepEqual(o.timeouts, { headerTimeoutMs: 5000, bodyIdleTimeoutMs: 6000, keepAliveTimeoutMs: 7000 });
    assert.deepEqual(h.lines, [
      'tensorgate gateway: listening on http://127.0.0.1:9999 (docs: http://127.0.0.1:9999/docs)',
    ]);
    h.handlers.get('SIGTERM')!();
    await new Promise((r) => setImmediate(r));
    assert.equal(h.closed(), 1);
    assert.deepEqual(h.exits, [0]);
  });

  test('defaults: port 8080 on 0.0.0.0, no CORS override, upstreams from the routes file', async () => {
    const h = harness();
    await h.run(['--routes', 'r.yaml']);
    const o = h.started[0]!;
    assert.equal(o.port, 8080);
    assert.equal(o.host, '0.0.0.0');
    assert.deepEqual(o.upstreams, []);
    assert.equal(o.corsOrigins, undefined);
    assert.equal(o.healthIntervalMs, undefined);
    assert.deepEqual(o.timeouts, { headerTimeoutMs: 30000, bodyIdleTimeoutMs: 30000, keepAliveTimeoutMs: 30000 });
  });

  test('bad options are rejected before anything starts', async () => {
    for (const args of [[], ['--routes', 'r', '--upstream', 'nohost'], ['--routes', 'r', '--port', '70000']]) {
      const h = harness();
      await assert.rejects(h.run(args));
      assert.equal(h.started.length, 0, args.join(' '));
    }
  });

  test('a start-up failure prints one line and exits 1', async () => {
    const h = harness(new Error('invalid routes file r.yaml'));
    await h.run(['--routes', 'r.yaml']);
    assert.deepEqual(h.lines, ['tensorgate gateway: startup failed: invalid routes file r.yaml']);
    assert.deepEqual(h.exits, [1]);
  });
});

test('docs/cli.md (gateway section) and docs/gateway.md document every gateway option', () => {
  // packages/server/{src,dist}/cli are both four levels below the repository root.
  const read = (name: string): string => readFileSync(new URL(`../../../../docs/${name}`, import.meta.url), 'utf8');
  const cli = read('cli.md');
  const section = cli.slice(cli.indexOf('## `tensorgate gateway`'));
  assert.ok(section.startsWith('## `tensorgate gateway`'), 'docs/cli.md has no gateway section');
  const guide = read('gateway.md');
  const program = new Command('tensorgate');
  const cmd = registerGatewayCommand(program);
  for (const opt of cmd.options) {
    assert.ok(section.includes(`\`${opt.long!}`), `docs/cli.md gateway section lacks ${opt.long}`);
    assert.ok(guide.includes(`\`${opt.long!}`), `docs/gateway.md lacks ${opt.long}`);
  }
});
