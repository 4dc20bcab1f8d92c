// Failed logins counted per registered name and per source address, in fixed windows: past the allowance
// an attempt is refused at once, before any password is hashed. Pure: the caller passes `now` (ms). Both
// tables are bounded; the oldest count is forgotten first.

export interface LoginGuardLimits {
  perName: number;
  perAddress: number;
  windowMs: number;
  maxEntries: number;
}

interface Window {
  failures: number;
  /** When this window began (ms). */
  since: number;
}

export class LoginGuard {
  private readonly names = new Map<string, Window>();
  private readonly addresses = new Map<string, Window>();

  constructor(private readonly limits: LoginGuardLimits) {}

  /** Milliseconds until `key` from `address` may try again; 0 when it may now. */
  waitFor(key: string, address: string | undefined, now: number): number {
    const byName = this.wait(this.names, key, this.limits.perName, now);
    const byAddress = address === undefined ? 0 : this.wait(this.addresses, address, this.limits.perAddress, now);
    return Math.max(byName, byAddress);
  }

  /** A wrong password for `key` from `address`. */
  failed(key: string, address: string | undefined, now: number): void {
    this.count(this.names, key, now);
    if (address !== undefined) this.count(this.addresses, address, now);
  }

  /** The right password: the name's failures are forgotten (the address's stay: it may be guessing others). */
  succeeded(key: string): void {
    this.names.delete(key);
  }

  /** Counts held, for tests of the bound. */
  get size(): number {
    return this.names.size + this.addresses.size;
  }

  private wait(table: Map<string, Window>, id: string, allowed: number, now: number): number {
    const window = table.get(id);
    if (window === undefined) return 0;
    const ends = window.since + this.limits.windowMs;
    if (now >= ends) {
      table.delete(id);
      return 0;
    }
    return window.failures >= allowed ? ends - now : 0;
  }

  private count(table: Map<string, Window>, id: string, now: number): void {
    const window = table.get(id);
    if (window !== undefined && now < window.since + this.limits.windowMs) {
      window.failures++;
      return;
    }
    table.delete(id);
    table.set(id, { failures: 1, since: now });
    if (table.size > this.limits.maxEntries) {
      const oldest = table.keys().next();
      if (oldest.done !== true) table.delete(oldest.value);
    }
  }
}
