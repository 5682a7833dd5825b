/**
 * One identity rule for the gateway and the REST API (domain/charge-point-id.ts): an identity the
 * gateway refuses is refused before the upgrade and never registered, even with auto-registration;
 * every identity it accepts can be named by the REST routes.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { aCustomer, login, startCsms, type TestCsms } from '../../helpers/csms.ts';
import { openRawPeer } from '../../../src/simulator/raw-peer.ts';

/** A WebSocket handshake by hand, so that the path goes out exactly as written (no URL normalisation). */
function upgrade(ocppUrl: string, path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(ocppUrl);
  const req = request({
    host: '127.0.0.1',
    port,
    path,
    headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': 'ocpp1.6' },
  });
  return new Promise((resolve, reject) => {
    req.on('upgrade', (res, socket: Socket) => {
      socket.destroy();
      resolve({ status: res.statusCode!, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Identities the rule accepts: the odd characters a charger could really be configured with. */
const ACCEPTED = [
  'CP-1', 'CP 1', 'CP%1', 'CP?x#y', 'CP:1', 'CP+1=2', 'CP\\1', "CP'1\"", 'Ladepunkt-ä', '.x', '...',
  'x'.repeat(48), '🚗'.repeat(48),
];
/** Identities it refuses, each for one reason. */
const REFUSED = ['CP-S/1', '/', '.', '..', 'x'.repeat(49), '🚗'.repeat(49), 'CP\n1', 'CP\u00001', 'CP\u007f', 'CP\u0085'];

describe('gateway: identities', () => {
  let t: TestCsms;
  let admin: string;
  beforeEach(async () => {
    t = await startCsms({ ocppAutoRegister: true });
    admin = await login(t, t.csms.info.admin.email, 'admin-password');
  });
  afterEach(async () => {
    await t.close();
  });

  const registered = async () => ((await (await t.api('/api/cms/points', { token: admin })).json()) as { total: number }).total;

  it('refuses an escaped "/" (CP-S%2F1) with 400 before the upgrade and registers nothing, auto-registration on', async () => {
    // ws sends the path as given: `${ocppUrl}/CP-S%2F1`.
    const err = await openRawPeer(t.info.ocppUrl, 'CP-S/1').catch((e: unknown) => e);
    expect((err as { statusCode?: number }).statusCode).toBe(400);
    const lower = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${t.info.ocppUrl}/CP-S%2f1`, ['ocpp1.6']);
      ws.once('open', () => reject(new Error('upgraded')));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
      ws.once('error', reject);
    });
    expect(lower).toBe(400);
    const answer = await upgrade(t.info.ocppUrl, '/ocpp/CP-S%2F1');
    expect(answer).toEqual({ status: 400, body: expect.stringContaining('contains "/"') });
    expect((await t.csms.stats()).gateway).toMatchObject({ accepted: 0, connected: 0, rejectedUpgrades: 3 });
    expect(await t.store.chargePoints.get('CP-S/1')).toBeNull();
    expect(await registered()).toBe(0);
  });

  it('refuses every identity the REST API refuses, before the upgrade', async () => {
    for (const id of REFUSED) {
      expect((await upgrade(t.info.ocppUrl, `/ocpp/${encodeURIComponent(id)}`)).status, JSON.stringify(id)).toBe(400);
      const res = await t.api('/api/cms/points', { token: admin, body: { id } });
      expect(res.status, JSON.stringify(id)).toBe(400);
      expect((await res.json()) as object).toMatchObject({ error: { code: 'CSMS_ERR_VALIDATION', data: { field: 'body.id' } } });
    }
    // Not decodable as UTF-8: refused too.
    expect((await upgrade(t.info.ocppUrl, '/ocpp/CP%E0%A4%A')).status).toBe(400);
    // A path that is not /ocpp/{identity} stays a 404.
    expect((await upgrade(t.info.ocppUrl, '/ocpp/a/b')).status).toBe(404);
    expect((await upgrade(t.info.ocppUrl, '/ocpp/')).status).toBe(404);
    expect(await registered()).toBe(0);
  });

  it('accepts at the REST routes every identity the gateway accepts (and auto-registers)', async () => {
    const customer = await aCustomer(t.store);
    const customerToken = await login(t, customer.email, 'password-123');
    for (const id of ACCEPTED) {
      const name = JSON.stringify(id);
      expect((await upgrade(t.info.ocppUrl, `/ocpp/${encodeURIComponent(id)}`)).status, name).toBe(101);
      expect(await t.store.chargePoints.get(id), name).not.toBeNull();
      const path = encodeURIComponent(id);
      const point = await t.api(`/api/cms/points/${path}`, { token: admin });
      expect(point.status, name).toBe(200);
      expect(((await point.json()) as { id: string }).id).toBe(id);
      expect((await t.api(`/api/charger/${path}/commands`, { token: admin })).status, name).toBe(200);
      expect((await t.api(`/api/cms/points/${path}/messages`, { token: admin })).status, name).toBe(200);
      expect((await t.api(`/api/user/chargers/${path}`, { token: customerToken })).status, name).toBe(200);
      const update = await t.api(`/api/cms/points/${path}`, { method: 'PUT', token: admin, body: { lenient: true } });
      expect(update.status, name).toBe(200);
      // In a body too: the id passes validation and meets the existing point.
      const again = await t.api('/api/cms/points', { token: admin, body: { id } });
      expect(((await again.json()) as { error: { code: string } }).error.code, name).toBe('CSMS_ERR_CONFLICT');
    }
    expect(await registered()).toBe(ACCEPTED.length);
  });
});
