// Model repositories and the server process for bench/llm-throughput.mjs.
//
// - tiny: a copy of examples/model_repository/llm (the 266 KB example GGUF, hard-linked);
// - medium: the same config with a bigger llama model written at run time with @tensorgate/gguf-gen
//   (tinyLlamaGguf with more layers and wider matrices; random weights, F16), so per-token compute
//   dominates as with real models.
//
// Both copies drop the optional `chat_messages` input from the config: `tensorgate perf` sends every
// input the model declares (a JSON data entry must name each one), and the llm backend refuses a
// request with both text_input and chat_messages. The bench itself uses text_input only.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './cli.mjs';
import { makeRepository, withParameters } from './model-repo.mjs';

/** The example LLM folder. */
export const LLM_EXAMPLE_DIR = join(ROOT, 'examples/model_repository/llm');

/** Removes the `chat_messages` entry from the config's input list (see the file comment). */
function withoutChatMessages(text) {
  const out = text.replace(/,\s*\{\s*name:\s*"chat_messages"[^}]*\}/, '');
  if (out === text) throw new Error('config.pbtxt: could not find the chat_messages input to remove');
  return out;
}

/** The llm backend's parameters as the config sets them (a later entry wins, as in the server). */
export function readLlmParameters(text) {
  const out = {};
  const re = /key:\s*"([^"]+)"\s*value\s*:?\s*\{\s*string_value:\s*"([^"]*)"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]] = m[2];
  return out;
}

/**
 * Builds a repository with one model `llm` of `kind` ('tiny' | 'medium'), served with
 * `sequences` parallel sequences. medium = gguf-gen TinyLlamaOptions overrides.
 * Returns { path, modelFile, modelBytes, settings: { threads, contextSize, batchSize, sequences }, remove() }.
 */
export async function makeLlmRepository(kind, sequences, medium) {
  const edit = (text) => withParameters(withoutChatMessages(text), { max_parallel_sequences: sequences });
  const repo = makeRepository(LLM_EXAMPLE_DIR, [{ name: 'llm', edit }]);
  const modelFile = join(repo.path, 'llm', '1', 'model.gguf');
  if (kind === 'medium') {
    const { tinyLlamaGguf } = await import('@tensorgate/gguf-gen');
    // The copy is a hard link to the example: unlink it before writing the new model.
    rmSync(modelFile);
    writeFileSync(modelFile, tinyLlamaGguf(medium));
  }
  const params = readLlmParameters(readFileSync(join(repo.path, 'llm', 'config.pbtxt'), 'utf8'));
  const int = (k) => (params[k] === undefined ? undefined : Number(params[k]));
  return {
    ...repo,
    modelFile,
    modelBytes: readFileSync(modelFile).length,
    settings: {
      modelFile,
      threads: int('threads'),
      contextSize: int('context_size'),
      batchSize: int('batch_size'),
      sequences: int('max_parallel_sequences'),
    },
  };
}

/**
 * Starts `tensorgate serve` on the repository (ports 0, metrics on) and resolves with
 * { httpPort, grpcPort, pid, stop() } once it logs "tensorgate started". Warnings go to stderr.
 */
export function startLlmServer(repository) {
  const argv = [
    'packages/server/bin/tensorgate.js',
    'serve',
    '--model-repository',
    repository,
    '--host',
    '127.0.0.1',
    '--http-port',
    '0',
    '--grpc-port',
    '0',
    '--metrics-port',
    '0',
    '--exit-timeout-secs',
    '5',
  ];
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };
  return new Promise((resolve, reject) => {
    let started = false;
    // Keep reading for the child's whole life so its stdout pipe never fills up.
    createInterface({ input: child.stdout }).on('line', (line) => {
      let rec;
      try {
        rec = JSON.parse(line);
      } catch {
        process.stderr.write(`[tensorgate] ${line}\n`);
        return;
      }
      if (rec.level >= 40) process.stderr.write(`[tensorgate] ${line}\n`);
      if (rec.msg === 'tensorgate started' && !started) {
        started = true;
        resolve({ httpPort: rec.ports.http, grpcPort: rec.ports.grpc, pid: child.pid, stop });
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!started) reject(new Error(`tensorgate exited with ${code ?? signal} before it was ready`));
    });
  });
}
