/**
 * One trace output file (`trace_file`) and its indexed siblings (`<trace_file>.<n>`), written as
 * Triton writes them (src/tracer.cc `TraceFile::SaveTraces`): the main file is one JSON array,
 * opened (truncated) at the first write, `[` then the traces, `,` between writes, `]` when the
 * server stops; an indexed file is a complete array of its own, numbered from 0.
 *
 * Every write is asynchronous (fs/promises) and they run one after another on a promise chain, so
 * the event loop never blocks on the disk. What is queued is bounded: past `maxPendingBytes`
 * waiting to be written, further traces are dropped, counted, and reported once per burst through
 * `onDrop` rather than growing memory without limit behind a slow disk.
 */
import { constants } from 'node:fs';
import { access, open, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Default bound on trace text queued for the disk. */
export const DEFAULT_MAX_PENDING_TRACE_BYTES = 64 * 1024 * 1024;

/** Options of a {@link TraceFile}. */
export interface TraceFileOptions {
  /** Bound on text queued for the disk (default {@link DEFAULT_MAX_PENDING_TRACE_BYTES}). */
  readonly maxPendingBytes?: number;
  /** Told about a write that failed (once per failure) or text dropped because the queue was full. */
  readonly onProblem?: (problem: { kind: 'write-failed'; error: unknown } | { kind: 'dropped'; bytes: number }) => void;
}

/**
 * @example
 * ```ts
 * const file = new TraceFile('/tmp/trace.json');
 * file.appendMain('{"id":1,"timestamps":[{"name":"REQUEST_START","ns":1}]}');
 * await file.close(); // /tmp/trace.json is now a complete JSON array
 * ```
 */
export class TraceFile {
  private nextIndex = 0;
  private handle: Promise<FileHandle> | undefined;
  private wroteMain = false;
  private chain: Promise<void> = Promise.resolve();
  private pendingBytes = 0;
  private dropping = false;
  private failing = false;
  private closed = false;
  /** Bytes of trace text dropped so far because the write queue was full. */
  droppedBytes = 0;

  constructor(
    readonly path: string,
    private readonly options: TraceFileOptions = {},
  ) {}

  /** Appends traces (JSON objects joined by `,`, no brackets) to the main file's array. */
  appendMain(text: string): void {
    if (!this.admit(text)) return;
    const first = !this.wroteMain;
    this.wroteMain = true;
    this.enqueue(text.length, async () => {
      this.handle ??= open(this.path, 'w');
      const handle = await this.handle;
      await handle.write(first ? `[${text}` : `,${text}`);
    });
  }

  /** Writes traces (JSON objects joined by `,`) as a complete array to `<path>.<n>`, n counting from 0. */
  writeIndexed(text: string): void {
    if (!this.admit(text)) return;
    const name = `${this.path}.${this.nextIndex++}`;
    this.enqueue(text.length, () => writeFile(name, `[${text}]`));
  }

  /** Resolves once everything queued so far is on disk (or failed). */
  flushed(): Promise<void> {
    return this.chain;
  }

  /** Ends the main file's array and closes it; later writes are dropped. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    // The main file is opened by its first queued write: look for it once those have run.
    this.enqueue(1, async () => {
      if (this.handle === undefined) return;
      const h = await this.handle;
      try {
        await h.write(']');
      } finally {
        await h.close();
      }
    });
    return this.chain;
  }

  private admit(text: string): boolean {
    if (this.closed) return false;
    const max = this.options.maxPendingBytes ?? DEFAULT_MAX_PENDING_TRACE_BYTES;
    if (this.pendingBytes + text.length > max) {
      this.droppedBytes += text.length;
      if (!this.dropping) {
        this.dropping = true;
        this.options.onProblem?.({ kind: 'dropped', bytes: text.length });
      }
      return false;
    }
    this.dropping = false;
    return true;
  }

  private enqueue(bytes: number, write: () => Promise<unknown>): void {
    this.pendingBytes += bytes;
    this.chain = this.chain.then(async () => {
      try {
        await write();
        this.failing = false;
      } catch (error) {
        // Reported once until a write succeeds again, not once per trace.
        if (!this.failing) this.options.onProblem?.({ kind: 'write-failed', error });
        this.failing = true;
      } finally {
        this.pendingBytes -= bytes;
      }
    });
  }
}

/**
 * Checks that the trace file can be created or written (its folder exists and is writable, and
 * the file, if there, is writable), so a wrong `triton,file=` stops start-up instead of every
 * trace failing later. Throws an Error naming the path.
 *
 * @example
 * ```ts
 * await assertTraceFileWritable('/tmp/trace.json');
 * ```
 */
export async function assertTraceFileWritable(path: string): Promise<void> {
  try {
    await access(dirname(path), constants.W_OK);
    await access(path, constants.W_OK).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  } catch (err) {
    throw new Error(`--trace-config triton,file=${path}: the trace file cannot be written (${(err as Error).message})`);
  }
}
