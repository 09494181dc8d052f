// Writes gRPC-framed ModelInferRequest bodies (1-byte flag + 4-byte big-endian length + protobuf),
// built with our own protos, so h2load can drive tensorgate and the echo server with the same bytes.
import { loadProtoRoot, encodeElements } from '@tensorgate/protocol';

/** A gRPC length-prefixed frame of an encoded ModelInferRequest. */
export function frame(message) {
  const root = loadProtoRoot();
  const T = root.lookupType('inference.ModelInferRequest');
  const pb = T.encode(T.fromObject(message)).finish();
  const out = Buffer.alloc(5 + pb.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(pb.length, 1);
  out.set(pb, 5);
  return out;
}

/** The `simple` request: two INT32 [1,16] inputs. */
export function simpleBody() {
  const a = Buffer.from(
    encodeElements(
      'INT32',
      Array.from({ length: 16 }, (_, i) => i),
    ),
  );
  return frame({
    model_name: 'simple',
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
    ],
    raw_input_contents: [a, a],
  });
}

/** An identity_fp32 request of `bytes` bytes of FP32 data. */
export function identityBody(bytes) {
  const n = Math.floor(bytes / 4);
  const data = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) data.writeFloatLE(Math.sin(i), i * 4);
  return frame({
    model_name: 'identity_fp32',
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [n] }],
    raw_input_contents: [data],
  });
}
