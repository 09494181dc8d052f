/**
 * ONNX external data: a model may keep tensors (initializers, constant attributes, sparse tensors,
 * in the main graph, subgraphs, functions and training graphs) in other files, named by each
 * TensorProto's `external_data` entry `location`, which ONNX Runtime resolves relative to the model
 * file. A location could name any file on the host (`../../secret.bin`, an absolute path, a link
 * out of the folder), so before a session is created every location is checked to be a file inside
 * the model folder (see `backend-api/confined-path.ts`).
 *
 * The scan reads only the protobuf structure around the tensors, from the file with positional
 * reads of a small window: the tensors' `raw_data` (nearly all of a model's bytes) is skipped by
 * offset, never read, so a 2 GB model costs a few reads of its metadata, not 2 GB of memory. It is
 * written by hand for that reason: protobufjs (and onnx-proto on it) decodes from a buffer holding
 * the whole message, which would read the model once more into memory for each instance.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { resolveConfinedPath } from '../../backend-api/confined-path.js';
import { invalidArg } from '../../core/errors.js';

/** One tensor stored outside the model file. */
export interface ExternalDataRef {
  /** The tensor's name ('' when it has none, e.g. an attribute value). */
  readonly tensor: string;
  /** Its `external_data` `location`, as written in the model. */
  readonly location: string;
}

/** What a scan read from the file (for tests and measurements). */
export interface ScanStats {
  reads: number;
  bytesRead: number;
}

/** Bytes read per positional read; every field the scan looks at (names, locations) fits. */
const WINDOW = 64 * 1024;
/** Longest `location` accepted (PATH_MAX). */
const MAX_LOCATION = 4096;
/** Nesting of graphs (subgraphs of If/Loop/Scan, functions) the scan follows. */
const MAX_DEPTH = 64;
/** ONNX Runtime's tag for tensors whose "location" is a memory address, never valid in a file. */
export const ORT_MEMORY_ADDRESS_TAG = '*/_ORT_MEM_ADDR_/*';

/** A window of the file, refilled with a positional read whenever a field lies outside it. */
class FileWindow {
  private readonly buf = Buffer.allocUnsafe(WINDOW);
  private start = 0;
  private end = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly file: string,
    private readonly stats: ScanStats,
  ) {}

  /** True when `[pos, pos + n)` is in the window (`n` ≤ WINDOW). */
  has(pos: number, n: number): boolean {
    return pos >= this.start && pos + n <= this.end;
  }

  /** Moves the window to start at `pos`. */
  async load(pos: number): Promise<void> {
    const { bytesRead } = await this.fh.read(this.buf, 0, WINDOW, pos);
    this.stats.reads++;
    this.stats.bytesRead += bytesRead;
    this.start = pos;
    this.end = pos + bytesRead;
  }

  byte(pos: number): number {
    if (pos >= this.end) throw malformed(this.file, 'truncated');
    return this.buf[pos - this.start]!;
  }

  async text(pos: number, n: number): Promise<string> {
    if (!this.has(pos, n)) await this.load(pos);
    if (!this.has(pos, n)) throw malformed(this.file, 'truncated');
    return this.buf.toString('utf8', pos - this.start, pos - this.start + n);
  }
}

const malformed = (file: string, why: string) =>
  invalidArg(`${file} is not a valid ONNX model: protobuf parsing failed (${why})`);

/** Handles one length-delimited field `[start, end)` of a message. */
type OnField = (field: number, start: number, end: number) => Promise<void>;

/** The protobuf wire format reader of the scan: tags, varints, and skipping what is not looked at. */
class Scanner {
  readonly refs: ExternalDataRef[] = [];

  constructor(
    private readonly w: FileWindow,
    private readonly file: string,
  ) {}

