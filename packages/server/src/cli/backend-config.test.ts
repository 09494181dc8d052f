import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendConfigError, parseBackendConfig } from './backend-config.js';

test("default-max-batch-size, global or the onnxruntime backend's own (which wins)", () => {
  assert.deepEqual(parseBackendConfig([]), { onnxruntime: {} });
  assert.deepEqual(parseBackendConfig(['default-max-batch-size=8']), { onnxruntime: { defaultMaxBatchSize: 8 } });
  assert.deepEqual(parseBackendConfig(['onnxruntime,default-max-batch-size=2', 'default-max-batch-size=8']), {
    onnxruntime: { defaultMaxBatchSize: 2 },
  });
});

test('unknown backends and settings are refused by name', () => {
  const refuses = (entry: string, message: RegExp): void =>
    assert.throws(
      () => parseBackendConfig([entry]),
      (e: unknown) => e instanceof BackendConfigError && message.test(e.message),
    );
  refuses(
    'tensorrt,coalesce-request-input=true',
    /tensorgate has no backend 'tensorrt' \(its backends: js, onnxruntime, llm\)/,
  );
  refuses('onnxruntime,enable-global-threadpool=1', /onnxruntime backend takes only default-max-batch-size/);
  refuses('js,shm-default-byte-size=1', /js backend takes no --backend-config settings/);
  refuses('backend-directory=/x', /global backend setting, takes only default-max-batch-size/);
  refuses('default-max-batch-size=-1', /whole number/);
  refuses('onnxruntime', /expected \[<backend>,\]<setting>=<value>/);
  refuses(',a=b', /no backend before ','/);
});
