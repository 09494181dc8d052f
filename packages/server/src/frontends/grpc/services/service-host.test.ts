// Loading custom gRPC service folders: every bad proto or module stops start-up with file:line,
// and a running service's worker that dies fails only its calls and is replaced.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import protobuf from 'protobufjs';
import { ServiceHost, type ServiceCallSink } from './service-host.js';
import type { GrpcError } from '../grpc-status.js';

const logger = pino({ level: 'silent' });

const PROTO = `syntax = "proto3";
package t;

service S {
  rpc Add(Pair) returns (Pair);
}

message Pair { int32 a = 1; int32 b = 2; }
`;
const MODULE = `export function Add({ a, b }) {
  if (a < 0) process.exit(3);
  return { a: a + b, b };
}
`;

async function withFolders<T>(
  folders: Record<string, Partial<Record<'service.proto' | 'service.js', string>>>,
  fn: (root: string) => Promise<T>,
): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'tg-services-unit-'));
  try {
    for (const [name, files] of Object.entries(folders)) {
      await mkdir(join(root, name));
      for (const [file, text] of Object.entries(files)) await writeFile(join(root, name, file), text);
    }
    return await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function loadError(files: Partial<Record<'service.proto' | 'service.js', string>>): Promise<string> {
  return withFolders({ svc: files }, async (root) => {
    try {
      const host = await ServiceHost.start(root, { threads: 1, caller: undefined, logger });
      await host.close();
    } catch (err) {
      return (err as Error).message.replace(join(root, 'svc') + '/', '');
    }
    return 'loaded';
  });
}

describe('service folders that do not load', () => {
  test('a proto syntax error names service.proto and its line', async () => {
    assert.equal(
      await loadError({ 'service.proto': PROTO.replace('int32 b = 2;', 'int32 b = 2'), 'service.js': MODULE }),
      "service.proto:8: illegal token '}', ';' expected",
    );
  });

  test('an unknown message type names the line that uses it', async () => {
    assert.equal(
      await loadError({ 'service.proto': PROTO.replace('returns (Pair)', 'returns (Missing)'), 'service.js': MODULE }),
      'service.proto:5: no such type: Missing',
    );
    assert.equal(
      await loadError({ 'service.proto': PROTO.replace('int32 b = 2;', 'Other b = 2;'), 'service.js': MODULE }),
      "service.proto:8: no such Type or Enum 'Other' in Type .t.Pair",
    );
  });

  test('a module syntax error names service.js, line and column', async () => {
    const message = await loadError({ 'service.proto': PROTO, 'service.js': 'export function Add( {\n  return 1;\n' });
    assert.match(message, /^service\.js:2:\d+: SyntaxError: /);
  });

  test('a module that throws while loading names its line', async () => {
    const message = await loadError({ 'service.proto': PROTO, 'service.js': `${MODULE}\nthrow new Error('boom');\n` });
    assert.match(message, /^service\.js:6:\d+: Error: boom$/);
  });

  test('a missing handler names the rpc and where the proto declares it', async () => {
    const message = await loadError({ 'service.proto': PROTO, 'service.js': 'export const unrelated = 1;\n' });
    assert.match(message, /^service\.js:1: no export 'Add' for rpc t\.S\.Add \(.*service\.proto:5\)$/);
  });

  test('a handler that is not a function, and an export that matches no rpc, are refused', async () => {
    assert.match(
      await loadError({ 'service.proto': PROTO, 'service.js': 'export const Add = 42;\n' }),
      /^service\.js:1: export 'Add' is a number, not a handler function for rpc Add/,
    );
    assert.match(
      await loadError({ 'service.proto': PROTO, 'service.js': `${MODULE}export function helper() {}\n` }),
      /^service\.js:5: export 'helper' matches no rpc of .*service\.proto \(rpcs: Add\)/,
    );
  });

  test('a service tensorgate serves itself, a folder without service.js, an rpc defined twice', async () => {
    assert.match(
      await loadError({
        'service.proto':
          'syntax = "proto3";\npackage inference;\nmessage M {}\nservice GRPCInferenceService {\n  rpc X(M) returns (M);\n}\n',
        'service.js': 'export function X() { return {}; }\n',
      }),
      /^service\.proto:4: service inference\.GRPCInferenceService is served by tensorgate itself/,
    );
    assert.match(await loadError({ 'service.proto': PROTO }), /service\.js: missing/);
    await withFolders(
      { a: { 'service.proto': PROTO, 'service.js': MODULE }, b: { 'service.proto': PROTO, 'service.js': MODULE } },
      async (root) => {
        await assert.rejects(
          ServiceHost.start(root, { threads: 1, caller: undefined, logger }),
          /\/t\.S\/Add is already defined at .*a\/service\.proto:5/,
        );
      },
    );
  });
});

/** A sink that resolves with how the call ended. */
function sink(): { sink: ServiceCallSink; done: Promise<{ error?: GrpcError; response?: Buffer }> } {
  let resolve!: (v: { error?: GrpcError; response?: Buffer }) => void;
  const done = new Promise<{ error?: GrpcError; response?: Buffer }>((r) => (resolve = r));
  return {
    sink: {
      reply: () => undefined,
      taken: () => undefined,
      finish: (error, response) => resolve({ ...(error ? { error } : {}), ...(response ? { response } : {}) }),
    },
    done,
  };
}

describe('a running service host', () => {
  test('serves calls; a worker that exits fails its call with UNAVAILABLE and is replaced', async () => {
    await withFolders({ svc: { 'service.proto': PROTO, 'service.js': MODULE } }, async (root) => {
      const host = await ServiceHost.start(root, { threads: 1, caller: undefined, logger });
      try {
        const Pair = protobuf.parse(PROTO, { keepCase: true }).root.resolveAll().lookupType('t.Pair');
        const rpc = host.rpcs[0]!;
        const call = async (a: number): Promise<{ error?: GrpcError; response?: Buffer }> => {
          const s = sink();
          host.open(rpc, -1, {}, 'test', s.sink).message(Buffer.from(Pair.encode({ a, b: 2 }).finish()));
          return s.done;
        };
        const ok = await call(40);
        assert.deepEqual(Pair.toObject(Pair.decode(ok.response!)), { a: 42, b: 2 });
        const crashed = await call(-1);
        assert.equal(crashed.error?.code, 14);
        assert.match(crashed.error?.details ?? '', /the service worker stopped \(exit code 3\)/);
        // The replacement serves the next calls.
        let again: { error?: GrpcError; response?: Buffer } = {};
        for (let i = 0; i < 50; i++) {
          again = await call(1);
          if (again.response) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual(Pair.toObject(Pair.decode(again.response!)), { a: 3, b: 2 });
      } finally {
        await host.close();
      }
    });
  });
});
