import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceError } from '../errors.js';
import { DEFAULT_TRACE_STARTUP, TraceManager, type TraceStartup } from './trace-manager.js';
import { assertTraceFileWritable, TraceFile } from './trace-file.js';

const clock = { nowNs: () => 1_000, wallMs: () => 1_700_000_000_000 };

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tensorgate-trace-unit-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function manager(dir: string, startup: Partial<TraceStartup> = {}): TraceManager {
  return new TraceManager({ ...DEFAULT_TRACE_STARTUP, file: join(dir, 't.json'), ...startup }, { clock });
}

/** Runs one request for `model` through the manager; true when it was traced. */
function request(traces: TraceManager, model: string, id = ''): boolean {
  const trace = traces.startTrace(model, undefined);
  if (!trace) return false;
  trace.begin(model, 1, id, 10);
  trace.capture('REQUEST_END', 20);
  trace.release();
  return true;
}

describe('TraceManager', () => {
  test("Triton's update rules: a model keeps what it set, follows the global setting for the rest", () =>
    withDir(async (dir) => {
      const t = manager(dir);
      t.update('m', { rate: 5 });
      t.update('', { level: 1, rate: 7, count: 9 });
      assert.deepEqual(t.settings('m').trace_rate, ['5']);
      assert.deepEqual(t.settings('m').trace_level, ['TIMESTAMPS']);
      assert.deepEqual(t.settings('m').trace_count, ['9']);
      assert.deepEqual(t.settings('other').trace_rate, ['7'], 'a model without a setting reads the global one');
      t.update('', { rate: null });
      assert.deepEqual(t.settings('').trace_rate, ['1000'], 'a cleared global value is the start-up one');
      t.update('m', { rate: null });
      assert.deepEqual(t.settings('m').trace_rate, ['1000']);
      await t.shutdown();
    }));

  test('an invalid setting is refused whole: nothing changes', () =>
    withDir(async (dir) => {
      const t = manager(dir);
      assert.throws(
        () => t.update('', { level: 1, rate: 0 }),
        (e: unknown) =>
          e instanceof InferenceError &&
          e.code === 'INVALID_ARG' &&
          e.message === 'Attempting to set invalid trace setting :sample rate must be non-zero',
      );
      assert.deepEqual(t.settings('').trace_level, ['OFF']);
      const noFile = new TraceManager(DEFAULT_TRACE_STARTUP, { clock });
      assert.throws(() => noFile.update('', { level: 1 }), /trace file name is not given/);
      await t.shutdown();
    }));

  test('rate samples 1 of N, count stops after N (and reads down to 0), OFF traces nothing', () =>
    withDir(async (dir) => {
      const t = manager(dir, { level: 1, rate: 2, count: 3 });
      const traced = Array.from({ length: 10 }, (_, i) => request(t, 'm', `r${i + 1}`));
      assert.deepEqual(
        traced.map((x, i) => (x ? i + 1 : 0)).filter((x) => x > 0),
        [2, 4, 6],
      );
      assert.deepEqual(t.settings('').trace_count, ['0']);
      await t.flushed();
      const file = JSON.parse(await readFile(join(dir, 't.json.0'), 'utf8')) as Array<Record<string, unknown>>;
      assert.deepEqual(
        file.filter((r) => 'model_name' in r).map((r) => r['request_id']),
        ['r2', 'r4', 'r6'],
      );
      t.update('', { level: 0 });
      assert.equal(request(t, 'm'), false);
      await t.shutdown();
    }));

  test('log_frequency 0: traces go to the main file, a complete array at shutdown', () =>
    withDir(async (dir) => {
      const t = manager(dir, { level: 1, rate: 1 });
      for (let i = 0; i < 3; i++) request(t, 'm', `r${i}`);
      await t.shutdown();
      const file = JSON.parse(await readFile(join(dir, 't.json'), 'utf8')) as Array<Record<string, unknown>>;
      assert.equal(file.filter((r) => 'model_name' in r).length, 3);
      assert.deepEqual(file[0], { id: 1, model_name: 'm', model_version: 1, request_id: 'r0' });
      assert.deepEqual(file[1], { id: 1, timestamps: [{ name: 'REQUEST_START', ns: 10 }] });
      // Large nanosecond values are written exactly (they are formatted in two halves).
      const t2 = manager(dir, { level: 1, rate: 1, file: join(dir, 'big.json') });
      const trace = t2.startTrace('m', undefined)!;
      for (const ns of [12_345_678_901_234, 2_000_000_007, 1_000_000_000, 999_999_999]) trace.capture('X', ns);
      trace.release();
      await t2.shutdown();
      const big = JSON.parse(await readFile(join(dir, 'big.json'), 'utf8')) as Array<{
        timestamps: Array<{ ns: number }>;
      }>;
      assert.deepEqual(
        big.map((r) => r.timestamps[0]!.ns),
        [12_345_678_901_234, 2_000_000_007, 1_000_000_000, 999_999_999],
      );
    }));

  test('child traces join the tree: written once every trace of it is released, with parent_id', () =>
    withDir(async (dir) => {
      const t = manager(dir, { level: 1, rate: 1, logFrequency: 1 });
      const root = t.startTrace('ens', undefined)!;
      root.begin('ens', 1, '', 1);
      const child = root.child();
      child.begin('step', 1, '', 2);
      root.release();
      await t.flushed();
      await assert.rejects(readFile(join(dir, 't.json.0')), 'not written while a child is open');
      child.release();
      await t.flushed();
      const file = JSON.parse(await readFile(join(dir, 't.json.0'), 'utf8')) as Array<Record<string, unknown>>;
      assert.deepEqual(
        file.filter((r) => 'model_name' in r),
        [
          { id: 1, model_name: 'ens', model_version: 1 },
          { id: 2, model_name: 'step', model_version: 1, parent_id: 1 },
        ],
      );
      await t.shutdown();
    }));
});

