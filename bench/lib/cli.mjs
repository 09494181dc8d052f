// Command-line handling shared by the benchmark scripts: node:util parseArgs with typed defaults,
// a generated --help, and the command line echoed first so every printed table carries the command
// that produced it.
import { parseArgs } from 'node:util';
import { basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/..), where the scripts spawn the server from. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Parses argv against `spec`: { name: { default, help, type?: 'number' | 'string' | 'list' | 'boolean' } }.
 * Numbers and comma-separated number lists are converted; an unknown flag or a bad number exits with 2.
 */
export function parseCli(script, summary, spec) {
  const options = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec)) options[name] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }));
  } catch (e) {
    console.error(`${e.message}\n`);
    printHelp(script, summary, spec);
    process.exit(2);
  }
  if (values.help) {
    printHelp(script, summary, spec);
    process.exit(0);
  }
  const out = {};
  for (const [name, o] of Object.entries(spec)) {
    const raw = values[name] ?? o.default;
    if (raw === undefined) out[name] = o.type === 'boolean' ? false : undefined;
    else if (o.type === 'boolean') out[name] = Boolean(raw);
    else if (o.type === 'list') out[name] = String(raw).split(',').map(toNumber(name));
    else if (o.type === 'string') out[name] = String(raw);
    else out[name] = toNumber(name)(String(raw));
  }
  return out;
}

function toNumber(name) {
  return (s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) {
      console.error(`--${name}: not a number: ${s}`);
      process.exit(2);
    }
    return n;
  };
}

function printHelp(script, summary, spec) {
  console.log(`Usage: node bench/${basename(script)} [options]\n\n${summary}\n\nOptions:`);
  for (const [name, o] of Object.entries(spec)) {
    const def = o.default === undefined ? '' : ` (default: ${o.default})`;
    console.log(`  --${name}${o.type === 'boolean' ? '' : ' <value>'}\n      ${o.help}${def}`);
  }
  console.log('  -h, --help\n      Show this help.');
}

/** Prints the command line (relative to the repository root) before any result. */
export function printCommand() {
  const script = relative(ROOT, process.argv[1] ?? '');
  console.log(`$ node ${[script, ...process.argv.slice(2)].join(' ')}`);
}

/** Runs a script's main function; any error prints and exits 1 (after the finally blocks ran). */
export function main(fn) {
  fn().then(
    () => process.exit(process.exitCode ?? 0),
    (e) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(1);
    },
  );
}
