/**
 * The shipped scenarios of the OCPP feature profiles (Reservation, Firmware Management, Local Auth
 * List), each a short run against the embedded CSMS, in their own file so they run beside the others.
 */
import { describe, expect, it } from 'vitest';
import { expectPassed, run } from './shipped.ts';

describe('shipped scenarios of the feature profiles (embedded)', () => {
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
