/**
 * The web console (`--console`, docs/console.md) in a real browser: Debian's Chromium driven by
 * playwright-core against a live server on example models. It loads the console, checks the
 * server panel and the model list, runs inferences through the generated forms (JSON inputs, an
 * image converted in the browser, an image file sent as BYTES, with classification tables),
 * streams an LLM reply token by token, sees a live chart count the requests, and unloads and
 * loads a model through the restricted `model-repository` group, entering its header in the
 * console's dialog.
 *
 * Chromium is required, never skipped: `.ci/run` installs Debian's `chromium` package when it is
 * missing; elsewhere set CHROMIUM_PATH. With TENSORGATE_CONSOLE_SCREENSHOT=<file.png> the test
 * also writes the screenshot docs/console.md shows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseSettings } from 'tensorgate';
import { imageRepository, pattern } from '../helpers/images.js';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';

const CHROMIUM_CANDIDATES = [
  process.env['CHROMIUM_PATH'],
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
].filter((p): p is string => p !== undefined && p !== '');
const ADMIN = { header: 'x-admin-key', value: 's3cret' };
const MODELS = ['simple', 'llm', 'image_preprocess', 'image_classifier', 'ensemble_image'];

let s: TestServer;
let repo: Awaited<ReturnType<typeof imageRepository>>;
let browser: Browser;
let page: Page;
let dir: string;
const pageErrors: string[] = [];

before(async () => {
  const executablePath = CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  assert.ok(
    executablePath,
    `Chromium not found (${CHROMIUM_CANDIDATES.join(', ')}): apt-get install chromium, or set CHROMIUM_PATH`,
  );
  // image_preprocess imports sharp: the repository resolves it from this project.
  repo = await imageRepository({
    ...Object.fromEntries(MODELS.map((m) => [m, { from: m }])),
    // A model that fails to load: the console shows its state and reason.
    broken: { from: 'simple', edit: (c) => c.replace('backend: "js"', 'backend: "no_such_backend"') },
  });
  // Labels that are markup: the console must show them as text, never run them.
  const labels = Array.from({ length: 1000 }, (_, i) => `<img src=x onerror="window.__xss=${i}">class_${i}`).join('\n');
  for (const model of ['image_classifier', 'ensemble_image']) {
    await writeFile(join(repo.path, model, 'labels.txt'), `${labels}\n`);
  }
  dir = await mkdtemp(join(tmpdir(), 'tensorgate-console-'));
  s = await startServer(
    [
      '--console',
      'true',
      '--model-control-mode',
      'explicit',
      '--load-model',
      '*',
      '--exit-on-error',
      'false',
      '--http-restricted-api',
      `model-repository:${ADMIN.header}=${ADMIN.value}`,
    ],
    repo.path,
  );
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    // The browser logs each failed call (the 403 of the restricted group, the 503 of an unloaded
    // model's metadata); the console shows those itself. Anything else logged as an error counts.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded/.test(m.text())) {
      pageErrors.push(m.text());
    }
  });
});

after(async () => {
  await browser?.close();
  await s?.close();
  await repo?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Answers the console's restricted-API dialog (the model list needs `model-repository`). */
async function answerHeaderDialog(): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'restricted API header' });
  await dialog.waitFor();
  assert.match((await dialog.textContent()) ?? '', new RegExp(ADMIN.header));
  await dialog.locator('input[name=value]').fill(ADMIN.value);
  await dialog.getByRole('button', { name: 'Send' }).click();
  await dialog.waitFor({ state: 'detached' });
}

async function modelState(name: string): Promise<string | undefined> {
  const res = await fetch(`${s.http}/v2/repository/index`, {
    method: 'POST',
    headers: { [ADMIN.header]: ADMIN.value },
    body: '{}',
  });
  const rows = (await res.json()) as Array<{ name: string; state?: string }>;
  return rows.find((r) => r.name === name)?.state;
}

async function topClass(): Promise<{ label: string; score: number; rows: number }> {
  const table = page.locator('[data-testid=classes]').first();
  await table.waitFor();
  const rows = table.locator('tbody tr');
  const first = rows.first().locator('td');
  return {
    label: (await first.nth(1).textContent()) ?? '',
    score: Number(await first.nth(3).textContent()),
    rows: await rows.count(),
  };
}

