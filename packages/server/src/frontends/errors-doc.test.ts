// Keeps docs/errors.md true: every error code has a row whose HTTP and gRPC statuses are the ones
// the two frontends' mappings produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES } from '../core/errors.js';
import { httpStatusFor } from './http/http-status.js';
import { grpcStatusOf } from './grpc/grpc-status.js';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
const grpcName = new Map(Object.entries(status).map(([name, value]) => [value as number, name]));

test('docs/errors.md has a row per error code matching the HTTP and gRPC mappings', () => {
  for (const code of ERROR_CODES) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    assert.ok(row, `docs/errors.md has no row for ${code}`);
    const cells = row.split('|').map((c) => c.trim());
    assert.equal(Number(cells[2]), httpStatusFor(code), `HTTP status of ${code}`);
    assert.equal(cells[3], `\`${grpcName.get(grpcStatusOf(code))}\``, `gRPC status of ${code}`);
  }
});
