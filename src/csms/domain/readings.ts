/**
 * What the CSMS does with values the OCPP schemas accept but billing cannot use as sent
 * (docs/ocpp-notes.md, "Schema-valid but awkward values"). One rule per kind, applied before anything is
 * stored, so an acknowledged message can always be applied:
 * - a timestamp with a leap second (`…:59:60Z`) is read as the last millisecond of that minute;
 * - a charger time that does not parse, lies before 2010 or more than a day after the CSMS received
 *   it, is replaced by the time the CSMS received the message (in StartTransaction and
 *   StopTransaction the session is flagged for review; a MeterValues time is replaced silently);
 * - a register reading (meterStart, meterStop, Energy.Active.Import.Register) must be a number
 *   of Wh from 0 to 2^53 − 1 and add at most 20 MWh to its session; otherwise it is not used
 *   (the session is billed from its last usable reading and flagged for review);
 * - a power reading must be finite and between 0 and 10 MW, else the previous one stays.
 */

/** Before this, a charger's clock was not set (many reset to 1970). */
export const EARLIEST_TRUSTED_MS = Date.UTC(2010, 0, 1);
/** How far ahead of the CSMS's clock a charger's time may run. */
export const MAX_CLOCK_AHEAD_MS = 24 * 3_600_000;
/** More than any EV session can take: 350 kW for over two days. */
export const MAX_SESSION_WH = 20_000_000;
/** Above any charger's output. */
export const MAX_POWER_W = 10_000_000;

const LEAP_SECOND = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}):60(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Date.parse that reads a leap second as the last millisecond of its minute; NaN when it cannot parse. */
export function parseTime(text: unknown): number {
  if (typeof text !== 'string') return Number.NaN;
  const leap = LEAP_SECOND.exec(text);
  return Date.parse(leap ? `${leap[1]}:59.999${leap[2]}` : text);
}

/** A charger timestamp in one spelling (UTC, ms) when it parses; the text as sent otherwise. */
export function normalizeTime(text: string): string {
  const ms = parseTime(text);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString();
}

export interface ChargerTime {
  /** The instant to use, ISO. */
  iso: string;
  /** Why the charger's own value was not used, or null. */
  note: string | null;
}

/** The charger's `field` as the CSMS will use it: its own value when believable, else `receivedAt`. */
export function chargerTime(text: unknown, receivedAt: string, field: string): ChargerTime {
  const ms = parseTime(text);
  const received = Date.parse(receivedAt);
  if (Number.isNaN(ms)) return { iso: receivedAt, note: `${field} ${JSON.stringify(text)} does not parse; the time it was received is used` };
  if (ms < EARLIEST_TRUSTED_MS || ms > received + MAX_CLOCK_AHEAD_MS) {
    return { iso: receivedAt, note: `${field} ${JSON.stringify(text)} is not believable; the time it was received is used` };
  }
  return { iso: new Date(ms).toISOString(), note: null };
}

/** A usable energy register reading in whole Wh, or null (not finite, negative, beyond 2^53 − 1). */
export function registerReading(value: unknown): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return null;
  const wh = Math.round(value);
  return Number.isSafeInteger(wh) ? wh : null;
}

/** A usable power reading in whole W, or null. */
export function powerReading(value: unknown): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_POWER_W) return null;
  return Math.round(value);
}

/** True when going from `fromWh` to `toWh` is more energy than one session can take. */
export function implausibleEnergy(fromWh: number, toWh: number): boolean {
  return toWh - fromWh > MAX_SESSION_WH;
}
