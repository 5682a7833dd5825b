/** Numbers as people read them: units, currency, durations and times in the browser's locale. */

const locale = typeof navigator === 'undefined' ? 'en' : navigator.language || 'en';
const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string): Intl.NumberFormat {
  let format = moneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    } catch {
      // Not an ISO 4217 code the browser knows: show the number with the code.
      format = new Intl.NumberFormat(locale, { style: 'currency', currency: 'XXX', currencyDisplay: 'code' });
    }
    moneyFormats.set(currency, format);
  }
  return format;
}

/** Digits of `currency`'s minor unit (ISO 4217): EUR 2 (cents), JPY 0, KWD 3. */
export function minorDigits(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

let networkCurrency = 'EUR';

/** The network's currency (GET /api/config), in which wallets and revenue are shown. */
export function setNetworkCurrency(currency: string): void {
  networkCurrency = currency;
}

export function getNetworkCurrency(): string {
  return networkCurrency;
}

/** Minor units in `currency` (default: the network's): 1234, 'EUR' → "€12.34"; 1234, 'JPY' → "¥1,234". */
export function money(minor: number | null | undefined, currency = networkCurrency): string {
  if (minor === null || minor === undefined) return '—';
  return moneyFormat(currency).format(minor / 10 ** minorDigits(currency));
}

const decimals = (digits: number) => new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
const two = decimals(2);
const one = decimals(1);

/** Wh → "12.35 kWh". */
export function energy(wh: number | null | undefined): string {
  return wh === null || wh === undefined ? '—' : `${two.format(wh / 1000)} kWh`;
}

/** W → "7.4 kW". */
export function power(w: number | null | undefined): string {
  return w === null || w === undefined ? '—' : `${one.format(w / 1000)} kW`;
}

/** Price per kWh from minor units: 35, 'EUR' → "€0.35/kWh". */
export function perKwh(minor: number, currency = networkCurrency): string {
  return `${money(minor, currency)}/kWh`;
}

/** Seconds → "1 h 05 min", "4 min 09 s", "12 s". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h} h ${pad(m)} min`;
  if (m > 0) return `${m} min ${pad(s % 60)} s`;
  return `${s} s`;
}

const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
const timeFormat = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function dateTime(iso: string | null | undefined): string {
  return iso ? dateTimeFormat.format(new Date(iso)) : '—';
}

export function time(iso: string | null | undefined): string {
  return iso ? timeFormat.format(new Date(iso)) : '—';
}

/** "just now", "5 min ago", "3 h ago", else the date. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return dateTime(iso);
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : new Intl.NumberFormat(locale).format(n);
}
