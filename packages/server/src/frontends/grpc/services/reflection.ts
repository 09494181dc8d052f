/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha `ServerReflection`) on the gRPC port,
 * so grpcurl, Postman and other reflection clients list and call every service: the built-in
 * ones and the custom services of `--grpc-services`. @grpc/reflection answers from the file
 * descriptors @grpc/proto-loader builds from the same .proto files the server serves; its
 * handlers use only `on('data')`, `write` and `end` of the call, which both transports provide.
 */
import { join } from 'node:path';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { PROTO_DIR, PROTO_FILES } from '@tensorgate/protocol';
import type { ServiceFolder } from './service-protos.js';

/** The reflection services' full names. */
export const REFLECTION_SERVICE_NAMES: readonly string[] = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

/**
 * Adds both reflection services to `server` (whose `addService` may wrap the handlers, e.g. with
 * the restricted-protocol check), describing the built-in protos and `folders`' protos. File
 * names in the descriptors: the built-in ones as in @tensorgate/protocol (`grpc_service.proto`),
 * a custom one as `<folder name>/service.proto`.
 *
 * @example
 * ```ts
 * addReflection({ addService: (d, i) => transport.addService(d, i) }, host?.folders ?? []);
 * ```
 */
export function addReflection(
  server: { addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation): void },
  folders: readonly ServiceFolder[],
): void {
  let definition: PackageDefinition = loadSync(Object.values(PROTO_FILES), { includeDirs: [PROTO_DIR] });
  for (const folder of folders) {
    const custom = loadSync(join(folder.name, 'service.proto'), { includeDirs: [join(folder.dir, '..'), folder.dir] });
    definition = { ...definition, ...custom };
  }
  new ReflectionService(definition).addToServer(server as never);
}
