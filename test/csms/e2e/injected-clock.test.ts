/**
 * One injected clock: what the CSMS tells chargers, what it stores and when its tokens expire all come
 * from `createCsms(config, { clock })`, never from the machine's time. The clock is a plain object
 * that moves only when the test says so, set years away from today so a leak of real time shows.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Clock } from '../../../src/csms/domain/ports.ts';
import { aBootNotification, aStartTransaction, type OcppConnection } from '../../../src/ocpp/index.ts';
import { aChargePoint, aCustomer, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';

const T0 = Date.parse('2031-05-01T08:00:00.000Z');
let at = T0;
const clock: Clock = { now: () => new Date(at) };
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestCsms;
let cp: OcppConnection<any, any, unknown>;
let id: string;
beforeEach(async () => {
  at = T0;
  t = await startCsms({ jwtExpiresIn: '1h' }, { clock });
  id = (await aChargePoint(t.store, { connectors: 1 })).id;
  cp = await t.connect(id);
});
afterEach(async () => {
  await t.close();
});

it('answers BootNotification and Heartbeat with the injected time, and records the charger as seen then', async () => {
  const boot = await cp.call('BootNotification', aBootNotification());
  expect(boot.currentTime).toBe(iso(T0));
  at = T0 + 3_600_000;
  expect(await cp.call('Heartbeat', {})).toEqual({ currentTime: iso(at) });
  await t.settle();
  expect(await t.store.chargePoints.get(id)).toMatchObject({ lastBootAt: iso(T0), lastSeenAt: iso(T0 + 3_600_000) });
});

it('dates a session by the injected clock when the charger sends no usable time of its own', async () => {
  await cp.call('BootNotification', aBootNotification());
  const customer = await aCustomer(t.store, { balance: 10_000 });
  at = T0 + 60_000;
  // A timestamp from the charger far in the future cannot be trusted; the CSMS records when it received it.
  const started = await cp.call('StartTransaction', aStartTransaction({ idTag: customer.idTag!, meterStart: 0, timestamp: '2099-01-01T00:00:00.000Z' }));
  const session = await waitFor(async () => await t.store.sessions.get(started.transactionId));
  expect(session).toMatchObject({ createdAt: iso(T0 + 60_000), startedAt: iso(T0 + 60_000) });
});

it('expires tokens by the injected clock', async () => {
  const token = await login(t, 'admin@ev-csms.local', 'admin-password');
  expect((await t.api('/api/cms/dead-letters', { token })).status).toBe(200);
  at = T0 + 3_600_000 + 1000;
  const expired = await t.api('/api/cms/dead-letters', { token });
  expect(expired.status).toBe(401);
  expect((await expired.json()).error.code).toBe('CSMS_ERR_UNAUTHORIZED');
});