  private async varint(pos: number, end: number): Promise<[number, number]> {
    if (!this.w.has(pos, Math.min(10, end - pos))) await this.w.load(pos);
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw malformed(this.file, 'truncated varint');
      const b = this.w.byte(pos++);
      value += (b & 0x7f) * scale;
      // Negative int64 values take 10 bytes and come out as large floats here: only skipped.
      if (b < 0x80) return [value, pos];
      scale *= 128;
    }
    throw malformed(this.file, 'varint longer than 10 bytes');
  }

  /** Walks the fields of a message; length-delimited ones go to `onField`, the rest are skipped. */
  private async fields(start: number, end: number, onField: OnField): Promise<void> {
    let pos = start;
    while (pos < end) {
      let tag;
      [tag, pos] = await this.varint(pos, end);
      if (tag > 0xffffffff) throw malformed(this.file, 'tag too large');
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 0) throw malformed(this.file, 'field number 0');
      if (wire === 0) [, pos] = await this.varint(pos, end);
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        let len;
        [len, pos] = await this.varint(pos, end);
        if (len > end - pos) throw malformed(this.file, 'field runs past its message');
        await onField(field, pos, pos + len);
        pos += len;
      } else throw malformed(this.file, `wire type ${wire}`);
      if (pos > end) throw malformed(this.file, 'field runs past its message');
    }
  }

  private deeper(depth: number): number {
    if (depth >= MAX_DEPTH) throw malformed(this.file, `graphs nested deeper than ${MAX_DEPTH}`);
    return depth + 1;
  }

  /** ModelProto: graph 7, training_info 20, functions 25. */
  model(start: number, end: number): Promise<void> {
    return this.fields(start, end, async (f, s, e) => {
      if (f === 7) await this.graph(s, e, 0);
      else if (f === 20) await this.trainingInfo(s, e);
      else if (f === 25) await this.function(s, e);
    });
  }

  /** TrainingInfoProto: initialization 1, algorithm 2 (graphs). */
  private trainingInfo(start: number, end: number): Promise<void> {
    return this.fields(start, end, async (f, s, e) => {
      if (f === 1 || f === 2) await this.graph(s, e, 0);
    });
  }

  /** FunctionProto: node 7, attribute_proto 11. */
  private function(start: number, end: number): Promise<void> {
    return this.fields(start, end, async (f, s, e) => {
      if (f === 7) await this.node(s, e, 0);
      else if (f === 11) await this.attribute(s, e, 0);
    });
  }

  /** GraphProto: node 1, initializer 5, sparse_initializer 15. */
  private graph(start: number, end: number, depth: number): Promise<void> {
    const d = this.deeper(depth);
    return this.fields(start, end, async (f, s, e) => {
      if (f === 1) await this.node(s, e, d);
      else if (f === 5) await this.tensor(s, e);
      else if (f === 15) await this.sparse(s, e);
    });
  }

  /** NodeProto: attribute 5. */
  private node(start: number, end: number, depth: number): Promise<void> {
    return this.fields(start, end, async (f, s, e) => {
      if (f === 5) await this.attribute(s, e, depth);
    });
  }

  /** AttributeProto: t 5, g 6, tensors 10, graphs 11, sparse_tensor 22, sparse_tensors 23. */
  private attribute(start: number, end: number, depth: number): Promise<void> {
    return this.fields(start, end, async (f, s, e) => {
      if (f === 5 || f === 10) await this.tensor(s, e);
      else if (f === 6 || f === 11) await this.graph(s, e, depth);
      else if (f === 22 || f === 23) await this.sparse(s, e);
    });
  }

  /** SparseTensorProto: values 1, indices 2. */
  private sparse(start: number, end: number): Promise<void> {
    return this.fields(start, end, async (f, s, e) => {
      if (f === 1 || f === 2) await this.tensor(s, e);
    });
  }

  /** TensorProto: name 8, external_data 13 (StringStringEntryProto key 1, value 2). */
  private async tensor(start: number, end: number): Promise<void> {
    let name = '';
    const locations: string[] = [];
    await this.fields(start, end, async (f, s, e) => {
      if (f === 8) name = await this.w.text(s, Math.min(e - s, 256));
      if (f !== 13) return;
      let key = '';
      let value: string | undefined;
      await this.fields(s, e, async (ef, es, ee) => {
        if (ef === 1) key = await this.w.text(es, Math.min(ee - es, 64));
        else if (ef === 2) {
          if (ee - es > MAX_LOCATION)
            throw malformed(this.file, `an external data location longer than ${MAX_LOCATION}`);
          value = await this.w.text(es, ee - es);
        }
      });
      if (key === 'location' && value !== undefined) locations.push(value);
    });
    for (const location of locations) this.refs.push({ tensor: name, location });
  }
}

/**
 * Every external data reference of an ONNX model file, read without loading its tensors.
 *
 * @throws InferenceError INVALID_ARG when the file is not a well-formed protobuf message
 * @example
 * ```ts
 * await listExternalData('/models/big/1/model.onnx'); // [{ tensor: 'W', location: 'weights.bin' }]
 * ```
 */
export async function listExternalData(
  file: string,
  stats: ScanStats = { reads: 0, bytesRead: 0 },
): Promise<ExternalDataRef[]> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const scanner = new Scanner(new FileWindow(fh, file, stats), file);
    await scanner.model(0, size);
    return scanner.refs;
  } finally {
    await fh.close();
  }
}

/**
 * Checks that every external data file of the ONNX model `file` is a file inside the model folder
 * `modelPath`; call it before ONNX Runtime opens `file` (it opens these files too).
 *
 * @throws InferenceError INVALID_ARG `external_data location '<location>' of tensor '<name>' in
 *   <file> resolves outside the model folder '<modelPath>'`, or `... is not a file` when it names
 *   nothing (ONNX Runtime would read a missing location's tensor from a memory address)
 * @example
 * ```ts
 * await checkExternalData('/models/big/1/model.onnx', '/models/big');
 * ```
 */
export async function checkExternalData(file: string, modelPath: string): Promise<void> {
  const checked = new Set<string>();
  for (const { tensor, location } of await listExternalData(file)) {
    if (checked.has(location)) continue;
    checked.add(location);
    const owner = `tensor '${tensor}' in ${file}`;
    if (location === ORT_MEMORY_ADDRESS_TAG) {
      throw invalidArg(
        `external_data location '${location}' of ${owner}: a memory address is not allowed in a model file`,
      );
    }
    const resolved = await resolveConfinedPath(location, {
      modelPath,
      base: dirname(file),
      field: 'external_data location',
      owner,
    });
    if (resolved.kind !== 'file') {
      throw invalidArg(`external_data location '${location}' of ${owner} is not a file (${resolved.path})`);
    }
  }
}
