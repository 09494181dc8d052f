/**
 * Tokenizer for the protobuf text format (the syntax of Triton's `config.pbtxt`).
 *
 * Written by hand: no maintained npm package parses the text format against a protobufjs
 * schema (protobufjs itself only reads .proto files and JSON), and we need every token's line and
 * column to point users at the exact spot of a mistake in their config.
 */
import { invalidArg, type InferenceError } from '../errors.js';

/** A 1-based position in a source file. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Kinds of text-format tokens. */
export type PbtxtTokenKind = 'ident' | 'number' | 'string' | 'punct' | 'eof';

/** One token with its position. */
export interface PbtxtToken extends SourcePosition {
  kind: PbtxtTokenKind;
  /** Identifier or number as written, punctuation character, or the decoded string value. */
  text: string;
}

/**
 * Builds the INVALID_ARG error used for every config syntax and schema problem, prefixed with
 * `file:line:column` like compilers do, so editors can jump to it.
 *
 * @example
 * ```ts
 * throw pbtxtError('m/config.pbtxt', { line: 3, column: 5 }, "unknown field 'foo' in inference.ModelInput");
 * ```
 */
export function pbtxtError(file: string, pos: SourcePosition, message: string): InferenceError {
  return invalidArg(`${file}:${pos.line}:${pos.column}: ${message}`);
}

const PUNCT = new Set(['{', '}', '<', '>', '[', ']', ':', ',', ';', '-', '/', '.']);
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER_PART = /[0-9A-Za-z_.+-]/;
const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/**
 * Splits text-format source into tokens. Comments (`#` to end of line) and whitespace are
 * dropped; string literals are returned decoded (all C escapes, octal, `\x` hex, `\u`/`\U`).
 *
 * @example
 * ```ts
 * tokenizePbtxt('name: "a\\tb"  # comment', 'config.pbtxt').map((t) => t.text); // ['name', ':', 'a\tb', '']
 * ```
 */
export function tokenizePbtxt(src: string, file: string): PbtxtToken[] {
  const tokens: PbtxtToken[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (at: number): SourcePosition => ({ line, column: at - lineStart + 1 });

  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const start = pos(i);
    if (IDENT_START.test(ch)) {
      let j = i + 1;
      while (j < src.length && IDENT_PART.test(src[j] as string)) j++;
      tokens.push({ kind: 'ident', text: src.slice(i, j), ...start });
      i = j;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      // Greedy: digits, letters (hex, exponent, `f` suffix), dots and exponent signs.
      while (j < src.length) {
        const c = src[j] as string;
        if (!NUMBER_PART.test(c)) break;
        if ((c === '+' || c === '-') && !/[eE]/.test(src[j - 1] as string)) break;
        if ((c === '+' || c === '-') && /^0[xX]/.test(src.slice(i, j))) break;
        j++;
      }
      tokens.push({ kind: 'number', text: src.slice(i, j), ...start });
      i = j;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const [value, end] = readString(src, i, file, start);
      tokens.push({ kind: 'string', text: value, ...start });
      i = end;
      continue;
    }
    if (PUNCT.has(ch)) {
      tokens.push({ kind: 'punct', text: ch, ...start });
      i++;
      continue;
    }
    throw pbtxtError(file, start, `unexpected character '${ch}'`);
  }
  tokens.push({ kind: 'eof', text: '', ...pos(i) });
  return tokens;
}

/** Reads one quoted string starting at `src[begin]`; returns the decoded value and the end index. */
function readString(src: string, begin: number, file: string, start: SourcePosition): [string, number] {
  const quote = src[begin];
  // Escapes produce bytes (octal/hex) or code points; collect bytes and decode as UTF-8 at the end
  // so that "\303\251" becomes "é" as protobuf would read it.
  const bytes: number[] = [];
  const flushChars = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  let i = begin + 1;
  for (;;) {
    if (i >= src.length || src[i] === '\n') {
      throw pbtxtError(file, start, 'unterminated string literal');
    }
    const c = src[i] as string;
    if (c === quote) break;
    if (c !== '\\') {
      flushChars(c);
      i++;
      continue;
    }
    const e = src[i + 1] ?? '';
    const escPos: SourcePosition = { line: start.line, column: start.column + (i - begin) };
    if (e in SIMPLE_ESCAPES) {
      flushChars(SIMPLE_ESCAPES[e] as string);
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(src.slice(i + 1)) as RegExpExecArray;
      const v = parseInt(m[0], 8);
      if (v > 255) throw pbtxtError(file, escPos, `octal escape '\\${m[0]}' is out of range`);
      bytes.push(v);
      i += 1 + m[0].length;
    } else if (e === 'x' || e === 'X') {
      const m = /^[0-9A-Fa-f]{1,2}/.exec(src.slice(i + 2));
      if (!m) throw pbtxtError(file, escPos, "'\\x' escape needs hex digits");
      bytes.push(parseInt(m[0], 16));
      i += 2 + m[0].length;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = src.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(hex) || parseInt(hex, 16) > 0x10ffff) {
        throw pbtxtError(file, escPos, `'\\${e}' escape needs ${n} hex digits of a valid code point`);
      }
      flushChars(String.fromCodePoint(parseInt(hex, 16)));
      i += 2 + n;
    } else {
      throw pbtxtError(file, escPos, `invalid escape sequence '\\${e}'`);
    }
  }
  return [Buffer.from(bytes).toString('utf8'), i + 1];
}
