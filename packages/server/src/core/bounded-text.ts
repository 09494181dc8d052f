/**
 * Bounds text that may carry what a client sent (a 1 MiB model name echoed in "unknown model"),
 * keeping its head and its tail: the start says what failed, the end often how ("... is not
 * found"). Used by `InferenceError` for every message, and by the gRPC frontend for the
 * percent-encoded `grpc-message` trailer, whose size clients cap (grpcio: 8 KiB of metadata).
 */

/** Size of one character in some unit (UTF-16 code units by default). */
export type UnitsOf = (codePoint: number) => number;

const codeUnits: UnitsOf = (cp) => (cp > 0xffff ? 2 : 1);

/** Units of all of `text`. */
export function textUnits(text: string, unitsOf: UnitsOf = codeUnits): number {
  let n = 0;
  for (const ch of text) n += unitsOf(ch.codePointAt(0)!);
  return n;
}

/**
 * `text` unchanged when it fits in `max` units, else its head (about three quarters) and tail
 * around `...[N characters omitted]...`, in at most `max` units. Cuts fall between code points,
 * never inside a surrogate pair. Costs O(max), however long `text` is (a name may be 64 MiB).
 *
 * @param unitsOf - units of one code point; at least one per UTF-16 code unit
 * @example
 * ```ts
 * elideMiddle(`unknown model '${'n'.repeat(10_000)}' is not found`, 100);
 * // "unknown model 'nnn…nnn...[9933 characters omitted]...nnnn' is not found" (at most 100 characters)
 * ```
 */
export function elideMiddle(text: string, max: number, unitsOf: UnitsOf = codeUnits): string {
  // Units are at least the code units, so a text longer than `max` code units never fits.
  if (text.length <= max && textUnits(text, unitsOf) <= max) return text;
  // The marker is ASCII (one unit a character); its number has at most the digits of text.length.
  const markerUnits = `...[${text.length} characters omitted]...`.length;
  const budget = Math.max(0, max - markerUnits);
  const headBudget = Math.ceil((budget * 3) / 4);
  let head = 0;
  let used = 0;
  while (head < text.length) {
    const cp = text.codePointAt(head)!;
    const u = unitsOf(cp);
    if (used + u > headBudget) break;
    used += u;
    head += cp > 0xffff ? 2 : 1;
  }
  let tail = text.length;
  while (tail > head) {
    // A low surrogate ends a pair: step back over both.
    const low = text.charCodeAt(tail - 1);
    const pair = low >= 0xdc00 && low <= 0xdfff && tail - 2 >= head && isHigh(text.charCodeAt(tail - 2));
    const at = pair ? tail - 2 : tail - 1;
    const u = unitsOf(text.codePointAt(at)!);
    if (used + u > budget) break;
    used += u;
    tail = at;
  }
  return `${text.slice(0, head)}...[${tail - head} characters omitted]...${text.slice(tail)}`;
}

function isHigh(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
