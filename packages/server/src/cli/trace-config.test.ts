import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTraceConfig } from './trace-config.js';
import { parseSettingsWithWarnings, SettingsError } from './settings.js';

describe('--trace-config', () => {
  test("Triton's documented launch line", () => {
    const t = parseTraceConfig(
      ['triton,file=/tmp/trace.json', 'triton,log-frequency=50', 'rate=100', 'level=TIMESTAMPS', 'count=100'],
      {},
    );
    assert.deepEqual(
      { mode: t.mode, level: t.level, rate: t.rate, count: t.count, logFrequency: t.logFrequency, file: t.file },
      { mode: 'triton', level: 1, rate: 100, count: 100, logFrequency: 50, file: '/tmp/trace.json' },
    );
  });

  test("defaults are Triton's: OFF, rate 1000, count -1, no file; levels add up and OFF wins", () => {
    const t = parseTraceConfig([], {});
    assert.deepEqual([t.mode, t.level, t.rate, t.count, t.logFrequency, t.file], ['triton', 0, 1000, -1, 0, '']);
    const f = ['triton,file=/t'];
    assert.equal(parseTraceConfig([...f, 'level=TIMESTAMPS', 'level=tensors'], {}).level, 3);
    assert.equal(parseTraceConfig([...f, 'level=max'], {}).level, 1);
    assert.equal(parseTraceConfig([...f, 'level=TIMESTAMPS', 'level=OFF'], {}).level, 0);
    assert.equal(parseTraceConfig(['triton,log_frequency=3', ...f], {}).logFrequency, 3);
  });

  test('opentelemetry settings, with OTEL_BSP_* and OTEL_RESOURCE_ATTRIBUTES defaults', () => {
    const t = parseTraceConfig(
      [
        'mode=opentelemetry',
        'level=TIMESTAMPS',
        'opentelemetry,url=http://collector:4318/v1/traces',
        'opentelemetry,resource=service.name=triton',
        'opentelemetry,resource=service.version=1',
        'opentelemetry,bsp_max_export_batch_size=16',
      ],
      { OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test' },
    );
    assert.equal(t.mode, 'opentelemetry');
    assert.deepEqual(t.otel, {
      url: 'http://collector:4318/v1/traces',
      resource: ['deployment.environment=test', 'service.name=triton', 'service.version=1'],
      bspMaxQueueSize: 2048,
      bspScheduleDelay: 200,
      bspMaxExportBatchSize: 16,
    });
    // rate=0 in OpenTelemetry mode: only requests carrying a W3C context are traced (Triton's docs).
    assert.equal(parseTraceConfig(['mode=opentelemetry', 'level=TIMESTAMPS', 'rate=0'], {}).rate, 0);
  });

  test('what would trace nothing or be ignored is refused, by name', () => {
    const cases: Array<[string[], RegExp]> = [
      [['level=TIMESTAMPS'], /a trace level is set but no trace file: add --trace-config triton,file=<path>/],
      [['triton,file=/t', 'level=TIMESTAMPS', 'rate=0'], /rate=0 would trace nothing/],
      [['triton,file=/t', 'level=TIMESTAMPS', 'count=0'], /count=0 would trace nothing/],
      [['mode=opentelemetry', 'level=TENSORS'], /level=TENSORS is not supported in opentelemetry mode/],
      [['mode=opentelemetry', 'triton,file=/t'], /triton,file=\/t: has no effect: the trace mode is 'opentelemetry'/],
      [['opentelemetry,url=http://x:4318/v1/traces'], /has no effect: the trace mode is 'triton'/],
      [['triton,verbose=1'], /unknown triton trace setting 'verbose' \(known: file, log-frequency, log_frequency\)/],
      [['opentelemetry,exporter=grpc'], /unknown opentelemetry trace setting 'exporter'/],
      [['file=/t'], /unknown global trace setting 'file' \(known: level, rate, count, mode\)/],
      [['mode=zipkin'], /invalid trace mode 'zipkin'. Available options are "triton" and "opentelemetry"/],
      [['level=LOUD'], /invalid value for trace level option: LOUD/],
      [['rate=ten'], /--trace-config rate=ten: 'ten' is not an integer/],
      [['count=-2'], /-2 is out of range \[-1, 2147483647\]/],
      [[',rate=1'], /no trace mode specified/],
      [['rate'], /the format is/],
      [['mode=opentelemetry', 'opentelemetry,url=collector:4318'], /expected an http:\/\/ or https:\/\/ URL/],
      [['mode=opentelemetry', 'opentelemetry,bsp_max_export_batch_size=4096'], /must be at most bsp_max_queue_size/],
    ];
    for (const [entries, message] of cases) {
      assert.throws(() => parseTraceConfig(entries, {}), message, entries.join(' '));
    }
  });

  test('the flag and TENSORGATE_TRACE_CONFIG go through the settings table; a bad entry stops start-up', () => {
    const repo = ['--model-repository', '/models'];
    const flags = ['--trace-config', 'triton,file=/tmp/t.json', '--trace-config', 'level=TIMESTAMPS'];
    assert.deepEqual(parseSettingsWithWarnings([...repo, ...flags], {}).settings.traceConfig, [
      'triton,file=/tmp/t.json',
      'level=TIMESTAMPS',
    ]);
    const env = { TENSORGATE_TRACE_CONFIG: 'triton,file=/tmp/t.json;rate=10' };
    assert.deepEqual(parseSettingsWithWarnings(repo, env).settings.traceConfig, ['triton,file=/tmp/t.json', 'rate=10']);
    assert.throws(
      () => parseSettingsWithWarnings([...repo, '--trace-config', 'level=TIMESTAMPS'], {}),
      (e: unknown) => e instanceof SettingsError && /no trace file/.test(e.message),
    );
  });
});
