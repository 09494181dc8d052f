/**
 * Resolves a text-format syntax tree against a protobufjs message type into a plain object with
 * the proto field names (snake_case): enums as their names, 64-bit integers as numbers, maps as
 * plain objects keyed by the key's string form, repeated fields as arrays and a oneof as its one
 * set member. Fields that were not written are left out (defaults are the normalizer's job).
 *
 * Every error names `file:line:column` of the offending entry.
 */
import { loadProtoRoot, PROTO_FILES } from '@tensorgate/protocol';
import type { Field, Type } from 'protobufjs';
import { pbtxtError } from './pbtxt-lexer.js';
import { parsePbtxt, type PbtxtField, type PbtxtMessage, type PbtxtScalar, type PbtxtValue } from './pbtxt-parser.js';
import {
  asEnum,
  asMessage,
  integerRangeError,
  isFloatType,
  isIntegerType,
  isMapField,
  typeName,
} from './proto-scalars.js';

type Obj = Record<string, unknown>;

/** The `inference.ModelConfig` protobufjs type, loaded once. */
export function modelConfigType(): Type {
  return loadProtoRoot([PROTO_FILES.modelConfig]).lookupType('inference.ModelConfig');
}

/**
 * Parses `config.pbtxt` text into a raw (not yet normalized) model configuration object.
 *
 * @param src - the file contents
 * @param file - the path shown in errors
 * @throws InferenceError INVALID_ARG `file:line:col: ...` on syntax or schema errors
 * @example
 * ```ts
 * parseModelConfigText('name: "m" max_batch_size: 4', 'm/config.pbtxt'); // { name: 'm', max_batch_size: 4 }
 * ```
 */
export function parseModelConfigText(src: string, file: string): Obj {
  return pbtxtToObject(parsePbtxt(src, file), modelConfigType(), file);
}

/**
 * Resolves a parsed text-format message against `type`.
 *
 * @example
 * ```ts
 * pbtxtToObject(parsePbtxt('dims: [1, 2]', 'f'), root.lookupType('inference.ModelInput'), 'f'); // { dims: [1, 2] }
 * ```
 */
export function pbtxtToObject(msg: PbtxtMessage, type: Type, file: string): Obj {
  return new Resolver(file).message(msg, type);
}

class Resolver {
  constructor(private readonly file: string) {}

  private fail(at: { line: number; column: number }, message: string): never {
    throw pbtxtError(this.file, at, message);
  }

  message(msg: PbtxtMessage, type: Type): Obj {
    const out: Obj = {};
    const seen = new Map<string, PbtxtField>();
    const oneofSeen = new Map<string, string>();
    for (const entry of msg.fields) {
      // Own fields only: `type.fields` is a plain object, and 'constructor' or 'toString' are not fields.
      const field = Object.hasOwn(type.fields, entry.name) ? type.fields[entry.name] : undefined;
      if (!field) this.fail(entry, `unknown field '${entry.name}' in ${typeName(type)}`);
      if (isMapField(field)) {
        const map = (out[field.name] ??= {}) as Obj;
        for (const v of entry.values) this.mapEntry(v, field, map);
        continue;
      }
      if (field.repeated) {
        const arr = (out[field.name] ??= []) as unknown[];
        for (const v of entry.values) arr.push(this.value(entry, v, field));
        continue;
      }
      if (entry.isList) {
        this.fail(entry, `field '${field.name}' in ${typeName(type)} is not repeated and cannot take a list`);
      }
      const first = seen.get(field.name);
      if (first) {
        this.fail(
          entry,
          `non-repeated field '${field.name}' in ${typeName(type)} is specified more than once (first at ${first.line}:${first.column})`,
        );
      }
      seen.set(field.name, entry);
      if (field.partOf) {
        const other = oneofSeen.get(field.partOf.name);
        if (other !== undefined) {
          this.fail(
            entry,
            `field '${field.name}' conflicts with field '${other}': both are members of oneof '${field.partOf.name}' in ${typeName(type)}`,
          );
        }
        oneofSeen.set(field.partOf.name, field.name);
      }
      out[field.name] = this.value(entry, entry.values[0] as PbtxtValue, field);
    }
    return out;
  }

  private value(entry: PbtxtField, v: PbtxtValue, field: Field): unknown {
    const msgType = asMessage(field);
    if (msgType) {
      if (v.kind !== 'message') this.fail(v, `field '${field.name}' is a message (${typeName(msgType)}), expected '{'`);
      return this.message(v, msgType);
    }
    if (v.kind === 'message')
      this.fail(v, `field '${field.name}' of type ${this.typeLabel(field)} cannot take a message`);
    if (!entry.hasColon) this.fail(v, `expected ':' after scalar field name '${field.name}'`);
    return this.scalar(v, field);
  }

  private typeLabel(field: Field): string {
    const e = asEnum(field);
    return e ? typeName(e) : field.type;
  }

