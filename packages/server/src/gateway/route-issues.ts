/**
 * Collects routes-file problems with their locations, and reads typed fields while doing so. Kept
 * apart from the route parser so the input and output parsers share one way of reporting.
 */

/** A plain JSON/YAML object. */
export type Obj = Record<string, unknown>;

/** Whether `v` is a plain object (not an array, not null). */
export function isRecord(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Joins a parent location and a key (`routes[0]` + `path` → `routes[0].path`). */
function at(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** A list of `location: message` lines plus typed field readers that add to it. */
export class Issues {
  readonly list: string[] = [];

  /** Records one problem. */
  add(location: string, message: string): void {
    this.list.push(`${location || '(root)'}: ${message}`);
  }

  /** Reports keys outside `known` (catches typos such as `input:` for `inputs:`). */
  unknownKeys(obj: Obj, parent: string, known: readonly string[]): void {
    for (const key of Object.keys(obj))
      if (!known.includes(key)) this.add(at(parent, key), `unknown field (known: ${known.join(', ')})`);
  }

  /** A string field; `required` reports its absence. */
  string(obj: Obj, key: string, parent: string, required = false): string | undefined {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.add(at(parent, key), 'is required');
      return undefined;
    }
    if (typeof v !== 'string' || v.length === 0) {
      this.add(at(parent, key), `expected a non-empty string, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  }

  /** An integer field within `[min, max]`. */
  int(obj: Obj, key: string, parent: string, min: number, max: number): number | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.add(at(parent, key), `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  }

  /** A boolean field (default false). */
  bool(obj: Obj, key: string, parent: string): boolean {
    const v = obj[key];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') {
      this.add(at(parent, key), `expected true or false, got ${JSON.stringify(v)}`);
      return false;
    }
    return v;
  }

  /** A list of non-empty strings. */
  stringList(obj: Obj, key: string, parent: string): string[] | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      this.add(at(parent, key), 'expected a list of strings');
      return undefined;
    }
    const out: string[] = [];
    v.forEach((s, i) => {
      if (typeof s === 'string' && s.length > 0) out.push(s);
      else this.add(`${at(parent, key)}[${i}]`, `expected a non-empty string, got ${JSON.stringify(s)}`);
    });
    return out;
  }
}
