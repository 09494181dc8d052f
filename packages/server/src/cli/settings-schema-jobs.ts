/**
 * The rows of the settings table (`settings-schema.ts`) for the async job API (issue #17 item 2,
 * docs/jobs.md). tensorgate's own: Triton has no job API.
 */
import type { SettingEntry } from './settings-schema.js';

/** The settings these rows fill, part of `ServerSettings`. */
export interface JobsSettings {
  /** `memory` (in process, the default), `none` (the job API is off) or a `redis://` / `rediss://` URL. */
  jobsStore: string;
  /** Jobs queued at once over the store; more are refused with 429. */
  jobsMaxQueued: number;
  /** Queued or running jobs of one client; more are refused with 429. */
  jobsMaxPerClient: number;
  /** Header whose value identifies a client for the quota; absent: the remote address. */
  jobsClientHeader?: string;
  /** Jobs this replica runs at once. */
  jobsConcurrency: number;
  /** Seconds a finished job and its result are kept. */
  jobsResultTtlSecs: number;
  /** Largest job request body in bytes (it is stored until the job runs). */
  jobsMaxRequestBytes: number;
  /** Redis store: seconds a replica's lock on a running job lasts without renewal. */
  jobsLockSecs: number;
  /** Origins callback URLs may point to; empty: callbacks refused. */
  jobsWebhookAllow: string[];
  /** HMAC-SHA256 key of the callback signature. */
  jobsWebhookSecret?: string;
  /** Attempts per callback. */
  jobsWebhookAttempts: number;
}

/** The job API rows. */
export const JOBS_SETTINGS: readonly SettingEntry[] = [
  {
    key: 'jobsStore',
    flag: '--jobs-store',
    env: 'TENSORGATE_JOBS_STORE',
    type: 'string',
    default: 'memory',
    valueName: 'store',
    description:
      'Async job API (docs/jobs.md): memory (in process, bounded, lost on restart), none (the job routes answer 501), ' +
      'or redis://[user:password@]host[:port][/db] (rediss:// for TLS): queue and results in Redis through BullMQ, ' +
      'shared by every replica given the same URL; each job runs at least once.',
  },
  {
    key: 'jobsMaxQueued',
    flag: '--jobs-max-queued',
    env: 'TENSORGATE_JOBS_MAX_QUEUED',
    type: 'int',
    default: 10000,
    min: 1,
    max: 100000000,
    valueName: 'n',
    description:
      'Jobs waiting to run over the whole store (all replicas with Redis); more are refused with 429 and Retry-After.',
  },
  {
    key: 'jobsMaxPerClient',
    flag: '--jobs-max-per-client',
    env: 'TENSORGATE_JOBS_MAX_PER_CLIENT',
    type: 'int',
    default: 1000,
    min: 1,
    max: 100000000,
    valueName: 'n',
    description:
      'Queued or running jobs of one client (see --jobs-client-header); more are refused with 429 and Retry-After.',
  },
  {
    key: 'jobsClientHeader',
    flag: '--jobs-client-header',
    env: 'TENSORGATE_JOBS_CLIENT_HEADER',
    type: 'string',
    optional: true,
    valueName: 'header',
    description:
      'Request header that names the client for --jobs-max-per-client (e.g. x-api-key, set by your proxy); requests ' +
      'without it are refused (400). Absent: the client is the remote address.',
  },
  {
    key: 'jobsConcurrency',
    flag: '--jobs-concurrency',
    env: 'TENSORGATE_JOBS_CONCURRENCY',
    type: 'int',
    default: 4,
    min: 1,
    max: 10000,
    valueName: 'n',
    description: "Jobs this replica runs at once (each is one inference through the model's scheduler).",
  },
  {
    key: 'jobsResultTtlSecs',
    flag: '--jobs-result-ttl-secs',
    env: 'TENSORGATE_JOBS_RESULT_TTL_SECS',
    type: 'int',
    default: 3600,
    min: 1,
    max: 31536000,
    valueName: 'seconds',
    description: 'How long a finished job and its result are kept; afterwards GET answers 404.',
  },
  {
    key: 'jobsMaxRequestBytes',
    flag: '--jobs-max-request-bytes',
    env: 'TENSORGATE_JOBS_MAX_REQUEST_BYTES',
    type: 'int',
    default: 16 * 1024 * 1024,
    min: 1,
    max: 2147483647,
    valueName: 'bytes',
    description: 'Largest job request body (stored until the job runs); larger ones are refused with 413.',
  },
  {
    key: 'jobsLockSecs',
    flag: '--jobs-lock-secs',
    env: 'TENSORGATE_JOBS_LOCK_SECS',
    type: 'int',
    default: 30,
    min: 1,
    max: 86400,
    valueName: 'seconds',
    description:
      'Redis store: a replica renews its lock on a running job every half of this; a replica that died loses its ' +
      'running jobs to the others after about this long (they run again).',
  },
  {
    key: 'jobsWebhookAllow',
    flag: '--jobs-webhook-allow',
    env: 'TENSORGATE_JOBS_WEBHOOK_ALLOW',
    type: 'list',
    default: [],
    valueName: 'origin',
    description:
      'Origins (scheme://host[:port]) job callback URLs may point to; repeatable. Empty (the default): callback URLs ' +
      'are refused (400), since the server would otherwise call any address a client names.',
  },
  {
    key: 'jobsWebhookSecret',
    flag: '--jobs-webhook-secret',
    env: 'TENSORGATE_JOBS_WEBHOOK_SECRET',
    type: 'string',
    optional: true,
    valueName: 'secret',
    description:
      'HMAC-SHA256 key that signs job callbacks (Tensorgate-Signature header); required with --jobs-webhook-allow. ' +
      'Prefer the environment variable, which does not show in process listings.',
  },
  {
    key: 'jobsWebhookAttempts',
    flag: '--jobs-webhook-attempts',
    env: 'TENSORGATE_JOBS_WEBHOOK_ATTEMPTS',
    type: 'int',
    default: 5,
    min: 1,
    max: 100,
    valueName: 'n',
    description: 'Attempts per job callback; waits 1 s, 2 s, 4 s ... (at most 60 s) between them.',
  },
];
