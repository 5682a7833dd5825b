/** Injected faults (faults.* of the template): random drops, malformed frames, connector faults and their recovery. */
import { MessageType } from '../../ocpp/frames.ts';
import { MALFORMED_PREFIX } from '../charger-commands.ts';
import type { SimCharger } from '../charger.ts';
import { K_DROP, K_FAULT, K_MALFORMED, K_RECOVER } from './model.ts';
import { sendStatus } from './status.ts';

/** Error codes a simulated connector fault reports (OCPP 1.6 ChargePointErrorCode). */
const FAULT_CODES = ['GroundFailure', 'OverCurrentFailure', 'HighTemperature', 'ConnectorLockFailure', 'PowerMeterFailure'] as const;

/** Time to the next event of a Poisson process with `perMinute` events a minute, ms. */
function exponential(ch: SimCharger, perMinute: number): number {
  return (-Math.log(1 - ch.ctx.random.next()) / perMinute) * 60_000;
}

/** Arms the first of each kind of fault for the connection that just opened. */
export function scheduleFaults(ch: SimCharger, now: number): void {
  const f = ch.tpl.faults;
  if (f.disconnectPerMinute > 0) ch.ctx.scheduler.at(now + exponential(ch, f.disconnectPerMinute), K_DROP, ch, ch.gen);
  if (f.malformedFramesPerMinute > 0) ch.ctx.scheduler.at(now + exponential(ch, f.malformedFramesPerMinute), K_MALFORMED, ch, ch.gen);
  if (f.connectorFaultsPerMinute > 0) ch.ctx.scheduler.at(now + exponential(ch, f.connectorFaultsPerMinute), K_FAULT, ch, ch.gen);
}

/** An idle connector faults (one at a time per charger) and recovers after `faultDuration`. */
export function fault(ch: SimCharger, at: number): void {
  const f = ch.tpl.faults;
  ch.ctx.scheduler.at(at + exponential(ch, f.connectorFaultsPerMinute), K_FAULT, ch, ch.gen);
  if (ch.ctx.stopping || ch.faultedIndex >= 0) return;
  const i = ch.freeConnector();
  if (i < 0) return;
  ch.faultedIndex = i;
  const code = FAULT_CODES[ch.ctx.random.int(0, FAULT_CODES.length - 1)];
  sendStatus(ch, i + 1, 'Faulted', at, code).catch((error) => ch.failed('StatusNotification', error));
  ch.ctx.scheduler.at(at + f.faultDuration, K_RECOVER, ch, ch.gen);
}

/** The faulted connector reports Available again (unless something else changed it meanwhile). */
export function recover(ch: SimCharger, at: number): void {
  const i = ch.faultedIndex;
  ch.faultedIndex = -1;
  if (i < 0 || ch.connectors[i].status !== 'Faulted') return;
  sendStatus(ch, i + 1, 'Available', at).catch((error) => ch.failed('StatusNotification', error));
}

/** Sends one broken frame, and schedules the next. */
export function malformed(ch: SimCharger, at: number): void {
  if (!ch.conn) return;
  // A CALL whose payload is not an object: the CSMS must answer FormationViolation, not fall over.
  ch.conn.sendRaw(`[${MessageType.CALL},"${MALFORMED_PREFIX}${ch.index}-${ch.malformedSeq++}","Heartbeat","not-an-object"]`);
  ch.ctx.metrics.error('ocpp.malformed frame sent', true);
  ch.ctx.scheduler.at(at + exponential(ch, ch.tpl.faults.malformedFramesPerMinute), K_MALFORMED, ch, ch.gen);
}
