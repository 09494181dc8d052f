/**
 * Tensors in shared memory, for both frontends: an input or requested output whose parameters
 * name a region (`shared_memory_region`, with `shared_memory_byte_size` and
 * `shared_memory_offset`) is read from / written into that region instead of travelling in the
 * message. The frontends decode requests as usual (a shared-memory input with empty data and its
 * parameters), call {@link openSharedMemoryTensors} before the core sees the request and
 * {@link writeSharedMemoryOutputs} on each response. The shared-memory parameters are consumed
 * here: models never see them.
 */
import { internal, invalidArg } from '../../core/errors.js';
import type { InferRequest, InferResponse, Parameters, RequestedOutput, Tensor } from '../../core/types.js';
import type { RegionRange, SharedMemoryRegistry } from './system-shared-memory.js';

const REGION = 'shared_memory_region';
const OFFSET = 'shared_memory_offset';
const BYTE_SIZE = 'shared_memory_byte_size';

/** Which wire the request came on: the messages follow that frontend's wording in Triton. */
export type ShmProtocol = 'http' | 'grpc';

const EMPTY = new Uint8Array(0);

/** True when any input or requested output names a shared-memory region. */
export function usesSharedMemory(request: InferRequest): boolean {
  for (const t of request.inputs) if (t.parameters !== undefined && t.parameters[REGION] !== undefined) return true;
  for (const o of request.outputs) if (o.parameters[REGION] !== undefined) return true;
  return false;
}

interface ShmParams {
  readonly region: string;
  readonly offset: number;
  readonly byteSize: number;
}

function integerParam(p: Parameters, key: string, tensor: string, protocol: ShmProtocol): number {
  const v = p[key];
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalidArg(
      protocol === 'grpc'
        ? `invalid value type for '${key}' parameter for tensor '${tensor}', expected int64_param.`
        : `Unable to parse '${key}' of tensor '${tensor}': expected a non-negative integer, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** The shared-memory parameters of a tensor, undefined when it names no region. */
function shmParams(p: Parameters | undefined, tensor: string, protocol: ShmProtocol): ShmParams | undefined {
  if (p === undefined) return undefined;
  const region = p[REGION];
  if (region === undefined) {
    for (const key of [OFFSET, BYTE_SIZE]) {
      if (p[key] !== undefined) {
        throw invalidArg(`'${key}' can not be specified without '${REGION}' parameter for tensor '${tensor}'`);
      }
    }
    return undefined;
  }
  if (typeof region !== 'string') {
    throw invalidArg(
      protocol === 'grpc'
        ? `invalid value type for '${REGION}' parameter for tensor '${tensor}', expected string_param.`
        : `Unable to parse '${REGION}' of tensor '${tensor}': expected a string`,
    );
  }
  return {
    region,
    offset: integerParam(p, OFFSET, tensor, protocol),
    byteSize: integerParam(p, BYTE_SIZE, tensor, protocol),
  };
}

function withoutShm(p: Parameters): Parameters {
  const out: Parameters = {};
  for (const key of Object.keys(p)) if (key !== REGION && key !== OFFSET && key !== BYTE_SIZE) out[key] = p[key]!;
  return out;
}

/** A request with its shared-memory inputs read, and the regions its outputs go to. */
export interface SharedMemoryTensors {
  /** The request as the core should see it: inputs hold their bytes, no shared-memory parameters. */
  readonly request: InferRequest;
  /** Requested outputs that go to a region, by name. */
  readonly outputs: ReadonlyMap<string, RegionRange>;
  /** Gives every region back; call once the request is over (idempotent). */
  release(): void;
}

/**
 * Reads the shared-memory inputs of `request` and reserves its outputs' ranges. Errors (unknown
 * region, a range outside its region, a bad parameter, an output that also asks for
 * classification) are Triton's; every region taken so far is given back on failure.
 *
 * @example
 * ```ts
 * const shm = await openSharedMemoryTensors(request, registry, 'grpc');
 * try { ... core.infer(shm.request, ctx) ... } finally { shm.release(); }
 * ```
 */
export async function openSharedMemoryTensors(
  request: InferRequest,
  registry: SharedMemoryRegistry,
  protocol: ShmProtocol,
): Promise<SharedMemoryTensors> {
  const ranges: RegionRange[] = [];
  const release = (): void => {
    for (const r of ranges.splice(0)) r.release();
  };
  try {
    // Inputs first, then outputs, as Triton checks them.
    const inputs: Tensor[] = [];
    for (const t of request.inputs) {
      const shm = shmParams(t.parameters, t.name, protocol);
      if (shm === undefined) {
        inputs.push(t);
        continue;
      }
      if (t.data.byteLength > 0) {
        throw invalidArg(
          `unexpected 'content' provided when using shared memory for input tensor '${t.name}' for model '${request.modelName}'`,
        );
      }
      const range = registry.acquire(shm.region, shm.offset, shm.byteSize);
      ranges.push(range);
      const data = await range.read();
      const parameters = withoutShm(t.parameters!);
      inputs.push(
        Object.keys(parameters).length > 0
          ? { name: t.name, datatype: t.datatype, shape: t.shape, data, parameters }
          : { name: t.name, datatype: t.datatype, shape: t.shape, data },
      );
      // The input's bytes are ours now; the region is not needed for it any more.
      ranges.pop();
      range.release();
    }
    const outputMap = new Map<string, RegionRange>();
    const outputs: RequestedOutput[] = request.outputs.map((o) => {
      const shm = shmParams(o.parameters, o.name, protocol);
      if (shm === undefined) return o;
      if (o.parameters['classification'] !== undefined) {
        throw invalidArg(
          protocol === 'grpc'
            ? "output can't set both 'shared_memory_region' and 'classification'"
            : "Output can't set both 'shared_memory_region' and 'classification'",
        );
      }
      const range = registry.acquire(shm.region, shm.offset, shm.byteSize);
      ranges.push(range);
      outputMap.set(o.name, range);
      return { name: o.name, parameters: withoutShm(o.parameters) };
    });
    return { request: { ...request, inputs, outputs }, outputs: outputMap, release };
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * Writes the outputs of `response` that go to shared memory into their regions and returns the
 * response with those outputs' data empty (what Triton sends: name, datatype and shape only), and
 * their names. An output larger than its range fails with Triton's INTERNAL message.
 *
 * @example
 * ```ts
 * const { response: sent, inSharedMemory } = await writeSharedMemoryOutputs(response, shm.outputs);
 * ```
 */
export async function writeSharedMemoryOutputs(
  response: InferResponse,
  outputs: ReadonlyMap<string, RegionRange>,
): Promise<{ response: InferResponse; inSharedMemory: ReadonlySet<string> }> {
  const inSharedMemory = new Set<string>();
  if (outputs.size === 0) return { response, inSharedMemory };
  const tensors: Tensor[] = [];
  for (const t of response.outputs) {
    const range = outputs.get(t.name);
    if (range === undefined) {
      tensors.push(t);
      continue;
    }
    if (t.data.byteLength > range.byteSize) {
      throw internal(
        `shared memory size specified with the request for output '${t.name}' (${range.byteSize} bytes) should be at least ${t.data.byteLength} bytes to hold the results`,
      );
    }
    await range.write(t.data);
    inSharedMemory.add(t.name);
    tensors.push(
      t.parameters !== undefined
        ? { name: t.name, datatype: t.datatype, shape: t.shape, data: EMPTY, parameters: t.parameters }
        : { name: t.name, datatype: t.datatype, shape: t.shape, data: EMPTY },
    );
  }
  return { response: { ...response, outputs: tensors }, inSharedMemory };
}