describe('TraceFile', () => {
  test('writes are bounded: past the limit traces are dropped and reported once per burst', () =>
    withDir(async (dir) => {
      const problems: string[] = [];
      const file = new TraceFile(join(dir, 'f.json'), {
        maxPendingBytes: 10,
        onProblem: (p) => problems.push(p.kind),
      });
      file.appendMain('{"id":1}'); // 8 bytes: queued
      file.appendMain('{"id":2}'); // would pass 10: dropped
      file.appendMain('{"id":3}'); // still dropping: reported once
      await file.close();
      assert.deepEqual(JSON.parse(await readFile(join(dir, 'f.json'), 'utf8')), [{ id: 1 }]);
      assert.deepEqual(problems, ['dropped']);
      assert.equal(file.droppedBytes, 16);
    }));

  test('failing writes are reported once until one succeeds; later writes still run', () =>
    withDir(async (dir) => {
      const problems: string[] = [];
      const file = new TraceFile(join(dir, 'later', 'f.json'), { onProblem: (p) => problems.push(p.kind) });
      file.writeIndexed('{"id":1}');
      file.writeIndexed('{"id":2}');
      await file.flushed();
      assert.deepEqual(problems, ['write-failed']);
      await mkdir(join(dir, 'later'));
      file.writeIndexed('{"id":3}');
      await file.flushed();
      assert.deepEqual(JSON.parse(await readFile(join(dir, 'later', 'f.json.2'), 'utf8')), [{ id: 3 }]);
    }));

  test('a trace file that cannot be written stops start-up, naming it', () =>
    withDir(async (dir) => {
      await assertTraceFileWritable(join(dir, 't.json'));
      await assert.rejects(
        assertTraceFileWritable(join(dir, 'no-such-dir', 't.json')),
        /--trace-config triton,file=.*no-such-dir\/t\.json: the trace file cannot be written \(ENOENT/,
      );
    }));
});
