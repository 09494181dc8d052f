#!/usr/bin/env node
// The baseline: a raw node:http2 server that answers every POST with the request body as a gRPC
// response (same framing, status and trailers a gRPC server sends). It does no protobuf work, so it
// is the ceiling any gRPC server on Node's HTTP/2 stack can reach. Prints its port on stdout.
// Usage: node bench/echo-server.mjs [port] [--tuned-windows]
// --tuned-windows advertises the HTTP/2 flow-control windows tensorgate's native gRPC transport uses
// (4 MiB per stream, 16 MiB per connection) instead of Node's 64 KiB defaults, for a like-for-like
// comparison of large messages.
import http2 from 'node:http2';

const tuned = process.argv.includes('--tuned-windows');
const port = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 0);
const server = http2.createServer({
  settings: { maxConcurrentStreams: 1000, ...(tuned ? { initialWindowSize: 4 * 1024 * 1024 } : {}) },
});
if (tuned) server.on('session', (session) => session.setLocalWindowSize(16 * 1024 * 1024));
server.on('stream', (stream) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(body);
  });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
