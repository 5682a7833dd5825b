/**
 * The engine against the RabbitMQ pipeline with Socket.io: customers, admins and adversaries on real
 * sockets. The leak detector is proven against a CSMS behind a deliberately leaky relay.
 */
import { afterEach, expect, it } from 'vitest';
import { testConfig } from '../../src/csms/config.ts';
import { createCsms, type Csms } from '../../src/csms/server.ts';
import { runScenario } from '../../src/simulator/runner.ts';
import { startLeakyRelay, type LeakyRelay } from '../helpers/leaky-relay.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../helpers/rabbit.ts';
import { aBusyScenario } from './helpers.ts';

describeRabbit('runScenario with RabbitMQ and Socket.io', () => {
  let csms: Csms | null = null;
  let ns: string | null = null;
  let relay: LeakyRelay | null = null;
  afterEach(async () => {
    await relay?.close();
    relay = null;
    await csms?.close();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    csms = null;
    ns = null;
  });

  it('measures end-to-end notification latencies; the CSMS refuses every foreign room', async () => {
    const result = await runScenario(aBusyScenario(`
target: { kind: embedded, csms: { rabbitmq: true } }
thresholds:
  - notify.meter.values.count > 0
  - isolation.leaks == 0
  - notifications.lost == 0
  - errors.unexpected == 0
`, { register: 'cms' }));
    expect(result.reason).toBe('all 4 thresholds held');
    expect(result.exitCode).toBe(0);
    const { final } = result;
    expect(final.target.realtime).toBe('socket.io');
    for (const key of ['ocpp.BootNotification', 'ocpp.StartTransaction', 'ocpp.MeterValues', 'rest.POST /api/user/charging/start',
      'notify.charging.started', 'notify.meter.values', 'notify.charging.stopped', 'notify.connector.status', 'notify.charger.status']) {
      expect(final.latency[key]?.count, key).toBeGreaterThan(0);
    }
    expect(final.notifications.lost).toBe(0);
    expect(final.notifications.received).toBe(final.notifications.expected);
    expect(final.isolation).toMatchObject({ leaks: 0, acceptedJoins: 0 });
    expect(final.isolation.refusedJoins).toBeGreaterThan(0);
  }, 90_000);

  it('catches a leaking notifier: leaks with their notification type, and isolation.leaks == 0 fails', async () => {
    ns = uniqueNamespace();
    // The scenario's customers all sign up from 127.0.0.1: more than the 5 per hour a CSMS allows by default.
    csms = createCsms(testConfig({ enableRabbitmq: true, rabbitmqNamespace: ns, registrationsPerAddressPerHour: 0 }));
    const info = await csms.start();
    // The simulator talks to the CSMS through a relay that copies every notification to every client.
    relay = await startLeakyRelay(info.httpUrl);
    const result = await runScenario(aBusyScenario(`
thresholds:
  - isolation.leaks == 0
`), { targetOverride: { kind: 'remote', httpUrl: relay.url, ocppUrl: [info.ocppUrl], admin: { email: info.admin.email, password: 'admin-password' } } });

    expect(relay.leaked()).toBeGreaterThan(0);
    expect(result.exitCode).toBe(1);
    expect(result.thresholds[0]).toMatchObject({ expression: 'isolation.leaks == 0', ok: false });
    const { isolation } = result.final;
    expect(isolation.leaks).toBeGreaterThan(0);
    const types = new Set(isolation.recent.map((l) => l.type));
    expect([...types].some((t) => ['meter.values', 'charging.started', 'charging.stopped', 'session.updated', 'wallet.updated', 'wallet.transaction', 'command.result'].includes(t))).toBe(true);
    const leak = isolation.recent[0];
    expect(leak.ids.customerId ?? leak.ids.sessionId).toBeDefined();
    expect(leak.ids.customerId).not.toBe(leak.customerId);
    // The real notifier still refuses the adversary's joins.
    expect(isolation.acceptedJoins).toBe(0);
  }, 90_000);
});
