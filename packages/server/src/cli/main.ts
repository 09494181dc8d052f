/**
 * Entry point of the `tensorgate` command (`bin/tensorgate.js` imports the compiled file):
 * importing this module runs the CLI on `process.argv`.
 */
import { readFileSync } from 'node:fs';
import { addClientCommands } from './client-commands.js';
import { buildProgram } from './program.js';
import { createServerLogger } from './create-logger.js';
import { processIO } from './tools/cli-io.js';
import { runServe } from './serve.js';
import { registerGatewayCommand } from './gateway-command.js';
import type { StartServer } from './serve.js';

/** The package version, from packages/server/package.json (two levels up from src/cli or dist/cli). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

/**
 * Loads the composition root on first use, so `--help` and `--version` never load the frontends
 * and backends, then starts the server.
 */
const createServer: StartServer = async (settings, deps) => {
  const mod = await import('../create-server.js');
  return mod.createServer(settings, deps);
};

const version = packageVersion();
const program = buildProgram({
  version,
  async serve({ settings, warnings }) {
    const { logger, output } = createServerLogger(settings);
    for (const warning of warnings) logger.warn(warning);
    await runServe(settings, { logger, logOutput: output, createServer });
  },
});
registerGatewayCommand(program);

// infer, models, health, load, unload, perf: clients of a running server.
addClientCommands(program, processIO(), (code) => (process.exitCode = code), version);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`tensorgate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
