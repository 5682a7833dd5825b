/**
 * OCPP 1.6 MeterValues → MeterSample[]. Chargers disagree on units and phases, so values are
 * normalised here once: kilo-units become base units (kWh → Wh, kW → W), defaults follow
 * E2 §7.45 (measurand Energy.Active.Import.Register, unit Wh).
 */
import type { MeterValue, SampledValue } from '../../ocpp/messages.ts';
import { normalizeTime, parseTime } from './readings.ts';
import type { MeterSample } from './types.ts';

/**
 * An OCPP type as lenient chargers send it, past schema validation: any field may be missing, string
 * fields (the enums of E2 §7.45 included) may hold any string, and the rest is to be checked.
 */
type Lenient<T> = { [K in keyof T]?: T[K] extends string | undefined ? string : unknown };

export const ENERGY_IMPORT = 'Energy.Active.Import.Register';
export const POWER_IMPORT = 'Power.Active.Import';

/** Units with a kilo prefix and what they normalise to. */
const KILO_UNITS = new Map([['kWh', 'Wh'], ['kW', 'W'], ['kvarh', 'varh'], ['kvar', 'var'], ['kVA', 'VA']]);

/** Plain decimal numbers only: Number() would also accept '', '0x1F' and 'Infinity'. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Multiplying by 1000 in binary leaves noise (1.001 kWh → 1000.9999999999999 Wh); 15 digits drop it. */
function times1000(value: number): number {
  return Number((value * 1000).toPrecision(15));
}

/**
 * Parses a MeterValues `meterValue` (or StopTransaction `transactionData`) array of the OCPP
 * MeterValue. Typed `unknown[]` because lenient chargers get past schema validation: every
 * field is checked here. Signed data, values that are not numbers and entries without a valid
 * timestamp are skipped and reported as warnings.
 */
export function parseMeterValues(meterValue: readonly unknown[] | null | undefined): { samples: MeterSample[]; warnings: string[] } {
  const samples: MeterSample[] = [];
  const warnings: string[] = [];
  (meterValue ?? []).forEach((item, i) => {
    const mv = item as Lenient<MeterValue> | null;
    if (typeof mv?.timestamp !== 'string' || Number.isNaN(parseTime(mv.timestamp))) {
      warnings.push(`meterValue[${i}]: invalid timestamp ${JSON.stringify(mv?.timestamp)}`);
      return;
    }
    // One spelling (UTC, ms), a leap second read as …:59.999: samples compare and sort as strings.
    const timestamp = normalizeTime(mv.timestamp);
    (Array.isArray(mv.sampledValue) ? mv.sampledValue : []).forEach((item: unknown, j: number) => {
      const sv = item as Lenient<SampledValue> | null;
      const where = `meterValue[${i}].sampledValue[${j}]`;
      if (sv?.format === 'SignedData') {
        warnings.push(`${where}: SignedData is not interpreted`);
        return;
      }
      const raw = typeof sv?.value === 'string' ? sv.value.trim() : '';
      if (!DECIMAL.test(raw)) {
        warnings.push(`${where}: value ${JSON.stringify(sv?.value)} is not a number`);
        return;
      }
      const unit = typeof sv?.unit === 'string' ? sv.unit : 'Wh';
      const base = KILO_UNITS.get(unit);
      const value = base ? times1000(Number(raw)) : Number(raw);
      if (!Number.isFinite(value)) {
        warnings.push(`${where}: value ${JSON.stringify(sv?.value)} is out of range`);
        return;
      }
      samples.push({
        timestamp,
        measurand: typeof sv?.measurand === 'string' ? sv.measurand : ENERGY_IMPORT,
        value,
        unit: base ?? unit,
        phase: typeof sv?.phase === 'string' ? sv.phase : null,
        context: typeof sv?.context === 'string' ? sv.context : null,
      });
    });
  });
  return { samples, warnings };
}

const PHASES = ['L1', 'L2', 'L3'];
const PHASES_TO_NEUTRAL = ['L1-N', 'L2-N', 'L3-N'];

/**
 * The value of one measurand at its newest timestamp: the phase-less total if the charger sent
 * one, else the sum over L1/L2/L3 (or L1-N/L2-N/L3-N). Null when there is none.
 */
function newestTotal(samples: readonly MeterSample[], measurand: string, unit: string): number | null {
  let newest = Number.NEGATIVE_INFINITY;
  let group: MeterSample[] = [];
  for (const s of samples) {
    if (s.measurand !== measurand || s.unit !== unit) continue;
    const t = Date.parse(s.timestamp);
    if (t > newest) {
      newest = t;
      group = [s];
    } else if (t === newest) {
      group.push(s);
    }
  }
  if (group.length === 0) return null;
  const totals = group.filter((s) => s.phase === null);
  if (totals.length > 0) return totals[totals.length - 1].value;
  for (const phases of [PHASES, PHASES_TO_NEUTRAL]) {
    const perPhase = group.filter((s) => s.phase !== null && phases.includes(s.phase));
    if (perPhase.length > 0) return perPhase.reduce((sum, s) => sum + s.value, 0);
  }
  return null;
}

/**
 * The newest energy register (Wh) and active import power (W) in `samples`, and the newest
 * timestamp of any sample. Expects samples from parseMeterValues (already in Wh and W).
 */
export function latestReading(samples: readonly MeterSample[]): { energyWh: number | null; powerW: number | null; at: string | null } {
  let at: string | null = null;
  for (const s of samples) if (at === null || Date.parse(s.timestamp) > Date.parse(at)) at = s.timestamp;
  return {
    energyWh: newestTotal(samples, ENERGY_IMPORT, 'Wh'),
    powerW: newestTotal(samples, POWER_IMPORT, 'W'),
    at,
  };
}

export interface MeterPoint {
  at: string;
  /** Energy delivered since the session started (register minus meterStart), when the charger sent the register. */
  energyWh: number | null;
  powerW: number | null;
}

/**
 * A session's samples as a chart series: one point per sampling instant, oldest first, with the
 * energy relative to `meterStart`. Expects samples in Wh and W (as stored).
 */
export function meterSeries(samples: readonly MeterSample[], meterStart: number): MeterPoint[] {
  const byInstant = new Map<string, MeterSample[]>();
  for (const s of samples) {
    const group = byInstant.get(s.timestamp);
    if (group) group.push(s);
    else byInstant.set(s.timestamp, [s]);
  }
  return [...byInstant]
    .sort(([a], [b]) => Date.parse(a) - Date.parse(b))
    .map(([at, group]) => {
      const { energyWh, powerW } = latestReading(group);
      return { at, energyWh: energyWh === null ? null : Math.max(0, energyWh - meterStart), powerW };
    });
}
