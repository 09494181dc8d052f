import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { ValueReader, ValueWriter, type WireValue, type WireValues } from './wire-values.js';

/** Posts a stream through a real MessagePort, its buffer in the transfer list, as the threads do. */
async function roundTrip(values: WireValues): Promise<WireValues> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<WireValues>((resolve) => port2.once('message', resolve));
  port1.postMessage(values, [values.values]);
  const out = await received;
  port1.close();
  return out;
}

function readAll(values: WireValues): WireValue[] {
  const r = new ValueReader(values);
  const out: WireValue[] = [];
  while (!r.done) out.push(r.value());
  return out;
}

const TABLE: readonly [string, WireValue][] = [
  ['zero', 0],
  ['negative zero', -0],
  ['integer', 41],
  ['largest safe integer', Number.MAX_SAFE_INTEGER],
  ['negative fraction', -2.75],
  ['NaN', Number.NaN],
  ['infinity', Number.NEGATIVE_INFINITY],
  ['empty string', ''],
  ['ascii string', 'INPUT0'],
  ['non-ascii string', 'héllo ✓ 😀'],
  ['long string (not deduplicated)', 'x'.repeat(200)],
  ['true', true],
  ['false', false],
  ['null', null],
  ['object', { k: 'v', n: 2.5, nested: { b: [1, 2] } }],
];

describe('wire value streams', () => {
  for (const [name, value] of TABLE) {
    test(`round trip: ${name}`, async () => {
      const w = new ValueWriter();
      w.value(value);
      w.value(value);
      const back = readAll(await roundTrip(w.take()));
      assert.deepEqual(back, [value, value]);
      if (Object.is(value, -0)) assert.ok(Object.is(back[0], -0), '-0 keeps its sign');
    });
  }

  test('a stream grows past its first capacity and keeps every value in order', async () => {
    const w = new ValueWriter();
    const written: WireValue[] = [];
    for (let i = 0; i < 1000; i++) {
      const v: WireValue = i % 4 === 0 ? `s${(i / 4) % 12}` : i % 4 === 1 ? i * 1.5 : i % 4 === 2 ? i % 3 === 0 : null;
      written.push(v);
      w.value(v);
    }
    assert.equal(w.count, 1000);
    const values = w.take();
    assert.equal(w.count, 0, 'take() leaves the writer empty');
    assert.equal(values.strings.length, 12, 'each distinct short string is in the table once');
    assert.deepEqual(readAll(await roundTrip(values)), written);
  });

  test('each taken stream is independent: string tables and objects do not leak into the next', () => {
    const w = new ValueWriter();
    w.value('a');
    w.value({ x: 1 });
    const first = w.take();
    w.value('b');
    w.number(3);
    const second = w.take();
    assert.deepEqual(readAll(first), ['a', { x: 1 }]);
    assert.deepEqual(readAll(second), ['b', 3]);
    assert.deepEqual(second.strings, ['b']);
    assert.deepEqual(second.objects, []);
  });

  test('an empty stream reads as done', () => {
    const values = new ValueWriter().take();
    assert.equal(values.count, 0);
    assert.ok(new ValueReader(values).done);
  });

  test('typed reads check the kind of each value, and reading past the end throws', () => {
    const w = new ValueWriter();
    w.value('name');
    w.number(1);
    w.value(null);
    const r = new ValueReader(w.take());
    assert.throws(() => r.number(), /value 0 is a string, not a number/);
    assert.throws(() => r.string(), /value 1 is a number, not a string/);
    assert.throws(() => r.boolean(), /value 2 is a null, not a boolean/);
    assert.ok(r.done);
    assert.throws(() => r.value(), /read past its 3 values/);
  });

  test('a stream claiming more values than its buffer holds is refused', () => {
    const w = new ValueWriter();
    w.number(1);
    const values = w.take();
    assert.throws(() => new ValueReader({ ...values, count: 10_000 }), /10000 values in a stream of 64/);
  });
});
