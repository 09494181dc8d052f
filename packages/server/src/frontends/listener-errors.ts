/**
 * Logging of a listening server's own errors (not a request's or a connection's): chiefly
 * `accept` failing with EMFILE/ENFILE when the process is out of file descriptors. libuv then
 * accepts and closes pending connections with a descriptor it keeps in reserve, so most such
 * moments pass without an error; when one does reach the server it must neither crash the process
 * (an 'error' event with no listener throws) nor write one log line per refused connection.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { backgroundClock, type Clock } from '../core/clock.js';

/** At most one warning per this period per listener; the rest are counted into the next one. */
export const LISTENER_ERROR_LOG_PERIOD_MS = 10_000;

/**
 * Logs `error` events of `server` (one of the HTTP, gRPC or metrics listeners) at warn level, at
 * most once per {@link LISTENER_ERROR_LOG_PERIOD_MS}; errors in between are counted and reported
 * with the next line (`suppressed`). The server keeps listening.
 *
 * @example
 * ```ts
 * logListenerErrors(httpServer, logger, 'HTTP');
 * // {"level":40,"listener":"HTTP","code":"EMFILE","suppressed":212,"msg":"listener error (server keeps serving)"}
 * ```
 */
export function logListenerErrors(
  server: EventEmitter,
  logger: Logger,
  listener: string,
  clock: Clock = backgroundClock,
): void {
  let suppressed = 0;
  let quietUntilNs = 0;
  server.on('error', (err: NodeJS.ErrnoException) => {
    const now = clock.nowNs();
    if (now < quietUntilNs) {
      suppressed += 1;
      return;
    }
    quietUntilNs = now + LISTENER_ERROR_LOG_PERIOD_MS * 1e6;
    logger.warn(
      { listener, code: err.code, syscall: err.syscall, err, suppressed },
      err.code === 'EMFILE' || err.code === 'ENFILE'
        ? 'listener out of file descriptors: new connections are refused until some close (server keeps serving)'
        : 'listener error (server keeps serving)',
    );
    suppressed = 0;
  });
}
