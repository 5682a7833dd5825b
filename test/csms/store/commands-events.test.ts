import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { eachStore, openStore } from '../../helpers/stores.ts';

describe.each(eachStore)('[%s] commands', (_name, adapter) => {
  let store: Store;
  beforeEach(async (ctx) => ({ store } = await openStore(adapter, ctx)));

  const aCommand = (id: string, createdAt = '2024-05-01T10:00:00Z') => ({
    id,
    chargePointId: 'CP-1',
    action: 'Reset',
    request: { type: 'Soft' },
    requestedBy: 'admin@example.test',
    createdAt,
  });

  it('creates pending, finishes with the response, and rejects a duplicate id', async () => {
    expect(await store.commands.create(aCommand('c1'))).toMatchObject({ status: 'pending', response: null, answeredAt: null, request: { type: 'Soft' } });
    await expect(store.commands.create(aCommand('c1'))).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_CONFLICT' }));
    await store.commands.finish('c1', 'answered', { status: 'Accepted' }, '2024-05-01T10:00:01Z');
    expect(await store.commands.get('c1')).toMatchObject({ status: 'answered', response: { status: 'Accepted' }, answeredAt: '2024-05-01T10:00:01Z' });
    expect(await store.commands.get('c2')).toBeNull();
  });

  it('lets a late answer replace a timeout but never the other way round', async () => {
    await store.commands.create(aCommand('late'));
    await store.commands.finish('late', 'timeout', null, '2024-05-01T12:01:00.000Z');
    await store.commands.finish('late', 'answered', { status: 'Rejected' }, '2024-05-01T12:02:00.000Z');
    expect(await store.commands.get('late')).toMatchObject({ status: 'answered', response: { status: 'Rejected' }, answeredAt: '2024-05-01T12:02:00.000Z' });
    await store.commands.finish('late', 'timeout', null, '2024-05-01T12:03:00.000Z');
    expect((await store.commands.get('late'))?.status).toBe('answered');
  });

  it('lists a charge point’s commands newest first', async () => {
    await store.commands.create(aCommand('old', '2024-05-01T09:00:00Z'));
    await store.commands.create(aCommand('new', '2024-05-01T11:00:00Z'));
    await store.commands.create({ ...aCommand('other'), chargePointId: 'CP-2' });
    expect((await store.commands.list('CP-1')).map((c) => c.id)).toEqual(['new', 'old']);
    expect((await store.commands.list('CP-1', { limit: 1, offset: 1 })).map((c) => c.id)).toEqual(['old']);
  });
});

describe.each(eachStore)('[%s] processed events', (_name, adapter) => {
  let store: Store;
  beforeEach(async (ctx) => ({ store } = await openStore(adapter, ctx)));

  it('claims an event id once', async () => {
    expect(await store.events.claim('e1', '2024-05-01T10:00:00Z')).toBe(true);
    expect(await store.events.claim('e1', '2024-05-01T10:00:05Z')).toBe(false);
    expect(await store.events.claim('e2', '2024-05-01T10:00:05Z')).toBe(true);
  });

  it('claims many event ids in one call: each once, whatever claimed it before', async () => {
    expect(await store.events.claimMany([], '2024-05-01T10:00:00Z')).toEqual(new Set());
    expect(await store.events.claim('e2', '2024-05-01T10:00:00Z')).toBe(true);
    // An id listed twice is claimed once; one claimed before (by either call) is not claimed again.
    expect(await store.events.claimMany(['e3', 'e1', 'e2', 'e3'], '2024-05-01T10:00:05Z')).toEqual(new Set(['e1', 'e3']));
    expect(await store.events.claimMany(['e1', 'e4'], '2024-05-01T10:00:06Z')).toEqual(new Set(['e4']));
    expect(await store.events.claim('e3', '2024-05-01T10:00:07Z')).toBe(false);
    // Recorded with the time given: a prune before it keeps them, one after it drops them.
    expect(await store.events.prune('2024-05-01T10:00:05Z')).toBe(1);
    expect(await store.events.prune('2024-05-01T10:00:06Z')).toBe(2);
  });

  it('a claimMany rolled back with its transaction can be claimed again', async () => {
    await expect(
      store.transaction(async () => {
        expect(await store.events.claimMany(['e1', 'e2'], '2024-05-01T12:00:00.000Z')).toEqual(new Set(['e1', 'e2']));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await store.events.claimMany(['e2', 'e1'], '2024-05-01T12:00:00.000Z')).toEqual(new Set(['e1', 'e2']));
  });

  it('a claim rolled back with its transaction can be claimed again', async () => {
    await expect(
      store.transaction(async () => {
        await store.events.claim('e1', '2024-05-01T12:00:00.000Z');
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await store.events.claim('e1', '2024-05-01T12:00:00.000Z')).toBe(true);
  });

  it('prunes claims older than a cut-off', async () => {
    await store.events.claim('old', '2024-05-01T09:00:00Z');
    await store.events.claim('new', '2024-05-01T11:00:00Z');
    expect(await store.events.prune('2024-05-01T10:00:00Z')).toBe(1);
    expect(await store.events.claim('old', '2024-05-01T12:00:00.000Z')).toBe(true);
    expect(await store.events.claim('new', '2024-05-01T12:00:00.000Z')).toBe(false);
  });
});
