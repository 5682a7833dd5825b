import { afterEach, beforeEach, expect, it } from 'vitest';
import { aChargePoint, aUser } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
beforeEach(async () => { h = await startApi(); });
afterEach(async () => { await h.close(); });

it('GET /api/cms/points/:id/local-list: nothing sent yet, the cards the CSMS would send; then the charger\'s confirmed version', async () => {
  const cp = await h.store.chargePoints.create(aChargePoint());
  await h.store.users.create(aUser({ idTag: 'LL-1' }));
  await h.store.users.create(aUser({ idTag: 'LL-2' }));
  const path = `/api/cms/points/${cp.id}/local-list`;
  let res = await h.call(path, { token: h.adminToken });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ enabled: false, charger: null, csms: { version: 1, size: 2, pending: 2, inStep: false } });

  await h.store.localLists.save({
    chargePointId: cp.id, version: 4, reportedVersion: 4, status: 'synced', detail: null, omitted: 0, updatedAt: '2024-05-01T12:00:00.000Z',
    entries: [{ idTag: 'LL-1', status: 'Accepted', expiryDate: null }],
  });
  res = await h.call(path, { token: h.adminToken });
  expect(await res.json()).toEqual({
    enabled: false,
    charger: { version: 4, reportedVersion: 4, size: 1, status: 'synced', detail: null, truncated: false, omitted: 0, updatedAt: '2024-05-01T12:00:00.000Z' },
    csms: { version: 5, size: 2, pending: 1, inStep: false },
  });

  // A charger that holds one card: truncated, the first card by idTag is all it should hold, in step.
  await h.store.localLists.save({
    chargePointId: cp.id, version: 4, reportedVersion: 4, status: 'synced', detail: null, omitted: 1, updatedAt: '2024-05-01T12:00:00.000Z',
    entries: [{ idTag: 'LL-1', status: 'Accepted', expiryDate: null }],
  });
  res = await h.call(path, { token: h.adminToken });
  expect(await res.json()).toMatchObject({ charger: { size: 1, truncated: true, omitted: 1 }, csms: { version: 4, size: 2, pending: 0, inStep: true } });

  expect((await h.call('/api/cms/points/NOPE/local-list', { token: h.adminToken })).status).toBe(404);
  expect(await errorOf(await h.call('/api/cms/points/NOPE/local-list', { token: h.adminToken }))).toMatchObject({ code: 'CSMS_ERR_CHARGER_NOT_FOUND' });
  expect((await h.call(path)).status).toBe(401);
});
