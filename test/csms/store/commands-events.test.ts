import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/csms/store/index.ts';
import { memoryStore } from './fixtures.ts';

describe('commands', () => {
  let store: SqliteStore;
  beforeEach(() => ({ store } = memoryStore()));
  afterEach(() => store.close());

  const aCommand = (id: string, createdAt = '2024-05-01T10:00:00Z') => ({
    id,
    chargePointId: 'CP-1',
    action: 'Reset',
    request: { type: 'Soft' },
    requestedBy: 'admin@example.test',
    createdAt,
  });

  it('creates pending, finishes with the response, and rejects a duplicate id', () => {
    expect(store.commands.create(aCommand('c1'))).toMatchObject({ status: 'pending', response: null, answeredAt: null, request: { type: 'Soft' } });
    expect(() => store.commands.create(aCommand('c1'))).toThrow(expect.objectContaining({ code: 'CSMS_ERR_CONFLICT' }));
    store.commands.finish('c1', 'answered', { status: 'Accepted' }, '2024-05-01T10:00:01Z');
    expect(store.commands.get('c1')).toMatchObject({ status: 'answered', response: { status: 'Accepted' }, answeredAt: '2024-05-01T10:00:01Z' });
    expect(store.commands.get('c2')).toBeNull();
  });

  it('lets a late answer replace a timeout but never the other way round', () => {
    store.commands.create(aCommand('late'));
    store.commands.finish('late', 'timeout', null, 't1');
    store.commands.finish('late', 'answered', { status: 'Rejected' }, 't2');
    expect(store.commands.get('late')).toMatchObject({ status: 'answered', response: { status: 'Rejected' }, answeredAt: 't2' });
    store.commands.finish('late', 'timeout', null, 't3');
    expect(store.commands.get('late')?.status).toBe('answered');
  });

  it('lists a charge point’s commands newest first', () => {
    store.commands.create(aCommand('old', '2024-05-01T09:00:00Z'));
    store.commands.create(aCommand('new', '2024-05-01T11:00:00Z'));
    store.commands.create({ ...aCommand('other'), chargePointId: 'CP-2' });
    expect(store.commands.list('CP-1').map((c) => c.id)).toEqual(['new', 'old']);
    expect(store.commands.list('CP-1', { limit: 1, offset: 1 }).map((c) => c.id)).toEqual(['old']);
  });
});

describe('processed events', () => {
  let store: SqliteStore;
  beforeEach(() => ({ store } = memoryStore()));
  afterEach(() => store.close());

  it('claims an event id once', () => {
    expect(store.events.claim('e1', '2024-05-01T10:00:00Z')).toBe(true);
    expect(store.events.claim('e1', '2024-05-01T10:00:05Z')).toBe(false);
    expect(store.events.claim('e2', '2024-05-01T10:00:05Z')).toBe(true);
  });

  it('a claim rolled back with its transaction can be claimed again', () => {
    expect(() =>
      store.transaction(() => {
        store.events.claim('e1', 't');
        throw new Error('handler failed');
      }),
    ).toThrow();
    expect(store.events.claim('e1', 't')).toBe(true);
  });

  it('prunes claims older than a cut-off', () => {
    store.events.claim('old', '2024-05-01T09:00:00Z');
    store.events.claim('new', '2024-05-01T11:00:00Z');
    expect(store.events.prune('2024-05-01T10:00:00Z')).toBe(1);
    expect(store.events.claim('old', 't')).toBe(true);
    expect(store.events.claim('new', 't')).toBe(false);
  });
});
