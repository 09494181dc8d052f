import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addClientCommands } from './client-commands.js';
import { captureIO } from './tools/cli-io.js';

// packages/server/{src,dist}/cli are both four levels below the repository root.
const doc = readFileSync(new URL('../../../../docs/cli.md', import.meta.url), 'utf8');

/** The text of the `## ` section whose heading contains `tensorgate NAME`, or the shared one. */
function section(heading: (h: string) => boolean): string {
  const parts = doc.split(/\n(?=## )/);
  return parts.filter((p) => heading(p.slice(0, p.indexOf('\n')))).join('\n');
}

const program = new Command('tensorgate');
addClientCommands(program, captureIO(), () => undefined, '0.0.0');
const shared = section((h) => h === '## Client commands');

test('docs/cli.md documents every option of every client command', () => {
  assert.ok(shared.includes('--protocol'), 'docs/cli.md lacks the "Client commands" section');
  for (const cmd of program.commands) {
    const own = section((h) => h.includes(`\`tensorgate ${cmd.name()}\``));
    assert.ok(own, `docs/cli.md has no section for tensorgate ${cmd.name()}`);
    for (const opt of cmd.options) {
      const flag = opt.long!;
      const text = `${own}\n${shared}`;
      assert.match(text, new RegExp(`(\`|, )${flag}(?![a-z-])`), `docs/cli.md lacks ${cmd.name()} ${flag}`);
      if (opt.short)
        assert.ok(text.includes(`${opt.short}, ${flag}`), `docs/cli.md lacks ${opt.short} for ${cmd.name()}`);
    }
  }
});

test('the client command sections document no option the commands lack', () => {
  for (const cmd of program.commands) {
    const own = section((h) => h.includes(`\`tensorgate ${cmd.name()}\``));
    const known = new Set(cmd.options.map((o) => o.long!));
    // Flags that open a bullet: "- `--flag" or "- `-x, --flag".
    for (const m of own.matchAll(/^- `(?:-\w, )?(--[a-z-]+)/gm)) {
      const other = program.commands.some(
        (c) => c !== cmd && own.includes(`tensorgate ${c.name()}`) && c.options.some((o) => o.long === m[1]),
      );
      assert.ok(known.has(m[1]!) || other, `docs/cli.md documents ${m[1]} for ${cmd.name()}, which has no such option`);
    }
  }
});
