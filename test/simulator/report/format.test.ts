import { describe, expect, it } from 'vitest';
import { formatDuration, formatMs, pickLatencyRows } from '../../../src/simulator/report/index.ts';
import { ninesX, niceStep } from '../../../src/simulator/report/svg.ts';
import { aLatency } from './builders.ts';

describe('formatting', () => {
  it('writes milliseconds with one decimal below 10 ms and whole numbers above', () => {
    expect([0.04, 4.25, 9.967, 10, 231.4, 12_345, null].map(formatMs)).toEqual(['0.0ms', '4.3ms', '10ms', '10ms', '231ms', '12.3s', '-']);
    expect([5, 75, 3725].map(formatDuration)).toEqual(['5s', '1m15s', '1h02m']);
  });

  it('keeps rows of every family when the latency list is cut', () => {
    const latency = Object.fromEntries([
      ...Array.from({ length: 10 }, (_, i) => [`rest.GET /r${i}`, aLatency({ count: 100 - i })]),
      ['notify.meter.values', aLatency({ count: 1 })],
      ['ocpp.Heartbeat', aLatency({ count: 5 })],
    ]);
    expect(pickLatencyRows(latency, 4).map(([k]) => k)).toEqual(['ocpp.Heartbeat', 'rest.GET /r0', 'rest.GET /r1', 'notify.meter.values']);
  });

  it('spaces percentiles by nines and picks round tick steps', () => {
    expect([0, 90, 99, 99.9].map((p) => Math.round(ninesX(p) * 1000) / 1000)).toEqual([0, 1, 2, 3]);
    expect([7, 42, 950, 0].map((m) => niceStep(m))).toEqual([2, 10, 200, 1]);
  });
});
