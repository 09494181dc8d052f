/**
 * Job completion callbacks (docs/jobs.md#webhooks): when a job with a callback URL finishes, the
 * replica that finished it POSTs the job's status document to the URL, signed with HMAC-SHA256,
 * retrying with exponential back-off. Callback URLs are an SSRF vector (the server would call any
 * address a client names, inside its own network), so only the origins of `--jobs-webhook-allow`
 * are accepted, checked at submission; redirects are not followed.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { backgroundClock, type Clock } from '../clock.js';
import { invalidArg } from '../errors.js';

/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'tensorgate-signature';
/** The header naming the job. */
export const JOB_ID_HEADER = 'tensorgate-job-id';
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 60_000;

/** Options of {@link WebhookSender}. */
export interface WebhookOptions {
  /** Allowed origins (`https://hooks.example.com`, `http://127.0.0.1:9000`); empty: callbacks refused. */
  readonly allow: readonly string[];
  /** The HMAC key; required when `allow` is not empty. */
  readonly secret: string | undefined;
  /** Attempts per callback (the first included). */
  readonly attempts: number;
  /** Wait before the second attempt; doubled each time, at most 60 s. */
  readonly firstBackoffMs: number;
  /** Limit of one attempt (connect, send, answer). */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** For tests; the platform's fetch otherwise. */
  readonly fetch?: typeof fetch;
}

/**
 * The signature of `body` sent at `timestampSecs`, as the header carries it.
 *
 * @example
 * ```ts
 * signWebhook('secret', 1765000000, '{"id":"..."}'); // 't=1765000000,v1=5f2c...'
 * ```
 */
export function signWebhook(secret: string, timestampSecs: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSecs}.${body}`).digest('hex');
  return `t=${timestampSecs},v1=${mac}`;
}

/** Parses `--jobs-webhook-allow` entries into origins; throws on an entry that is not an http(s) origin. */
export function parseWebhookAllow(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(
        `--jobs-webhook-allow: '${entry}' is not a URL (write an origin such as https://hooks.example.com)`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`--jobs-webhook-allow: '${entry}' is not an http or https origin`);
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '') {
      throw new Error(`--jobs-webhook-allow: '${entry}' must be an origin only (scheme://host[:port]), without a path`);
    }
    return url.origin;
  });
}

/**
 * Delivers callbacks.
 *
 * @example
 * ```ts
 * const hooks = new WebhookSender({ allow: ['https://hooks.example.com'], secret, attempts: 5, firstBackoffMs: 1000, timeoutMs: 10_000, logger });
 * hooks.check('https://hooks.example.com/done'); // throws INVALID_ARG for other origins
 * hooks.send('https://hooks.example.com/done', jobId, JSON.stringify(statusDocument));
 * ```
 */
export class WebhookSender {
  private readonly allowed: ReadonlySet<string>;
  private readonly clock: Clock;
  private readonly fetchFn: typeof fetch;
  private readonly pending = new Set<() => void>();

  constructor(private readonly options: WebhookOptions) {
    this.allowed = new Set(parseWebhookAllow(options.allow));
    if (this.allowed.size > 0 && (options.secret === undefined || options.secret === '')) {
      throw new Error('--jobs-webhook-allow needs --jobs-webhook-secret: callbacks are always signed');
    }
    this.clock = options.clock ?? backgroundClock;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Refuses (INVALID_ARG) a callback URL whose origin is not allowed. */
  check(callbackUrl: string): void {
    if (this.allowed.size === 0) {
      throw invalidArg(
        'callback URLs are not accepted by this server: no origin is allowed (--jobs-webhook-allow); poll the job instead',
      );
    }
    let url: URL;
    try {
      url = new URL(callbackUrl);
    } catch {
      throw invalidArg(`callback URL '${callbackUrl.slice(0, 200)}' is not a URL`);
    }
    if (url.username !== '' || url.password !== '') throw invalidArg('callback URL must not carry credentials');
    if (!this.allowed.has(url.origin)) {
      throw invalidArg(`callback URL origin '${url.origin}' is not allowed (--jobs-webhook-allow)`);
    }
  }

  /** Sends one callback in the background, with retries; never throws. */
  send(callbackUrl: string, jobId: string, body: string): void {
    void this.attempt(callbackUrl, jobId, body, 1);
  }

  /** Drops the retries still waiting (shutdown). */
  close(): void {
    for (const clear of this.pending) clear();
    this.pending.clear();
  }

  private async attempt(callbackUrl: string, jobId: string, body: string, n: number): Promise<void> {
    const timestamp = Math.floor(this.clock.wallMs() / 1000);
    let failure: string;
    try {
      const res = await this.fetchFn(callbackUrl, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(this.options.secret ?? '', timestamp, body),
          [JOB_ID_HEADER]: jobId,
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return;
      failure = `status ${res.status}`;
    } catch (err) {
      failure = (err as Error).message;
    }
    if (n >= this.options.attempts) {
      this.options.logger.warn({ jobId, attempts: n, failure }, 'jobs: callback not delivered; giving up');
      return;
    }
    const wait = Math.min(MAX_BACKOFF_MS, this.options.firstBackoffMs * 2 ** (n - 1));
    this.options.logger.debug({ jobId, attempt: n, failure, retryInMs: wait }, 'jobs: callback failed; retrying');
    const clear = this.clock.setTimer(() => {
      this.pending.delete(clear);
      void this.attempt(callbackUrl, jobId, body, n + 1);
    }, wait);
    this.pending.add(clear);
  }
}
