/**
 * Mounts the web console (`--console`) on the HTTP frontend's fastify instance: `GET /` (a small
 * page linking to it), `GET /console` (the page), its bundled script and style (built by
 * `scripts/build-console.mjs` into `dist/console/`, shipped in the package: no CDN), and its API
 * routes (`console-routes.ts`). Every answer of the console carries a strict Content-Security-
 * Policy: scripts and styles only from the server itself, no inline script, no eval, no framing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { API_GROUP_TABLE } from '../api-groups.js';
import type { StaticAssetConfig } from '../http/restricted-routes.js';
import { invalidArg, notFound } from '../../core/errors.js';
import type { ApiRestrictions } from '../restricted-apis.js';
import { CONSOLE_PREFIX, CONSOLE_ROUTES, type ConsoleHandlerName } from './console-routes.js';
import type { LiveStats } from './live-stats.js';

/** Where the build puts the console's files, relative to this module in `dist/`. */
export const CONSOLE_ASSETS_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * The policy of every console answer: the page's script and style come from the server; the
 * try-it panel shows uploaded and returned images as `blob:` / `data:` URLs; it calls only this
 * server.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** What the console's server panel shows that `/v2` does not. */
export interface ConsoleServerFacts {
  /** The bound ports (known once each frontend listens). */
  ports(): { http?: number; grpc?: number; metrics?: number };
  /** `--model-control-mode`. */
  controlMode: 'none' | 'poll' | 'explicit';
  /** When the server started, wall-clock ms. */
  startedAtMs: number;
  /** Wall-clock ms now (injected for tests). */
  nowMs(): number;
  /** The HTTP port's restricted groups (only header names are shown, never values). */
  restrictions: ApiRestrictions;
}

/** Options of {@link mountConsole}. */
export interface ConsoleOptions {
  stats: LiveStats;
  server: ConsoleServerFacts;
  /** The server's version, shown on `GET /`. */
  version: string;
  /** Folder of the built files (default {@link CONSOLE_ASSETS_DIR}). */
  assetsDir?: string | undefined;
}

/** One file of the console, read once at start-up. */
interface Asset {
  body: Buffer;
  type: string;
}

function readAssets(dir: string): Map<string, Asset> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new Error(`--console: the console's files are missing (${dir}); build them with npm run build`);
  }
  if (!names.includes('index.html')) {
    throw new Error(`--console: ${join(dir, 'index.html')} is missing; build the console with npm run build`);
  }
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const ext = name.slice(name.lastIndexOf('.'));
    const type = CONTENT_TYPES[ext];
    if (type !== undefined) assets.set(name, { body: readFileSync(join(dir, name)), type });
  }
  return assets;
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function rootPage(version: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tensorgate</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>tensorgate ${escapeHtml(version)}</h1>
<p><a href="${CONSOLE_PREFIX}">Open the console</a> (models, live charts, try-it forms).</p>
<p>APIs: KServe v2 at <code>/v2</code>, OpenAI-compatible at <code>/v1</code>.</p></body></html>
`;
}

/**
 * Registers the console's routes. Throws when the built files are missing.
 *
 * @example
 * ```ts
 * const live = new LiveStats(systemClock);
 * mountConsole(http.server, { stats: live, version: '0.1.0', server: facts });
 * ```
 */
export function mountConsole(app: FastifyInstance, options: ConsoleOptions): void {
  const assets = readAssets(options.assetsDir ?? CONSOLE_ASSETS_DIR);
  const asset: StaticAssetConfig = { staticAsset: true };
  const page = assets.get('index.html')!;
  const root = Buffer.from(rootPage(options.version));

  app.get('/', { config: asset }, async (_request, reply) => {
    await secure(reply).type('text/html; charset=utf-8').send(root);
  });
  for (const url of [CONSOLE_PREFIX, `${CONSOLE_PREFIX}/`]) {
    app.get(url, { config: asset }, async (_request, reply) => {
      await secure(reply).type(page.type).send(page.body);
    });
  }
  app.get<{ Params: { file: string } }>(`${CONSOLE_PREFIX}/:file`, { config: asset }, async (request, reply) => {
    // Only the files read at start-up: a name is a Map key, never a path.
    const file = assets.get(request.params.file);
    if (file === undefined) throw notFound(`no console file '${request.params.file}'`);
    await secure(reply).type(file.type).send(file.body);
  });

  const handlers: Record<ConsoleHandlerName, (query: Record<string, unknown>) => unknown> = {
    consoleServer: () => {
      const { server } = options;
      const restricted = server.restrictions
        .groups()
        .map((group) => ({ group, header: server.restrictions.get(group)!.header }));
      return {
        uptime_s: Math.max(0, Math.floor((server.nowMs() - server.startedAtMs) / 1000)),
        started_at: new Date(server.startedAtMs).toISOString(),
        ports: server.ports(),
        model_control_mode: server.controlMode,
        restricted,
      };
    },
    consoleStats: (query) => options.stats.snapshot(parseSince(query['since'])),
  };
  for (const route of CONSOLE_ROUTES) {
    app.route({
      method: route.method,
      url: route.url,
      config: { apiGroup: API_GROUP_TABLE.console[route.handler] },
      handler: async (request, reply) => {
        const body = handlers[route.handler]((request.query ?? {}) as Record<string, unknown>);
        await secure(reply).type('application/json').send(JSON.stringify(body));
      },
    });
  }
}

/** `since` of `/console/api/stats`: wall-clock ms, a whole number ≥ 0 (default 0: every kept row). */
export function parseSince(value: unknown): number {
  if (value === undefined || value === '') return 0;
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw invalidArg(`since must be a whole number of milliseconds since the epoch, got '${String(value)}'`);
  }
  return n;
}
