#!/usr/bin/env node
// A transport baseline for the bench scripts: @grpc/grpc-js serving ModelInfer with identity
// (de)serializers that ignores the request and answers with a fixed reply of the given size (the
// size of tensorgate's real response), so a large request is compared against the same small reply
// tensorgate sends rather than echoed back. No protobuf, no model: the ceiling of a grpc-js server
// for that traffic. Usage: node bench/grpcjs-sink-server.mjs <reply bytes> [port]; prints its port.
import * as grpc from '@grpc/grpc-js';

const reply = Buffer.alloc(Number(process.argv[2] ?? 0));
const server = new grpc.Server({ 'grpc.enable_channelz': 0, 'grpc.max_receive_message_length': -1 });
const identity = (b) => b;
server.addService(
  {
    ModelInfer: {
      path: '/inference.GRPCInferenceService/ModelInfer',
      requestStream: false,
      responseStream: false,
      requestDeserialize: identity,
      responseSerialize: identity,
    },
  },
  { ModelInfer: (_call, callback) => callback(null, reply) },
);
server.bindAsync(`127.0.0.1:${Number(process.argv[3] ?? 0)}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${port}\n`);
});
