/**
 * Limits on guessing passwords and on creating accounts, kept in this node's memory (a restart
 * forgets them; each node of a cluster counts on its own).
 *
 * Login, three limits, none of which the right password from an address that is not guessing runs into:
 * - per account and address: after `loginBackoffAfter` failures the pair waits, twice as long after
 *   each further failure, up to `loginBackoffMaxMs`. A success from the pair forgets its failures.
 * - per address, whatever the account (password spraying): `loginAddressMaxFailures` failures within
 *   the window and the address waits until the oldest of them leaves it.
 * - per account, whatever the address (guessing from many addresses): over `loginAccountMaxFailures`
 *   failures within the window, an address that has already failed for the account waits; one that has
 *   not still gets its try. A lock on the account itself would let anyone lock its owner out.
 * An address the account has signed in from before (on this node, within 30 days) is exempt from the
 * last two: a shared NAT's regular users keep signing in while someone behind it sprays.
 * Accounts are keyed by the normalised email, known or not, so the limits tell nothing about which
 * accounts exist.
 */
import { CsmsError, type CsmsErrorCode } from '../domain/errors.ts';
import type { Clock } from '../domain/ports.ts';

export interface AttemptLimitSettings {
  loginBackoffAfter: number;
  loginBackoffBaseMs: number;
  loginBackoffMaxMs: number;
  loginFailureWindowS: number;
  /** 0: no cap per account. */
  loginAccountMaxFailures: number;
  /** 0: no cap per address. */
  loginAddressMaxFailures: number;
  /** 0: registration is not limited. */
  registrationsPerAddressPerHour: number;
}

export interface AttemptLimits {
  /**
   * Throws the limit's CsmsError (429, `data.retryAfterS`) when this login may not be tried now.
   * Otherwise counts it as failed until `succeeded()` is called, so that parallel guesses cannot all
   * pass the check before the first of them has failed.
   */
  loginAttempt(email: string, address: string): { succeeded(): void };
  /** Throws CSMS_ERR_REGISTRATION_LIMITED, or counts a registration. */
  registrationAttempt(address: string): void;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A pair's failures are forgotten a day after its last one. */
const PAIR_MEMORY_MS = DAY_MS;
/** How long a successful sign-in exempts its address for that account. */
const TRUSTED_MEMORY_MS = 30 * DAY_MS;
const SWEEP_EVERY_MS = 60_000;
/** Entries kept per table; past it the least recently written go, so no flood can exhaust memory. */
const MAX_KEYS = 100_000;

/** A Map of at most `maxKeys` entries that drops the least recently written. */
class Table<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly maxKeys: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.maxKeys) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  sweep(expired: (value: V) => boolean): void {
    for (const [key, value] of this.map) if (expired(value)) this.map.delete(key);
  }
  get size(): number {
    return this.map.size;
  }
}

/**
 * The times of recent events per key: full while `max` of them fall within the window. Up to 2×max
 * are kept, so that taking back an attempt that turned out fine leaves the count exact.
 */
class Recent {
  private readonly table: Table<number[]>;
  constructor(private readonly max: number, private readonly windowMs: number, maxKeys: number) {
    this.table = new Table(maxKeys);
  }
  /** Milliseconds until `key` has room again; 0 when it has room now. */
  waitMs(key: string, now: number): number {
    const times = this.table.get(key);
    if (this.max <= 0 || !times || times.length < this.max) return 0;
    return Math.max(0, times[times.length - this.max] + this.windowMs - now);
  }
  add(key: string, now: number): void {
    if (this.max <= 0) return;
    const times = (this.table.get(key) ?? []).filter((t) => t > now - this.windowMs);
    times.push(now);
    if (times.length > 2 * this.max) times.shift();
    this.table.set(key, times);
  }
  /** Takes back the event added at `at`. */
  remove(key: string, at: number): void {
    const times = this.table.get(key);
    const i = times ? times.lastIndexOf(at) : -1;
    if (i >= 0) times!.splice(i, 1);
  }
  sweep(now: number): void {
    this.table.sweep((times) => times.length === 0 || times[times.length - 1] <= now - this.windowMs);
  }
}

interface Pair {
  failures: number;
  last: number;
}

