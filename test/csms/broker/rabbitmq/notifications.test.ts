import { afterEach, expect, it } from 'vitest';
import { notify } from '../../../../src/csms/domain/notifications.ts';
import type { Notification } from '../../../../src/csms/domain/types.ts';
import { aRabbitBroker, closeTestBrokers, deleteNamespace, describeRabbit, killConnection, RABBIT_URL, uniqueNamespace } from '../../../helpers/rabbit.ts';
import { anEvent, isProbe, until, untilNotified } from './fixtures.ts';

const at = () => new Date().toISOString();

describeRabbit('rabbitmq broker: notifications and reconnects', () => {
  let ns = '';
  afterEach(async () => {
    await closeTestBrokers();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    ns = '';
  });

  it('delivers every notification to every node, each on its own queue', async () => {
    ns = uniqueNamespace();
    const a = aRabbitBroker(ns, { nodeId: 'node-a' });
    const b = aRabbitBroker(ns, { nodeId: 'node-b' });
    const got = { a: [] as Notification[], b: [] as Notification[] };
    const probes = { a: 0, b: 0 };
    a.consumeNotifications((n) => (isProbe(n) ? probes.a++ : got.a.push(n)));
    await Promise.all([a.start(), b.start()]);
    // Subscribing after start works too.
    b.consumeNotifications((n) => (isProbe(n) ? probes.b++ : got.b.push(n)));
    await untilNotified((n) => a.publishNotification(n), () => probes.a > 0 && probes.b > 0, 'both nodes consuming');
    const sent = [
      notify('charging.started', { sessionId: 1 }, at(), { customers: [42] }),
      notify('charger.status', { chargePointId: 'CP-1', status: 'Available' }, at(), { chargePointId: 'CP-1' }),
      notify('dashboard.stats', { stations: 1 }, at()),
    ];
    for (const n of sent) a.publishNotification(n);
    await until(() => got.a.length === 3 && got.b.length === 3, 30_000, 'notifications on both nodes');
    expect(got.a).toEqual(sent);
    expect(got.b).toEqual(sent);
  });

  it('drops notifications while the broker is unreachable, without throwing', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns, { url: 'amqp://guest:guest@127.0.0.1:1' });
    await broker.start();
    expect(() => broker.publishNotification(notify('meter.values', {}, at()))).not.toThrow();
    expect(broker.stats().notificationsDropped).toBe(1);
  });

  it('after a connection loss: reconnects, re-consumes notifications and events, loses no accepted event', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns, { nodeId: `node-${ns}` });
    const notes: Notification[] = [];
    const events: string[] = [];
    broker.consumeNotifications((n) => notes.push(n));
    broker.consumeEvents(async (batch) => {
      events.push(...batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    await broker.start();
    const before = Array.from({ length: 200 }, () => anEvent());
    for (const e of before) broker.publishEvent(e);
    expect(killConnection(`ev-csms/node-${ns}`)).toBe(1);
    const during = Array.from({ length: 200 }, () => anEvent());
    for (const e of during) broker.publishEvent(e);
    await until(() => !broker.health().ok || broker.stats().consume.delivered > 0, 30_000, 'the loss or the events');
    await until(() => broker.health().ok, 10_000, 'the reconnect');
    const after = anEvent();
    broker.publishEvent(after);
    await until(() => new Set(events).size === 401, 10_000, 'every event');
    // At least once: a few may come twice around the loss (the processor deduplicates by event id).
    expect(new Set(events)).toEqual(new Set([...before, ...during, after].map((e) => e.eventId)));
    // A row goes once the broker confirmed it, which can come a moment after a consumer got it.
    await until(async () => await broker.store.outbox.count() === 0, 10_000, 'the relayed rows deleted');
    // The events published onto the dead connection went through the outbox.
    expect(broker.stats().publish.parked).toBeGreaterThan(0);
    expect(broker.stats().publish.relayed).toBe(broker.stats().publish.parked);
    // The notification queue is consumed again: one published now arrives (published until it does,
    // as the re-consume may come a moment after health() is ok).
    const n = notify('wallet.updated', { balance: 1 }, at(), { customers: [7] });
    await untilNotified(() => broker.publishNotification(n), () => notes.some((x) => x.id === n.id), 'a notification after the reconnect');
  });
});
