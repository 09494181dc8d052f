/**
 * Where the deployment artefacts are, and small accessors the deploy tests share.
 */
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSettings, type ServerSettings } from 'tensorgate';
import type { KubeObject, RenderedObject } from './kustomize-render.js';

/** The repository root (this file runs from packages/server/dist-test/deploy/). */
export const REPO_ROOT_URL = new URL('../../../../', import.meta.url);
/** The repository root as a path. */
export const REPO_ROOT = fileURLToPath(REPO_ROOT_URL);
/** deploy/ */
export const DEPLOY = join(REPO_ROOT, 'deploy');

/** Every file under a directory, recursively, as paths relative to the repository root. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(REPO_ROOT, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** Directories under deploy/ that hold a kustomization.yaml. */
export function kustomizationDirs(): string[] {
  return filesUnder(DEPLOY)
    .filter((f) => f.endsWith('/kustomization.yaml'))
    .map((f) => join(REPO_ROOT, f.slice(0, -'/kustomization.yaml'.length)));
}

/** The one rendered object of a kind (and name, when given); throws when absent or ambiguous. */
export function findObject(objects: RenderedObject[] | KubeObject[], kind: string, name?: string): KubeObject {
  const list = objects
    .map((o) => ('object' in o && 'source' in o ? (o as RenderedObject).object : (o as KubeObject)))
    .filter((o) => o.kind === kind && (name === undefined || meta(o).name === name));
  if (list.length !== 1)
    throw new Error(`expected one ${kind}${name === undefined ? '' : ` '${name}'`}, found ${list.length}`);
  return list[0]!;
}

/** An object's metadata. */
export function meta(o: KubeObject): {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
} {
  return (o.metadata ?? {}) as { name?: string; labels?: Record<string, string> };
}

/** Reads a nested field by path, e.g. `get(o, 'spec', 'template', 'spec')`. */
export function get(value: unknown, ...path: Array<string | number>): any {
  let v: any = value;
  for (const p of path) v = v === null || v === undefined ? undefined : v[p];
  return v;
}

/**
 * Parses a container's args as the image's entrypoint does: the first must be the `serve`
 * subcommand, the rest are `tensorgate serve` flags, read by the server's own settings parser
 * (so an unknown or malformed flag fails here as it would in the pod).
 */
export function serveSettings(args: unknown): ServerSettings {
  if (!Array.isArray(args) || args[0] !== 'serve')
    throw new Error(`args must start with 'serve': ${JSON.stringify(args)}`);
  return parseSettings(args.slice(1) as string[], {});
}

/** The seconds a `preStop: exec: sleep N` hook waits (0 without one). */
export function preStopSeconds(container: unknown): number {
  const cmd = get(container, 'lifecycle', 'preStop', 'exec', 'command') as unknown;
  if (cmd === undefined) return 0;
  if (!Array.isArray(cmd) || cmd[0] !== 'sleep' || cmd.length !== 2)
    throw new Error(`unexpected preStop ${JSON.stringify(cmd)}`);
  return Number(cmd[1]);
}
