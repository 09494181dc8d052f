/**
 * Finds where a JSON document stops being valid, for error messages. V8's `JSON.parse` messages
 * only sometimes carry a position ("Unexpected token '}', ... is not valid JSON" does not), so on
 * failure the text is re-scanned by this small recursive-descent validator (hand-written: it
 * runs only on the error path, and no installed library reports positions).
 */

/** Where the first error in a JSON text is. */
export interface JsonErrorPosition {
  /** 0-based character offset. */
  position: number;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

class Stop extends Error {
  constructor(readonly at: number) {
    super('stop');
  }
}

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// JSON forbids raw control characters inside strings, so the class must name them.
// eslint-disable-next-line no-control-regex
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*/y;

/**
 * Returns the position of the first syntax error in `text`, or undefined when it is valid JSON.
 *
 * @example
 * ```ts
 * locateJsonError('{"a": [}') // { position: 7, line: 1, column: 8 }
 * ```
 */
export function locateJsonError(text: string): JsonErrorPosition | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && WS.has(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++) if (text[i + k] !== word[k]) throw new Stop(i + k);
    i += word.length;
  };
  const string = (): void => {
    if (text[i] !== '"') throw new Stop(i);
    STRING_BODY.lastIndex = i + 1;
    STRING_BODY.exec(text);
    i = STRING_BODY.lastIndex;
    if (text[i] !== '"') throw new Stop(i);
    i++;
  };
  const value = (depth: number): void => {
    if (depth > 2_000) throw new Stop(i);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        if (text[i] !== ':') throw new Stop(i);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else throw new Stop(i);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else throw new Stop(i);
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    NUMBER.lastIndex = i;
    if (NUMBER.exec(text) === null || NUMBER.lastIndex === i) throw new Stop(i);
    i = NUMBER.lastIndex;
  };
  try {
    value(0);
    ws();
    if (i < text.length) throw new Stop(i);
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    const before = text.slice(0, err.at);
    const lastNewline = before.lastIndexOf('\n');
    return {
      position: err.at,
      line: before.split('\n').length,
      column: err.at - lastNewline,
    };
  }
}
