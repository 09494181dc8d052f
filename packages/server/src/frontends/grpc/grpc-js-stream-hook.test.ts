/**
 * The hook in front of grpc-js finds the node:http2 server of the connection injector, and refuses
 * to run without its limits when grpc-js' internals are not what it was written against. The
 * limits themselves are tested over the wire (test/e2e/grpc-stream-limits, decompression-budget).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { hookGrpcJsStreams } from './grpc-js-stream-hook.js';

test('puts its listener in front of grpc-js on the injector server', () => {
  const server = new Server();
  const before = (server as unknown as { http2Servers: Map<unknown, unknown> }).http2Servers.size;
  const { created: injector, http2Server } = hookGrpcJsStreams(
    server,
    () => server.createConnectionInjector(ServerCredentials.createInsecure()),
    {
      receiveLimit: 1024,
    },
  );
  assert.equal(typeof injector.injectConnection, 'function');
  const servers = [...(server as unknown as { http2Servers: Map<unknown, unknown> }).http2Servers.keys()];
  assert.equal(servers.length, before + 1);
  const h2 = servers.at(-1) as import('node:http2').Http2Server;
  assert.equal(http2Server, h2, 'the server it hooked is returned');
  assert.equal(h2.listeners('stream').length, 1, "one listener, ours, which calls grpc-js' own");
  injector.destroy();
});

test('a grpc-js without the private map, or one that adds no server, is refused with a clear error', () => {
  const bare = {} as unknown as Server;
  assert.throws(
    () => hookGrpcJsStreams(bare, () => undefined, { receiveLimit: 1 }),
    /no longer keeps its node:http2 servers .* Use --grpc-transport native/,
  );
  const noServer = { http2Servers: new Map() } as unknown as Server;
  assert.throws(
    () => hookGrpcJsStreams(noServer, () => undefined, { receiveLimit: 1 }),
    /created 0 node:http2 servers for one connection injector \(expected 1\)/,
  );
});
