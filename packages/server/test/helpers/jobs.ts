/**
 * Test helpers for the async job API: submitting raw infer bodies, reading job documents, and a
 * callback receiver that checks signatures as docs/jobs.md tells users to.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { eventually } from './servers.js';

/** A JSON infer body of `sleep_ms` sleeping `ms` milliseconds. */
export const sleepBody = (ms: number): string =>
  JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'UINT32', data: [ms] }] });

/** A JSON infer body of `simple` (INPUT0 = 0..15, INPUT1 = 1s). */
export const simpleBody = (): string =>
  JSON.stringify({
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(1) },
    ],
  });

/** POST `.../jobs`; returns the response with its parsed JSON. */
export async function submit(
  base: string,
  model: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; doc: Record<string, unknown> }> {
  const res = await fetch(`${base}/v2/models/${model}/jobs`, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, doc: (await res.json()) as Record<string, unknown> };
}

/** GET (or DELETE) a job's document. */
export async function jobDoc(
  base: string,
  model: string,
  id: string,
  method: 'GET' | 'DELETE' = 'GET',
): Promise<{ status: number; doc: Record<string, unknown> }> {
  const res = await fetch(`${base}/v2/models/${model}/jobs/${id}`, { method });
  return { status: res.status, doc: (await res.json()) as Record<string, unknown> };
}

/** Polls until the job has `status` (or any final status when omitted); returns its document. */
export async function waitStatus(
  base: string,
  model: string,
  id: string,
  status?: string,
  attempts = 300,
): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await eventually(
    async () => {
      last = (await jobDoc(base, model, id)).doc;
      const s = last['status'];
      return status === undefined ? s !== 'queued' && s !== 'running' : s === status;
    },
    attempts,
    100,
  );
  return last;
}

/** One delivery a receiver got. */
export interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly signatureValid: boolean;
}

/** A callback receiver on a free loopback port: fails the first `failFirst` deliveries with 500. */
export async function startReceiver(
  secret: string,
  failFirst = 0,
): Promise<{ origin: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  let failures = failFirst;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      deliveries.push({ headers: req.headers, body, signatureValid: verify(secret, req.headers, body) });
      if (failures > 0) {
        failures--;
        res.writeHead(500).end();
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    deliveries,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** The receiver's check, as docs/jobs.md shows it: HMAC-SHA256 over "<t>.<body>", compared in constant time. */
function verify(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const header = String(headers['tensorgate-signature'] ?? '');
  const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1];
  if (t === undefined || v1 === undefined) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
