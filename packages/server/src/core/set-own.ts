/**
 * Writes a client-chosen key into a plain object. `obj[key] = value` with the key `__proto__`
 * sets the object's prototype instead (or does nothing, for a primitive value): a request
 * parameter named `__proto__` vanished without a word. Defined as an own property it is kept like
 * any other name (and survives structured cloning to workers), as `JSON.parse` and
 * `Object.fromEntries` already do.
 */

/**
 * Sets `obj[key] = value` as an own data property, whatever the key.
 *
 * @example
 * ```ts
 * const params: Record<string, unknown> = {};
 * setOwn(params, '__proto__', 1); // Object.keys(params) → ['__proto__']
 * ```
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}
