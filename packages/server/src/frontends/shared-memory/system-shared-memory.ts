/**
 * The server's shared-memory regions (Triton's shared-memory extension, `SharedMemoryManager`):
 * regions a client created (`/dev/shm/<key>`) and registered under a name, with an offset and a
 * byte size into the object. One registry per server, shared by HTTP and gRPC.
 *
 * Node has no `mmap` in core, and no well-kept npm package maps files without building native
 * code at install (`mmap-io` and `shmmap` compile with node-gyp in an install script), so a
 * region is an open file handle on its tmpfs object: inputs are read from it and outputs written
 * into it with positioned reads and writes (`pread`/`pwrite`), which reach the very pages the
 * client has mapped, so the client sees outputs as soon as the response arrives. A read or write
 * of at most {@link SYNC_IO_MAX_BYTES} is done at once on the event loop (a page-cache copy of a
 * few microseconds); larger ones run on libuv's thread pool, so a 19 MB tensor does not stall
 * other requests while it is copied.
 *
 * Bounds follow Triton: a region must lie inside its object when registered
 * (`failed to register shared memory region '<name>': invalid args`), and a tensor inside its
 * region (`Invalid offset for ...`, `Invalid offset + byte size for ...`). Limits of our own:
 * at most `maxRegions` regions, at most `maxBytes` bytes in all regions together
 * (RESOURCE_EXHAUSTED past either). A region unregistered while requests use it is closed when
 * the last of them is done.
 */
import { constants as bufferConstants } from 'node:buffer';
import { readSync, writeSync, type promises as fsp } from 'node:fs';
import { InferenceError, invalidArg, internal, notFound, unsupported } from '../../core/errors.js';
import { DEFAULT_SHM_DIR, openShmObject, shmObjectName } from './shm-key.js';

/** Triton's message when client shared memory is off (`--allow-client-shm` false, the default). */
export const CLIENT_SHM_DISABLED =
  "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to enable.";

/** Registering a CUDA region: tensorgate runs models on CPU (and ONNX Runtime's own devices). */
export const CUDA_SHM_UNSUPPORTED =
  'CUDA shared memory is not supported by tensorgate (its tensors live in host memory); register system shared memory instead';

/** Reads and writes up to this size run on the event loop; larger ones on the thread pool. */
export const SYNC_IO_MAX_BYTES = 256 * 1024;

/** Default of `--shared-memory-max-regions`. */
export const DEFAULT_SHM_MAX_REGIONS = 256;
/** Default of `--shared-memory-max-bytes`: 16 GiB over all regions. */
export const DEFAULT_SHM_MAX_BYTES = 16 * 1024 * 1024 * 1024;

/** Options of {@link SharedMemoryRegistry}. */
export interface SharedMemoryOptions {
  /** `--allow-client-shm`: clients may register and unregister regions (default false, as Triton). */
  allowClientShm?: boolean | undefined;
  /** Most regions registered at once (default {@link DEFAULT_SHM_MAX_REGIONS}). */
  maxRegions?: number | undefined;
  /** Most bytes of all registered regions together (default {@link DEFAULT_SHM_MAX_BYTES}). */
  maxBytes?: number | undefined;
  /** The directory of POSIX shared-memory objects (default `/dev/shm`; tests only). */
  dir?: string | undefined;
}

/** One system region as status reports it (Triton's JSON and gRPC field names). */
export interface SystemRegionStatus {
  readonly name: string;
  readonly key: string;
  readonly offset: number;
  readonly byte_size: number;
}

class Region {
  users = 0;
  unregistered = false;
  constructor(
    readonly name: string,
    readonly key: string,
    readonly offset: number,
    readonly byteSize: number,
    readonly handle: fsp.FileHandle,
  ) {}
}

/**
 * A tensor's range in a registered region, held from request decoding to the response: the
 * region stays open until {@link release}.
 */
export class RegionRange {
  private released = false;
  constructor(
    private readonly registry: SharedMemoryRegistry,
    private readonly region: Region,
    /** Offset of the range within the region. */
    readonly offset: number,
    /** Bytes in the range. */
    readonly byteSize: number,
  ) {}

  /** The region's name. */
  get regionName(): string {
    return this.region.name;
  }

