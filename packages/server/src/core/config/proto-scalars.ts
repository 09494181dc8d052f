/**
 * Scalar-type facts about protobuf fields shared by the text-format resolver and the JSON reader
 * and writer of model configurations: which types are integers, their ranges, and how to
 * look at a protobufjs field's resolved type without depending on class identity.
 */
import type { Enum, Field, Type } from 'protobufjs';

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
  // 64-bit integers are carried as JS numbers, so only the exactly representable part is allowed.
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  sint64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  sfixed64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  fixed64: [0, Number.MAX_SAFE_INTEGER],
};

/** 64-bit integer scalar types (printed as strings by protobuf's JSON mapping). */
export const INT64_TYPES: ReadonlySet<string> = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

/** Whether a scalar type name is an integer type. */
export function isIntegerType(type: string): boolean {
  return type in INT_RANGES;
}

/** Whether a scalar type name is `float` or `double`. */
export function isFloatType(type: string): boolean {
  return type === 'float' || type === 'double';
}

/**
 * Checks that an integer fits its protobuf type.
 *
 * @returns undefined when valid, otherwise a short reason for the error message
 * @example
 * ```ts
 * integerRangeError('uint32', -1); // 'value -1 is out of range for uint32'
 * ```
 */
export function integerRangeError(type: string, value: number): string | undefined {
  const range = INT_RANGES[type];
  if (!range) return `type ${type} is not an integer type`;
  if (!Number.isInteger(value)) return `expected an integer for ${type}, got ${value}`;
  if (value < range[0] || value > range[1]) return `value ${value} is out of range for ${type}`;
  return undefined;
}

/** A protobufjs Enum, recognized structurally (avoids relying on one protobufjs instance). */
export function asEnum(field: Field): Enum | undefined {
  const t = field.resolvedType as unknown;
  return t !== null && typeof t === 'object' && 'valuesById' in t ? (t as Enum) : undefined;
}

/** A protobufjs message Type, recognized structurally. */
export function asMessage(field: Field): Type | undefined {
  const t = field.resolvedType as unknown;
  return t !== null && typeof t === 'object' && 'fieldsArray' in t ? (t as Type) : undefined;
}

/** `inference.ModelInput` rather than protobufjs' `.inference.ModelInput`. */
export function typeName(type: Type | Enum): string {
  return type.fullName.replace(/^\./, '');
}

/** Whether a field is a map field (protobufjs MapField). */
export function isMapField(field: Field): field is Field & { keyType: string } {
  return (field as { map?: boolean }).map === true;
}
