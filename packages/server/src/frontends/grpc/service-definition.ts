/**
 * grpc-js service definitions built straight from the protobufjs types of our .proto files.
 *
 * Each method (de)serializes with `Type.decode` / `Type.encode` directly: decoded messages are
 * protobufjs message objects (snake_case fields, bytes as zero-copy Buffer views) handed to the
 * handlers as they are. This skips the `toObject` pass @grpc/proto-loader would add on every
 * message, which is measurable on small ModelInfer calls.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { loadProtoRoot, type ModelInferResponseMessage } from '@tensorgate/protocol';
import protobuf from 'protobufjs';
import { decodeCommonInferRequest } from './infer-request-reader.js';
import { encodeCommonInferResponse } from './infer-response-writer.js';

/** Fully qualified name of the inference service. */
export const INFERENCE_SERVICE_NAME = 'inference.GRPCInferenceService';
/** Fully qualified name of the text-generation service (llm_service.proto). */
export const LLM_SERVICE_NAME = 'llm.LLMService';
/** Fully qualified name of the health service. */
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

function toBuffer(bytes: Uint8Array): Buffer {
  // protobufjs' writer already returns a Buffer in Node; wrap (without copying) if it ever does not.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function serializerOf(type: protobuf.Type): (value: object) => Buffer {
  return (value) => toBuffer(type.encode(value).finish());
}

/** ModelInfer's response serializer: the hand-written common case, protobufjs for the rest. */
function inferResponseSerializer(type: protobuf.Type): (value: object) => Buffer {
  const general = serializerOf(type);
  return (value) => encodeCommonInferResponse(value as ModelInferResponseMessage) ?? general(value);
}

function deserializerOf(type: protobuf.Type): (bytes: Buffer) => object {
  // The plain Reader, not the BufferReader protobufjs picks for Buffers: BufferReader silently
  // truncates a string whose length runs past the end of the message, the plain one throws (and
  // grpc-js then answers INTERNAL). Bytes fields are zero-copy views with either reader.
  return (bytes) => type.decode(new protobuf.Reader(bytes));
}

/** ModelInferRequest's deserializer: the hand-written common case, protobufjs for the rest. */
function inferRequestDeserializer(type: protobuf.Type): (bytes: Buffer) => object {
  const general = deserializerOf(type);
  return (bytes) => decodeCommonInferRequest(bytes) ?? general(bytes);
}

/**
 * Builds the grpc-js definition of one protobufjs service, by default from {@link loadProtoRoot}.
 * The same definition serves both the server (`addService`) and test clients
 * (`makeGenericClientConstructor`).
 *
 * @example
 * ```ts
 * server.addService(serviceDefinitionOf(INFERENCE_SERVICE_NAME), handlers);
 * ```
 */
export function serviceDefinitionOf(serviceName: string, root: protobuf.Root = loadProtoRoot()): ServiceDefinition {
  const service = root.lookupService(serviceName);
  const definition: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializerOf(requestType),
      requestDeserialize:
        requestType.fullName === '.inference.ModelInferRequest'
          ? inferRequestDeserializer(requestType)
          : deserializerOf(requestType),
      responseSerialize:
        serviceName === INFERENCE_SERVICE_NAME && method.name === 'ModelInfer'
          ? inferResponseSerializer(responseType)
          : serializerOf(responseType),
      responseDeserialize: deserializerOf(responseType),
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition as ServiceDefinition;
}

/** Looks up a message type of our protos (e.g. `inference.ModelConfig`), for `fromObject` encodes. */
export function messageType(name: string): protobuf.Type {
  return loadProtoRoot().lookupType(name);
}
