/**
 * Client-side balancing of the HTTP client over several server addresses (replicas): round robin
 * over the addresses that are not ejected, where an address is ejected for a while after it failed
 * to answer (connection refused or lost, HTTP 502/503), so that retries and later calls go to the
 * replicas that still answer.
 *
 * Hand-written (~60 lines) because the HTTP client runs on the platform's `fetch` and must stay
 * dependency-free and browser-safe; undici's `BalancedPool` would do it in Node only and is not a
 * dependency. The gRPC client does not use this: grpc-js' own `round_robin` policy balances there.
 */

/** Options of an {@link AddressPicker}. */
export interface AddressPickerOptions {
  /** Ejection after the first consecutive failure, in milliseconds (default 1000); doubles per failure. */
  readonly baseEjectionMs?: number;
  /** Longest ejection, in milliseconds (default 30000). */
  readonly maxEjectionMs?: number;
  /** Clock in milliseconds (injectable for tests; default `Date.now`). */
  readonly now?: () => number;
}

/**
 * Round robin with ejection of failing addresses.
 *
 * @example
 * ```ts
 * const picker = new AddressPicker(['http://a:8000', 'http://b:8000']);
 * const base = picker.pick();
 * try { await send(base); picker.succeeded(base); } catch { picker.failed(base); }
 * ```
 */
export class AddressPicker {
  private cursor = 0;
  private readonly ejectedUntil: number[];
  private readonly failures: number[];
  private readonly baseEjectionMs: number;
  private readonly maxEjectionMs: number;
  private readonly now: () => number;

  constructor(
    readonly addresses: readonly string[],
    options: AddressPickerOptions = {},
  ) {
    if (addresses.length === 0) throw new Error('AddressPicker needs at least one address');
    this.ejectedUntil = addresses.map(() => 0);
    this.failures = addresses.map(() => 0);
    this.baseEjectionMs = options.baseEjectionMs ?? 1000;
    this.maxEjectionMs = options.maxEjectionMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The next address in turn that is not ejected; when every address is ejected, the one whose
   * ejection ends first (a call is never refused for want of an address).
   */
  pick(): string {
    const n = this.addresses.length;
    if (n === 1) return this.addresses[0]!;
    const now = this.now();
    let soonest = 0;
    for (let i = 0; i < n; i++) {
      const index = (this.cursor + i) % n;
      if (this.ejectedUntil[index]! <= now) {
        this.cursor = (index + 1) % n;
        return this.addresses[index]!;
      }
      if (this.ejectedUntil[index]! < this.ejectedUntil[soonest]!) soonest = index;
    }
    this.cursor = (soonest + 1) % n;
    return this.addresses[soonest]!;
  }

  /** `address` failed to answer: eject it for base × 2^(consecutive failures − 1), capped. */
  failed(address: string): void {
    const index = this.addresses.indexOf(address);
    if (index < 0 || this.addresses.length === 1) return;
    const failures = (this.failures[index] = this.failures[index]! + 1);
    const ejection = Math.min(this.maxEjectionMs, this.baseEjectionMs * 2 ** Math.min(failures - 1, 30));
    this.ejectedUntil[index] = this.now() + ejection;
  }

  /** `address` answered: it is healthy again. */
  succeeded(address: string): void {
    const index = this.addresses.indexOf(address);
    if (index < 0 || this.failures[index] === 0) return;
    this.failures[index] = 0;
    this.ejectedUntil[index] = 0;
  }
}
