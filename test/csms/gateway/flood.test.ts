import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aChargePoint, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';
import { bootRawPeer, openRawPeer, type RawPeer } from '../../../src/simulator/raw-peer.ts';

const LIMIT = 20;
const CLOSE_AFTER_S = 2;
const REASON = /^1008 rate limit exceeded: \d+ frames\/s for 2 s \(limit 20\/s\), (\d+) of (\d+) frames dropped or refused$/;

interface LogRow { messageType: number; direction: string; payload: { raw?: string; reason?: string } }

/** Sends `frame(i)` in batches every 10 ms until the server closes the socket. */
function flood(c: RawPeer, frame: (i: number) => string): Promise<{ code: number; sent: number }> {
  let sent = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < 50 && c.ws.readyState === c.ws.OPEN; k++) c.sendText(frame(sent++));
  }, 10);
  return c.closed.then(({ code }) => {
    clearInterval(timer);
    return { code, sent };
  });
}

describe('gateway: one flooding connection cannot hurt the others', () => {
  let t: TestCsms;
  let quiet: RawPeer;
  let adminToken: string;
  beforeEach(async () => {
    t = await startCsms({ ocppRateLimitPerSecond: LIMIT, ocppRateLimitCloseAfterS: CLOSE_AFTER_S });
    await aChargePoint(t.store, { id: 'CP-QUIET' });
    await aChargePoint(t.store, { id: 'CP-FLOOD' });
    quiet = await bootRawPeer(t.info.ocppUrl, 'CP-QUIET');
    adminToken = await login(t, 'admin@ev-csms.local', 'admin-password');
  });
  afterEach(async () => {
    quiet.close();
    await t.close();
  });

  const kinds: [string, (i: number) => string][] = [
    ['CALLRESULTs to unknown ids', () => '[3,"x",{}]'],
    ['CALLERRORs', (i) => `[4,"e${i}","GenericError","",{}]`],
    ['CALLs', (i) => `[2,"c${i}","Heartbeat",{}]`],
    ['undecodable frames', () => '[2, "no-end"'],
    ['frames of an unknown type', () => '[7,"x",{}]'],
  ];
  it.each(kinds)('%s: closed after a sustained excess, logged once in the CMS, the quiet charger answered throughout', async (_kind, frame) => {
    const flooder = await openRawPeer(t.info.ocppUrl, 'CP-FLOOD');
    const flooding = flood(flooder, frame);
    let done = false;
    void flooding.then(() => (done = true));

    let sent = 0;
    const answers: unknown[][] = [];
    while (!done || sent < 3) {
      quiet.send([2, `q${sent++}`, 'Heartbeat', {}]);
      answers.push(await quiet.next(10_000));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(answers).toEqual(Array.from({ length: sent }, (_, i) => [3, `q${i}`, { currentTime: expect.any(String) }]));
    expect((await flooding).code).toBe(1008);

    await t.settle();
    const res = await t.api('/api/cms/points/CP-FLOOD/messages?limit=500', { token: adminToken });
    expect(res.status).toBe(200);
    const rows = ((await res.json()) as { items: LogRow[] }).items;
    const closing = rows.filter((r) => r.payload?.reason?.startsWith('1008 rate limit exceeded'));
    expect(closing).toHaveLength(1);
    const [, over, received] = closing[0].payload.reason!.match(REASON)!.map(Number);
    expect(over).toBeGreaterThan(0);
    // Frames over the limit leave no trace of their own: at most a CALL and its answer per frame within it.
    expect(rows.length - 1).toBeLessThanOrEqual(2 * (received - over));

    await waitFor(async () => (await t.store.chargePoints.get('CP-FLOOD'))?.online === false);
    const point = await t.api('/api/cms/points/CP-FLOOD', { token: adminToken });
    expect(((await point.json()) as { online: boolean }).online).toBe(false);
  });

  it('frames within the limit are answered and logged as before, and the connection stays open', async () => {
    const c = await bootRawPeer(t.info.ocppUrl, 'CP-FLOOD');
    for (let i = 0; i < LIMIT; i++) c.send([2, `w${i}`, 'Heartbeat', {}]);
    for (let i = 0; i < LIMIT; i++) expect((await c.next())[0]).toBe(3);
    c.send([3, 'nobody-asked', {}]);
    await t.settle();
    const rows = await waitFor(async () => {
      const r = await t.store.messages.list('CP-FLOOD', { limit: 100 });
      return r.length >= 2 * LIMIT + 2 + 1 ? r : null;
    });
    expect(rows.some((r) => JSON.stringify(r.payload).includes('unexpected-response'))).toBe(true);
    expect(rows.some((r) => JSON.stringify(r.payload).includes('rate limit exceeded'))).toBe(false);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    c.close();
  });
});

describeRabbit('gateway flood, end to end over RabbitMQ and Socket.io', () => {
  let ns: string;
  let t: TestCsms;
  let socket: Socket | null = null;
  beforeEach(async () => {
    ns = uniqueNamespace();
    t = await startCsms({ enableRabbitmq: true, rabbitmqNamespace: ns, ocppRateLimitPerSecond: LIMIT, ocppRateLimitCloseAfterS: CLOSE_AFTER_S });
    await aChargePoint(t.store, { id: 'CP-FLOOD' });
  });
  afterEach(async () => {
    socket?.close();
    await t.close();
    await deleteNamespace(RABBIT_URL, ns);
  });

  it('an admin watching the points hears the flooder go offline, and why', async () => {
    const token = await login(t, 'admin@ev-csms.local', 'admin-password');
    const received: { type: string; data: { chargePointId?: string; online?: boolean; reason?: string } }[] = [];
    socket = io(t.info.httpUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
    socket.on('notification', (n: (typeof received)[number]) => received.push(n));
    await new Promise<void>((resolve, reject) => {
      socket!.once('connect', () => resolve());
      socket!.once('connect_error', reject);
    });
    expect(await socket.emitWithAck('join-room', 'cms:points')).toMatchObject({ ok: true });

    const flooder = await bootRawPeer(t.info.ocppUrl, 'CP-FLOOD');
    expect((await flood(flooder, (i) => `[2,"c${i}","Heartbeat",{}]`)).code).toBe(1008);

    const offline = await waitFor(() => received.find((n) => n.type === 'charger.status' && n.data.chargePointId === 'CP-FLOOD' && n.data.online === false));
    expect(offline.data.reason).toMatch(REASON);
  });
});
