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

/**
 * protobufjs' plain Reader, not the BufferReader it picks for Buffers: BufferReader silently
 * truncates a string whose length runs past the end of the message, the plain one throws (and the
 * transport then answers INTERNAL). Its strings, though, are decoded as Node decodes UTF-8 (bad
 * sequences become U+FFFD), as the ModelInfer fast path (`infer-request-reader.ts`) and the HTTP
 * frontend do: protobufjs' own decoder turned bad bytes into other characters (`e2 82 41` read as
 * "₁", a lone `80` as ""), so the same name decoded differently depending on the decoder.
 * Bytes fields stay zero-copy views.
 */
class MessageReader extends protobuf.Reader {
  override string(): string {
    const bytes = this.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }
}

/**
 * Decodes `bytes` as `type` the way every request deserializer here does (the general path of
 * ModelInfer included); throws protobufjs' Error on malformed bytes.
 *
 * @example
 * ```ts
 * const msg = decodeMessage(root.lookupType('inference.ModelReadyRequest'), bytes);
 * ```
 */
export function decodeMessage(type: protobuf.Type, bytes: Buffer): protobuf.Message {
  return type.decode(new MessageReader(bytes));
}

function deserializerOf(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => decodeMessage(type, bytes);
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
