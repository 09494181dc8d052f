import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateSyntaxError, MAX_SOURCE_CHARS, syntaxLocationOf } from './syntax-location.js';

describe('syntaxLocationOf', () => {
  test('1-based line and column of the first error, with the trimmed line', () => {
    assert.deepEqual(syntaxLocationOf('const a = 1;\n  const b = ;\n'), { line: 2, column: 13, source: 'const b = ;' });
  });

  test('valid modules (import/export, top-level await, hashbang) have no location', () => {
    assert.equal(
      syntaxLocationOf('#!/usr/bin/env node\nimport x from "y";\nawait x;\nexport default class {}\n'),
      undefined,
    );
  });

  test('long lines are cut', () => {
    const at = syntaxLocationOf(`const s = "${'x'.repeat(300)}" +;`)!;
    assert.equal(at.line, 1);
    assert.equal(at.source.length, MAX_SOURCE_CHARS + 1);
    assert.ok(at.source.endsWith('…'));
  });

  test('locateSyntaxError reads the file; unreadable files give undefined', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-syntax-'));
    try {
      const file = join(dir, 'model.js');
      writeFileSync(file, 'export default class {\n  execute( {\n}');
      assert.deepEqual(await locateSyntaxError(file), { line: 3, column: 2, source: '}' });
      assert.equal(await locateSyntaxError(join(dir, 'missing.js')), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
