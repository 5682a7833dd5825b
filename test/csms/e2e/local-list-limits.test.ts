/**
 * The CSMS sends a Local Authorization List within the charger's limits (E2 §9.1
 * LocalAuthListMaxLength, §9.3 SendLocalListMaxLength), driven end to end with the real simulated
 * charger: it learns them by GetConfiguration, splits a Full list into a Full and Differentials,
 * leaves off the cards the charger cannot hold (shown as truncated) and sends nothing more after.
 */
import { afterEach, expect, it } from 'vitest';
import { LOCAL_LIST_REQUESTER } from '../../../src/csms/domain/local-list.ts';
import { listedIdTagInfo, localListSize, localListVersion } from '../../../src/simulator/charger/local-list.ts';
import { aCustomer, waitFor } from '../../helpers/csms.ts';
import { startSimHarness, type SimHarness } from '../../simulator/sim-harness.ts';

let h: SimHarness;
afterEach(async () => {
  await h?.close();
});

const template = (config: string) => `connectors: 1
heartbeatInterval: 1h
configuration: { ${config} }
faults: { reconnect: { initial: 0.1s, max: 0.3s, jitter: 0 } }`;

async function sevenCards(): Promise<string[]> {
  for (let i = 0; i < 7; i++) await aCustomer(h.store());
  return (await h.store().localLists.wanted(new Date().toISOString())).map((e) => e.idTag);
}

const sentBy = async (cp: string) => (await h.store().commands.list(cp, { limit: 100 })).filter((c) => c.requestedBy === LOCAL_LIST_REQUESTER).reverse();

it('7 cards to a charger taking 3 per SendLocalList: a Full and two Differentials, versions 1 to 3, all 7 held; a change after is one Differential', async () => {
  h = await startSimHarness({ localList: 'on', localListSyncIntervalS: 0.2 });
  const tags = await sevenCards();
  const charger = await h.charger(template('SendLocalListMaxLength: 3'));
  const cp = charger.id;
  await waitFor(async () => (await h.store().localLists.get(cp))?.version === 3);
  expect(localListVersion(charger)).toEqual({ listVersion: 3 });
  expect(localListSize(charger)).toBe(7);
  for (const tag of tags) expect(listedIdTagInfo(charger, tag)).toEqual({ status: 'Accepted' });
  const sent = (await sentBy(cp)).map((c) => [c.action, (c.request as any).listVersion ?? null, (c.request as any).updateType ?? null, (c.request as any).localAuthorizationList?.length ?? null, c.response]);
  expect(sent.filter((c) => c[0] === 'GetConfiguration')).toHaveLength(1);
  expect(sent.filter((c) => c[0] === 'SendLocalList')).toEqual([
    ['SendLocalList', 1, 'Full', 3, { status: 'Accepted' }],
    ['SendLocalList', 2, 'Differential', 3, { status: 'Accepted' }],
    ['SendLocalList', 3, 'Differential', 1, { status: 'Accepted' }],
  ]);
  expect(await h.get(`/api/cms/points/${cp}/local-list`)).toMatchObject({
    charger: { version: 3, size: 7, status: 'synced', truncated: false, omitted: 0 },
    csms: { version: 3, size: 7, pending: 0, inStep: true },
  });

  // One more card: one Differential, version 4.
  const extra = await aCustomer(h.store());
  await waitFor(async () => (await h.store().localLists.get(cp))?.version === 4);
  expect(listedIdTagInfo(charger, extra.idTag!)).toEqual({ status: 'Accepted' });
  expect((await sentBy(cp)).filter((c) => c.action === 'SendLocalList')).toHaveLength(4);
});

it('7 cards to a charger holding 5: the first 5 by idTag, shown truncated with 2 left off, and no update storm after', async () => {
  h = await startSimHarness({ localList: 'on', localListSyncIntervalS: 0.2 });
  const tags = await sevenCards();
  const charger = await h.charger(template('SendLocalListMaxLength: 3, LocalAuthListMaxLength: 5'));
  const cp = charger.id;
  await waitFor(async () => (await h.store().localLists.get(cp))?.version === 2);
  expect(localListSize(charger)).toBe(5);
  for (const tag of tags.slice(0, 5)) expect(listedIdTagInfo(charger, tag)).toEqual({ status: 'Accepted' });
  for (const tag of tags.slice(5)) expect(listedIdTagInfo(charger, tag)).toBeNull();
  expect(await h.get(`/api/cms/points/${cp}/local-list`)).toMatchObject({
    charger: { version: 2, size: 5, status: 'synced', truncated: true, omitted: 2 },
    csms: { version: 2, size: 7, pending: 0, inStep: true },
  });

  // Five sync intervals later: still the Full and the one Differential.
  await new Promise((r) => setTimeout(r, 1000));
  const updates = (await sentBy(cp)).filter((c) => c.action === 'SendLocalList');
  expect(updates.map((c) => [(c.request as any).updateType, (c.request as any).localAuthorizationList.length, c.response])).toEqual([
    ['Full', 3, { status: 'Accepted' }],
    ['Differential', 2, { status: 'Accepted' }],
  ]);
  expect(localListVersion(charger)).toEqual({ listVersion: 2 });
});

it('a charger that does not tell its limits and answers Failed: the same list is not sent again until the cards change', async () => {
  h = await startSimHarness({ localList: 'on', localListSyncIntervalS: 0.2 });
  await sevenCards();
  // One key per GetConfiguration: the CSMS's question (two keys) gets a CALLERROR, so it assumes no limit.
  const charger = await h.charger(template('GetConfigurationMaxKeys: 1, SendLocalListMaxLength: 3'));
  const cp = charger.id;
  await waitFor(async () => (await h.store().localLists.get(cp))?.status === 'failed');
  const updates = async () => (await sentBy(cp)).filter((c) => c.action === 'SendLocalList').map((c) => [(c.request as any).updateType, (c.request as any).localAuthorizationList.length, c.response]);
  expect(await updates()).toEqual([['Full', 7, { status: 'Failed' }]]);
  expect(await h.get(`/api/cms/points/${cp}/local-list`)).toMatchObject({ charger: { status: 'failed', detail: 'Full Failed' } });

  // Five sync intervals: no storm.
  await new Promise((r) => setTimeout(r, 1000));
  expect(await updates()).toHaveLength(1);

  // Other cards: one more try.
  await aCustomer(h.store());
  await waitFor(async () => (await updates()).length === 2);
  await new Promise((r) => setTimeout(r, 1000));
  expect(await updates()).toEqual([['Full', 7, { status: 'Failed' }], ['Full', 8, { status: 'Failed' }]]);
  expect(localListVersion(charger)).toEqual({ listVersion: 0 });
});
