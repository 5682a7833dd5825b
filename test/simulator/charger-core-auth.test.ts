/**
 * The simulated charger's Core configuration keys, its Authorization Cache and its Local
 * Authorization List (E2 §3.5, §3.6, §5.4, §5.10, §5.15, §9.1), driven by the admin commands of a
 * real embedded CSMS; offline authorization with the CSMS stopped and started again; the order of
 * an UnlockConnector's messages against a bare WebSocket CSMS that records every frame.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import type { SimContext } from '../../src/simulator/context.ts';
import { waitFor } from '../helpers/csms.ts';
import { aSimContext, aTemplate, startSimHarness, type SimHarness } from './sim-harness.ts';

let h: SimHarness;
/** A test's own bare-WebSocket CSMS and the charger on it, when it needs to see the frames' order. */
let server: WebSocketServer | null = null;
let raw: { charger: SimCharger; ctx: SimContext } | null = null;
beforeEach(async () => {
  h = await startSimHarness();
});
afterEach(async () => {
  raw?.charger.shutdown();
  raw?.ctx.scheduler.clear();
  raw = null;
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
  await h.close();
});

const FAST = `
heartbeatInterval: 1h
meterValues: { interval: 0.2s }
faults: { reconnect: { initial: 0.1s, max: 0.3s, jitter: 0 } }
`;

const accepted = { status: 'Accepted' };

describe('Core configuration keys (E2 §9.1)', () => {
  it('reports every Core key with its accessibility; a reboot-bound key answers RebootRequired and applies after a Reset', async () => {
    const charger = await h.charger(`connectors: 2\n${FAST}`);
    const cp = charger.id;
    const all = await h.command('get-configuration', { chargePointId: cp });
    const byKey = new Map<string, { readonly: boolean; value: string }>(all.configurationKey.map((k: any) => [k.key, k]));
    for (const key of ['BlinkRepeat', 'LightIntensity', 'MaxEnergyOnInvalidId', 'MinimumStatusDuration', 'WebSocketPingInterval', 'LocalAuthListEnabled']) {
      expect(byKey.get(key)?.readonly, key).toBe(false);
    }
    for (const key of ['ConnectorPhaseRotationMaxLength', 'MeterValuesAlignedDataMaxLength', 'MeterValuesSampledDataMaxLength', 'StopTxnAlignedDataMaxLength',
      'StopTxnSampledDataMaxLength', 'SupportedFeatureProfilesMaxLength', 'LocalAuthListMaxLength', 'SendLocalListMaxLength', 'GetConfigurationMaxKeys']) {
      expect(byKey.get(key)?.readonly, key).toBe(true);
    }
    expect(byKey.get('SupportedFeatureProfiles')?.value.split(',')).toContain('LocalAuthListManagement');

    const change = (key: string, value: string) => h.command('change-configuration', { chargePointId: cp, key, value });
    expect(await change('LightIntensity', '101')).toEqual({ status: 'Rejected' });
    expect(await change('LightIntensity', '80')).toEqual(accepted);
    expect(await change('MeterValuesSampledData', 'Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC,Voltage')).toEqual({ status: 'Rejected' });
    expect(await change('WebSocketPingInterval', '30')).toEqual({ status: 'RebootRequired' });
    const ping = async () => (await h.command('get-configuration', { chargePointId: cp, key: ['WebSocketPingInterval'] })).configurationKey[0].value;
    expect(await ping()).toBe('0');

    const mark = h.sent.length;
    expect(await h.command('reset', { chargePointId: cp, type: 'Hard' })).toEqual(accepted);
    await waitFor(() => h.since(mark).some((c) => c.action === 'BootNotification') && charger.link(), 10_000);
    expect(await ping()).toBe('30');
  });

  it('refuses a GetConfiguration asking more keys than GetConfigurationMaxKeys with OccurenceConstraintViolation', async () => {
    const charger = await h.charger(`connectors: 1\n${FAST}`);
    const keys = Array.from({ length: 51 }, (_, i) => `Key${i}`);
    await expect(h.command('get-configuration', { chargePointId: charger.id, key: keys })).rejects.toThrow(/OccurenceConstraintViolation/);
    const fifty = await h.command('get-configuration', { chargePointId: charger.id, key: keys.slice(0, 50) });
    expect(fifty.unknownKey).toHaveLength(50);
  });

  it('TriggerMessage BootNotification: a new BootNotification follows the answer', async () => {
    const charger = await h.charger(`connectors: 1\n${FAST}`);
    const mark = h.sent.length;
    expect(await h.command('trigger', { chargePointId: charger.id, requestedMessage: 'BootNotification' })).toEqual(accepted);
    await waitFor(() => h.since(mark).some((c) => c.action === 'BootNotification'));
  });
});

