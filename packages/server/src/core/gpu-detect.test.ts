import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countVisibleGpus, detectGpus, listPhysicalGpus, parseGpuSetting, resolveGpus } from './gpu-detect.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

interface FakeGpu {
  busId: string;
  uuid?: string;
  excluded?: boolean;
  noInfo?: boolean;
}

/** A fake `/proc` whose NVIDIA driver lists `gpus` (created out of bus order on purpose). */
function fakeProc(gpus: FakeGpu[] | undefined): string {
  const root = mkdtempSync(join(tmpdir(), 'tg-proc-'));
  roots.push(root);
  if (gpus === undefined) return root;
  const dir = join(root, 'driver', 'nvidia', 'gpus');
  mkdirSync(dir, { recursive: true });
  for (const g of [...gpus].reverse()) {
    mkdirSync(join(dir, g.busId));
    if (g.noInfo) continue;
    writeFileSync(
      join(dir, g.busId, 'information'),
      `Model: \t\t NVIDIA A100-SXM4-80GB\nIRQ:   \t\t 42\nGPU UUID: \t ${g.uuid ?? '??'}\n` +
        `Bus Location: \t ${g.busId}\nDevice Minor: \t 0\nGPU Excluded:\t ${g.excluded ? 'Yes' : 'No'}\n`,
    );
  }
  writeFileSync(join(dir, 'not-a-gpu'), ''); // files beside the folders are ignored
  return root;
}

const FOUR = [
  { busId: '0000:07:00.0', uuid: 'GPU-aaaa1111-0000-0000-0000-000000000000' },
  { busId: '0000:0f:00.0', uuid: 'GPU-bbbb2222-0000-0000-0000-000000000000' },
  { busId: '0000:47:00.0', uuid: 'GPU-aaaa3333-0000-0000-0000-000000000000' },
  { busId: '0000:4e:00.0', uuid: 'GPU-cccc4444-0000-0000-0000-000000000000' },
];

describe('listPhysicalGpus', () => {
  test('one entry per driver folder, in PCI bus order, with UUID and model', () => {
    const gpus = listPhysicalGpus(fakeProc(FOUR));
    assert.deepEqual(
      gpus?.map((g) => g.busId),
      ['0000:07:00.0', '0000:0f:00.0', '0000:47:00.0', '0000:4e:00.0'],
    );
    assert.equal(gpus?.[2]?.uuid, 'GPU-aaaa3333-0000-0000-0000-000000000000');
    assert.equal(gpus?.[0]?.model, 'NVIDIA A100-SXM4-80GB');
  });

  test('an unreadable information file still counts; excluded GPUs and an unknown UUID do not show', () => {
    const gpus = listPhysicalGpus(
      fakeProc([
        { busId: '0000:01:00.0', noInfo: true },
        { busId: '0000:02:00.0', excluded: true },
        { busId: '0000:03:00.0' },
      ]),
    );
    assert.deepEqual(gpus, [{ busId: '0000:01:00.0' }, { busId: '0000:03:00.0', model: 'NVIDIA A100-SXM4-80GB' }]);
  });

  test('no driver folder → undefined', () => {
    assert.equal(listPhysicalGpus(fakeProc(undefined)), undefined);
  });
});

describe('countVisibleGpus (CUDA_VISIBLE_DEVICES)', () => {
  const gpus = listPhysicalGpus(fakeProc(FOUR)) ?? [];
  const cases: Array<[string, number]> = [
    ['', 0],
    ['-1', 0],
    ['0', 1],
    ['3,1', 2],
    [' 2 , 0 ', 2],
    ['0,1,2,3', 4],
    ['0,4,1', 1], // 4 does not exist: the list ends there
    ['1,-1,0', 1],
    ['0,0', 1], // a repeated device ends the list
    ['abc', 0],
    ['GPU-bbbb', 1], // a unique UUID prefix
    ['GPU-aaaa', 0], // ambiguous prefix
    ['gpu-cccc4444-0000-0000-0000-000000000000,0', 2],
    ['GPU-dddd', 0],
    ['GPU-bbbb,1', 1], // the same GPU twice
    ['MIG-1234,MIG-5678', 2],
  ];
  for (const [value, expected] of cases) {
    test(`'${value}' → ${expected}`, () => assert.equal(countVisibleGpus(value, gpus), expected));
  }

  test('GPU- entries count when no UUID is readable; nothing is visible without GPUs', () => {
    assert.equal(countVisibleGpus('GPU-anything,1', [{ busId: 'a' }, { busId: 'b' }]), 2);
    assert.equal(countVisibleGpus('MIG-x', []), 0);
    assert.equal(countVisibleGpus('GPU-x', []), 0);
  });
});

describe('detectGpus', () => {
  const procRoot = fakeProc(FOUR);

  test('all GPUs as CUDA ids 0..n-1 without CUDA_VISIBLE_DEVICES', () => {
    const d = detectGpus({ procRoot, env: {}, platform: 'linux' });
    assert.deepEqual(d.ids, [0, 1, 2, 3]);
    assert.match(d.source, /^4 NVIDIA GPUs \[0: 0000:07:00.0 \(NVIDIA A100-SXM4-80GB\), 1: 0000:0f:00.0/);
  });

  test('CUDA_VISIBLE_DEVICES renumbers the visible GPUs from 0', () => {
    const d = detectGpus({ procRoot, env: { CUDA_VISIBLE_DEVICES: '2,3' }, platform: 'linux' });
    assert.deepEqual(d.ids, [0, 1]);
    assert.match(d.source, /2 visible with CUDA_VISIBLE_DEVICES='2,3'$/);
    assert.deepEqual(detectGpus({ procRoot, env: { CUDA_VISIBLE_DEVICES: '' }, platform: 'linux' }).ids, []);
  });

  test('none without the driver, and none off Linux', () => {
    assert.deepEqual(detectGpus({ procRoot: fakeProc(undefined), env: {}, platform: 'linux' }), {
      ids: [],
      source: 'no NVIDIA driver (no /proc/driver/nvidia/gpus)',
    });
    assert.deepEqual(detectGpus({ procRoot, env: {}, platform: 'darwin' }).ids, []);
  });

  test('an empty driver folder means no GPUs', () => {
    assert.deepEqual(detectGpus({ procRoot: fakeProc([]), env: {}, platform: 'linux' }), {
      ids: [],
      source: '0 NVIDIA GPUs',
    });
  });
});

describe('the --gpus setting', () => {
  test('parseGpuSetting: auto, none, ids (sorted, deduplicated), and nothing else', () => {
    assert.equal(parseGpuSetting(' AUTO '), 'auto');
    assert.deepEqual(parseGpuSetting('none'), []);
    assert.deepEqual(parseGpuSetting('2, 0,2'), [0, 2]);
    for (const bad of ['', 'all', '0,', '-1', '1.5', 'GPU-abc']) {
      assert.throws(() => parseGpuSetting(bad), /must be 'auto', 'none' or comma-separated GPU ids/, bad);
    }
  });

  test('resolveGpus detects only for auto', () => {
    const detect = () => ({ ids: [0, 1, 2], source: 'fake' });
    assert.deepEqual(resolveGpus('auto', detect), { ids: [0, 1, 2], source: 'fake' });
    assert.deepEqual(resolveGpus('1', detect), { ids: [1], source: '--gpus 1' });
    assert.deepEqual(resolveGpus('none', detect), { ids: [], source: '--gpus none' });
  });
});
