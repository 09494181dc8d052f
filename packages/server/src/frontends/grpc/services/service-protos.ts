/**
 * Custom gRPC services (`--grpc-services DIR`, docs/grpc-services.md): finding the service
 * folders and loading their `service.proto`. Used by both threads: the main thread builds the
 * method table, the transports' definitions and reflection from it; each service worker loads the
 * same files again for the message types its handlers' messages are decoded and encoded with.
 *
 * A folder `DIR/<name>/` is one service module: `service.proto` (any package, services, messages;
 * imports resolve inside the folder, then protobufjs' bundled google/protobuf types) and
 * `service.js` (one exported handler per rpc). Every error names the file and, where the parser
 * knows it, the line (`file:line: message`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import protobuf from 'protobufjs';

// As @tensorgate/protocol: 64-bit integers decode to numbers (this also runs in the workers).
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

/** The proto file of a service folder. */
export const SERVICE_PROTO = 'service.proto';
/** The handler module of a service folder. */
export const SERVICE_MODULE = 'service.js';

/** Services tensorgate serves itself: a custom proto may not define them again. */
export const RESERVED_SERVICES: readonly string[] = [
  'inference.GRPCInferenceService',
  'llm.LLMService',
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

/** A service folder that failed to load: the message starts with `file[:line]`. */
export class ServiceLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceLoadError';
  }
}

/** One service folder. */
export interface ServiceFolder {
  /** The folder's name (`DIR/<name>`), used in logs and metrics. */
  readonly name: string;
  readonly dir: string;
  readonly protoFile: string;
  readonly moduleFile: string;
}

/** The shape of one rpc. */
export type RpcKind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

/** One rpc of a custom service, as both threads see it. */
export interface RpcInfo {
  /** `/package.Service/Method`. */
  readonly path: string;
  /** `package.Service`. */
  readonly service: string;
  readonly method: string;
  readonly kind: RpcKind;
  /** Fully qualified message type names (without the leading dot). */
  readonly requestType: string;
  readonly responseType: string;
  /** The folder the rpc comes from. */
  readonly folder: ServiceFolder;
  /** `service.proto:line` of the rpc's declaration, for messages about it. */
  readonly where: string;
}

/**
 * Lists the service folders of `dir`: every subfolder holding `service.proto`. A subfolder with
 * one of the two files but not the other, or a `dir` that is not a folder, is an error.
 *
 * @example
 * ```ts
 * const folders = listServiceFolders('examples/grpc_services'); // [{ name: 'predictor', ... }]
 * ```
 */
export function listServiceFolders(dir: string): ServiceFolder[] {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new ServiceLoadError(`${root}: --grpc-services must name a folder of service folders`);
  }
  const folders: ServiceFolder[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const folder = join(root, entry.name);
    const protoFile = join(folder, SERVICE_PROTO);
    const moduleFile = join(folder, SERVICE_MODULE);
    const hasProto = existsSync(protoFile);
    const hasModule = existsSync(moduleFile);
    if (!hasProto && !hasModule) {
      throw new ServiceLoadError(`${folder}: a service folder needs ${SERVICE_PROTO} and ${SERVICE_MODULE}`);
    }
    if (!hasProto) throw new ServiceLoadError(`${protoFile}: missing (${moduleFile} has no proto to serve)`);
    if (!hasModule) throw new ServiceLoadError(`${moduleFile}: missing (the handlers of ${protoFile})`);
    folders.push({ name: entry.name, dir: folder, protoFile, moduleFile });
  }
  if (folders.length === 0) throw new ServiceLoadError(`${root}: no service folder (<name>/${SERVICE_PROTO})`);
  return folders;
}

