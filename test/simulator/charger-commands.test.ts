/**
 * The simulated charger as the CSMS's admin commands see it (POST /api/charger/..., a real embedded
 * CSMS): configuration keys, Reset, power loss, UnlockConnector, ChangeAvailability, TriggerMessage.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/csms.ts';
import { startSimHarness, type SentCall, type SimHarness } from './sim-harness.ts';

let h: SimHarness;
beforeEach(async () => {
  h = await startSimHarness();
});
afterEach(async () => {
  await h.close();
});

const FAST = `
heartbeatInterval: 1h
meterValues: { interval: 0.1s }
faults: { reconnect: { initial: 0.1s, max: 0.3s, jitter: 0 } }
`;

const indexOf = (calls: SentCall[], action: string, match: (p: any) => boolean = () => true) => calls.findIndex((c) => c.action === action && match(c.payload));

describe('configuration keys', () => {
  it('reports its keys, changes the writable ones, refuses read-only and bad values; a change takes effect', async () => {
    const charger = await h.charger(`connectors: 2\n${FAST}configuration: { TransactionMessageAttempts: 5, TransactionMessageRetryInterval: 10 }`);
    const cp = charger.id;
    const some = await h.command('get-configuration', { chargePointId: cp, key: ['TransactionMessageAttempts', 'TransactionMessageRetryInterval', 'NumberOfConnectors', 'NoSuchKey'] });
    expect(some).toEqual({
      configurationKey: [
        { key: 'TransactionMessageAttempts', readonly: false, value: '5' },
        { key: 'TransactionMessageRetryInterval', readonly: false, value: '10' },
        { key: 'NumberOfConnectors', readonly: true, value: '2' },
      ],
      unknownKey: ['NoSuchKey'],
    });
    const all = await h.command('get-configuration', { chargePointId: cp });
    expect(all.unknownKey).toBeUndefined();
    expect(all.configurationKey.map((k: { key: string }) => k.key)).toEqual(expect.arrayContaining([
      'HeartbeatInterval', 'MeterValueSampleInterval', 'ConnectionTimeOut', 'MeterValuesSampledData', 'AuthorizeRemoteTxRequests',
      'LocalAuthorizeOffline', 'StopTransactionOnEVSideDisconnect', 'SupportedFeatureProfiles',
    ]));

    const change = (key: string, value: string) => h.command('change-configuration', { chargePointId: cp, key, value });
    expect(await change('TransactionMessageAttempts', '2')).toEqual({ status: 'Accepted' });
    expect(await change('TransactionMessageRetryInterval', '30')).toEqual({ status: 'Accepted' });
    expect(charger.retryPolicy()).toEqual({ attempts: 2, intervalMs: 30_000 });
    expect(await change('NumberOfConnectors', '4')).toEqual({ status: 'Rejected' });
    expect(await change('TransactionMessageAttempts', '0')).toEqual({ status: 'Rejected' });
    expect(await change('TransactionMessageRetryInterval', 'soon')).toEqual({ status: 'Rejected' });
    expect(await change('NoSuchKey', '1')).toEqual({ status: 'NotSupported' });
    const back = await h.command('get-configuration', { chargePointId: cp, key: ['TransactionMessageAttempts', 'NumberOfConnectors'] });
    expect(back.configurationKey.map((k: { value: string }) => k.value)).toEqual(['2', '2']);

    // The template said one heartbeat an hour; after the change they come every second.
    const mark = h.sent.length;
    expect(await change('HeartbeatInterval', '1')).toEqual({ status: 'Accepted' });
    await waitFor(() => h.since(mark).filter((c) => c.action === 'Heartbeat').length >= 2);
  });
});

describe('reboots', () => {
  it('after a power loss mid-session: BootNotification, then StopTransaction PowerLoss with the reading and time of the loss, then Available', async () => {
    const charger = await h.charger(`connectors: 1\npowerKw: 50\n${FAST}`);
    const txId = await h.startTransaction(charger);
    await waitFor(() => (h.ctx.ledger.meters.get(txId)?.length ?? 0) >= 2);
    const mark = h.sent.length;
    charger.reboot(300, 'PowerLoss');
    const registerAtLoss = charger.connectors[0].registerWh;
    const isAvailable = (p: any) => p.connectorId === 1 && p.status === 'Available';
    await waitFor(() => indexOf(h.since(mark), 'StatusNotification', isAvailable) >= 0, 10_000);

    const after = h.since(mark);
    const boot = indexOf(after, 'BootNotification');
    const stop = indexOf(after, 'StopTransaction');
    const available = indexOf(after, 'StatusNotification', isAvailable);
    expect(boot).toBe(0);
    expect(stop).toBeGreaterThan(boot);
    expect(available).toBeGreaterThan(stop);
    // Nothing about connector 1 between the boot and the stop: no Charging, no Finishing.
    expect(after.slice(boot, stop).some((c) => c.action === 'StatusNotification' && c.payload.connectorId === 1)).toBe(false);
    const { payload } = after[stop];
    expect(payload).toMatchObject({ transactionId: txId, reason: 'PowerLoss', meterStop: Math.floor(registerAtLoss) });
    // Timestamped when the power went, not when it came back (the downtime was 300 ms).
    expect(Date.parse(after[available].payload.timestamp) - Date.parse(payload.timestamp)).toBeGreaterThanOrEqual(250);
    // The register did not move while the charger was down.
    expect(Math.floor(charger.connectors[0].registerWh)).toBe(payload.meterStop);
    const session = await waitFor(async () => {
      const s = await h.store().sessions.get(txId);
      return s?.status === 'completed' ? s : null;
    });
    expect(session).toMatchObject({ stopReason: 'PowerLoss', meterStop: payload.meterStop });
  });

  it('a model that loses its transactions sends no StopTransaction after the reboot, only Available, and the ledger knows', async () => {
    const charger = await h.charger(`connectors: 1\nmeterValues: { interval: 0.1s }\nfaults: { rebootLosesTransactions: 1, reconnect: { initial: 0.1s, max: 0.3s } }`);
    expect(charger.losesTransactions).toBe(true);
    const txId = await h.startTransaction(charger);
    const mark = h.sent.length;
    charger.reboot(200, 'PowerLoss');
    expect(charger.charging).toBe(false);
    await waitFor(() => indexOf(h.since(mark), 'StatusNotification', (p) => p.connectorId === 1 && p.status === 'Available') >= 0, 10_000);

    const after = h.since(mark);
    expect(after[0].action).toBe('BootNotification');
    expect(indexOf(after, 'StopTransaction')).toBe(-1);
    expect(indexOf(after, 'MeterValues')).toBe(-1);
    expect([...h.ctx.ledger.lostByCharger]).toEqual([txId]);
  });

  it('Reset Soft: StopTransaction SoftReset before it restarts; Reset Hard: StopTransaction HardReset after the BootNotification', async () => {
    const charger = await h.charger(`connectors: 1\n${FAST}`);
    const soft = await h.startTransaction(charger);
    let mark = h.sent.length;
    expect(await h.command('reset', { chargePointId: charger.id, type: 'Soft' })).toEqual({ status: 'Accepted' });
    await waitFor(() => indexOf(h.since(mark), 'BootNotification') >= 0 && charger.link(), 10_000);
    let after = h.since(mark);
    expect(indexOf(after, 'StopTransaction', (p) => p.transactionId === soft && p.reason === 'SoftReset')).toBeGreaterThanOrEqual(0);
    expect(indexOf(after, 'StopTransaction')).toBeLessThan(indexOf(after, 'BootNotification'));
    expect(h.ctx.ledger.stops.get(soft)?.reason).toBe('SoftReset');

    await waitFor(() => charger.connectors[0].status === 'Available');
    const hard = await h.startTransaction(charger);
    mark = h.sent.length;
    expect(await h.command('reset', { chargePointId: charger.id, type: 'Hard' })).toEqual({ status: 'Accepted' });
    await waitFor(() => !charger.charging && charger.link(), 10_000);
    after = h.since(mark);
    expect(indexOf(after, 'BootNotification')).toBeGreaterThanOrEqual(0);
    expect(indexOf(after, 'StopTransaction', (p) => p.transactionId === hard && p.reason === 'HardReset')).toBeGreaterThan(indexOf(after, 'BootNotification'));
  });
});

describe('other Core commands', () => {
  it('answers ChangeAvailability, UnlockConnector and TriggerMessage as a charger does, and acts after the answer', async () => {
    const charger = await h.charger(`connectors: 2\n${FAST}`);
    const cp = charger.id;
    const txId = await h.startTransaction(charger, 0);
    let mark = h.sent.length;

    // Inoperative: the idle connector at once, the busy one once its transaction ends.
    expect(await h.command('change-availability', { chargePointId: cp, connectorId: 2, type: 'Inoperative' })).toEqual({ status: 'Accepted' });
    expect(await h.command('change-availability', { chargePointId: cp, connectorId: 1, type: 'Inoperative' })).toEqual({ status: 'Scheduled' });
    await waitFor(() => indexOf(h.since(mark), 'StatusNotification', (p) => p.connectorId === 2 && p.status === 'Unavailable') >= 0);
    expect(charger.freeConnector()).toBe(-1);

    expect(await h.command('unlock', { chargePointId: cp, connectorId: 1 })).toEqual({ status: 'Unlocked' });
    await waitFor(() => !charger.charging);
    await waitFor(() => indexOf(h.since(mark), 'StatusNotification', (p) => p.connectorId === 1 && p.status === 'Unavailable') >= 0);
    let after = h.since(mark);
    expect(indexOf(after, 'StopTransaction', (p) => p.transactionId === txId && p.reason === 'UnlockCommand')).toBeGreaterThanOrEqual(0);

    mark = h.sent.length;
    expect(await h.command('change-availability', { chargePointId: cp, connectorId: 0, type: 'Operative' })).toEqual({ status: 'Accepted' });
    await waitFor(() => charger.freeConnector() === 0 && h.since(mark).filter((c) => c.action === 'StatusNotification').length >= 3);

    mark = h.sent.length;
    expect(await h.command('trigger', { chargePointId: cp, requestedMessage: 'Heartbeat' })).toEqual({ status: 'Accepted' });
    expect(await h.command('trigger', { chargePointId: cp, requestedMessage: 'MeterValues', connectorId: 2 })).toEqual({ status: 'Accepted' });
    expect(await h.command('trigger', { chargePointId: cp, requestedMessage: 'StatusNotification', connectorId: 1 })).toEqual({ status: 'Accepted' });
    // Nothing runs: the firmware and diagnostics notices report Idle (E2 §4.4, §4.5).
    expect(await h.command('trigger', { chargePointId: cp, requestedMessage: 'DiagnosticsStatusNotification' })).toEqual({ status: 'Accepted' });
    expect(await h.command('trigger', { chargePointId: cp, requestedMessage: 'FirmwareStatusNotification' })).toEqual({ status: 'Accepted' });
    const triggered = (c: SentCall) => c.action === 'Heartbeat' || c.action === 'MeterValues' || (c.action === 'StatusNotification' && c.payload.connectorId === 1)
      || c.action === 'DiagnosticsStatusNotification' || c.action === 'FirmwareStatusNotification';
    await waitFor(() => new Set(h.since(mark).filter(triggered).map((c) => c.action)).size === 5);
    after = h.since(mark);
    expect(indexOf(after, 'Heartbeat')).toBeGreaterThanOrEqual(0);
    expect(after[indexOf(after, 'MeterValues')].payload).toMatchObject({ connectorId: 2, meterValue: [{ sampledValue: [{ context: 'Trigger', measurand: 'Energy.Active.Import.Register' }] }] });
    expect(after[indexOf(after, 'MeterValues')].payload.transactionId).toBeUndefined();
    expect(indexOf(after, 'StatusNotification', (p) => p.connectorId === 1 && p.status === 'Available')).toBeGreaterThanOrEqual(0);
    expect(after[indexOf(after, 'DiagnosticsStatusNotification')].payload).toEqual({ status: 'Idle' });
    expect(after[indexOf(after, 'FirmwareStatusNotification')].payload).toEqual({ status: 'Idle' });
  });
});
