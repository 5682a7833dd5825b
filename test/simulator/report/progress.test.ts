import { describe, expect, it } from 'vitest';
import { createRateWindow, formatProgressLine } from '../../../src/simulator/report/index.ts';
import { aLatency, aSnapshot, aThreshold } from './builders.ts';

describe('formatProgressLine', () => {
  it('reads as one line: elapsed, phase, chargers, rate, worst notification p99, leaks, lost, thresholds', () => {
    const line = formatProgressLine(
      aSnapshot({
        thresholds: [aThreshold(), aThreshold(), aThreshold(), aThreshold(), aThreshold({ ok: null, value: null })],
        rates: { ocppSent: 205, ocppReceived: 205, restRequests: 0 },
      }),
    );
    expect(line).toBe('[  30s] hold  chargers 50/50 charging 12  ocpp 410/s  notify.session.started p99 17ms  leaks 0  lost 0  thresholds 4/5 ok');
  });

  it('counts only live chargers as connected and flags failures, errors and overload', () => {
    const line = formatProgressLine(
      aSnapshot({
        elapsedS: 125.4,
        phase: 'ramp-up',
        fleet: { total: 100, connecting: 10, available: 50, charging: 20, faulted: 5, offline: 15 },
        thresholds: [aThreshold({ ok: false, value: 231 }), aThreshold()],
        errors: { total: 7 },
        failovers: { total: 4, byCharger: { 'C-1': 4 } },
        isolation: { leaks: 2 },
        notifications: { lost: 3 },
        generator: { overloaded: true, reason: 'event loop p99 250 ms' },
      }),
    );
    expect(line).toMatch(/^\[ 125s\] ramp-up {2}chargers 75\/100 charging 20 /);
    expect(line).toContain('leaks 2  lost 3');
    expect(line).toContain('thresholds 1/2 ok (1 failing)');
    expect(line).toContain('failovers 4  errors 7');
    expect(line).toContain('OVERLOADED (event loop p99 250 ms)');
  });

  it('falls back to the slowest OCPP action when nothing was notified', () => {
    const line = formatProgressLine({ ...aSnapshot(), latency: { 'ocpp.Heartbeat': aLatency({ p99: 3 }), 'ocpp.StartTransaction': aLatency({ p99: 80 }) } });
    expect(line).toContain('ocpp.StartTransaction p99 80ms');
  });
});

describe('createRateWindow', () => {
  it('shows the mean rate since the previous line, so traffic in bursts is not read as 0/s', () => {
    const window = createRateWindow();
    // MeterValues every 5 s in step: one busy second in five.
    for (const busy of [0, 0, 0, 0, 40, 0, 0, 0, 0, 40]) window.add(aSnapshot({ rates: { ocppSent: busy / 2, ocppReceived: busy / 2, restRequests: 2 } }));
    const quietLast = aSnapshot({ rates: { ocppSent: 0, ocppReceived: 0, restRequests: 2 } });
    expect(formatProgressLine(quietLast)).toContain('ocpp 0.0/s');
    expect(formatProgressLine(quietLast, window.take())).toContain('ocpp 8.0/s  rest 2.0/s');
    // A new window after each line.
    expect(window.take()).toEqual({ ocpp: 0, rest: 0 });
  });
});
