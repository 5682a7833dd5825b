import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aMeterValues, aStartTransaction, aStopTransaction } from '../../../src/ocpp/index.ts';
import { createMemoryBroker } from '../../../src/csms/broker/memory.ts';
import { createCharging, type Charging } from '../../../src/csms/domain/charging.ts';
import type { Broker } from '../../../src/csms/domain/ports.ts';
import type { Notification, OcppAnsweredCall } from '../../../src/csms/domain/types.ts';
import { createProcessor, type Processor } from '../../../src/csms/processor/processor.ts';
import { createSqliteStore, type SqliteStore } from '../../../src/csms/store/index.ts';

let seq = 0;
/** A Heartbeat we answered; `overrides` with another action must bring its request and response. */
function aCallEvent(overrides: Partial<OcppAnsweredCall> = {}): OcppAnsweredCall {
  seq++;
  return { eventId: `e-${seq}`, chargePointId: 'CP-P', nodeId: 'n', receivedAt: new Date().toISOString(), kind: 'call', action: 'Heartbeat', messageId: `m-${seq}`, request: {}, response: { currentTime: new Date().toISOString() }, error: null, ...overrides } as OcppAnsweredCall;
}

describe('processor', () => {
  let store: SqliteStore;
  let broker: Broker;
  let processor: Processor;
  let charging: Charging;
  const published: Notification[] = [];
  beforeEach(async () => {
    store = createSqliteStore(':memory:');
    await store.chargePoints.create({ id: 'CP-P', connectors: 1, registrationStatus: 'Accepted' });
    broker = createMemoryBroker();
    broker.consumeNotifications((n) => published.push(n));
    const clock = { now: () => new Date() };
    charging = createCharging({ store, clock, currency: 'EUR', minStartBalance: 0 });
    processor = createProcessor({ store, charging, broker, clock, messageLogRetention: 100 });
    published.length = 0;
  });
  afterEach(async () => {
    processor.close();
    await broker.close();
    await store.close();
  });

  it('fails a poison event alone: the rest of its batch is applied and announced', async () => {
    const good = aCallEvent({ action: 'StatusNotification', request: { connectorId: 1, errorCode: 'NoError', status: 'Charging' }, response: {} });
    // Cannot come through the gateway (the schema refuses it): stands for any event the processor cannot apply.
    const poison = aCallEvent({ action: 'StopTransaction', request: null as never });
    const outcome = await processor.handle([good, poison].map((body) => ({ body, redelivered: false, attempts: 0 })));
    expect(outcome.failed.map((f) => f.delivery.body.eventId)).toEqual([poison.eventId]);
    expect((await store.chargePoints.connectors('CP-P')).find((c) => c.connectorId === 1)?.status).toBe('Charging');
    expect(published.some((n) => n.type === 'connector.status')).toBe(true);
    // The poison event was rolled back, claim included: a retry will try it again.
    expect(await store.events.claim(poison.eventId, new Date().toISOString())).toBe(true);
    expect(processor.stats).toMatchObject({ processed: 1, failed: 1 });
  });

  it('publishes notifications only after the batch committed, with the rooms they belong to', async () => {
    await processor.handle([{ body: aCallEvent({ action: 'StatusNotification', request: { connectorId: 1, errorCode: 'NoError', status: 'Faulted' }, response: {} }), redelivered: false, attempts: 0 }]);
    const status = published.find((n) => n.type === 'connector.status')!;
    expect(status.rooms).toEqual(expect.arrayContaining(['cms:points', 'cms:dashboard', 'cms:point:CP-P']));
    expect(status.data).toMatchObject({ chargePointId: 'CP-P', connectorId: 1, status: 'Faulted' });
  });

  it('logs both directions of a CALL, a command we sent, and the charger\'s answer', async () => {
    await processor.handle([
      { body: aCallEvent({ messageId: 'hb-1' }), redelivered: false, attempts: 0 },
      { body: { eventId: 'c-1', chargePointId: 'CP-P', nodeId: 'n', receivedAt: new Date().toISOString(), kind: 'command', action: 'Reset', messageId: 'cmd-1', payload: { type: 'Soft' } }, redelivered: false, attempts: 0 },
      { body: { eventId: 'c-2', chargePointId: 'CP-P', nodeId: 'n', receivedAt: new Date().toISOString(), kind: 'callresult', action: 'Reset', messageId: 'cmd-1', payload: { status: 'Accepted' }, error: null, latencyMs: 12 }, redelivered: false, attempts: 0 },
    ]);
    const rows = (await store.messages.list('CP-P', { limit: 10 })).map((m) => [m.direction, m.messageType, m.action, m.messageId]);
    expect(rows).toEqual(expect.arrayContaining([
      ['in', 2, 'Heartbeat', 'hb-1'],
      ['out', 3, 'Heartbeat', 'hb-1'],
      ['out', 2, 'Reset', 'cmd-1'],
      ['in', 3, 'Reset', 'cmd-1'],
    ]));
    expect(rows).toHaveLength(4);
  });

  it('announces a disconnect to the CMS with its reason (a flood close says why), and marks the point offline', async () => {
    await store.chargePoints.setOnline('CP-P', true, new Date().toISOString());
    const reason = '1008 rate limit exceeded: 90 frames/s for 3 s (limit 20/s), 200 of 270 frames dropped or refused';
    await processor.handle([{ body: { eventId: 'd-1', chargePointId: 'CP-P', nodeId: 'n', receivedAt: new Date().toISOString(), kind: 'disconnected', remoteAddress: null, reason }, redelivered: false, attempts: 0 }]);
    expect((await store.chargePoints.get('CP-P'))!.online).toBe(false);
    const status = published.find((n) => n.type === 'charger.status')!;
    expect(status.data).toMatchObject({ chargePointId: 'CP-P', online: false, reason });
  });

  it('a redelivered event changes nothing, and neither does the same stop under a new event id', async () => {
    const T0 = '2026-11-22T10:00:00.000Z';
    const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
    const tariff = await store.tariffs.create({ name: 't', currency: 'EUR', pricePerKwh: 30, pricePerMinute: 10, sessionFee: 50 });
    await store.chargePoints.update('CP-P', { tariffId: tariff.id });
    const customer = await store.users.create({ email: 'redeliver@test.local', name: 'R', passwordHash: 'x', role: 'customer', idTag: 'REDELIVER' });
    await store.wallet.add({ customerId: customer.id, amountMinor: 1000, kind: 'topup', createdAt: T0 });
    // What the gateway does for a StartTransaction before it answers.
    const { transactionId } = await charging.startTransaction('CP-P', aStartTransaction({ idTag: 'REDELIVER', meterStart: 0, timestamp: T0 }), T0);
    const stopEvent = aCallEvent({ eventId: randomUUID(), receivedAt: at(60), action: 'StopTransaction', messageId: 'stop-1', request: aStopTransaction({ transactionId, meterStop: 2000, timestamp: at(60) }), response: {} });

    await processor.handle([{ body: stopEvent, redelivered: false, attempts: 0 }]);
    const balance = await store.wallet.balance(customer.id);
    expect(balance).toBe(1000 - (50 + 60 + 10));
    const before = processor.stats.duplicates;
    await processor.handle([{ body: stopEvent, redelivered: true, attempts: 0 }]);
    expect(processor.stats.duplicates).toBe(before + 1);
    await processor.handle([{ body: { ...stopEvent, eventId: randomUUID() }, redelivered: false, attempts: 0 }]);
    expect(await store.wallet.balance(customer.id)).toBe(balance);
    expect((await store.messages.list('CP-P', { limit: 100 })).filter((m) => m.messageId === 'stop-1')).toHaveLength(4);
  });
  it('reports the charge points of session events to sessionsChanged once per applied event: not for a redelivery, nor for an event that failed', async () => {
    const changed: string[][] = [];
    const own = createProcessor({ store, charging, broker, clock: { now: () => new Date() }, messageLogRetention: 100, sessionsChanged: (ids) => changed.push(ids) });
    await store.chargePoints.create({ id: 'CP-Q', connectors: 1, registrationStatus: 'Accepted' });
    const meter = aCallEvent({ action: 'MeterValues', request: aMeterValues({ connectorId: 1 }), response: {} });
    const deliver = (body: OcppAnsweredCall, redelivered = false) => ({ body, redelivered, attempts: 0 });
    await own.handle([deliver(meter)]);
    expect(changed).toEqual([['CP-P']]);
    // The broker hands the same event over again (its ack was lost): already applied, nothing changed.
    await own.handle([deliver(meter, true)]);
    expect(changed).toEqual([['CP-P']]);
    // A batch whose poison event fails alone: only the event that was applied counts.
    const poison = aCallEvent({ chargePointId: 'CP-Q', action: 'StopTransaction', request: null as never });
    const other = aCallEvent({ action: 'MeterValues', request: aMeterValues({ connectorId: 1 }), response: {} });
    const outcome = await own.handle([deliver(poison), deliver(other)]);
    expect(outcome.failed).toHaveLength(1);
    expect(changed).toEqual([['CP-P'], ['CP-P']]);
    own.close();
  });
});
