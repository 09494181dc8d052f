import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SETTINGS } from './settings-schema.js';
import { formatDefault } from './setting-values.js';

// packages/server/{src,dist}/cli are both four levels below the repository root.
const doc = readFileSync(new URL('../../../../docs/cli.md', import.meta.url), 'utf8');
// The Options table only (the Triton flags table has rows of its own, checked by triton-flags.test.ts).
const options = doc.slice(doc.indexOf('\n## Options\n'), doc.indexOf('\n## ', doc.indexOf('\n## Options\n') + 1));
const rows = options.split('\n').filter((line) => line.startsWith('| `--'));

test('docs/cli.md has a row for every setting with its env var, aliases and default', () => {
  for (const entry of SETTINGS) {
    const row = rows.find((r) => r.startsWith(`| \`${entry.flag} `) || r.startsWith(`| \`${entry.flag}\``));
    assert.ok(row, `docs/cli.md has no table row for ${entry.flag}`);
    const cells = row.split(' | ');
    assert.ok(row.includes(`\`${entry.env}\``), `row of ${entry.flag} lacks ${entry.env}`);
    for (const alias of entry.aliases ?? [])
      assert.ok(row.includes(`\`${alias}\``), `row of ${entry.flag} lacks ${alias}`);
    const shown = formatDefault(entry);
    const emptyList = entry.type === 'list' && entry.default.length === 0;
    const optional = entry.type === 'string' && entry.optional === true;
    const expected = shown === undefined ? (optional ? 'none' : 'required') : emptyList ? 'none' : `\`${shown}\``;
    assert.equal(cells[3], expected, `default of ${entry.flag} in docs/cli.md`);
    if (entry.type === 'bool') {
      assert.ok(doc.includes(`\`--no-${entry.flag.slice(2)}\``), `docs/cli.md lacks --no-${entry.flag.slice(2)}`);
    }
  }
});

test('docs/cli.md documents no flag the schema lacks', () => {
  const known = new Set(SETTINGS.map((e) => e.flag));
  for (const row of rows) {
    const flag = /^\| `(--[a-z0-9-]+)/.exec(row)?.[1];
    assert.ok(flag && known.has(flag as `--${string}`), `docs/cli.md documents unknown flag ${flag ?? row}`);
  }
  assert.equal(rows.length, SETTINGS.length);
});
