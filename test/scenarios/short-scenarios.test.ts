/**
 * The short shipped scenarios, run as CI runs them: each must pass (exit 0) against our CSMS, judged
 * on their count and correctness thresholds (their latency limits are for `ev-sim run`, see shipped.ts).
 * The RabbitMQ ones need the broker (skipped loudly without one, failing in CI).
 */
import { describe, expect, it } from 'vitest';
import { describeRabbit } from '../helpers/rabbit.ts';
import { expectPassed, run } from './shipped.ts';

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
