import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHealthMonitor } from '../../src/simulator/generator-health.ts';

describe('generator health', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('calls itself overloaded after a sustained bad streak, and forgets it when rearmed for the load', () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    // Every window breaks a limit of -1 ms: a bad streak from the first sample on.
    const health = createHealthMonitor({ maxEventLoopP99Ms: -1, maxCpuPct: 100, sustainMs: 2000 }, false);
    for (now = 1000; now <= 4000; now += 1000) health.sample();
    expect(health.sample()).toMatchObject({ overloaded: true, reason: expect.stringContaining('event-loop p99') });

    // The load starts: the streak above (setup) is not held against it.
    health.rearm();
    expect(health.sample().overloaded).toBe(false);
    now += 1000;
    expect(health.sample().overloaded).toBe(false);
    now += 2000;
    expect(health.sample().overloaded).toBe(true);
    health.stop();
  });
});
