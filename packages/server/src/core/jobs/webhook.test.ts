import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { pino } from 'pino';
import { ManualClock } from '../scheduling/manual-clock.test-helper.js';
import { parseWebhookAllow, signWebhook, WebhookSender, SIGNATURE_HEADER } from './webhook.js';

const logger = pino({ level: 'silent' });

test('the signature is HMAC-SHA256 of "<timestamp>.<body>", as docs/jobs.md tells receivers to check', () => {
  const expected = createHmac('sha256', 's3cret').update('1765000000.{"id":"x"}').digest('hex');
  assert.equal(signWebhook('s3cret', 1765000000, '{"id":"x"}'), `t=1765000000,v1=${expected}`);
});

test('allow-list entries must be bare http(s) origins', () => {
  assert.deepEqual(parseWebhookAllow(['https://hooks.example.com', 'http://127.0.0.1:9000/']), [
    'https://hooks.example.com',
    'http://127.0.0.1:9000',
  ]);
  assert.throws(() => parseWebhookAllow(['https://hooks.example.com/path']), /origin only/);
  assert.throws(() => parseWebhookAllow(['file:///etc/passwd']), /not an http or https origin/);
  assert.throws(() => parseWebhookAllow(['hooks']), /not a URL/);
  assert.throws(
    () =>
      new WebhookSender({
        allow: ['https://a.example'],
        secret: undefined,
        attempts: 1,
        firstBackoffMs: 1,
        timeoutMs: 1,
        logger,
      }),
    /--jobs-webhook-secret/,
  );
});

test('callback URLs are refused unless their origin is allowed', () => {
  const none = new WebhookSender({
    allow: [],
    secret: undefined,
    attempts: 1,
    firstBackoffMs: 1,
    timeoutMs: 1,
    logger,
  });
  assert.throws(() => none.check('http://127.0.0.1:9000/x'), /no origin is allowed/);
  const some = new WebhookSender({
    allow: ['http://127.0.0.1:9000'],
    secret: 'k',
    attempts: 1,
    firstBackoffMs: 1,
    timeoutMs: 1,
    logger,
  });
  some.check('http://127.0.0.1:9000/done?job=1');
  assert.throws(() => some.check('http://127.0.0.1:9001/x'), /not allowed/);
  assert.throws(() => some.check('http://169.254.169.254/latest/meta-data'), /not allowed/);
  assert.throws(() => some.check('http://user:pw@127.0.0.1:9000/x'), /credentials/);
  assert.throws(() => some.check('not a url'), /not a URL/);
});

test('failed deliveries are retried with doubling back-off until one succeeds', async () => {
  const clock = new ManualClock();
  const calls: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
  const statuses = [500, 503, 204];
  const sender = new WebhookSender({
    allow: ['http://127.0.0.1:9000'],
    secret: 'k',
    attempts: 5,
    firstBackoffMs: 1000,
    timeoutMs: 1000,
    logger,
    clock,
    fetch: async (url, init) => {
      calls.push({ url: String(url), headers: init?.headers as Record<string, string>, body: String(init?.body) });
      return new Response(null, { status: statuses.shift() ?? 204 });
    },
  });
  sender.send('http://127.0.0.1:9000/done', 'job-1', '{"id":"job-1"}');
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));
  await settle();
  assert.equal(calls.length, 1);
  clock.advanceNs(999 * 1e6);
  await settle();
  assert.equal(calls.length, 1, 'waits 1 s before the second attempt');
  clock.advanceNs(1 * 1e6);
  await settle();
  assert.equal(calls.length, 2);
  clock.advanceNs(1999 * 1e6);
  await settle();
  assert.equal(calls.length, 2, 'then 2 s');
  clock.advanceNs(1 * 1e6);
  await settle();
  assert.equal(calls.length, 3);
  clock.advanceNs(60_000 * 1e6);
  await settle();
  assert.equal(calls.length, 3, 'a 2xx ends the retries');
  const sig = calls[2]!.headers[SIGNATURE_HEADER]!;
  const t = Number(/t=(\d+)/.exec(sig)![1]);
  assert.equal(sig, signWebhook('k', t, '{"id":"job-1"}'));
  sender.close();
});
