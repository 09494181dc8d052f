/**
 * The HTTP/REST client: KServe v2 routes plus Triton's binary tensor data, model repository,
 * statistics and generate extensions, over the platform's `fetch`. Browser-safe: no node: imports.
 */
import { callSignal, cancelledError, type CallSignal } from '../call-signal.js';
import { InferenceServerError, invalidArgument } from '../errors.js';
import type { InferenceClient } from '../inference-client.js';
import type { InferInput } from '../infer-input.js';
import type { InferResult } from '../infer-result.js';
import type {
  CallOptions,
  InferOptions,
  LoadModelOptions,
  ModelVersion,
  RepositoryIndexOptions,
  UnloadModelOptions,
} from '../options.js';
import { inSequence, versionString } from '../request-parameters.js';
import { retryPolicy, withRetries } from '../retry.js';
import type {
  InferenceStatistics,
  ModelConfig,
  ModelMetadata,
  RepositoryIndexEntry,
  ServerMetadata,
} from '../server-types.js';
import { AddressPicker } from './address-picker.js';
import { compress } from './compress.js';
import type { GenerateOptions, GenerateRequest, GenerateResponse } from './generate-types.js';
import type { HttpClientOptions } from './http-options.js';
import { errorFromResponse, fetchFailure } from './http-errors.js';
import { decodeInferBody, encodeInferBody, HEADER_LENGTH_HEADER } from './infer-body.js';
import { readSseEvents } from './sse-parser.js';
import type { Job, JobCallOptions, JobStatus, SubmitJobOptions, WaitJobOptions } from './job-types.js';
import { jobFromDocument, sleep } from './job-document.js';

/** One HTTP exchange's inputs. */
interface Exchange {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** The success status (default 200). */
  readonly okStatus?: number;
  readonly path: string;
  readonly body?: Uint8Array | string;
  readonly headers?: Record<string, string>;
  readonly requestId?: string;
  /** Statuses returned to the caller rather than thrown (health checks read the status). */
  readonly passStatus?: boolean;
  /** A call signal the caller owns and disposes (it outlives the exchange, e.g. to read a stream). */
  readonly call?: CallSignal;
  /** False for a request that must not run twice (sequence inference); see `RetryContext`. */
  readonly idempotent?: boolean;
}

/**
 * HTTP client; see {@link InferenceClient} for the shared methods. Given several base URLs
 * (replicas), calls go round robin over those that answer (see `address-picker.ts`).
 *
 * @example
 * ```ts
 * const client = new HttpInferenceClient('http://localhost:8000');
 * const ready = await client.isModelReady('simple');
 * const replicas = new HttpInferenceClient(['http://10.0.0.1:8000', 'http://10.0.0.2:8000'], { retry: { maxAttempts: 3 } });
 * ```
 */
export class HttpInferenceClient implements InferenceClient {
  /** Always 'http'. */
  readonly transport = 'http' as const;
  /** The (first) server's base URL without a trailing slash, e.g. `http://localhost:8000`. */
  readonly baseUrl: string;
  /** Every base URL the client balances over (one unless several were given). */
  readonly baseUrls: readonly string[];
  private readonly options: HttpClientOptions;
  private readonly fetchFn: typeof fetch;
  private readonly picker: AddressPicker;
  private closed = false;

  /**
   * @param baseUrl - `http://host:port` or `https://host:port` (a bare `host:port` means http);
   *   several replicas as an array or a comma-separated list.
   */
  constructor(baseUrl: string | readonly string[], options: HttpClientOptions = {}) {
    this.baseUrls = parseBaseUrls(baseUrl);
    this.baseUrl = this.baseUrls[0]!;
    this.options = options;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.picker = new AddressPicker(this.baseUrls);
  }

  async isServerLive(options: CallOptions = {}): Promise<boolean> {
    return (await this.status('/v2/health/live', options)) === 200;
  }

  async isServerReady(options: CallOptions = {}): Promise<boolean> {
    return (await this.status('/v2/health/ready', options)) === 200;
  }

  async isModelReady(name: string, version?: ModelVersion, options: CallOptions = {}): Promise<boolean> {
    return (await this.status(`${modelPath(name, version)}/ready`, options)) === 200;
  }

  async getServerMetadata(options: CallOptions = {}): Promise<ServerMetadata> {
    return (await this.json({ method: 'GET', path: '/v2' }, options)) as ServerMetadata;
  }