  private mapEntry(v: PbtxtValue, field: Field & { keyType: string }, map: Obj): void {
    if (v.kind !== 'message') {
      this.fail(v, `map field '${field.name}' expects entries of the form { key: ... value: ... }`);
    }
    let key: unknown;
    let value: unknown;
    const keyField = { name: 'key', type: field.keyType, resolvedType: null } as unknown as Field;
    for (const e of v.fields) {
      if (e.name !== 'key' && e.name !== 'value') {
        this.fail(e, `unknown field '${e.name}' in map entry of '${field.name}' (expected 'key' or 'value')`);
      }
      if (e.isList || e.values.length !== 1) this.fail(e, `map entry '${e.name}' of '${field.name}' takes one value`);
      if (e.name === 'key') {
        if (key !== undefined) this.fail(e, `map entry of '${field.name}' has more than one 'key'`);
        key = this.value(e, e.values[0] as PbtxtValue, keyField);
      } else {
        if (value !== undefined) this.fail(e, `map entry of '${field.name}' has more than one 'value'`);
        value = this.value(e, e.values[0] as PbtxtValue, field);
      }
    }
    key ??= field.keyType === 'string' ? '' : 0;
    value ??= asMessage(field) ? {} : this.defaultScalar(field);
    // Assigning it would set the map object's prototype and drop the entry without a word.
    if (key === '__proto__') this.fail(v, `map key '__proto__' of '${field.name}' is not supported`);
    map[String(key)] = value;
  }

  private defaultScalar(field: Field): unknown {
    const e = asEnum(field);
    if (e) return e.valuesById[0] ?? Object.keys(e.values)[0];
    if (field.type === 'string' || field.type === 'bytes') return '';
    if (field.type === 'bool') return false;
    return 0;
  }

  private scalar(v: PbtxtScalar, field: Field): unknown {
    const t = field.type;
    const e = asEnum(field);
    if (e) return this.enumValue(v, field, e);
    if (t === 'string' || t === 'bytes') {
      if (v.token !== 'string') this.fail(v, `field '${field.name}' expects a string, found '${v.text}'`);
      return v.text;
    }
    if (t === 'bool') return this.boolValue(v, field);
    if (isIntegerType(t)) return this.intValue(v, field);
    if (isFloatType(t)) return this.floatValue(v, field);
    return this.fail(v, `field '${field.name}' has unsupported type ${t}`);
  }

  private enumValue(v: PbtxtScalar, field: Field, e: NonNullable<ReturnType<typeof asEnum>>): string {
    if (v.token === 'ident' && !v.negative) {
      if (!Object.hasOwn(e.values, v.text)) {
        this.fail(v, `unknown value '${v.text}' for enum ${typeName(e)} of field '${field.name}'`);
      }
      return v.text;
    }
    if (v.token === 'number') {
      const n = parseInteger(v.text, v.negative);
      const name = n === undefined ? undefined : e.valuesById[n];
      if (name === undefined)
        this.fail(
          v,
          `unknown value ${v.negative ? '-' : ''}${v.text} for enum ${typeName(e)} of field '${field.name}'`,
        );
      return name;
    }
    const found = v.token === 'string' ? 'a string' : `'-${v.text}'`;
    return this.fail(v, `field '${field.name}' expects an ${typeName(e)} value name, found ${found}`);
  }

  private boolValue(v: PbtxtScalar, field: Field): boolean {
    if (!v.negative) {
      if (v.token === 'ident' && ['true', 'True', 't'].includes(v.text)) return true;
      if (v.token === 'ident' && ['false', 'False', 'f'].includes(v.text)) return false;
      if (v.token === 'number' && (v.text === '1' || v.text === '0')) return v.text === '1';
    }
    return this.fail(
      v,
      `field '${field.name}' expects a bool (true or false), found '${v.negative ? '-' : ''}${v.text}'`,
    );
  }

  private intValue(v: PbtxtScalar, field: Field): number {
    const n = v.token === 'number' ? parseInteger(v.text, v.negative) : undefined;
    if (n === undefined) {
      this.fail(
        v,
        `field '${field.name}' expects an integer (${field.type}), found '${v.negative ? '-' : ''}${v.text}'`,
      );
    }
    const err = integerRangeError(field.type, n);
    if (err) this.fail(v, `field '${field.name}': ${err}`);
    return n;
  }

  private floatValue(v: PbtxtScalar, field: Field): number {
    let n: number | undefined;
    if (v.token === 'ident') {
      const low = v.text.toLowerCase();
      if (low === 'inf' || low === 'infinity') n = Infinity;
      else if (low === 'nan') n = NaN;
    } else if (v.token === 'number') {
      const text = v.text.replace(/[fF]$/, '');
      if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) n = Number(text);
      else n = parseInteger(v.text, false);
    }
    if (n === undefined) this.fail(v, `field '${field.name}' expects a number (${field.type}), found '${v.text}'`);
    return v.negative ? -n : n;
  }
}

/** Parses a decimal, hex (`0x`) or octal (leading `0`) integer literal; undefined when malformed. */
function parseInteger(text: string, negative: boolean): number | undefined {
  let n: number;
  if (/^0[xX][0-9A-Fa-f]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) n = parseInt(text.slice(1), 8);
  else if (/^(0|[1-9]\d*)$/.test(text)) n = Number(text);
  else return undefined;
  return negative && n !== 0 ? -n : n;
}
