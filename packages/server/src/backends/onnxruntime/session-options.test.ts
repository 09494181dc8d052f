import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ortConfig } from './ort.test-helper.js';
import { sessionSettings, totalInstanceCount } from './session-options.js';

const config = (parameters: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  ...ortConfig({ name: 'm', inputs: [], outputs: [], parameters, instanceGroups: [{ kind: 'KIND_CPU', count: 2 }] }),
  ...extra,
});

describe('sessionSettings', () => {
  test('defaults share the cores but one between instances: 2 instances on 2 cores → 1 intra-op thread each', () => {
    assert.deepEqual(sessionSettings(config(), 2), {
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    assert.equal(sessionSettings(config(), 8).intraOpNumThreads, 3, '7 cores for 2 instances');
    assert.equal(sessionSettings(config(), 16).intraOpNumThreads, 7);
    assert.equal(sessionSettings(config(), 1).intraOpNumThreads, 1, 'never below 1');
  });

  test("Triton's parameter names map to ORT options", () => {
    const s = sessionSettings(
      config({
        intra_op_thread_count: '3',
        inter_op_thread_count: '2',
        execution_mode: '1',
        enable_mem_arena: '0',
        enable_mem_pattern: 'true',
        'session.use_device_allocator_for_initializers': '1',
      }),
      2,
    );
    assert.deepEqual(s, {
      executionMode: 'parallel',
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 3,
      interOpNumThreads: 2,
      enableCpuMemArena: false,
      enableMemPattern: true,
      extra: { 'session.use_device_allocator_for_initializers': '1' },
    });
  });

  test('0 threads leaves the choice to ONNX Runtime, as in Triton', () => {
    const s = sessionSettings(config({ intra_op_thread_count: '0', inter_op_thread_count: '0' }), 2);
    assert.equal(s.intraOpNumThreads, undefined);
    assert.equal(s.interOpNumThreads, undefined);
  });

  test('optimization.graph.level: -1 basic, 1 extended, 2 disabled, else all', () => {
    const level = (l: unknown) =>
      sessionSettings(config({}, { optimization: { graph: { level: l } } }), 2).graphOptimizationLevel;
    assert.equal(level(-1), 'basic');
    assert.equal(level(1), 'extended');
    assert.equal(level(2), 'disabled');
    assert.equal(level(0), 'all');
    assert.throws(() => level('x'), /optimization\.graph\.level must be an integer/);
  });

  test('bad values are named', () => {
    assert.throws(
      () => sessionSettings(config({ execution_mode: '2' }), 2),
      /'execution_mode' must be 0 or 1, got '2'/,
    );
    assert.throws(
      () => sessionSettings(config({ inter_op_thread_count: '-1' }), 2),
      /'inter_op_thread_count' must be a non-negative integer/,
    );
    assert.throws(
      () => sessionSettings(config({ enable_mem_arena: 'maybe' }), 2),
      /'enable_mem_arena' must be a boolean/,
    );
  });

  test('GPU groups count one set of instances per listed GPU', () => {
    const c = ortConfig({
      name: 'g',
      inputs: [],
      outputs: [],
      instanceGroups: [
        { kind: 'KIND_GPU', count: 2, gpus: [0, 1] },
        { kind: 'KIND_CPU', count: 1 },
      ],
    });
    assert.equal(totalInstanceCount(c), 5);
  });
});
