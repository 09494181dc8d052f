/**
 * Refuses, at load time, every config field tensorgate does not implement, naming it: a Triton
 * config that asks for the sequence batcher, repository agents, host policies... fails with
 * UNSUPPORTED `model 'm': instance_group[0].host_policy is not supported yet` instead of loading
 * and behaving as if the block were absent.
 *
 * The rule (docs/model-config.md): a field whose rule in `config-fields.ts` is `refused` fails the
 * load only when it holds something other than its default, judged on the normalized config. So a
 * config that spells defaults out (`response_cache { enable: false }`, `passive: false`, a
 * `host_policy: ""`), and the JSON of a config endpoint (Triton's or ours, which prints every
 * default) load; only a oneof scheduler choice (`sequence_batching`, `ensemble_scheduling`) is
 * refused as soon as it is there, since its presence alone selects a scheduler.
 *
 * It also checks `parameters` keys against what the backend reads ({@link BackendConfigSupport}).
 */
import type { Field, Type } from 'protobufjs';
import { invalidArg, unsupported } from '../errors.js';
import { CONFIG_FIELDS } from './config-fields.js';
import type { ModelConfig } from './model-config.js';
import { modelConfigType } from './pbtxt-to-object.js';
import { asEnum, asMessage, isMapField } from './proto-scalars.js';

type Obj = Record<string, unknown>;

/** What a backend implements of the model config beyond the core's share. */
export interface BackendConfigSupport {
  /**
   * Paths of `backend` rules in config-fields.ts this backend implements (e.g.
   * `optimization.graph`); under other backends those fields must hold their defaults.
   */
  readonly fields?: readonly string[];
  /**
   * The `parameters` keys the backend reads; any other key fails the load (INVALID_ARG). `'any'`
   * when every key is legitimate, as for the js backend, which hands the config to model code.
   */
  readonly parameters: readonly string[] | 'any';
  /**
   * Keys that mean something elsewhere (Triton's backend of the same name, or another tensorgate
   * backend) but not here, with the reason: refused as UNSUPPORTED, saying why.
   */
  readonly unsupportedParameters?: Readonly<Record<string, string>>;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `value` is what protobuf would print for `field` left unset (messages: every field). */
export function isDefaultValue(value: unknown, field: Field): boolean {
  if (value === undefined || value === null) return true;
  if (isMapField(field)) return isObj(value) && Object.keys(value).length === 0;
  if (field.repeated) return Array.isArray(value) && value.length === 0;
  const message = asMessage(field);
  if (message) return isObj(value) && isDefaultMessage(value, message);
  const e = asEnum(field);
  if (e) return value === 0 || value === e.valuesById[0];
  if (field.type === 'bool') return value === false;
  if (field.type === 'string' || field.type === 'bytes') return value === '';
  // 64-bit integers may arrive as strings from protobuf JSON.
  return value === 0 || value === '0';
}

function isDefaultMessage(value: Obj, type: Type): boolean {
  return type.fieldsArray.every((f) => isDefaultValue(value[f.name], f));
}

interface Walk {
  readonly model: string;
  readonly backend: string;
  readonly fields: ReadonlySet<string>;
}

function walk(value: Obj, type: Type, rulePath: string, shown: string, ctx: Walk): void {
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    const key = rulePath ? `${rulePath}.${field.name}` : field.name;
    const where = shown ? `${shown}.${field.name}` : field.name;
    const rule = CONFIG_FIELDS[key];
    // config-fields.test.ts keeps the table complete; an unclassified field must not pass unseen.
    if (!rule) throw unsupported(`model '${ctx.model}': ${where} is not supported yet`);
    if (rule.status === 'refused') {
      if (rule.presence === true || !isDefaultValue(v, field)) {
        throw unsupported(`model '${ctx.model}': ${where} is not supported yet`);
      }
      continue;
    }
    if (rule.status === 'backend') {
      if (!ctx.fields.has(key) && !isDefaultValue(v, field)) {
        throw unsupported(`model '${ctx.model}': ${where} is not supported by the ${ctx.backend} backend`);
      }
      continue;
    }
    const message = asMessage(field);
    if (!message) continue;
    if (isMapField(field)) {
      if (isObj(v))
        for (const [k, mv] of Object.entries(v)) descend(mv, message, key, `${where}[${JSON.stringify(k)}]`, ctx);
    } else if (field.repeated) {
      if (Array.isArray(v)) v.forEach((item, i) => descend(item, message, key, `${where}[${i}]`, ctx));
    } else {
      descend(v, message, key, where, ctx);
    }
  }
}

function descend(v: unknown, type: Type, rulePath: string, shown: string, ctx: Walk): void {
  if (isObj(v)) walk(v, type, rulePath, shown, ctx);
}

function checkParameters(config: ModelConfig, backend: string, support: BackendConfigSupport | undefined): void {
  const known = support?.parameters ?? [];
  if (known === 'any') return;
  const reasons = support?.unsupportedParameters ?? {};
  for (const key of Object.keys(config.parameters)) {
    if (known.includes(key)) continue;
    const why = Object.hasOwn(reasons, key) ? reasons[key] : undefined;
    if (why !== undefined) {
      throw unsupported(
        `model '${config.name}': parameter '${key}' is not supported by the ${backend} backend: ${why}`,
      );
    }
    const list = known.length > 0 ? `known: ${known.join(', ')}` : 'it reads none';
    throw invalidArg(`model '${config.name}': unknown parameter '${key}' for the ${backend} backend (${list})`);
  }
}

/**
 * Fails when the normalized `config` asks for something tensorgate (or `backend`) does not
 * implement: a refused field holding a non-default value, a backend-specific field the backend
 * does not implement, or a `parameters` key the backend does not read.
 *
 * @param backend - the name of the backend that will serve the model
 * @throws InferenceError UNSUPPORTED naming the field (dotted path with indices), or the
 *   parameter the backend does not implement; INVALID_ARG for a parameter key nobody knows
 * @example
 * ```ts
 * checkConfigSupport(config, 'js', { parameters: 'any' });
 * // throws "model 'm': sequence_batching is not supported yet" for a config with sequence_batching
 * ```
 */
export function checkConfigSupport(
  config: ModelConfig,
  backend: string,
  support: BackendConfigSupport | undefined,
): void {
  const ctx: Walk = { model: config.name, backend, fields: new Set(support?.fields ?? []) };
  walk(config, modelConfigType(), '', '', ctx);
  checkParameters(config, backend, support);
}
