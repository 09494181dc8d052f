/**
 * The example Predictor's clients against a real server: the TypeScript one
 * (examples/grpc_services/predictor/clients/predictor-client.ts, @grpc/proto-loader, run with tsx)
 * and the Python grpcio compat run (compat/grpc-services/run_predictor_compat.py: stubs generated
 * at run time by Debian's protoc + grpc_python_plugin, the seed's 50 MB limits and keepalive pings,
 * here every second on a stream kept quiet for 4 s). The Python run needs /usr/bin/python3 with
 * python3-grpcio and python3-protobuf, and protoc with grpc_python_plugin (`.ci/run` installs them);
 * without them this test fails and says what to install.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EXAMPLES, startServer, type TestServer } from '../helpers/servers.js';
import { EXAMPLE_SERVICES } from '../helpers/grpc-services.js';
import { encode, patternPixels } from '../helpers/images.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PYTHON = process.env['TENSORGATE_TEST_PYTHON'] ?? '/usr/bin/python3';

describe('the example Predictor clients', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(
      [
        '--grpc-services',
        EXAMPLE_SERVICES,
        '--model-control-mode',
        'explicit',
        '--load-model',
        'image_classifier',
        '--load-model',
        'image_preprocess',
        // docs/grpc-services.md#keepalive: what the seed's keepalive pings need.
        '--grpc-keepalive-permit-without-calls',
        'true',
        '--grpc-http2-min-recv-ping-interval-without-data',
        '500', // half the clients' 1000 ms pings (pings arrive early on a busy host)
      ],
      EXAMPLES,
    );
  });
  after(() => s?.close());

  test('the TypeScript client (proto-loader) runs Predict, PredictFast and StreamPredict', async () => {
    const image = join(tmpdir(), `tg-predictor-${process.pid}.jpg`);
    await writeFile(image, await encode(patternPixels(240, 180), 240, 180, 'jpeg'));
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'examples/grpc_services/predictor/clients/predictor-client.ts',
        `127.0.0.1:${s.grpcPort}`,
        image,
      ],
      { cwd: ROOT, timeout: 120_000 },
    );
    assert.match(stdout, /^Predict: class \d+, confidence 0\.\d{4}$/m);
    assert.match(stdout, /^PredictFast: confidence 0\.\d{4}$/m);
    assert.equal(stdout.match(/^StreamPredict frame \d: confidence/gm)?.length, 3);
  });

  test('the Python grpcio client (stubs from protoc + grpc_python_plugin) passes the compat checks', async () => {
    try {
      await run(PYTHON, ['-c', 'import grpc, google.protobuf'], { timeout: 30_000 });
      await run('protoc', ['--version'], { timeout: 30_000 });
      await run('sh', ['-c', 'command -v grpc_python_plugin'], { timeout: 30_000 });
    } catch (err) {
      assert.fail(
        `the Python compat run needs ${PYTHON} with grpc and protobuf, protoc and grpc_python_plugin ` +
          `(Debian: apt-get install python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc): ${String(err)}`,
      );
    }
    const { stdout } = await run(
      PYTHON,
      [
        'compat/grpc-services/run_predictor_compat.py',
        '--grpc-url',
        `127.0.0.1:${s.grpcPort}`,
        '--keepalive-ms',
        '1000',
        '--quiet-secs',
        '4',
      ],
      { cwd: ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    ).catch((err: { stdout?: string }) => {
      assert.fail(`the compat run failed:\n${err.stdout ?? String(err)}`);
    });
    assert.match(stdout, /^9 passed, 0 failed$/m, stdout);
  });
});