describe('Authorization Cache (E2 §3.5.1)', () => {
  it('remembers Authorize answers, pre-authorises from them (LocalPreAuthorize), and ClearCache empties it; Rejected while disabled', async () => {
    const charger = await h.charger(`connectors: 1\n${FAST}configuration: { AuthorizationCacheEnabled: true, LocalPreAuthorize: true }`);
    const cp = charger.id;
    const idTag = await h.idTag();
    const authorizes = (mark: number) => h.since(mark).filter((c) => c.action === 'Authorize').length;
    const session = async () => {
      const tx = charger.claim(0, idTag);
      void charger.runStart(0, tx, 'rfid', performance.now());
      await waitFor(() => tx.transactionId);
      charger.stop(0, 'Local');
      await waitFor(() => charger.connectors[0].tx === null);
    };

    let mark = h.sent.length;
    await session();
    expect(authorizes(mark)).toBe(1);
    mark = h.sent.length;
    await session();
    expect(authorizes(mark)).toBe(0); // from the cache
    expect(h.ctx.metrics.counters.authCacheHits).toBe(1);

    expect(await h.command('clear-cache', { chargePointId: cp })).toEqual(accepted);
    mark = h.sent.length;
    await session();
    expect(authorizes(mark)).toBe(1);

    expect(await h.command('change-configuration', { chargePointId: cp, key: 'AuthorizationCacheEnabled', value: 'false' })).toEqual(accepted);
    expect(await h.command('clear-cache', { chargePointId: cp })).toEqual({ status: 'Rejected' });
  });
});