  /** Copies the range out of the region into a new buffer. */
  async read(): Promise<Uint8Array> {
    const size = this.byteSize;
    const buf = Buffer.allocUnsafe(size);
    const at = this.region.offset + this.offset;
    const handle = this.region.handle;
    const got = size <= SYNC_IO_MAX_BYTES ? readSync(handle.fd, buf, 0, size, at) : await readFully(handle, buf, at);
    if (got !== size) throw this.shrunk();
    return buf;
  }

  /** Writes `data` at the start of the range (the caller checked it fits). */
  async write(data: Uint8Array): Promise<void> {
    const at = this.region.offset + this.offset;
    const handle = this.region.handle;
    // A write past the end would grow the client's object instead of failing as Triton's mapping does.
    const st = await handle.stat();
    if (st.size < at + data.byteLength) throw this.shrunk();
    if (data.byteLength <= SYNC_IO_MAX_BYTES) {
      let done = 0;
      while (done < data.byteLength) done += writeSync(handle.fd, data, done, data.byteLength - done, at + done);
    } else {
      let done = 0;
      while (done < data.byteLength) {
        done += (await handle.write(data, done, data.byteLength - done, at + done)).bytesWritten;
      }
    }
  }

  /** Gives the region back; it closes now if it was unregistered meanwhile. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.registry.releaseRegion(this.region);
  }

  private shrunk(): InferenceError {
    return internal(
      `shared memory region '${this.region.name}' (key '${this.region.key}') is smaller than when it was registered`,
    );
  }
}

async function readFully(handle: fsp.FileHandle, buf: Buffer, at: number): Promise<number> {
  let done = 0;
  while (done < buf.byteLength) {
    const { bytesRead } = await handle.read(buf, done, buf.byteLength - done, at + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * The registry of system shared-memory regions; CUDA regions are never registered.
 *
 * @example
 * ```ts
 * const shm = new SharedMemoryRegistry({ allowClientShm: true });
 * await shm.register('input0_data', '/input0_simple', 0, 64);
 * const range = shm.acquire('input0_data', 0, 64);
 * const bytes = await range.read();
 * range.release();
 * ```
 */
export class SharedMemoryRegistry {
  private readonly regions = new Map<string, Region>();
  /** Names being registered (the object is being opened), counted against the limits. */
  private readonly pending = new Map<string, number>();
  private totalBytes = 0;
  private readonly allow: boolean;
  private readonly maxRegions: number;
  private readonly maxBytes: number;
  private readonly dir: string;

  constructor(options: SharedMemoryOptions = {}) {
    this.allow = options.allowClientShm ?? false;
    this.maxRegions = options.maxRegions ?? DEFAULT_SHM_MAX_REGIONS;
    this.maxBytes = options.maxBytes ?? DEFAULT_SHM_MAX_BYTES;
    this.dir = options.dir ?? DEFAULT_SHM_DIR;
  }

  /** Whether clients may register regions (`--allow-client-shm`). */
  get allowClientShm(): boolean {
    return this.allow;
  }

  /** Status of one region (`name`) or of all (`''`); NOT_FOUND for an unknown name, as Triton. */
  status(name: string): SystemRegionStatus[] {
    if (name === '') return [...this.regions.values()].map(statusOf);
    const region = this.regions.get(name);
    if (region === undefined) throw notFound(`Unable to find system shared memory region: '${name}'`);
    return [statusOf(region)];
  }

  /**
   * Registers `name` for `byteSize` bytes at `offset` into the object `key` names. ALREADY_EXISTS
   * when the name is taken; INVALID_ARG for a bad key or a range outside the object; INTERNAL when
   * the object cannot be opened; RESOURCE_EXHAUSTED past the limits; UNSUPPORTED when client
   * shared memory is off.
   */
  async register(name: string, key: string, offset: number, byteSize: number): Promise<void> {
    this.assertClientShmAllowed();
    if (name === '') throw invalidArg("'region name' is necessary to register system shared memory region");
    shmObjectName(name, key);
    if (this.regions.has(name) || this.pending.has(name)) {
      throw new InferenceError('ALREADY_EXISTS', `shared memory region '${name}' already in manager`);
    }
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(byteSize) || byteSize < 0) {
      throw invalidArg(`failed to register shared memory region '${name}': invalid args`);
    }
    if (this.regions.size + this.pending.size >= this.maxRegions) {
      throw new InferenceError(
        'RESOURCE_EXHAUSTED',
        `cannot register shared memory region '${name}': ${this.maxRegions} regions are registered, the most this ` +
          `server allows (--shared-memory-max-regions); unregister one first`,
      );
    }
    if (this.totalBytes + byteSize > this.maxBytes) {
      throw new InferenceError(
        'RESOURCE_EXHAUSTED',
        `cannot register shared memory region '${name}': its ${byteSize} bytes would take the registered regions past ` +
          `${this.maxBytes} bytes, the most this server allows (--shared-memory-max-bytes)`,
      );
    }
    this.pending.set(name, byteSize);
    this.totalBytes += byteSize;
    let opened: { handle: fsp.FileHandle; size: number } | undefined;
    try {
      opened = await openShmObject(name, key, this.dir);
      if (offset + byteSize > opened.size) {
        throw invalidArg(`failed to register shared memory region '${name}': invalid args`);
      }
      this.regions.set(name, new Region(name, key, offset, byteSize, opened.handle));
      opened = undefined;
    } catch (e) {
      this.totalBytes -= byteSize;
      throw e;
    } finally {
      this.pending.delete(name);
      if (opened !== undefined) await opened.handle.close();
    }
  }

