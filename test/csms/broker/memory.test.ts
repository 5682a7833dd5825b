import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../../../src/csms/broker/memory.ts';
import type { Broker, Delivery } from '../../../src/csms/domain/ports.ts';
import type { OcppEvent } from '../../../src/csms/domain/types.ts';

let seq = 0;
function anEvent(overrides: Partial<OcppEvent> = {}): OcppEvent {
  seq++;
  return { eventId: `ev-${seq}`, chargePointId: 'CP-1', nodeId: 'n', receivedAt: new Date().toISOString(), kind: 'connected', remoteAddress: null, reason: null, ...overrides } as OcppEvent;
}

const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('memory broker', () => {
  let broker: Broker;
  afterEach(async () => {
    await broker.close();
  });

  it('hands events over in order, in batches, after publish returns', async () => {
    broker = createMemoryBroker({ batchSize: 3 });
    const seen: string[][] = [];
    broker.consumeEvents(async (batch) => {
      seen.push(batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    const ids = Array.from({ length: 7 }, () => anEvent()).map((e) => {
      broker.publishEvent(e);
      return e.eventId;
    });
    expect(seen).toEqual([]);
    await until(() => seen.flat().length === 7);
    expect(seen.flat()).toEqual(ids);
    expect(Math.max(...seen.map((b) => b.length))).toBe(3);
  });

  it('retries a failing event a bounded number of times, then dead-letters it; the rest flow on', async () => {
    broker = createMemoryBroker({ maxAttempts: 3, retryDelayMs: 5 });
    const poison = anEvent();
    const done: string[] = [];
    let poisonAttempts = 0;
    broker.consumeEvents(async (batch) => {
      const failed: { delivery: Delivery<OcppEvent>; error: unknown }[] = [];
      for (const d of batch) {
        if (d.body.eventId === poison.eventId) {
          poisonAttempts++;
          failed.push({ delivery: d, error: new Error('always fails') });
        } else done.push(d.body.eventId);
      }
      return { failed };
    });
    broker.publishEvent(poison);
    const others = [anEvent(), anEvent()];
    for (const e of others) broker.publishEvent(e);
    await until(() => poisonAttempts === 3 && broker.backlog() === 0);
    expect(done).toEqual(others.map((e) => e.eventId));
    const dead = await broker.deadLetters();
    expect(dead.map((d) => [d.event.eventId, d.attempts, d.error])).toEqual([[poison.eventId, 3, 'always fails']]);
    expect(await broker.replayDeadLetters()).toBe(1);
    await until(() => poisonAttempts === 4);
  });

  it('marks redeliveries after a handler throws', async () => {
    broker = createMemoryBroker({ retryDelayMs: 5 });
    const flags: boolean[] = [];
    broker.consumeEvents(async (batch) => {
      flags.push(batch[0].redelivered);
      if (flags.length === 1) throw new Error('database locked');
      return { failed: [] };
    });
    broker.publishEvent(anEvent());
    await until(() => flags.length === 2);
    expect(flags).toEqual([false, true]);
  });

  it('asks publishers to wait past the high-water mark and releases them below the low-water mark', async () => {
    broker = createMemoryBroker({ highWater: 10, lowWater: 3, batchSize: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    broker.consumeEvents(async () => {
      await gate;
      return { failed: [] };
    });
    for (let i = 0; i < 5; i++) broker.publishEvent(anEvent());
    expect(broker.pressure()).toBeNull();
    for (let i = 0; i < 10; i++) broker.publishEvent(anEvent());
    const pressure = broker.pressure();
    expect(pressure).toBeInstanceOf(Promise);
    let relieved = false;
    void pressure!.then(() => (relieved = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(relieved).toBe(false);
    release();
    await until(() => relieved);
    expect(broker.backlog()).toBeLessThan(3);
  });

  it('drains what was accepted before closing', async () => {
    broker = createMemoryBroker();
    const done: string[] = [];
    broker.consumeEvents(async (batch) => {
      await new Promise((r) => setTimeout(r, 20));
      done.push(...batch.map((d) => d.body.eventId));
      return { failed: [] };
    });
    for (let i = 0; i < 5; i++) broker.publishEvent(anEvent());
    await broker.close();
    expect(done).toHaveLength(5);
  });
});
