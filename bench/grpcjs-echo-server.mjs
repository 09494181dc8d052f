#!/usr/bin/env node
// A second baseline: @grpc/grpc-js serving ModelInfer with identity (de)serializers, returning the
// request bytes. It does no protobuf and no model work, so it is the ceiling of any server built on
// grpc-js, which tensorgate is. Prints its port on stdout.
import * as grpc from '@grpc/grpc-js';

const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
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
  { ModelInfer: (call, callback) => callback(null, call.request) },
);
server.bindAsync(`127.0.0.1:${Number(process.argv[2] ?? 0)}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${port}\n`);
});
