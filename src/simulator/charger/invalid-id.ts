/**
 * A transaction whose idTag the CSMS refused in its StartTransaction answer (a card let through
 * offline, E2 §3.6): with StopTransactionOnInvalidId the charger stops it (DeAuthorized); without,
 * it keeps the transaction and delivers at most MaxEnergyOnInvalidId Wh in it, then suspends the
 * energy (SuspendedEVSE) until the driver ends it (E2 §9.1).
 */
import { performance } from 'node:perf_hooks';
import type { SimCharger } from '../charger.ts';
import { advance } from './energy.ts';
import type { Connector, Tx } from './model.ts';
import { reportStatus } from './status.ts';

/** Per refused transaction kept running: the register reading at which its energy stops. */
const caps = new WeakMap<Tx, number>();

/** Whether the charger stops a transaction the CSMS refused (StopTransactionOnInvalidId). */
export function stopsOnInvalid(ch: SimCharger): boolean {
  return ch.config.flag('StopTransactionOnInvalidId');
}

/**
 * Keeps connector `i`'s refused transaction: its energy stops at MaxEnergyOnInvalidId over its
 * meterStart, or now if it drew that already (the register never goes back).
 */
export function keepInvalid(ch: SimCharger, i: number, tx: Tx): void {
  const c = ch.connectors[i];
  advance(ch, c, performance.now());
  caps.set(tx, Math.max(tx.meterStart + Number(ch.config.value('MaxEnergyOnInvalidId')), c.registerWh));
  capEnergy(ch, c);
}

/** Called as the register moves (energy.ts advance): a capped transaction at its cap draws nothing more (SuspendedEVSE). */
export function capEnergy(ch: SimCharger, c: Connector): void {
  const tx = c.tx;
  const cap = tx ? caps.get(tx) : undefined;
  if (!tx || cap === undefined || c.registerWh < cap) return;
  // Not observed above the cap: advance() calls this before anyone reads the register.
  c.registerWh = cap;
  if (tx.powerW === 0) return;
  tx.powerW = 0;
  if (!tx.ended) reportStatus(ch, ch.connectors.indexOf(c) + 1, 'SuspendedEVSE');
}
