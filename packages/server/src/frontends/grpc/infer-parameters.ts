/**
 * Conversions between the `InferParameter` oneof of grpc_service.proto and the core's
 * {@link ParameterValue} (string | number | boolean). Pure functions used by the infer codec.
 */
import type { InferParameterMap, InferParameterMessage } from '@tensorgate/protocol';
import { invalidArg } from '../../core/errors.js';
import { setOwn } from '../../core/set-own.js';
import type { ParameterValue, Parameters } from '../../core/types.js';

/** 2^63: numbers at or above it only fit the uint64 member. */
const INT64_LIMIT = 2 ** 63;

/**
 * Reads the value of one InferParameter. Decoded messages name the set member in the
 * `parameter_choice` virtual field; plain objects (tests, hand-built messages) are probed.
 */
export function parameterValue(p: InferParameterMessage | null | undefined): ParameterValue | undefined {
  // A map entry without its value field decodes as null (protobufjs): no value either.
  if (p == null) return undefined;
  switch (p.parameter_choice ?? firstSetMember(p)) {
    case 'bool_param':
      return p.bool_param;
    case 'int64_param':
      return p.int64_param;
    case 'string_param':
      return p.string_param;
    case 'double_param':
      return p.double_param;
    case 'uint64_param':
      return p.uint64_param;
    default:
      return undefined;
  }
}

/** Only own properties count: decoded messages keep unset members' defaults on the prototype. */
function firstSetMember(p: InferParameterMessage): InferParameterMessage['parameter_choice'] {
  if (Object.hasOwn(p, 'bool_param')) return 'bool_param';
  if (Object.hasOwn(p, 'int64_param')) return 'int64_param';
  if (Object.hasOwn(p, 'string_param')) return 'string_param';
  if (Object.hasOwn(p, 'double_param')) return 'double_param';
  if (Object.hasOwn(p, 'uint64_param')) return 'uint64_param';
  return undefined;
}

/**
 * Decodes a parameters map to core {@link Parameters}. A parameter with no value is an
 * INVALID_ARG error naming `where` (e.g. "request", "input 'INPUT0'").
 */
export function decodeParameters(map: InferParameterMap | null | undefined, where: string): Parameters {
  const out: Parameters = {};
  if (map == null) return out;
  for (const key in map) {
    const value = parameterValue(map[key]);
    if (value === undefined) throw invalidArg(`parameter '${key}' of ${where} has no value`);
    setOwn(out, key, value);
  }
  return out;
}

/**
 * Encodes one core parameter value: booleans and strings as themselves, integers as int64
 * (uint64 beyond the int64 range), other numbers as double.
 */
export function encodeParameter(value: ParameterValue): InferParameterMessage {
  switch (typeof value) {
    case 'boolean':
      return { bool_param: value };
    case 'string':
      return { string_param: value };
    default:
      if (!Number.isInteger(value)) return { double_param: value };
      return value >= INT64_LIMIT ? { uint64_param: value } : { int64_param: value };
  }
}

/** Encodes core {@link Parameters} to an InferParameter map (a fresh object the caller may extend). */
export function encodeParameters(params: Parameters | undefined): InferParameterMap {
  const out: InferParameterMap = {};
  if (params === undefined) return out;
  for (const key in params) out[key] = encodeParameter(params[key]!);
  return out;
}
