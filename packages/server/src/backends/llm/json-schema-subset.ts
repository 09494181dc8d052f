/**
 * Turns a client's JSON Schema into the subset node-llama-cpp compiles into a grammar
 * (`llama.createGrammarForJsonSchema`, its `GbnfJsonSchema` type). A keyword the grammar cannot
 * enforce (`pattern`, `minimum`, `allOf`, ...) is refused with INVALID_ARG naming it and where it is,
 * rather than dropped: output generated without it could break the client's own validation.
 * Annotations (`title`, `description`, `default`, `examples`, `$schema`, ...) are accepted and dropped;
 * `anyOf` becomes `oneOf` (the same grammar: one alternative is generated). Hand-written: no
 * library converts JSON Schema into node-llama-cpp's subset, and it is a plain recursive walk.
 */
import { invalidArg } from '../../core/errors.js';

/** Keywords that carry no constraint and are dropped. */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'default',
  'examples',
  '$schema',
  '$id',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
]);

/** Keywords passed on to node-llama-cpp (each validated below). */
const SUPPORTED = new Set([
  'type',
  'enum',
  'const',
  'oneOf',
  'anyOf',
  '$ref',
  '$defs',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'format',
]);

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);
const FORMATS = new Set(['date-time', 'time', 'date']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates and converts one schema (recursively). `where` names the field for messages, e.g.
 * `response_format.json_schema.schema`.
 *
 * @throws InferenceError INVALID_ARG naming the unsupported keyword and its JSON pointer
 * @example
 * ```ts
 * toGrammarSchema({ type: 'object', properties: { city: { type: 'string', maxLength: 20 } }, title: 'Q' }, 'schema')
 * // → { type: 'object', properties: { city: { type: 'string', maxLength: 20 } } }
 * ```
 */
export function toGrammarSchema(schema: unknown, where: string): Json {
  return convert(schema, where, '');
}

function convert(schema: unknown, where: string, pointer: string): Json {
  const at = (): string => `${where}${pointer === '' ? '' : ` at '${pointer}'`}`;
  const fail = (why: string): never => {
    throw invalidArg(`${at()}: ${why}`);
  };
  if (schema === true || (isObject(schema) && Object.keys(schema).every((k) => ANNOTATIONS.has(k)))) {
    fail('a schema that allows any value cannot be generated; give a type');
  }
  if (!isObject(schema)) return fail('a schema must be a JSON object');
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    if (!SUPPORTED.has(key)) {
      fail(
        `the JSON Schema keyword '${key}' is not supported by grammar-constrained generation ` +
          `(supported: ${[...SUPPORTED].join(', ')})`,
      );
    }
    const sub = (v: unknown, p: string): Json => convert(v, where, `${pointer}/${p}`);
    switch (key) {
      case 'type': {
        const types = Array.isArray(value) ? value : [value];
        if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) {
          fail(`'type' must be one of ${[...TYPES].join(', ')} or an array of them`);
        }
        const structured = types.filter((t) => t === 'object' || t === 'array');
        if (Array.isArray(value) && structured.length > 0) fail("a 'type' array may not hold object or array");
        out['type'] = value;
        break;
      }
      case 'enum':
      case 'const': {
        const values = key === 'enum' ? value : [value];
        const scalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
        if (!Array.isArray(values) || values.length === 0 || !values.every(scalar)) {
          fail(`'${key}' must hold strings, numbers, booleans or null`);
        }
        out[key] = value;
        break;
      }
      case 'oneOf':
      case 'anyOf':
        if (!Array.isArray(value) || value.length === 0) fail(`'${key}' must be a non-empty array`);
        out['oneOf'] = (value as unknown[]).map((s, i) => sub(s, `${key}/${i}`));
        break;
      case '$ref':
        if (typeof value !== 'string' || !value.startsWith('#/$defs/')) fail("'$ref' must point into '#/$defs/'");
        out['$ref'] = value;
        break;
      case '$defs':
      case 'properties':
        if (!isObject(value)) fail(`'${key}' must be an object`);
        out[key] = Object.fromEntries(Object.entries(value as Json).map(([k, s]) => [k, sub(s, `${key}/${k}`)]));
        break;
      case 'additionalProperties':
        out[key] = typeof value === 'boolean' ? value : sub(value, key);
        break;
      case 'items':
        out[key] = sub(value, key);
        break;
      case 'prefixItems':
        if (!Array.isArray(value)) fail("'prefixItems' must be an array");
        out[key] = (value as unknown[]).map((s, i) => sub(s, `prefixItems/${i}`));
        break;
      case 'required':
        if (!Array.isArray(value) || !value.every((k) => typeof k === 'string')) {
          fail("'required' must be an array of property names");
        }
        out[key] = value;
        break;
      case 'format':
        if (typeof value !== 'string' || !FORMATS.has(value)) {
          fail(`'format' ${JSON.stringify(value)} is not supported (supported: ${[...FORMATS].join(', ')})`);
        }
        out[key] = value;
        break;
      default:
        if (!Number.isSafeInteger(value) || (value as number) < 0) fail(`'${key}' must be an integer >= 0`);
        out[key] = value;
    }
  }
  return out;
}
