/**
 * A plain @grpc/grpc-js client of GRPCInferenceService for benchmark clients that measure the wire
 * itself (no @tensorgate/client on top): messages encoded and decoded with the repository's
 * protobufjs types, one channel to 127.0.0.1.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';

const SERVICE = '/inference.GRPCInferenceService/';
const identity = (b) => b;

/**
 * Opens a client to `127.0.0.1:port` with grpc-js channel options `options`.
 * @returns {{ infer: (message: object) => Promise<object>, call: (method: string, message: object) => Promise<object>, close: () => void }}
 *   `infer` encodes a ModelInferRequest object as it is (typed arrays welcome) and resolves with the
 *   decoded ModelInferResponse; `call` runs any unary RPC (`inference.<method>Request` built with
 *   `fromObject`, `inference.<method>Response` decoded).
 */
export function rawGrpcClient(port, options = {}) {
  const root = loadProtoRoot();
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  const unary = (method, body, Res) =>
    new Promise((resolve, reject) =>
      c.makeUnaryRequest(
        SERVICE + method,
        identity,
        (b) => Res.decode(b),
        body,
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
  const Req = root.lookupType('inference.ModelInferRequest');
  const Res = root.lookupType('inference.ModelInferResponse');
  return {
    infer: (message) => unary('ModelInfer', Buffer.from(Req.encode(message).finish()), Res),
    call(method, message) {
      const T = root.lookupType(`inference.${method}Request`);
      return unary(
        method,
        Buffer.from(T.encode(T.fromObject(message)).finish()),
        root.lookupType(`inference.${method}Response`),
      );
    },
    close: () => c.close(),
  };
}
