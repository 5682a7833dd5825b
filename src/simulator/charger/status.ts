/** Connector status reports (StatusNotification) and the admin notifications each one makes expected. */
import { performance } from 'node:perf_hooks';
import type { ChargePointErrorCode, ChargePointStatus } from '../../ocpp/index.ts';
import type { SimCharger } from '../charger.ts';
import type { Expectation } from '../expectations.ts';
import { timestamp } from './energy.ts';

/** StatusNotification; every admin watcher expects the matching connector.status (and charger.status for 0). */
export async function sendStatus(ch: SimCharger, connectorId: number, status: ChargePointStatus, at: number, errorCode: ChargePointErrorCode = 'NoError'): Promise<void> {
  if (connectorId > 0) ch.connectors[connectorId - 1].status = status;
  const ts = timestamp(ch, at);
  let exps: Expectation[] | null = null;
  if (ch.ctx.admins.length > 0) {
    exps = [];
    for (const admin of ch.ctx.admins) {
      exps.push(ch.ctx.expectations.expect(admin, `c|${ch.id}|${connectorId}`, 'notify.connector.status', at, ts, status));
      if (connectorId === 0) exps.push(ch.ctx.expectations.expect(admin, `g|${ch.id}`, 'notify.charger.status', at, ts, status));
    }
  }
  try {
    await ch.call('StatusNotification', { connectorId, errorCode, status, timestamp: new Date(ts).toISOString() }, at);
  } catch (error) {
    if (exps) for (const e of exps) ch.ctx.expectations.cancel(e);
    throw error;
  }
}

/** A status sent only when online; otherwise the boot reports the connector as it is then. */
export function reportStatus(ch: SimCharger, connectorId: number, status: ChargePointStatus): void {
  if (connectorId > 0) ch.connectors[connectorId - 1].status = status;
  if (ch.link()) sendStatus(ch, connectorId, status, performance.now()).catch((error) => ch.failed('StatusNotification', error));
}
