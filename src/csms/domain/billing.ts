/**
 * What a charging session costs. Pure integer arithmetic in minor units: the only division is
 * Wh→kWh on the energy part, rounded once at the end, so nothing is accumulated in floats.
 */
import { CsmsError } from './errors.ts';
import type { TariffTerms } from './types.ts';

/** The prices billing needs (a Tariff or the copy a session keeps). */
export type Prices = Pick<TariffTerms, 'pricePerKwh' | 'pricePerMinute' | 'sessionFee'>;

const MS_PER_MINUTE = 60_000;

function timeOf(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new CsmsError('CSMS_ERR_VALIDATION', `${field} is not a valid timestamp: ${iso}`);
  return ms;
}

/**
 * energyWh × pricePerKwh / 1000, rounded half away from zero. The product of two integers is
 * exact below 2^53 and IEEE division is correctly rounded, so an exact .5 stays .5 and
 * Math.round (half up) equals half away from zero for the non-negative values billed here.
 */
export function energyCostMinor(energyWh: number, pricePerKwh: number): number {
  return Math.round((Math.max(0, energyWh) * pricePerKwh) / 1000);
}

/** Minutes started between two instants: 0 for no elapsed time, 1 for the first millisecond. */
export function startedMinutes(startedAt: string, at: string): number {
  const elapsed = timeOf(at, 'at') - timeOf(startedAt, 'startedAt');
  return elapsed > 0 ? Math.ceil(elapsed / MS_PER_MINUTE) : 0;
}

/**
 * The session's cost so far, in minor units: session fee + energy part + price per started
 * minute. Negative energy (a meter glitch) costs nothing rather than refunding. No tariff: free.
 */
export function computeCostMinor(tariff: Prices | null, energyWh: number, startedAt: string, at: string): number {
  if (tariff === null) return 0;
  return (
    tariff.sessionFee +
    energyCostMinor(energyWh, tariff.pricePerKwh) +
    tariff.pricePerMinute * startedMinutes(startedAt, at)
  );
}

/** The balance a customer needs to start: the tariff's session fee plus the configured floor. */
export function minimumStartBalance(tariff: Prices | null, minStartBalance: number): number {
  return (tariff?.sessionFee ?? 0) + minStartBalance;
}