/** "45 seconds", "3 minutes", "2 hours": what the pages show after "try again in". */
export function inWords(seconds: number): string {
  const [n, unit] = seconds < 60 ? [seconds, 'second'] : seconds < 5400 ? [Math.ceil(seconds / 60), 'minute'] : [Math.round(seconds / 3600), 'hour'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function limited(code: CsmsErrorCode, waitMs: number, limit: string): CsmsError {
  const retryAfterS = Math.max(1, Math.ceil(waitMs / 1000));
  return new CsmsError(code, `try again in ${inWords(retryAfterS)}`, { retryAfterS, limit });
}

/** Limits with their own memory; `clock` decides what "now" is (tests move it). */
export function createAttemptLimits(settings: AttemptLimitSettings, clock: Clock, opts: { maxKeys?: number } = {}): AttemptLimits {
  const maxKeys = opts.maxKeys ?? MAX_KEYS;
  const windowMs = settings.loginFailureWindowS * 1000;
  const pairs = new Table<Pair>(maxKeys);
  const trusted = new Table<number>(maxKeys);
  const byAddress = new Recent(settings.loginAddressMaxFailures, windowMs, maxKeys);
  const byAccount = new Recent(settings.loginAccountMaxFailures, windowMs, maxKeys);
  const registrations = new Recent(settings.registrationsPerAddressPerHour, HOUR_MS, maxKeys);
  let lastSweep = clock.now().getTime();

  function now(): number {
    const t = clock.now().getTime();
    if (t - lastSweep >= SWEEP_EVERY_MS) {
      lastSweep = t;
      pairs.sweep((p) => p.last <= t - PAIR_MEMORY_MS);
      trusted.sweep((at) => at <= t - TRUSTED_MEMORY_MS);
      byAddress.sweep(t);
      byAccount.sweep(t);
      registrations.sweep(t);
    }
    return t;
  }

  function backoffMs(pair: Pair, t: number): number {
    if (pair.failures < settings.loginBackoffAfter) return 0;
    const delay = Math.min(settings.loginBackoffBaseMs * 2 ** (pair.failures - settings.loginBackoffAfter), settings.loginBackoffMaxMs);
    return Math.max(0, pair.last + delay - t);
  }

  return {
    loginAttempt(email, address) {
      const t = now();
      const key = `${email}\n${address}`;
      const stored = pairs.get(key);
      const pair = stored && stored.last > t - PAIR_MEMORY_MS ? stored : undefined;
      const wait = pair ? backoffMs(pair, t) : 0;
      if (wait > 0) throw limited('CSMS_ERR_LOGIN_THROTTLED', wait, 'account-address');
      const signedInBefore = (trusted.get(key) ?? -Infinity) > t - TRUSTED_MEMORY_MS;
      if (!signedInBefore) {
        const addressWait = byAddress.waitMs(address, t);
        if (addressWait > 0) throw limited('CSMS_ERR_TOO_MANY_ATTEMPTS', addressWait, 'address');
        const accountWait = pair ? byAccount.waitMs(email, t) : 0;
        if (accountWait > 0) throw limited('CSMS_ERR_LOGIN_THROTTLED', accountWait, 'account');
      }
      pairs.set(key, { failures: (pair?.failures ?? 0) + 1, last: t });
      byAddress.add(address, t);
      byAccount.add(email, t);
      return {
        succeeded() {
          pairs.delete(key);
          byAddress.remove(address, t);
          byAccount.remove(email, t);
          trusted.set(key, clock.now().getTime());
        },
      };
    },

    registrationAttempt(address) {
      const t = now();
      const wait = registrations.waitMs(address, t);
      if (wait > 0) throw limited('CSMS_ERR_REGISTRATION_LIMITED', wait, 'registration');
      registrations.add(address, t);
    },
  };
}

/**
 * The key an address is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by its /64,
 * since one host usually holds a whole /64 and could otherwise change address on every attempt.
 */
export function addressKey(ip: string): string {
  const address = ip.split('%')[0];
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An IPv4 tail ("64:ff9b::192.0.2.1") stands for two groups.
  const width = (parts: string[]) => parts.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - width(left) - width(right))).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}
