/** Tables for the header codecs: grpc-timeout and grpc-message percent-encoding. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeGrpcMessage,
  encodeGrpcMessage,
  formatGrpcTimeout,
  parseGrpcTimeout,
  statusTrailers,
  trailersOnlyHeaders,
} from './grpc-headers.js';

describe('grpc-timeout', () => {
  const table: Array<[string, number | undefined]> = [
    ['1H', 3_600_000],
    ['2M', 120_000],
    ['3S', 3000],
    ['150m', 150],
    ['2500u', 2.5],
    ['7000000n', 7],
    ['99999999m', 99_999_999],
    ['0m', 0],
    ['123456789m', undefined], // 9 digits
    ['1.5S', undefined],
    ['-1S', undefined],
    ['10', undefined],
    ['S', undefined],
    ['10s', undefined],
    ['10 S', undefined],
    ['', undefined],
  ];
  for (const [value, ms] of table) {
    test(`'${value}' → ${ms}`, () => assert.equal(parseGrpcTimeout(value), ms));
  }

  test('format → parse round-trips (rounded up to the unit)', () => {
    for (const ms of [0.000001, 0.5, 1, 150, 1000, 86_400_000, 10 ** 9]) {
      const text = formatGrpcTimeout(ms);
      assert.match(text, /^\d{1,8}[HMSmun]$/, text);
      const back = parseGrpcTimeout(text)!;
      assert.ok(back >= ms && back <= ms * 1.001 + 1e-6, `${ms} → ${text} → ${back}`);
    }
  });
});

describe('grpc-message percent-encoding', () => {
  const table: Array<[string, string]> = [
    ['', ''],
    ['plain text: [ok] (1/2) #x = y & z?', 'plain text: [ok] (1/2) #x = y & z?'],
    ['100%', '100%25'],
    ['tab\there', 'tab%09here'],
    ['line\nbreak\r', 'line%0Abreak%0D'],
    ['é', '%C3%A9'],
    ['✓ done', '%E2%9C%93 done'],
    ['😀', '%F0%9F%98%80'],
    ['\u007f', '%7F'],
  ];
  for (const [text, wire] of table) {
    test(`${JSON.stringify(text)} ⇄ ${JSON.stringify(wire)}`, () => {
      assert.equal(encodeGrpcMessage(text), wire);
      assert.equal(decodeGrpcMessage(wire), text);
    });
  }

  test('encoded messages are printable ASCII and round-trip', () => {
    const samples = ["model 'ñ' not found: 50% of ✓", 'a\u0000b', '%%%', 'x'.repeat(300) + '\n'];
    for (const text of samples) {
      const wire = encodeGrpcMessage(text);
      assert.match(wire, /^[\x20-\x7e]*$/);
      assert.equal(decodeGrpcMessage(wire), text);
    }
  });

  test('a bad escape is kept as it is', () => {
    assert.equal(decodeGrpcMessage('50%zz and %4'), '50%zz and %4');
  });

  test('status headers carry the code as a string and the encoded message', () => {
    assert.deepEqual(statusTrailers(5, 'not 100%'), { 'grpc-status': '5', 'grpc-message': 'not 100%25' });
    const only = trailersOnlyHeaders(12, 'no ✓');
    assert.equal(only[':status'], 200);
    assert.equal(only['content-type'], 'application/grpc+proto');
    assert.equal(only['grpc-status'], '12');
    assert.equal(only['grpc-message'], 'no %E2%9C%93');
  });
});
