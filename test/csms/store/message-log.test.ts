import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/csms/store/index.ts';
import { aLogEntry } from '../builders.ts';
import { memoryStore } from './fixtures.ts';

describe('message log', () => {
  let store: SqliteStore;
  beforeEach(() => ({ store } = memoryStore()));
  afterEach(() => store.close());

  const countFor = (cp: string) =>
    store.db.prepare('SELECT COUNT(*) FROM ocpp_messages WHERE charge_point_id = ?').pluck().get(cp) as number;

  it('round-trips entries with JSON payloads, newest first', () => {
    store.messages.insertMany([
      aLogEntry({ messageId: 'a', payload: { chargePointVendor: 'V', list: [1, 2] } }),
      aLogEntry({ messageId: 'b', direction: 'out', messageType: 3, action: null, payload: { currentTime: 't' }, latencyMs: 4.5 }),
      aLogEntry({ chargePointId: 'CP-2', messageId: 'c' }),
    ]);
    const list = store.messages.list('CP-1');
    expect(list.map((e) => e.messageId)).toEqual(['b', 'a']);
    expect(list[0]).toMatchObject({ direction: 'out', messageType: 3, action: null, payload: { currentTime: 't' }, latencyMs: 4.5 });
    expect(list[1].payload).toEqual({ chargePointVendor: 'V', list: [1, 2] });
  });

  it('pages with limit and the afterId cursor', () => {
    store.messages.insertMany(Array.from({ length: 5 }, (_, i) => aLogEntry({ messageId: `m${i}` })));
    const newest = store.messages.list('CP-1', { limit: 2 });
    expect(newest.map((e) => e.messageId)).toEqual(['m4', 'm3']);
    const all = store.messages.list('CP-1');
    expect(store.messages.list('CP-1', { afterId: all[2].id }).map((e) => e.messageId)).toEqual(['m4', 'm3']);
    expect(store.messages.list('CP-1', { afterId: all[0].id })).toEqual([]);
  });

  it('prunes to the newest N per charge point, and again after more inserts', () => {
    store.messages.insertMany(Array.from({ length: 10 }, (_, i) => aLogEntry({ messageId: `a${i}` })));
    store.messages.insertMany(Array.from({ length: 3 }, (_, i) => aLogEntry({ chargePointId: 'CP-2', messageId: `b${i}` })));
    expect(store.messages.prune(4)).toBe(6);
    expect(store.messages.list('CP-1').map((e) => e.messageId)).toEqual(['a9', 'a8', 'a7', 'a6']);
    expect(countFor('CP-2')).toBe(3);
    expect(store.messages.prune(4)).toBe(0);

    store.messages.insertMany(Array.from({ length: 3 }, (_, i) => aLogEntry({ messageId: `c${i}` })));
    store.messages.insertMany(Array.from({ length: 2 }, (_, i) => aLogEntry({ chargePointId: 'CP-2', messageId: `d${i}` })));
    expect(store.messages.prune(4)).toBe(4);
    expect(store.messages.list('CP-1').map((e) => e.messageId)).toEqual(['c2', 'c1', 'c0', 'a9']);
    expect(store.messages.list('CP-2').map((e) => e.messageId)).toEqual(['d1', 'd0', 'b2', 'b1']);
    expect(store.messages.prune(0)).toBe(8);
    expect(countFor('CP-1') + countFor('CP-2')).toBe(0);
  });

  it('cuts a charge point back only once it is 10% over, and at most 50 charge points per call', () => {
    store.messages.insertMany(Array.from({ length: 10 }, () => aLogEntry()));
    expect(store.messages.prune(10)).toBe(0);
    store.messages.insertMany([aLogEntry()]);
    expect(store.messages.prune(10)).toBe(1);
    store.messages.insertMany(Array.from({ length: 60 }, (_, i) => [aLogEntry({ chargePointId: `M-${i}` }), aLogEntry({ chargePointId: `M-${i}` })]).flat());
    expect(store.messages.prune(1)).toBe(9 + 49); // CP-1 down to one row, then 49 more charge points
    expect(store.messages.prune(1)).toBe(11);
  });

  it('prunes rows written by another store on the first pass', () => {
    store.messages.insertMany(Array.from({ length: 5 }, () => aLogEntry()));
    store.db.prepare(`INSERT INTO ocpp_messages (charge_point_id, direction, message_type, created_at) VALUES ('CP-9', 'in', 2, 't')`).run();
    store.db.prepare(`INSERT INTO ocpp_messages (charge_point_id, direction, message_type, created_at) VALUES ('CP-9', 'in', 2, 't')`).run();
    expect(store.messages.prune(1)).toBe(5);
    expect(countFor('CP-9')).toBe(1);
  });
});
