/** The settings from Triton's launch flags (settings-schema-launch.ts) as the parser resolves them. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SettingsError, bindAddresses, parseSettings, type ServerSettings } from './settings.js';

const REPO = ['--model-repository', '/models'];

function parse(args: string[], env: NodeJS.ProcessEnv = {}): ServerSettings {
  return parseSettings([...REPO, ...args], env);
}

function rejects(args: string[], message: RegExp): void {
  assert.throws(
    () => parseSettings([...REPO, ...args], {}),
    (err: unknown) => err instanceof SettingsError && message.test(err.message),
  );
}

describe('Triton launch settings', () => {
  test("bind addresses: each endpoint's own, else --host; metrics fall back to --http-address first", () => {
    assert.deepEqual(bindAddresses(parse([])), { http: '0.0.0.0', grpc: '0.0.0.0', metrics: '0.0.0.0' });
    assert.deepEqual(bindAddresses(parse(['--host=10.0.0.1', '--http-address', '127.0.0.1'])), {
      http: '127.0.0.1',
      grpc: '10.0.0.1',
      metrics: '127.0.0.1',
    });
    const all = parse(['--http-address=::1', '--grpc-address=127.0.0.2', '--metrics-address=127.0.0.3']);
    assert.deepEqual(bindAddresses(all), { http: '::1', grpc: '127.0.0.2', metrics: '127.0.0.3' });
    assert.equal(parse([], { TENSORGATE_GRPC_ADDRESS: '127.0.0.9' }).grpcAddress, '127.0.0.9');
  });

  test('the same port clashes only on the same address', () => {
    rejects(['--http-port=9000', '--grpc-port=9000'], /--http-port and --grpc-port are both 9000/);
    const s = parse(['--http-port=9000', '--grpc-port=9000', '--http-address=127.0.0.1', '--grpc-address=127.0.0.2']);
    assert.equal(s.grpcPort, 9000);
  });

  test('--exit-on-error, --model-load-thread-count, --model-load-retry-count, --id', () => {
    const s = parse([
      '--exit-on-error=false',
      '--model-load-thread-count',
      '2',
      '--model-load-retry-count=3',
      '--id=a',
    ]);
    assert.deepEqual([s.exitOnError, s.modelLoadThreadCount, s.modelLoadRetryCount, s.id], [false, 2, 3, 'a']);
    assert.equal(parse(['--exit-on-error', 'OFF']).exitOnError, false);
    rejects(['--model-load-thread-count=0'], /Must be a whole number from 1 to 1024/);
  });

  test('log settings: --log-format given asks for text; switches are booleans', () => {
    assert.equal(parse([]).logEncoding, 'auto');
    assert.equal(parse(['--log-format=ISO8601']).logEncoding, 'text');
    assert.equal(parse(['--log-format', 'default']).logEncoding, 'text');
    assert.equal(parse(['--log-format=ISO8601', '--log-encoding=json']).logEncoding, 'json');
    assert.equal(parse([], { TENSORGATE_LOG_FORMAT: 'ISO8601' }).logEncoding, 'text');
    rejects(['--log-format=iso8601'], /Must be one of: default, ISO8601/);
    const s = parse(['--log-info=false', '--log-warning', 'false', '--no-log-error', '--log-file=/tmp/x.log']);
    assert.deepEqual([s.logInfo, s.logWarning, s.logError, s.logFile], [false, false, false, '/tmp/x.log']);
  });

  test('repeatable --backend-config and --metrics-config are checked at parse time', () => {
    const s = parse(['--backend-config=default-max-batch-size=8', '--metrics-config', 'summary_latencies=true']);
    assert.deepEqual(s.backendConfig, ['default-max-batch-size=8']);
    assert.deepEqual(s.metricsConfig, ['summary_latencies=true']);
    assert.deepEqual(
      parse([], { TENSORGATE_BACKEND_CONFIG: 'onnxruntime,default-max-batch-size=2;default-max-batch-size=4' })
        .backendConfig,
      ['onnxruntime,default-max-batch-size=2', 'default-max-batch-size=4'],
    );
    rejects(['--backend-config=python,shm-default-byte-size=1'], /no backend 'python'/);
    rejects(['--metrics-config=summary_max_age=5'], /summary_max_age is not supported/);
  });

  test('one model repository: a second --model-repository is refused, not dropped', () => {
    rejects(
      ['--model-repository=/other'],
      /--model-repository given more than once: tensorgate serves one model repository/,
    );
  });

  test('--http-max-input-size is an alias of --http-max-body-bytes', () => {
    assert.equal(parse(['--http-max-input-size=1048576']).httpMaxBodyBytes, 1048576);
  });
});
