/** Power cycles: a power loss or a Reset takes the charger down, its open transactions stop, and it powers on again. */
import { performance } from 'node:perf_hooks';
import type { SimCharger } from '../charger.ts';
import { connect } from './connection.ts';
import { startMeterClock } from './energy.ts';
import { K_POWER_ON } from './model.ts';
import { abandon, forget, stop } from './transactions.ts';

/** How long a charger is down when a Reset restarts it. */
const RESET_DOWNTIME_MS = 1000;
/** How long a Soft reset waits for its StopTransactions to be answered before it restarts anyway. */
const SOFT_RESET_WAIT_MS = 10_000;

/**
 * The charger restarts: the socket goes at once (`graceful`: closed, as after a Reset; else cut, as
 * at a power loss), it is down for `downtimeMs`, then connects and boots. Each open transaction
 * gets a StopTransaction with `reason`, timestamped now with the register as it is now, sent after
 * the BootNotification (E2 §5.14, §4.8); a model that loses transactions forgets them instead.
 */
export function reboot(ch: SimCharger, downtimeMs: number, reason: 'PowerLoss' | 'HardReset' | 'SoftReset' = 'PowerLoss', graceful = false): void {
  if (ch.state === 'closed') return;
  const at = performance.now();
  const conn = ch.conn;
  ch.conn = null;
  ch.booted = false;
  ch.poweredOff = true;
  ch.resetting = false;
  ch.state = 'offline';
  ch.gen++;
  ch.hbGen++;
  ch.meterGen++;
  ch.faultedIndex = -1;
  if (conn) {
    conn.socket.removeListener('close', ch.onClose);
    ch.ctx.metrics.error(`ocpp.disconnect (${reason === 'PowerLoss' ? 'power loss' : 'reset'})`, true);
    if (graceful) conn.close(1000, 'reset');
    else conn.socket.terminate();
  }
  const lose = reason !== 'SoftReset' && ch.losesTransactions;
  for (let i = 0; i < ch.connectors.length; i++) {
    const tx = ch.connectors[i].tx;
    if (!tx) continue;
    tx.interrupted = true;
    if (lose) forget(ch, i, tx);
    else if (tx.startTimestamp === '') abandon(ch, i, tx);
    else stop(ch, i, reason, at);
  }
  ch.ctx.scheduler.at(at + downtimeMs, K_POWER_ON, ch, ch.gen);
}

/** Back on after a power loss or a Reset: the meter's clock restarts and the charger connects, to its first OCPP URL as at any start. */
export function powerOn(ch: SimCharger, at: number): void {
  ch.poweredOff = false;
  ch.attempts = 0;
  ch.config.applyPending();
  ch.urlIndex = 0;
  startMeterClock(ch, at);
  connect(ch);
}

/** E2 §5.14: Hard restarts at once (stops sent after the boot); Soft stops the transactions first. */
export function reset(ch: SimCharger, type: 'Hard' | 'Soft'): void {
  if (type === 'Hard') reboot(ch, RESET_DOWNTIME_MS, 'HardReset', true);
  else void softReset(ch);
}

async function softReset(ch: SimCharger): Promise<void> {
  ch.resetting = true;
  ch.stopAll('SoftReset');
  const until = performance.now() + SOFT_RESET_WAIT_MS;
  while (ch.charging && ch.state !== 'closed' && !ch.poweredOff && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  if (ch.state !== 'closed' && !ch.poweredOff) reboot(ch, RESET_DOWNTIME_MS, 'SoftReset', true);
}
