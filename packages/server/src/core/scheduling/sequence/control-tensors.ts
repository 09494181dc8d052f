/**
 * The control inputs of the sequence batcher (`sequence_batching.control_input`): tensors the
 * server adds to every request of a sequence-batched model, telling the model whether the request
 * starts or ends its sequence, whether its batch slot holds a request at all (READY), and which
 * sequence it belongs to (CORRID). As Triton: each is one element per request, shape `[1]`, or
 * `[1, 1]` when the model batches; START/END/READY take the config's false/true pair in INT32,
 * FP32 or BOOL; CORRID is UINT64, INT64, UINT32, INT32 or STRING (BYTES on the wire).
 */
import type { DataType } from '@tensorgate/protocol';
import { InferenceError } from '../../errors.js';
import type { Tensor } from '../../types.js';

/** A START, END or READY control: its tensor name and the element bytes for false and true. */
export interface FlagControl {
  readonly name: string;
  readonly datatype: 'INT32' | 'FP32' | 'BOOL';
  /** The false and true values as the config gives them. */
  readonly values: readonly [number | boolean, number | boolean];
}

/** The CORRID control: tensor name and the datatype the model expects. */
export interface CorridControl {
  readonly name: string;
  readonly datatype: 'UINT64' | 'INT64' | 'UINT32' | 'INT32' | 'BYTES';
}

/** Every control a model declared (absent ones are not sent). */
export interface ControlSpecs {
  readonly start?: FlagControl;
  readonly end?: FlagControl;
  readonly ready?: FlagControl;
  readonly corrid?: CorridControl;
  /** Names of all control tensors, so a client cannot send one itself. */
  readonly names: ReadonlySet<string>;
}

/** The control values of one request. */
export interface ControlValues {
  readonly start: boolean;
  readonly end: boolean;
  readonly ready: boolean;
  /** The correlation id; 0 (or '') in empty slots. */
  readonly corrid: number | string;
}

type Obj = Record<string, unknown>;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

const CORRID_TYPES: Readonly<Record<string, CorridControl['datatype']>> = {
  TYPE_UINT64: 'UINT64',
  TYPE_INT64: 'INT64',
  TYPE_UINT32: 'UINT32',
  TYPE_INT32: 'INT32',
  TYPE_STRING: 'BYTES',
};

function flagControl(name: string, c: Obj): FlagControl {
  const i32 = list(c['int32_false_true']);
  if (i32.length === 2) return { name, datatype: 'INT32', values: [num(i32[0]), num(i32[1])] };
  const f32 = list(c['fp32_false_true']);
  if (f32.length === 2) return { name, datatype: 'FP32', values: [num(f32[0]), num(f32[1])] };
  const b = list(c['bool_false_true']);
  return { name, datatype: 'BOOL', values: [b[0] === true, b[1] === true] };
}

/**
 * Reads `control_input` of a normalized, validated `sequence_batching` block.
 *
 * @example
 * ```ts
 * const specs = controlSpecs([{ name: 'START', control: [{ kind: 'CONTROL_SEQUENCE_START', int32_false_true: [0, 1] }] }]);
 * specs.start; // { name: 'START', datatype: 'INT32', values: [0, 1] }
 * ```
 */
export function controlSpecs(controlInput: unknown): ControlSpecs {
  let start: FlagControl | undefined;
  let end: FlagControl | undefined;
  let ready: FlagControl | undefined;
  let corrid: CorridControl | undefined;
  const names = new Set<string>();
  for (const ci of list(controlInput) as Obj[]) {
    const name = String(ci['name']);
    names.add(name);
    for (const c of list(ci['control']) as Obj[]) {
      switch ((c['kind'] as string | undefined) ?? 'CONTROL_SEQUENCE_START') {
        case 'CONTROL_SEQUENCE_START':
          start = flagControl(name, c);
          break;
        case 'CONTROL_SEQUENCE_END':
          end = flagControl(name, c);
          break;
        case 'CONTROL_SEQUENCE_READY':
          ready = flagControl(name, c);
          break;
        case 'CONTROL_SEQUENCE_CORRID':
          corrid = { name, datatype: CORRID_TYPES[String(c['data_type'])] ?? 'UINT64' };
          break;
      }
    }
  }
  return { ...(start && { start }), ...(end && { end }), ...(ready && { ready }), ...(corrid && { corrid }), names };
}

function flagTensor(c: FlagControl, on: boolean, shape: readonly number[]): Tensor {
  const v = c.values[on ? 1 : 0];
  let data: Uint8Array;
  if (c.datatype === 'INT32') data = new Uint8Array(new Int32Array([Number(v)]).buffer);
  else if (c.datatype === 'FP32') data = new Uint8Array(new Float32Array([Number(v)]).buffer);
  else data = Uint8Array.of(v === true ? 1 : 0);
  return { name: c.name, datatype: c.datatype, shape, data };
}

function corridTensor(c: CorridControl, id: number | string, shape: readonly number[]): Tensor {
  let data: Uint8Array;
  if (c.datatype === 'BYTES') {
    const text = Buffer.from(String(id), 'utf8');
    data = new Uint8Array(4 + text.length);
    new DataView(data.buffer).setUint32(0, text.length, true);
    data.set(text, 4);
  } else {
    const n = typeof id === 'number' ? id : 0;
    if (c.datatype === 'UINT64') data = new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
    else if (c.datatype === 'INT64') data = new Uint8Array(new BigInt64Array([BigInt.asIntN(64, BigInt(n))]).buffer);
    else if (c.datatype === 'UINT32') data = new Uint8Array(new Uint32Array([n]).buffer);
    else data = new Uint8Array(new Int32Array([n]).buffer);
  }
  return { name: c.name, datatype: c.datatype as DataType, shape, data };
}

/**
 * The control tensors of one request, freshly allocated (a backend may take their buffers).
 *
 * @example
 * ```ts
 * const extra = controlTensors(specs, { start: true, end: false, ready: true, corrid: 1000 }, true);
 * ```
 */
export function controlTensors(specs: ControlSpecs, values: ControlValues, batching: boolean): Tensor[] {
  const shape = batching ? [1, 1] : [1];
  const out: Tensor[] = [];
  if (specs.start) out.push(flagTensor(specs.start, values.start, shape));
  if (specs.end) out.push(flagTensor(specs.end, values.end, shape));
  if (specs.ready) out.push(flagTensor(specs.ready, values.ready, shape));
  if (specs.corrid) out.push(corridTensor(specs.corrid, values.corrid, shape));
  return out;
}

/**
 * Checks that a request's sequence id has the kind the model's CORRID control expects (a string
 * id for a STRING control, an integer id for an integer one), with Triton's message otherwise.
 *
 * @example
 * ```ts
 * checkCorridKind(specs, 'abc', 'simple_dyna_sequence'); // throws INVALID_ARG for a UINT64 CORRID
 * ```
 */
export function checkCorridKind(specs: ControlSpecs, id: number | string, model: string): void {
  const c = specs.corrid;
  if (!c) return;
  const isString = typeof id === 'string';
  if (isString === (c.datatype === 'BYTES')) return;
  throw new InferenceError(
    'INVALID_ARG',
    `sequence batching control '${c.name}' data-type is '${isString ? 'BYTES' : 'UINT64'}', but model '${model}' ` +
      `expects '${c.datatype}'`,
  );
}
