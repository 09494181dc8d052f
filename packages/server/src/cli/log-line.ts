/**
 * Formats one pino record as a Triton-like text line:
 *
 * ```
 * I1206 07:00:00.123000 1234 tensorgate] model ready model=simple versions=[1]
 * 2026-12-06T07:00:00Z I 1234 grpc] server started port=8001      (--log-format ISO8601)
 * ```
 *
 * Severity letter (V verbose, I, W, E, F fatal), UTC timestamp (Triton's `default`: `MMDD
 * hh:mm:ss.uuuuuu`, the microseconds from pino's millisecond clock; `ISO8601`:
 * `YYYY-MM-DDThh:mm:ssZ L`), pid, a component where Triton shows `file.cc:line` (the `frontend`
 * a line comes from, else the logger's name), the message, then the other fields as key=value.
 * An error's stack follows on indented lines. Control characters in the message and values are
 * escaped, so one record stays one line (plus its stack).
 *
 * Hand-written rather than pino-pretty: its layout is not Triton's, and this is one pure function.
 */
import type { LogTimeFormat } from '../core/log-output.js';

/** pino's bookkeeping keys, shown in the line's head rather than as fields. */
const HEAD_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'frontend']);

function letter(level: number): string {
  if (level >= 60) return 'F';
  if (level >= 50) return 'E';
  if (level >= 40) return 'W';
  if (level >= 30) return 'I';
  return 'V';
}

const two = (n: number): string => String(n).padStart(2, '0');

function timestamp(time: number, format: LogTimeFormat, severity: string): string {
  const d = new Date(time);
  const hms = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  if (format === 'ISO8601') {
    return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${hms}Z ${severity}`;
  }
  const micros = String(d.getUTCMilliseconds() * 1000).padStart(6, '0');
  return `${severity}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())} ${hms}.${micros}`;
}

// Control characters (newlines included) as JSON escapes them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u001f\u007f]/;

function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') {
    return /^[^\s"=\\]+$/.test(value) && !HAS_CONTROL.test(value) ? value : JSON.stringify(value);
  }
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

interface SerializedError {
  type?: unknown;
  message?: unknown;
  stack?: unknown;
}

/**
 * The text line of a pino record (its parsed JSON), without the trailing newline.
 *
 * @example
 * ```ts
 * formatLogLine({ level: 30, time: 0, pid: 7, name: 'tensorgate', msg: 'model ready', model: 'simple' }, 'default');
 * // 'I0101 00:00:00.000000 7 tensorgate] model ready model=simple'
 * ```
 */
export function formatLogLine(record: Record<string, unknown>, format: LogTimeFormat): string {
  const level = typeof record['level'] === 'number' ? record['level'] : 30;
  const time = typeof record['time'] === 'number' ? record['time'] : Date.now();
  const component = record['frontend'] ?? record['name'] ?? 'tensorgate';
  const head = `${timestamp(time, format, letter(level))} ${String(record['pid'] ?? process.pid)} ${String(component)}]`;
  const msg = typeof record['msg'] === 'string' ? record['msg'] : '';
  const fields: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(record)) {
    if (HEAD_KEYS.has(key)) continue;
    if ((key === 'err' || key === 'error') && value !== null && typeof value === 'object') {
      const err = value as SerializedError;
      fields.push(`${key}=${fieldValue(`${String(err.type ?? 'Error')}: ${String(err.message ?? '')}`)}`);
      if (typeof err.stack === 'string') {
        stack = err.stack
          .split('\n')
          .slice(1)
          .map((line) => `\n    ${escapeControl(line.trim())}`)
          .join('');
      }
      continue;
    }
    fields.push(`${key}=${fieldValue(value)}`);
  }
  const body = [escapeControl(msg), ...fields].filter((part) => part !== '').join(' ');
  return `${head} ${body}${stack}`;
}
