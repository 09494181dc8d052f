/**
 * Whether an object has any own or inherited enumerable key, without building a key array: the
 * per-request paths ask it of parameter maps that are almost always empty.
 */

/**
 * True when `o` has at least one enumerable key (false for null and undefined).
 *
 * @example
 * ```ts
 * hasKeys({}) // false
 * hasKeys({ priority: 1 }) // true
 * ```
 */
export function hasKeys(o: object | null | undefined): boolean {
  if (o == null) return false;
  for (const _ in o) return true;
  return false;
}
