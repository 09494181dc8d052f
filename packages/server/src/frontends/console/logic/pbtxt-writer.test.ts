import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configToJson, normalizeConfig, parseModelConfigText } from '../../../core/config/index.js';
import { configToPbtxt } from './pbtxt-writer.js';

test('messages, lists, enums and maps print as protobuf text; defaults are left out', () => {
  const text = configToPbtxt({
    name: 'm',
    platform: '',
    max_batch_size: 8,
    input: [{ name: 'x', data_type: 'TYPE_FP32', format: 'FORMAT_NCHW', dims: [3, 224, 224], optional: false }],
    output: [{ name: 'y', data_type: 'TYPE_STRING', dims: [-1], label_filename: 'labels.txt' }],
    dynamic_batching: { preferred_batch_size: [8, 16], max_queue_delay_microseconds: 2000, preserve_ordering: false },
    parameters: { threads: { string_value: '1' } },
    instance_group: [{ count: 1, kind: 'KIND_CPU', gpus: [] }],
  });
  assert.equal(
    text,
    [
      'name: "m"',
      'max_batch_size: 8',
      'input [',
      '  {',
      '    name: "x"',
      '    data_type: TYPE_FP32',
      '    format: FORMAT_NCHW',
      '    dims: [ 3, 224, 224 ]',
      '  }',
      ']',
      'output [',
      '  {',
      '    name: "y"',
      '    data_type: TYPE_STRING',
      '    dims: [ -1 ]',
      '    label_filename: "labels.txt"',
      '  }',
      ']',
      'dynamic_batching {',
      '  preferred_batch_size: [ 8, 16 ]',
      '  max_queue_delay_microseconds: 2000',
      '}',
      'parameters {',
      '  key: "threads"',
      '  value {',
      '    string_value: "1"',
      '  }',
      '}',
      'instance_group [',
      '  {',
      '    count: 1',
      '    kind: KIND_CPU',
      '  }',
      ']',
      '',
    ].join('\n'),
  );
});

test('ensemble maps, integer-keyed queue policies and quoted strings', () => {
  const text = configToPbtxt({
    ensemble_scheduling: { step: [{ model_name: 'a', model_version: -1, input_map: { IMAGE: 'INPUT' } }] },
    dynamic_batching: { priority_queue_policy: { '1': { timeout_action: 'DELAY', allow_timeout_override: true } } },
    name: 'say "hi"',
  });
  assert.match(text, /input_map \{ key: "IMAGE" value: "INPUT" \}/);
  assert.match(text, /model_version: -1/);
  assert.match(
    text,
    /priority_queue_policy \{\n {4}key: 1\n {4}value \{\n {6}timeout_action: DELAY\n {6}allow_timeout_override: true/,
  );
  assert.match(text, /^name: "say \\"hi\\""$/m);
  assert.equal(configToPbtxt(null), '');
});

test("every example model's served config round-trips: the printed text parses back to the same config", () => {
  for (const model of ['simple', 'image_classifier', 'ensemble_image', 'llm', 'image_preprocess']) {
    const dir = new URL(`../../../../../../examples/model_repository/${model}/`, import.meta.url);
    // As the server serves it: parsed, normalized (defaults filled in), printed as JSON.
    const load = (text: string): Record<string, unknown> =>
      configToJson(normalizeConfig(parseModelConfigText(text, model), { modelName: model, validateIo: false }));
    const served = load(readFileSync(new URL('config.pbtxt', dir), 'utf8'));
    const again = load(configToPbtxt(served));
    assert.deepEqual(again, served, model);
  }
});
