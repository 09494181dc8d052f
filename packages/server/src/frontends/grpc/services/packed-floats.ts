/**
 * A faster decode for messages with packed `repeated float` / `repeated double` fields (image and
 * tensor payloads such as the seeds' `tensor_data`): protobufjs reads such a field one element at
 * a time into a JS array (~10 ms for a 3x224x224 image on the development machine, most of the
 * custom layer's cost in bench/predictor-vs-modelinfer.mjs). Here the packed bytes of those
 * top-level fields become one Float32Array / Float64Array (a view when aligned, else one copy),
 * and protobufjs decodes the rest of the message. Hand-written because protobufjs has no such
 * option; docs/grpc-services.md tells handlers these fields arrive as typed arrays.
 */
import protobuf from 'protobufjs';

interface PackedField {
  readonly name: string;
  readonly bytesPer: 4 | 8;
}

/** The packed float / double fields of `type`, by field number (empty: decode as protobufjs does). */
export function packedFloatFields(type: protobuf.Type): Map<number, PackedField> {
  const out = new Map<number, PackedField>();
  for (const field of type.fieldsArray) {
    if (!field.repeated || field.map) continue;
    if (field.type !== 'float' && field.type !== 'double') continue;
    out.set(field.id, { name: field.name, bytesPer: field.type === 'float' ? 4 : 8 });
  }
  return out;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function typedArray(parts: readonly Uint8Array[], total: number, bytesPer: 4 | 8): Float32Array | Float64Array {
  if (total % bytesPer !== 0) throw new Error(`packed ${bytesPer === 4 ? 'float' : 'double'} field of ${total} bytes`);
  const n = total / bytesPer;
  const Ctor = bytesPer === 4 ? Float32Array : Float64Array;
  const one = parts.length === 1 ? parts[0]! : undefined;
  // A view when aligned (the platform is little-endian, as the wire is); else one copy.
  if (one !== undefined && one.byteOffset % bytesPer === 0)
    return new Ctor(one.buffer as ArrayBuffer, one.byteOffset, n);
  const out = new Ctor(n);
  new Uint8Array(out.buffer).set(concat(parts, total));
  return out;
}

/**
 * Decodes `bytes` as `type`, with the fields of `fields` read as typed arrays. Falls back to
 * protobufjs alone when such a field arrives unpacked.
 *
 * @example
 * ```ts
 * const fields = packedFloatFields(Req);
 * const msg = decodePacked(Req, fields, bytes); // msg.tensor_data: Float32Array
 * ```
 */
export function decodePacked(
  type: protobuf.Type,
  fields: ReadonlyMap<number, PackedField>,
  bytes: Uint8Array,
): protobuf.Message {
  if (fields.size === 0) return type.decode(bytes);
  const reader = protobuf.Reader.create(bytes);
  const rest: Uint8Array[] = [];
  let restBytes = 0;
  const found = new Map<PackedField, { parts: Uint8Array[]; total: number }>();
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const field = fields.get(tag >>> 3);
    const wireType = tag & 7;
    if (field !== undefined) {
      if (wireType !== 2) return type.decode(bytes); // unpacked elements: protobufjs handles them
      const length = reader.uint32();
      const from = reader.pos;
      reader.skip(length);
      let entry = found.get(field);
      if (entry === undefined) found.set(field, (entry = { parts: [], total: 0 }));
      entry.parts.push(bytes.subarray(from, from + length));
      entry.total += length;
      continue;
    }
    reader.skipType(wireType);
    rest.push(bytes.subarray(start, reader.pos));
    restBytes += reader.pos - start;
  }
  const message = type.decode(concat(rest.length === 0 ? [new Uint8Array(0)] : rest, restBytes)) as protobuf.Message &
    Record<string, unknown>;
  for (const [field, entry] of found) message[field.name] = typedArray(entry.parts, entry.total, field.bytesPer);
  return message;
}
