import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../../../src/csms/broker/memory.ts';
import { CsmsError } from '../../../src/csms/domain/errors.ts';
import type { Broker, Delivery } from '../../../src/csms/domain/ports.ts';
import type { OcppEvent } from '../../../src/csms/domain/types.ts';
import { createSqliteStore, type SqliteStore } from '../../../src/csms/store/index.ts';

let seq = 0;
function anEvent(overrides: Partial<OcppEvent> = {}): OcppEvent {
  seq++;
  return { eventId: `ev-${seq}`, chargePointId: 'CP-1', nodeId: 'n', receivedAt: new Date().toISOString(), kind: 'connected', remoteAddress: null, reason: null, ...overrides } as OcppEvent;
}

const until = async (cond: () => boolean, ms = 30_000) => {
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

  it('waits out an unreachable database without counting it against the events, then applies them in order', async () => {
    broker = createMemoryBroker({ maxAttempts: 2, retryDelayMs: 5, batchSize: 2 });
    const applied: string[] = [];
    let outages = 0;
    broker.consumeEvents(async (batch) => {
      // Three tries in a row find the database away: more than maxAttempts, so a counted failure would dead-letter.
      if (outages < 3) {
        outages++;
        throw new CsmsError('CSMS_ERR_DATABASE_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:5432');
      }
      applied.push(...batch.map((d) => d.body.eventId));
      expect(batch.every((d) => d.attempts === 0)).toBe(true);
      return { failed: [] };
    });
    const ids = Array.from({ length: 5 }, () => anEvent()).map((e) => {
      broker.publishEvent(e);
      return e.eventId;
    });
    await until(() => applied.length === 5);
    expect(applied).toEqual(ids);
    expect(outages).toBe(3);
    expect(await broker.deadLetters()).toEqual([]);
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

  describe('with a journal (what the server uses)', () => {
    let dir = '';
    const stores: SqliteStore[] = [];
    afterEach(async () => {
      for (const st of stores.splice(0)) await st.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });
    const openStore = async () => {
      dir ||= await mkdtemp(join(tmpdir(), 'journal-'));
      const st = createSqliteStore(join(dir, 'csms.db'));
      stores.push(st);
      return st;
    };
    /** What another process would find in the file now. */
    const journalRows = () => {
      const db = new BetterSqlite3(join(dir, 'csms.db'), { readonly: true });
      try {
        return db.prepare('SELECT seq, dead_error FROM event_journal ORDER BY seq').all() as { seq: number; dead_error: string | null }[];
      } finally {
        db.close();
      }
    };

    it('resolves publishEvent only once the event is committed, in one transaction per turn', async () => {
      const store = await openStore();
      broker = createMemoryBroker({ journal: store.journal });
      await broker.start();
      const published = Array.from({ length: 50 }, () => broker.publishEvent(anEvent()));
      expect(journalRows()).toHaveLength(0);
      await Promise.all(published);
      expect(journalRows()).toHaveLength(50);
    });

    it('hands what a previous process left in the journal to the processor at start, and forgets it once processed', async () => {
      const store = await openStore();
      const before = createMemoryBroker({ journal: store.journal });
      await before.start();
      const events = Array.from({ length: 20 }, () => anEvent());
      await Promise.all(events.map((e) => before.publishEvent(e)));
      // No consumer ever attached: as if the process had died before processing anything.
      broker = createMemoryBroker({ journal: store.journal });
      await broker.start();
      const got: Delivery<OcppEvent>[] = [];
      broker.consumeEvents(async (batch) => {
        got.push(...batch);
        return { failed: [] };
      });
      await until(() => got.length === 20);
      expect(got.map((d) => d.body.eventId)).toEqual(events.map((e) => e.eventId));
      expect(got.every((d) => d.redelivered)).toBe(true);
      await until(() => journalRows().length === 0);
    });

    it('keeps dead letters across a restart, and replays them', async () => {
      const store = await openStore();
      const before = createMemoryBroker({ journal: store.journal, maxAttempts: 2, retryDelayMs: 5 });
      await before.start();
      const poison = anEvent();
      before.consumeEvents(async (batch) => ({ failed: batch.map((delivery) => ({ delivery, error: new Error('cannot apply') })) }));
      await before.publishEvent(poison);
      await until(() => journalRows().some((r) => r.dead_error !== null));
      await before.close();

      broker = createMemoryBroker({ journal: store.journal });
      await broker.start();
      expect((await broker.deadLetters()).map((d) => [d.event.eventId, d.error, d.attempts])).toEqual([[poison.eventId, 'cannot apply', 2]]);
      const got: string[] = [];
      broker.consumeEvents(async (batch) => {
        got.push(...batch.map((d) => d.body.eventId));
        return { failed: [] };
      });
      expect(got).toEqual([]); // a dead letter waits for an admin
      expect(await broker.replayDeadLetters()).toBe(1);
      await until(() => got.length === 1);
      await until(() => journalRows().length === 0);
      expect(await broker.deadLetters()).toEqual([]);
    });
  });
});