test("the README's and docs/console.md's command serves the console at the URL they give", async () => {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  for (const file of ['README.md', 'docs/console.md']) {
    const text = await readFile(join(root, file), 'utf8');
    const block = /```bash\nnpx tensorgate serve (.*)\n# (?:then )?open http:\/\/localhost:8000(\/console)/.exec(text);
    assert.ok(block, `${file} has the console's command`);
    const settings = parseSettings(block[1]!.split(' '), {});
    assert.equal(settings.console, true, file);
    assert.equal(settings.httpPort, 8000, file);
    assert.equal((await fetch(`${s.http}${block[2]}`)).status, 200, file);
  }
});

test('off by default: without --console, / and /console are 404', async () => {
  const empty = join(dir, 'empty-repository');
  await mkdir(empty);
  const plain = await startServer([], empty);
  try {
    for (const path of ['/', '/console', '/console/app.js', '/console/api/stats']) {
      assert.equal((await fetch(`${plain.http}${path}`)).status, 404, path);
    }
  } finally {
    await plain.close();
  }
});

test('GET / links to the console; the console answers with a strict CSP', async () => {
  const root = await fetch(`${s.http}/`);
  assert.equal(root.status, 200);
  assert.match(await root.text(), /<a href="\/console">/);
  const res = await fetch(`${s.http}/console`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.doesNotMatch(res.headers.get('content-security-policy') ?? '', /unsafe-(inline|eval)/);
  assert.match(await res.text(), /<script type="module" src="\/console\/app.js"><\/script>/);
});

test('the server panel and the model list (after the restricted header is entered)', async () => {
  await page.goto(`${s.http}/console`);
  // The model list is `model-repository`: the console asks for the header.
  await answerHeaderDialog();
  const list = page.locator('[data-testid=model-list]');
  await eventually(async () => ((await list.textContent()) ?? '').includes('ensemble_image'));
  for (const name of MODELS) assert.match((await list.textContent()) ?? '', new RegExp(name));
  await eventually(async () => (await page.locator('[data-testid=control-mode]').textContent()) === 'explicit');
  assert.equal(
    await page.locator('[data-testid=server-version]').textContent(),
    s.server.core.serverMetadata().version,
  );
  const table = page.locator('[data-testid=models-table]');
  assert.match((await table.textContent()) ?? '', /simple1READY/);
  const broken = table.locator('tr', { hasText: 'broken' });
  assert.match((await broken.textContent()) ?? '', /UNAVAILABLE/);
  assert.match((await broken.locator('.reason').textContent()) ?? '', /no_such_backend/);
});

test('try it: JSON inputs, answer as tensors, request as curl and client code', async () => {
  await page.goto(`${s.http}/console#/models/simple/try`);
  await page.locator('[data-testid=run]').click();
  const output = page.locator('[data-output=OUTPUT0] [data-testid=tensor]');
  await output.waitFor();
  // The form's example inputs are 0..9,0..5 twice: simple adds them.
  assert.equal(await output.textContent(), JSON.stringify([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 0, 2, 4, 6, 8, 10]));
  const curl = (await page.locator('[data-testid=snippet-curl]').textContent()) ?? '';
  assert.match(curl, /curl -s '.*\/v2\/models\/simple\/infer'/);
  assert.match(curl, /"datatype":"INT32"/);
  await page.getByRole('button', { name: '@tensorgate/client' }).click();
  const code = (await page.locator('[data-testid=snippet-client]').textContent()) ?? '';
  assert.match(code, /new InferInput\("INPUT0", \[1,16\], "INT32"\)\.setData\(\[0,1,2/);
  assert.match(code, /client\.infer\("simple", inputs\)/);

  // A mistake is reported in the form, naming the input.
  await page.locator('textarea[name=INPUT1]').fill('[1, 2]');
  await page.locator('[data-testid=run]').click();
  assert.match(
    (await page.locator('[data-testid=try-error]').textContent()) ?? '',
    /input INPUT1: 2 values for shape \[1, 16\]/,
  );
});

test('try it: an image converted in the browser (image_classifier) and sent as a file (ensemble_image) agree', async () => {
  const png = join(dir, 'pattern.png');
  await writeFile(png, await pattern(224, 224, 'png'));

  await page.goto(`${s.http}/console#/models/image_classifier/try`);
  await page.locator('fieldset[data-input=input] input[type=file]').setInputFiles(png);
  await page.locator('[data-testid=run]').click();
  const direct = await topClass();
  assert.equal(direct.rows, 5);
  // The label's markup is text on the page; nothing ran.
  assert.match(direct.label, /^<img src=x onerror="window\.__xss=\d+">class_\d+$/);
  assert.equal(await page.evaluate(() => (globalThis as { __xss?: number }).__xss), undefined);

  await page.goto(`${s.http}/console#/models/ensemble_image/try`);
  // A BYTES input: JSON text by default, a file on demand.
  await page.locator('fieldset[data-input=INPUT] button[data-mode=file]').click();
  await page.locator('fieldset[data-input=INPUT] input[type=file]').setInputFiles(png);
  await page.locator('[data-testid=run]').click();
  const viaEnsemble = await topClass();
  // The same pixels, scaled the same way (INCEPTION) by the browser and by image_preprocess.
  assert.equal(viaEnsemble.label, direct.label);
  assert.ok(Math.abs(viaEnsemble.score - direct.score) < 1e-3, `${viaEnsemble.score} vs ${direct.score}`);
  const curl = (await page.locator('[data-testid=snippet-curl]').textContent()) ?? '';
  assert.match(curl, /--data-binary @request\.bin/);
  assert.match(curl, /Inference-Header-Content-Length: \d+/);
});

test('the LLM chat streams a reply token by token (generate_stream)', async () => {
  await page.goto(`${s.http}/console#/models/llm/try`);
  await page.locator('[data-testid=chat] textarea[name=message]').fill('Hello');
  await page.locator('[data-testid=send]').click();
  const status = page.locator('[data-testid=chat-status]');
  await eventually(async () => / in [\d.]+ s/.test((await status.textContent()) ?? ''), 600);
  const chunks = Number(/^(\d+) chunks/.exec((await status.textContent()) ?? '')?.[1]);
  assert.ok(chunks > 1, `streamed in ${chunks} chunks`);
  const reply = (await page.locator('[data-role=assistant]').textContent()) ?? '';
  assert.ok(reply.replace(/^assistant/, '').length > 0, 'the assistant replied');
  assert.match((await page.locator('[data-testid=snippet-curl]').textContent()) ?? '', /generate_stream/);
});

test('a live chart counts the requests it saw', async () => {
  await page.goto(`${s.http}/console#/models/simple/live`);
  const chart = page.locator('[data-chart="simple/1:throughput"]');
  // Rows appear once their second has closed: poll the page until the form's requests show.
  await eventually(async () => Number((await chart.getAttribute('data-total').catch(() => null)) ?? 0) >= 1, 300);
  await page.locator('[data-chart="simple/1:latency"] canvas').first().waitFor();
  await page.goto(`${s.http}/console#/models/llm/live`);
  await eventually(
    async () =>
      Number(
        (await page
          .locator('[data-chart="llm/1:tokens"]')
          .getAttribute('data-total')
          .catch(() => null)) ?? 0,
      ) > 0,
    300,
  );
});

test('unload and load through the console, with the restricted header it holds', async () => {
  await page.goto(`${s.http}/console#/models/simple/overview`);
  await page.locator('button[data-action=unload]').click();
  await eventually(async () => (await modelState('simple')) === 'UNAVAILABLE');
  await page.locator('button[data-action=load]').click();
  await eventually(async () => (await modelState('simple')) === 'READY');
  await page.goto(`${s.http}/console#/models/simple/config`);
  const config = page.locator('[data-testid=config]');
  await config.waitFor();
  assert.match((await config.textContent()) ?? '', /name: "simple"\n/);
  assert.match((await config.textContent()) ?? '', /data_type: TYPE_INT32/);

  const shot = process.env['TENSORGATE_CONSOLE_SCREENSHOT'];
  if (shot !== undefined && shot !== '') {
    await page.goto(`${s.http}/console#/`);
    await page.locator('[data-chart="simple/1:throughput"]').waitFor();
    await page.screenshot({ path: shot, fullPage: false });
  }
  assert.deepEqual(pageErrors, []);
});