  async getModelMetadata(name: string, version?: ModelVersion, options: CallOptions = {}): Promise<ModelMetadata> {
    return (await this.json({ method: 'GET', path: modelPath(name, version) }, options)) as ModelMetadata;
  }

  async getModelConfig(name: string, version?: ModelVersion, options: CallOptions = {}): Promise<ModelConfig> {
    return (await this.json({ method: 'GET', path: `${modelPath(name, version)}/config` }, options)) as ModelConfig;
  }

  async getModelRepositoryIndex(options: RepositoryIndexOptions = {}): Promise<RepositoryIndexEntry[]> {
    const body = JSON.stringify(options.readyOnly === true ? { ready: true } : {});
    const rows = (await this.json({ method: 'POST', path: '/v2/repository/index', body }, options)) as Array<
      Partial<RepositoryIndexEntry> & { name: string }
    >;
    return rows.map((r) => ({ name: r.name, version: r.version ?? '', state: r.state ?? '', reason: r.reason ?? '' }));
  }

  async loadModel(name: string, options: LoadModelOptions = {}): Promise<void> {
    const parameters: Record<string, unknown> = {};
    if (options.config !== undefined) {
      parameters['config'] = typeof options.config === 'string' ? options.config : JSON.stringify(options.config);
    }
    const body = JSON.stringify(Object.keys(parameters).length > 0 ? { parameters } : {});
    await this.json({ method: 'POST', path: `/v2/repository/models/${encodeURIComponent(name)}/load`, body }, options);
  }

  async unloadModel(name: string, options: UnloadModelOptions = {}): Promise<void> {
    const body = JSON.stringify(
      options.unloadDependents === undefined ? {} : { parameters: { unload_dependents: options.unloadDependents } },
    );
    await this.json(
      { method: 'POST', path: `/v2/repository/models/${encodeURIComponent(name)}/unload`, body },
      options,
    );
  }

  async getInferenceStatistics(
    name?: string,
    version?: ModelVersion,
    options: CallOptions = {},
  ): Promise<InferenceStatistics> {
    const path = name === undefined || name === '' ? '/v2/models/stats' : `${modelPath(name, version)}/stats`;
    return (await this.json({ method: 'GET', path }, options)) as InferenceStatistics;
  }

  async infer(model: string, inputs: readonly InferInput[], options: InferOptions = {}): Promise<InferResult> {
    const requestId = options.requestId ?? '';
    const { body, headers } = await this.inferBody(inputs, options);
    const path = `${modelPath(model, options.modelVersion)}/infer`;
    const idempotent = !inSequence(options);
    return this.exchange({ method: 'POST', path, body, headers, requestId, idempotent }, options, async (res) => {
      const bytes = new Uint8Array(await res.arrayBuffer());
      const lengthHeader = res.headers.get(HEADER_LENGTH_HEADER);
      return decodeInferBody(bytes, lengthHeader === null ? undefined : Number(lengthHeader), requestId);
    });
  }

  /**
   * Queues an inference as an async job (tensorgate's job API, docs/jobs.md): the server answers
   * at once with the job, which runs later; read it with {@link getJob} or {@link waitJob}. Not
   * retried (a retry could queue it twice).
   *
   * @example
   * ```ts
   * const job = await client.submitJob('simple', [a, b]);
   * const done = await client.waitJob('simple', job.id, { timeoutMs: 60_000 });
   * done.result?.asTypedArray('OUTPUT0');
   * ```
   */
  async submitJob(model: string, inputs: readonly InferInput[], options: SubmitJobOptions = {}): Promise<Job> {
    const { body, headers } = await this.inferBody(inputs, options);
    if (options.callbackUrl !== undefined) headers['Job-Callback-Url'] = options.callbackUrl;
    const path = `${modelPath(model, options.modelVersion)}/jobs`;
    const doc = (await this.exchange(
      { method: 'POST', path, body, headers, okStatus: 202, idempotent: false },
      options,
      async (res) => (await res.json()) as { id: string; status: JobStatus },
    )) as { id: string; status: JobStatus };
    return {
      id: doc.id,
      model,
      ...(options.modelVersion === undefined ? {} : { version: String(options.modelVersion) }),
      status: doc.status,
      createdAt: new Date().toISOString(),
      attempts: 0,
    };
  }

