/**
 * The route table of the web console (`--console`), mounted on the HTTP port: its static files
 * (no API group: see `http/restricted-routes.ts`) and its two API routes, which carry groups like
 * every other route (`api-groups.ts`). One place for the paths, read by the frontend and by the
 * docs test (docs/api.md lists the API routes).
 */

/** Names of the console's API handlers. */
export type ConsoleHandlerName = 'consoleServer' | 'consoleStats';

/** One API route of the console. */
export interface ConsoleRouteSpec {
  readonly method: 'GET';
  readonly url: string;
  readonly handler: ConsoleHandlerName;
}

/** Where the console lives on the HTTP port. */
export const CONSOLE_PREFIX = '/console';

/**
 * The console's API routes: the server facts `/v2` lacks (uptime, ports, control mode, which
 * headers restricted groups need) and the per-second live statistics of its charts.
 *
 * @example
 * ```ts
 * CONSOLE_ROUTES.map((r) => r.url); // ['/console/api/server', '/console/api/stats']
 * ```
 */
export const CONSOLE_ROUTES: readonly ConsoleRouteSpec[] = [
  { method: 'GET', url: `${CONSOLE_PREFIX}/api/server`, handler: 'consoleServer' },
  { method: 'GET', url: `${CONSOLE_PREFIX}/api/stats`, handler: 'consoleStats' },
];
