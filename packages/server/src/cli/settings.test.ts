import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import {
  SETTINGS,
  SettingsError,
  addSettingsOptions,
  parseSettings,
  parseSettingsWithWarnings,
  type ServerSettings,
} from './settings.js';

const REPO = ['--model-repository', '/models'];

function parse(args: string[], env: NodeJS.ProcessEnv = {}): ServerSettings {
  return parseSettings([...REPO, ...args], env);
}

function rejects(args: string[], message: RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => parseSettings(args, env),
    (err: unknown) => {
      assert.ok(err instanceof SettingsError, `expected SettingsError, got ${String(err)}`);
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('parseSettings defaults', () => {
  test('every documented default', () => {
    assert.deepEqual(parse([]), {
      modelRepository: '/models',
      modelControlMode: 'none',
      loadModel: [],
      repositoryPollSecs: 15,
      host: '0.0.0.0',
      httpPort: 8000,
      grpcPort: 8001,
      metricsPort: 8002,
      allowHttp: true,
      allowGrpc: true,
      allowMetrics: true,
      strictReadiness: true,
      exitTimeoutSecs: 30,
      logLevel: 'info',
      disableAutoCompleteConfig: false,
      strictModelConfig: false,
      gpus: 'auto',
      grpcMaxMessageBytes: 68157440,
      grpcMaxSendMessageBytes: 2147483647,
      grpcTransport: 'native',
      grpcServiceThreads: 2,
      grpcMaxConcurrentStreams: 1000,
      grpcMaxConcurrentCalls: 10000,
      decompressionBudgetBytes: 335544320,
      allowClientShm: false,
      sharedMemoryMaxRegions: 256,
      sharedMemoryMaxBytes: 17179869184,
      httpMaxBodyBytes: 68157440,
      httpMaxJsonInflationRatio: 32,
      httpHeaderTimeoutSecs: 30,
      httpBodyIdleTimeoutSecs: 30,
      httpKeepaliveTimeoutSecs: 30,
      httpSendStallTimeoutSecs: 60,
      httpMinBodyRate: 1024,
      httpMinBodyRateGraceSecs: 30,
      grpcPrefaceTimeoutSecs: 10,
      grpcConnectionIdleTimeoutSecs: 60,
      grpcSendStallTimeoutSecs: 60,
      grpcMinMessageRate: 1024,
      grpcMinMessageRateGraceSecs: 30,
      grpcKeepaliveTime: 7200000,
      grpcKeepaliveTimeout: 20000,
      grpcKeepalivePermitWithoutCalls: false,
      grpcHttp2MaxPingsWithoutData: 2,
      grpcHttp2MinRecvPingIntervalWithoutData: 300000,
      grpcHttp2MaxPingStrikes: 2,
      grpcMaxConnectionAge: 0,
      grpcMaxConnectionAgeGrace: 0,
      httpCorsOrigins: [],
      httpUseSsl: false,
      console: false,
      httpRestrictedApi: [],
      grpcRestrictedProtocol: [],
      traceConfig: [],
      cacheConfig: [],
      rateLimit: 'off',
      rateLimitResource: [],
      maxSequenceBacklog: 1024,
      maxSequenceStateBytes: 64 * 1024 * 1024,
      grpcUseSsl: false,
      grpcUseSslMutual: false,
      exitOnError: true,
      modelLoadThreadCount: 4,
      modelLoadRetryCount: 0,
      id: 'tensorgate',
      logFormat: 'default',
      logEncoding: 'auto',
      logInfo: true,
      logWarning: true,
      logError: true,
      backendConfig: [],
      metricsConfig: [],
      allowCpuMetrics: true,
      jobsStore: 'memory',
      jobsMaxQueued: 10000,
      jobsMaxPerClient: 1000,
      jobsConcurrency: 4,
      jobsResultTtlSecs: 3600,
      jobsMaxRequestBytes: 16 * 1024 * 1024,
      jobsLockSecs: 30,
      jobsWebhookAllow: [],
      jobsWebhookAttempts: 5,
    } satisfies ServerSettings);
  });

  test('the model repository is required', () => {
    rejects([], /--model-repository is required \(or set TENSORGATE_MODEL_REPOSITORY\)/);
  });
});

describe('parseSettings flags', () => {
  test('values as separate arguments and with =', () => {
    const s = parse(['--http-port', '9000', '--grpc-port=9001', '--metrics-port', '0', '--host=127.0.0.1']);
    assert.equal(s.httpPort, 9000);
    assert.equal(s.grpcPort, 9001);
    assert.equal(s.metricsPort, 0);
    assert.equal(s.host, '127.0.0.1');
  });

  test('--model-store is an alias of --model-repository', () => {
    assert.equal(parseSettings(['--model-store=/m2'], {}).modelRepository, '/m2');
    rejects(['--model-store', '/a', '--model-repository', '/b'], /--model-repository and --model-store both given/);
  });

  test('Triton-style booleans: =false, separate value, bare flag, --no- form', () => {
    assert.equal(parse(['--strict-readiness=false']).strictReadiness, false);
    assert.equal(parse(['--strict-readiness', 'false']).strictReadiness, false);
    assert.equal(parse(['--strict-readiness', 'OFF']).strictReadiness, false);
    assert.equal(parse(['--strict-readiness=0']).strictReadiness, false);
    assert.equal(parse(['--no-strict-readiness']).strictReadiness, false);
    assert.equal(parse(['--allow-http', 'false', '--allow-grpc=true']).allowHttp, false);
    assert.equal(parse(['--no-allow-metrics']).allowMetrics, false);
    assert.equal(parse(['--allow-metrics', 'on']).allowMetrics, true);
    assert.equal(parse(['--disable-auto-complete-config']).disableAutoCompleteConfig, true);
    // A bare boolean flag followed by another flag takes no value.
    const s = parse(['--allow-http', '--http-port', '1234']);
    assert.equal(s.allowHttp, true);
    assert.equal(s.httpPort, 1234);
  });

  test('--load-model repeats and implies nothing outside explicit mode', () => {
    const s = parse(['--model-control-mode=explicit', '--load-model', 'a', '--load-model=b', '--load-model', 'c']);
    assert.deepEqual(s.loadModel, ['a', 'b', 'c']);
    assert.deepEqual(parse(['--model-control-mode', 'explicit', '--load-model=*']).loadModel, ['*']);
    // Triton refuses it outside explicit mode, and so does tensorgate.
    rejects(
      [...REPO, '--load-model', 'a'],
      /use of '--load-model' requires setting '--model-control-mode=explicit' as well/,
    );
  });

  test("'*' must be the only --load-model", () => {
    rejects(
      [...REPO, '--model-control-mode=explicit', '--load-model=*', '--load-model=a'],
      /must be the only --load-model/,
    );
  });

  test('--log-verbose (Triton) maps to debug unless --log-level is given', () => {
    assert.equal(parse(['--log-verbose', '1']).logLevel, 'debug');
    assert.equal(parse(['--log-verbose=true']).logLevel, 'debug');
    assert.equal(parse(['--log-verbose=0']).logLevel, 'info');
    assert.equal(parse(['--log-verbose=1', '--log-level=warn']).logLevel, 'warn');
    assert.equal(parse(['--log-verbose=1'], { TENSORGATE_LOG_LEVEL: 'error' }).logLevel, 'error');
    assert.equal(parse(['--log-level', 'trace']).logLevel, 'trace');
  });

  test('--strict-model-config and --disable-auto-complete-config turn each other on', () => {
    const a = parse(['--strict-model-config=true']);
    assert.equal(a.strictModelConfig, true);
    assert.equal(a.disableAutoCompleteConfig, true);
    const b = parse(['--disable-auto-complete-config']);
    assert.equal(b.strictModelConfig, true);
    assert.equal(parse(['--strict-model-config', 'false']).disableAutoCompleteConfig, false);
  });

  test('--gpus takes auto, none or GPU ids, from the flag or TENSORGATE_GPUS', () => {
    assert.equal(parse(['--gpus', '0,1']).gpus, '0,1');
    assert.equal(parse([], { TENSORGATE_GPUS: 'none' }).gpus, 'none');
    rejects([...REPO, '--gpus', 'all'], /--gpus \(TENSORGATE_GPUS\) 'all' is invalid: must be 'auto', 'none' or/);
    rejects([...REPO, '--gpus', '0,-1'], /'0,-1' is invalid/);
  });

  test('the last of a repeated single-value flag wins (getopt behaviour)', () => {
    assert.equal(parse(['--http-port', '1', '--http-port', '2']).httpPort, 2);
  });
});

describe('parseSettings environment', () => {
  test('env vars fill in absent flags', () => {
    const s = parseSettings([], {
      TENSORGATE_MODEL_REPOSITORY: '/env-models',
      TENSORGATE_HTTP_PORT: '7000',
      TENSORGATE_ALLOW_GRPC: 'false',
      TENSORGATE_MODEL_CONTROL_MODE: 'explicit',
      TENSORGATE_LOAD_MODEL: 'a, b,,c',
      TENSORGATE_LOG_LEVEL: 'warn',
      TENSORGATE_EXIT_TIMEOUT_SECS: '5',
    });
    assert.equal(s.modelRepository, '/env-models');
    assert.equal(s.httpPort, 7000);
    assert.equal(s.allowGrpc, false);
    assert.deepEqual(s.loadModel, ['a', 'b', 'c']);
    assert.equal(s.logLevel, 'warn');
    assert.equal(s.exitTimeoutSecs, 5);
  });

  test('a flag wins over its env var, which wins over the default', () => {
    const env = { TENSORGATE_HTTP_PORT: '7000', TENSORGATE_GRPC_PORT: '7001', TENSORGATE_STRICT_READINESS: 'false' };
    const s = parse(['--http-port', '9000', '--strict-readiness'], env);
    assert.equal(s.httpPort, 9000);
    assert.equal(s.grpcPort, 7001);
    assert.equal(s.metricsPort, 8002);
    assert.equal(s.strictReadiness, true);
    assert.deepEqual(
      parse(['--model-control-mode=explicit', '--load-model=x'], { TENSORGATE_LOAD_MODEL: 'a,b' }).loadModel,
      ['x'],
    );
  });

  test('an empty env var counts as unset', () => {
    assert.equal(parse([], { TENSORGATE_HTTP_PORT: '' }).httpPort, 8000);
  });

  test('bad env values name the variable', () => {
    rejects(
      REPO,
      /environment variable TENSORGATE_HTTP_PORT='eighty' is invalid: must be a whole number from 0 to 65535/,
      {
        TENSORGATE_HTTP_PORT: 'eighty',
      },
    );
    rejects(REPO, /TENSORGATE_ALLOW_HTTP='maybe' is invalid: must be true or false/, {
      TENSORGATE_ALLOW_HTTP: 'maybe',
    });
    rejects(REPO, /TENSORGATE_LOG_LEVEL='loud' is invalid: must be one of: fatal, error, warn, info, debug, trace/, {
      TENSORGATE_LOG_LEVEL: 'loud',
    });
  });
});

describe('parseSettings rejects bad values with clear messages', () => {
  test('integers', () => {
    rejects(
      [...REPO, '--http-port', 'abc'],
      /'--http-port <port>' argument 'abc' is invalid\. Must be a whole number from 0 to 65535/,
    );
    rejects([...REPO, '--http-port=65536'], /Must be a whole number from 0 to 65535/);
    rejects([...REPO, '--grpc-port=1.5'], /--grpc-port/);
    rejects([...REPO, '--exit-timeout-secs=-1'], /--exit-timeout-secs/);
    rejects([...REPO, '--repository-poll-secs=0'], /Must be a whole number from 1 to 86400/);
    rejects([...REPO, '--grpc-max-message-bytes=2147483648'], /from 1 to 2147483647/);
  });

  test('enums and booleans', () => {
    rejects([...REPO, '--model-control-mode', 'manual'], /Must be one of: none, poll, explicit/);
    rejects(
      [...REPO, '--allow-http=maybe'],
      /'--allow-http \[bool\]' argument 'maybe' is invalid\. Must be true or false/,
    );
  });

  test('unknown flags, stray arguments and missing values', () => {
    rejects([...REPO, '--bogus'], /unknown option '--bogus'/);
    rejects([...REPO, 'extra'], /too many arguments/);
    rejects(['--model-repository'], /argument missing/);
    rejects(['--model-repository', ''], /Must not be empty/);
  });

  test('two enabled endpoints on one port', () => {
    rejects([...REPO, '--grpc-port', '8000'], /--http-port and --grpc-port are both 8000/);
    rejects([...REPO, '--metrics-port', '8001'], /--grpc-port and --metrics-port are both 8001/);
    assert.equal(parse(['--grpc-port', '8000', '--allow-http=false']).grpcPort, 8000);
    assert.equal(parse(['--http-port=0', '--grpc-port=0', '--metrics-port=0']).httpPort, 0);
  });
});

describe('TLS flags', () => {
  const CERT = ['--grpc-server-cert', '/c.pem', '--grpc-server-key', '/k.pem'];

  test('--grpc-use-ssl with a certificate and key', () => {
    const s = parse(['--grpc-use-ssl', ...CERT]);
    assert.equal(s.grpcUseSsl, true);
    assert.equal(s.grpcUseSslMutual, false);
    assert.equal(s.grpcServerCert, '/c.pem');
    assert.equal(s.grpcServerKey, '/k.pem');
    assert.equal(s.grpcRootCert, undefined);
  });

  test('--grpc-use-ssl-mutual implies --grpc-use-ssl (Triton: it preempts it)', () => {
    const s = parse(['--grpc-use-ssl-mutual=true', ...CERT, '--grpc-root-cert=/ca.pem']);
    assert.equal(s.grpcUseSsl, true);
    assert.equal(s.grpcUseSslMutual, true);
    assert.equal(s.grpcRootCert, '/ca.pem');
  });

  test('from the environment', () => {
    const s = parse([], {
      TENSORGATE_GRPC_USE_SSL: 'true',
      TENSORGATE_GRPC_SERVER_CERT: '/e/c.pem',
      TENSORGATE_GRPC_SERVER_KEY: '/e/k.pem',
      TENSORGATE_HTTP_USE_SSL: '1',
      TENSORGATE_HTTP_SERVER_CERT: '/e/hc.pem',
      TENSORGATE_HTTP_SERVER_KEY: '/e/hk.pem',
    });
    assert.equal(s.grpcUseSsl, true);
    assert.equal(s.grpcServerCert, '/e/c.pem');
    assert.equal(s.httpUseSsl, true);
    assert.equal(s.httpServerCert, '/e/hc.pem');
    assert.equal(s.httpServerKey, '/e/hk.pem');
  });

  test('TLS without its certificate or key is an error naming the missing flags', () => {
    rejects([...REPO, '--grpc-use-ssl'], /--grpc-use-ssl needs --grpc-server-cert and --grpc-server-key/);
    rejects([...REPO, '--grpc-use-ssl', '--grpc-server-cert=/c'], /--grpc-use-ssl needs --grpc-server-key$/);
    rejects(
      [...REPO, '--grpc-use-ssl-mutual', '--grpc-root-cert=/ca'],
      /--grpc-use-ssl-mutual needs --grpc-server-cert/,
    );
    rejects([...REPO, '--http-use-ssl', '--http-server-key=/k'], /--http-use-ssl needs --http-server-cert$/);
  });

  test('mutual TLS without a root certificate is an error', () => {
    rejects([...REPO, '--grpc-use-ssl-mutual', ...CERT], /--grpc-use-ssl-mutual needs --grpc-root-cert/);
  });

  test('certificate flags without their --*-use-ssl are ignored with a warning', () => {
    const { settings, warnings } = parseSettingsWithWarnings([...REPO, ...CERT, '--http-server-cert=/h'], {});
    assert.equal(settings.grpcUseSsl, false);
    assert.equal(settings.httpUseSsl, false);
    assert.match(warnings.join('\n'), /--grpc-server-cert, --grpc-server-key ignored without --grpc-use-ssl/);
    assert.match(warnings.join('\n'), /--http-server-cert ignored without --http-use-ssl/);
    const tlsOnly = parseSettingsWithWarnings([...REPO, '--grpc-use-ssl', ...CERT, '--grpc-root-cert=/ca'], {});
    assert.match(tlsOnly.warnings.join('\n'), /--grpc-root-cert ignored without --grpc-use-ssl-mutual/);
    assert.deepEqual(parseSettingsWithWarnings(REPO, {}).warnings, []);
  });

  test('an empty path is refused', () => {
    rejects([...REPO, '--grpc-server-cert='], /Must not be empty/);
  });

  test('--grpc-services without the gRPC frontend is ignored with a warning', () => {
    const { warnings } = parseSettingsWithWarnings(
      [...REPO, '--grpc-services', '/srv/services', '--allow-grpc', 'false'],
      {},
    );
    assert.match(warnings.join('\n'), /--grpc-services ignored with --allow-grpc false/);
    assert.deepEqual(parseSettingsWithWarnings([...REPO, '--grpc-services', '/srv/services'], {}).warnings, []);
  });
});

describe('restricted APIs (--http-restricted-api, --grpc-restricted-protocol)', () => {
  test("repeatable flags, in Triton's syntax, kept as given", () => {
    const s = parse([
      '--http-restricted-api',
      'model-repository,logging:x-admin-key=a=b:c',
      '--http-restricted-api=inference:x-api-key=k',
      '--grpc-restricted-protocol',
      'trace:x-admin-key=a',
    ]);
    assert.deepEqual(s.httpRestrictedApi, ['model-repository,logging:x-admin-key=a=b:c', 'inference:x-api-key=k']);
    assert.deepEqual(s.grpcRestrictedProtocol, ['trace:x-admin-key=a']);
  });

  test("the env vars separate entries with ';' (commas belong to the group lists); blanks dropped", () => {
    const s = parse([], {
      TENSORGATE_HTTP_RESTRICTED_API: 'model-repository,logging:x-admin-key=s3c,ret ; inference:x-api-key=k;',
      TENSORGATE_GRPC_RESTRICTED_PROTOCOL: 'health,metadata:k=v',
    });
    assert.deepEqual(s.httpRestrictedApi, ['model-repository,logging:x-admin-key=s3c,ret', 'inference:x-api-key=k']);
    assert.deepEqual(s.grpcRestrictedProtocol, ['health,metadata:k=v']);
    // A flag replaces the env var's entries, as for every list setting.
    assert.deepEqual(
      parse(['--http-restricted-api', 'health:k=v'], { TENSORGATE_HTTP_RESTRICTED_API: 'logging:k=v' })
        .httpRestrictedApi,
      ['health:k=v'],
    );
  });

  test('bad values stop start-up with a message naming the option and the problem', () => {
    rejects(
      [...REPO, '--http-restricted-api', 'logging'],
      /^--http-restricted-api \(TENSORGATE_HTTP_RESTRICTED_API\): must be <groups>:<header>=<value>/,
    );
    rejects(
      [...REPO, '--grpc-restricted-protocol', 'loging:k=v'],
      /--grpc-restricted-protocol .*unknown restricted protocol 'loging'/,
    );
    rejects(
      REPO,
      /--http-restricted-api \(TENSORGATE_HTTP_RESTRICTED_API\), entry 2 of 2: restricted api 'logging' can not be specified in multiple config groups/,
      { TENSORGATE_HTTP_RESTRICTED_API: 'logging:a=1;logging,health:b=2' },
    );
    rejects([...REPO, '--http-restricted-api', 'health:bad header=v'], /not a valid HTTP header name/);
    rejects([...REPO, '--http-restricted-api='], /Must not be empty/);
  });

  test('given for a disabled protocol: a warning, not silence', () => {
    const { warnings } = parseSettingsWithWarnings(
      [
        ...REPO,
        '--allow-grpc=false',
        '--grpc-restricted-protocol',
        'health:k=v',
        '--http-restricted-api',
        'health:k=v',
      ],
      {},
    );
    assert.deepEqual(warnings, ['--grpc-restricted-protocol ignored: gRPC is disabled (--allow-grpc=false)']);
  });

  test('--console without HTTP: a warning, not silence', () => {
    const { settings, warnings } = parseSettingsWithWarnings([...REPO, '--allow-http=false', '--console'], {});
    assert.equal(settings.console, true);
    assert.deepEqual(warnings, [
      '--console ignored: the console is served on the HTTP port, and HTTP is disabled (--allow-http=false)',
    ]);
    assert.equal(parseSettingsWithWarnings([...REPO, '--console'], {}).warnings.length, 0);
    assert.equal(parseSettingsWithWarnings(REPO, { TENSORGATE_CONSOLE: 'true' }).settings.console, true);
  });

  test("Triton's example restricting trace on HTTP restricts the /v2/trace/setting routes: no warning", () => {
    const { settings, warnings } = parseSettingsWithWarnings(
      [...REPO, '--http-restricted-api', 'model-repository,trace:k=v', '--grpc-restricted-protocol', 'trace:k=v'],
      {},
    );
    assert.deepEqual(settings.httpRestrictedApi, ['model-repository,trace:k=v']);
    assert.deepEqual(warnings, []);
  });
});

describe('connection timeouts and keepalive', () => {
  test("Triton's keepalive flags with Triton's defaults and spellings", () => {
    const s = parse([
      '--grpc-keepalive-time=10000',
      '--grpc-keepalive-timeout',
      '500',
      '--grpc-keepalive-permit-without-calls=1',
      '--grpc-http2-max-pings-without-data=0',
      '--grpc-http2-min-recv-ping-interval-without-data=5000',
      '--grpc-http2-max-ping-strikes=0',
      '--grpc-max-connection-age=60000',
      '--grpc-max-connection-age-grace=5000',
    ]);
    assert.equal(s.grpcKeepaliveTime, 10000);
    assert.equal(s.grpcKeepaliveTimeout, 500);
    assert.equal(s.grpcKeepalivePermitWithoutCalls, true);
    assert.equal(s.grpcHttp2MaxPingsWithoutData, 0);
    assert.equal(s.grpcHttp2MinRecvPingIntervalWithoutData, 5000);
    assert.equal(s.grpcHttp2MaxPingStrikes, 0);
    assert.equal(s.grpcMaxConnectionAge, 60000);
    assert.equal(s.grpcMaxConnectionAgeGrace, 5000);
  });

  test('timeouts of whole seconds, at least 1', () => {
    const s = parse([
      '--http-header-timeout-secs=2',
      '--http-body-idle-timeout-secs=3',
      '--http-keepalive-timeout-secs=4',
    ]);
    assert.deepEqual([s.httpHeaderTimeoutSecs, s.httpBodyIdleTimeoutSecs, s.httpKeepaliveTimeoutSecs], [2, 3, 4]);
    rejects([...REPO, '--http-header-timeout-secs=0'], /--http-header-timeout-secs.*1 to 3600/);
    rejects([...REPO, '--grpc-connection-idle-timeout-secs=0.5'], /whole number/);
    assert.equal(parse([], { TENSORGATE_GRPC_PREFACE_TIMEOUT_SECS: '3' }).grpcPrefaceTimeoutSecs, 3);
  });

  test('settings grpc-js cannot honour are refused with that transport, by name', () => {
    rejects(
      [...REPO, '--grpc-transport=grpc-js', '--grpc-http2-max-ping-strikes=5', '--grpc-http2-max-pings-without-data=0'],
      /--grpc-http2-max-pings-without-data, --grpc-http2-max-ping-strikes are not supported with --grpc-transport grpc-js/,
    );
    rejects(REPO, /--grpc-keepalive-permit-without-calls is not supported with --grpc-transport grpc-js/, {
      TENSORGATE_GRPC_TRANSPORT: 'grpc-js',
      TENSORGATE_GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS: 'true',
    });
    // What grpc-js implements is accepted, and its defaults are fine.
    const s = parse([
      '--grpc-transport=grpc-js',
      '--grpc-keepalive-time=1000',
      '--grpc-connection-idle-timeout-secs=5',
      '--grpc-preface-timeout-secs=5',
    ]);
    assert.equal(s.grpcKeepaliveTime, 1000);
    assert.equal(s.grpcPrefaceTimeoutSecs, 5);
    // Native-only settings do not matter when gRPC is off.
    parse(['--grpc-transport=grpc-js', '--no-allow-grpc', '--grpc-http2-max-ping-strikes=5']);
  });

  test('stream and call ceilings, the JSON inflation ratio', () => {
    const s = parse(['--grpc-max-concurrent-streams=64', '--grpc-max-concurrent-calls', '500']);
    assert.deepEqual([s.grpcMaxConcurrentStreams, s.grpcMaxConcurrentCalls], [64, 500]);
    assert.equal(parse([], { TENSORGATE_GRPC_MAX_CONCURRENT_CALLS: '7' }).grpcMaxConcurrentCalls, 7);
    rejects([...REPO, '--grpc-max-concurrent-streams=0'], /--grpc-max-concurrent-streams/);
    assert.equal(parse(['--http-max-json-inflation-ratio=0']).httpMaxJsonInflationRatio, 0);
    rejects([...REPO, '--http-max-json-inflation-ratio=2000'], /--http-max-json-inflation-ratio.*0 to 1032/);
  });

  test('the decompression budget holds one message of the largest limit', () => {
    const small = [
      '--decompression-budget-bytes=1048576',
      '--http-max-body-bytes=1000',
      '--grpc-max-message-bytes=1000',
    ];
    assert.equal(parse(small).decompressionBudgetBytes, 1048576);
    rejects([...REPO, '--decompression-budget-bytes=1048576'], /is smaller than --http-max-body-bytes 68157440/);
    // A default budget grows to a larger limit; an explicit one below a limit is refused.
    assert.equal(parse(['--grpc-max-message-bytes=1073741824']).decompressionBudgetBytes, 1073741824);
    rejects(
      [...REPO, '--http-max-body-bytes=500000000', '--decompression-budget-bytes=400000000'],
      /--decompression-budget-bytes 400000000 is smaller than --http-max-body-bytes 500000000/,
    );
    // A limit of a protocol that is off does not count.
    assert.equal(
      parse(['--no-allow-http', '--http-max-body-bytes=500000000', '--decompression-budget-bytes=400000000'])
        .decompressionBudgetBytes,
      400000000,
    );
  });
});

describe('--help is generated from the schema', () => {
  const help = addSettingsOptions(new Command('serve')).helpInformation();
  /** The help text of one option: its line plus the wrapped description lines under it. */
  function block(flag: string): string | undefined {
    const lines = help.split('\n');
    const start = lines.findIndex((l) => l.trimStart().startsWith(`${flag} `));
    if (start < 0) return undefined;
    const end = lines.findIndex((l, i) => i > start && /^\s*-/.test(l));
    return lines
      .slice(start, end < 0 ? undefined : end)
      .join(' ')
      .replace(/\s+/g, ' ');
  }

  test('every entry shows its flag, env var and default', () => {
    for (const entry of SETTINGS) {
      const line = block(entry.flag);
      assert.ok(line, `--help lacks ${entry.flag}`);
      assert.ok(line.includes(entry.env), `--help line of ${entry.flag} lacks ${entry.env}`);
      for (const alias of entry.aliases ?? []) assert.ok(line.includes(alias), `--help lacks alias ${alias}`);
      const optional = entry.type === 'string' && entry.optional === true;
      const shown =
        'default' in entry && entry.default !== undefined ? 'default: ' : optional ? 'optional' : 'required';
      assert.ok(line.includes(shown), `--help line of ${entry.flag} lacks '${shown}'`);
      if (entry.type === 'bool') assert.ok(help.includes(`--no-${entry.flag.slice(2)}`));
    }
  });

  test('entries are unique and env vars follow the flag names', () => {
    const flags = SETTINGS.flatMap((e) => [e.flag, ...(e.aliases ?? [])]);
    assert.equal(new Set(flags).size, flags.length);
    for (const entry of SETTINGS) {
      assert.equal(entry.env, `TENSORGATE_${entry.flag.slice(2).toUpperCase().replaceAll('-', '_')}`);
    }
  });
});
