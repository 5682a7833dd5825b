/**
 * The simulated charger's transaction messages against a real embedded CSMS that goes away and
 * comes back on the same database (E2 §4.8): nothing of a transaction is dropped while it is away.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { waitFor } from '../helpers/csms.ts';
import { startSimHarness, type SimHarness } from './sim-harness.ts';

let h: SimHarness;
beforeEach(async () => {
  h = await startSimHarness();
});
afterEach(async () => {
  await h.close();
});

const TEMPLATE = `
connectors: 1
powerKw: 50
heartbeatInterval: 1h
meterValues: { interval: 0.1s }
faults: { reconnect: { initial: 0.1s, max: 0.3s, jitter: 0 } }
`;

it('keeps the StopTransaction and the MeterValues sampled while the CSMS is away, and delivers them in order once it is back', async () => {
  const charger = await h.charger(TEMPLATE);
  const txId = await h.startTransaction(charger);
  await waitFor(() => (h.ctx.ledger.meters.get(txId)?.length ?? 0) >= 2);

  await h.stopCsms();
  await waitFor(() => charger.state !== 'online');
  // The meter goes on sampling offline; the readings wait in the queue, then the driver unplugs.
  await waitFor(() => charger.outbox.queue.filter((m) => m.action === 'MeterValues').length >= 3);
  charger.stop(0, 'Local');
  const queued = charger.outbox.queue.map((m) => m.action);
  expect(queued.at(-1)).toBe('StopTransaction');
  const queuedMeters = queued.filter((a) => a === 'MeterValues').length;
  const mark = h.sent.length;

  await h.startCsms();
  await waitFor(() => !charger.charging, 10_000);

  // After the reconnect: every queued reading, then the stop, each with the transactionId.
  const resent = h.since(mark).filter((c) => c.action === 'MeterValues' || c.action === 'StopTransaction');
  expect(resent.map((c) => c.action)).toEqual([...Array(queuedMeters).fill('MeterValues'), 'StopTransaction']);
  expect(resent.every((c) => c.payload.transactionId === txId)).toBe(true);
  const stop = h.ctx.ledger.stops.get(txId)!;
  expect(stop).toMatchObject({ reason: 'Local', meterStop: resent.at(-1)!.payload.meterStop });
  const readings = resent.slice(0, -1).map((c) => Number(c.payload.meterValue[0].sampledValue[0].value));
  expect(readings).toEqual([...readings].sort((a, b) => a - b));
  expect(stop.meterStop).toBeGreaterThanOrEqual(readings.at(-1)!);

  // The CSMS closed the session with that meterStop and kept the readings sent after its restart.
  const session = await waitFor(async () => {
    const s = await h.store().sessions.get(txId);
    return s?.status === 'completed' ? s : null;
  });
  expect(session).toMatchObject({ meterStop: stop.meterStop, stopReason: 'Local' });
  const stored = new Set((await h.store().sessions.meterSamples(txId, { limit: 1000, offset: 0 })).filter((s) => s.measurand === 'Energy.Active.Import.Register').map((s) => s.value));
  for (const wh of readings) expect(stored.has(wh)).toBe(true);
});