describe('Local Authorization List (E2 §5.10, §5.15)', () => {
  it('takes Full and Differential updates with version checks and size limits; -1 and NotSupported while disabled', async () => {
    const charger = await h.charger(`connectors: 1\n${FAST}`);
    const cp = charger.id;
    const send = (body: Record<string, unknown>) => h.command('send-local-list', { chargePointId: cp, ...body });
    const version = async () => (await h.command('get-local-list-version', { chargePointId: cp })).listVersion;
    const entry = (idTag: string, status = 'Accepted') => ({ idTag, idTagInfo: { status } });

    expect(await version()).toBe(0);
    expect(await send({ listVersion: 3, updateType: 'Full', localAuthorizationList: [entry('A1'), entry('B2'), entry('C3', 'Blocked')] })).toEqual(accepted);
    expect(await version()).toBe(3);
    expect(await send({ listVersion: 3, updateType: 'Differential', localAuthorizationList: [entry('D4')] })).toEqual({ status: 'VersionMismatch' });
    expect(await send({ listVersion: 4, updateType: 'Differential', localAuthorizationList: [{ idTag: 'b2' }, entry('D4')] })).toEqual(accepted);
    expect(await version()).toBe(4);
    const tooMany = Array.from({ length: 1001 }, (_, i) => entry(`T${i}`));
    expect(await send({ listVersion: 5, updateType: 'Full', localAuthorizationList: tooMany })).toEqual({ status: 'Failed' });
    expect(await version()).toBe(4);
    // A Full update may go back in version: it replaces everything.
    expect(await send({ listVersion: 2, updateType: 'Full', localAuthorizationList: [entry('A1')] })).toEqual(accepted);
    expect(await version()).toBe(2);

    expect(await h.command('change-configuration', { chargePointId: cp, key: 'LocalAuthListEnabled', value: 'false' })).toEqual(accepted);
    expect(await version()).toBe(-1);
    expect(await send({ listVersion: 9, updateType: 'Full', localAuthorizationList: [] })).toEqual({ status: 'NotSupported' });
  });

  it('offline, a card Accepted in the list starts a transaction; its messages are delivered in order once the CSMS is back, and it is billed', async () => {
    const charger = await h.charger(`connectors: 2\n${FAST}configuration: { TransactionMessageRetryInterval: 1 }`);
    const cp = charger.id;
    const idTag = await h.idTag();
    expect(await h.command('send-local-list', { chargePointId: cp, listVersion: 1, updateType: 'Full', localAuthorizationList: [{ idTag, idTagInfo: { status: 'Accepted' } }, { idTag: 'BLOCKED1', idTagInfo: { status: 'Blocked' } }] })).toEqual(accepted);
    expect(charger.freeConnector()).toBe(0);

    await h.stopCsms();
    await waitFor(() => !charger.link());
    // The CSMS is away: the charger still takes drivers, and judges their cards itself.
    expect(charger.freeConnector()).toBe(0);
    const blocked = charger.claim(1, 'BLOCKED1');
    await charger.runStart(1, blocked, 'rfid', performance.now());
    expect(charger.connectors[1].tx).toBeNull();
    const mark = h.sent.length;
    const tx = charger.claim(0, idTag);
    await charger.runStart(0, tx, 'rfid', performance.now());
    expect(tx.startTimestamp).not.toBe('');
    expect(charger.connectors[0].status).toBe('Charging');
    expect(h.ctx.metrics.counters.authOfflineStarted).toBe(1);
    expect(h.ctx.metrics.counters.authLocalListHits).toBe(1);
    await new Promise((r) => setTimeout(r, 700));
    charger.stop(0, 'Local');
    expect(charger.outbox.queue.map((m) => m.action)).toEqual(expect.arrayContaining(['StartTransaction', 'MeterValues', 'StopTransaction']));

    await h.startCsms();
    await waitFor(() => charger.connectors[0].tx === null, 15_000);
    const after = h.since(mark).filter((c) => ['StartTransaction', 'MeterValues', 'StopTransaction'].includes(c.action)).map((c) => c.action);
    expect(after[0]).toBe('StartTransaction');
    expect(after.at(-1)).toBe('StopTransaction');
    expect(after).toContain('MeterValues');
    expect(h.since(mark).some((c) => c.action === 'Authorize')).toBe(false);
    const session = await h.store().sessions.get(tx.transactionId!);
    expect(session?.status).toBe('completed');
    expect(session?.idTag).toBe(idTag);
    expect(session!.energyWh).toBeGreaterThan(0);
  });
});

