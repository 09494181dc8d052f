/**
 * Turns the text of one setting (a flag's argument or an env var) into its typed value. CLI and
 * env go through the same functions so both accept and reject exactly the same spellings.
 *
 * Hand-written: commander only hands over strings, and Triton's value rules (booleans as
 * true/false/on/off/1/0, `--log-verbose true`) are ours to reproduce.
 */
import type { SettingEntry } from './settings-schema.js';

/** A typed setting value. */
export type SettingValue = string | number | boolean | string[];

/** Thrown for a bad setting; the message names the flag or env var and what is wrong. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** A value that does not fit its entry; the caller adds where it came from. */
export class InvalidValueError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidValueError';
  }
}

const TRUE_WORDS = new Set(['true', '1', 'on', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'off', 'no']);

/**
 * Parses a boolean the way `tritonserver` does (true/on/1, false/off/0; any case), plus yes/no.
 *
 * @example
 * ```ts
 * parseBool('FALSE'); // false
 * ```
 */
export function parseBool(text: string): boolean {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new InvalidValueError('must be true or false (also on/off, 1/0, yes/no)');
}

/** Parses a whole decimal number within `[min, max]`; rejects `1.5`, `1e3`, `0x10` and blanks. */
export function parseInteger(text: string, min: number, max: number): number {
  const trimmed = text.trim();
  const value = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidValueError(`must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * Parses a comma-separated list (an env var's form of a repeatable flag), or one separated by
 * `separator`; items are trimmed and blanks dropped.
 */
export function parseList(text: string, separator: ',' | ';' = ','): string[] {
  return text
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Parses one string for `entry`. Lists get a single item here (a repeated flag adds one at a
 * time); env vars are split with {@link parseList} first.
 */
export function parseValue(entry: SettingEntry, text: string): SettingValue {
  switch (entry.type) {
    case 'bool':
      return parseBool(text);
    case 'int':
      if (entry.boolAsInt) {
        const word = text.trim().toLowerCase();
        if (word === 'true') return 1;
        if (word === 'false') return 0;
      }
      return parseInteger(text, entry.min, entry.max);
    case 'enum': {
      const choices: readonly string[] = entry.choices;
      if (!choices.includes(text)) throw new InvalidValueError(`must be one of: ${choices.join(', ')}`);
      return text;
    }
    case 'string':
    case 'list':
      if (text.trim() === '') throw new InvalidValueError('must not be empty');
      return text;
  }
}

/** Parses the value of `entry`'s environment variable. */
export function parseEnvValue(entry: SettingEntry, text: string): SettingValue {
  if (entry.type !== 'list') return parseValue(entry, text);
  return parseList(text, entry.envSeparator ?? ',');
}

/** The default of an entry as `--help` and docs show it. */
export function formatDefault(entry: SettingEntry): string | undefined {
  if (!('default' in entry) || entry.default === undefined) return undefined;
  const value: unknown = entry.default;
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  return String(value);
}
