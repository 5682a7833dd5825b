/**
 * The CSMS keeps a charger's Local Authorization List in step with the customers' cards (LOCAL_LIST=on),
 * driven end to end with the real simulated charger: its list at boot, a blocked customer removed by
 * a Differential, the versions in the CMS REST, and a card authorised from the list while the CSMS
 * is down, whose transaction is delivered and billed once it is back.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, expect, it } from 'vitest';
import { LOCAL_LIST_REQUESTER } from '../../../src/csms/domain/local-list.ts';
import { listedIdTagInfo, localListVersion } from '../../../src/simulator/charger/local-list.ts';
import { aCustomer, waitFor } from '../../helpers/csms.ts';
import { startSimHarness, type SimHarness } from '../../simulator/sim-harness.ts';

let h: SimHarness;
afterEach(async () => {
  await h?.close();
});

const TEMPLATE = `connectors: 1
heartbeatInterval: 1h
meterValues: { interval: 0.2s }
configuration: { TransactionMessageRetryInterval: 1 }
faults: { reconnect: { initial: 0.1s, max: 0.3s, jitter: 0 } }`;

it('sends the list at boot, removes a blocked customer by a Differential, shows the versions; offline the charger authorises from it', async () => {
  h = await startSimHarness({ localList: 'on', localListSyncIntervalS: 0.2 });
  const alice = await aCustomer(h.store(), { balance: 100_000 });
  const bob = await aCustomer(h.store(), { balance: 100_000 });
  const charger = await h.charger(TEMPLATE);
  const cp = charger.id;

  // At boot: GetLocalListVersion (0, none), then the whole list as version 1.
  await waitFor(async () => (await h.store().localLists.get(cp))?.version === 1);
  expect(localListVersion(charger)).toEqual({ listVersion: 1 });
  expect(listedIdTagInfo(charger, alice.idTag!)).toEqual({ status: 'Accepted' });
  expect(listedIdTagInfo(charger, bob.idTag!)).toEqual({ status: 'Accepted' });
  const sent = async () => (await h.store().commands.list(cp, { limit: 50 })).filter((c) => c.requestedBy === LOCAL_LIST_REQUESTER).reverse();
  // (A round may find the charger before its boot does: then the boot's own check finds it in step.)
  expect((await sent()).slice(0, 3).map((c) => [c.action, (c.request as any).updateType ?? null, c.response])).toEqual([
    ['GetLocalListVersion', null, { listVersion: 0 }],
    // Its limits, once per connection (E2 §9.1, §9.3): the defaults take the whole list in one.
    ['GetConfiguration', null, { configurationKey: [{ key: 'SendLocalListMaxLength', readonly: true, value: '1000' }, { key: 'LocalAuthListMaxLength', readonly: true, value: '10000' }] }],
    ['SendLocalList', 'Full', { status: 'Accepted' }],
  ]);

  // Bob is blocked: the next round sends version 2 with only his removal.
  await h.store().users.update(bob.id, { blocked: true });
  await waitFor(async () => (await h.store().localLists.get(cp))?.version === 2);
  const differential = (await sent()).at(-1)!;
  expect(differential.request).toEqual({ listVersion: 2, updateType: 'Differential', localAuthorizationList: [{ idTag: bob.idTag }] });
  expect(listedIdTagInfo(charger, bob.idTag!)).toBeNull();
  expect(localListVersion(charger)).toEqual({ listVersion: 2 });

  expect(await h.get(`/api/cms/points/${cp}/local-list`)).toMatchObject({
    enabled: true,
    charger: { version: 2, size: 1, status: 'synced' },
    csms: { version: 2, size: 1, pending: 0, inStep: true },
  });

  // The CSMS goes away; Alice's card starts a session from the list, Bob's is refused.
  await h.stopCsms();
  await waitFor(() => !charger.link());
  const refused = charger.claim(0, bob.idTag!);
  await charger.runStart(0, refused, 'rfid', performance.now());
  expect(charger.connectors[0].tx).toBeNull();
  const tx = charger.claim(0, alice.idTag!);
  await charger.runStart(0, tx, 'rfid', performance.now());
  expect(charger.connectors[0].status).toBe('Charging');
  await new Promise((r) => setTimeout(r, 500));
  charger.stop(0, 'Local');

  await h.startCsms();
  await waitFor(() => charger.connectors[0].tx === null, 15_000);
  const session = await h.store().sessions.get(tx.transactionId!);
  expect(session).toMatchObject({ status: 'completed', idTag: alice.idTag, stopReason: 'Local' });
  expect(session!.energyWh).toBeGreaterThan(0);
  // Once back, nothing changed: no update was needed.
  await new Promise((r) => setTimeout(r, 500));
  expect((await sent()).filter((c) => c.action === 'SendLocalList')).toHaveLength(2);
});

it('a charger whose list is switched off answers -1: marked unsupported, no list sent', async () => {
  h = await startSimHarness({ localList: 'on', localListSyncIntervalS: 0.2 });
  await aCustomer(h.store());
  const charger = await h.charger(TEMPLATE.replace('TransactionMessageRetryInterval: 1', 'LocalAuthListEnabled: false'));
  await waitFor(async () => (await h.store().localLists.get(charger.id))?.status === 'unsupported');
  expect(await h.get(`/api/cms/points/${charger.id}/local-list`)).toMatchObject({ charger: { version: 0, reportedVersion: -1, status: 'unsupported' }, csms: { inStep: false } });
  await new Promise((r) => setTimeout(r, 500));
  expect((await h.store().commands.list(charger.id, { limit: 50 })).filter((c) => c.action === 'SendLocalList')).toEqual([]);
});

it('a customer blocked in the CMS leaves the charger\'s list at once, not at the next round', async () => {
  h = await startSimHarness({ localList: 'on', localListSyncIntervalS: 3600 });
  const carol = await aCustomer(h.store());
  const charger = await h.charger(TEMPLATE);
  await waitFor(() => listedIdTagInfo(charger, carol.idTag!));
  const put = await h.send('PUT', `/api/cms/customers/${carol.id}`, { blocked: true });
  expect(put.blocked).toBe(true);
  await waitFor(() => listedIdTagInfo(charger, carol.idTag!) === null, 5000);
  expect(localListVersion(charger)).toEqual({ listVersion: 2 });
});
