import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadRoutesFile, parseRoutesText, RoutesFileError, validateRoutes } from './route-file.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/gateway/routes.yaml', import.meta.url));

function issuesOf(doc: unknown, readText?: (p: string) => string): string[] {
  try {
    validateRoutes(doc, { file: 'routes.yaml', ...(readText && { readText }) });
  } catch (err) {
    assert.ok(err instanceof RoutesFileError);
    return [...err.issues];
  }
  assert.fail('expected the routes to be rejected');
}

const minimal = (route: Record<string, unknown>): unknown => ({
  routes: [{ path: '/x', model: 'm', inputs: { IN: { from: '$.a', datatype: 'FP32' } }, ...route }],
});

describe('routes file', () => {
  test('the example file is valid and complete', () => {
    const file = loadRoutesFile(EXAMPLE);
    assert.deepEqual(
      file.routes.map((r) => [r.path, r.model, r.mode]),
      [
        ['/forecast', 'lstm_timeseries', 'unary'],
        ['/predict', 'image_classifier', 'unary'],
        ['/predict/probabilities', 'image_classifier', 'unary'],
        ['/chat', 'llm', 'collect'],
        ['/chat/stream', 'llm', 'stream'],
      ],
    );
    const forecast = file.routes[0]!;
    assert.deepEqual(forecast.inputs[0], {
      name: 'INPUT',
      datatype: 'FP32',
      shape: [-1, 10, 1],
      from: ['series'],
      fromText: '$.series',
      valueIsDefault: false,
      optional: false,
    });
    assert.deepEqual(forecast.outputs, [
      { field: 'forecast', tensor: 'OUTPUT', softmax: false, argmax: false, squeeze: true },
    ]);
    assert.equal(forecast.timeoutMs, 5000);
    const probs = file.routes[2]!.outputs[1]!;
    assert.equal(probs.labels?.kind, 'list');
    assert.equal(probs.labels?.kind === 'list' && probs.labels.labels.length, 1000);
    assert.deepEqual(file.corsOrigins, ['*']);
    const chat = file.routes[3]!;
    assert.deepEqual(
      chat.inputs.map((i) => [i.name, i.value, i.valueIsDefault]),
      [
        ['text_input', undefined, false],
        ['stream', false, false],
        ['sampling_parameters', {}, true],
      ],
    );
  });

  test('JSON files are parsed as JSON', () => {
    const file = parseRoutesText(JSON.stringify(minimal({})), { file: 'r.json', format: 'json' });
    assert.equal(file.routes[0]!.path, '/x');
    assert.throws(
      () => parseRoutesText('routes: []', { file: 'r.json', format: 'json' }),
      /invalid routes file r\.json:\n {2}- not valid json/,
    );
  });

  test('YAML syntax errors are reported', () => {
    assert.throws(() => parseRoutesText('routes: [\n', { file: 'r.yaml' }), /not valid yaml/);
  });

  test('every problem is reported with its location', () => {
    const issues = issuesOf({
      upstreams: ['localhost'],
      healthIntervalMs: 0,
      extra: 1,
      routes: [
        {
          path: 'forecast',
          model: '',
          mode: 'batch',
          timeoutMs: -1,
          inputs: {
            A: { from: 'series', datatype: 'FLOAT', shape: [-1, -1] },
            B: { datatype: 'FP32', shape: [1.5] },
            C: { from: '$.c', value: 1, datatype: 'INT32' },
          },
          outputs: { y: { tensor: 'Y', argmax: true, topK: 3 }, z: { tensor: 'Z', labels: 'server', softmax: true } },
        },
        { path: '/health', model: 'm', inputs: { IN: { value: 1, datatype: 'INT32' } } },
        { path: '/a', model: 'm', inputs: { IN: { value: 1, datatype: 'INT32' } } },
        { path: '/a', model: 'm', inputs: { IN: { value: 1, datatype: 'INT32' } } },
      ],
    });
    const expected = [
      'extra: unknown field',
      "upstreams[0]: expected host:port, got 'localhost'",
      'healthIntervalMs: expected an integer from 10 to 3600000, got 0',
      "routes[0].path: 'forecast' must look like /name",
      'routes[0].model: expected a non-empty string',
      'routes[0].mode: expected one of unary, collect, stream',
      'routes[0].timeoutMs: expected an integer from 1',
      "routes[0].inputs.A.datatype: unknown datatype 'FLOAT'",
      'routes[0].inputs.A.shape: at most one dimension may be -1',
      "routes[0].inputs.A.from: path 'series' must start with '$'",
      'routes[0].inputs.B.shape[0]: expected an integer >= -1, got 1.5',
      'routes[0].inputs.B: needs `from` (a body field) or `value` (a constant)',
      'routes[0].inputs.C: has both `from` and `value`',
      'routes[0].outputs.y: use either argmax or topK, not both',
      'routes[0].outputs.z.labels: labels need argmax or topK',
      'routes[0].outputs.z.softmax: softmax needs the whole tensor',
      "routes[1].path: '/health' is served by the gateway itself",
      "routes[3].path: '/a' is already used by routes[2]",
    ];
    for (const e of expected)
      assert.ok(
        issues.some((i) => i.startsWith(e)),
        `missing issue '${e}' in:\n${issues.join('\n')}`,
      );
    assert.equal(issues.length, expected.length, issues.join('\n'));
  });

  test('structural errors', () => {
    assert.deepEqual(issuesOf([]), ['(root): expected an object with a `routes` list']);
    assert.deepEqual(issuesOf({ routes: [] }), ['routes: expected a non-empty list of routes']);
    assert.deepEqual(issuesOf({ routes: [1] }), ['routes[0]: expected an object']);
    assert.deepEqual(issuesOf(minimal({ inputs: {} })), [
      'routes[0].inputs: expected an object mapping input tensor names to { from | value, datatype, shape }',
    ]);
    assert.deepEqual(issuesOf(minimal({ input: {} })), [
      'routes[0].input: unknown field (known: path, model, version, mode, summary, description, timeoutMs, inputs, outputs, parameters, example, jobs)',
    ]);
    assert.deepEqual(issuesOf(minimal({ version: 'latest' })), ['routes[0].version: expected a positive integer']);
    assert.deepEqual(issuesOf(minimal({ parameters: { a: [1] } })), [
      'routes[0].parameters.a: expected a string, number or boolean',
    ]);
    assert.deepEqual(
      issuesOf({ routes: [{ path: '/x', model: 'm', inputs: { I: { from: '$.a[x]', datatype: 'FP32' } } }] }),
      ["routes[0].inputs.I.from: path '$.a[x]': unexpected '[x]' (use .field or [index])"],
    );
  });

  test('labels: inline lists, files (relative to the routes file), read errors', () => {
    const reads: string[] = [];
    const readText = (p: string): string => {
      reads.push(p);
      if (p.endsWith('missing.txt')) throw new Error('ENOENT');
      return 'cat\ndog\n\n';
    };
    const file = validateRoutes(
      minimal({
        outputs: {
          a: { tensor: 'Y', argmax: true, labels: ['x', 'y'] },
          b: { tensor: 'Y', topK: 2, labels: { file: 'labels.txt' } },
        },
      }),
      { file: 'r.yaml', readText, baseDir: '/base' },
    );
    assert.deepEqual(file.routes[0]!.outputs[1]!.labels, { kind: 'list', labels: ['cat', 'dog'] });
    assert.deepEqual(reads, ['/base/labels.txt']);
    assert.deepEqual(
      issuesOf(minimal({ outputs: { a: { tensor: 'Y', argmax: true, labels: { file: 'missing.txt' } } } }), readText),
      ['routes[0].outputs.a.labels.file: cannot read labels: ENOENT'],
    );
    assert.deepEqual(issuesOf(minimal({ outputs: { a: { tensor: 'Y', topK: 1, labels: 'server' }, b: 'Y' } })), [
      "routes[0].outputs: output 'Y' uses labels: server, so it can be mapped to one field only",
    ]);
  });

  test('defaults: version, mode, squeeze, parameters', () => {
    const file = validateRoutes(
      minimal({ version: 2, outputs: { y: { tensor: 'Y', squeeze: false } }, parameters: { p: 1 } }),
      {
        file: 'r',
      },
    );
    const r = file.routes[0]!;
    assert.equal(r.version, '2');
    assert.equal(r.mode, 'unary');
    assert.equal(r.outputs[0]!.squeeze, false);
    assert.deepEqual(r.parameters, { p: 1 });
    assert.equal(file.title, 'tensorgate gateway');
    assert.equal(file.corsOrigins, undefined);
  });

  test("jobs: a route with jobs needs the file's jobs.upstream (an HTTP base URL) and mode unary", () => {
    const ok = validateRoutes(
      {
        ...(minimal({ jobs: true }) as object),
        jobs: { upstream: 'http://10.0.0.5:8000', forwardHeaders: ['x-tenant'] },
      },
      { file: 'r' },
    );
    assert.equal(ok.routes[0]!.jobs, true);
    assert.deepEqual(ok.jobs, { url: 'http://10.0.0.5:8000', forwardHeaders: ['x-tenant'] });
    assert.deepEqual(issuesOf(minimal({ jobs: true })), [
      'routes[0].jobs: needs the file\'s `jobs: { upstream: "http://host:8000" }` (the server\'s HTTP address)',
    ]);
    assert.deepEqual(
      issuesOf({ ...(minimal({ jobs: true, mode: 'stream' }) as object), jobs: { upstream: 'http://h:8000' } }),
      ['routes[0].jobs: jobs need mode unary (a job has one response; mode is stream)'],
    );
    assert.deepEqual(issuesOf({ ...(minimal({ jobs: 'yes' }) as object), jobs: { upstream: '10.0.0.5:8001' } }), [
      "jobs.upstream: expected the server's HTTP base URL (http://host:port), got '10.0.0.5:8001'",
      'routes[0].jobs: expected true or false',
    ]);
  });
});
