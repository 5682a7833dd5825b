import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { aBootNotification, OcppHandshakeError } from '../../../src/ocpp/index.ts';
import { aChargePoint, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { bootRawPeer, openRawPeer } from '../../../src/simulator/raw-peer.ts';

describe('gateway: who may connect', () => {
  let t: TestCsms;
  beforeEach(async () => {
    t = await startCsms();
  });
  afterEach(async () => {
    await t.close();
  });

  it('answers HTTP 404 before the upgrade for an unknown identity', async () => {
    const err = await t.connect('NOPE-1').catch((e) => e);
    expect(err).toBeInstanceOf(OcppHandshakeError);
    expect((err as OcppHandshakeError).statusCode).toBe(404);
  });

  it('accepts a percent-encoded identity', async () => {
    await aChargePoint(t.store, { id: 'RDAM 123' });
    const conn = await t.connect('RDAM 123');
    const boot = await conn.call('BootNotification', aBootNotification());
    expect(boot.status).toBe('Accepted');
  });

  it('completes the handshake without a subprotocol and closes when ocpp1.6 is not offered', async () => {
    await aChargePoint(t.store, { id: 'CP-20' });
    // A raw upgrade: WebSocket clients (ws included) abort on their own when no subprotocol comes back.
    const { port } = new URL(t.info.ocppUrl);
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/ocpp/CP-20',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': 'ocpp2.0.1' },
    });
    const [res, socket, head] = await new Promise<[IncomingMessage, Socket, Buffer]>((resolve, reject) => {
      req.on('upgrade', (r, s, h) => resolve([r, s as Socket, h]));
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(101);
    expect(res.headers['sec-websocket-protocol']).toBeUndefined();
    const frame = head.length > 0 ? head : await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    expect(frame[0]).toBe(0x88); // FIN + close opcode
    expect(frame.readUInt16BE(2)).toBe(1002);
    socket.destroy();
  });

  it('requires Basic auth with the AuthorizationKey when the point has one, comparing bytes', async () => {
    const key = 'a1:b2:c3-secret-key';
    await aChargePoint(t.store, { id: 'CP-AUTH', authKey: key });
    const missing = await t.connect('CP-AUTH').catch((e) => e);
    expect((missing as OcppHandshakeError).statusCode).toBe(401);
    const wrong = await t.connect('CP-AUTH', { basicAuth: { password: 'a1:b2:c3-secret-kez' } }).catch((e) => e);
    expect((wrong as OcppHandshakeError).statusCode).toBe(401);
    const conn = await t.connect('CP-AUTH', { basicAuth: { password: key } });
    expect((await conn.call('BootNotification', aBootNotification())).status).toBe('Accepted');
  });

  it('accepts a binary AuthorizationKey', async () => {
    const key = Buffer.from([0x00, 0x3a, 0xff, 0x10, 0x20, 0x3a, 0x7f, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]);
    await aChargePoint(t.store, { id: 'CP-BIN', authKey: key });
    const conn = await t.connect('CP-BIN', { basicAuth: { password: key } });
    expect((await conn.call('BootNotification', aBootNotification())).status).toBe('Accepted');
  });

  it('lets the last connection of an identity win', async () => {
    await aChargePoint(t.store, { id: 'CP-TWICE' });
    const first = await bootRawPeer(t.info.ocppUrl, 'CP-TWICE');
    const second = await openRawPeer(t.info.ocppUrl, 'CP-TWICE');
    expect((await first.closed).code).toBe(4000);
    second.send([2, 'hb', 'Heartbeat', {}]);
    const answer = await second.next();
    expect(answer[0]).toBe(3);
    second.close();
  });

  it('refuses every CALL but BootNotification with SecurityError until a boot was accepted', async () => {
    await aChargePoint(t.store, { id: 'CP-NEW' });
    const c = await openRawPeer(t.info.ocppUrl, 'CP-NEW');
    c.send([2, 'hb-1', 'Heartbeat', {}]);
    expect(await c.next()).toEqual([4, 'hb-1', 'SecurityError', expect.any(String), {}]);
    c.send([2, 'boot-1', 'BootNotification', aBootNotification()]);
    const boot = await c.next();
    expect(boot).toEqual([3, 'boot-1', { status: 'Accepted', currentTime: expect.any(String), interval: 300 }]);
    c.send([2, 'hb-2', 'Heartbeat', {}]);
    expect((await c.next())[0]).toBe(3);
    c.close();
  });

  it('keeps the registration across a reconnect (J §5.4): no second boot needed', async () => {
    await aChargePoint(t.store, { id: 'CP-RE' });
    const first = await bootRawPeer(t.info.ocppUrl, 'CP-RE');
    first.close();
    await first.closed;
    await t.settle();
    const again = await openRawPeer(t.info.ocppUrl, 'CP-RE');
    again.send([2, 'hb', 'Heartbeat', {}]);
    expect((await again.next())[0]).toBe(3);
    again.close();
  });

  it('answers Rejected to a point an admin rejected', async () => {
    await aChargePoint(t.store, { id: 'CP-REJ', registrationStatus: 'Rejected' });
    const conn = await t.connect('CP-REJ');
    expect((await conn.call('BootNotification', aBootNotification())).status).toBe('Rejected');
  });

  it('marks a charger online while connected and offline after it leaves', async () => {
    await aChargePoint(t.store, { id: 'CP-ON' });
    const c = await bootRawPeer(t.info.ocppUrl, 'CP-ON');
    await t.settle();
    expect((await t.store.chargePoints.get('CP-ON'))!.online).toBe(true);
    expect((await t.store.chargePoints.get('CP-ON'))!.vendor).toBe('Raw');
    c.close();
    await c.closed;
    await waitFor(async () => (await t.store.chargePoints.get('CP-ON'))!.online === false);
  });
});

describe('gateway: auto-registration', () => {
  it('accepts an unknown identity when OCPP_AUTO_REGISTER is on', async () => {
    const t = await startCsms({ ocppAutoRegister: true });
    try {
      const conn = await t.connect('AUTO-1');
      expect((await conn.call('BootNotification', aBootNotification())).status).toBe('Accepted');
      expect(await t.store.chargePoints.get('AUTO-1')).not.toBeNull();
    } finally {
      await t.close();
    }
  });
});
