/**
 * A TypeScript client of the example modelserving.Predictor service (../service.proto), built at
 * run time by @grpc/proto-loader from the service's own .proto, with the seed's channel options
 * (50 MB messages, keepalive pings): unary Predict, PredictFast with an encoded image file, and
 * bidi StreamPredict.
 *
 *   npx tsx examples/grpc_services/predictor/clients/predictor-client.ts 127.0.0.1:8001 [image.jpg]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('../service.proto', import.meta.url));
const MB = 1024 * 1024;

interface InferenceResponse {
  predictions: number[];
  confidence: number;
}
type Callback = (err: grpc.ServiceError | null, res?: InferenceResponse) => void;
interface PredictorClient extends grpc.Client {
  Predict(request: object, options: grpc.CallOptions, callback: Callback): grpc.ClientUnaryCall;
  PredictFast(request: object, options: grpc.CallOptions, callback: Callback): grpc.ClientUnaryCall;
  StreamPredict(options: grpc.CallOptions): grpc.ClientDuplexStream<object, InferenceResponse>;
}

const definition = protoLoader.loadSync(PROTO, { keepCase: true, defaults: true });
const modelserving = grpc.loadPackageDefinition(definition)['modelserving'] as grpc.GrpcObject;
const Predictor = modelserving['Predictor'] as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => PredictorClient;

/** A smooth CHW test image as floats in [-1, 1]. */
function demoImage(width = 224, height = 224): number[] {
  const plane = width * height;
  return Array.from({ length: 3 * plane }, (_, i) => Math.sin((i % plane) / 97 + Math.floor(i / plane)));
}

function unary(fn: (cb: Callback) => void): Promise<InferenceResponse> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res!))));
}

async function main(): Promise<void> {
  const [address = '127.0.0.1:8001', imageFile] = process.argv.slice(2);
  const client = new Predictor(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 50 * MB,
    'grpc.max_receive_message_length': 50 * MB,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.max_pings_without_data': 0,
  });
  const deadline = (): grpc.CallOptions => ({ deadline: Date.now() + 30_000 });
  const request = { model_name: 'image_classifier', tensor_data: demoImage(), width: 224, height: 224 };

  const reply = await unary((cb) => client.Predict(request, deadline(), cb));
  const best = reply.predictions.indexOf(Math.max(...reply.predictions));
  console.log(`Predict: class ${best}, confidence ${reply.confidence.toFixed(4)}`);

  if (imageFile !== undefined) {
    const raw_image = readFileSync(imageFile);
    const fast = await unary((cb) => client.PredictFast({ model_name: 'image_classifier', raw_image }, deadline(), cb));
    console.log(`PredictFast: confidence ${fast.confidence.toFixed(4)}`);
  }

  const stream = client.StreamPredict(deadline());
  const replies: InferenceResponse[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('data', (r: InferenceResponse) => replies.push(r));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  for (let i = 0; i < 3; i++) stream.write(request);
  stream.end();
  await ended;
  replies.forEach((r, i) => console.log(`StreamPredict frame ${i}: confidence ${r.confidence.toFixed(4)}`));
  client.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