  /** A job's status; a succeeded job comes with its result. Fails with NOT_FOUND once it expired. */
  async getJob(model: string, id: string, options: JobCallOptions = {}): Promise<Job> {
    const path = jobPath(model, id, options);
    const doc = (await this.json({ method: 'GET', path }, options)) as Record<string, unknown>;
    const job = jobFromDocument(doc);
    if (job.status !== 'succeeded') return job;
    const result = await this.exchange({ method: 'GET', path: `${path}/result` }, options, async (res) => {
      const bytes = new Uint8Array(await res.arrayBuffer());
      const lengthHeader = res.headers.get(HEADER_LENGTH_HEADER);
      return decodeInferBody(bytes, lengthHeader === null ? undefined : Number(lengthHeader));
    });
    return { ...job, result };
  }

  /**
   * Polls a job until it is final (succeeded, failed or cancelled) and returns it; `timeoutMs`
   * bounds the whole wait (DEADLINE_EXCEEDED past it).
   */
  async waitJob(model: string, id: string, options: WaitJobOptions = {}): Promise<Job> {
    const call = callSignal(options.timeoutMs ?? this.options.timeoutMs, options.signal, 'http');
    const { timeoutMs: _unused, ...each } = options;
    let wait = options.pollIntervalMs ?? 100;
    try {
      for (;;) {
        const job = await this.getJob(model, id, { ...each, ...(call.signal ? { signal: call.signal } : {}) });
        if (job.status !== 'queued' && job.status !== 'running') return job;
        await sleep(wait, call.signal);
        wait = Math.min(wait * 2, options.maxPollIntervalMs ?? 2000);
      }
    } catch (e) {
      if (call.signal?.aborted) throw cancelledError(call.signal.reason, 'http', '');
      throw e;
    } finally {
      call.dispose();
    }
  }

  /** Cancels a job (a queued one never runs, a running one is cancelled) and returns it as it is then. */
  async cancelJob(model: string, id: string, options: JobCallOptions = {}): Promise<Job> {
    const doc = (await this.json({ method: 'DELETE', path: jobPath(model, id, options) }, options)) as Record<
      string,
      unknown
    >;
    return jobFromDocument(doc);
  }

  /** The infer request body and headers of `inputs`, compressed as configured. */
  private async inferBody(
    inputs: readonly InferInput[],
    options: InferOptions,
  ): Promise<{ body: Uint8Array | string; headers: Record<string, string> }> {
    const encoded = encodeInferBody(inputs, options);
    const headers: Record<string, string> = {};
    if (encoded.headerLength !== undefined) {
      headers[HEADER_LENGTH_HEADER] = String(encoded.headerLength);
      headers['Content-Type'] = 'application/octet-stream';
    } else {
      headers['Content-Type'] = 'application/json';
    }
    const { request = 'none', response = 'none' } = this.options.compression ?? {};
    let body = encoded.body;
    if (request !== 'none') {
      body = await compress(body, request);
      headers['Content-Encoding'] = request;
    }
    headers['Accept-Encoding'] = response === 'none' ? 'identity' : response;
    return { body, headers };
  }

