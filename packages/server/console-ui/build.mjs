#!/usr/bin/env node
// Builds the web console (docs/console.md) into packages/server/dist/console/: type-checks its
// browser code (packages/server/console-ui, with the DOM library), bundles it with esbuild (Preact,
// htm and uPlot included: no CDN, works offline) into one minified ES module, and writes the page
// and one stylesheet (the console's own and uPlot's). Run by `npm run build`; the files ship in
// the `tensorgate` package.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('../../../', import.meta.url).pathname;
const ui = join(root, 'packages/server/console-ui');
const out = join(root, 'packages/server/dist/console');
const require = createRequire(join(root, 'packages/server/package.json'));

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', ui], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('build-console: the console does not type-check (above)');
  process.exit(1);
}
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(ui, 'src/main.ts')],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  outfile: join(out, 'app.js'),
  legalComments: 'eof',
  logLevel: 'warning',
});
const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
writeFileSync(join(out, 'app.css'), `${uplotCss}\n${readFileSync(join(ui, 'style.css'), 'utf8')}`);
writeFileSync(join(out, 'index.html'), readFileSync(join(ui, 'index.html')));
