/**
 * `tensorgate models`, `tensorgate health`, `tensorgate load` and `tensorgate unload`: the
 * repository index, liveness/readiness (exit status 0 when ready, 1 when not), and explicit model
 * control.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliIO } from './cli-io.js';
import { addConnectionOptions, commandAction, connect, type ConnectionOptions, type ExitSetter } from './connection.js';

/** Registers `models`, `health`, `load` and `unload` on the program. */
export function addRepositoryCommands(program: Command, io: CliIO, setExit: ExitSetter): void {
  const models = program
    .command('models')
    .description('list the models of the repository with their versions and states')
    .option('--ready-only', 'list only ready models')
    .option('--json', 'print JSON');
  addConnectionOptions(models).action(
    commandAction('models', io, setExit, async (opts: ConnectionOptions & { readyOnly?: boolean; json?: boolean }) => {
      const client = connect(opts);
      try {
        const index = await client.getModelRepositoryIndex({ readyOnly: opts.readyOnly === true });
        if (opts.json) {
          io.stdout.write(`${JSON.stringify(index, null, 2)}\n`);
          return 0;
        }
        const rows = [
          ['MODEL', 'VERSION', 'STATE', 'REASON'],
          ...index.map((e) => [e.name, e.version, e.state, e.reason]),
        ];
        const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
        const text = rows.map((r) =>
          r
            .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c))
            .join('  ')
            .trimEnd(),
        );
        io.stdout.write(`${text.join('\n')}\n`);
        return 0;
      } finally {
        await client.close();
      }
    }),
  );

  const health = program
    .command('health')
    .description('check that the server is live and ready (exit status 0 if so, 1 if not)')
    .option('-m, --model <name>', 'also require this model to be ready')
    .option('-x, --model-version <version>', 'version of --model')
    .option('--json', 'print JSON');
  addConnectionOptions(health).action(
    commandAction(
      'health',
      io,
      setExit,
      async (opts: ConnectionOptions & { model?: string; modelVersion?: string; json?: boolean }) => {
        const client = connect(opts);
        try {
          const live = await client.isServerLive();
          const ready = live && (await client.isServerReady());
          const model =
            opts.model === undefined ? undefined : live && (await client.isModelReady(opts.model, opts.modelVersion));
          const ok = live && ready && model !== false;
          if (opts.json) {
            io.stdout.write(
              `${JSON.stringify({ live, ready, ...(opts.model ? { model: { name: opts.model, ready: model } } : {}) })}\n`,
            );
          } else {
            io.stdout.write(`live: ${live}\nready: ${ready}\n`);
            if (opts.model !== undefined) io.stdout.write(`model ${opts.model}: ${model ? 'ready' : 'not ready'}\n`);
          }
          return ok ? 0 : 1;
        } finally {
          await client.close();
        }
      },
    ),
  );

  const load = program
    .command('load')
    .description('load (or reload) a model; the server must run with --model-control-mode=explicit')
    .argument('<name>', 'model name')
    .option('--config <json>', 'model configuration to use instead of config.pbtxt: JSON text or @file.json');
  addConnectionOptions(load).action(
    commandAction('load', io, setExit, async (name: string, opts: ConnectionOptions & { config?: string }) => {
      const config = opts.config === undefined ? undefined : readConfig(opts.config, io.cwd);
      const client = connect(opts);
      try {
        await client.loadModel(name, config === undefined ? {} : { config });
        io.stdout.write(`loaded ${name}\n`);
        return 0;
      } finally {
        await client.close();
      }
    }),
  );

  const unload = program
    .command('unload')
    .description('unload a model; the server must run with --model-control-mode=explicit')
    .argument('<name>', 'model name')
    .option(
      '--unload-dependents',
      'an ensemble: also unload the models loaded along with it; a composing model: unload its ensembles for good',
    );
  addConnectionOptions(unload).action(
    commandAction(
      'unload',
      io,
      setExit,
      async (name: string, opts: ConnectionOptions & { unloadDependents?: boolean }) => {
        const client = connect(opts);
        try {
          await client.unloadModel(name, { unloadDependents: opts.unloadDependents === true });
          io.stdout.write(`unloaded ${name}\n`);
          return 0;
        } finally {
          await client.close();
        }
      },
    ),
  );
}

/** `--config`: inline JSON or `@file.json`; checked to be a JSON object before sending. */
function readConfig(value: string, cwd: string): string {
  const text = value.startsWith('@') ? readFileSync(resolve(cwd, value.slice(1)), 'utf8') : value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`--config is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('--config must be a JSON object (a model configuration)');
  }
  return text;
}
