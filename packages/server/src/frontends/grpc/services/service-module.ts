/**
 * Loading a service folder's `service.js` in a service worker and checking its exports against
 * the rpcs of its proto: one function per rpc, named as the rpc (or its lowerCamel form), and no
 * other export. Every problem is a {@link ServiceLoadError} naming `file:line`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { syntaxLocationOf } from '../../../backends/js/syntax-location.js';
import { lineOf, ServiceLoadError, type RpcInfo, type ServiceFolder } from './service-protos.js';

/** A handler as a module exports it; its shape depends on the rpc kind (docs/grpc-services.md). */
export type ServiceHandler = (first: unknown, ctx: unknown) => unknown;

/**
 * Where an import failed: a SyntaxError thrown by the ESM loader carries no position, so the
 * source is parsed again (syntax-location.ts, the JS backend's) for the line; any other error's stack names
 * the module's own frame.
 */
function importError(file: string, err: unknown): ServiceLoadError {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'SyntaxError') {
    const at = syntaxLocationOf(readFileSync(file, 'utf8'));
    if (at !== undefined) return new ServiceLoadError(`${file}:${at.line}:${at.column}: SyntaxError: ${e.message}`);
  }
  const url = pathToFileURL(file).href;
  const frame = (e.stack ?? '').split('\n').find((l) => l.includes(url) || l.includes(file));
  const at = frame !== undefined ? /:(\d+):(\d+)\)?\s*$/.exec(frame) : null;
  const where = at !== null ? `${file}:${at[1]}:${at[2]}` : file;
  return new ServiceLoadError(`${where}: ${e.name}: ${e.message}`);
}

function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * Imports `folder`'s module and returns its handler for each rpc path. Throws
 * {@link ServiceLoadError}.
 */
export async function loadServiceModule(
  folder: ServiceFolder,
  rpcs: readonly RpcInfo[],
): Promise<Map<string, ServiceHandler>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(folder.moduleFile).href)) as Record<string, unknown>;
  } catch (err) {
    throw importError(folder.moduleFile, err);
  }
  const text = readFileSync(folder.moduleFile, 'utf8');
  const exportLine = (name: string): string => `${folder.moduleFile}:${lineOf(text, new RegExp(`\\b${name}\\b`)) ?? 1}`;
  const handlers = new Map<string, ServiceHandler>();
  const used = new Set<string>();
  for (const rpc of rpcs) {
    const key = Object.hasOwn(mod, rpc.method) ? rpc.method : lowerCamel(rpc.method);
    const handler = Object.hasOwn(mod, key) ? mod[key] : undefined;
    if (handler === undefined) {
      throw new ServiceLoadError(
        `${folder.moduleFile}:1: no export '${rpc.method}' for rpc ${rpc.service}.${rpc.method} (${rpc.where})`,
      );
    }
    if (typeof handler !== 'function') {
      throw new ServiceLoadError(
        `${exportLine(key)}: export '${key}' is a ${typeof handler}, not a handler function for rpc ${rpc.method} (${rpc.where})`,
      );
    }
    used.add(key);
    handlers.set(rpc.path, handler as ServiceHandler);
  }
  for (const name of Object.keys(mod)) {
    if (used.has(name)) continue;
    throw new ServiceLoadError(
      `${exportLine(name)}: export '${name}' matches no rpc of ${folder.protoFile} ` +
        `(rpcs: ${rpcs.map((r) => r.method).join(', ')}); a service module exports only handlers`,
    );
  }
  return handlers;
}
