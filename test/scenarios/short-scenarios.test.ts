/**
 * The short shipped scenarios, run as CI runs them: each must pass (exit 0) against our CSMS, judged
 * on their count and correctness thresholds (their latency limits are for `ev-sim run`, see shipped.ts).
 * The RabbitMQ ones need the broker (skipped loudly without one, failing in CI).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import type { RunResult } from '../../src/simulator/types.ts';
import { describeRabbit } from '../helpers/rabbit.ts';
import { shippedScenario } from './shipped.ts';

async function run(file: string): Promise<RunResult> {
  return runScenario(await shippedScenario(file), {});
}

function expectPassed(result: RunResult): void {
  const failed = result.thresholds.filter((t) => t.ok !== true).map((t) => t.message);
  // Which errors, when one was unexpected: the run's errors by kind, as its report lists them.
  expect({ exitCode: result.exitCode, reason: result.reason, failed }, `errors: ${JSON.stringify(result.final.errors.top)}`).toEqual({ exitCode: 0, reason: expect.any(String), failed: [] });
  expect(result.final.isolation.leaks).toBe(0);
}

describe('shipped scenarios (embedded, polling)', () => {
  it('smoke.yaml passes', async () => {
    const result = await run('smoke.yaml');
    expectPassed(result);
    expect(result.final.latency['ocpp.StartTransaction']?.count).toBeGreaterThan(0);
  }, 90_000);

  it('polling-fallback.yaml passes, measuring latency until a poll shows the change', async () => {
    const result = await run('polling-fallback.yaml');
    expectPassed(result);
    expect(result.final.target.realtime).toBe('polling');
    expect(result.final.latency['notify.meter.values']?.count).toBeGreaterThan(0);
  }, 90_000);

  it('low-balance.yaml passes: the CSMS stops each session before its wallet goes below zero', async () => {
    const result = await run('low-balance.yaml');
    expectPassed(result);
    expect(result.final.reconciliation).toMatchObject({ negativeBalances: 0, billingMismatches: 0 });
    expect(result.final.reconciliation!.checked.sessions).toBeGreaterThanOrEqual(6);
    // The customers' own stops come after the run: every RemoteStop beyond theirs was the CSMS's.
    const remoteStops = result.final.latency['ocpp.in.RemoteStopTransaction']?.count ?? 0;
    const asked = result.final.latency['rest.POST /api/user/charging/stop']?.count ?? 0;
    expect(remoteStops - asked).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('reservations.yaml passes: reserved connectors are refused to others, used by their reserver or expired', async () => {
    const result = await run('reservations.yaml');
    expectPassed(result);
    const r = result.final.reservations;
    expect(r.taken).toBe(0);
    expect(r.blocked).toBeGreaterThan(0);
    expect(r.used + r.expired).toBeGreaterThan(0);
    expect(result.final.latency['ocpp.in.ReserveNow']?.count).toBeGreaterThanOrEqual(r.made);
  }, 90_000);

  it('firmware-rollout.yaml passes: the targeted share installs or fails as the scenario says, every job reaches an outcome', async () => {
    const result = await run('firmware-rollout.yaml');
    expectPassed(result);
    expect(result.final.firmware).toMatchObject({ targeted: 6, installed: 4, failed: 2, durationMs: expect.any(Number) });
    expect(result.final.latency['ocpp.FirmwareStatusNotification']?.count).toBeGreaterThanOrEqual(6 * 2);
    // Each installed charger rebooted once: the expected disconnects of a reset.
    expect(result.final.errors.top).toContainEqual({ key: 'ocpp.disconnect (reset) (expected)', count: 4 });
  }, 90_000);

  it('offline-authorization.yaml passes: cards start sessions from the local list while the CSMS is down, each billed once after', async () => {
    const result = await run('offline-authorization.yaml');
    expectPassed(result);
    expect(result.final.auth?.offline.started).toBeGreaterThanOrEqual(5);
    expect(result.final.reconciliation).toMatchObject({ ackedLost: 0, sessionsStuck: 0, billingMismatches: 0 });
    expect(result.final.latency['ocpp.in.SendLocalList']?.count).toBeGreaterThan(0);
  }, 120_000);
});

describeRabbit('shipped scenarios (embedded, RabbitMQ + Socket.io)', () => {
  it('realtime-rabbitmq.yaml passes', async () => {
    const result = await run('realtime-rabbitmq.yaml');
    expectPassed(result);
    expect(result.final.target.realtime).toBe('socket.io');
    expect(result.final.latency['notify.meter.values']?.count).toBeGreaterThan(0);
  }, 90_000);

  it('isolation.yaml passes: adversarial joins refused, no leaks', async () => {
    const result = await run('isolation.yaml');
    expectPassed(result);
    expect(result.final.isolation.refusedJoins).toBeGreaterThan(0);
  }, 90_000);
});
