import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesTable } from './series-table.js';

function table(): { table: SeriesTable<{ model: string; version: string; n: number }>; created: string[] } {
  const created: string[] = [];
  return {
    created,
    table: new SeriesTable((model, version) => {
      created.push(`${model}/${version}`);
      return { model, version, n: 0 };
    }),
  };
}

test('ensure creates a record once per model and version and returns it after', () => {
  const { table: t, created } = table();
  t.ensure('m', '1').n += 1;
  t.ensure('m', '2').n += 1;
  t.ensure('m', '1').n += 1;
  t.ensure('x', '1').n += 1;
  t.ensure('m', '1').n += 1;
  assert.deepEqual(created, ['m/1', 'm/2', 'x/1']);
  assert.deepEqual(
    [...t].map((r) => [r.model, r.version, r.n]),
    [
      ['m', '1', 3],
      ['m', '2', 1],
      ['x', '1', 1],
    ],
  );
});

test('model and version are separate keys (no joined-string collisions)', () => {
  const { table: t } = table();
  const a = t.ensure('a\0b', 'c');
  const b = t.ensure('a', 'b\0c');
  assert.notEqual(a, b);
  assert.equal(t.ensure('a\0b', 'c'), a);
});

test('delete removes the record, also from the last-used cache; a later ensure appends a fresh one', () => {
  const { table: t, created } = table();
  const first = t.ensure('m', '1');
  t.ensure('m', '2');
  first.n = 5;
  assert.equal(t.delete('m', '1'), first);
  assert.equal(t.delete('m', '1'), undefined);
  assert.equal(t.delete('nope', '1'), undefined);
  const again = t.ensure('m', '1');
  assert.notEqual(again, first);
  assert.equal(again.n, 0);
  assert.deepEqual(created, ['m/1', 'm/2', 'm/1']);
  assert.deepEqual(
    [...t].map((r) => r.version),
    ['2', '1'],
  );
});
