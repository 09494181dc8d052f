/**
 * A tensor as Triton's TENSORS trace level writes it (src/tracer.cc `TraceTensorActivity`):
 * `{"id":..,"activity":"TENSOR_QUEUE_INPUT","tensor":{"name":..,"data":"1,2,3","shape":"1,3","dtype":"INT32"}}`.
 * The data is the elements joined by commas; BYTES elements are each in escaped quotes; FP16 and
 * BF16 data is left empty, as in Triton. Unlike Triton, a tensor of more than
 * {@link MAX_TRACED_ELEMENTS} elements is cut there (the data ends with `,...`), so one large
 * tensor cannot hold the event loop or the trace file hostage.
 */
import type { Tensor } from '../types.js';

/** Elements written per traced tensor; the rest is elided as `,...`. */
export const MAX_TRACED_ELEMENTS = 65536;

function numbers(t: Tensor, count: number): string {
  const data = t.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parts: string[] = [];
  const read = (i: number): string => {
    switch (t.datatype) {
      case 'BOOL':
        return data[i] === 0 ? '0' : '1';
      case 'UINT8':
        return String(data[i]);
      case 'INT8':
        return String(view.getInt8(i));
      case 'UINT16':
        return String(view.getUint16(i * 2, true));
      case 'INT16':
        return String(view.getInt16(i * 2, true));
      case 'UINT32':
        return String(view.getUint32(i * 4, true));
      case 'INT32':
        return String(view.getInt32(i * 4, true));
      case 'UINT64':
        return String(view.getBigUint64(i * 8, true));
      case 'INT64':
        return String(view.getBigInt64(i * 8, true));
      case 'FP32':
        return String(view.getFloat32(i * 4, true));
      case 'FP64':
        return String(view.getFloat64(i * 8, true));
      default:
        return '';
    }
  };
  try {
    for (let i = 0; i < count; i++) parts.push(read(i));
  } catch {
    // Fewer bytes than the shape says (never for validated tensors): write what there is.
  }
  return parts.join(',');
}

function strings(t: Tensor, count: number): string {
  const data = t.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < count && at + 4 <= data.byteLength; i++) {
    const len = view.getUint32(at, true);
    at += 4;
    if (at + len > data.byteLength) break;
    parts.push(`"${Buffer.from(data.buffer, data.byteOffset + at, len).toString('utf8')}"`);
    at += len;
  }
  return parts.join(',');
}

/**
 * The JSON object of one tensor activity of trace `id`.
 *
 * @example
 * ```ts
 * tensorTraceRecord(1, 'TENSOR_QUEUE_INPUT', { name: 'x', datatype: 'INT32', shape: [1], data: new Uint8Array(4) });
 * // '{"id":1,"activity":"TENSOR_QUEUE_INPUT","tensor":{"name":"x","data":"0","shape":"1","dtype":"INT32"}}'
 * ```
 */
export function tensorTraceRecord(id: number, activity: string, t: Tensor): string {
  let elements = 1;
  for (const d of t.shape) elements *= d;
  const count = Math.min(elements, MAX_TRACED_ELEMENTS);
  let data = '';
  if (t.datatype === 'BYTES') data = strings(t, count);
  else if (t.datatype !== 'FP16' && t.datatype !== 'BF16') data = numbers(t, count);
  if (count < elements) data += ',...';
  return (
    `{"id":${id},"activity":"${activity}","tensor":{"name":${JSON.stringify(t.name)},` +
    `"data":${JSON.stringify(data)},"shape":"${t.shape.join(',')}","dtype":"${t.datatype}"}}`
  );
}
