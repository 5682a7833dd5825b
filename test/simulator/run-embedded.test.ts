/**
 * The engine end to end against a real embedded CSMS (in-process broker, so the pages poll):
 * real OCPP sockets, real REST, real polling with ETags.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import type { MetricsSnapshot } from '../../src/simulator/types.ts';
import { aBusyScenario, aScenario } from './helpers.ts';

describe('runScenario against an embedded CSMS (polling)', () => {
  it('runs app and RFID sessions and measures OCPP, REST and polled notification latencies', async () => {
    const snapshots: MetricsSnapshot[] = [];
    const result = await runScenario(aBusyScenario(`
thresholds:
  - ocpp.StartTransaction.count > 0
  - isolation.leaks == 0
  - notifications.lost == 0
  - errors.unexpected == 0
  - ocpp.acked_lost == 0
  - sessions.stuck == 0
  - billing.mismatches == 0
`), { onSnapshot: (s) => snapshots.push(s), snapshotIntervalMs: 50 });

    expect(result.reason).toBe('all 7 thresholds held');
    expect(result.exitCode).toBe(0);
    const { final } = result;
    expect(final.target).toMatchObject({ kind: 'embedded', realtime: 'polling' });
    // The embedded CSMS serves the web CMS: the run says where, for a person to watch it.
    expect(final.target.cmsUrl).toBe(`${final.target.httpUrl}/cms/`);
    for (const key of [
      'ocpp.BootNotification', 'ocpp.StatusNotification', 'ocpp.Authorize', 'ocpp.StartTransaction', 'ocpp.MeterValues',
      'ocpp.StopTransaction', 'ocpp.Heartbeat', 'ocpp.in.RemoteStartTransaction', 'ocpp.in.RemoteStopTransaction',
      'rest.POST /api/user/charging/start', 'rest.POST /api/user/charging/stop', 'rest.GET /api/user/sessions/active',
      'notify.charging.started', 'notify.meter.values', 'notify.charging.stopped', 'notify.connector.status', 'notify.charger.status',
    ]) {
      expect(final.latency[key]?.count, key).toBeGreaterThan(0);
    }
    // BootNotification: one per charger.
    expect(final.latency['ocpp.BootNotification'].count).toBe(10);
    expect(final.notifications.expected).toBeGreaterThan(20);
    expect(final.notifications).toMatchObject({ lost: 0, received: final.notifications.expected });
    // The adversary polls other customers' sessions by id and is refused every time.
    expect(final.isolation).toMatchObject({ leaks: 0, acceptedJoins: 0 });
    expect(final.isolation.refusedJoins).toBeGreaterThan(0);
    // Malformed frames were sent on purpose: errors, but expected ones.
    expect(final.errors.unexpected).toBe(0);
    expect(final.errors.top.map((e) => e.key)).toContain('ocpp.malformed frame sent (expected)');
    // Phases come in order; ramp-down and draining can be shorter than one snapshot interval (ramp-up
    // lasts ~200 ms here, hence snapshots every 50 ms).
    const order = ['setup', 'ramp-up', 'hold', 'ramp-down', 'draining', 'reconciling', 'done'];
    const seen = [...new Set(snapshots.map((s) => s.phase))];
    expect(seen).toEqual([...seen].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
    expect(seen).toEqual(expect.arrayContaining(['setup', 'ramp-up', 'hold', 'done']));
    expect(result.timeline.length).toBeGreaterThan(10);
    expect(result.percentiles['ocpp.StartTransaction'].at(-1)![0]).toBe(100);
    // The reconciliation read every session of the run and every customer's wallet (opening top-ups in the ledger).
    expect(final.reconciliation?.checked.sessions).toBeGreaterThan(0);
    expect(final.reconciliation?.checked.sessions).toBeLessThanOrEqual(final.latency['ocpp.StartTransaction'].count);
    expect(final.reconciliation?.checked.wallets).toBe(5);
  }, 90_000);

  it('simulates connector faults: Faulted with an error code, then Available again; admins see both', async () => {
    const snapshots: MetricsSnapshot[] = [];
    const result = await runScenario(aScenario(`
name: faults
seed: 3
duration: 4s
chargers:
  - idPattern: 'FLT-{00}'
    count: 6
    connectors: 2
    faults: { connectorFaultsPerMinute: 60, faultDuration: 500ms }
admins:
  count: 1
thresholds:
  - notifications.lost == 0
  - errors.unexpected == 0
`), { onSnapshot: (s) => snapshots.push(s), snapshotIntervalMs: 50 });
    expect(result.exitCode).toBe(0);
    expect(Math.max(...snapshots.map((s) => s.fleet.faulted))).toBeGreaterThan(0);
    // Every Faulted and every recovery reached the admin's CMS room (none lost).
    expect(result.final.latency['notify.connector.status'].count).toBeGreaterThan(6 * 3); // more than the boot statuses
    expect(result.final.notifications.lost).toBe(0);
  }, 60_000);

  it('fails a threshold that cannot hold (exit 1), and stops early on abort with a result', async () => {
    const controller = new AbortController();
    const scenario = aScenario(`
name: impossible
duration: 10m
chargers:
  - { idPattern: 'IMP-{00}', count: 3 }
thresholds:
  - ocpp.BootNotification.p99 < 0.001ms
  - isolation.leaks == 0
`);
    // Abort once every charger has booted: the run ends long before its 10 minutes (a hang hits the test timeout).
    const onSnapshot = (snap: MetricsSnapshot): void => {
      if ((snap.latency['ocpp.BootNotification']?.count ?? 0) >= 3) controller.abort();
    };
    const result = await runScenario(scenario, { signal: controller.signal, onSnapshot, snapshotIntervalMs: 50 });
    expect(result.durationS).toBeLessThan(600);
    expect(result.exitCode).toBe(1);
    expect(result.reason).toMatch(/^interrupted/);
    expect(result.thresholds[0]).toMatchObject({ expression: 'ocpp.BootNotification.p99 < 0.001ms', ok: false });
    expect(result.thresholds[1]).toMatchObject({ ok: true });
    expect(result.final.latency['ocpp.BootNotification'].count).toBe(3);
  }, 60_000);

  it('ends with exit 3 and a reason when the target is unreachable', async () => {
    const result = await runScenario(aScenario(`
name: nowhere
duration: 2s
target: { kind: remote, httpUrl: 'http://127.0.0.1:9', ocppUrl: 'ws://127.0.0.1:9/ocpp', admin: { email: a@b.c, password: x } }
chargers:
  - { idPattern: 'X-{0}', count: 1 }
`));
    expect(result.exitCode).toBe(3);
    expect(result.reason).toMatch(/target unreachable/);
  });
});
