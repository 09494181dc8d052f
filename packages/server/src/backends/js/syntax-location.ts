/**
 * Where a JS model file's syntax error is. Node 20 keeps no location on the SyntaxError of an ES
 * module that fails to compile (it prints one to stderr and drops it), so a load failure would say
 * only "Unexpected token ';'". We parse the file again with acorn — the parser ESLint uses, well
 * kept and dependency-free — to find the line and column. Acorn and V8 agree on standard syntax;
 * where they do not (acorn finds no error), the location is simply left out.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'acorn';

/** A syntax error's place in a file: 1-based line and column, and that line of source. */
export interface SyntaxLocation {
  readonly line: number;
  readonly column: number;
  /** The line's text, trimmed and cut to {@link MAX_SOURCE_CHARS} characters. */
  readonly source: string;
}

/** How much of the offending line a message quotes. */
export const MAX_SOURCE_CHARS = 100;

/** Files larger than this are not re-parsed (a model file is code, not data). */
const MAX_PARSE_BYTES = 8 * 1024 * 1024;

/**
 * Parses `text` as an ES module (how the JS backend imports model files) and returns the location
 * of the first syntax error, or undefined when it parses.
 *
 * @example
 * ```ts
 * syntaxLocationOf('const a = ;'); // { line: 1, column: 11, source: 'const a = ;' }
 * ```
 */
export function syntaxLocationOf(text: string): SyntaxLocation | undefined {
  try {
    parse(text, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true });
    return undefined;
  } catch (err) {
    return locationFrom(err, text);
  }
}

function locationFrom(err: unknown, text: string): SyntaxLocation | undefined {
  const loc = (err as { loc?: { line?: unknown; column?: unknown } } | undefined)?.loc;
  if (typeof loc?.line !== 'number' || typeof loc.column !== 'number') return undefined;
  const lineText = (text.split(/\r\n|\r|\n|\u2028|\u2029/)[loc.line - 1] ?? '').trim();
  const source = lineText.length > MAX_SOURCE_CHARS ? `${lineText.slice(0, MAX_SOURCE_CHARS)}…` : lineText;
  return { line: loc.line, column: loc.column + 1, source };
}

/**
 * Reads `file` and locates its syntax error; undefined when it cannot be read, is too large, or
 * parses (the error is then in a module it imports, or acorn and V8 disagree).
 *
 * @example
 * ```ts
 * const at = await locateSyntaxError('/models/m/1/model.js'); // { line: 5, column: 47, source: '...' }
 * ```
 */
export async function locateSyntaxError(file: string): Promise<SyntaxLocation | undefined> {
  let text: string;
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_PARSE_BYTES) return undefined;
    text = buf.toString('utf8');
  } catch {
    return undefined;
  }
  return syntaxLocationOf(text);
}