  /**
   * Triton's generate extension: one JSON request, one JSON response.
   *
   * @example
   * ```ts
   * const r = await client.generate('llm', { text_input: 'Hello', parameters: { max_tokens: 16 } });
   * r.text_output;
   * ```
   */
  async generate(model: string, body: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResponse> {
    const path = `${modelPath(model, options.modelVersion)}/generate`;
    const headers = { 'Content-Type': 'application/json' };
    return (await this.json(
      { method: 'POST', path, body: JSON.stringify(body), headers },
      options,
    )) as GenerateResponse;
  }

  /**
   * Triton's generate extension, streamed: one {@link GenerateResponse} per Server-Sent Event.
   * An error event (`{"error": ...}`) ends the iteration with an InferenceServerError.
   *
   * @example
   * ```ts
   * for await (const chunk of client.generateStream('llm', { text_input: 'Hello' })) out += chunk.text_output;
   * ```
   */
  async *generateStream(
    model: string,
    body: GenerateRequest,
    options: GenerateOptions = {},
  ): AsyncGenerator<GenerateResponse> {
    const path = `${modelPath(model, options.modelVersion)}/generate_stream`;
    const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
    const call = callSignal(options.timeoutMs ?? this.options.timeoutMs, options.signal, 'http');
    try {
      const res = await this.exchange(
        { method: 'POST', path, body: JSON.stringify(body), headers, call },
        options,
        async (r) => r,
      );
      if (res.body === null) return;
      try {
        for await (const event of readSseEvents(res.body)) {
          const doc = parseEventJson(event.data);
          if (typeof doc['error'] === 'string') {
            throw new InferenceServerError(doc['error'], { code: 'INTERNAL', status: res.status, transport: 'http' });
          }
          yield doc as GenerateResponse;
        }
      } catch (e) {
        if (call.signal?.aborted) throw call.signal.reason;
        throw e instanceof InferenceServerError ? e : fetchFailure(e, '');
      }
    } finally {
      call.dispose();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async status(path: string, options: CallOptions): Promise<number> {
    return this.exchange({ method: 'GET', path, passStatus: true }, options, async (res) => {
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    });
  }

  private json(exchange: Exchange, options: CallOptions): Promise<unknown> {
    return this.exchange(exchange, options, async (res) => {
      const text = await res.text();
      return text === '' ? {} : (JSON.parse(text) as unknown);
    });
  }

  /** Sends one request (with retries), checks the status and hands the response to `read`. */
  private async exchange<T>(ex: Exchange, options: CallOptions, read: (res: Response) => Promise<T>): Promise<T> {
    if (this.closed) throw invalidArgument('the client is closed');
    const requestId = ex.requestId ?? '';
    const call = ex.call ?? callSignal(options.timeoutMs ?? this.options.timeoutMs, options.signal, 'http', requestId);
    const headers = { ...this.options.headers, ...options.headers, ...ex.headers };
    try {
      return await withRetries(
        async () => {
          let res: Response;
          const base = this.picker.pick();
          try {
            res = await this.fetchFn(base + ex.path, {
              method: ex.method,
              headers,
              ...(ex.body === undefined ? {} : { body: ex.body as BodyInit }),
              ...(call.signal === undefined ? {} : { signal: call.signal }),
            });
          } catch (e) {
            if (call.signal?.aborted) throw call.signal.reason;
            this.picker.failed(base);
            throw fetchFailure(e, requestId);
          }
          // 502 / 503: this replica cannot serve now (a proxy without upstream, a server draining).
          if (res.status === 502 || res.status === 503) this.picker.failed(base);
          else this.picker.succeeded(base);
          if (res.status !== (ex.okStatus ?? 200) && !ex.passStatus) throw await errorFromResponse(res, requestId);
          try {
            return await read(res);
          } catch (e) {
            if (call.signal?.aborted) throw call.signal.reason;
            if (e instanceof InferenceServerError) throw e;
            if (e instanceof SyntaxError) {
              throw new InferenceServerError(`malformed response from ${ex.path}: ${e.message}`, {
                code: 'INTERNAL',
                status: res.status,
                transport: 'http',
                requestId,
              });
            }
            this.picker.failed(base); // the connection was lost while the body was read
            throw fetchFailure(e, requestId);
          }
        },
        retryPolicy(options.retry ?? this.options.retry),
        call.signal,
        {},
        {
          idempotent: ex.idempotent !== false,
          deadline: call.deadline,
          waitForReady: options.waitForReady ?? this.options.waitForReady,
        },
      );
    } catch (e) {
      throw e instanceof InferenceServerError ? e : cancelledError(e, 'http', requestId);
    } finally {
      if (ex.call === undefined) call.dispose();
    }
  }
}

/** The base URLs of `baseUrl` (one, an array, or a comma-separated list), normalized. */
function parseBaseUrls(baseUrl: string | readonly string[]): string[] {
  const list = (typeof baseUrl === 'string' ? baseUrl.split(',') : baseUrl).map((u) => u.trim()).filter((u) => u);
  if (list.length === 0) throw invalidArgument('the HTTP client needs at least one base URL');
  return list.map((u) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? u : `http://${u}`).replace(/\/+$/, ''));
}

/** `/v2/models/{m}[/versions/{v}]/jobs/{id}`. */
function jobPath(model: string, id: string, options: JobCallOptions): string {
  return `${modelPath(model, options.modelVersion)}/jobs/${encodeURIComponent(id)}`;
}

/** `/v2/models/{m}[/versions/{v}]` with the name and version escaped. */
function modelPath(name: string, version: ModelVersion | undefined): string {
  const v = versionString(version);
  return `/v2/models/${encodeURIComponent(name)}${v === '' ? '' : `/versions/${encodeURIComponent(v)}`}`;
}

function parseEventJson(data: string): Record<string, unknown> {
  try {
    const doc = JSON.parse(data) as unknown;
    if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) return doc as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new InferenceServerError(`malformed generate_stream event: ${data.slice(0, 200)}`, {
    code: 'INTERNAL',
    transport: 'http',
  });
}
