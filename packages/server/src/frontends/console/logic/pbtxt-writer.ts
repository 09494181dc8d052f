/**
 * Renders a model configuration in the JSON form of `GET /v2/models/{m}/config` as protobuf text
 * (config.pbtxt), for the web console's config view. Runs in the browser (bundled) and in Node.
 *
 * As protobuf's text printer does for proto3 messages, fields holding their default (0, '',
 * false, empty lists and messages) are left out, so the text shows what the config sets. Map
 * fields (`parameters`, ensemble `input_map` / `output_map`, ...) print as repeated
 * `{ key: ... value: ... }` entries; enum fields print bare. Hand-written: there is no small,
 * kept library that prints protobuf text from JSON without the .proto schema, and the console
 * does not ship the schema.
 */

/** Fields of ModelConfig (at any depth) whose JSON is an object standing for a protobuf map. */
const MAP_FIELDS: ReadonlySet<string> = new Set([
  'parameters',
  'input_map',
  'output_map',
  'cc_model_filenames',
  'metric_tags',
  'priority_queue_policy',
  'inputs',
  'input',
  'output',
]);

/** Fields of ModelConfig whose values are enum names. */
const ENUM_FIELDS: ReadonlySet<string> = new Set(['data_type', 'format', 'kind', 'timeout_action', 'priority']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for the proto3 default of a field: printed fields skip it. */
function isDefault(value: Json): boolean {
  if (value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.values(value).every(isDefault);
  return false;
}

function scalar(key: string, value: Json): string {
  if (typeof value === 'string') return ENUM_FIELDS.has(key) ? value : JSON.stringify(value);
  return String(value);
}

/** A map entry's key: bare for the one map with integer keys (priority level → queue policy). */
function mapKey(field: string, key: string): string {
  return field === 'priority_queue_policy' && /^\d+$/.test(key) ? key : JSON.stringify(key);
}

function field(key: string, value: Json, indent: string, out: string[]): void {
  if (isDefault(value)) return;
  if (Array.isArray(value)) {
    if (value.every((v) => !isObject(v) && !Array.isArray(v))) {
      out.push(`${indent}${key}: [ ${value.map((v) => scalar(key, v)).join(', ')} ]`);
      return;
    }
    out.push(`${indent}${key} [`);
    value.forEach((item, i) => {
      out.push(`${indent}  {`);
      if (isObject(item)) message(item, `${indent}    `, out);
      out.push(`${indent}  }${i < value.length - 1 ? ',' : ''}`);
    });
    out.push(`${indent}]`);
    return;
  }
  if (isObject(value)) {
    // `input` / `output` are maps only inside ensemble steps and warmup samples (objects there);
    // in the config root they are lists (handled above).
    if (MAP_FIELDS.has(key)) {
      for (const [k, v] of Object.entries(value)) {
        if (isObject(v)) {
          out.push(`${indent}${key} {`);
          out.push(`${indent}  key: ${mapKey(key, k)}`);
          out.push(`${indent}  value {`);
          message(v, `${indent}    `, out);
          out.push(`${indent}  }`);
          out.push(`${indent}}`);
        } else {
          out.push(`${indent}${key} { key: ${JSON.stringify(k)} value: ${scalar(key, v)} }`);
        }
      }
      return;
    }
    out.push(`${indent}${key} {`);
    message(value, `${indent}  `, out);
    out.push(`${indent}}`);
    return;
  }
  out.push(`${indent}${key}: ${scalar(key, value)}`);
}

function message(value: { [key: string]: Json }, indent: string, out: string[]): void {
  for (const [key, v] of Object.entries(value)) field(key, v, indent, out);
}

/**
 * The config as protobuf text.
 *
 * @example
 * ```ts
 * configToPbtxt({ name: 'm', max_batch_size: 0, input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [4] }] });
 * // 'name: "m"\ninput [\n  {\n    name: "x"\n    data_type: TYPE_FP32\n    dims: [ 4 ]\n  }\n]\n'
 * ```
 */
export function configToPbtxt(config: unknown): string {
  if (!isObject(config as Json)) return '';
  const out: string[] = [];
  message(config as { [key: string]: Json }, '', out);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
