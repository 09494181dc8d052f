/**
 * The protobuf JSON mapping for plain objects shaped by a protobufjs message type, in both
 * directions, as Triton uses it for model configurations.
 *
 * Writing mirrors protobuf's printer with `preserve_proto_field_names` and
 * `always_print_primitive_fields`: fields in declaration order, every scalar, repeated and map
 * field printed (with its default when unset), unset messages and oneof members left out, enums
 * by name, 64-bit integers as strings unless their path is listed as one to print as a number
 * (Triton rewrites a fixed list of them to numbers). protobufjs' own `toJSON` cannot do this
 * (it omits defaults and knows no per-field int64 rule), hence this small walker.
 *
 * Reading accepts proto names and lowerCamelCase JSON names, enums by name (any case) or number,
 * integers as numbers or strings, and `null` as "unset", and rejects unknown fields.
 */
import type { Field, Type } from 'protobufjs';
import { invalidArg } from '../errors.js';
import {
  asEnum,
  asMessage,
  INT64_TYPES,
  integerRangeError,
  isFloatType,
  isIntegerType,
  isMapField,
  typeName,
} from './proto-scalars.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** lowerCamelCase JSON name of a proto field name, as protobuf derives it. */
export function jsonName(protoName: string): string {
  return protoName.replace(/_(.)/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Prints `value` (proto field names) as protobuf JSON of `type`.
 *
 * @param path - `::`-joined path of this message, e.g. `ModelConfig` (map values add `::value`)
 * @param numericInt64 - paths (`ModelConfig::input::dims`) whose 64-bit values print as numbers
 * @example
 * ```ts
 * writeProtoJson({ dims: [4] }, inputType, 'ModelConfig::input', new Set(['ModelConfig::input::dims']));
 * ```
 */
export function writeProtoJson(value: Obj, type: Type, path: string, numericInt64: ReadonlySet<string>): Obj {
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    const p = `${path}::${field.name}`;
    if (isMapField(field)) {
      const map: Obj = {};
      for (const [k, mv] of Object.entries(isObj(v) ? v : {}))
        map[k] = writeValue(mv, field, `${p}::value`, numericInt64);
      out[field.name] = map;
    } else if (field.repeated) {
      out[field.name] = (Array.isArray(v) ? v : []).map((e) => writeValue(e, field, p, numericInt64));
    } else if (asMessage(field) || field.partOf) {
      if (v !== undefined && v !== null) out[field.name] = writeValue(v, field, p, numericInt64);
    } else {
      out[field.name] = writeValue(v, field, p, numericInt64);
    }
  }
  return out;
}

function writeValue(v: unknown, field: Field, path: string, numericInt64: ReadonlySet<string>): unknown {
  const msg = asMessage(field);
  if (msg) return writeProtoJson(isObj(v) ? v : {}, msg, path, numericInt64);
  const e = asEnum(field);
  if (e) {
    if (typeof v === 'string') return v;
    return e.valuesById[typeof v === 'number' ? v : 0] ?? v;
  }
  const t = field.type;
  if (t === 'string' || t === 'bytes') return typeof v === 'string' ? v : '';
  if (t === 'bool') return v === true;
  const n = typeof v === 'number' ? v : Number(v ?? 0);
  if (INT64_TYPES.has(t)) return numericInt64.has(path) ? n : String(n);
  if (isFloatType(t) && !Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
  return n;
}

/**
 * Reads protobuf JSON of `type` into a plain object with proto field names.
 *
 * @param where - JSON path of `json` used in error messages, e.g. `input[0]`
 * @throws InferenceError INVALID_ARG naming the JSON path on any mismatch
 * @example
 * ```ts
 * readProtoJson({ maxBatchSize: 8 }, modelConfigType, ''); // { max_batch_size: 8 }
 * ```
 */
export function readProtoJson(json: unknown, type: Type, where: string): Obj {
  if (!isObj(json)) throw invalidArg(`${at(where)}expected a JSON object for ${typeName(type)}`);
  const out: Obj = {};
  const oneofSeen = new Map<string, string>();
  for (const [key, v] of Object.entries(json)) {
    // Own fields only: `type.fields` is a plain object, and 'constructor' or 'toString' are not fields.
    const field = Object.hasOwn(type.fields, key)
      ? type.fields[key]
      : type.fieldsArray.find((f) => jsonName(f.name) === key);
    const here = where ? `${where}.${key}` : key;
    if (!field) throw invalidArg(`${at(here)}unknown field '${key}' in ${typeName(type)}`);
    if (v === null) continue;
    if (field.name in out) throw invalidArg(`${at(here)}field '${field.name}' is specified more than once`);
    if (field.partOf) {
      const other = oneofSeen.get(field.partOf.name);
      if (other !== undefined) {
        throw invalidArg(`${at(here)}field '${field.name}' conflicts with '${other}' in oneof '${field.partOf.name}'`);
      }
      oneofSeen.set(field.partOf.name, field.name);
    }
    if (isMapField(field)) {
      if (!isObj(v)) throw invalidArg(`${at(here)}map field '${field.name}' expects a JSON object`);
      const map: Obj = {};
      for (const [k, mv] of Object.entries(v)) {
        // Assigning it would set the map object's prototype and drop the entry without a word.
        if (k === '__proto__') throw invalidArg(`${at(here)}map key '__proto__' of '${field.name}' is not supported`);
        map[readMapKey(k, field.keyType, `${here}`)] = readValue(mv, field, `${here}.${k}`);
      }
      out[field.name] = map;
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw invalidArg(`${at(here)}repeated field '${field.name}' expects a JSON array`);
      out[field.name] = v.map((e, i) => readValue(e, field, `${here}[${i}]`));
    } else {
      out[field.name] = readValue(v, field, here);
    }
  }
  return out;
}

const at = (where: string): string => (where ? `${where}: ` : '');

function readMapKey(k: string, keyType: string, where: string): string {
  if (keyType === 'string') return k;
  if (keyType === 'bool') {
    if (k !== 'true' && k !== 'false') throw invalidArg(`${at(where)}map key '${k}' is not a bool`);
    return k;
  }
  const n = /^-?\d+$/.test(k) ? Number(k) : NaN;
  const err = Number.isNaN(n) ? `map key '${k}' is not an integer` : integerRangeError(keyType, n);
  if (err) throw invalidArg(`${at(where)}${err}`);
  return String(n);
}

function readValue(v: unknown, field: Field, where: string): unknown {
  const msg = asMessage(field);
  if (msg) return readProtoJson(v, msg, where);
  const e = asEnum(field);
  if (e) {
    if (typeof v === 'string') {
      const name = Object.hasOwn(e.values, v)
        ? v
        : Object.keys(e.values).find((n) => n.toUpperCase() === v.toUpperCase());
      if (name === undefined) throw invalidArg(`${at(where)}unknown value '${v}' for enum ${typeName(e)}`);
      return name;
    }
    const name = typeof v === 'number' ? e.valuesById[v] : undefined;
    if (name === undefined) throw invalidArg(`${at(where)}invalid value ${JSON.stringify(v)} for enum ${typeName(e)}`);
    return name;
  }
  const t = field.type;
  const bad = (what: string): never => {
    throw invalidArg(`${at(where)}field '${field.name}' expects ${what}, got ${JSON.stringify(v)}`);
  };
  if (t === 'string' || t === 'bytes') return typeof v === 'string' ? v : bad('a string');
  if (t === 'bool') return typeof v === 'boolean' ? v : bad('a boolean');
  if (isIntegerType(t)) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (Number.isNaN(n)) return bad(`an integer (${t})`);
    const err = integerRangeError(t, n);
    if (err) throw invalidArg(`${at(where)}field '${field.name}': ${err}`);
    return n;
  }
  if (isFloatType(t)) {
    if (typeof v === 'number') return v;
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return bad(`a number (${t})`);
  }
  return bad(`a value of type ${t}`);
}

/**
 * Fills, in place, every unset field of `value` that protobuf treats as always present: scalars
 * (outside oneofs) with their zero value, enums with their first value's name, repeated fields
 * with `[]` and maps with `{}`; recurses into set messages, list elements and map values. The
 * result compares equal to what a protobuf decoder with defaults would produce, which keeps
 * JSON and binary round trips exact.
 *
 * @example
 * ```ts
 * fillProtoDefaults({ name: 'x' }, modelOutputType); // { name: 'x', data_type: 'TYPE_INVALID', dims: [], ... }
 * ```
 */
export function fillProtoDefaults(value: Obj, type: Type): Obj {
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    const msg = asMessage(field);
    if (isMapField(field)) {
      const map = isObj(v) ? v : (value[field.name] = {});
      if (msg) for (const mv of Object.values(map)) if (isObj(mv)) fillProtoDefaults(mv, msg);
    } else if (field.repeated) {
      const list = Array.isArray(v) ? v : (value[field.name] = []);
      if (msg) for (const e of list) if (isObj(e)) fillProtoDefaults(e, msg);
    } else if (msg) {
      if (isObj(v)) fillProtoDefaults(v, msg);
    } else if (v === undefined && !field.partOf) {
      const e = asEnum(field);
      const t = field.type;
      value[field.name] = e
        ? (e.valuesById[0] ?? Object.keys(e.values)[0])
        : t === 'string' || t === 'bytes'
          ? ''
          : t === 'bool'
            ? false
            : 0;
    }
  }
  return value;
}
