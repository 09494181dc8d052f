/**
 * Parser for the protobuf text format into a schema-free syntax tree.
 *
 * Hand-written on purpose: no maintained npm library parses the text format against a protobufjs
 * schema, and users need `file:line:column` in every error. The tree keeps each field's position;
 * `pbtxt-to-object.ts` then resolves it against the `inference.ModelConfig` schema.
 *
 * Accepted syntax (what protobuf's own text parser accepts, minus extensions and `Any`):
 * `#` comments; messages in `{ }` or `< >` with an optional `:` before them; scalar fields
 * `name: value`; repeated fields written as repeated entries and/or `[a, b]` lists (a list of
 * messages may omit the `:`); fields optionally followed by `,` or `;`; adjacent string literals
 * concatenated; negative numbers as `-` followed by a number, `inf` or `nan`.
 */
import { MAX_JSON_DEPTH } from '../json-limits.js';
import { pbtxtError, tokenizePbtxt, type PbtxtToken, type SourcePosition } from './pbtxt-lexer.js';

/**
 * Deepest nesting of messages (and lists) accepted: the server's one nesting limit for structured
 * text (`MAX_JSON_DEPTH`, 64). The parser is recursive, and thousands of `a {` overflowed the stack
 * with a RangeError instead of a config error; ModelConfig itself nests at most 6 levels.
 */
export const MAX_PBTXT_DEPTH = MAX_JSON_DEPTH;

/** A scalar value as written: an identifier (enum name, bool, inf/nan), a number or a string. */
export interface PbtxtScalar extends SourcePosition {
  kind: 'scalar';
  token: 'ident' | 'number' | 'string';
  /** Identifier or number text, or the decoded (and concatenated) string value. */
  text: string;
  /** Whether a `-` preceded a number or identifier. */
  negative: boolean;
}

/** A message value: `{ ... }` or `< ... >`, or the whole file. */
export interface PbtxtMessage extends SourcePosition {
  kind: 'message';
  fields: PbtxtField[];
}

/** A value of a field. */
export type PbtxtValue = PbtxtScalar | PbtxtMessage;

/** One field entry as it appears in the source. A field may appear several times. */
export interface PbtxtField extends SourcePosition {
  name: string;
  /** Whether the name was followed by `:`. */
  hasColon: boolean;
  /** Whether the values were written as a `[ ... ]` list. */
  isList: boolean;
  /** One value, or the elements of the list (possibly none). */
  values: PbtxtValue[];
}

const CLOSE: Record<string, string> = { '{': '}', '<': '>' };

/**
 * Parses text-format source into a tree of fields with positions. It knows nothing about the
 * schema; see `pbtxtToObject` for that.
 *
 * @param src - the text, e.g. the contents of `config.pbtxt`
 * @param file - the path shown in error messages
 * @throws InferenceError INVALID_ARG `file:line:col: ...` on a syntax error
 * @example
 * ```ts
 * const tree = parsePbtxt('max_batch_size: 8\ninput [{ name: "x" }]', 'config.pbtxt');
 * tree.fields[1]?.name; // 'input'
 * ```
 */
