import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCorridKind, controlSpecs, controlTensors } from './control-tensors.js';

const spec = (kind: string, extra: Record<string, unknown>) => ({ name: kind, control: [{ kind, ...extra }] });

describe('control tensors', () => {
  test('START/END/READY take the false/true pair in their datatype; shape [1] or [1, 1]', () => {
    const specs = controlSpecs([
      spec('CONTROL_SEQUENCE_START', { int32_false_true: [-5, 9] }),
      spec('CONTROL_SEQUENCE_END', { fp32_false_true: [0.5, 1.5] }),
      spec('CONTROL_SEQUENCE_READY', { bool_false_true: [false, true] }),
    ]);
    const on = controlTensors(specs, { start: true, end: true, ready: true, corrid: 1 }, true);
    assert.deepEqual(
      on.map((t) => [t.name, t.datatype, t.shape]),
      [
        ['CONTROL_SEQUENCE_START', 'INT32', [1, 1]],
        ['CONTROL_SEQUENCE_END', 'FP32', [1, 1]],
        ['CONTROL_SEQUENCE_READY', 'BOOL', [1, 1]],
      ],
    );
    assert.equal(new Int32Array(on[0]!.data.slice().buffer)[0], 9);
    assert.equal(new Float32Array(on[1]!.data.slice().buffer)[0], 1.5);
    assert.deepEqual([...on[2]!.data], [1]);
    const off = controlTensors(specs, { start: false, end: false, ready: false, corrid: 0 }, false);
    assert.deepEqual(off[0]!.shape, [1]);
    assert.equal(new Int32Array(off[0]!.data.slice().buffer)[0], -5);
    assert.equal(new Float32Array(off[1]!.data.slice().buffer)[0], 0.5);
    assert.deepEqual([...off[2]!.data], [0]);
  });

  test('CORRID in each datatype; every call allocates fresh buffers', () => {
    const corrid = (dataType: string, id: number | string) =>
      controlTensors(
        controlSpecs([spec('CONTROL_SEQUENCE_CORRID', { data_type: dataType })]),
        {
          start: false,
          end: false,
          ready: true,
          corrid: id,
        },
        false,
      )[0]!;
    const u64 = corrid('TYPE_UINT64', 2 ** 40 + 3);
    assert.equal(u64.datatype, 'UINT64');
    assert.equal(new BigUint64Array(u64.data.slice().buffer)[0], 2n ** 40n + 3n);
    assert.equal(new BigInt64Array(corrid('TYPE_INT64', 7).data.slice().buffer)[0], 7n);
    assert.equal(new Uint32Array(corrid('TYPE_UINT32', 7).data.slice().buffer)[0], 7);
    assert.equal(new Int32Array(corrid('TYPE_INT32', 7).data.slice().buffer)[0], 7);
    const s = corrid('TYPE_STRING', 'séq');
    assert.equal(s.datatype, 'BYTES');
    assert.deepEqual([...s.data], [4, 0, 0, 0, ...Buffer.from('séq')]);
    assert.notEqual(corrid('TYPE_INT32', 1).data.buffer, corrid('TYPE_INT32', 1).data.buffer);
  });

  test('a model without controls gets none; CORRID kinds are checked only when declared', () => {
    const none = controlSpecs([]);
    assert.deepEqual(controlTensors(none, { start: true, end: true, ready: true, corrid: 1 }, true), []);
    checkCorridKind(none, 'any', 'm');
    const str = controlSpecs([spec('CONTROL_SEQUENCE_CORRID', { data_type: 'TYPE_STRING' })]);
    checkCorridKind(str, 'abc', 'm');
    assert.throws(
      () => checkCorridKind(str, 5, 'm'),
      /sequence batching control 'CONTROL_SEQUENCE_CORRID' data-type is 'UINT64', but model 'm' expects 'BYTES'/,
    );
  });
});
