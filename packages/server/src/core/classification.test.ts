import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeElements, encodeElements, type DataType } from '@tensorgate/protocol';
import { classify, loadOutputLabels } from './classification.js';
import type { ModelConfig } from './config/model-config.js';
import type { Tensor } from './types.js';

const t = (datatype: DataType, shape: number[], values: number[]): Tensor => ({
  name: 'OUT',
  datatype,
  shape,
  data: encodeElements(datatype, values),
});
const strings = (x: Tensor): unknown[] => decodeElements('BYTES', x.data);

describe('classify', () => {
  test('top-N per batch item, highest first, with labels', () => {
    const out = classify(t('FP32', [2, 4], [0.1, 0.7, 0.2, 0.0, 5, 1, 9, 3]), 2, ['a', 'b', 'c', 'd'], true);
    assert.equal(out.datatype, 'BYTES');
    assert.deepEqual(out.shape, [2, 2]);
    assert.deepEqual(strings(out), ['0.700000:1:b', '0.200000:2:c', '9.000000:2:c', '5.000000:0:a']);
  });

  test('integers print as integers; no labels gives value:index; N is capped at the class count', () => {
    const out = classify(t('INT32', [3], [4, -2, 10]), 5, undefined, false);
    assert.deepEqual(out.shape, [3]);
    assert.deepEqual(strings(out), ['10:2', '4:0', '-2:1']);
  });

  test('ties keep the lower index first; FP16 values are decoded', () => {
    const out = classify(t('FP16', [1, 3], [1.5, 1.5, 2]), 3, undefined, true);
    assert.deepEqual(strings(out), ['2.000000:2', '1.500000:0', '1.500000:1']);
  });

  test('BYTES outputs cannot be classified', () => {
    assert.throws(
      () => classify({ name: 'S', datatype: 'BYTES', shape: [1], data: new Uint8Array(5) }, 1, undefined, false),
      /not supported for BYTES/,
    );
  });
});

describe('loadOutputLabels', () => {
  test('reads label files relative to the model folder; a missing one is an error naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-labels-'));
    await writeFile(join(dir, 'labels.txt'), 'cat\ndog\r\nbird\n');
    const config = {
      name: 'm',
      output: [
        { name: 'OUT', label_filename: 'labels.txt' },
        { name: 'X', label_filename: '' },
      ],
    } as unknown as ModelConfig;
    const labels = await loadOutputLabels(dir, config);
    assert.deepEqual(labels.get('OUT'), ['cat', 'dog', 'bird']);
    assert.equal(labels.has('X'), false);
    const bad = { name: 'm', output: [{ name: 'OUT', label_filename: 'nope.txt' }] } as unknown as ModelConfig;
    await assert.rejects(loadOutputLabels(dir, bad), /label file 'nope.txt' of output 'OUT' of model 'm'/);
  });

  test('a label file outside the model folder is refused before it is read', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tg-labels-'));
    await mkdir(join(root, 'm'));
    await writeFile(join(root, 'secret.txt'), 'secret\n');
    await symlink(join(root, 'secret.txt'), join(root, 'm', 'link.txt'));
    for (const name of ['../secret.txt', join(root, 'secret.txt'), 'link.txt']) {
      const config = { name: 'm', output: [{ name: 'OUT', label_filename: name }] } as unknown as ModelConfig;
      await assert.rejects(loadOutputLabels(join(root, 'm'), config), {
        code: 'INVALID_ARG',
        message: `label_filename '${name}' of output 'OUT' resolves outside the model folder '${join(root, 'm')}'`,
      });
    }
  });
});