  /** Unregisters one region (`name`) or all (`''`); an unknown name is not an error, as in Triton. */
  unregister(name: string): void {
    this.assertClientShmAllowed();
    if (name === '') {
      for (const region of [...this.regions.values()]) this.drop(region);
      return;
    }
    const region = this.regions.get(name);
    if (region !== undefined) this.drop(region);
  }

  /**
   * The range `[offset, offset + byteSize)` of region `name`, held until released. Triton's
   * NOT_FOUND / INVALID_ARG messages for an unknown region and a range outside it.
   */
  acquire(name: string, offset: number, byteSize: number): RegionRange {
    const region = this.regions.get(name);
    if (region === undefined) throw notFound(`Unable to find shared memory region: '${name}'`);
    if (offset >= region.byteSize) throw invalidArg(`Invalid offset for shared memory region: '${name}'`);
    if (offset + byteSize > region.byteSize) {
      throw invalidArg(`Invalid offset + byte size for shared memory region: '${name}'`);
    }
    if (byteSize > bufferConstants.MAX_LENGTH) {
      throw invalidArg(
        `shared memory tensor of ${byteSize} bytes in region '${name}' is larger than a buffer can hold`,
      );
    }
    region.users++;
    return new RegionRange(this, region, offset, byteSize);
  }

  /** CUDA status: no CUDA region is ever registered, so all is `[]` and a name is NOT_FOUND. */
  cudaStatus(name: string): never[] {
    if (name === '') return [];
    const system = this.regions.has(name);
    throw notFound(
      system
        ? `The region named '${name}' is registered as system shared memory, not CUDA shared memory`
        : `Unable to find cuda shared memory region: '${name}'`,
    );
  }

  /** Registering a CUDA region: UNSUPPORTED. */
  cudaRegister(): never {
    this.assertClientShmAllowed();
    throw unsupported(CUDA_SHM_UNSUPPORTED);
  }

  /** Unregistering CUDA regions: there are none, so it succeeds (Triton's examples call it first). */
  cudaUnregister(): void {
    this.assertClientShmAllowed();
  }

  /** Number of registered regions and their bytes (for tests and logs). */
  usage(): { regions: number; bytes: number } {
    return { regions: this.regions.size, bytes: this.totalBytes };
  }

  /** Unregisters everything (server shutdown). */
  async close(): Promise<void> {
    const handles = [...this.regions.values()].map((r) => r.handle);
    this.regions.clear();
    this.totalBytes = 0;
    await Promise.allSettled(handles.map((h) => h.close()));
  }

  /** @internal A {@link RegionRange} is done with its region. */
  releaseRegion(region: Region): void {
    region.users--;
    if (region.unregistered && region.users === 0) void region.handle.close().catch(() => undefined);
  }

  private drop(region: Region): void {
    this.regions.delete(region.name);
    this.totalBytes -= region.byteSize;
    region.unregistered = true;
    if (region.users === 0) void region.handle.close().catch(() => undefined);
  }

  /** UNSUPPORTED with Triton's message unless clients may register regions (`--allow-client-shm`). */
  assertClientShmAllowed(): void {
    if (!this.allow) throw unsupported(CLIENT_SHM_DISABLED);
  }
}

function statusOf(r: Region): SystemRegionStatus {
  return { name: r.name, key: r.key, offset: r.offset, byte_size: r.byteSize };
}
