/** The energy model: a register that grows by power × time, the meter's clock, and sampled MeterValues. */
import { performance } from 'node:perf_hooks';
import type { ReadingContext, SampledValue } from '../../ocpp/index.ts';
import type { SimCharger } from '../charger.ts';
import { capEnergy } from './invalid-id.ts';
import { deliveredW, K_METER, message, type Connector, type Tx } from './model.ts';
import { applyLimits } from './smart-charging.ts';
import { evsWake } from './transactions.ts';

/** (Re)starts sampling every MeterValueSampleInterval (0: no sampled meter values, E2 §9.1). */
export function startMeterClock(ch: SimCharger, from: number): void {
  ch.meterGen++;
  if (ch.config.meterMs > 0) ch.ctx.scheduler.at(from + ch.config.meterMs, K_METER, ch, ch.meterGen);
}

/** The wall-clock timestamp of `perf` time, strictly increasing per charger (statuses are matched by it). */
export function timestamp(ch: SimCharger, perf: number): number {
  const wall = Math.floor(performance.timeOrigin + perf) + ch.clockOffsetMs;
  ch.lastTs = Math.max(wall, ch.lastTs + 1);
  return ch.lastTs;
}

/** Adds the energy a running transaction drew up to `to` (none with a scripted meter); the register never goes back. */
export function advance(ch: SimCharger, c: Connector, to: number): void {
  if (!ch.scriptedMeter && c.tx && !c.tx.ended && to > c.advancedTo) c.registerWh += (deliveredW(c.tx) * (to - c.advancedTo)) / 3_600_000;
  c.advancedTo = Math.max(c.advancedTo, to);
  capEnergy(ch, c);
}

/** The periodic sample: every running transaction's readings are queued. */
export function meterTick(ch: SimCharger, at: number): void {
  if (ch.config.meterMs > 0) ch.ctx.scheduler.at(at + ch.config.meterMs, K_METER, ch, ch.meterGen);
  evsWake(ch, at);
  // Each sample at least re-reads the composite schedule (its K_LIMIT timer does so at each boundary).
  if (ch.smart) applyLimits(ch, at);
  for (let i = 0; i < ch.connectors.length; i++) {
    const c = ch.connectors[i];
    advance(ch, c, at);
    const tx = c.tx;
    // Sampled while offline too (queued), as long as the transaction runs.
    if (tx && tx.startTimestamp !== '' && !tx.ended && !tx.refused) sampleMeter(ch, i, tx, at, 'Sample.Periodic');
  }
}

/** A triggered reading (E2 §5.17) of connector `i`'s running transaction, queued; false when none runs. */
export function sampleNow(ch: SimCharger, i: number, at: number): boolean {
  const c = ch.connectors[i];
  const tx = c?.tx;
  if (!tx || tx.startTimestamp === '' || tx.ended || tx.refused) return false;
  advance(ch, c, at);
  sampleMeter(ch, i, tx, at, 'Trigger');
  return true;
}

/**
 * A reading dictated from outside the energy model (a test, a replayed trace; see `scriptedMeter`):
 * connector `i`'s register moves up to `registerWh`, never back. With `powerW`, a running
 * transaction draws that from now on and a MeterValues of both is queued, timestamped `at`.
 * False when nothing was sampled (no `powerW`, or no transaction running there).
 */
export function meterReading(ch: SimCharger, i: number, registerWh: number, powerW: number | null, at: number): boolean {
  const c = ch.connectors[i];
  advance(ch, c, at);
  c.registerWh = Math.max(c.registerWh, registerWh);
  const tx = c.tx;
  if (powerW === null || !tx || tx.startTimestamp === '' || tx.ended || tx.refused) return false;
  tx.powerW = powerW;
  applyLimits(ch, at);
  sampleMeter(ch, i, tx, at, 'Sample.Periodic');
  return true;
}

/** Sets the charger's clock so that `at` reads `wallMs` (ms since the epoch): real chargers' clocks are off. */
export function setClock(ch: SimCharger, wallMs: number, at: number): void {
  ch.clockOffsetMs = Math.round(wallMs) - Math.floor(performance.timeOrigin + at);
}

function sampleMeter(ch: SimCharger, i: number, tx: Tx, at: number, context: ReadingContext): void {
  const measurands = ch.config.measurands;
  if (measurands.length === 0) return;
  const c = ch.connectors[i];
  // Whole Wh on the wire, strictly increasing, so each reading is recognisable in its notification.
  const wh = Math.max(Math.floor(c.registerWh), tx.lastSampledWh + 1);
  c.registerWh = Math.max(c.registerWh, wh);
  tx.lastSampledWh = wh;
  const ts = new Date(timestamp(ch, at)).toISOString();
  const sampled: SampledValue[] = [];
  const powerW = deliveredW(tx);
  for (const m of measurands) {
    if (m === 'Energy.Active.Import.Register') sampled.push({ value: String(wh), context, measurand: m, location: 'Outlet', unit: 'Wh' });
    else if (m === 'Power.Active.Import') {
      sampled.push({ value: String(powerW), context, measurand: m, location: 'Outlet', unit: 'W' });
      ch.ctx.sites.sampled(ch);
    } else if (m === 'Current.Import') sampled.push({ value: (powerW / (3 * 230)).toFixed(1), context, measurand: m, location: 'Outlet', unit: 'A' });
    else if (m === 'Voltage') sampled.push({ value: '230', context, measurand: m, location: 'Outlet', unit: 'V' });
    else if (m === 'SoC') sampled.push({ value: String(Math.min(100, Math.round(tx.soc + ((wh - tx.meterStart) / 60_000) * 100))), context, measurand: m, location: 'EV', unit: 'Percent' });
  }
  ch.outbox.push(message('MeterValues', i, tx, at, { meterValue: [{ timestamp: ts, sampledValue: sampled }], energyWh: wh }));
}
