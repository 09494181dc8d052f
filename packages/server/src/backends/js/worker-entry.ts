/**
 * Where the worker entry lives and how to start it. Compiled code runs `dist/.../worker-main.js`;
 * when the server itself runs from TypeScript sources under tsx (tests, `tsx watch`), the worker
 * must load `worker-main.ts` through tsx.
 */

import { Worker, type WorkerOptions } from 'node:worker_threads';

const here = import.meta.url;
const fromSource = here.endsWith('.ts');

/** URL of the worker entry next to this module (`.ts` when running from source). */
export const WORKER_MAIN_URL: URL = new URL(fromSource ? './worker-main.ts' : './worker-main.js', here);

/**
 * Node 20.10–20.18 and 21.x–22.6 need a flag to run a `.js` model file that uses ESM syntax
 * outside any `"type": "module"` package; later versions detect it by default.
 */
function needsDetectModuleFlag(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major === 20) return minor >= 10 && minor < 19;
  if (major === 21) return true;
  if (major === 22) return minor < 7;
  return false;
}

/**
 * `execArgv` for instance workers, or undefined to inherit the process's own (Node's default).
 * Only extends it when something is missing, because some process flags are refused in workers.
 */
function workerExecArgv(): string[] | undefined {
  if (!needsDetectModuleFlag() || process.execArgv.includes('--experimental-detect-module')) return undefined;
  return [...process.execArgv, '--experimental-detect-module'];
}

/**
 * Starts an instance worker on {@link WORKER_MAIN_URL}. From source, the entry is a `.ts` file:
 * an `--import tsx` in the worker's execArgv does not reach a worker's own entry module on Node
 * 20, so a two-line bootstrap loads it through tsx's `tsImport` API instead.
 *
 * @param entry - another worker entry module (e.g. the onnxruntime backend's metadata reader),
 *   `.ts` when running from source, `.js` when compiled
 */
export function startWorker(options: WorkerOptions, entry: URL = WORKER_MAIN_URL): Worker {
  const execArgv = workerExecArgv();
  const opts: WorkerOptions = execArgv ? { ...options, execArgv } : options;
  if (!fromSource) return new Worker(entry, opts);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then((tsx) => ` +
    `tsx.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(here)}));`;
  return new Worker(bootstrap, { ...opts, eval: true });
}
