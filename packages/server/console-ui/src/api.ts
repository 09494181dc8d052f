/**
 * The console's one way to call the server: `fetch` on the same origin, with the values of
 * restricted-API headers the user entered (kept in memory for this page only). A 403 naming a
 * header (Triton's `This API is restricted, expecting header '<h>'`) asks the user for its value
 * once and retries; a header the user declined is not asked for again until they enter it in the
 * headers dialog.
 */

/** A failed call: the HTTP status and the server's `error` text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Asks the user for a header's value; null when they cancel. */
export type AskHeader = (header: string) => Promise<string | null>;

/** Options of one call. */
export interface CallInit {
  method?: 'GET' | 'POST';
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const RESTRICTED = /expecting header '([^']+)'/;

/** Calls the server. */
export class Api {
  private readonly values = new Map<string, string>();
  private readonly declined = new Set<string>();
  /** The question open for a header: calls refused meanwhile wait for the same answer. */
  private readonly asking = new Map<string, Promise<string | null>>();
  private ask: AskHeader = async () => null;

  /** Sets how the user is asked for a header's value. */
  onAskHeader(ask: AskHeader): void {
    this.ask = ask;
  }

  /** Header names the console holds a value for (snippets show them with a variable). */
  headerNames(): string[] {
    return [...this.values.keys()];
  }

  /** Sets (or, with '', forgets) a header's value. */
  setHeader(header: string, value: string): void {
    const key = header.toLowerCase();
    this.declined.delete(key);
    if (value === '') this.values.delete(key);
    else this.values.set(key, value);
  }

  /** A raw call; restricted groups are retried once the user gave the header. */
  async fetch(path: string, init: CallInit = {}): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(path, {
        method: init.method ?? 'GET',
        ...(init.body !== undefined ? { body: init.body as BodyInit } : {}),
        headers: { ...Object.fromEntries(this.values), ...init.headers },
        ...(init.signal ? { signal: init.signal } : {}),
      });
      if (res.status !== 403 || attempt >= 2) return res;
      const header = RESTRICTED.exec(await res.clone().text())?.[1]?.toLowerCase();
      if (header === undefined || this.declined.has(header)) return res;
      let question = this.asking.get(header);
      if (question === undefined) {
        question = this.ask(header).finally(() => this.asking.delete(header));
        this.asking.set(header, question);
      }
      const value = await question;
      if (value === null || value === '') {
        this.declined.add(header);
        return res;
      }
      this.values.set(header, value);
    }
  }

  /** A call answering JSON; a failure throws {@link ApiError} with the server's message. */
  async json<T>(path: string, init: CallInit = {}): Promise<T> {
    const res = await this.fetch(path, init);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    if (!res.ok) {
      const error = (body as { error?: unknown } | null)?.error;
      throw new ApiError(res.status, typeof error === 'string' ? error : `HTTP ${res.status}: ${text.slice(0, 300)}`);
    }
    return body as T;
  }
}

/** The path of a model (and version) under `/v2/models`. */
export function modelPath(model: string, version = ''): string {
  const m = `/v2/models/${encodeURIComponent(model)}`;
  return version === '' ? m : `${m}/versions/${encodeURIComponent(version)}`;
}
