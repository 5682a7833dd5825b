/**
 * What a test or a replayed trace can make the simulated charger do beyond its own model: readings
 * it is told (a scripted meter), a clock set to a given time, a charger that refuses RemoteStop.
 * A real embedded CSMS answers; the sent CALLs are what went on the wire.
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

it('a scripted meter sends exactly the readings it is told, at the time its clock is set to, and the stop reads the register as left', async () => {
  const charger = await h.charger('connectors: 1\nheartbeatInterval: 1h\nmeterValues: { interval: 1h }');
  charger.scriptedMeter = true;
  charger.connectors[0].registerWh = 1000;
  const transactionId = await h.startTransaction(charger);
  const startedAt = Date.parse(charger.connectors[0].tx!.startTimestamp);
  const mark = h.sent.length;

  // One instant for both: set apart, a millisecond could pass between them on a busy machine.
  const now = performance.now();
  charger.setClock(startedAt + 60_000, now);
  expect(charger.meterReading(0, 4000, 7200, now)).toBe(true);
  await waitFor(() => h.since(mark).some((c) => c.action === 'MeterValues'));
  const [reading] = h.since(mark).filter((c) => c.action === 'MeterValues');
  expect(reading.payload).toMatchObject({ connectorId: 1, transactionId, meterValue: [{ timestamp: new Date(startedAt + 60_000).toISOString() }] });
  expect(reading.payload.meterValue[0].sampledValue.map((v: { measurand: string; value: string }) => [v.measurand, v.value])).toEqual([
    ['Energy.Active.Import.Register', '4000'],
    ['Power.Active.Import', '7200'],
  ]);

  // Power × time does not move a scripted register: the stop reads 4000 however long it ran.
  charger.stop(0, 'Local');
  await waitFor(() => h.since(mark).some((c) => c.action === 'StopTransaction'));
  expect(h.since(mark).find((c) => c.action === 'StopTransaction')!.payload).toMatchObject({ transactionId, meterStop: 4000 });
});

it('refuses RemoteStopTransaction when told to, and accepts it again after', async () => {
  const charger = await h.charger('connectors: 1\nheartbeatInterval: 1h');
  const transactionId = await h.startTransaction(charger);
  charger.refusesRemoteStop = true;
  expect(await h.command('remote-stop', { chargePointId: charger.id, transactionId })).toEqual({ status: 'Rejected' });
  expect(charger.running()).toEqual([0]);
  charger.refusesRemoteStop = false;
  expect(await h.command('remote-stop', { chargePointId: charger.id, transactionId })).toEqual({ status: 'Accepted' });
  await waitFor(() => !charger.charging);
});
