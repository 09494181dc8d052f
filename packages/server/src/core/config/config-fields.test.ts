import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Type } from 'protobufjs';
import { CONFIG_FIELDS } from './config-fields.js';
import { modelConfigType } from './pbtxt-to-object.js';
import { asMessage } from './proto-scalars.js';

/** Every field path of ModelConfig, with whether a refused or backend ancestor covers it. */
function protoPaths(type: Type, prefix: string, covered: boolean, out: Map<string, boolean>): Map<string, boolean> {
  for (const field of type.fieldsArray) {
    field.resolve();
    const path = prefix ? `${prefix}.${field.name}` : field.name;
    out.set(path, covered);
    const status = CONFIG_FIELDS[path]?.status;
    const message = asMessage(field);
    if (message) protoPaths(message, path, covered || status === 'refused' || status === 'backend', out);
  }
  return out;
}

const paths = protoPaths(modelConfigType(), '', false, new Map());

test('every ModelConfig field not under a refused or backend field has a rule', () => {
  const missing = [...paths].filter(([p, covered]) => !covered && CONFIG_FIELDS[p] === undefined).map(([p]) => p);
  assert.deepEqual(missing, [], 'classify these fields in config-fields.ts and docs/model-config.md');
});

test('every rule names a ModelConfig field', () => {
  for (const path of Object.keys(CONFIG_FIELDS)) assert.ok(paths.has(path), `no field ${path} in ModelConfig`);
});

// packages/server/{src,dist}/core/config are five levels below the repository root.
const doc = readFileSync(new URL('../../../../../docs/model-config.md', import.meta.url), 'utf8');
const rows = new Map(
  doc
    .split('\n')
    .map((line) => /^\| `([a-z0-9_.]+)` \| ([a-z-]+) \|/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]),
);

test('docs/model-config.md has a row for every rule, with its status', () => {
  for (const [path, rule] of Object.entries(CONFIG_FIELDS)) {
    assert.equal(rows.get(path), rule.status, `docs/model-config.md row of ${path}`);
  }
  assert.equal(rows.size, Object.keys(CONFIG_FIELDS).length, 'docs/model-config.md has rows for unknown fields');
});
