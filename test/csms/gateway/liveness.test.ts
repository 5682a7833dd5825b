/**
 * WebSocket ping as the liveness check (docs/ocpp-notes.md, "Connection"): a peer that completed the handshake
 * but never answers pings is cut off and marked offline; a charger whose stack pongs stays on.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aBootNotification } from '../../../src/ocpp/index.ts';
import { aChargePoint, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';

const PING_INTERVAL_S = 1;

/** A peer that upgrades to WebSocket (ocpp1.6) and then never reads a frame or answers a ping. */
function openDeafPeer(ocppUrl: string, identity: string) {
  const url = new URL(`${ocppUrl.replace(/^ws/, 'http')}/${encodeURIComponent(identity)}`);
  return new Promise<{ socket: Duplex; upgradedAt: number; frames: Buffer[]; closed: Promise<number> }>((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Protocol': 'ocpp1.6',
      },
    });
    req.on('response', (res) => reject(new Error(`HTTP ${res.statusCode} instead of an upgrade`)));
    req.on('error', reject);
    req.on('upgrade', (res, socket) => {
      if (res.headers['sec-websocket-protocol'] !== 'ocpp1.6') return reject(new Error('no ocpp1.6 subprotocol'));
      const frames: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => frames.push(chunk));
      socket.on('error', () => {});
      const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
      resolve({ socket, upgradedAt: Date.now(), frames, closed });
    });
    req.end();
  });
}

function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('liveness by WebSocket ping', () => {
  let t: TestCsms;
  let deaf: Awaited<ReturnType<typeof openDeafPeer>> | null = null;
  beforeEach(async () => {
    t = await startCsms({ ocppPingIntervalS: PING_INTERVAL_S });
    await aChargePoint(t.store, { id: 'CP-ALIVE' });
    await aChargePoint(t.store, { id: 'CP-DEAF' });
  });
  afterEach(async () => {
    deaf?.socket.destroy();
    deaf = null;
    await t.close();
  });

  it('cuts a peer that never answers pings within ~3 s and marks it offline; a ponging charger stays', async () => {
    // The live charger connects first, so it has been connected at least as long as the deaf peer.
    const alive = await t.connect('CP-ALIVE');
    await alive.call('BootNotification', aBootNotification());
    deaf = await openDeafPeer(t.info.ocppUrl, 'CP-DEAF');
    await t.settle();
    expect((await t.store.chargePoints.get('CP-DEAF'))!.online).toBe(true);
    expect((await t.store.chargePoints.get('CP-ALIVE'))!.online).toBe(true);

    const closedAt = await within(deaf.closed, 5000, 'the deaf peer was not disconnected within 5 s');
    const lived = closedAt - deaf.upgradedAt;
    // Not before it had a whole interval to answer a ping; within about three intervals (the gateway
    // cuts a peer silent for two intervals at its next tick), with a second of slack for a busy CI.
    expect(lived).toBeGreaterThanOrEqual(PING_INTERVAL_S * 1000);
    expect(lived).toBeLessThan(PING_INTERVAL_S * 1000 * 4);
    // The server did ping it: a ping frame is opcode 0x9 with FIN set.
    expect(deaf.frames.some((f) => f[0] === 0x89)).toBe(true);

    await waitFor(async () => (await t.store.chargePoints.get('CP-DEAF'))!.online === false);
    await t.settle();
    expect((await t.store.chargePoints.get('CP-DEAF'))!.online).toBe(false);
    // Only CP-ALIVE is still held by the gateway.
    expect((await t.csms.stats()).gateway.connected).toBe(1);

    expect(alive.isClosed).toBe(false);
    expect((await t.store.chargePoints.get('CP-ALIVE'))!.online).toBe(true);
    expect(await alive.call('Heartbeat', {})).toEqual({ currentTime: expect.any(String) });
  });
});
