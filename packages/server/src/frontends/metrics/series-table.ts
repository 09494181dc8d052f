/**
 * The per-(model, version) records of an observer, found without building a key string per event:
 * a two-level map (model, then version) behind a one-entry cache of the last record looked up,
 * which is the usual hit when one model serves the traffic.
 */

/** What a record of a {@link SeriesTable} must carry: the labels it was created for. */
export interface VersionKeyed {
  readonly model: string;
  readonly version: string;
}

/**
 * Records keyed by model and version, created on first use, iterated in creation order (the order
 * their series are exported in).
 *
 * @example
 * ```ts
 * const table = new SeriesTable((model, version) => ({ model, version, count: 0 }));
 * table.ensure('simple', '1').count += 1;
 * table.delete('simple', '1');
 * ```
 */
export class SeriesTable<T extends VersionKeyed> implements Iterable<T> {
  private readonly byModel = new Map<string, Map<string, T>>();
  private readonly ordered = new Set<T>();
  private last: T | undefined;

  /** `create` builds the record of a (model, version) seen for the first time. */
  constructor(private readonly create: (model: string, version: string) => T) {}

  /** The record of `model` / `version`, created (and appended to the iteration order) if absent. */
  ensure(model: string, version: string): T {
    const last = this.last;
    if (last !== undefined && last.version === version && last.model === model) return last;
    let versions = this.byModel.get(model);
    let record = versions?.get(version);
    if (record === undefined) {
      record = this.create(model, version);
      if (versions === undefined) {
        versions = new Map();
        this.byModel.set(model, versions);
      }
      versions.set(version, record);
      this.ordered.add(record);
    }
    this.last = record;
    return record;
  }

  /** Removes the record of `model` / `version`; returns it, or undefined when there was none. */
  delete(model: string, version: string): T | undefined {
    const versions = this.byModel.get(model);
    const record = versions?.get(version);
    if (versions === undefined || record === undefined) return undefined;
    versions.delete(version);
    if (versions.size === 0) this.byModel.delete(model);
    this.ordered.delete(record);
    if (this.last === record) this.last = undefined;
    return record;
  }

  /** The records in creation order. */
  [Symbol.iterator](): Iterator<T> {
    return this.ordered[Symbol.iterator]();
  }
}
