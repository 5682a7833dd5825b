import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dashboard } from '../../../src/cli/views/Dashboard.tsx';
import { LiveDashboard, type LiveState } from '../../../src/cli/views/LiveDashboard.tsx';
import { createFeed } from '../../../src/cli/views/use-throttled-feed.ts';
import { aLatency, aSnapshot, aThreshold } from '../../simulator/report/builders.ts';

const mounted: { unmount(): void }[] = [];
function show(node: ReturnType<typeof h>) {
  const r = render(node);
  mounted.push(r);
  return r;
}
afterEach(() => {
  for (const m of mounted.splice(0)) m.unmount();
});

describe('Dashboard', () => {
  it('shows the fleet by state, rates and per-key p99s', () => {
    const frame = show(h(Dashboard, { scenario: 'smoke-50', snapshot: aSnapshot(), durationS: 120 })).lastFrame()!;
    expect(frame).toContain('ev-sim smoke-50');
    expect(frame).toContain('[hold] 30s (load 2m00s)');
    expect(frame).toMatch(/charging\s+12/);
    expect(frame).toMatch(/available\s+38/);
    // No failover row while no charger failed over (one OCPP URL: never).
    expect(frame).not.toContain('failovers');
    expect(frame).toMatch(/ocpp out\s+205/);
    expect(frame).toMatch(/ocpp\.StartTransaction\s+30\s+12ms\s+40ms\s+58ms/);
    expect(frame).toMatch(/rest\.GET \/api\/user\/sessions\/active\s+900\s+2\.1ms\s+4\.0ms\s+6\.5ms/);
    expect(frame).toMatch(/notify\.meter\.values\s+2800\s+6\.0ms\s+10ms\s+12ms/);
  });

  it('shows where the web CMS is when the target serves one, and no line when it does not', () => {
    const withCms = aSnapshot({ target: { cmsUrl: 'http://127.0.0.1:40001/cms/' } });
    expect(show(h(Dashboard, { scenario: 's', snapshot: withCms })).lastFrame()).toMatch(/web CMS http:\/\/127\.0\.0\.1:40001\/cms\//);
    expect(show(h(Dashboard, { scenario: 's', snapshot: aSnapshot() })).lastFrame()).not.toContain('web CMS');
  });

  it('marks thresholds ✓, ✗ and … and counts those that hold', () => {
    const snapshot = aSnapshot({
      thresholds: [
        aThreshold({ expression: 'ocpp.StartTransaction.p99 < 200ms', ok: true }),
        aThreshold({ expression: 'notify.meter.values.p99 < 10ms', ok: false, value: 12, message: 'notify.meter.values.p99 = 12 ms, limit < 10 ms' }),
        aThreshold({ expression: 'rest.GET /api/cms/dashboard.p95 < 50ms', ok: null, value: null, message: 'no data yet' }),
      ],
    });
    const frame = show(h(Dashboard, { scenario: 's', snapshot })).lastFrame()!;
    expect(frame).toContain('Thresholds 1/3 ok, 1 failing');
    expect(frame).toContain('✓ ocpp.StartTransaction.p99 < 200ms');
    expect(frame).toContain('✗ notify.meter.values.p99 < 10ms');
    expect(frame).toContain('limit < 10 ms');
    expect(frame).toContain('… rest.GET /api/cms/dashboard.p95 < 50ms');
  });

  it('shows leaks, lost notifications, top errors and an overloaded generator', () => {
    const snapshot = aSnapshot({
      isolation: { leaks: 2, recent: [{ customerId: 7, type: 'session.updated', ids: { sessionId: 41 }, at: 1 }] },
      notifications: { expected: 500, received: 495, lost: 5 },
      failovers: { total: 4, byCharger: { 'C-1': 4 } },
      errors: { total: 9, unexpected: 2, top: [{ key: 'rest.429', count: 6 }, { key: 'ocpp.CALLERROR InternalError', count: 3 }] },
      generator: { eventLoopP99Ms: 180, cpuPct: 99, overloaded: true, reason: 'event loop p99 180 ms > 100 ms' },
    });
    const frame = show(h(Dashboard, { scenario: 's', snapshot })).lastFrame()!;
    expect(frame).toContain('leaks 2');
    expect(frame).toMatch(/failovers +4/);
    expect(frame).toContain('customer 7 got session.updated {"sessionId":41}');
    expect(frame).toContain('expected 500 received 495 lost 5');
    expect(frame).toContain('Errors 9 (2 unexpected)');
    expect(frame).toMatch(/6 rest\.429/);
    expect(frame).toContain('loop p99 180ms CPU 99%');
    expect(frame).toContain('⚠ OVERLOADED: event loop p99 180 ms > 100 ms');
  });

  it('caps the latency table and says how many keys are left out', () => {
    const latency = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`rest.GET /r${String(i).padStart(2, '0')}`, aLatency()]));
    const frame = show(h(Dashboard, { scenario: 's', snapshot: aSnapshot({ latency }) })).lastFrame()!;
    expect(frame).toContain('… 11 more (all in report.html)');
    // Every family keeps rows: the REST routes do not push the notifications off.
    expect(frame).toContain('notify.meter.values');
    expect(frame).toContain('ocpp.in.RemoteStartTransaction');
  });
});

describe('LiveDashboard', () => {
  it('shows "starting…" until the first snapshot, then the latest one', async () => {
    const feed = createFeed<LiveState>();
    const r = show(h(LiveDashboard, { feed, scenario: 'live', refreshMs: 20 }));
    expect(r.lastFrame()).toContain('starting…');
    feed.push({ snapshot: aSnapshot({ elapsedS: 5 }), log: [], aborting: false });
    feed.push({ snapshot: aSnapshot({ elapsedS: 6, isolation: { leaks: 4 } }), log: ['engine: ramp-up done'], aborting: true });
    await expect.poll(() => r.lastFrame(), { timeout: 30_000 }).toContain('leaks 4');
    expect(r.lastFrame()).toContain('6s');
    expect(r.lastFrame()).toContain('engine: ramp-up done');
    expect(r.lastFrame()).toContain('Ctrl-C again to quit now');
  });

  it('renders at most once per refresh interval however fast snapshots arrive', async () => {
    const feed = createFeed<LiveState>();
    const r = show(h(LiveDashboard, { feed, scenario: 'live', refreshMs: 200 }));
    const before = r.frames.length;
    for (let i = 0; i < 50; i++) feed.push({ snapshot: aSnapshot({ elapsedS: i }), log: [], aborting: false });
    // 50 pushes: one immediate render and one trailing one, which shows the last snapshot.
    await vi.waitFor(() => expect(r.lastFrame()).toContain('49s'), { timeout: 30_000 });
    expect(r.frames.length - before).toBeLessThanOrEqual(3);
  });
});