describe('unknown cards offline (E2 §3.6)', () => {
  it('refused without AllowOfflineTxForUnknownId; with it the session starts, and when the CSMS refuses the card it is stopped DeAuthorized', async () => {
    const charger = await h.charger(`connectors: 1\n${FAST}configuration: { TransactionMessageRetryInterval: 1 }`);
    await h.stopCsms();
    await waitFor(() => !charger.link());
    expect(charger.freeConnector()).toBe(-1); // nothing could start here now
    const unknown = charger.claim(0, 'NOBODY-1');
    await charger.runStart(0, unknown, 'rfid', performance.now());
    expect(charger.connectors[0].tx).toBeNull();

    expect(charger.changeConfiguration('AllowOfflineTxForUnknownId', 'true')).toBe('Accepted');
    expect(charger.freeConnector()).toBe(0);
    const tx = charger.claim(0, 'NOBODY-2');
    await charger.runStart(0, tx, 'rfid', performance.now());
    expect(charger.connectors[0].status).toBe('Charging');
    expect(h.ctx.metrics.counters.authOfflineStarted).toBe(1);
    expect(h.ctx.metrics.counters.authLocalListHits + h.ctx.metrics.counters.authCacheHits).toBe(0);

    const mark = h.sent.length;
    await h.startCsms();
    await waitFor(() => charger.connectors[0].tx === null, 15_000);
    const stop = h.since(mark).find((c) => c.action === 'StopTransaction');
    expect(stop?.payload).toMatchObject({ transactionId: tx.transactionId, reason: 'DeAuthorized' });
    // The charger's own risk, not an error of the CSMS.
    expect(h.ctx.metrics.errors().top.filter((e) => e.key.startsWith('ocpp.StartTransaction: idTag'))).toEqual([{ key: 'ocpp.StartTransaction: idTag Invalid (expected)', count: 1 }]);
  });

  it('StopTransactionOnInvalidId false: the refused transaction goes on, its energy suspended once MaxEnergyOnInvalidId is reached, until the driver ends it', async () => {
    const charger = await h.charger(`connectors: 1\npowerKw: 50\n${FAST}configuration: { TransactionMessageRetryInterval: 1, AllowOfflineTxForUnknownId: true, StopTransactionOnInvalidId: false, MaxEnergyOnInvalidId: 1 }`);
    await h.stopCsms();
    await waitFor(() => !charger.link());
    const tx = charger.claim(0, 'NOBODY-3');
    await charger.runStart(0, tx, 'rfid', performance.now());
    const mark = h.sent.length;
    await h.startCsms();
    await waitFor(() => charger.connectors[0].status === 'SuspendedEVSE', 15_000);
    expect(tx.transactionId).not.toBeNull();
    expect(tx.powerW).toBe(0);
    const held = charger.connectors[0].registerWh;
    await new Promise((r) => setTimeout(r, 400));
    expect(charger.connectors[0].registerWh).toBe(held);
    expect(h.since(mark).some((c) => c.action === 'StopTransaction')).toBe(false);
    expect(h.since(mark).some((c) => c.action === 'StatusNotification' && c.payload.status === 'SuspendedEVSE')).toBe(true);

    charger.stop(0, 'Local');
    await waitFor(() => charger.connectors[0].tx === null);
    const stop = h.since(mark).find((c) => c.action === 'StopTransaction');
    expect(stop?.payload).toMatchObject({ transactionId: tx.transactionId, reason: 'Local', meterStop: Math.floor(held) });
  });
});

describe('UnlockConnector during a transaction (E2 §5.18)', () => {
  it('finishes the transaction first: its StopTransaction (UnlockCommand) is on the wire before the Unlocked answer', async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'ocpp1.6' });
    await new Promise<void>((resolve) => server!.once('listening', resolve));
    const frames: unknown[][] = [];
    let socket: WebSocket | null = null;
    const answers: Record<string, unknown> = {
      BootNotification: { status: 'Accepted', currentTime: new Date().toISOString(), interval: 3600 },
      StartTransaction: { transactionId: 7, idTagInfo: { status: 'Accepted' } },
      StopTransaction: { idTagInfo: { status: 'Accepted' } },
      Heartbeat: { currentTime: new Date().toISOString() },
    };
    server.on('connection', (ws) => {
      socket = ws;
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as unknown[];
        frames.push(frame);
        if (frame[0] === 2) ws.send(JSON.stringify([3, frame[1], answers[frame[2] as string] ?? {}]));
      });
    });
    const ctx = aSimContext(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/ocpp`);
    const charger = new SimCharger(0, 'UNLOCK-1', aTemplate(`connectors: 1\n${FAST}`), null, ctx, createFleetShared(ctx));
    raw = { charger, ctx };
    charger.scheduleConnect(performance.now());
    await waitFor(() => charger.link());
    const tx = charger.claim(0, 'TAG-U');
    void charger.runStart(0, tx, 'app', performance.now());
    await waitFor(() => tx.transactionId === 7);

    socket!.send(JSON.stringify([2, 'unlock-1', 'UnlockConnector', { connectorId: 1 }]));
    await waitFor(() => frames.some((f) => f[0] === 3 && f[1] === 'unlock-1'));
    const stop = frames.findIndex((f) => f[0] === 2 && f[2] === 'StopTransaction');
    const answer = frames.findIndex((f) => f[0] === 3 && f[1] === 'unlock-1');
    expect(frames[answer][2]).toEqual({ status: 'Unlocked' });
    expect(stop).toBeGreaterThanOrEqual(0);
    expect(stop).toBeLessThan(answer);
    expect((frames[stop][3] as any).reason).toBe('UnlockCommand');
    await waitFor(() => charger.connectors[0].tx === null);
  });
});
