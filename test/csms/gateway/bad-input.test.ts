import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aMeterValues, aSampledValue, aStatusNotification } from '../../../src/ocpp/index.ts';
import { aChargePoint, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { bootRawPeer, type RawPeer } from '../../../src/simulator/raw-peer.ts';

describe('gateway: bad input gets a clear answer and breaks nothing', () => {
  let t: TestCsms;
  let c: RawPeer;
  beforeEach(async () => {
    t = await startCsms({ ocppMaxFrameBytes: 4096, ocppRateLimitPerSecond: 50, ocppMaxQueuedCalls: 20 });
    await aChargePoint(t.store, { id: 'CP-BAD' });
    c = await bootRawPeer(t.info.ocppUrl, 'CP-BAD');
  });
  afterEach(async () => {
    c.close();
    await t.close();
  });

  /** The connection still answers normally after the bad frame. */
  async function stillAlive(): Promise<void> {
    c.send([2, 'alive', 'Heartbeat', {}]);
    expect(await c.next()).toEqual([3, 'alive', { currentTime: expect.any(String) }]);
  }

  it('invalid JSON: no id to answer, logged, connection goes on', async () => {
    c.sendText('[2, "x1", "Heartbeat", {');
    expect(await c.silentFor(100)).toBe(true);
    await stillAlive();
    await t.settle();
    const log = await t.store.messages.list('CP-BAD', { limit: 50 });
    expect(log.some((m) => m.messageType === 0 && JSON.stringify(m.payload).includes('not valid JSON'))).toBe(true);
  });

  it('a frame that is not an array cannot be answered (no id) and breaks nothing', async () => {
    c.sendText('{"hello":"world"}');
    expect(await c.silentFor(100)).toBe(true);
    await stillAlive();
  });

  it('an unknown message type is ignored (J §4.1.3)', async () => {
    c.send([7, 'x2', 'Heartbeat', {}]);
    expect(await c.silentFor(100)).toBe(true);
    await stillAlive();
  });

  it('an unknown action gets NotImplemented', async () => {
    c.send([2, 'x3', 'MakeCoffee', {}]);
    expect(await c.next()).toEqual([4, 'x3', 'NotImplemented', expect.any(String), {}]);
  });

  it('a 1.6 action the CSMS does not take from chargers gets NotSupported', async () => {
    c.send([2, 'x3b', 'Reset', { type: 'Hard' }]);
    expect(await c.next()).toEqual([4, 'x3b', 'NotSupported', expect.any(String), {}]);
  });

  it('a missing required field gets OccurenceConstraintViolation', async () => {
    c.send([2, 'x4', 'Authorize', {}]);
    expect(await c.next()).toEqual([4, 'x4', 'OccurenceConstraintViolation', expect.stringContaining('idTag'), {}]);
  });

  it('a wrong type gets TypeConstraintViolation', async () => {
    c.send([2, 'x5', 'StatusNotification', { ...aStatusNotification(), connectorId: '1' }]);
    expect(await c.next()).toEqual([4, 'x5', 'TypeConstraintViolation', expect.stringContaining('connectorId'), {}]);
  });

  it('an out-of-enum value gets PropertyConstraintViolation from a strict charger', async () => {
    c.send([2, 'x6', 'StatusNotification', { ...aStatusNotification(), status: 'Sleeping' }]);
    expect(await c.next()).toEqual([4, 'x6', 'PropertyConstraintViolation', expect.stringContaining('status'), {}]);
  });

  it('a lenient charger has out-of-enum values accepted (logged)', async () => {
    await t.store.chargePoints.update('CP-BAD', { lenient: true });
    const lenient = await bootRawPeer(t.info.ocppUrl, 'CP-BAD');
    lenient.send([2, 'x7', 'MeterValues', aMeterValues({ meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [aSampledValue({ unit: 'Kelvinish' as 'Wh' })] }] })]);
    expect(await lenient.next()).toEqual([3, 'x7', {}]);
    lenient.close();
  });

  it('a message id over 36 characters gets FormationViolation', async () => {
    const id = 'x'.repeat(37);
    c.send([2, id, 'Heartbeat', {}]);
    expect(await c.next()).toEqual([4, id, 'FormationViolation', expect.stringContaining('36'), {}]);
  });

  it('a CALLRESULT nobody asked for is ignored and logged', async () => {
    c.send([3, 'never-sent', { status: 'Accepted' }]);
    expect(await c.silentFor(100)).toBe(true);
    await stillAlive();
    await t.settle();
    const log = await t.store.messages.list('CP-BAD', { limit: 50 });
    expect(log.some((m) => m.messageType === 0 && JSON.stringify(m.payload).includes('unexpected-response'))).toBe(true);
  });

  it('an oversize frame closes that charger with 1009 and no other', async () => {
    await aChargePoint(t.store, { id: 'CP-GOOD' });
    const good = await bootRawPeer(t.info.ocppUrl, 'CP-GOOD');
    c.send([2, 'big', 'DataTransfer', { vendorId: 'v', data: 'x'.repeat(10_000) }]);
    expect((await c.closed).code).toBe(1009);
    good.send([2, 'g1', 'Heartbeat', {}]);
    expect((await good.next())[0]).toBe(3);
    good.close();
  });

  it('a flood gets GenericError for the excess while earlier CALLs are answered, and others are unaffected', async () => {
    await aChargePoint(t.store, { id: 'CP-CALM' });
    const calm = await bootRawPeer(t.info.ocppUrl, 'CP-CALM');
    for (let i = 0; i < 300; i++) c.send([2, `f${i}`, 'Heartbeat', {}]);
    const answers: unknown[][] = [];
    for (let i = 0; i < 300; i++) answers.push(await c.next());
    const ok = answers.filter((a) => a[0] === 3).length;
    const refused = answers.filter((a) => a[0] === 4 && a[2] === 'GenericError').length;
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(ok + refused).toBe(300);
    // Answered, not refused: the flood spent CP-BAD's tokens only (how fast: bench/flood.ts).
    calm.send([2, 'c1', 'Heartbeat', {}]);
    expect((await calm.next())[0]).toBe(3);
    calm.close();
  });

  it('logs every frame in and out with action, id and direction', async () => {
    c.send([2, 'log-1', 'Heartbeat', {}]);
    await c.next();
    await t.settle();
    const rows = await waitFor(async () => {
      const r = (await t.store.messages.list('CP-BAD', { limit: 20 })).filter((m) => m.messageId === 'log-1');
      return r.length === 2 ? r : null;
    });
    expect(rows.map((r) => [r.direction, r.messageType, r.action]).sort()).toEqual([
      ['in', 2, 'Heartbeat'],
      ['out', 3, 'Heartbeat'],
    ]);
  });
});
