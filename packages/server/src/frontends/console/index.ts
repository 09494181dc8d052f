/**
 * The web console (`--console`): its routes on the HTTP port and its live statistics.
 */
export { mountConsole, CONSOLE_ASSETS_DIR, CONSOLE_CSP, parseSince } from './mount-console.js';
export type { ConsoleOptions, ConsoleServerFacts } from './mount-console.js';
export { CONSOLE_PREFIX, CONSOLE_ROUTES } from './console-routes.js';
export type { ConsoleHandlerName, ConsoleRouteSpec } from './console-routes.js';
export { LiveStats, LIVE_STATS_COLUMNS, DEFAULT_LIVE_STATS_WINDOW_SECONDS } from './live-stats.js';
export type { LiveSeries, LiveStatsSnapshot, LiveStatsOptions } from './live-stats.js';
