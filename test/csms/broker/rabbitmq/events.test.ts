import { afterEach, expect, it } from 'vitest';
import { DEFAULT_EVENT_SHARDS, shardOf, topology } from '../../../../src/csms/broker/rabbitmq/topology.ts';
import type { Delivery } from '../../../../src/csms/domain/ports.ts';
import type { OcppEvent } from '../../../../src/csms/domain/types.ts';
import { aRabbitBroker, closeTestBrokers, deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../../helpers/rabbit.ts';
import { anEvent, depth, sleep, until, withRawChannel } from './fixtures.ts';

/** The shard queue of anEvent()'s charger, CP-1: where its events wait with ordering 'per-charger'. */
const cp1Queue = (ns: string) => topology(ns).shardQueue(shardOf('CP-1', DEFAULT_EVENT_SHARDS));

describeRabbit('rabbitmq broker: OCPP events', () => {
  let ns = '';
  afterEach(async () => {
    await closeTestBrokers();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    ns = '';
  });

  it('hands published events to the consumer in order and in batches, acks them, redelivers nothing after close', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns, { prefetch: 100 });
    await broker.start();
    expect(broker.health()).toEqual({ ok: true, detail: 'rabbitmq' });
    const batches: Delivery<OcppEvent>[][] = [];
    broker.consumeEvents(async (batch) => {
      batches.push(batch);
      return { failed: [] };
    });
    const events = Array.from({ length: 500 }, () => anEvent());
    for (const e of events) broker.publishEvent(e);
    await until(() => batches.flat().length >= 500, 10_000, 'all events');
    await broker.close();

    const seen = batches.flat();
    expect(seen.map((d) => d.body)).toEqual(events);
    expect(seen.every((d) => !d.redelivered && d.attempts === 0)).toBe(true);
    expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(1);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(100);
    expect(broker.stats().consume.acked).toBe(500);
    // Every ack reached the broker before the connection closed: nothing is ready or unacked.
    const q = await withRawChannel((ch) => ch.checkQueue(cp1Queue(ns)));
    expect(q.messageCount).toBe(0);
    // And nothing comes again to a new consumer.
    const again = aRabbitBroker(ns);
    const redelivered: string[] = [];
    again.consumeEvents(async (batch) => {
      redelivered.push(...batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    await again.start();
    await until(async () => (await withRawChannel((ch) => ch.checkQueue(cp1Queue(ns)))).consumerCount === 1, 10_000, 'the new consumer');
    // What is under test is an absence: with the consumer attached, nothing arrives within this window.
    await sleep(300);
    expect(redelivered).toEqual([]);
  });

  it('close() lets the batch in progress finish and acks it; what was not handed over stays queued', async () => {
    ns = uniqueNamespace();
    const publisher = aRabbitBroker(ns);
    await publisher.start();
    const events = Array.from({ length: 300 }, () => anEvent());
    for (const e of events) publisher.publishEvent(e);
    await until(async () => (await depth(cp1Queue(ns))) === 300, 30_000, 'the queued events');

    const broker = aRabbitBroker(ns, { prefetch: 100 });
    const committed: string[] = [];
    let started!: () => void;
    const inProgress = new Promise<void>((r) => (started = r));
    broker.consumeEvents(async (batch) => {
      started();
      await sleep(300); // a slow commit, so that close() comes while the batch is in progress
      // The "commit": only after this may the batch be acknowledged.
      committed.push(...batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    await broker.start();
    await inProgress;
    await broker.close();
    expect(committed.length).toBeGreaterThan(0);
    expect(broker.stats().consume.acked).toBe(committed.length);
    // Nothing committed is left in the queue, nothing uncommitted was lost: ready = 300 − committed.
    const q = await withRawChannel((ch) => ch.checkQueue(cp1Queue(ns)));
    expect(q.messageCount).toBe(300 - committed.length);
  });

  it('with ordering none, shares the one work queue between competing consumers, each event to exactly one', async () => {
    ns = uniqueNamespace();
    const a = aRabbitBroker(ns, { prefetch: 20, ordering: 'none' });
    const b = aRabbitBroker(ns, { prefetch: 20, ordering: 'none' });
    await Promise.all([a.start(), b.start()]);
    const got = { a: [] as string[], b: [] as string[] };
    const slowly = (into: string[]) => async (batch: Delivery<OcppEvent>[]) => {
      into.push(...batch.map((d) => d.body.eventId));
      await sleep(5);
      return { failed: [] };
    };
    a.consumeEvents(slowly(got.a));
    b.consumeEvents(slowly(got.b));
    const ids = Array.from({ length: 1000 }, () => anEvent()).map((e) => {
      a.publishEvent(e);
      return e.eventId;
    });
    await until(() => got.a.length + got.b.length >= 1000, 10_000, 'all events');
    // Every one acknowledged: none can come a second time.
    await until(() => a.stats().consume.acked + b.stats().consume.acked >= 1000, 10_000, 'all acknowledged');
    expect([...got.a, ...got.b].sort()).toEqual([...ids].sort());
    expect(got.a.length).toBeGreaterThan(0);
    expect(got.b.length).toBeGreaterThan(0);
  });

  it('with ordering per-charger, one consumer applies a charger\'s events; when it closes, the other goes on in order', async () => {
    ns = uniqueNamespace();
    const a = aRabbitBroker(ns, { prefetch: 10 });
    const b = aRabbitBroker(ns, { prefetch: 10 });
    const got = { a: [] as string[], b: [] as string[] };
    // A subscribes first: the shard's single active consumer. Each batch takes a while, so that
    // A's close comes with deliveries it holds but has not applied.
    a.consumeEvents(async (batch) => {
      await sleep(5);
      got.a.push(...batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    await a.start();
    b.consumeEvents(async (batch) => {
      got.b.push(...batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    await b.start();
    await until(async () => (await withRawChannel((ch) => ch.checkQueue(cp1Queue(ns)))).consumerCount === 2, 10_000, 'both consumers');
    const ids = Array.from({ length: 300 }, () => anEvent()).map((e) => {
      b.publishEvent(e);
      return e.eventId;
    });
    await until(() => got.a.length >= 50, 10_000, 'A under way');
    expect(got.b).toEqual([]);
    await a.close();
    await until(() => got.a.length + got.b.length >= 300, 10_000, 'all events');
    expect(got.b.length).toBeGreaterThan(0);
    // Exactly once and in order: A's part, then B's.
    expect([...got.a, ...got.b]).toEqual(ids);
  });

  it('sends a retried event back to its own shard queue, and drains what an older version left in the shared queue', async () => {
    ns = uniqueNamespace();
    const t = topology(ns);
    const broker = aRabbitBroker(ns, { maxAttempts: 3, retryDelayMs: 300 });
    await broker.start();
    const failing = anEvent();
    let failedOnce!: () => void;
    const failed = new Promise<void>((r) => (failedOnce = r));
    broker.consumeEvents(async (batch) => {
      failedOnce();
      return { failed: batch.map((delivery) => ({ delivery, error: new Error('first attempt') })) };
    });
    broker.publishEvent(failing);
    await failed;
    await until(() => broker.stats().consume.retried === 1, 10_000, 'the retry copy');
    // Nobody consumes now: the copy expires from the retry queue into the charger's shard, nowhere else.
    await broker.close();
    await until(async () => (await depth(cp1Queue(ns))) === 1, 10_000, 'the expired retry in its shard');
    expect(await depth(t.queues.events)).toBe(0);
    expect(await depth(t.queues.retries)).toBe(0);

    // An older version's event, in the shared queue under its old routing key.
    const old = anEvent({ chargePointId: 'CP-OLD' });
    await withRawChannel(async (ch) => {
      ch.publish(t.exchanges.ocpp, 'ocpp.connection.connected', Buffer.from(JSON.stringify(old)), { persistent: true });
    });
    await until(async () => (await depth(t.queues.events)) === 1, 10_000, 'the old event in the shared queue');
    const next = aRabbitBroker(ns);
    const got: { id: string; attempts: number }[] = [];
    next.consumeEvents(async (batch) => {
      got.push(...batch.map((d) => ({ id: d.body.eventId, attempts: d.attempts })));
      return { failed: [] };
    });
    await next.start();
    await until(() => got.length === 2, 10_000, 'both events');
    expect(got).toEqual(expect.arrayContaining([{ id: failing.eventId, attempts: 1 }, { id: old.eventId, attempts: 0 }]));
  });

  it('retries a failing event with a growing delay, dead-letters it with its error, and the rest flow on; replay brings it back', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns, { maxAttempts: 3, retryDelayMs: 150 });
    await broker.start();
    const poison = anEvent({ chargePointId: 'CP-POISON' });
    const tries: { attempts: number; redelivered: boolean; at: number }[] = [];
    const done: string[] = [];
    let healed = false;
    broker.consumeEvents(async (batch) => {
      const failed = [];
      for (const d of batch) {
        if (d.body.eventId === poison.eventId && !healed) {
          tries.push({ attempts: d.attempts, redelivered: d.redelivered, at: Date.now() });
          failed.push({ delivery: d, error: new Error(`bad meter value #${d.attempts}`) });
        } else done.push(d.body.eventId);
      }
      return { failed };
    });
    broker.publishEvent(poison);
    const others = Array.from({ length: 20 }, () => anEvent());
    for (const e of others) broker.publishEvent(e);

    await until(() => broker.stats().consume.deadLettered === 1, 30_000, 'the dead letter');
    expect(done).toEqual(others.map((e) => e.eventId));
    expect(tries.map((t) => t.attempts)).toEqual([0, 1, 2]);
    expect(tries.map((t) => t.redelivered)).toEqual([false, true, true]);
    // retryDelayMs × attempts: ~150 ms, then ~300 ms.
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(140);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(290);
    expect(await depth(topology(ns).queues.dead)).toBe(1);

    const letters = await broker.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ event: poison, error: 'bad meter value #2', attempts: 3 });
    expect(Date.parse(letters[0]!.at)).not.toBeNaN();
    // Listing does not consume.
    expect(await broker.deadLetters()).toHaveLength(1);

    healed = true;
    expect(await broker.replayDeadLetters()).toBe(1);
    await until(() => done.includes(poison.eventId), 30_000, 'the replayed event');
    expect(await broker.deadLetters()).toEqual([]);
    expect(tries).toHaveLength(3);
  });

  it('counts a rejected batch as one failure for every delivery in it', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns, { maxAttempts: 5, retryDelayMs: 20 });
    await broker.start();
    const attempts = new Map<string, number[]>();
    let calls = 0;
    broker.consumeEvents(async (batch) => {
      for (const d of batch) attempts.set(d.body.eventId, [...(attempts.get(d.body.eventId) ?? []), d.attempts]);
      if (calls++ === 0) throw new Error('database is locked');
      return { failed: [] };
    });
    const events = Array.from({ length: 5 }, () => anEvent());
    for (const e of events) broker.publishEvent(e);
    await until(() => broker.stats().consume.acked === 5, 30_000, 'all acked');
    const firstBatch = [...attempts.values()].filter((a) => a.length === 2);
    expect(firstBatch.length).toBeGreaterThan(0);
    for (const a of firstBatch) expect(a).toEqual([0, 1]);
    expect(broker.stats().consume.retried).toBe(firstBatch.length);
  });

  it('dead-letters an unreadable message at once instead of letting it block the queue', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns);
    await broker.start();
    const good: string[] = [];
    broker.consumeEvents(async (batch) => {
      good.push(...batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    await withRawChannel(async (ch) => {
      ch.publish(topology(ns).exchanges.ocpp, 'ocpp.in.Heartbeat', Buffer.from('{not json'), { persistent: true });
    });
    const e = anEvent();
    broker.publishEvent(e);
    await until(() => good.includes(e.eventId) && broker.stats().consume.deadLettered === 1, 30_000, 'the good event and the dead letter');
    const [letter] = await broker.deadLetters();
    expect(letter!.event).toMatchObject({ kind: 'invalid', raw: '{not json' });
    expect(letter!.error).toMatch(/JSON/);
  });

  it('keeps a returned (unroutable) event in the outbox, re-declares the topology and delivers it in order', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns);
    await broker.start();
    // Someone deletes the work queue under us: publishes to the exchange are now unroutable.
    await withRawChannel((ch) => ch.deleteQueue(cp1Queue(ns)));
    const events = Array.from({ length: 3 }, () => anEvent());
    for (const e of events) broker.publishEvent(e);
    await until(() => broker.stats().returned >= 3, 30_000, 'the returns');
    expect(broker.stats().publish.refused).toBeGreaterThanOrEqual(3);
    await until(async () => (await depth(cp1Queue(ns))) === 3 && await broker.store.outbox.count() === 0, 10_000, 'the relayed events');
    const got: string[] = [];
    broker.consumeEvents(async (batch) => {
      got.push(...batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    await until(() => got.length === 3, 30_000, 'the events');
    expect(got).toEqual(events.map((e) => e.eventId));
  });

  it('comes back consuming when the broker cancels its consumer (work queue deleted)', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns);
    await broker.start();
    const got: string[] = [];
    broker.consumeEvents(async (batch) => {
      got.push(...batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    await withRawChannel((ch) => ch.deleteQueue(cp1Queue(ns)));
    const events = Array.from({ length: 3 }, () => anEvent());
    for (const e of events) broker.publishEvent(e);
    await until(() => got.length >= 3, 10_000, 'the events after the reconnect');
    expect(got).toEqual(events.map((e) => e.eventId));
    expect(broker.health().ok).toBe(true);
  });

  it('publishes audit entries persistently to a bounded audit queue', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns);
    await broker.start();
    broker.publishAudit('command.sent.Reset', { chargePointId: 'CP-1', type: 'Soft' });
    broker.publishAudit('cms.station.created', { id: 7 });
    const t = topology(ns);
    await until(async () => (await depth(t.queues.audit)) === 2, 30_000, 'the audit entries');
    const msgs = await withRawChannel(async (ch) => {
      const out = [];
      for (let m = await ch.get(t.queues.audit, { noAck: true }); m; m = await ch.get(t.queues.audit, { noAck: true })) out.push(m);
      return out;
    });
    expect(msgs.map((m) => m.fields.routingKey)).toEqual(['audit.command.sent.Reset', 'audit.cms.station.created']);
    expect(msgs[0]!.properties.deliveryMode).toBe(2);
    expect(JSON.parse(msgs[0]!.content.toString())).toMatchObject({ topic: 'command.sent.Reset', node: expect.any(String), data: { chargePointId: 'CP-1', type: 'Soft' } });
  });

  it('reports backlog and backpressure from what it holds', async () => {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns, { highWater: 50, lowWater: 10, depthIntervalMs: 50 });
    await broker.start();
    expect(broker.pressure()).toBeNull();
    for (let i = 0; i < 200; i++) broker.publishEvent(anEvent());
    // Confirms have not come back yet in this tick: 200 unconfirmed is above the high-water mark.
    const relief = broker.pressure();
    expect(relief).toBeInstanceOf(Promise);
    await relief;
    expect(broker.stats().unconfirmed).toBeLessThan(10);
    // Nobody consumes: the queue depth shows in the backlog.
    await until(() => broker.backlog() === 200, 30_000, 'backlog from the queue depth');
  });
});
