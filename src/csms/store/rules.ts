/**
 * Rules both adapters apply alike: the checks they make before they write, so the API gets the same
 * readable error from either (the schemas have the same checks, which would only fail with a driver
 * error); how a patch, a page, a search and "today" are read; the message log's pruning limits.
 * What differs per database stays in the adapter (e.g. how "no limit" is written: -1 in SQLite,
 * NULL in PostgreSQL; see sqlite/sql-helpers.ts and postgres/context.ts).
 */
import { CsmsError } from '../domain/errors.ts';
import type { Page, StationInput, TariffInput } from '../domain/ports.ts';
import type { WalletEntryKind } from '../domain/types.ts';
import type { StationRow, TariffRow } from './rows/charge-points.ts';

/**
 * Signs by kind: a top-up or credit adds money, a debit or refund removes it, a charge removes it
 * (or is 0 for a free session); an adjustment corrects a charge either way.
 */
const SIGN_OK: Record<WalletEntryKind, (amount: number) => boolean> = {
  topup: (a) => a > 0,
  credit: (a) => a > 0,
  debit: (a) => a < 0,
  refund: (a) => a < 0,
  charge: (a) => a <= 0,
  adjustment: () => true,
};

/** A wallet amount: a safe integer in minor units with the sign its kind requires (CSMS_ERR_BAD_AMOUNT). */
export function assertAmount(kind: WalletEntryKind, amount: number): void {
  if (!Number.isSafeInteger(amount) || !SIGN_OK[kind](amount)) {
    throw new CsmsError('CSMS_ERR_BAD_AMOUNT', `${amount} is not a valid ${kind} amount`);
  }
}

export interface TariffPrices {
  pricePerKwh: number;
  pricePerMinute: number;
  sessionFee: number;
}

/** Every price a non-negative integer in minor units (CSMS_ERR_VALIDATION). */
function assertPrices(t: TariffPrices): void {
  for (const [field, value] of Object.entries(t)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new CsmsError('CSMS_ERR_VALIDATION', `${field} must be a non-negative integer in minor units`);
    }
  }
}

/** The prices of a new tariff (no per-minute price or session fee means 0), checked. */
export function newTariffPrices(input: TariffInput): TariffPrices {
  const prices = { pricePerKwh: input.pricePerKwh, pricePerMinute: input.pricePerMinute ?? 0, sessionFee: input.sessionFee ?? 0 };
  assertPrices(prices);
  return prices;
}

/** A tariff's prices after a patch (what the patch leaves out stays), checked. */
export function patchedTariffPrices(row: TariffRow, patch: Partial<TariffInput>): TariffPrices {
  const prices = {
    pricePerKwh: patch.pricePerKwh ?? row.price_per_kwh,
    pricePerMinute: patch.pricePerMinute ?? row.price_per_minute,
    sessionFee: patch.sessionFee ?? row.session_fee,
  };
  assertPrices(prices);
  return prices;
}

/** A station's fields after a patch: what the patch leaves out stays; a null coordinate clears it. */
export function patchedStation(row: StationRow, patch: Partial<StationInput>): Required<StationInput> {
  return {
    name: patch.name ?? row.name,
    address: patch.address ?? row.address,
    latitude: patch.latitude !== undefined ? patch.latitude : row.latitude,
    longitude: patch.longitude !== undefined ? patch.longitude : row.longitude,
    gridLimitW: patch.gridLimitW !== undefined ? patch.gridLimitW : row.grid_limit_w,
    minPerSessionW: patch.minPerSessionW !== undefined ? patch.minPerSessionW : row.min_per_session_w,
  };
}

/** A grid limit is a positive integer of W, a minimum per session a non-negative one, or null (CSMS_ERR_VALIDATION). */
export function assertGridLimits(s: Pick<StationInput, 'gridLimitW' | 'minPerSessionW'>): void {
  const ok = (v: number | null | undefined, least: number) => v === undefined || v === null || (Number.isSafeInteger(v) && v >= least);
  if (!ok(s.gridLimitW, 1)) throw new CsmsError('CSMS_ERR_VALIDATION', 'gridLimitW must be a positive integer of W, or null', { field: 'gridLimitW' });
  if (!ok(s.minPerSessionW, 0)) throw new CsmsError('CSMS_ERR_VALIDATION', 'minPerSessionW must be a non-negative integer of W, or null', { field: 'minPerSessionW' });
}

/** Message log entries list() returns when the caller names no limit. */
export const MESSAGE_LIST_LIMIT = 100;
/** Charge points cut back per prune() call. */
export const PRUNE_BUDGET = 50;

/**
 * prune()'s limits: `keep` rows per charge point, cut back only once it holds `trigger` (10% over,
 * at least one): slack and a budget keep each call short.
 */
export function pruneLimits(keepPerChargePoint: number): { keep: number; trigger: number } {
  const keep = Math.max(0, Math.floor(keepPerChargePoint));
  return { keep, trigger: keep + Math.max(1, Math.ceil(keep / 10)) };
}

/**
 * A page's LIMIT and OFFSET: a negative or missing limit means all rows (null; each adapter writes
 * that its own way), fractions are cut, a missing or negative offset is 0.
 */
export function pageBounds(page: Page | undefined): { limit: number | null; offset: number } {
  const limit = page?.limit !== undefined && page.limit >= 0 ? Math.floor(page.limit) : null;
  const offset = page?.offset !== undefined && page.offset > 0 ? Math.floor(page.offset) : 0;
  return { limit, offset };
}

/** Escapes LIKE wildcards so a search for "a_b" matches that text only (ESCAPE '\'). */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** UTC midnight of the day `now` falls in, as an ISO string. */
export function utcMidnight(now: string): string {
  const d = new Date(now);
  d.setUTCHours(0, 0, 0, 0);
  return d.toISOString();
}
