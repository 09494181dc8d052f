import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addExternalWeightsOnnx, externalTensor, GraphBuilder, onnx } from '@tensorgate/onnx-gen';
import { checkExternalData, listExternalData } from './external-data.js';

const roots: string[] = [];
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
};
after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

/** `<tmp>/m/1/model.onnx` with `bytes`, plus `<tmp>/secret.bin` outside the model folder. */
async function model(bytes: Uint8Array): Promise<{ root: string; modelPath: string; file: string }> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'tg-external-')));
  roots.push(root);
  const modelPath = join(root, 'm');
  await mkdir(join(modelPath, '1'), { recursive: true });
  await writeFile(join(root, 'secret.bin'), new Uint8Array(16));
  const file = join(modelPath, '1', 'model.onnx');
  await writeFile(file, bytes);
  return { root, modelPath, file };
}

describe('ONNX external data', () => {
  test('lists the locations of initializers, constants, subgraphs, sparse and training tensors', async () => {
    const t = (name: string, location: string) => externalTensor(name, 'float32', [1], { location });
    const sub = { name: 'then', initializer: [t('SUB', 'sub.bin')], output: [] };
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        initializer: [t('W', 'w.bin'), { name: 'plain', dataType: 1, dims: [1], rawData: new Uint8Array(4) }],
        sparseInitializer: [{ values: t('SPV', 'sparse.bin'), indices: t('SPI', 'idx.bin'), dims: [4] }],
        node: [
          { opType: 'Constant', output: ['C'], attribute: [{ name: 'value', type: 4, t: t('', 'const.bin') }] },
          { opType: 'If', input: ['x'], output: ['y'], attribute: [{ name: 'then_branch', type: 5, g: sub }] },
          { opType: 'X', attribute: [{ name: 'ints', type: 7, ints: [-1, -2] }] },
        ],
      },
      trainingInfo: [{ algorithm: { name: 'a', initializer: [t('TRAIN', 'train.bin')] } }],
    }).finish();
    const { file } = await model(bytes);
    assert.deepEqual((await listExternalData(file)).map((r) => `${r.tensor}:${r.location}`).sort(), [
      ':const.bin',
      'SPI:idx.bin',
      'SPV:sparse.bin',
      'SUB:sub.bin',
      'TRAIN:train.bin',
      'W:w.bin',
    ]);
  });

  test('a location inside the model folder passes; ONNX Runtime then reads it', async () => {
    const { file, modelPath } = await model(addExternalWeightsOnnx('weights.bin'));
    await writeFile(join(modelPath, '1', 'weights.bin'), new Uint8Array(16));
    await checkExternalData(file, modelPath);
    // Beside the version folder, still inside the model folder: allowed.
    const shared = await model(addExternalWeightsOnnx('../shared.bin'));
    await writeFile(join(shared.modelPath, 'shared.bin'), new Uint8Array(16));
    await checkExternalData(shared.file, shared.modelPath);
  });

  test('.., absolute and symlinked locations leaving the folder fail naming the location', async () => {
    const outside = async (location: string, link?: string) => {
      const m = await model(addExternalWeightsOnnx(location));
      if (link) await symlink(join(m.root, 'secret.bin'), join(m.modelPath, '1', link));
      await assert.rejects(checkExternalData(m.file, m.modelPath), {
        code: 'INVALID_ARG',
        message: `external_data location '${location}' of tensor 'W' in ${m.file} resolves outside the model folder '${m.modelPath}'`,
      });
    };
    await outside('../../secret.bin');
    await outside('/etc/hostname');
    await outside('link.bin', 'link.bin');
  });

  test('a missing location and ORT’s memory-address tag are refused', async () => {
    const missing = await model(addExternalWeightsOnnx('nope.bin'));
    await assert.rejects(checkExternalData(missing.file, missing.modelPath), /location 'nope.bin' .* is not a file/);
    const mem = await model(addExternalWeightsOnnx('*/_ORT_MEM_ADDR_/*'));
    await assert.rejects(checkExternalData(mem.file, mem.modelPath), /a memory address is not allowed/);
  });

  test('a model without external data, and a corrupt file', async () => {
    const plain = await model(
      new GraphBuilder('id')
        .input({ name: 'A', type: 'float32', shape: [1] })
        .output({ name: 'B', type: 'float32', shape: [1] })
        .node('Identity', ['A'], ['B'])
        .toBytes(),
    );
    assert.deepEqual(await listExternalData(plain.file), []);
    const corrupt = await model(new TextEncoder().encode('this is not protobuf'));
    await assert.rejects(listExternalData(corrupt.file), {
      code: 'INVALID_ARG',
      message: /is not a valid ONNX model: protobuf parsing failed/,
    });
    // A length running past the end of the file.
    const truncated = await model(new Uint8Array([0x3a, 0xff, 0x01, 0x00]));
    await assert.rejects(listExternalData(truncated.file), /protobuf parsing failed/);
  });

  test('the scan reads the metadata, not the weights: a 1.5 GB initializer costs a few KB of reads', async () => {
    // A sparse file: the big tensor's raw_data is a hole, so the test writes almost nothing.
    const R = 1536 * 1024 * 1024;
    const rest = onnx.GraphProto.encode({
      name: 'big',
      initializer: [externalTensor('EXT', 'float32', [1], { location: 'w.bin' })],
      node: [{ opType: 'Identity', input: ['IN'], output: ['OUT'] }],
    }).finish();
    const head = onnx.TensorProto.encode({ name: 'BIG', dataType: 1, dims: [R / 4] }).finish();
    const rawHeader = [0x4a, ...varint(R)]; // raw_data = 9, length-delimited
    const tensorLen = head.length + rawHeader.length + R;
    const graphPrefix = [0x2a, ...varint(tensorLen)]; // initializer = 5
    const graphLen = graphPrefix.length + tensorLen + rest.length;
    const modelPrefix = new Uint8Array([0x08, 0x08, 0x3a, ...varint(graphLen), ...graphPrefix, ...head, ...rawHeader]);
    const m = await model(new Uint8Array(0));
    const fh = await open(m.file, 'w');
    try {
      await fh.write(modelPrefix, 0, modelPrefix.length, 0);
      await fh.write(rest, 0, rest.length, modelPrefix.length + R);
    } finally {
      await fh.close();
    }
    const stats = { bytesRead: 0, reads: 0 };
    assert.deepEqual(await listExternalData(m.file, stats), [{ tensor: 'EXT', location: 'w.bin' }]);
    assert.ok(stats.bytesRead < 256 * 1024, `the scan read ${stats.bytesRead} bytes in ${stats.reads} reads`);
  });
});