/** The 1-based line of the first match of `pattern` in `text`, or undefined. */
export function lineOf(text: string, pattern: RegExp): number | undefined {
  const m = pattern.exec(text);
  return m === null ? undefined : text.slice(0, m.index).split('\n').length;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** protobufjs' "... (line N)" / "... in file.proto" messages, as `file:line: message`. */
function protoError(file: string, err: unknown): ServiceLoadError {
  const message = err instanceof Error ? err.message : String(err);
  const line = /\(line (\d+)\)\s*$/.exec(message);
  if (line !== null) return new ServiceLoadError(`${file}:${line[1]}: ${message.slice(0, line.index).trim()}`);
  // "no such Type or Enum 'Foo' in Type .x.A" for a field's type, "no such type: Foo" for an rpc's
  // ("no such type: Foo" for an rpc's message): point at the first use of the name.
  const missing = /no such \w+(?: or \w+)?(?::\s*|\s+')([\w.]+)/.exec(message);
  if (missing !== null) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // the file vanished meanwhile: the message without a line
    }
    const at = lineOf(text, new RegExp(`\\b${escapeRegExp(missing[1]!)}\\b`));
    if (at !== undefined) return new ServiceLoadError(`${file}:${at}: ${message}`);
  }
  return new ServiceLoadError(`${file}: ${message}`);
}

/**
 * Loads one folder's proto (and its imports) into a fresh Root, fields kept snake_case as
 * written. Throws {@link ServiceLoadError}.
 */
export function loadServiceProto(folder: ServiceFolder): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    // protobufjs' bundled well-known types (google/protobuf/*.proto) are resolved by name.
    if (target.startsWith('google/protobuf/')) return target;
    return resolve(folder.dir, target);
  };
  let current = folder.protoFile;
  try {
    const text = readFileSync(folder.protoFile, 'utf8');
    // Parse the main file ourselves so its errors carry its name; imports load through the root.
    const parsed = protobuf.parse(text, root, { keepCase: true });
    for (const imp of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      current = root.resolvePath(folder.protoFile, imp) ?? imp;
      root.loadSync(current, { keepCase: true });
    }
    current = folder.protoFile;
    root.resolveAll();
  } catch (err) {
    throw protoError(current, err);
  }
  return root;
}

function kindOf(method: protobuf.Method): RpcKind {
  if (method.requestStream === true) return method.responseStream === true ? 'bidi' : 'clientStream';
  return method.responseStream === true ? 'serverStream' : 'unary';
}

/** Every service of `root`, depth first. */
function servicesOf(ns: protobuf.NamespaceBase, out: protobuf.Service[] = []): protobuf.Service[] {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Service) out.push(nested);
    else if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) servicesOf(nested, out);
  }
  return out;
}

/**
 * The rpcs of one loaded folder. Throws when it defines no service, or one tensorgate serves
 * itself.
 */
export function rpcsOf(folder: ServiceFolder, root: protobuf.Root): RpcInfo[] {
  const text = readFileSync(folder.protoFile, 'utf8');
  const rpcs: RpcInfo[] = [];
  // Services of imported files are not served: only those `service.proto` itself defines.
  const services = servicesOf(root).filter((s) => s.filename === null || s.filename === undefined);
  for (const service of services) {
    const name = service.fullName.slice(1);
    if (RESERVED_SERVICES.includes(name)) {
      const line = lineOf(text, new RegExp(`service\\s+${escapeRegExp(service.name)}\\b`));
      throw new ServiceLoadError(
        `${folder.protoFile}:${line ?? 1}: service ${name} is served by tensorgate itself; use another package or name`,
      );
    }
    for (const method of service.methodsArray) {
      method.resolve();
      const line = lineOf(text, new RegExp(`rpc\\s+${escapeRegExp(method.name)}\\b`)) ?? 1;
      rpcs.push({
        path: `/${name}/${method.name}`,
        service: name,
        method: method.name,
        kind: kindOf(method),
        requestType: method.resolvedRequestType!.fullName.slice(1),
        responseType: method.resolvedResponseType!.fullName.slice(1),
        folder,
        where: `${folder.protoFile}:${line}`,
      });
    }
  }
  if (rpcs.length === 0) throw new ServiceLoadError(`${folder.protoFile}: defines no service with an rpc`);
  return rpcs;
}