export function parsePbtxt(src: string, file: string): PbtxtMessage {
  return new Parser(tokenizePbtxt(src, file), file).parseFile();
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly tokens: PbtxtToken[],
    private readonly file: string,
  ) {}

  parseFile(): PbtxtMessage {
    const first = this.peek();
    const fields = this.parseFields(undefined);
    return { kind: 'message', fields, line: first.line, column: first.column };
  }

  private peek(): PbtxtToken {
    return this.tokens[this.i] as PbtxtToken;
  }

  private next(): PbtxtToken {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === text;
  }

  private fail(t: PbtxtToken, message: string): never {
    throw pbtxtError(this.file, t, message);
  }

  private describe(t: PbtxtToken): string {
    if (t.kind === 'eof') return 'end of file';
    if (t.kind === 'string') return 'a string';
    return `'${t.text}'`;
  }

  /** Parses fields until the closing token (or end of file when `close` is undefined). */
  private parseFields(close: string | undefined): PbtxtField[] {
    const fields: PbtxtField[] = [];
    for (;;) {
      const t = this.peek();
      if (close === undefined ? t.kind === 'eof' : this.isPunct(close)) return fields;
      if (t.kind === 'eof') this.fail(t, `expected '${close as string}' before end of file`);
      fields.push(this.parseField());
      if (this.isPunct(',') || this.isPunct(';')) this.next();
    }
  }

  private parseField(): PbtxtField {
    const nameTok = this.next();
    if (nameTok.kind === 'punct' && nameTok.text === '[') {
      this.fail(nameTok, 'extension and Any fields are not supported');
    }
    if (nameTok.kind !== 'ident') this.fail(nameTok, `expected a field name, found ${this.describe(nameTok)}`);
    const field: PbtxtField = {
      name: nameTok.text,
      hasColon: false,
      isList: false,
      values: [],
      line: nameTok.line,
      column: nameTok.column,
    };
    if (this.isPunct(':')) {
      this.next();
      field.hasColon = true;
    }
    const t = this.peek();
    if (t.kind === 'punct' && (t.text === '{' || t.text === '<')) {
      field.values.push(this.parseMessage());
    } else if (t.kind === 'punct' && t.text === '[') {
      field.isList = true;
      field.values = this.parseList();
    } else if (field.hasColon) {
      field.values.push(this.parseScalar());
    } else {
      this.fail(t, `expected ':', '{' or '[' after field name '${field.name}', found ${this.describe(t)}`);
    }
    return field;
  }

  private parseMessage(): PbtxtMessage {
    const open = this.next();
    this.enter(open);
    const close = CLOSE[open.text] as string;
    const fields = this.parseFields(close);
    this.next();
    this.depth--;
    return { kind: 'message', fields, line: open.line, column: open.column };
  }

  /** One level deeper; refuses more than {@link MAX_PBTXT_DEPTH}. */
  private enter(at: PbtxtToken): void {
    if (++this.depth > MAX_PBTXT_DEPTH) {
      this.fail(at, `messages and lists are nested too deeply (more than ${MAX_PBTXT_DEPTH} levels)`);
    }
  }

  private parseList(): PbtxtValue[] {
    this.enter(this.next()); // '['
    const values = this.parseListValues();
    this.depth--;
    return values;
  }

  private parseListValues(): PbtxtValue[] {
    const values: PbtxtValue[] = [];
    if (this.isPunct(']')) {
      this.next();
      return values;
    }
    for (;;) {
      const t = this.peek();
      values.push(t.kind === 'punct' && (t.text === '{' || t.text === '<') ? this.parseMessage() : this.parseScalar());
      const sep = this.next();
      if (sep.kind === 'punct' && sep.text === ']') return values;
      if (!(sep.kind === 'punct' && sep.text === ',')) {
        this.fail(sep, `expected ',' or ']' in list, found ${this.describe(sep)}`);
      }
    }
  }

  private parseScalar(): PbtxtScalar {
    const t = this.next();
    if (t.kind === 'string') {
      let text = t.text;
      while (this.peek().kind === 'string') text += this.next().text;
      return { kind: 'scalar', token: 'string', text, negative: false, line: t.line, column: t.column };
    }
    if (t.kind === 'punct' && t.text === '-') {
      const v = this.next();
      if (v.kind !== 'number' && v.kind !== 'ident') {
        this.fail(v, `expected a number after '-', found ${this.describe(v)}`);
      }
      return { kind: 'scalar', token: v.kind, text: v.text, negative: true, line: t.line, column: t.column };
    }
    if (t.kind === 'number' || t.kind === 'ident') {
      return { kind: 'scalar', token: t.kind, text: t.text, negative: false, line: t.line, column: t.column };
    }
    return this.fail(t, `expected a value, found ${this.describe(t)}`);
  }
}
