import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CMS_ROOMS, pointRoom } from '../../../src/csms/domain/notification-routing.ts';
import { startNotifier, type NotifierHarness } from './harness.ts';

describe('notifier stats and close', () => {
  let h: NotifierHarness;
  beforeEach(async () => {
    h = await startNotifier();
  });
  afterEach(async () => {
    await h.close();
  });

  it('reports clients per room kind, joins and notifications per type', async () => {
    const a = await h.api.customer();
    const b = await h.api.customer();
    const ca = await h.client(a.token);
    const cb = await h.client(b.token);
    const admin = await h.client(h.api.adminToken);
    for (const c of [ca, cb, admin]) await c.join('public:stations');
    await admin.join(pointRoom('CP-1'));
    await admin.join(pointRoom('CP-2'));
    await ca.join(CMS_ROOMS.sessions);
    await h.refusedWith({});

    const meter = h.publish('meter.values', { recipients: [a.user.id], rooms: [CMS_ROOMS.sessions, pointRoom('CP-1')] });
    h.publish('meter.values', { rooms: [pointRoom('CP-404')] });
    h.publish('meter.values', { recipients: [9999] });
    const status = h.publish('station.status', { rooms: ['public:stations'] });
    await admin.receive(meter.id);
    await admin.receive(status.id);
    await ca.receive(status.id);

    expect(h.notifier.stats()).toEqual({
      connected: 3,
      clientsByRoomKind: { customer: 2, cms: 1, point: 1, public: 3 },
      refusedConnections: { CSMS_ERR_UNAUTHORIZED: 1 },
      acceptedJoins: 5,
      refusedJoins: 1,
      refusedJoinsByReason: { 'admin-only': 1 },
      received: 4,
      emitted: 2,
      emittedByType: { 'meter.values': 1, 'station.status': 1 },
      noAudience: 2,
    });
  });

  it('close() disconnects the clients and leaves the HTTP server serving the API', async () => {
    const admin = await h.client(h.api.adminToken);
    const disconnected = new Promise<string>((resolve) => admin.socket.once('disconnect', resolve));
    await h.notifier.close();
    expect(await disconnected).toBe('io server disconnect');

    expect(h.api.app.server.listening).toBe(true);
    const health = await h.api.call('/health');
    expect(health.status).toBe(200);
    // The socket.io path is Fastify's again: engine.io's request handler is gone.
    const polling = await h.api.call('/socket.io/?EIO=4&transport=polling');
    expect(polling.status).toBe(404);
    expect(((await polling.json()) as { error: { code: string } }).error.code).toBe('CSMS_ERR_NOT_FOUND');
    await expect(h.client(h.api.adminToken)).rejects.toThrow();

    // A notification after close goes nowhere and does not throw.
    h.publish('station.status', { rooms: ['public:stations'] });
    expect(h.notifier.stats().connected).toBe(0);
    await h.notifier.close();
  });

  it('close() before start() is harmless', async () => {
    const { createNotifier } = await import('../../../src/csms/notifier/notifier.ts');
    const idle = createNotifier({ httpServer: h.api.app.server, verifyToken: () => null, store: h.api.store, broker: h.api.broker, logger: (await import('pino')).default({ level: 'silent' }) });
    await idle.close();
    expect((await h.api.call('/health')).status).toBe(200);
  });
});
