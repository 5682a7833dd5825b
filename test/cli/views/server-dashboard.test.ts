import { render } from 'ink-testing-library';
import pino from 'pino';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { createErrorRing, createServerSampler, prepareServerDashboard, type ServerSample } from '../../../src/cli/server-dashboard.ts';
import { ServerDashboard } from '../../../src/cli/views/ServerDashboard.tsx';
import { aTestCharger } from '../../helpers/sim-charger.ts';
import { aChargePoint, login, startCsms, type TestCsms } from '../../helpers/csms.ts';

function aServerSample(overrides: Partial<ServerSample> = {}): ServerSample {
  return {
    at: 0,
    uptimeS: 75,
    info: { nodeId: 'node-a', mode: 'rabbitmq', httpUrl: 'http://127.0.0.1:3000', ocppUrl: 'ws://127.0.0.1:9000/ocpp' },
    chargers: { connected: 42, accepted: 50, rejectedUpgrades: 3, replaced: 1 },
    actions: [
      { action: 'MeterValues', direction: 'in', perS: 120 },
      { action: 'Heartbeat', direction: 'in', perS: 4.5 },
      { action: 'RemoteStartTransaction', direction: 'out', perS: 0.5 },
    ],
    processor: { processedPerS: 130, processed: 9000, failed: 2, duplicates: 5 },
    broker: { kind: 'rabbitmq', backlog: 17, ok: true, detail: 'rabbitmq', queueDepth: 12, retryDepth: 1, unconfirmed: 4 },
    outbox: 3,
    notifier: { connected: 25, clientsByRoomKind: { customer: 20, cms: 2, point: 3, public: 0 }, emittedPerS: 88, noAudience: 7, refusedJoins: 2, byType: [{ type: 'meter.values', perS: 80 }] },
    errors: [{ at: Date.parse('2025-05-01T10:00:05Z'), level: 'error', msg: 'event failed: boom', component: 'processor' }],
    ...overrides,
  };
}

describe('ServerDashboard', () => {
  it('shows chargers, calls per action, queues, outbox, Socket.io rooms and recent errors', () => {
    const r = render(h(ServerDashboard, { sample: aServerSample() }));
    const frame = r.lastFrame()!;
    r.unmount();
    expect(frame).toContain('ev-csms node-a [rabbitmq] up 1m15s');
    expect(frame).toContain('Chargers connected 42');
    expect(frame).toMatch(/← MeterValues\s+120/);
    expect(frame).toMatch(/← Heartbeat\s+4\.5/);
    expect(frame).toMatch(/→ RemoteStartTransaction\s+0\.5/);
    expect(frame).toContain('backlog (consumer lag) 17');
    expect(frame).toContain('queue 12, retry 1, unconfirmed 4');
    expect(frame).toContain('outbox 3');
    expect(frame).toContain('clients 25: customer 20, cms 2, point 3, public 0');
    expect(frame).toContain('10:00:05 error [processor] event failed: boom');
  });

  it('says Socket.io is off in embedded mode and shows a broker in trouble', () => {
    const r = render(h(ServerDashboard, { sample: aServerSample({ notifier: null, broker: { kind: 'memory', backlog: 0, ok: false, detail: 'degraded: broker unreachable, 5 in outbox', queueDepth: null, retryDepth: null, unconfirmed: null } }) }));
    const frame = r.lastFrame()!;
    r.unmount();
    expect(frame).toContain('off (embedded mode: pages poll)');
    expect(frame).toContain('broker: degraded: broker unreachable');
    expect(frame).not.toContain('queue ');
  });
});

describe('createServerSampler', () => {
  let t: TestCsms | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('reads connections and OCPP calls per action from the gateway counters', async () => {
    t = await startCsms();
    let now = 1_000_000;
    const sample = createServerSampler(t.csms, () => [], () => now);
    const first = (await sample())!;
    expect(first.chargers.connected).toBe(0);
    expect(first.actions).toEqual([]);

    const cp = await aChargePoint(t.store);
    const charger = await aTestCharger(t, cp.id);
    for (let i = 0; i < 3; i++) await charger.conn.call('Heartbeat', {});
    await t.settle();
    now += 2000;
    const second = (await sample())!;
    expect(second.chargers.connected).toBe(1);
    expect(second.broker).toMatchObject({ kind: 'memory', ok: true, backlog: 0 });
    expect(second.notifier).toBeNull();
    const heartbeat = second.actions.find((a) => a.action === 'Heartbeat');
    expect(heartbeat).toEqual({ action: 'Heartbeat', direction: 'in', perS: 1.5 });
    expect(second.actions.find((a) => a.action === 'BootNotification')?.perS).toBe(0.5);
    expect(second.processor.processedPerS).toBeGreaterThan(0);

    now += 1000;
    // Nothing new since the last sample: no rates left over.
    expect((await sample())!.actions).toEqual([]);

    // A command we send counts as 'out', whatever the charger answers.
    const token = await login(t, 'admin@ev-csms.local', 'admin-password');
    await t.api('/api/charger/clear-cache', { token, body: { chargePointId: cp.id } });
    now += 1000;
    expect((await sample())!.actions).toEqual([{ action: 'ClearCache', direction: 'out', perS: 1 }]);
  });
});

describe('createErrorRing', () => {
  it('keeps the latest warnings and errors a pino logger writes, and nothing below warn', () => {
    const ring = createErrorRing(2);
    const logger = pino({ level: 'info' }, ring);
    logger.info('routine');
    logger.warn({ component: 'gateway' }, 'slow charger');
    logger.error({ err: new Error('disk full') }, 'write failed');
    logger.fatal('down');
    expect(ring.entries().map((e) => `${e.level} ${e.component ?? '-'} ${e.msg}`)).toEqual(['error - write failed: disk full', 'fatal - down']);
  });
});

describe('prepareServerDashboard', () => {
  it('declines without a terminal', () => {
    const notTty = Object.assign(Object.create(process.stdout), { isTTY: false }) as NodeJS.WriteStream;
    expect(prepareServerDashboard({ logLevel: 'info', nodeId: undefined }, notTty)).toBeNull();
  });
});
